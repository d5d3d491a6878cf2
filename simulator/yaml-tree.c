/* yaml-tree.c: read one YAML document into a small tree with positions.
 *
 * libyaml's event parser (yaml_parser_parse) streams the document as
 * start, end and scalar events.  This file builds NaccsYamlNode trees from
 * them with an explicit stack, so no input can make it recurse.  It
 * enforces the reading rules a scenario file must meet before its meaning
 * is looked at: valid UTF-8 without NUL, one document, no anchors,
 * aliases or tags (aliases would let a small file expand without bound:
 * the "billion laughs" attack), mapping keys that are plain text and
 * appear once, and at most NACCS_YAML_MAX_DEPTH levels of nesting.
 */
#include "config.h"

#include <string.h>
#include <yaml.h>
#include <glib/gi18n.h>

#include "scenario-private.h"
#include "yaml-tree.h"

typedef struct {
  const char *path;
  GPtrArray *stack;       /* NaccsYamlNode *: open sequences and mappings */
  NaccsYamlNode *root;
  guint documents;
} TreeBuilder;

void
naccs_yaml_node_free (NaccsYamlNode *node)
{
  if (node == NULL)
    return;
  g_free (node->value);
  if (node->items != NULL)
    g_ptr_array_unref (node->items);
  g_free (node);
}

static NaccsYamlNode *
node_new (NaccsYamlKind kind, const yaml_mark_t *mark)
{
  NaccsYamlNode *node = g_new0 (NaccsYamlNode, 1);

  node->kind = kind;
  node->line = (guint) mark->line + 1;
  node->column = (guint) mark->column + 1;
  if (kind != NACCS_YAML_SCALAR)
    node->items = g_ptr_array_new_with_free_func (
        (GDestroyNotify) naccs_yaml_node_free);
  return node;
}

/* Finds the 1-based line and column of byte @offset, counting columns in
 * characters as libyaml does. */
static void
position_of_offset (const char *text, gsize offset, guint *line,
                    guint *column)
{
  gsize line_start = 0;

  *line = 1;
  for (gsize i = 0; i < offset; i++)
    if (text[i] == '\n')
      {
        (*line)++;
        line_start = i + 1;
      }
  *column = 1;
  for (gsize i = line_start; i < offset; i++)
    if (((guchar) text[i] & 0xC0) != 0x80)
      (*column)++;
}

static gboolean
check_utf8 (const char *path, const char *text, gsize length, GError **error)
{
  const char *end = NULL;
  guint line, column;

  if (g_utf8_validate_len (text, length, &end))
    return TRUE;

  position_of_offset (text, (gsize) (end - text), &line, &column);
  if (*end == '\0')
    naccs_sim_scenario_error_at (error, NACCS_SIM_SCENARIO_ERROR_SYNTAX,
                                 path, line, column,
                                 _("NUL byte in the file; a scenario file "
                                   "is UTF-8 text without NUL bytes"));
  else
    naccs_sim_scenario_error_at (error, NACCS_SIM_SCENARIO_ERROR_SYNTAX,
                                 path, line, column,
                                 _("invalid UTF-8 byte 0x%02X; save the "
                                   "file as UTF-8"),
                                 (guint) (guchar) *end);
  return FALSE;
}

static void
syntax_error (TreeBuilder *b, const yaml_mark_t *mark, GError **error,
              const char *message)
{
  naccs_sim_scenario_error_at (error, NACCS_SIM_SCENARIO_ERROR_SYNTAX,
                               b->path, (guint) mark->line + 1,
                               (guint) mark->column + 1, "%s", message);
}

/* Rejects anchors and tags on a node; an alias event is rejected by the
 * caller before it gets here. */
static gboolean
check_node_props (TreeBuilder *b, const yaml_event_t *event,
                  const yaml_char_t *anchor, const yaml_char_t *tag,
                  gboolean tag_implicit, GError **error)
{
  if (anchor != NULL)
    {
      syntax_error (b, &event->start_mark, error,
                    _("YAML anchors and aliases (&name, *name) are not "
                      "allowed; write each value out in full"));
      return FALSE;
    }
  if (tag != NULL && !tag_implicit)
    {
      syntax_error (b, &event->start_mark, error,
                    _("YAML tags (!name, !!type) are not allowed; "
                      "remove the tag"));
      return FALSE;
    }
  return TRUE;
}

static NaccsYamlNode *
stack_top (TreeBuilder *b)
{
  if (b->stack->len == 0)
    return NULL;
  return g_ptr_array_index (b->stack, b->stack->len - 1);
}

/* TRUE when the next node added to @parent is a mapping key. */
static gboolean
expects_key (const NaccsYamlNode *parent)
{
  return parent != NULL && parent->kind == NACCS_YAML_MAPPING
         && parent->items->len % 2 == 0;
}

static gboolean
check_duplicate_key (TreeBuilder *b, const NaccsYamlNode *mapping,
                     const NaccsYamlNode *key, GError **error)
{
  for (guint i = 0; i < mapping->items->len; i += 2)
    {
      const NaccsYamlNode *seen = g_ptr_array_index (mapping->items, i);

      if (g_strcmp0 (seen->value, key->value) != 0)
        continue;
      naccs_sim_scenario_error_at (error, NACCS_SIM_SCENARIO_ERROR_SYNTAX,
                                   b->path, key->line, key->column,
                                   _("duplicate key \"%s\"; each key may "
                                     "appear once in a mapping (first at "
                                     "line %u)"),
                                   key->value, seen->line);
      return FALSE;
    }
  return TRUE;
}

/* Attaches @node (owned) to the open container, or makes it the root. */
static gboolean
attach_node (TreeBuilder *b, NaccsYamlNode *node, GError **error)
{
  NaccsYamlNode *parent = stack_top (b);

  if (expects_key (parent))
    {
      if (node->kind != NACCS_YAML_SCALAR)
        {
          naccs_sim_scenario_error_at (
              error, NACCS_SIM_SCENARIO_ERROR_SYNTAX, b->path, node->line,
              node->column,
              _("a mapping key must be plain text; write \"key: value\""));
          naccs_yaml_node_free (node);
          return FALSE;
        }
      if (!check_duplicate_key (b, parent, node, error))
        {
          naccs_yaml_node_free (node);
          return FALSE;
        }
    }

  if (parent != NULL)
    g_ptr_array_add (parent->items, node);
  else
    b->root = node;
  return TRUE;
}

static gboolean
on_scalar (TreeBuilder *b, const yaml_event_t *event, GError **error)
{
  const char *value = (const char *) event->data.scalar.value;
  gsize length = event->data.scalar.length;
  NaccsYamlNode *node;

  if (!check_node_props (b, event, event->data.scalar.anchor,
                         event->data.scalar.tag,
                         event->data.scalar.plain_implicit
                             || event->data.scalar.quoted_implicit,
                         error))
    return FALSE;

  /* A "\0" escape in a double-quoted string would cut a C string short
   * without anyone noticing. */
  if (memchr (value, '\0', length) != NULL)
    {
      syntax_error (b, &event->start_mark, error,
                    _("NUL character (\\0) in a text value; NUL cannot be "
                      "used here"));
      return FALSE;
    }

  node = node_new (NACCS_YAML_SCALAR, &event->start_mark);
  node->value = g_strndup (value, length);
  node->plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  return attach_node (b, node, error);
}

static gboolean
on_container_start (TreeBuilder *b, const yaml_event_t *event,
                    GError **error)
{
  gboolean is_mapping = event->type == YAML_MAPPING_START_EVENT;
  const yaml_char_t *anchor = is_mapping ? event->data.mapping_start.anchor
                                         : event->data.sequence_start.anchor;
  const yaml_char_t *tag = is_mapping ? event->data.mapping_start.tag
                                      : event->data.sequence_start.tag;
  int implicit = is_mapping ? event->data.mapping_start.implicit
                            : event->data.sequence_start.implicit;
  NaccsYamlNode *node;

  if (!check_node_props (b, event, anchor, tag, implicit, error))
    return FALSE;

  /* Checked before the node exists, so a 10,000-deep input stops here at
   * depth 33 and nothing deep is ever built or freed. */
  if (b->stack->len >= NACCS_YAML_MAX_DEPTH)
    {
      naccs_sim_scenario_error_at (
          error, NACCS_SIM_SCENARIO_ERROR_SYNTAX, b->path,
          (guint) event->start_mark.line + 1,
          (guint) event->start_mark.column + 1,
          _("nesting deeper than %u levels; a scenario needs far fewer"),
          (guint) NACCS_YAML_MAX_DEPTH);
      return FALSE;
    }

  node = node_new (is_mapping ? NACCS_YAML_MAPPING : NACCS_YAML_SEQUENCE,
                   &event->start_mark);
  if (!attach_node (b, node, error))
    return FALSE;
  g_ptr_array_add (b->stack, node);
  return TRUE;
}

static gboolean
on_document_start (TreeBuilder *b, const yaml_event_t *event,
                   GError **error)
{
  b->documents++;
  if (b->documents > 1)
    {
      syntax_error (b, &event->start_mark, error,
                    _("a second YAML document (\"---\"); a scenario file "
                      "holds exactly one document"));
      return FALSE;
    }
  return TRUE;
}

/* Handles one parser event; returns FALSE with @error set to stop. */
static gboolean
handle_event (TreeBuilder *b, const yaml_event_t *event, GError **error)
{
  switch (event->type)
    {
    case YAML_DOCUMENT_START_EVENT:
      return on_document_start (b, event, error);
    case YAML_ALIAS_EVENT:
      syntax_error (b, &event->start_mark, error,
                    _("YAML anchors and aliases (&name, *name) are not "
                      "allowed; write each value out in full"));
      return FALSE;
    case YAML_SCALAR_EVENT:
      return on_scalar (b, event, error);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      return on_container_start (b, event, error);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      g_ptr_array_remove_index (b->stack, b->stack->len - 1);
      return TRUE;
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    default:
      return TRUE;
    }
}

static void
parser_error (TreeBuilder *b, const yaml_parser_t *parser, GError **error)
{
  const char *problem = parser->problem ? parser->problem : "unknown error";

  if (parser->context != NULL)
    naccs_sim_scenario_error_at (
        error, NACCS_SIM_SCENARIO_ERROR_SYNTAX, b->path,
        (guint) parser->problem_mark.line + 1,
        (guint) parser->problem_mark.column + 1,
        _("invalid YAML: %s %s (from line %u); check indentation, colons "
          "and quotes"),
        parser->context, problem, (guint) parser->context_mark.line + 1);
  else
    naccs_sim_scenario_error_at (
        error, NACCS_SIM_SCENARIO_ERROR_SYNTAX, b->path,
        (guint) parser->problem_mark.line + 1,
        (guint) parser->problem_mark.column + 1,
        _("invalid YAML: %s; check indentation, colons and quotes"),
        problem);
}

static gboolean
run_parser (TreeBuilder *b, yaml_parser_t *parser, GError **error)
{
  for (;;)
    {
      yaml_event_t event;
      gboolean ok, done;

      if (!yaml_parser_parse (parser, &event))
        {
          parser_error (b, parser, error);
          return FALSE;
        }
      done = event.type == YAML_STREAM_END_EVENT;
      ok = handle_event (b, &event, error);
      yaml_event_delete (&event);
      if (!ok)
        return FALSE;
      if (done)
        return TRUE;
    }
}

gboolean
naccs_yaml_parse (const char *path, const char *text, gsize length,
                  NaccsYamlNode **out_root, GError **error)
{
  yaml_parser_t parser;
  TreeBuilder b = { .path = path };
  gboolean ok;

  g_return_val_if_fail (out_root != NULL, FALSE);
  *out_root = NULL;

  if (!check_utf8 (path, text, length, error))
    return FALSE;

  b.stack = g_ptr_array_new ();
  yaml_parser_initialize (&parser);
  yaml_parser_set_encoding (&parser, YAML_UTF8_ENCODING);
  yaml_parser_set_input_string (&parser, (const unsigned char *) text,
                                length);
  ok = run_parser (&b, &parser, error);
  yaml_parser_delete (&parser);
  g_ptr_array_unref (b.stack);

  if (!ok)
    {
      naccs_yaml_node_free (b.root);
      return FALSE;
    }
  *out_root = b.root;
  return TRUE;
}

guint
naccs_yaml_mapping_size (const NaccsYamlNode *mapping)
{
  g_return_val_if_fail (mapping->kind == NACCS_YAML_MAPPING, 0);
  return mapping->items->len / 2;
}

NaccsYamlNode *
naccs_yaml_mapping_key (const NaccsYamlNode *mapping, guint i)
{
  return g_ptr_array_index (mapping->items, 2 * i);
}

NaccsYamlNode *
naccs_yaml_mapping_value (const NaccsYamlNode *mapping, guint i)
{
  return g_ptr_array_index (mapping->items, 2 * i + 1);
}

NaccsYamlNode *
naccs_yaml_mapping_lookup (const NaccsYamlNode *mapping, const char *key)
{
  guint n = naccs_yaml_mapping_size (mapping);

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (naccs_yaml_mapping_key (mapping, i)->value, key) == 0)
      return naccs_yaml_mapping_value (mapping, i);
  return NULL;
}

gboolean
naccs_yaml_node_is_null (const NaccsYamlNode *node)
{
  return node->kind == NACCS_YAML_SCALAR && node->plain
         && (node->value[0] == '\0' || strcmp (node->value, "~") == 0
             || strcmp (node->value, "null") == 0);
}
