/* scenario-expect.c: read the "expect:" part of a scenario.
 *
 * The expectation states how the harness judges the client: which checks
 * (by the stable ids of checks.h) must pass or must fail, which of the
 * client's messages must or must not reach the spool, the time window in
 * which a client facing a stalled center must give up, and optionally the
 * client's exit status.  Every id and message reference is checked here,
 * so a typo fails at load time and never turns into a check that silently
 * does not run.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "checks.h"
#include "scenario-private.h"

static const char *const expect_keys[] = {
  "pass", "fail", "spooled", "not-spooled", "give-up-within", "not-before",
  "quit-within", "exit", NULL
};

void
naccs_sim_expect_clear (NaccsSimExpectation *expect)
{
  g_clear_pointer (&expect->pass, g_ptr_array_unref);
  g_clear_pointer (&expect->fail, g_ptr_array_unref);
  g_clear_pointer (&expect->spooled, g_array_unref);
  g_clear_pointer (&expect->not_spooled, g_array_unref);
}

static char *
known_check_ids (void)
{
  gsize n = 0;
  const NaccsSimCheckInfo *checks = naccs_sim_check_list (&n);
  GString *list = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (list, "%s%s", i > 0 ? ", " : "", checks[i].id);
  return g_string_free (list, FALSE);
}

static gboolean
read_check_ids (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
                const char *what, GPtrArray *out, GError **error)
{
  if (!naccs_sim_expect_sequence (ctx, node, what, error))
    return FALSE;
  for (guint i = 0; i < node->items->len; i++)
    {
      const NaccsYamlNode *item = g_ptr_array_index (node->items, i);
      g_autofree char *id = NULL;
      g_autofree char *known = NULL;

      if (!naccs_sim_read_text (ctx, item, what, &id, error))
        return FALSE;
      if (naccs_sim_check_find (id) == NULL)
        {
          known = known_check_ids ();
          naccs_sim_node_error (ctx, item, error,
                                _("unknown check id \"%s\"; known ids: %s"),
                                id, known);
          return FALSE;
        }
      g_ptr_array_add (out, g_steal_pointer (&id));
    }
  return TRUE;
}

static gboolean
check_pass_fail_disjoint (const NaccsSimLoadContext *ctx,
                          const NaccsYamlNode *fail_node,
                          const NaccsSimExpectation *expect, GError **error)
{
  if (expect->pass == NULL)
    return TRUE;
  for (guint i = 0; i < expect->fail->len; i++)
    {
      const char *id = g_ptr_array_index (expect->fail, i);

      if (!g_ptr_array_find_with_equal_func (expect->pass, id, g_str_equal,
                                             NULL))
        continue;
      naccs_sim_node_error (ctx, g_ptr_array_index (fail_node->items, i),
                            error,
                            _("check \"%s\" is listed in both pass and "
                              "fail; keep it in one of them"),
                            id);
      return FALSE;
    }
  return TRUE;
}

/* Reads one message reference: a 1-based number or a fixture path that
 * appears in client.messages. */
static gboolean
read_message_ref (const NaccsSimLoadContext *ctx, const NaccsYamlNode *item,
                  const char *what, const NaccsSimClientSpec *client,
                  guint *out, GError **error)
{
  guint count = client->messages->len;

  if (item->kind == NACCS_YAML_SCALAR && g_ascii_isdigit (item->value[0]))
    {
      if (count == 0)
        {
          naccs_sim_node_error (ctx, item, error,
                                _("%s refers to message %s, but "
                                  "client.messages is empty"),
                                what, item->value);
          return FALSE;
        }
      return naccs_sim_read_uint (ctx, item, what, 1, count, out, error);
    }
  if (item->kind == NACCS_YAML_SCALAR)
    for (guint i = 0; i < count; i++)
      if (strcmp (item->value, g_ptr_array_index (client->messages, i)) == 0)
        {
          *out = i + 1;
          return TRUE;
        }
  naccs_sim_node_error (ctx, item, error,
                        _("%s entry \"%s\" is not one of client.messages; "
                          "give a message number from 1 or a fixture path "
                          "listed there"),
                        what, item->kind == NACCS_YAML_SCALAR ? item->value
                                                              : "");
  return FALSE;
}

static gboolean
read_message_refs (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
                   const char *what, const NaccsSimClientSpec *client,
                   GArray *out, GError **error)
{
  if (!naccs_sim_expect_sequence (ctx, node, what, error))
    return FALSE;
  for (guint i = 0; i < node->items->len; i++)
    {
      guint number = 0;

      if (!read_message_ref (ctx, g_ptr_array_index (node->items, i), what,
                             client, &number, error))
        return FALSE;
      g_array_append_val (out, number);
    }
  return TRUE;
}

static gboolean
array_contains (const GArray *array, guint value)
{
  for (guint i = 0; i < array->len; i++)
    if (g_array_index (array, guint, i) == value)
      return TRUE;
  return FALSE;
}

static gboolean
check_spool_disjoint (const NaccsSimLoadContext *ctx,
                      const NaccsYamlNode *node,
                      const NaccsSimExpectation *expect, GError **error)
{
  for (guint i = 0; i < expect->not_spooled->len; i++)
    {
      guint number = g_array_index (expect->not_spooled, guint, i);

      if (!array_contains (expect->spooled, number))
        continue;
      naccs_sim_node_error (ctx, g_ptr_array_index (node->items, i), error,
                            _("message %u is listed in both spooled and "
                              "not-spooled; keep it in one of them"),
                            number);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_lists (const NaccsSimLoadContext *ctx, const NaccsYamlNode *map,
            const NaccsSimClientSpec *client, NaccsSimExpectation *expect,
            GError **error)
{
  const NaccsYamlNode *node;

  if ((node = naccs_yaml_mapping_lookup (map, "pass")) != NULL)
    {
      expect->pass = g_ptr_array_new_with_free_func (g_free);
      if (!read_check_ids (ctx, node, "pass", expect->pass, error))
        return FALSE;
    }
  if ((node = naccs_yaml_mapping_lookup (map, "fail")) != NULL
      && (!read_check_ids (ctx, node, "fail", expect->fail, error)
          || !check_pass_fail_disjoint (ctx, node, expect, error)))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "spooled")) != NULL
      && !read_message_refs (ctx, node, "spooled", client, expect->spooled,
                             error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "not-spooled")) != NULL
      && (!read_message_refs (ctx, node, "not-spooled", client,
                              expect->not_spooled, error)
          || !check_spool_disjoint (ctx, node, expect, error)))
    return FALSE;
  return TRUE;
}

static gboolean
read_bounds (const NaccsSimLoadContext *ctx, const NaccsYamlNode *map,
             NaccsSimExpectation *expect, GError **error)
{
  const NaccsYamlNode *node;
  const NaccsYamlNode *within = naccs_yaml_mapping_lookup (map,
                                                           "give-up-within");
  const NaccsYamlNode *before = naccs_yaml_mapping_lookup (map, "not-before");

  if (within != NULL
      && !naccs_sim_read_duration (ctx, within, "give-up-within", 1,
                                   &expect->give_up_within_ms, error))
    return FALSE;
  if (before != NULL
      && !naccs_sim_read_duration (ctx, before, "not-before", 1,
                                   &expect->not_before_ms, error))
    return FALSE;
  if (within != NULL && before != NULL
      && expect->not_before_ms >= expect->give_up_within_ms)
    {
      naccs_sim_node_error (ctx, before, error,
                            _("not-before (%ums) must be shorter than "
                              "give-up-within (%ums)"),
                            expect->not_before_ms, expect->give_up_within_ms);
      return FALSE;
    }
  if ((node = naccs_yaml_mapping_lookup (map, "quit-within")) != NULL
      && !naccs_sim_read_duration (ctx, node, "quit-within", 1,
                                   &expect->quit_within_ms, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "exit")) != NULL)
    {
      expect->has_exit = TRUE;
      if (!naccs_sim_read_uint (ctx, node, "exit", 0, 255,
                                &expect->exit_status, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
naccs_sim_expect_read (const NaccsSimLoadContext *ctx,
                       const NaccsYamlNode *node,
                       const NaccsSimClientSpec *client,
                       NaccsSimExpectation *out, GError **error)
{
  if (node == NULL)
    return TRUE;
  if (!naccs_sim_expect_mapping (ctx, node, "expect", error)
      || !naccs_sim_check_keys (ctx, node, expect_keys, error))
    return FALSE;
  return read_lists (ctx, node, client, out, error)
         && read_bounds (ctx, node, out, error);
}
