/* naccs-send.c: sends processing-request message files to a NACCS center
 * mail server over one SMTP connection and reports each file's outcome.
 *
 * Every file is checked before the connection opens, so a bad file stops the
 * run with nothing sent.  Then HELO is sent once and each file goes through
 * MAIL FROM, RCPT TO, DATA and ".".  A file that got 250 or a 5xx is never
 * sent again.  A 4xx or 5xx to a step of a file resets the transaction with
 * RSET and the next file follows.  A 421, a timeout, a bad reply or a lost
 * connection ends the session, and the files left are reported as not
 * attempted.  Exit status: 0 when every file was accepted, 1 when some were
 * not, 2 for usage and local errors.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-send"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "naccs-client.h"

#define EXIT_ALL_ACCEPTED 0
#define EXIT_SOME_FAILED 1
#define EXIT_LOCAL_ERROR 2

#define DEFAULT_PORT 25
#define DEFAULT_RECIPIENT "NACCS@EDIFACT.PROD.NACCS6"
#define MAX_TIMEOUT_SECONDS 86400.0

typedef enum {
  OUTCOME_NOT_ATTEMPTED,
  OUTCOME_ACCEPTED,
  OUTCOME_REJECTED_TEMPORARY,
  OUTCOME_REJECTED_PERMANENT,
  OUTCOME_UNKNOWN,
  OUTCOME_FAILED, /* attempted, not accepted, for a reason other than a reply */
} Outcome;

typedef struct {
  const char *path;
  Outcome outcome;
  guint reply_code;
  NaccsClientStep step;
  char *detail; /* error message or reason, for all but ACCEPTED */
} FileResult;

typedef struct {
  char *server;
  char *helo;
  char *from;
  char *to;
  char *connect_timeout;
  char *greeting_timeout;
  char *reply_timeout;
  char *data_timeout;
  gboolean verbose;
  gboolean version;
  char **files;
} Options;

/* The step the session is in, followed from the trace, because an error
 * after the final "." needs to know that the message may have arrived. */
typedef struct {
  gboolean verbose;
  NaccsClientStep step;
} TraceState;

static void
options_clear (Options *options)
{
  g_free (options->server);
  g_free (options->helo);
  g_free (options->from);
  g_free (options->to);
  g_free (options->connect_timeout);
  g_free (options->greeting_timeout);
  g_free (options->reply_timeout);
  g_free (options->data_timeout);
  g_strfreev (options->files);
}

static gboolean
fail_usage (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail_usage (GError **error, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_OPTION_ERROR,
                                                G_OPTION_ERROR_BAD_VALUE,
                                                format, args));
  va_end (args);
  return FALSE;
}

static gboolean
parse_port (const char *text, const char *server, guint16 *port,
            GError **error)
{
  guint64 value = 0;

  if (!g_ascii_string_to_unsigned (text, 10, 1, 65535, &value, NULL))
    return fail_usage (error, _("invalid port \"%s\" in --server \"%s\": "
                                "give a number from 1 to 65535"),
                       text, server);

  *port = (guint16) value;
  return TRUE;
}

static gboolean
fail_server (const char *server, GError **error)
{
  return fail_usage (error, _("invalid --server \"%s\": give HOST, HOST:PORT, "
                              "an IPv6 address, or [IPV6]:PORT"), server);
}

/* Parses HOST, HOST:PORT, [IPV6], [IPV6]:PORT or a bare IPv6 literal. */
static gboolean
parse_server (const char *server, char **host, guint16 *port, GError **error)
{
  const char *colon = strchr (server, ':');

  *port = DEFAULT_PORT;
  if (server[0] == '[')
    {
      const char *close = strchr (server, ']');

      if (close == NULL || close == server + 1
          || (close[1] != '\0' && close[1] != ':'))
        return fail_server (server, error);
      *host = g_strndup (server + 1, (gsize) (close - server - 1));
      return close[1] == '\0' || parse_port (close + 2, server, port, error);
    }

  /* Two or more colons without brackets can only be an IPv6 literal, which
   * then has no port. */
  if (colon != NULL && strchr (colon + 1, ':') != NULL)
    {
      if (!g_hostname_is_ip_address (server))
        return fail_server (server, error);
      *host = g_strdup (server);
      return TRUE;
    }

  if (colon == server || server[0] == '\0')
    return fail_server (server, error);
  if (colon == NULL)
    {
      *host = g_strdup (server);
      return TRUE;
    }

  *host = g_strndup (server, (gsize) (colon - server));
  return parse_port (colon + 1, server, port, error);
}

/* Parses seconds with decimals into milliseconds; NULL keeps @ms. */
static gboolean
parse_timeout (const char *text, const char *option, guint *ms,
               GError **error)
{
  char *end = NULL;
  double seconds;

  if (text == NULL)
    return TRUE;

  seconds = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (seconds) || seconds <= 0
      || seconds > MAX_TIMEOUT_SECONDS)
    return fail_usage (error, _("invalid value \"%s\" for %s: give seconds "
                                "greater than 0 and at most 86400, such as "
                                "0.5 or 30"), text, option);

  /* At least 1 ms, because 0 would mean no limit at all. */
  *ms = MAX (1, (guint) (seconds * 1000.0 + 0.5));
  return TRUE;
}

static gboolean
parse_timeouts (const Options *options, NaccsClientTimeouts *timeouts,
                GError **error)
{
  naccs_client_timeouts_init_default (timeouts);
  return parse_timeout (options->connect_timeout, "--connect-timeout",
                        &timeouts->connect_ms, error)
         && parse_timeout (options->greeting_timeout, "--greeting-timeout",
                           &timeouts->greeting_ms, error)
         && parse_timeout (options->reply_timeout, "--reply-timeout",
                           &timeouts->reply_ms, error)
         && parse_timeout (options->data_timeout, "--data-timeout",
                           &timeouts->data_end_ms, error);
}

static GOptionContext *
create_option_context (Options *options)
{
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &options->server,
      N_("Center mail server, as HOST, HOST:PORT or [IPV6]:PORT; the port "
         "defaults to 25"), N_("HOST[:PORT]") },
    { "helo", 0, 0, G_OPTION_ARG_STRING, &options->helo,
      N_("Domain name of the user system, sent with HELO"), N_("DOMAIN") },
    { "from", 'f', 0, G_OPTION_ARG_STRING, &options->from,
      N_("Mail address of the user, sent with MAIL FROM"), N_("ADDRESS") },
    { "to", 't', 0, G_OPTION_ARG_STRING, &options->to,
      N_("Center address sent with RCPT TO (default "
         "NACCS@EDIFACT.PROD.NACCS6)"), N_("ADDRESS") },
    { "connect-timeout", 0, 0, G_OPTION_ARG_STRING, &options->connect_timeout,
      N_("Seconds to wait for the TCP connection (default 30)"), N_("S") },
    { "greeting-timeout", 0, 0, G_OPTION_ARG_STRING,
      &options->greeting_timeout,
      N_("Seconds to wait for the 220 greeting (default 300)"), N_("S") },
    { "reply-timeout", 0, 0, G_OPTION_ARG_STRING, &options->reply_timeout,
      N_("Seconds to wait for each command reply (default 300)"), N_("S") },
    { "data-timeout", 0, 0, G_OPTION_ARG_STRING, &options->data_timeout,
      N_("Seconds to wait for the reply to the end of data (default 600)"),
      N_("S") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose,
      N_("Print every SMTP line in and out on stderr, except message lines"),
      NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options->version,
      N_("Print the version and exit"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options->files,
      NULL, N_("FILE...") },
    { NULL },
  };
  GOptionContext *context = g_option_context_new (NULL);

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
      _("Sends processing-request message files to a NACCS center mail "
        "server over one SMTP connection and prints one line per file."));
  g_option_context_set_description (context,
      _("Every file is checked before the connection opens: a line longer "
        "than 1000 octets with its CRLF, a CR or LF outside CRLF or an empty "
        "file stops the run with nothing sent.\n\n"
        "Exit status: 0 when every file was accepted, 1 when some were not, "
        "2 for usage errors, unreadable files and connection failures."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  return context;
}

static gboolean
check_required (const Options *options, GError **error)
{
  if (options->server == NULL)
    return fail_usage (error, _("missing --server: give the center mail "
                                "server as HOST or HOST:PORT"));
  if (options->helo == NULL)
    return fail_usage (error, _("missing --helo: give the domain name the "
                                "NACCS center assigned to your system"));
  if (options->from == NULL)
    return fail_usage (error, _("missing --from: give the mail address the "
                                "NACCS center assigned to you"));
  if (options->files == NULL || options->files[0] == NULL)
    return fail_usage (error, _("no message file given: name one or more "
                                "FILE arguments"));
  return TRUE;
}

/* Checks that @path exists, is a non-empty regular file and contains a message
 * that can be sent faithfully; prints what is wrong and what to do. */
static gboolean
check_file (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (path);
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GError) error = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                            G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NONE, NULL, &error);
  if (info == NULL)
    {
      g_printerr (_("naccs-send: cannot read \"%s\": %s: check the path\n"),
                  path, error->message);
      return FALSE;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_printerr (_("naccs-send: \"%s\" is not a regular file: give a "
                    "message file\n"), path);
      return FALSE;
    }
  if (g_file_info_get_size (info) == 0)
    {
      g_printerr (_("naccs-send: \"%s\" is empty: give a file that contains "
                    "a processing-request message\n"), path);
      return FALSE;
    }
  if (!naccs_client_validate_file (file, &error))
    {
      g_printerr (_("naccs-send: \"%s\" cannot be sent: %s\n"), path,
                  error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_all_files (char **files)
{
  gboolean ok = TRUE;

  /* Check every file, so one run lists every problem. */
  for (guint i = 0; files[i] != NULL; i++)
    ok = check_file (files[i]) && ok;
  return ok;
}

/* Follows the step from the lines the client sends, and prints them with
 * the replies for --verbose. */
static void
on_trace (gboolean outgoing, const char *line, gpointer user_data)
{
  TraceState *state = user_data;
  static const struct {
    const char *prefix;
    NaccsClientStep step;
  } commands[] = {
    { "HELO ", NACCS_CLIENT_STEP_HELO },
    { "MAIL FROM:", NACCS_CLIENT_STEP_MAIL },
    { "RCPT TO:", NACCS_CLIENT_STEP_RCPT },
    { "DATA", NACCS_CLIENT_STEP_DATA },
    { "RSET", NACCS_CLIENT_STEP_RSET },
    { "QUIT", NACCS_CLIENT_STEP_QUIT },
  };

  if (state->verbose)
    g_printerr ("%s %s\n", outgoing ? "C:" : "S:", line);
  if (!outgoing)
    return;

  if (strcmp (line, ".") == 0)
    state->step = NACCS_CLIENT_STEP_DATA_END;
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_has_prefix (line, commands[i].prefix))
      state->step = commands[i].step;
}

static void
print_result (const FileResult *result)
{
  const char *step = naccs_client_step_name (result->step);

  switch (result->outcome)
    {
    case OUTCOME_ACCEPTED:
      g_print (_("%s: accepted (reply code %u)\n"), result->path,
               result->reply_code);
      break;
    case OUTCOME_REJECTED_TEMPORARY:
      g_print (_("%s: rejected temporarily (reply code %u to %s)\n"),
               result->path, result->reply_code, step);
      break;
    case OUTCOME_REJECTED_PERMANENT:
      g_print (_("%s: rejected permanently (reply code %u to %s)\n"),
               result->path, result->reply_code, step);
      break;
    case OUTCOME_UNKNOWN:
      g_print (_("%s: outcome unknown: %s\n"), result->path, result->detail);
      break;
    case OUTCOME_FAILED:
      g_print (_("%s: not accepted: %s\n"), result->path, result->detail);
      break;
    case OUTCOME_NOT_ATTEMPTED:
    default:
      g_print (_("%s: not attempted: %s\n"), result->path, result->detail);
      break;
    }
}

/* Records the outcome of a failed send of @result's file.  Returns TRUE when
 * the session can go on with the next file. */
static gboolean
record_failure (NaccsClient *client, FileResult *result,
                const TraceState *trace, const GError *error)
{
  result->reply_code = naccs_client_error_get_reply_code (error);
  result->step = trace->step;
  result->detail = g_strdup (error->message);

  if (g_error_matches (error, NACCS_CLIENT_ERROR,
                       NACCS_CLIENT_ERROR_REJECTED_TEMPORARY)
      || g_error_matches (error, NACCS_CLIENT_ERROR,
                          NACCS_CLIENT_ERROR_SERVICE_CLOSING))
    result->outcome = OUTCOME_REJECTED_TEMPORARY;
  else if (g_error_matches (error, NACCS_CLIENT_ERROR,
                            NACCS_CLIENT_ERROR_REJECTED_PERMANENT))
    result->outcome = OUTCOME_REJECTED_PERMANENT;
  else if (g_error_matches (error, NACCS_CLIENT_ERROR,
                            NACCS_CLIENT_ERROR_OUTCOME_UNKNOWN)
           || trace->step == NACCS_CLIENT_STEP_DATA_END)
    /* A timeout after "." leaves the outcome as open as a lost connection. */
    result->outcome = OUTCOME_UNKNOWN;
  else
    result->outcome = OUTCOME_FAILED;

  return naccs_client_is_connected (client);
}

static void
mark_rest_not_attempted (FileResult *results, guint from, guint count,
                         const char *reason)
{
  for (guint i = from; i < count; i++)
    if (results[i].outcome == OUTCOME_NOT_ATTEMPTED && !results[i].detail)
      results[i].detail = g_strdup (reason);
}

/* Sends the files in order.  Returns the index of the first file not
 * attempted. */
static guint
send_files (NaccsClient *client, const Options *options, TraceState *trace,
            FileResult *results, guint count)
{
  for (guint i = 0; i < count; i++)
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (results[i].path);
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) rset_error = NULL;

      if (naccs_client_send_file (client, options->from, options->to, file,
                                  &error))
        {
          results[i].outcome = OUTCOME_ACCEPTED;
          results[i].reply_code = naccs_client_get_last_reply_code (client);
          continue;
        }

      if (!record_failure (client, &results[i], trace, error))
        return i + 1;

      /* The transaction failed but the connection is usable: reset it so
       * the next file starts clean. */
      if (!naccs_client_rset (client, &rset_error))
        {
          g_printerr (_("naccs-send: %s\n"), rset_error->message);
          return i + 1;
        }
    }
  return count;
}

/* Connects, sends HELO and the files, and quits.  Returns the exit status;
 * every result is filled. */
static int
run_session (const Options *options, const char *host, guint16 port,
             const NaccsClientTimeouts *timeouts, FileResult *results,
             guint count)
{
  g_autoptr (NaccsClient) client = naccs_client_new (timeouts, NULL);
  g_autoptr (GError) error = NULL;
  TraceState trace = { options->verbose, NACCS_CLIENT_STEP_CONNECT };
  g_autofree char *reason = NULL;
  guint next = 0;

  naccs_client_set_trace (client, on_trace, &trace);

  if (!naccs_client_connect (client, host, port, &error))
    {
      gboolean local = g_error_matches (error, NACCS_CLIENT_ERROR,
                                        NACCS_CLIENT_ERROR_RESOLVE)
                       || g_error_matches (error, NACCS_CLIENT_ERROR,
                                           NACCS_CLIENT_ERROR_CONNECT);

      if (g_error_matches (error, NACCS_CLIENT_ERROR,
                           NACCS_CLIENT_ERROR_RESOLVE))
        g_printerr (_("naccs-send: cannot resolve host \"%s\": check the name "
                      "or use an IP address\n"), host);
      else
        g_printerr (_("naccs-send: %s\n"), error->message);
      mark_rest_not_attempted (results, 0, count, error->message);
      return local ? EXIT_LOCAL_ERROR : EXIT_SOME_FAILED;
    }

  if (!naccs_client_helo (client, options->helo, &error))
    {
      g_printerr (_("naccs-send: %s\n"), error->message);
      reason = g_strdup (error->message);
    }
  else
    {
      next = send_files (client, options, &trace, results, count);
      if (next < count)
        reason = g_strdup_printf (_("the session ended after the failure of "
                                    "\"%s\""), results[next - 1].path);
    }
  if (reason != NULL)
    mark_rest_not_attempted (results, next, count, reason);

  g_clear_error (&error);
  if (naccs_client_is_connected (client)
      && !naccs_client_quit (client, &error))
    g_printerr (_("naccs-send: %s\n"), error->message);
  return EXIT_ALL_ACCEPTED;
}

static int
report (FileResult *results, guint count)
{
  guint accepted = 0;

  for (guint i = 0; i < count; i++)
    {
      print_result (&results[i]);
      if (results[i].outcome == OUTCOME_ACCEPTED)
        accepted++;
    }

  g_info ("event=finished files=%u accepted=%u", count, accepted);
  return accepted == count ? EXIT_ALL_ACCEPTED : EXIT_SOME_FAILED;
}

static int
send_all (const Options *options, const char *host, guint16 port,
          const NaccsClientTimeouts *timeouts)
{
  guint count = g_strv_length (options->files);
  g_autofree FileResult *results = g_new0 (FileResult, count);
  int status;
  int report_status;

  for (guint i = 0; i < count; i++)
    results[i].path = options->files[i];

  g_info ("event=start files=%u host=%s port=%u", count, host, port);
  status = run_session (options, host, port, timeouts, results, count);
  report_status = report (results, count);

  for (guint i = 0; i < count; i++)
    g_free (results[i].detail);
  return MAX (status, report_status);
}

static void
init_gettext (void)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

static gboolean
parse_options (int *argc, char ***argv, Options *options, GError **error)
{
  g_autoptr (GOptionContext) context = create_option_context (options);

  return g_option_context_parse (context, argc, argv, error);
}

int
main (int argc, char *argv[])
{
  Options options = { 0 };
  NaccsClientTimeouts timeouts;
  g_autoptr (GError) error = NULL;
  g_autofree char *host = NULL;
  guint16 port = DEFAULT_PORT;
  int status;

  init_gettext ();

  if (!parse_options (&argc, &argv, &options, &error)
      || (!options.version
          && (!check_required (&options, &error)
              || !parse_server (options.server, &host, &port, &error)
              || !parse_timeouts (&options, &timeouts, &error))))
    {
      g_printerr (_("naccs-send: %s\n"), error->message);
      g_printerr (_("Run \"naccs-send --help\" to see the options.\n"));
      options_clear (&options);
      return EXIT_LOCAL_ERROR;
    }

  if (options.version)
    {
      g_print ("naccs-send %s\n", PACKAGE_VERSION);
      options_clear (&options);
      return EXIT_ALL_ACCEPTED;
    }

  if (options.to == NULL)
    options.to = g_strdup (DEFAULT_RECIPIENT);

  if (!check_all_files (options.files))
    status = EXIT_LOCAL_ERROR;
  else
    status = send_all (&options, host, port, &timeouts);

  options_clear (&options);
  return status;
}
