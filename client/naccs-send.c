/* naccs-send.c: sends processing-request message files to a NACCS center
 * mail server and reports each file's outcome.
 *
 * This file reads the command line and checks every file before the
 * connection opens, so a bad file or a bad option stops the run with
 * nothing sent.  The check reads each file once (message-file.c) and
 * keeps the checked octets of the first files, up to KEEP_CONTENTS_MAX
 * in all, for sending.  The rest are read again just before they are
 * sent.  send-plan.c then sends the files, reconnecting and
 * retrying within the limits set here, and send-report.c prints one line
 * per file and writes the JSON report.  SIGINT and SIGTERM cancel the run
 * through its GCancellable, so that the session still ends with QUIT and
 * every file is reported.  Exit status: 0 when every file was accepted, 1
 * when some were not (also after a cancel), 2 for usage and local errors.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-send"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "message-file.h"
#include "send-plan.h"

#define EXIT_ALL_ACCEPTED 0
#define EXIT_SOME_FAILED 1
#define EXIT_LOCAL_ERROR 2

#define DEFAULT_PORT 25
#define DEFAULT_RECIPIENT "NACCS@EDIFACT.PROD.NACCS6"
#define MAX_TIMEOUT_SECONDS 86400.0
#define MAX_ATTEMPTS 100
#define MAX_BACKOFF_FACTOR 10.0

/* Octets of checked files kept in memory for sending.  The bound keeps
 * memory use flat however many files a run has: 64 MiB fits about 50,000
 * messages of 1 KiB, or 95 of the NACCS maximum of 700,000 octets.  A
 * file that is not kept costs one more open and read. */
#define KEEP_CONTENTS_MAX ((gsize) 64 * 1024 * 1024)

typedef struct {
  char *server;
  char *helo;
  char *from;
  char *to;
  char *connect_timeout;
  char *greeting_timeout;
  char *reply_timeout;
  char *data_timeout;
  char *send_timeout;
  char *action_table;
  char *max_attempts;
  char *retry_delay;
  char *max_retry_delay;
  char *backoff_factor;
  char *report;
  gboolean resend_unknown;
  gboolean verbose;
  gboolean version;
  char **files;
} Options;

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
  g_free (options->send_timeout);
  g_free (options->action_table);
  g_free (options->max_attempts);
  g_free (options->retry_delay);
  g_free (options->max_retry_delay);
  g_free (options->backoff_factor);
  g_free (options->report);
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
                           &timeouts->data_end_ms, error)
         && parse_timeout (options->send_timeout, "--send-timeout",
                           &timeouts->send_ms, error);
}

/* Parses a delay in seconds, 0 allowed, into milliseconds; NULL keeps @ms. */
static gboolean
parse_delay (const char *text, const char *option, guint *ms, GError **error)
{
  char *end = NULL;
  double seconds;

  if (text == NULL)
    return TRUE;

  seconds = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (seconds) || seconds < 0
      || seconds > MAX_TIMEOUT_SECONDS)
    return fail_usage (error, _("invalid value \"%s\" for %s: give seconds "
                                "from 0 to 86400, such as 0.5 or 30"),
                       text, option);

  *ms = (guint) (seconds * 1000.0 + 0.5);
  return TRUE;
}

static gboolean
parse_max_attempts (const char *text, guint *value, GError **error)
{
  guint64 parsed = 0;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, MAX_ATTEMPTS, &parsed, NULL))
    return fail_usage (error, _("invalid value \"%s\" for --max-attempts: "
                                "give a whole number from 1 to 100"), text);

  *value = (guint) parsed;
  return TRUE;
}

static gboolean
parse_backoff_factor (const char *text, double *factor, GError **error)
{
  char *end = NULL;
  double value;

  if (text == NULL)
    return TRUE;

  value = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (value) || value < 1.0
      || value > MAX_BACKOFF_FACTOR)
    return fail_usage (error, _("invalid value \"%s\" for --backoff-factor: "
                                "give a number from 1 to 10, such as 2"),
                       text);

  *factor = value;
  return TRUE;
}

/* Parses the retry options into @config. */
static gboolean
parse_retries (const Options *options, SendConfig *config, GError **error)
{
  if (!parse_max_attempts (options->max_attempts, &config->max_attempts,
                           error)
      || !parse_delay (options->retry_delay, "--retry-delay",
                       &config->retry_delay_ms, error)
      || !parse_delay (options->max_retry_delay, "--max-retry-delay",
                       &config->max_retry_delay_ms, error)
      || !parse_backoff_factor (options->backoff_factor,
                                &config->backoff_factor, error))
    return FALSE;

  if (config->max_retry_delay_ms < config->retry_delay_ms)
    return fail_usage (error, _("--max-retry-delay (%u ms) is shorter than "
                                "--retry-delay (%u ms): give a maximum at "
                                "least as long as the first delay"),
                       config->max_retry_delay_ms, config->retry_delay_ms);
  return TRUE;
}

/* Parses --report json:FILE into the path of the JSON report. */
static gboolean
parse_report (const char *text, char **path, GError **error)
{
  if (text == NULL)
    return TRUE;
  if (!g_str_has_prefix (text, "json:") || text[5] == '\0')
    return fail_usage (error, _("invalid --report \"%s\": give json:FILE"),
                       text);

  *path = g_strdup (text + 5);
  return TRUE;
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
    { "send-timeout", 0, 0, G_OPTION_ARG_STRING, &options->send_timeout,
      N_("Seconds a send may make no progress because the server does not "
         "read (default 180)"), N_("S") },
    { "action-table", 0, 0, G_OPTION_ARG_FILENAME, &options->action_table,
      N_("YAML file mapping reply codes to actions, replacing the default "
         "table"), N_("FILE") },
    { "max-attempts", 0, 0, G_OPTION_ARG_STRING, &options->max_attempts,
      N_("Attempts per file, and failed connects in a row before giving up "
         "(default 3)"), N_("N") },
    { "retry-delay", 0, 0, G_OPTION_ARG_STRING, &options->retry_delay,
      N_("Seconds to wait before the first retry or reconnect (default 5)"),
      N_("S") },
    { "max-retry-delay", 0, 0, G_OPTION_ARG_STRING, &options->max_retry_delay,
      N_("Longest wait between retries, in seconds (default 60)"), N_("S") },
    { "backoff-factor", 0, 0, G_OPTION_ARG_STRING, &options->backoff_factor,
      N_("Each further retry waits this many times longer (default 2)"),
      N_("F") },
    { "resend-unknown", 0, 0, G_OPTION_ARG_NONE, &options->resend_unknown,
      N_("Send again a file whose end of data got no reply; the center may "
         "then receive it twice"), NULL },
    { "report", 0, 0, G_OPTION_ARG_STRING, &options->report,
      N_("Write every attempt and each file's outcome as JSON to FILE"),
      N_("json:FILE") },
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
        "server over SMTP and prints one line per file."));
  g_option_context_set_description (context,
      _("Every file is checked before the connection opens: a line longer "
        "than 1000 octets with its CRLF, a CR or LF outside CRLF or an empty "
        "file stops the run with nothing sent.\n\n"
        "After each reply the action table decides: continue, retry the file "
        "later after RSET, reconnect and resume, give up the file, or give "
        "up the session.  A file that got 250 to its end of data is never "
        "sent again; a file whose end of data got no reply is reported as "
        "outcome unknown and not sent again unless --resend-unknown is "
        "given.\n\n"
        "Exit status: 0 when every file was accepted, 1 when some were not, "
        "2 for usage errors, unreadable files, a bad action table and a host "
        "name that does not resolve."));
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

/* Prints @text, a translated "naccs-send: ...\n" line, and returns it
 * without the program name and the newline, for the JSON report. */
static char *
print_problem (char *text)
{
  static const char prefix[] = "naccs-send: ";
  gsize skip = g_str_has_prefix (text, prefix) ? strlen (prefix) : 0;

  g_printerr ("%s", text);
  memmove (text, text + skip, strlen (text + skip) + 1);
  return g_strchomp (text);
}

/* Returns the problem text for @path that message_file_check() rejected
 * with @error. */
static char *
describe_problem (const char *path, const GError *error)
{
  switch (error->code)
    {
    case MESSAGE_FILE_ERROR_NOT_REGULAR:
      return g_strdup_printf (_("naccs-send: \"%s\" is not a regular file: "
                                "give a message file\n"), path);
    case MESSAGE_FILE_ERROR_EMPTY:
      return g_strdup_printf (_("naccs-send: \"%s\" is empty: give a file "
                                "that contains a processing-request "
                                "message\n"), path);
    case MESSAGE_FILE_ERROR_INVALID:
      return g_strdup_printf (_("naccs-send: \"%s\" cannot be sent: %s\n"),
                              path, error->message);
    default:
      return g_strdup_printf (_("naccs-send: cannot read \"%s\": %s: check "
                                "the path\n"), path, error->message);
    }
}

/* Checks that @path exists, is a non-empty regular file and contains a
 * message that can be sent faithfully; *@contents receives its octets
 * when they are at most @keep_max.  Prints what is wrong and what to do,
 * and returns that text, or NULL when the file can be sent. */
static char *
check_file (const char *path, gsize keep_max, GBytes **contents)
{
  g_autoptr (GError) error = NULL;

  if (message_file_check (path, keep_max, contents, &error))
    return NULL;
  return print_problem (describe_problem (path, error));
}

static void
unref_bytes (gpointer bytes)
{
  if (bytes != NULL)
    g_bytes_unref (bytes);
}

/* Checks every file, so one run lists every problem.  Adds one entry per
 * file to @problems, the problem or NULL for a file that can be sent, and
 * one to @contents, the checked octets or NULL when they were not kept.
 * Nothing is kept after the first problem, because nothing will be
 * sent. */
static gboolean
check_all_files (char **files, GPtrArray *problems, GPtrArray *contents)
{
  gsize keep_left = KEEP_CONTENTS_MAX;
  gboolean ok = TRUE;

  for (guint i = 0; files[i] != NULL; i++)
    {
      GBytes *kept = NULL;
      char *problem = check_file (files[i], ok ? keep_left : 0, &kept);

      g_ptr_array_add (problems, problem);
      g_ptr_array_add (contents, kept);
      if (kept != NULL)
        keep_left -= g_bytes_get_size (kept);
      ok = ok && problem == NULL;
    }
  return ok;
}

/* Writes the JSON report of a run that stopped before it connected
 * because some files cannot be sent: every file is not attempted, and a
 * bad file's detail is its problem. */
static void
write_refused_report (const SendConfig *config, char **files,
                      GPtrArray *problems, const char *report_path)
{
  g_autoptr (GError) error = NULL;
  SendRun run;

  send_run_init (&run, files);
  run.local_error = TRUE;
  run.session_error = g_strdup (_("some files cannot be sent, so nothing "
                                  "was sent"));
  for (guint i = 0; i < run.n_files; i++)
    {
      const char *problem = g_ptr_array_index (problems, i);

      run.files[i].done = TRUE;
      run.files[i].detail = g_strdup (problem ? problem : run.session_error);
    }

  if (!send_report_write_json (&run, config, report_path, &error))
    g_printerr (_("naccs-send: %s\n"), error->message);
  send_run_clear (&run);
}

/* Loads --action-table, if given, into @table. */
static gboolean
load_action_table (const Options *options, NaccsClientActionTable **table,
                   GError **error)
{
  if (options->action_table == NULL)
    return TRUE;

  *table = naccs_client_action_table_load_file (options->action_table, error);
  return *table != NULL;
}

/* Cancels a run on SIGINT or SIGTERM.  The run blocks and iterates no main
 * loop, so the signal sources get a thread of their own, which is safe
 * because g_cancellable_cancel() may be called from any thread. */
typedef struct {
  GMainContext *context;
  GThread *thread;
  GCancellable *cancellable;
  gint stop; /* atomic: the thread ends at its next wakeup */
} SignalWatch;

typedef struct {
  SignalWatch *watch;
  int signal_number;
  const char *signal_name;
} SignalSource;

static gboolean
on_signal (gpointer user_data)
{
  const SignalSource *source = user_data;

  /* NOTE: a second signal does nothing more; the run ends soon anyway,
   * because every wait is cancelled and QUIT waits at most 2 seconds. */
  if (!g_cancellable_is_cancelled (source->watch->cancellable))
    {
      g_cancellable_cancel (source->watch->cancellable);
      g_info ("event=cancelled signal=%s", source->signal_name);
      g_printerr (_("naccs-send: %s received: ending the session; files "
                    "not sent yet are reported as not attempted\n"),
                  source->signal_name);
    }
  return G_SOURCE_CONTINUE;
}

/* Iterates the watch's context until signal_watch_stop().  A flag and a
 * wakeup, not g_main_loop_quit(), because a quit that comes before the
 * loop runs would be lost. */
static gpointer
run_signal_loop (gpointer user_data)
{
  SignalWatch *watch = user_data;

  g_main_context_push_thread_default (watch->context);
  while (!g_atomic_int_get (&watch->stop))
    g_main_context_iteration (watch->context, TRUE);
  g_main_context_pop_thread_default (watch->context);
  return NULL;
}

static void
signal_watch_start (SignalWatch *watch, GCancellable *cancellable)
{
  static SignalSource sources[] = {
    { NULL, SIGINT, "SIGINT" },
    { NULL, SIGTERM, "SIGTERM" },
  };

  watch->cancellable = cancellable;
  watch->context = g_main_context_new ();
  for (gsize i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      GSource *source = g_unix_signal_source_new (sources[i].signal_number);

      sources[i].watch = watch;
      g_source_set_callback (source, on_signal, &sources[i], NULL);
      g_source_attach (source, watch->context);
      g_source_unref (source);
    }
  watch->thread = g_thread_new ("naccs-send-signals", run_signal_loop, watch);
}

/* Stops the thread; destroying the sources restores the default action of
 * both signals. */
static void
signal_watch_stop (SignalWatch *watch)
{
  g_atomic_int_set (&watch->stop, 1);
  g_main_context_wakeup (watch->context);
  g_thread_join (watch->thread);
  g_main_context_unref (watch->context);
}

/* Sends the files, prints the outcomes and writes the report.  @contents
 * contains what check_all_files() kept, one entry per file; the run takes
 * those octets over.  Returns the exit status. */
static int
send_all (const SendConfig *config, char **files, GPtrArray *contents,
          const char *report_path)
{
  g_autoptr (GError) error = NULL;
  SendRun run;
  int status;

  send_run_init (&run, files);
  for (guint i = 0; i < run.n_files; i++)
    run.files[i].contents = g_steal_pointer (&contents->pdata[i]);
  send_plan_execute (config, &run);
  send_report_print (&run);
  status = send_report_exit_status (&run);

  if (report_path != NULL
      && !send_report_write_json (&run, config, report_path, &error))
    {
      g_printerr (_("naccs-send: %s\n"), error->message);
      status = EXIT_LOCAL_ERROR;
    }

  send_run_clear (&run);
  return status;
}

static void
init_gettext (void)
{
  setlocale (LC_ALL, "");
  /* NACCS_LOCALEDIR points an uninstalled build at BUILDDIR/po, where
   * meson writes the catalogues; installed programs use LOCALEDIR. */
  const char *localedir = g_getenv ("NACCS_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE,
                  localedir != NULL && *localedir != '\0'
                  ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

static gboolean
parse_options (int *argc, char ***argv, Options *options, GError **error)
{
  g_autoptr (GOptionContext) context = create_option_context (options);

  return g_option_context_parse (context, argc, argv, error);
}

/* Checks @value of @option with the library's RFC 5321 check (a domain
 * when @is_domain), so that a CR, LF or other character that would break
 * the command line stops the run before it connects. */
static gboolean
check_smtp_argument (const char *option, const char *value,
                     gboolean is_domain, GError **error)
{
  g_autoptr (GError) invalid = NULL;
  gboolean ok = is_domain ? naccs_client_validate_domain (value, &invalid)
                          : naccs_client_validate_address (value, &invalid);

  if (ok)
    return TRUE;
  return fail_usage (error, _("invalid %s: %s"), option, invalid->message);
}

/* Parses and checks every option into @config. */
static gboolean
configure (Options *options, SendConfig *config, char **report_path,
           GError **error)
{
  if (!check_required (options, error)
      || !parse_server (options->server, &config->host, &config->port, error)
      || !parse_timeouts (options, &config->timeouts, error)
      || !parse_retries (options, config, error)
      || !parse_report (options->report, report_path, error))
    return FALSE;

  if (options->to == NULL)
    options->to = g_strdup (DEFAULT_RECIPIENT);
  if (!check_smtp_argument ("--helo", options->helo, TRUE, error)
      || !check_smtp_argument ("--from", options->from, FALSE, error)
      || !check_smtp_argument ("--to", options->to, FALSE, error))
    return FALSE;
  config->helo = options->helo;
  config->from = options->from;
  config->to = options->to;
  config->resend_unknown = options->resend_unknown;
  config->verbose = options->verbose;
  return TRUE;
}

int
main (int argc, char *argv[])
{
  Options options = { 0 };
  SendConfig config;
  g_autoptr (NaccsClientActionTable) table = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *report_path = NULL;
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) contents = g_ptr_array_new_with_free_func (
      unref_bytes);
  int status;

  init_gettext ();
  send_config_init (&config);

  if (!parse_options (&argc, &argv, &options, &error)
      || (!options.version
          && !configure (&options, &config, &report_path, &error)))
    {
      g_printerr (_("naccs-send: %s\n"), error->message);
      g_printerr (_("Run \"naccs-send --help\" to see the options.\n"));
      options_clear (&options);
      g_free (config.host);
      return EXIT_LOCAL_ERROR;
    }

  if (options.version)
    {
      g_print ("naccs-send %s\n", PACKAGE_VERSION);
      options_clear (&options);
      return EXIT_ALL_ACCEPTED;
    }

  if ((report_path != NULL && !send_report_check_path (report_path, &error))
      || !load_action_table (&options, &table, &error))
    {
      g_printerr (_("naccs-send: %s\n"), error->message);
      status = EXIT_LOCAL_ERROR;
    }
  else if (!check_all_files (options.files, problems, contents))
    {
      if (report_path != NULL)
        write_refused_report (&config, options.files, problems, report_path);
      status = EXIT_LOCAL_ERROR;
    }
  else
    {
      g_autoptr (GCancellable) cancellable = g_cancellable_new ();
      SignalWatch watch = { 0 };

      signal_watch_start (&watch, cancellable);
      config.table = table;
      config.cancellable = cancellable;
      status = send_all (&config, options.files, contents, report_path);
      signal_watch_stop (&watch);
    }

  options_clear (&options);
  g_free (config.host);
  return status;
}
