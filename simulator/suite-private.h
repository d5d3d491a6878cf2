/* suite-private.h: what the files of the suite runner share.
 *
 * suite.c reads the command line and drives the run, suite-select.c finds
 * and loads the scenarios, suite-command.c fills in the client command,
 * suite-run.c plays each scenario against its own client process, and
 * suite-report.c and suite-cert.c present the results.
 */
#pragma once

#include <stdio.h>

#include <glib.h>

#include "checks.h"
#include "scenario-run.h"
#include "scenario.h"

G_BEGIN_DECLS

#define NACCS_SIM_SUITE_ERROR (naccs_sim_suite_error_quark ())
GQuark naccs_sim_suite_error_quark (void);

typedef enum {
  NACCS_SIM_SUITE_ERROR_USAGE,      /* a bad option value */
  NACCS_SIM_SUITE_ERROR_COMMAND,    /* --client cannot be parsed or run */
  NACCS_SIM_SUITE_ERROR_SCENARIOS,  /* none found, a bad one, a bad filter */
  NACCS_SIM_SUITE_ERROR_RUN,        /* a scenario run could not be done */
} NaccsSimSuiteError;

/* Id of the check the suite adds to every scenario: the client under test
 * exits by itself within the time limit, with the exit status the scenario
 * expects when it names one. */
#define NACCS_SIM_SUITE_CLIENT_EXIT "CLIENT-EXIT"

/* Default wall-clock limit of one scenario, client included. */
#define NACCS_SIM_SUITE_DEFAULT_TIMEOUT_S 60

/* ---- scenarios (suite-select.c) ---- */

typedef struct {
  char *path;                  /* absolute path of the scenario file */
  char *sha256;                /* hex SHA-256 of the file's bytes */
  NaccsSimScenario *scenario;
} NaccsSimSuiteEntry;

void naccs_sim_suite_entry_free (NaccsSimSuiteEntry *entry);

/* Returns the directory of the shipped scenarios: $NACCS_SCENARIOS_DIR
 * when set, the source tree's scenarios/ when this program runs from its
 * build directory, else the installed PKGDATADIR/scenarios. */
char *naccs_sim_suite_library_dir (void);

/* Loads every scenario named in @paths (files, or directories whose *.yaml
 * files are taken in name order; the library when @paths is empty) and
 * keeps those that @ids or @tags select (either list may be NULL; a
 * scenario is kept when it matches one entry of either list, or when both
 * are empty).  Every file is loaded before any runs, and every error is
 * printed; returns NULL with @error set when any file is invalid, two
 * files share an id, a filter matches nothing, or nothing is left. */
GPtrArray *naccs_sim_suite_select (char **paths, const char *fixtures_dir,
                                   char **ids, char **tags, GError **error);

/* ---- the client command (suite-command.c) ---- */

/* The values a client command line is filled in with. */
typedef struct {
  const char *host;
  const char *port;
  const char *helo;
  const char *from;
  const char *to;
  const char *scenario;        /* the scenario id */
  const char *scenario_file;
  const char *const *messages; /* NULL-terminated fixture paths */
} NaccsSimSuiteClientValues;

/* Splits @command as a POSIX shell would (g_shell_parse_argv) and checks
 * its placeholders: {host} {port} {helo} {from} {to} {messages} {scenario},
 * with {{ for a literal "{".  Does not look for the program. */
char **naccs_sim_suite_command_parse (const char *command, GError **error);

/* Checks that the program of @argv exists and is executable. */
gboolean naccs_sim_suite_command_check_program (char **argv, GError **error);

/* Returns @argv with the placeholders filled in; an argument holding
 * {messages} becomes one argument per message, or none. */
char **naccs_sim_suite_command_expand (char **argv,
                                       const NaccsSimSuiteClientValues *values);

/* Returns the NACCS_* environment variables for @values as NAME=VALUE. */
char **naccs_sim_suite_command_environment (
  const NaccsSimSuiteClientValues *values);

/* ---- running (suite-run.c) ---- */

typedef struct {
  char **client_argv;          /* parsed --client, placeholders unfilled */
  guint jobs;
  guint timeout_ms;
  const char *keep_spool;      /* nullable: keep each spool in DIR/<id> */
  gboolean progress;           /* show a progress line on stderr */
} NaccsSimSuiteRunOptions;

/* The outcome of one scenario of the suite. */
typedef struct {
  const NaccsSimSuiteEntry *entry;
  NaccsSimRunResult *run;      /* NULL when the run could not be done */
  char *error;                 /* translated reason when run is NULL */
  GPtrArray *verdicts;         /* NaccsSimVerdict*: the run's verdicts (or
                                  none) followed by CLIENT-EXIT */
  char **pass_ids;             /* the expectation, CLIENT-EXIT added */
  char **fail_ids;
  gboolean passed;
  gint64 duration_us;          /* the scenario's wall time */
  gboolean client_started;
  gboolean client_killed;      /* killed at the time limit */
  int exit_status;             /* when exited normally, else -1 */
  int term_signal;             /* when ended by a signal, else 0 */
  char *stderr_tail;           /* last lines the client wrote to stderr */
  char *spool_dir;             /* where its spool was (removed unless kept) */
} NaccsSimSuiteResult;

void naccs_sim_suite_result_free (NaccsSimSuiteResult *result);

/* Runs every entry of @entries (NaccsSimSuiteEntry*) against its own client
 * process, @options->jobs at a time (suite-pool.c), and returns one NaccsSimSuiteResult
 * per entry in the same order.  Returns NULL with @error set when SIGINT
 * or SIGTERM stopped the suite. */
GPtrArray *naccs_sim_suite_run_all (GPtrArray *entries,
                                    const NaccsSimSuiteRunOptions *options,
                                    GError **error);

/* Runs one entry in the calling thread, which must have pushed its own
 * thread-default GMainContext. */
NaccsSimSuiteResult *naccs_sim_suite_run_one (
  const NaccsSimSuiteEntry *entry, const NaccsSimSuiteRunOptions *options);

/* Kills the process group of every running client, for SIGINT and
 * SIGTERM; each run then ends as after any client exit.  Thread-safe. */
void naccs_sim_suite_kill_clients (void);

/* ---- reports (suite-report.c, suite-cert.c) ---- */

/* What the certification record names besides the results. */
typedef struct {
  const char *command;         /* --client as given */
  guint jobs;
  guint timeout_ms;
  gint64 started_us;           /* g_get_real_time() at the start */
  gint64 duration_us;
} NaccsSimSuiteRunInfo;

/* Checks --report FORMAT:FILE values before the run. */
gboolean naccs_sim_suite_reports_check (char **values, GError **error);

/* Prints the summary table and the failing checks with their evidence. */
void naccs_sim_suite_print_summary (GPtrArray *results, FILE *out,
                                    gboolean colour);

/* Writes every --report value; returns FALSE after printing why when one
 * could not be written. */
gboolean naccs_sim_suite_write_reports (char **values, GPtrArray *results,
                                        const NaccsSimSuiteRunInfo *info);

/* Returns the certification record (JSON) of a finished suite. */
char *naccs_sim_suite_cert_json (GPtrArray *results,
                                 const NaccsSimSuiteRunInfo *info);

/* Returns "scenario<TAB>check<TAB>status" lines, one per verdict. */
char *naccs_sim_suite_verdicts_tsv (GPtrArray *results);

G_END_DECLS
