/* scenario-match.c: pick the scenario rule that applies to a session event.
 *
 * A session asks for every event (connect, command, end of message, long
 * line, oversize message, idle time) whether the scenario replaces the
 * default center behaviour.  The rules of the event's connection are tried
 * in file order and the first that matches wins, so a writer can put a
 * narrow rule ("nth: 2") above a broad one.  Connections beyond those
 * listed get the default center, or the last listed connection's rules
 * with "extra-connections: repeat-last".
 */
#include "config.h"

#include "scenario-private.h"

const NaccsSimConnectionSpec *
naccs_sim_scenario_get_connection (const NaccsSimScenario *scenario,
                                   guint connection_index)
{
  guint count;

  g_return_val_if_fail (scenario != NULL, NULL);

  count = scenario->connections->len;
  if (connection_index < count)
    return g_ptr_array_index (scenario->connections, connection_index);
  if (count > 0 && scenario->extra_connections == NACCS_SIM_EXTRA_REPEAT_LAST)
    return g_ptr_array_index (scenario->connections, count - 1);
  return NULL;
}

static gboolean
occurrence_matches (const NaccsSimRule *rule, guint occurrence)
{
  if (rule->nth > 0)
    return occurrence == rule->nth;
  if (rule->from > 0)
    return occurrence >= rule->from;
  return TRUE;
}

static gboolean
command_matches (const NaccsSimRule *rule, const char *verb,
                 const char *argument)
{
  g_autofree char *lower = NULL;

  if (verb == NULL || g_ascii_strcasecmp (rule->verb, verb) != 0)
    return FALSE;
  if (rule->argument == NULL)
    return TRUE;
  lower = g_ascii_strdown (argument != NULL ? argument : "", -1);
  return g_pattern_spec_match_string (rule->argument, lower);
}

static gboolean
rule_matches (const NaccsSimRule *rule, NaccsSimTrigger trigger,
              const char *verb, const char *argument, guint occurrence)
{
  if (rule->trigger != trigger || !occurrence_matches (rule, occurrence))
    return FALSE;
  if (trigger == NACCS_SIM_TRIGGER_COMMAND)
    return command_matches (rule, verb, argument);
  return TRUE;
}

static const NaccsSimRule *
find_rule (const NaccsSimScenario *scenario, guint connection_index,
           NaccsSimTrigger trigger, const char *verb, const char *argument,
           guint occurrence)
{
  const NaccsSimConnectionSpec *connection
      = naccs_sim_scenario_get_connection (scenario, connection_index);

  if (connection == NULL)
    return NULL;
  for (guint i = 0; i < connection->rules->len; i++)
    {
      const NaccsSimRule *rule = g_ptr_array_index (connection->rules, i);

      if (rule_matches (rule, trigger, verb, argument, occurrence))
        return rule;
    }
  return NULL;
}

NaccsSimAction *
naccs_sim_scenario_match (const NaccsSimScenario *scenario,
                          guint connection_index, NaccsSimTrigger trigger,
                          const char *verb, const char *argument,
                          guint occurrence)
{
  const NaccsSimRule *rule;

  g_return_val_if_fail (scenario != NULL, NULL);

  rule = find_rule (scenario, connection_index, trigger, verb, argument,
                    occurrence);
  if (rule == NULL)
    return NULL;
  return naccs_sim_action_copy (rule->action);
}

guint
naccs_sim_scenario_idle_ms (const NaccsSimScenario *scenario,
                            guint connection_index, guint occurrence)
{
  const NaccsSimRule *rule;

  g_return_val_if_fail (scenario != NULL, 0);

  rule = find_rule (scenario, connection_index, NACCS_SIM_TRIGGER_IDLE, NULL,
                    NULL, occurrence);
  return rule != NULL ? rule->idle_ms : 0;
}
