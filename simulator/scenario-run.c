/* scenario-run.c: plays a scenario against one client and judges it.
 *
 * The run starts a server whose sessions ask the scenario for every reply
 * (scenario-match.c) and hand their event lists back when they end.  A run
 * is over when the client has opened and closed as many connections as the
 * scenario lists (at least one) and no further connection arrives within
 * the linger time, or when the time limit cuts it off.  Then the checks
 * (checks.c) judge the collected events against the scenario's client
 * settings and fixtures, and the verdicts are compared with the scenario's
 * expectations.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "config.h"

#include <glib/gi18n.h>

#include "scenario-run.h"
#include "server.h"

typedef struct {
  NaccsSimScenario *scenario;
  NaccsSimServer *server;
  GMainContext *context;    /* the thread-default context of the run */
  GMainLoop *loop;
  GPtrArray *connections;   /* GPtrArray* of events, by connection index */
  guint ended;              /* sessions that have ended */
  guint expected;           /* connections the scenario lists, at least 1 */
  guint linger_ms;
  guint linger_source;
  guint connections_at_linger;
  gboolean time_limit_hit;
  gboolean stopping;        /* the loop is over; no more timers */
} Run;

/* The run of this thread, for naccs_sim_run_interrupt(); a suite plays
 * several scenarios at once, one thread each. */
static _Thread_local Run *current_run;

void
naccs_sim_run_options_init (NaccsSimRunOptions *options)
{
  options->time_limit_ms = NACCS_SIM_DEFAULT_TIME_LIMIT_S * 1000;
  options->linger_ms = NACCS_SIM_DEFAULT_LINGER_MS;
}

void
naccs_sim_run_result_free (NaccsSimRunResult *result)
{
  if (result == NULL)
    return;
  naccs_sim_scenario_unref (result->scenario);
  g_clear_pointer (&result->connections, g_ptr_array_unref);
  g_clear_pointer (&result->verdicts, g_ptr_array_unref);
  g_free (result->why);
  g_free (result->address);
  g_free (result);
}

static NaccsSimAction *
on_rule (gpointer user_data, guint connection_index, NaccsSimTrigger trigger,
         const char *verb, const char *argument, guint occurrence)
{
  Run *run = user_data;

  return naccs_sim_scenario_match (run->scenario, connection_index, trigger,
                                   verb, argument, occurrence);
}

static guint
on_idle (gpointer user_data, guint connection_index, guint occurrence)
{
  Run *run = user_data;

  return naccs_sim_scenario_idle_ms (run->scenario, connection_index,
                                     occurrence);
}

/* Fires a linger period after the last session ended: the run is over
 * unless the client opened another connection meanwhile. */
static gboolean
on_linger_done (gpointer user_data)
{
  Run *run = user_data;

  run->linger_source = 0;
  if (naccs_sim_server_get_connection_count (run->server)
        == run->connections_at_linger
      && naccs_sim_server_get_session_count (run->server) == 0)
    g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

static guint
add_timeout (Run *run, guint ms, GSourceFunc func)
{
  g_autoptr (GSource) source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, run, NULL);
  return g_source_attach (source, run->context);
}

static void
remove_source (Run *run, guint *id)
{
  GSource *source;

  if (*id == 0)
    return;
  source = g_main_context_find_source_by_id (run->context, *id);
  if (source != NULL)
    g_source_destroy (source);
  *id = 0;
}

static void
on_session_end (gpointer user_data, guint session_id, guint connection_index,
                GPtrArray *events)
{
  Run *run = user_data;

  g_debug ("session=%u event=session-end connection=%u events=%u",
           session_id, connection_index + 1, events->len);
  if (connection_index >= run->connections->len)
    g_ptr_array_set_size (run->connections, connection_index + 1);
  g_clear_pointer (&g_ptr_array_index (run->connections, connection_index),
                   g_ptr_array_unref);
  g_ptr_array_index (run->connections, connection_index) = events;
  run->ended++;

  if (run->ended < run->expected || run->stopping)
    return;
  remove_source (run, &run->linger_source);
  run->connections_at_linger =
    naccs_sim_server_get_connection_count (run->server);
  run->linger_source = add_timeout (run, run->linger_ms, on_linger_done);
}

static gboolean
on_time_limit (gpointer user_data)
{
  Run *run = user_data;

  g_message ("event=time-limit scenario=%s", run->scenario->id);
  run->time_limit_hit = TRUE;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

void
naccs_sim_run_interrupt (void)
{
  if (current_run != NULL && current_run->loop != NULL)
    g_main_loop_quit (current_run->loop);
}

/* Applies the scenario's center settings over the command-line ones. */
static void
apply_center_settings (NaccsSimConfig *config,
                       const NaccsSimCenterSettings *center)
{
  if (center->address != NULL)
    {
      g_free (config->center_address);
      config->center_address = g_strdup (center->address);
    }
  if (center->greeting != NULL)
    {
      g_free (config->greeting);
      config->greeting = g_strdup (center->greeting);
    }
  if (center->max_line_length != 0)
    config->max_line_length = center->max_line_length;
  if (center->max_message_size != 0)
    config->max_message_size = center->max_message_size;
  if (center->idle_timeout_ms != 0)
    config->idle_timeout_ms = center->idle_timeout_ms;
  if (center->command_timeout_ms != 0)
    config->command_timeout_ms = center->command_timeout_ms;
  config->keep_bodies = TRUE;
}

static gboolean
guint_array_contains (const GArray *array, guint value)
{
  for (guint i = 0; array != NULL && i < array->len; i++)
    if (g_array_index (array, guint, i) == value)
      return TRUE;
  return FALSE;
}

/* TRUE when some reply of the scenario carries text of its own, which is
 * what the TXT-INDEPENDENT check needs to know. */
static gboolean
scenario_changes_reply_text (const NaccsSimScenario *scenario)
{
  if (scenario->center.greeting != NULL)
    return TRUE;
  for (guint c = 0; c < scenario->connections->len; c++)
    {
      const NaccsSimConnectionSpec *spec =
        g_ptr_array_index (scenario->connections, c);

      for (guint r = 0; r < spec->rules->len; r++)
        {
          const NaccsSimRule *rule = g_ptr_array_index (spec->rules, r);

          if (rule->action->raw != NULL
              || (rule->action->has_reply && rule->action->lines != NULL
                  && rule->action->lines->len > 0))
            return TRUE;
        }
    }
  return FALSE;
}

static gboolean
add_expected_messages (NaccsSimCheckContext *context,
                       const NaccsSimScenario *scenario, GError **error)
{
  const NaccsSimClientSpec *client = &scenario->client;

  for (guint i = 0; i < client->message_files->len; i++)
    {
      const char *path = g_ptr_array_index (client->message_files, i);
      g_autofree char *contents = NULL;
      gsize length = 0;
      NaccsSimExpectedMessage *message;

      if (!g_file_get_contents (path, &contents, &length, error))
        return FALSE;
      g_autoptr (GBytes) bytes =
        g_bytes_new_take (g_steal_pointer (&contents), length);

      message = naccs_sim_expected_message_new (
        g_ptr_array_index (client->messages, i), bytes);
      if (guint_array_contains (scenario->expect.spooled, i + 1))
        message->spool = NACCS_SIM_SPOOL_REQUIRED;
      else if (guint_array_contains (scenario->expect.not_spooled, i + 1))
        message->spool = NACCS_SIM_SPOOL_FORBIDDEN;
      g_ptr_array_add (context->messages, message);
    }
  return TRUE;
}

static gint64
bound_us (guint ms)
{
  return ms == 0 ? -1 : (gint64) ms * 1000;
}

static NaccsSimCheckContext *
build_check_context (const NaccsSimScenario *scenario,
                     const NaccsSimConfig *config, GPtrArray *connections,
                     GError **error)
{
  g_autoptr (NaccsSimCheckContext) context = naccs_sim_check_context_new ();

  context->helo_domain = g_strdup (scenario->client.helo);
  context->mail_from = g_strdup (scenario->client.from);
  g_free (context->center_address);
  context->center_address = g_strdup (scenario->client.to != NULL
                                        ? scenario->client.to
                                        : config->center_address);
  if (!add_expected_messages (context, scenario, error))
    return NULL;
  for (guint i = 0; i < connections->len; i++)
    {
      GPtrArray *events = g_ptr_array_index (connections, i);

      /* A connection whose session has not reported (cut off at the time
       * limit before its end hook) still counts, with no events. */
      if (events == NULL)
        {
          events = g_ptr_array_new ();
          g_ptr_array_index (connections, i) = events;
        }
      g_ptr_array_add (context->connections, events);
    }
  context->give_up_within_us = bound_us (scenario->expect.give_up_within_ms);
  context->give_up_not_before_us = bound_us (scenario->expect.not_before_ms);
  context->quit_within_us = bound_us (scenario->expect.quit_within_ms);
  context->nondefault_reply_text = scenario_changes_reply_text (scenario);
  return g_steal_pointer (&context);
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

static void
judge (NaccsSimRunResult *result, const NaccsSimConfig *config,
       GError **error)
{
  const NaccsSimExpectation *expect = &result->scenario->expect;
  g_autoptr (NaccsSimCheckContext) context = NULL;
  g_auto (GStrv) pass_ids = id_list (expect->pass);
  g_auto (GStrv) fail_ids = id_list (expect->fail);

  context = build_check_context (result->scenario, config,
                                 result->connections, error);
  if (context == NULL)
    return;
  result->verdicts = naccs_sim_checks_run (context);
  result->met = naccs_sim_checks_expectation_met (
    result->verdicts, (const char *const *) pass_ids,
    (const char *const *) fail_ids, &result->why);
  if (!result->met && result->connections->len == 0)
    {
      /* Say the plain cause first: every check that needs a session is
       * only "not applicable" or "never arrived" then. */
      char *why = g_strdup_printf (_("no client connected during the run. "
                                     "%s"),
                                   result->why != NULL ? result->why : "");

      g_free (result->why);
      result->why = why;
    }
  if (result->time_limit_hit && result->met)
    {
      /* A client that is still connected at the time limit has not
       * finished what the scenario asked; no check covers that alone. */
      result->met = FALSE;
      result->why = g_strdup (_("the run reached its time limit before the "
                                "client finished"));
    }
}

static void
serve (Run *run, const NaccsSimRunOptions *options)
{
  guint limit_source;

  run->loop = g_main_loop_new (run->context, FALSE);
  limit_source = add_timeout (run, options->time_limit_ms, on_time_limit);
  current_run = run;
  g_main_loop_run (run->loop);
  current_run = NULL;
  run->stopping = TRUE;
  remove_source (run, &limit_source);
  remove_source (run, &run->linger_source);

  /* Stopping closes the sessions still open; their end hooks fill in the
   * remaining connections before the checks run. */
  naccs_sim_server_stop (run->server);
  g_clear_pointer (&run->loop, g_main_loop_unref);
}

NaccsSimRunResult *
naccs_sim_run_scenario (const NaccsSimConfig *base_config,
                        NaccsSimScenario *scenario,
                        const NaccsSimRunOptions *options,
                        void (*on_listening) (const char *address,
                                              gpointer user_data),
                        gpointer user_data, GError **error)
{
  g_autoptr (NaccsSimRunResult) result = g_new0 (NaccsSimRunResult, 1);
  NaccsSimConfig config;
  Run run = { 0 };
  NaccsSimHooks hooks = { on_rule, on_idle, on_session_end, &run };

  naccs_sim_config_copy (&config, base_config);
  apply_center_settings (&config, &scenario->center);
  result->scenario = naccs_sim_scenario_ref (scenario);
  result->started_us = g_get_real_time ();

  run.scenario = scenario;
  run.context = g_main_context_ref_thread_default ();
  run.connections = g_ptr_array_new_with_free_func (
    (GDestroyNotify) g_ptr_array_unref);
  run.expected = MAX (scenario->connections->len, 1);
  run.linger_ms = options->linger_ms;
  run.server = naccs_sim_server_new (&config, &hooks, error);
  if (run.server == NULL)
    {
      g_ptr_array_unref (run.connections);
      g_main_context_unref (run.context);
      naccs_sim_config_clear (&config);
      return NULL;
    }
  result->address = naccs_sim_server_get_address (run.server);
  g_message ("event=scenario-start scenario=%s listen=%s", scenario->id,
             result->address);
  if (on_listening != NULL)
    on_listening (result->address, user_data);

  serve (&run, options);
  naccs_sim_server_free (g_steal_pointer (&run.server));
  g_main_context_unref (run.context);
  result->connections = run.connections;
  result->time_limit_hit = run.time_limit_hit;
  result->duration_us = g_get_real_time () - result->started_us;

  judge (result, &config, error);
  naccs_sim_config_clear (&config);
  if (result->verdicts == NULL)
    return NULL;
  g_message ("event=scenario-end scenario=%s connections=%u met=%s",
             scenario->id, result->connections->len,
             result->met ? "yes" : "no");
  return g_steal_pointer (&result);
}
