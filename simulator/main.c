/* main.c: the naccs-sim program, a mock NACCS center mail server.
 *
 * It reads the options into a NaccsSimConfig, starts the server in one
 * GMainLoop and prints the bound address as "listening on ADDRESS:PORT" on
 * stdout, so scripts that pass port 0 can read the port.  That line is
 * not translated because scripts parse it.  SIGINT and SIGTERM stop
 * accepting, send 421 to every open session, close them (flushing
 * transcripts), wait for queued spool commits and exit with status 0; a
 * half-received message is never stored.  Exit status 2
 * means the server could not start: a bad option, an unusable spool
 * directory, or an address in use.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "cli-scenario.h"
#include "server.h"
#include "suite.h"

typedef struct {
  char *listen;
  char *spool;
  char *center_address;
  char *greeting;
  gint max_line_length;
  gint max_message_size;
  gint max_connections;
  gdouble idle_timeout;
  gdouble command_timeout;
  gboolean verbose;
  gboolean version;
  NaccsSimScenarioOptions scenario;
} Options;

static gboolean
on_stop_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("event=signal action=stop");
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_options (int *argc, char ***argv, Options *options, GError **error)
{
  const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &options->listen,
      N_("Listen on ADDRESS:PORT, or [IPV6]:PORT; port 0 picks a free port "
         "(default 127.0.0.1:2525)"), N_("ADDRESS:PORT") },
    { "spool", 's', 0, G_OPTION_ARG_FILENAME, &options->spool,
      N_("Store each accepted message and a transcript of each session in "
         "DIR, which must exist"), N_("DIR") },
    { "center-address", 0, 0, G_OPTION_ARG_STRING, &options->center_address,
      N_("The only recipient address accepted, compared without regard to "
         "case (default NACCS@EDIFACT.PROD.NACCS6)"), N_("ADDRESS") },
    { "greeting", 0, 0, G_OPTION_ARG_STRING, &options->greeting,
      N_("Text of the 220 greeting and of the reply to HELO (default "
         "EDIFACT.PROD.NACCS6)"), N_("TEXT") },
    { "max-line-length", 0, 0, G_OPTION_ARG_INT, &options->max_line_length,
      N_("Maximum line length in octets, CRLF included (default 1000)"),
      N_("OCTETS") },
    { "max-message-size", 0, 0, G_OPTION_ARG_INT, &options->max_message_size,
      N_("Maximum message size in octets as received (default 716800)"),
      N_("OCTETS") },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &options->max_connections,
      N_("Sessions served at once; more connections get 421 (default "
         "1000)"), N_("N") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &options->idle_timeout,
      N_("Seconds without a command after the last reply before 421 and "
         "close (default 3600)"), N_("SECONDS") },
    { "command-timeout", 0, 0, G_OPTION_ARG_DOUBLE,
      &options->command_timeout,
      N_("Seconds allowed to receive one command line, and between reads "
         "of a message (default 300)"), N_("SECONDS") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose,
      N_("Log connections, messages and every line in and out"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options->version,
      N_("Print the version and exit"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);

  g_option_context_set_summary (context,
                                _("Mock NACCS center mail server: accepts "
                                  "processing-request messages over SMTP "
                                  "as the center does."));
  g_option_context_set_description (context,
                                    _("Run `naccs-sim suite --help` for the "
                                      "conformance suite runner, which plays "
                                      "the scenario library against a "
                                      "client command."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  naccs_sim_scenario_add_options (context, &options->scenario);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (*argc > 1 && !options->scenario.validate)
    {
      /* A word such as "suit" is most likely a misspelt subcommand. */
      if ((*argv)[1][0] != '-')
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                     _("unexpected argument \"%s\": naccs-sim takes options "
                       "only, or the subcommand suite; see --help"),
                     (*argv)[1]);
      else
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                     _("unexpected argument \"%s\": naccs-sim takes options "
                       "only, see --help"), (*argv)[1]);
      return FALSE;
    }
  return TRUE;
}

static void
replace_string (char **target, const char *value)
{
  if (value == NULL)
    return;
  g_free (*target);
  *target = g_strdup (value);
}

/* Copies a count option that was given into @target; 0 is refused like
 * any other value below 1, not taken as "use the default". */
static gboolean
apply_count (const char *name, gint value, guint *target, GError **error)
{
  if (value == NACCS_SIM_OPTION_UNSET_COUNT)
    return TRUE;
  if (value <= 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("invalid %s %d: give a positive number"), name, value);
      return FALSE;
    }
  *target = (guint) value;
  return TRUE;
}

/* Copies a timeout option that was given into @target_ms. */
static gboolean
apply_seconds (const char *name, gdouble seconds, guint *target_ms,
               GError **error)
{
  if (seconds == NACCS_SIM_OPTION_UNSET_SECONDS)
    return TRUE;
  if (!(seconds > 0) || seconds > G_MAXINT / 1000.0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("invalid %s %g: give a number of seconds greater than "
                     "0"), name, seconds);
      return FALSE;
    }
  *target_ms = MAX ((guint) (seconds * 1000.0 + 0.5), 1);
  return TRUE;
}

static gboolean
apply_options (const Options *options, NaccsSimConfig *config,
               GError **error)
{
  replace_string (&config->listen, options->listen);
  replace_string (&config->spool_dir, options->spool);
  replace_string (&config->center_address, options->center_address);
  replace_string (&config->greeting, options->greeting);

  return apply_count ("--max-line-length", options->max_line_length,
                      &config->max_line_length, error)
         && apply_count ("--max-message-size", options->max_message_size,
                         &config->max_message_size, error)
         && apply_count ("--max-connections", options->max_connections,
                         &config->max_connections, error)
         && apply_seconds ("--idle-timeout", options->idle_timeout,
                           &config->idle_timeout_ms, error)
         && apply_seconds ("--command-timeout", options->command_timeout,
                           &config->command_timeout_ms, error)
         && naccs_sim_config_validate (config, error);
}

static void
log_start (const NaccsSimConfig *config, const char *address)
{
  g_message ("event=start version=%s listen=%s spool=%s center_address=%s "
             "max_line_length=%u max_message_size=%u max_connections=%u "
             "idle_timeout_ms=%u command_timeout_ms=%u", PACKAGE_VERSION,
             address, config->spool_dir != NULL ? config->spool_dir : "none",
             config->center_address, config->max_line_length,
             config->max_message_size, config->max_connections,
             config->idle_timeout_ms, config->command_timeout_ms);
}

static void
clear_options (Options *options)
{
  g_free (options->listen);
  g_free (options->spool);
  g_free (options->center_address);
  g_free (options->greeting);
  naccs_sim_scenario_options_clear (&options->scenario);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (NaccsSimServer) server = NULL;
  g_autofree char *address = NULL;
  Options options = {
    .max_line_length = NACCS_SIM_OPTION_UNSET_COUNT,
    .max_message_size = NACCS_SIM_OPTION_UNSET_COUNT,
    .max_connections = NACCS_SIM_OPTION_UNSET_COUNT,
    .idle_timeout = NACCS_SIM_OPTION_UNSET_SECONDS,
    .command_timeout = NACCS_SIM_OPTION_UNSET_SECONDS,
    .scenario.time_limit = NACCS_SIM_OPTION_UNSET_SECONDS,
    .scenario.linger = NACCS_SIM_OPTION_UNSET_SECONDS,
  };
  NaccsSimConfig config;

  setlocale (LC_ALL, "");
  /* NACCS_LOCALEDIR points an uninstalled build at BUILDDIR/po, where
   * meson writes the catalogues; installed programs use LOCALEDIR. */
  const char *localedir = g_getenv ("NACCS_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE,
                  localedir != NULL && *localedir != '\0'
                  ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* stdout carries only the "listening on" line that scripts read. */
  g_log_writer_default_set_use_stderr (TRUE);
  /* A client that vanishes must cost a write error, not the process. */
  signal (SIGPIPE, SIG_IGN);
  /* `naccs-sim suite ...` has options of its own (suite.c). */
  if (argc > 1 && g_strcmp0 (argv[1], "suite") == 0)
    return naccs_sim_suite_main (argc - 1, argv + 1);

  naccs_sim_config_init (&config);
  if (!parse_options (&argc, &argv, &options, &error)
      || (!options.version
          && (!naccs_sim_scenario_options_check (&options.scenario, &error)
              || !apply_options (&options, &config, &error))))
    {
      g_printerr ("naccs-sim: %s\n", error->message);
      clear_options (&options);
      naccs_sim_config_clear (&config);
      return 2;
    }
  if (options.version)
    {
      g_print ("naccs-sim %s\n", PACKAGE_VERSION);
      clear_options (&options);
      naccs_sim_config_clear (&config);
      return 0;
    }
  if (options.verbose)
    g_log_set_debug_enabled (TRUE);
  if (options.scenario.validate || options.scenario.scenario != NULL)
    {
      int status = options.scenario.validate
                     ? naccs_sim_cli_validate (&options.scenario, argc, argv)
                     : naccs_sim_cli_run (&options.scenario, &config);

      clear_options (&options);
      naccs_sim_config_clear (&config);
      return status;
    }
  clear_options (&options);

  server = naccs_sim_server_new (&config, NULL, &error);
  if (server == NULL)
    {
      g_printerr ("naccs-sim: %s\n", error->message);
      naccs_sim_config_clear (&config);
      return 2;
    }
  address = naccs_sim_server_get_address (server);
  g_print ("listening on %s\n", address);
  fflush (stdout);
  log_start (&config, address);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_stop_signal, loop);
  g_unix_signal_add (SIGTERM, on_stop_signal, loop);
  g_main_loop_run (loop);

  /* RFC 5321 section 3.8: the open sessions get 421 before the close,
   * and the wait for them to read it and close is bounded at 1 s. */
  naccs_sim_server_shut_down (server, 1000);
  g_message ("event=stop connections=%u",
             naccs_sim_server_get_connection_count (server));
  naccs_sim_config_clear (&config);
  return 0;
}
