/* report.h: the reports naccs-sim writes from the verdicts of one or more
 * scenario runs: readable text, JSON and JUnit XML.
 *
 * All three writers read the same NaccsSimReportScenario records and
 * judge each verdict against the scenario's expectation the same way
 * (naccs_sim_report_outcome), so a check a scenario expects to fail shows
 * as met everywhere.  Writers return the whole document as a string; the
 * caller writes it where the user asked (naccs_sim_report_save).
 */
#pragma once

#include <glib.h>

#include "checks.h"

G_BEGIN_DECLS

typedef struct {
  const char *id;              /* stable scenario id, e.g. the file stem */
  const char *title;           /* in the user's language; nullable */
  gint64 duration_us;          /* wall time of the run */
  const GPtrArray *verdicts;   /* NaccsSimVerdict*, as from
                                  naccs_sim_checks_run() */
  const char *const *pass_ids; /* the expectation, as for
                                  naccs_sim_checks_expectation_met() */
  const char *const *fail_ids;
} NaccsSimReportScenario;

/* The result of comparing one verdict with its scenario's expectation. */
typedef enum {
  NACCS_SIM_OUTCOME_MET,       /* as expected (pass, or an expected fail) */
  NACCS_SIM_OUTCOME_MISSED,    /* not as expected: a CI failure */
  NACCS_SIM_OUTCOME_SKIPPED,   /* not applicable and not required */
} NaccsSimOutcome;

NaccsSimOutcome naccs_sim_report_outcome (const NaccsSimReportScenario *scenario,
                                          const NaccsSimVerdict *verdict);

/* Counts a scenario's verdicts by outcome. */
void naccs_sim_report_count (const NaccsSimReportScenario *scenario,
                             guint *met,
                             guint *missed,
                             guint *skipped);

/* TRUE when colour suits `fd`: a terminal, and NO_COLOR unset or empty
 * (https://no-color.org). */
gboolean naccs_sim_report_colour_wanted (int fd);

char *naccs_sim_report_text (const NaccsSimReportScenario *const *scenarios,
                             guint n_scenarios,
                             gboolean colour);
char *naccs_sim_report_json (const NaccsSimReportScenario *const *scenarios,
                             guint n_scenarios);
char *naccs_sim_report_junit (const NaccsSimReportScenario *const *scenarios,
                              guint n_scenarios);

/* Writes `contents` to `path`, or to standard output for "-". */
gboolean naccs_sim_report_save (const char *path,
                                const char *contents,
                                GError **error);

G_END_DECLS
