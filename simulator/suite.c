/* suite.c: `naccs-sim suite`, the conformance suite runner.
 *
 * naccs-sim suite --client 'COMMAND' [--jobs N] [--timeout SECONDS]
 *   [--report FORMAT:FILE]... [--id ID]... [--tag TAG]... [--list]
 *   [SCENARIO_OR_DIRECTORY...]
 *
 * Plays every selected scenario against a fresh run of the client command,
 * several at a time, and judges the client with the same checks as
 * `naccs-sim --scenario`.  Everything that can be wrong with the command
 * line, the client command or any scenario file is found before the first
 * scenario runs.  Exit status: 0 every scenario passed, 1 some failed,
 * 2 the suite could not run.  Status 2 covers a bad option, no scenarios,
 * an invalid scenario, a run that could not be done, a report that could
 * not be written, and a stop by SIGINT or SIGTERM.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "report.h"
#include "suite-private.h"
#include "suite.h"

/* Bounds of --jobs and --timeout: beyond them a value is a typo. */
#define MAX_JOBS 1024
#define MAX_TIMEOUT_S 86400

typedef struct {
  char *client;
  char *jobs;               /* NULL: not given */
  char *timeout;            /* NULL: not given */
  char **reports;
  char **ids;
  char **tags;
  gboolean list;
  char *keep_spool;
  char *fixtures_dir;
  gboolean verbose;
  char **paths;
} SuiteOptions;

static void
suite_options_clear (SuiteOptions *options)
{
  g_free (options->client);
  g_free (options->jobs);
  g_free (options->timeout);
  g_strfreev (options->reports);
  g_strfreev (options->ids);
  g_strfreev (options->tags);
  g_free (options->keep_spool);
  g_free (options->fixtures_dir);
  g_strfreev (options->paths);
}

static gboolean verbose_logs;

/* TRUE for a log line about one session, such as the warning a session
 * logs when the client breaks a rule: the verdicts report those. */
static gboolean
is_session_log (const GLogField *fields, gsize n_fields)
{
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      return g_str_has_prefix (fields[i].value, "session=");
  return FALSE;
}

/* Keeps the terminal for the progress line and the summary.  The run
 * messages of every scenario (starts, ends, connections) and the
 * sessions' warnings show only with --verbose, other warnings and errors
 * always. */
static GLogWriterOutput
write_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
           gpointer user_data)
{
  (void) user_data;
  if (!verbose_logs
      && ((level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO
                    | G_LOG_LEVEL_DEBUG)) != 0
          || ((level & G_LOG_LEVEL_WARNING) != 0
              && is_session_log (fields, n_fields))))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, NULL);
}

static gboolean
parse_options (int *argc, char ***argv, SuiteOptions *options,
               GError **error)
{
  const GOptionEntry entries[] = {
    { "client", 'c', 0, G_OPTION_ARG_STRING, &options->client,
      N_("Command that runs the client under test, split like a shell "
         "command line; {host}, {port}, {helo}, {from}, {to}, {scenario} "
         "and {messages} are filled in per scenario"), N_("COMMAND") },
    { "jobs", 'j', 0, G_OPTION_ARG_STRING, &options->jobs,
      N_("Scenarios run at once (default: the number of processors)"),
      N_("N") },
    { "timeout", 't', 0, G_OPTION_ARG_STRING, &options->timeout,
      N_("Seconds one scenario may take, client included, before the "
         "client is killed (default 60)"), N_("SECONDS") },
    { "report", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &options->reports,
      N_("Also write a report; FORMAT is text, json, junit, tsv or cert "
         "(certification record) and FILE may be - for standard output; "
         "repeatable"), N_("FORMAT:FILE") },
    { "id", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->ids,
      N_("Run the scenario with this id; repeatable"), N_("ID") },
    { "tag", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->tags,
      N_("Run the scenarios with this tag; repeatable"), N_("TAG") },
    { "list", 'l', 0, G_OPTION_ARG_NONE, &options->list,
      N_("Only list the scenarios that would run: id, title and tags"),
      NULL },
    { "keep-spool", 0, 0, G_OPTION_ARG_FILENAME, &options->keep_spool,
      N_("Keep each scenario's spool, transcripts and client output in "
         "DIR/ID instead of a temporary directory"), N_("DIR") },
    { "fixtures-dir", 0, 0, G_OPTION_ARG_FILENAME, &options->fixtures_dir,
      N_("Directory the scenarios' message paths are relative to (default: "
         "fixtures beside each scenario directory, else the installed "
         "fixtures)"), N_("DIR") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose,
      N_("Log every run, connection and line on stderr"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY,
      &options->paths, NULL, N_("[SCENARIO_OR_DIRECTORY...]") },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context =
    g_option_context_new (NULL);

  g_option_context_set_summary (context,
                                _("Runs the conformance scenarios against a "
                                  "client: each scenario gets its own mock "
                                  "center mail server on a free loopback "
                                  "port and a fresh run of the client "
                                  "command.  Without scenario arguments the "
                                  "shipped library runs."));
  g_option_context_set_description (context,
                                    _("Exit status: 0 every scenario passed, "
                                      "1 some failed, 2 the suite could not "
                                      "run."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  return g_option_context_parse (context, argc, argv, error);
}

/* Checks --jobs and --timeout and fills in their defaults. */
static gboolean
check_numbers (const SuiteOptions *options, NaccsSimSuiteRunOptions *run,
               GError **error)
{
  guint64 jobs = MAX (g_get_num_processors (), 1);
  gdouble timeout = NACCS_SIM_SUITE_DEFAULT_TIMEOUT_S;
  char *end = NULL;

  if (options->jobs != NULL
      && !g_ascii_string_to_unsigned (options->jobs, 10, 1, MAX_JOBS, &jobs,
                                      NULL))
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_USAGE,
                   _("invalid --jobs %s: give a number from 1 to %d"),
                   options->jobs, MAX_JOBS);
      return FALSE;
    }
  if (options->timeout != NULL)
    timeout = g_ascii_strtod (options->timeout, &end);
  if (options->timeout != NULL
      && (end == options->timeout || *end != '\0' || !(timeout > 0)
          || timeout > MAX_TIMEOUT_S))
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_USAGE,
                   _("invalid --timeout %s: give a number of seconds greater "
                     "than 0 and at most %d"), options->timeout,
                   MAX_TIMEOUT_S);
      return FALSE;
    }
  run->jobs = (guint) jobs;
  run->timeout_ms = MAX ((guint) (timeout * 1000.0 + 0.5), 1);
  return TRUE;
}

/* Rejects a --keep-spool directory that already contains the spool of one
 * of the scenarios, so that two runs never mix their files. */
static gboolean
check_keep_spool (const char *dir, GPtrArray *entries, GError **error)
{
  for (guint i = 0; dir != NULL && i < entries->len; i++)
    {
      const NaccsSimSuiteEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *spool = g_build_filename (dir, entry->scenario->id,
                                                 NULL);

      if (g_file_test (spool, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, NACCS_SIM_SUITE_ERROR,
                       NACCS_SIM_SUITE_ERROR_USAGE,
                       _("--keep-spool: %s already exists; give a new or "
                         "empty directory"), spool);
          return FALSE;
        }
    }
  if (dir != NULL && g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_USAGE,
                   _("--keep-spool: cannot create %s: %s"), dir,
                   g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static void
print_list (GPtrArray *entries)
{
  guint width = 0;

  for (guint i = 0; i < entries->len; i++)
    width = MAX (width, strlen (((NaccsSimSuiteEntry *)
                                 entries->pdata[i])->scenario->id));
  for (guint i = 0; i < entries->len; i++)
    {
      const NaccsSimScenario *scenario =
        ((NaccsSimSuiteEntry *) entries->pdata[i])->scenario;
      g_autoptr (GString) tags = g_string_new (NULL);

      for (guint t = 0; t < scenario->tags->len; t++)
        g_string_append_printf (tags, "%s%s", t > 0 ? ", " : "",
                                (char *) g_ptr_array_index (scenario->tags,
                                                            t));
      g_print ("%-*s  %s  [%s]\n", (int) width, scenario->id,
               naccs_sim_scenario_get_title (scenario), tags->str);
    }
}

static int
exit_status_of (GPtrArray *results)
{
  int status = 0;

  for (guint i = 0; i < results->len; i++)
    {
      const NaccsSimSuiteResult *result = g_ptr_array_index (results, i);

      if (result->error != NULL)
        return 2;
      if (!result->passed)
        status = 1;
    }
  return status;
}

static void
free_results (GPtrArray *results)
{
  for (guint i = 0; i < results->len; i++)
    naccs_sim_suite_result_free (g_ptr_array_index (results, i));
  g_ptr_array_free (results, TRUE);
}

/* Runs the selected scenarios, prints the summary, writes the reports and
 * returns the exit status. */
static int
run_suite (const SuiteOptions *options, GPtrArray *entries,
           NaccsSimSuiteRunOptions *run, GError **error)
{
  NaccsSimSuiteRunInfo info = { 0 };
  GPtrArray *results;
  int status;

  info.command = options->client;
  info.jobs = run->jobs;
  info.timeout_ms = run->timeout_ms;
  info.started_us = g_get_real_time ();
  g_message ("event=suite-start scenarios=%u jobs=%u timeout_ms=%u",
             entries->len, run->jobs, run->timeout_ms);
  results = naccs_sim_suite_run_all (entries, run, error);
  if (results == NULL)
    return 2;
  info.duration_us = g_get_real_time () - info.started_us;

  naccs_sim_suite_print_summary (
    results, stdout, naccs_sim_report_colour_wanted (STDOUT_FILENO));
  status = exit_status_of (results);
  if (!naccs_sim_suite_write_reports (options->reports, results, &info))
    status = 2;
  g_message ("event=suite-end scenarios=%u status=%d", results->len,
             status);
  free_results (results);
  return status;
}

static int
suite_run (SuiteOptions *options, GError **error)
{
  NaccsSimSuiteRunOptions run = { 0 };
  g_auto (GStrv) client_argv = NULL;
  g_autoptr (GPtrArray) entries = NULL;

  if (!check_numbers (options, &run, error)
      || !naccs_sim_suite_reports_check (options->reports, error))
    return 2;
  if (!options->list)
    {
      client_argv = naccs_sim_suite_command_parse (options->client, error);
      if (client_argv == NULL
          || !naccs_sim_suite_command_check_program (client_argv, error))
        return 2;
    }
  entries = naccs_sim_suite_select (options->paths, options->fixtures_dir,
                                    options->ids, options->tags, error);
  if (entries == NULL)
    return 2;
  if (options->list)
    {
      print_list (entries);
      return 0;
    }
  if (!check_keep_spool (options->keep_spool, entries, error))
    return 2;

  run.client_argv = client_argv;
  run.keep_spool = options->keep_spool;
  run.progress = isatty (STDERR_FILENO) == 1;
  return run_suite (options, entries, &run, error);
}

int
naccs_sim_suite_main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  SuiteOptions options = { 0 };
  int status;

  g_set_prgname ("naccs-sim suite");
  if (!parse_options (&argc, &argv, &options, &error))
    {
      g_printerr ("naccs-sim suite: %s\n", error->message);
      suite_options_clear (&options);
      return 2;
    }
  verbose_logs = options.verbose;
  g_log_set_writer_func (write_log, NULL, NULL);
  if (options.verbose)
    g_log_set_debug_enabled (TRUE);

  status = suite_run (&options, &error);
  if (error != NULL)
    g_printerr ("naccs-sim suite: %s\n", error->message);
  suite_options_clear (&options);
  return status;
}
