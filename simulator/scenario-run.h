/* scenario-run.h: plays one scenario against whatever client connects and
 * judges it, see scenario-run.c. */
#pragma once

#include <glib.h>

#include "checks.h"
#include "scenario.h"
#include "sim-config.h"

G_BEGIN_DECLS

/* How long a run may take and when it counts as finished. */
typedef struct {
  guint time_limit_ms;  /* the whole run; the server stops at this limit */
  guint linger_ms;      /* after the scenario's connections have ended,
                           how long to wait for another connection */
} NaccsSimRunOptions;

#define NACCS_SIM_DEFAULT_TIME_LIMIT_S 300
#define NACCS_SIM_DEFAULT_LINGER_MS 1000

void naccs_sim_run_options_init (NaccsSimRunOptions *options);

/* Everything a report needs about one played scenario. */
typedef struct {
  NaccsSimScenario *scenario;  /* owned reference */
  GPtrArray *connections;      /* GPtrArray* of NaccsSimEvent*, one per
                                  connection in accept order */
  GPtrArray *verdicts;         /* NaccsSimVerdict*, in check table order */
  gboolean met;                /* every expectation of the scenario held */
  char *why;                   /* nullable: translated reason when !met */
  gboolean time_limit_hit;     /* the run was cut off at time_limit_ms */
  gint64 started_us;           /* g_get_real_time() at the start */
  gint64 duration_us;
  char *address;               /* where the server listened */
} NaccsSimRunResult;

void naccs_sim_run_result_free (NaccsSimRunResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsSimRunResult, naccs_sim_run_result_free)

/* Serves @scenario with @base_config overridden by the scenario's center
 * settings, until the client has used the scenario's connections (or the
 * time limit), then runs the checks.  @on_listening (nullable) is called
 * once the server is bound, with its address.  Returns NULL only when the
 * run could not be done (address in use, spool not writable). */
NaccsSimRunResult *naccs_sim_run_scenario (const NaccsSimConfig *base_config,
                                           NaccsSimScenario *scenario,
                                           const NaccsSimRunOptions *options,
                                           void (*on_listening) (const char *address,
                                                                 gpointer user_data),
                                           gpointer user_data,
                                           GError **error);

/* Stops a run in progress from a signal handler source: the sessions are
 * closed and the checks run on what was seen. */
void naccs_sim_run_interrupt (void);

G_END_DECLS
