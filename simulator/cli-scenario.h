/* cli-scenario.h: the scenario modes of the naccs-sim command line, see
 * cli-scenario.c. */
#pragma once

#include <glib.h>

#include "scenario-run.h"
#include "sim-config.h"

G_BEGIN_DECLS

/* Initial values that tell an option not given from any value a user can
 * give, so that 0 is checked like other values. */
#define NACCS_SIM_OPTION_UNSET_COUNT G_MININT
#define NACCS_SIM_OPTION_UNSET_SECONDS (-G_MAXDOUBLE)

typedef struct {
  char *scenario;          /* --scenario FILE */
  char **reports;          /* --report FORMAT:FILE, repeatable */
  char *fixtures_dir;      /* --fixtures-dir DIR */
  gboolean once;           /* --once */
  gboolean validate;       /* --validate FILE... */
  gdouble time_limit;      /* --time-limit SECONDS, or UNSET */
  gdouble linger;          /* --linger SECONDS, or UNSET */
} NaccsSimScenarioOptions;

/* Adds the scenario options, which fill @options, to the main group. */
void naccs_sim_scenario_add_options (GOptionContext *context,
                                     NaccsSimScenarioOptions *options);

void naccs_sim_scenario_options_clear (NaccsSimScenarioOptions *options);

/* Returns the fixtures directory for a scenario file: --fixtures-dir when
 * given, else "fixtures" beside the scenario's directory when it exists (a
 * source tree), else the installed one. */
char *naccs_sim_find_fixtures_dir (const char *explicit_dir,
                                   const char *scenario_path);

/* Checks that the options that only make sense with --scenario come with
 * it; sets @error naming the first one that does not. */
gboolean naccs_sim_scenario_options_check (const NaccsSimScenarioOptions *options,
                                           GError **error);

/* naccs-sim --validate FILE...: returns the exit status (0 all valid,
 * 1 some invalid, 2 none given). */
int naccs_sim_cli_validate (const NaccsSimScenarioOptions *options,
                            int argc, char **argv);

/* naccs-sim --scenario FILE: serves the scenario, once or again and again,
 * and returns the exit status (0 every expectation met, 1 some not met,
 * 2 the run could not be done). */
int naccs_sim_cli_run (const NaccsSimScenarioOptions *options,
                       const NaccsSimConfig *config);

G_END_DECLS
