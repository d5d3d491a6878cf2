/* scenario-rule.c: read one rule of a scenario connection and its action.
 *
 * A rule is one flat mapping: what it matches ("on", "argument", "nth",
 * "from", "for") and what the center does instead of its default reply
 * ("reply", "raw", "stall", "dribble", "split", "partial", "then",
 * "silent").  This file turns it into a NaccsSimRule whose NaccsSimAction
 * (sim-event.h) the session carries out.  Combinations that cannot mean
 * anything, such as "silent: true" with a reply, are rejected here so the
 * session never has to guess which one wins.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "scenario-private.h"

static const char *const rule_keys[] = {
  "on", "argument", "nth", "from", "for",
  "reply", "raw", "stall", "dribble", "split", "partial", "then", "silent",
  NULL
};

static const char *const action_keys[] = {
  "reply", "raw", "stall", "dribble", "split", "partial", "then", "silent",
  NULL
};

/* Event names of "on:", written in lower case; any other word in capitals
 * is a command verb. */
static const struct {
  const char *name;
  NaccsSimTrigger trigger;
} event_names[] = {
  { "connect", NACCS_SIM_TRIGGER_CONNECT },
  { "end-of-message", NACCS_SIM_TRIGGER_END_OF_MESSAGE },
  { "long-line", NACCS_SIM_TRIGGER_LONG_LINE },
  { "oversize", NACCS_SIM_TRIGGER_OVERSIZE },
  { "idle", NACCS_SIM_TRIGGER_IDLE },
};

#define EVENT_LIST "connect, end-of-message, long-line, oversize, idle"

static const struct {
  const char *name;
  NaccsSimAfter after;
} after_names[] = {
  { "continue", NACCS_SIM_AFTER_CONTINUE },
  { "close", NACCS_SIM_AFTER_CLOSE },
  { "reset", NACCS_SIM_AFTER_RESET },
  { "silence", NACCS_SIM_AFTER_SILENCE },
};

/* The maximum verb length.  SMTP verbs have 4 letters; extensions may be
 * longer. */
#define MAX_VERB_LENGTH 32

void
naccs_sim_rule_free (NaccsSimRule *rule)
{
  if (rule == NULL)
    return;
  g_free (rule->verb);
  g_clear_pointer (&rule->argument, g_pattern_spec_free);
  g_free (rule->argument_text);
  g_clear_pointer (&rule->action, naccs_sim_action_free);
  g_free (rule);
}

const char *
naccs_sim_trigger_to_string (NaccsSimTrigger trigger)
{
  for (gsize i = 0; i < G_N_ELEMENTS (event_names); i++)
    if (event_names[i].trigger == trigger)
      return event_names[i].name;
  return "command";
}

static gboolean
is_verb (const char *word)
{
  gsize length = strlen (word);

  if (length == 0 || length > MAX_VERB_LENGTH || !g_ascii_isupper (word[0]))
    return FALSE;
  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_isupper (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
read_on (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
         NaccsSimRule *rule, GError **error)
{
  if (node->kind != NACCS_YAML_SCALAR || naccs_yaml_node_is_null (node))
    {
      naccs_sim_node_error (ctx, node, error,
                            _("\"on\" must name one event; use a command "
                              "verb in capitals (HELO, MAIL, RCPT, DATA, "
                              "...) or one of: %s"),
                            EVENT_LIST);
      return FALSE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (event_names); i++)
    if (strcmp (node->value, event_names[i].name) == 0)
      {
        rule->trigger = event_names[i].trigger;
        return TRUE;
      }
  if (!is_verb (node->value))
    {
      naccs_sim_node_error (ctx, node, error,
                            _("unknown event \"%s\"; write a command verb "
                              "in capitals (HELO, MAIL, RCPT, DATA, ...) or "
                              "one of: %s"),
                            node->value, EVENT_LIST);
      return FALSE;
    }
  rule->trigger = NACCS_SIM_TRIGGER_COMMAND;
  rule->verb = g_strdup (node->value);
  return TRUE;
}

/* Reads the matching keys other than "on": argument, nth, from, for. */
static gboolean
read_match_keys (const NaccsSimLoadContext *ctx, const NaccsYamlNode *map,
                 NaccsSimRule *rule, GError **error)
{
  const NaccsYamlNode *node;

  node = naccs_yaml_mapping_lookup (map, "argument");
  if (node != NULL)
    {
      if (!naccs_sim_read_text (ctx, node, "argument", &rule->argument_text,
                                error))
        return FALSE;
      /* Lower-cased on both sides, because SMTP reads "to:" as "TO:". */
      g_autofree char *lower = g_ascii_strdown (rule->argument_text, -1);
      rule->argument = g_pattern_spec_new (lower);
    }

  node = naccs_yaml_mapping_lookup (map, "nth");
  if (node != NULL
      && !naccs_sim_read_uint (ctx, node, "nth", 1, G_MAXINT, &rule->nth,
                               error))
    return FALSE;

  node = naccs_yaml_mapping_lookup (map, "from");
  if (node != NULL
      && !naccs_sim_read_uint (ctx, node, "from", 1, G_MAXINT, &rule->from,
                               error))
    return FALSE;

  node = naccs_yaml_mapping_lookup (map, "for");
  if (node != NULL
      && !naccs_sim_read_duration (ctx, node, "for", 1, &rule->idle_ms,
                                   error))
    return FALSE;
  return TRUE;
}

/* Rejects matching keys that make no sense for the rule's trigger. */
static gboolean
check_match_keys (const NaccsSimLoadContext *ctx, const NaccsYamlNode *map,
                  const NaccsSimRule *rule, GError **error)
{
  const NaccsYamlNode *node;

  node = naccs_yaml_mapping_lookup (map, "argument");
  if (node != NULL && rule->trigger != NACCS_SIM_TRIGGER_COMMAND)
    {
      naccs_sim_node_error (ctx, node, error,
                            _("\"argument\" applies to command rules only; "
                              "remove it or match a command verb"));
      return FALSE;
    }
  node = naccs_yaml_mapping_lookup (map, "for");
  if (node != NULL && rule->trigger != NACCS_SIM_TRIGGER_IDLE)
    {
      naccs_sim_node_error (ctx, node, error,
                            _("\"for\" applies to \"on: idle\" only; remove "
                              "it"));
      return FALSE;
    }
  node = naccs_yaml_mapping_lookup (map, "from");
  if (node != NULL && rule->nth > 0)
    {
      naccs_sim_node_error (ctx, node, error,
                            _("\"nth\" and \"from\" cannot be combined; "
                              "keep nth for one occurrence or from for "
                              "that one and later ones"));
      return FALSE;
    }
  if (rule->trigger == NACCS_SIM_TRIGGER_CONNECT
      && (rule->nth > 0 || rule->from > 0))
    {
      naccs_sim_node_error (ctx, map, error,
                            _("a connection is accepted once, so \"nth\" "
                              "and \"from\" do not apply to \"on: "
                              "connect\"; list one entry per connection "
                              "under \"connections\" instead"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_reply_lines (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
                  NaccsSimAction *action, GError **error)
{
  if (!naccs_sim_expect_sequence (ctx, node, "lines", error))
    return FALSE;
  for (guint i = 0; i < node->items->len; i++)
    {
      const NaccsYamlNode *item = g_ptr_array_index (node->items, i);
      char *line = NULL;

      /* An empty line is allowed: "250-" followed by "250 " is a valid,
       * if unusual, reply. */
      if (naccs_yaml_node_is_null (item))
        line = g_strdup ("");
      else if (!naccs_sim_read_text (ctx, item, "lines", &line, error))
        return FALSE;
      g_ptr_array_add (action->lines, line);
    }
  return TRUE;
}

static gboolean
check_code (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
            guint code, GError **error)
{
  if (code >= 100 && code <= 599)
    return TRUE;
  naccs_sim_node_error (ctx, node, error,
                        _("reply code %03u is outside 100..599; SMTP reply "
                          "codes start with 1 to 5"),
                        code);
  return FALSE;
}

/* The short form: "451 try later", or "250" for a code without text. */
static gboolean
read_reply_short (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
                  NaccsSimAction *action, GError **error)
{
  const char *v = node->value;

  if (!g_ascii_isdigit (v[0]) || !g_ascii_isdigit (v[1])
      || !g_ascii_isdigit (v[2]) || (v[3] != '\0' && v[3] != ' '))
    {
      naccs_sim_node_error (ctx, node, error,
                            _("reply \"%s\" must start with a 3-digit code "
                              "and a space, as in \"451 try later\"; for "
                              "several lines write {code: 250, lines: "
                              "[first, second]}"),
                            v);
      return FALSE;
    }
  action->code = (guint) ((v[0] - '0') * 100 + (v[1] - '0') * 10
                          + (v[2] - '0'));
  if (!check_code (ctx, node, action->code, error))
    return FALSE;
  if (strpbrk (v, "\r\n") != NULL)
    {
      naccs_sim_node_error (ctx, node, error,
                            _("reply text contains a line break; for "
                              "several lines write {code: 250, lines: "
                              "[first, second]}"));
      return FALSE;
    }
  if (v[3] == ' ')
    g_ptr_array_add (action->lines, g_strdup (v + 4));
  return TRUE;
}

/* The long form: {code: 250, lines: ["first", "second"]}. */
static gboolean
read_reply_long (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
                 NaccsSimAction *action, GError **error)
{
  static const char *const keys[] = { "code", "lines", NULL };
  const NaccsYamlNode *code, *lines;

  if (!naccs_sim_check_keys (ctx, node, keys, error)
      || !naccs_sim_require_key (ctx, node, "code", error))
    return FALSE;
  code = naccs_yaml_mapping_lookup (node, "code");
  if (!naccs_sim_read_uint (ctx, code, "code", 0, 999, &action->code, error)
      || !check_code (ctx, code, action->code, error))
    return FALSE;
  lines = naccs_yaml_mapping_lookup (node, "lines");
  if (lines != NULL && !read_reply_lines (ctx, lines, action, error))
    return FALSE;
  return TRUE;
}

static gboolean
read_reply (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
            NaccsSimAction *action, GError **error)
{
  action->has_reply = TRUE;
  if (node->kind == NACCS_YAML_MAPPING)
    return read_reply_long (ctx, node, action, error);
  if (node->kind == NACCS_YAML_SCALAR && !naccs_yaml_node_is_null (node))
    return read_reply_short (ctx, node, action, error);
  naccs_sim_node_error (ctx, node, error,
                        _("\"reply\" must be a text such as \"451 try "
                          "later\" or a mapping {code: 250, lines: [first, "
                          "second]}"));
  return FALSE;
}

/* Reads a mapping of two required keys, a byte count and a duration, as
 * used by "dribble: {bytes, every}" and "split: {at, after}". */
static gboolean
read_count_and_time (const NaccsSimLoadContext *ctx,
                     const NaccsYamlNode *node, const char *what,
                     const char *count_key, const char *time_key,
                     guint *count, guint *time_ms, GError **error)
{
  const char *keys[] = { count_key, time_key, NULL };

  if (!naccs_sim_expect_mapping (ctx, node, what, error)
      || !naccs_sim_check_keys (ctx, node, keys, error)
      || !naccs_sim_require_key (ctx, node, count_key, error)
      || !naccs_sim_require_key (ctx, node, time_key, error))
    return FALSE;
  return naccs_sim_read_uint (ctx,
                              naccs_yaml_mapping_lookup (node, count_key),
                              count_key, 1, 1024 * 1024, count, error)
         && naccs_sim_read_duration (
             ctx, naccs_yaml_mapping_lookup (node, time_key), time_key, 0,
             time_ms, error);
}

static gboolean
read_partial (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
              NaccsSimAction *action, GError **error)
{
  static const char *const keys[] = { "bytes", NULL };

  if (!naccs_sim_expect_mapping (ctx, node, "partial", error)
      || !naccs_sim_check_keys (ctx, node, keys, error)
      || !naccs_sim_require_key (ctx, node, "bytes", error))
    return FALSE;
  return naccs_sim_read_uint (ctx, naccs_yaml_mapping_lookup (node, "bytes"),
                              "bytes", 1, 1024 * 1024,
                              &action->partial_bytes, error);
}

static gboolean
read_then (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
           NaccsSimAction *action, GError **error)
{
  if (node->kind == NACCS_YAML_SCALAR)
    for (gsize i = 0; i < G_N_ELEMENTS (after_names); i++)
      if (strcmp (node->value, after_names[i].name) == 0)
        {
          action->after = after_names[i].after;
          return TRUE;
        }
  naccs_sim_node_error (ctx, node, error,
                        _("invalid then \"%s\"; write close, reset, "
                          "silence or continue"),
                        node->kind == NACCS_YAML_SCALAR ? node->value : "");
  return FALSE;
}

/* Reads each action key present; conflicts are checked afterwards. */
static gboolean
read_action_keys (const NaccsSimLoadContext *ctx, const NaccsYamlNode *map,
                  NaccsSimAction *action, GError **error)
{
  const NaccsYamlNode *node;
  gboolean silent = FALSE;

  if ((node = naccs_yaml_mapping_lookup (map, "reply")) != NULL
      && !read_reply (ctx, node, action, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "raw")) != NULL
      && !naccs_sim_read_raw_bytes (ctx, node, &action->raw, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "stall")) != NULL
      && !naccs_sim_read_duration (ctx, node, "stall", 0, &action->stall_ms,
                                   error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "dribble")) != NULL
      && !read_count_and_time (ctx, node, "dribble", "bytes", "every",
                               &action->dribble_bytes,
                               &action->dribble_interval_ms, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "split")) != NULL
      && !read_count_and_time (ctx, node, "split", "at", "after",
                               &action->split_at,
                               &action->split_interval_ms, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "partial")) != NULL
      && !read_partial (ctx, node, action, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "then")) != NULL
      && !read_then (ctx, node, action, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "silent")) != NULL
      && !naccs_sim_read_bool (ctx, node, "silent", &silent, error))
    return FALSE;
  action->no_reply = silent;
  return TRUE;
}

/* Returns the first key of @keys present in @map, or NULL. */
static const NaccsYamlNode *
first_key_present (const NaccsYamlNode *map, const char *const *keys)
{
  guint n = naccs_yaml_mapping_size (map);

  for (guint i = 0; i < n; i++)
    {
      const NaccsYamlNode *key = naccs_yaml_mapping_key (map, i);

      if (g_strv_contains (keys, key->value))
        return key;
    }
  return NULL;
}

static gboolean
check_action_conflicts (const NaccsSimLoadContext *ctx,
                        const NaccsYamlNode *map,
                        const NaccsSimAction *action, GError **error)
{
  static const char *const sending_keys[] = {
    "reply", "raw", "stall", "dribble", "split", "partial", NULL
  };
  const NaccsYamlNode *key;

  if (action->has_reply && action->raw != NULL)
    {
      naccs_sim_node_error (ctx, map, error,
                            _("\"reply\" and \"raw\" cannot be combined; "
                              "raw already holds the whole reply"));
      return FALSE;
    }
  if (action->dribble_bytes > 0 && action->split_at > 0)
    {
      naccs_sim_node_error (ctx, map, error,
                            _("\"dribble\" and \"split\" cannot be "
                              "combined; keep one of them"));
      return FALSE;
    }
  key = first_key_present (map, sending_keys);
  if (action->no_reply && key != NULL)
    {
      naccs_sim_node_error (ctx, key, error,
                            _("\"%s\" has no effect with \"silent: true\", "
                              "which sends nothing; remove one of them"),
                            key->value);
      return FALSE;
    }
  return TRUE;
}

static NaccsSimAction *
read_action (const NaccsSimLoadContext *ctx, const NaccsYamlNode *map,
             GError **error)
{
  g_autoptr (NaccsSimAction) action = naccs_sim_action_new ();
  g_autofree char *list = NULL;

  if (first_key_present (map, action_keys) == NULL)
    {
      list = g_strjoinv (", ", (char **) action_keys);
      naccs_sim_node_error (ctx, map, error,
                            _("this rule has no action; add one of: %s"),
                            list);
      return NULL;
    }
  if (action->lines == NULL)
    action->lines = g_ptr_array_new_with_free_func (g_free);
  if (!read_action_keys (ctx, map, action, error)
      || !check_action_conflicts (ctx, map, action, error))
    return NULL;
  return g_steal_pointer (&action);
}

NaccsSimRule *
naccs_sim_rule_read (const NaccsSimLoadContext *ctx,
                     const NaccsYamlNode *node, GError **error)
{
  g_autoptr (NaccsSimRule) rule = g_new0 (NaccsSimRule, 1);

  if (!naccs_sim_expect_mapping (ctx, node, "rules", error)
      || !naccs_sim_check_keys (ctx, node, rule_keys, error)
      || !naccs_sim_require_key (ctx, node, "on", error))
    return NULL;
  rule->line = node->line;
  rule->column = node->column;

  if (!read_on (ctx, naccs_yaml_mapping_lookup (node, "on"), rule, error)
      || !read_match_keys (ctx, node, rule, error)
      || !check_match_keys (ctx, node, rule, error))
    return NULL;

  rule->action = read_action (ctx, node, error);
  if (rule->action == NULL)
    return NULL;
  return g_steal_pointer (&rule);
}
