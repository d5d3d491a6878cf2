/* cli-scenario.c: the scenario modes of naccs-sim.
 *
 * `--validate FILE...` loads scenarios and prints each one's first error.
 * `--scenario FILE` plays a scenario against whatever client connects
 * (scenario-run.c), prints the verdicts on the terminal and writes the
 * reports asked for with `--report FORMAT:FILE` (report-*.c).  With
 * `--once` it exits after one run; without it, it serves the scenario
 * again for the next client until SIGINT or SIGTERM.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <glib-unix.h>

#include "cli-scenario.h"
#include "report.h"

typedef enum {
  REPORT_TEXT,
  REPORT_JSON,
  REPORT_JUNIT,
} ReportFormat;

typedef struct {
  ReportFormat format;
  char *path;
} ReportRequest;

static gboolean interrupted;

void
naccs_sim_scenario_add_options (GOptionContext *context,
                                NaccsSimScenarioOptions *options)
{
  const GOptionEntry entries[] = {
    { "scenario", 0, 0, G_OPTION_ARG_FILENAME, &options->scenario,
      N_("Play the YAML scenario FILE against the client that connects and "
         "judge its conduct"), N_("FILE") },
    { "once", 0, 0, G_OPTION_ARG_NONE, &options->once,
      N_("With --scenario: serve one run of the scenario, report and exit"),
      NULL },
    { "report", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->reports,
      N_("With --scenario: also write a report, FORMAT is text, json or "
         "junit and FILE may be - for standard output; repeatable"),
      N_("FORMAT:FILE") },
    { "fixtures-dir", 0, 0, G_OPTION_ARG_FILENAME, &options->fixtures_dir,
      N_("Directory the scenario's message paths are relative to (default: "
         "fixtures beside the scenario directory, else the installed "
         "fixtures)"), N_("DIR") },
    { "time-limit", 0, 0, G_OPTION_ARG_DOUBLE, &options->time_limit,
      N_("With --scenario: seconds one run may take before the server "
         "stops it (default 300)"), N_("SECONDS") },
    { "linger", 0, 0, G_OPTION_ARG_DOUBLE, &options->linger,
      N_("With --scenario: seconds to wait for another connection after the "
         "scenario's connections have ended (default 1)"), N_("SECONDS") },
    { "validate", 0, 0, G_OPTION_ARG_NONE, &options->validate,
      N_("Only load and check the scenario files given as arguments; a "
         "directory stands for its *.yaml files"),
      NULL },
    G_OPTION_ENTRY_NULL
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

void
naccs_sim_scenario_options_clear (NaccsSimScenarioOptions *options)
{
  g_clear_pointer (&options->scenario, g_free);
  g_clear_pointer (&options->reports, g_strfreev);
  g_clear_pointer (&options->fixtures_dir, g_free);
}

gboolean
naccs_sim_scenario_options_check (const NaccsSimScenarioOptions *options,
                                  GError **error)
{
  const char *orphan = NULL;

  if (options->scenario != NULL)
    return TRUE;
  if (options->once)
    orphan = "--once";
  else if (options->reports != NULL)
    orphan = "--report";
  else if (options->time_limit != NACCS_SIM_OPTION_UNSET_SECONDS)
    orphan = "--time-limit";
  else if (options->linger != NACCS_SIM_OPTION_UNSET_SECONDS)
    orphan = "--linger";
  if (orphan == NULL)
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("%s applies to scenario runs only: add --scenario FILE, or "
                 "leave %s out"), orphan, orphan);
  return FALSE;
}

char *
naccs_sim_find_fixtures_dir (const char *explicit_dir,
                             const char *scenario_path)
{
  g_autofree char *scenario_dir = NULL;
  g_autofree char *beside = NULL;

  if (explicit_dir != NULL)
    return g_strdup (explicit_dir);
  scenario_dir = g_path_get_dirname (scenario_path);
  beside = g_build_filename (scenario_dir, "..", "fixtures", NULL);
  if (g_file_test (beside, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&beside);
  return g_build_filename (PKGDATADIR, "fixtures", NULL);
}

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
is_scenario_name (const char *path)
{
  return g_str_has_suffix (path, ".yaml") || g_str_has_suffix (path, ".yml");
}

/* Adds @path to @paths: a directory contributes its *.yaml and *.yml
 * files in name order, a file itself.  Files with another suffix
 * (READMEs and meson.build, which a shell glob of the scenarios directory
 * also expands to)
 * are reported as skipped rather than parsed as YAML. */
static void
collect_scenario_paths (const char *path, GPtrArray *paths)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) names = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      if (is_scenario_name (path))
        g_ptr_array_add (paths, g_strdup (path));
      else
        g_print (_("%s: skipped, not a scenario file (*.yaml or *.yml)\n"),
                 path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  names = g_ptr_array_new_with_free_func (g_free);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (is_scenario_name (name))
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (paths, g_strdup (g_ptr_array_index (names, i)));
}

/* Loads one scenario and prints its verdict.  @ids maps each id seen so
 * far to its file, because a suite refuses two scenarios with one id.
 * Returns TRUE when the file is valid. */
static gboolean
validate_one (const NaccsSimScenarioOptions *options, const char *path,
              GHashTable *ids)
{
  g_autofree char *fixtures =
    naccs_sim_find_fixtures_dir (options->fixtures_dir, path);
  g_autoptr (GError) error = NULL;
  g_autoptr (NaccsSimScenario) scenario =
    naccs_sim_scenario_load (path, fixtures, &error);
  const char *first;

  if (scenario == NULL)
    {
      g_printerr ("%s\n", error->message);
      return FALSE;
    }
  first = g_hash_table_lookup (ids, scenario->id);
  if (first != NULL)
    {
      g_printerr (_("%s: scenario id \"%s\" is already used by %s; give "
                    "each scenario an id of its own\n"),
                  path, scenario->id, first);
      return FALSE;
    }
  g_hash_table_insert (ids, g_strdup (scenario->id), g_strdup (path));
  g_print (_("%s: valid (scenario %s)\n"), path, scenario->id);
  return TRUE;
}

int
naccs_sim_cli_validate (const NaccsSimScenarioOptions *options, int argc,
                        char **argv)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) ids =
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  guint invalid = 0;

  if (argc < 2)
    {
      g_printerr ("naccs-sim: %s\n",
                  _("--validate needs one or more scenario files as "
                    "arguments, e.g. naccs-sim --validate scenarios/*.yaml"));
      return 2;
    }
  for (int i = 1; i < argc; i++)
    collect_scenario_paths (argv[i], paths);
  for (guint i = 0; i < paths->len; i++)
    if (!validate_one (options, g_ptr_array_index (paths, i), ids))
      invalid++;
  if (invalid > 0)
    g_printerr (ngettext ("%u of %u scenario is invalid\n",
                          "%u of %u scenarios are invalid\n", paths->len),
                invalid, paths->len);
  return invalid > 0 ? 1 : 0;
}

/* Checks before the run that a report can be written to @path, so a typo
 * in a directory name costs nothing: the directory exists and is
 * writable, and @path is not a directory.  "-" is standard output. */
static gboolean
check_report_path (const char *path, GError **error)
{
  g_autofree char *dir = NULL;

  if (strcmp (path, "-") == 0)
    return TRUE;
  dir = g_path_get_dirname (path);
  if (g_file_test (path, G_FILE_TEST_IS_DIR)
      || !g_file_test (dir, G_FILE_TEST_IS_DIR) || g_access (dir, W_OK) != 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("cannot write the --report file \"%s\": give a file "
                     "name in an existing, writable directory"), path);
      return FALSE;
    }
  return TRUE;
}

static void
report_request_free (ReportRequest *request)
{
  g_free (request->path);
  g_free (request);
}

/* Parses the --report values before the run, so a typo costs nothing. */
static GPtrArray *
parse_report_requests (char **values, GError **error)
{
  static const struct {
    const char *name;
    ReportFormat format;
  } formats[] = {
    { "text", REPORT_TEXT }, { "json", REPORT_JSON }, { "junit", REPORT_JUNIT },
  };
  g_autoptr (GPtrArray) requests =
    g_ptr_array_new_with_free_func ((GDestroyNotify) report_request_free);

  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      const char *colon = strchr (values[i], ':');
      ReportRequest *request = NULL;

      for (gsize f = 0; colon != NULL && f < G_N_ELEMENTS (formats); f++)
        if (strlen (formats[f].name) == (gsize) (colon - values[i])
            && strncmp (values[i], formats[f].name, colon - values[i]) == 0
            && colon[1] != '\0')
          {
            request = g_new0 (ReportRequest, 1);
            request->format = formats[f].format;
            request->path = g_strdup (colon + 1);
          }
      if (request != NULL && !check_report_path (request->path, error))
        {
          report_request_free (request);
          return NULL;
        }
      if (request == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("invalid --report \"%s\": write FORMAT:FILE with "
                         "FORMAT text, json or junit, e.g. junit:report.xml"),
                       values[i]);
          return NULL;
        }
      g_ptr_array_add (requests, request);
    }
  return g_steal_pointer (&requests);
}

static char **
id_list (const GPtrArray *ids)
{
  GPtrArray *list = g_ptr_array_new ();

  for (guint i = 0; ids != NULL && i < ids->len; i++)
    g_ptr_array_add (list, g_strdup (g_ptr_array_index (ids, i)));
  g_ptr_array_add (list, NULL);
  return (char **) g_ptr_array_free (list, FALSE);
}

static char *
render_report (ReportFormat format, const NaccsSimReportScenario *record,
               gboolean colour)
{
  const NaccsSimReportScenario *records[] = { record };

  switch (format)
    {
    case REPORT_JSON:
      return naccs_sim_report_json (records, 1);
    case REPORT_JUNIT:
      return naccs_sim_report_junit (records, 1);
    case REPORT_TEXT:
    default:
      return naccs_sim_report_text (records, 1, colour);
    }
}

/* Prints the summary on the terminal and writes each requested report. */
static gboolean
write_reports (const NaccsSimRunResult *result, const GPtrArray *requests)
{
  g_auto (GStrv) pass_ids = id_list (result->scenario->expect.pass);
  g_auto (GStrv) fail_ids = id_list (result->scenario->expect.fail);
  NaccsSimReportScenario record = {
    .id = result->scenario->id,
    .title = naccs_sim_scenario_get_title (result->scenario),
    .duration_us = result->duration_us,
    .verdicts = result->verdicts,
    .pass_ids = (const char *const *) pass_ids,
    .fail_ids = (const char *const *) fail_ids,
  };
  g_autofree char *summary =
    render_report (REPORT_TEXT, &record,
                   naccs_sim_report_colour_wanted (STDOUT_FILENO));
  gboolean ok = TRUE;

  fputs (summary, stdout);
  if (result->why != NULL)
    g_print (_("Scenario %s: %s\n"), record.id, result->why);
  else
    g_print (_("Scenario %s met.\n"), record.id);
  fflush (stdout);

  for (guint i = 0; i < requests->len; i++)
    {
      const ReportRequest *request = g_ptr_array_index (requests, i);
      g_autofree char *contents = render_report (request->format, &record,
                                                 FALSE);
      g_autoptr (GError) error = NULL;

      if (!naccs_sim_report_save (request->path, contents, &error))
        {
          g_printerr ("naccs-sim: %s\n", error->message);
          ok = FALSE;
        }
    }
  return ok;
}

static void
print_listening (const char *address, gpointer user_data)
{
  (void) user_data;
  /* Not translated: scripts read this line to learn the port. */
  g_print ("listening on %s\n", address);
  fflush (stdout);
}

static gboolean
on_stop_signal (gpointer user_data)
{
  (void) user_data;
  g_message ("event=signal action=stop");
  interrupted = TRUE;
  naccs_sim_run_interrupt ();
  return G_SOURCE_CONTINUE;
}

static gboolean
seconds_to_ms (const char *name, gdouble seconds, guint *target_ms,
               GError **error)
{
  if (seconds == NACCS_SIM_OPTION_UNSET_SECONDS)
    return TRUE;
  if (!(seconds > 0) || seconds > 86400)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("invalid %s %g: give a number of seconds greater than 0 "
                     "and at most 86400"), name, seconds);
      return FALSE;
    }
  *target_ms = MAX ((guint) (seconds * 1000.0 + 0.5), 1);
  return TRUE;
}

static int
run_scenario (NaccsSimScenario *scenario, const NaccsSimConfig *config,
              const NaccsSimRunOptions *run_options, const GPtrArray *requests)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NaccsSimRunResult) result =
    naccs_sim_run_scenario (config, scenario, run_options, print_listening,
                            NULL, &error);

  if (result == NULL)
    {
      g_printerr ("naccs-sim: %s\n", error->message);
      return 2;
    }
  if (!write_reports (result, requests))
    return 2;
  return result->met ? 0 : 1;
}

int
naccs_sim_cli_run (const NaccsSimScenarioOptions *options,
                   const NaccsSimConfig *config)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  g_autoptr (NaccsSimScenario) scenario = NULL;
  g_autofree char *fixtures =
    naccs_sim_find_fixtures_dir (options->fixtures_dir, options->scenario);
  NaccsSimRunOptions run_options;
  int status = 0;
  guint sigint, sigterm;

  naccs_sim_run_options_init (&run_options);
  requests = parse_report_requests (options->reports, &error);
  if (requests == NULL
      || !seconds_to_ms ("--time-limit", options->time_limit,
                         &run_options.time_limit_ms, &error)
      || !seconds_to_ms ("--linger", options->linger, &run_options.linger_ms,
                         &error)
      || (scenario = naccs_sim_scenario_load (options->scenario, fixtures,
                                              &error)) == NULL)
    {
      g_printerr ("naccs-sim: %s\n", error->message);
      return 2;
    }

  sigint = g_unix_signal_add (SIGINT, on_stop_signal, NULL);
  sigterm = g_unix_signal_add (SIGTERM, on_stop_signal, NULL);
  do
    {
      int run_status = run_scenario (scenario, config, &run_options,
                                     requests);

      status = MAX (status, run_status);
    }
  while (!options->once && !interrupted && status < 2);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  return status;
}
