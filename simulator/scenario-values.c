/* scenario-values.c: typed values of a scenario file, or a positioned error.
 *
 * Every scalar in a scenario is text to YAML.  This file decides which text
 * is a valid number, duration, flag, identifier, address or raw byte
 * string.  It words each rejection as "FILE:LINE:COLUMN: what is wrong;
 * what is allowed", so a scenario writer can fix the file without reading
 * our code.  Durations always carry a unit (ms, s, m, h): a bare number is
 * rejected because "stall: 2" could mean seconds or milliseconds.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n.h>

#include "scenario-private.h"

G_DEFINE_QUARK (naccs-sim-scenario-error-quark, naccs_sim_scenario_error)

void
naccs_sim_scenario_error_at (GError **error, NaccsSimScenarioError code,
                             const char *path, guint line, guint column,
                             const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NACCS_SIM_SCENARIO_ERROR, code, "%s:%u:%u: %s", path,
               line, column, message);
}

void
naccs_sim_node_error (const NaccsSimLoadContext *ctx,
                      const NaccsYamlNode *node, GError **error,
                      const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NACCS_SIM_SCENARIO_ERROR,
               NACCS_SIM_SCENARIO_ERROR_INVALID, "%s:%u:%u: %s", ctx->path,
               node->line, node->column, message);
}

static const char *
kind_name (const NaccsYamlNode *node)
{
  switch (node->kind)
    {
    case NACCS_YAML_MAPPING:
      return _("a mapping");
    case NACCS_YAML_SEQUENCE:
      return _("a list");
    case NACCS_YAML_SCALAR:
    default:
      return naccs_yaml_node_is_null (node) ? _("nothing") : _("a text");
    }
}

gboolean
naccs_sim_expect_mapping (const NaccsSimLoadContext *ctx,
                          const NaccsYamlNode *node, const char *what,
                          GError **error)
{
  if (node->kind == NACCS_YAML_MAPPING)
    return TRUE;
  naccs_sim_node_error (ctx, node, error,
                        _("\"%s\" is %s; it must be a mapping of keys "
                          "and values"),
                        what, kind_name (node));
  return FALSE;
}

gboolean
naccs_sim_expect_sequence (const NaccsSimLoadContext *ctx,
                           const NaccsYamlNode *node, const char *what,
                           GError **error)
{
  if (node->kind == NACCS_YAML_SEQUENCE)
    return TRUE;
  naccs_sim_node_error (ctx, node, error,
                        _("\"%s\" is %s; it must be a list (\"- item\" "
                          "lines or [a, b])"),
                        what, kind_name (node));
  return FALSE;
}

static gboolean
expect_scalar (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
               const char *what, const char *allowed, GError **error)
{
  if (node->kind == NACCS_YAML_SCALAR && !naccs_yaml_node_is_null (node))
    return TRUE;
  naccs_sim_node_error (ctx, node, error, _("\"%s\" is %s; it must be %s"),
                        what, kind_name (node), allowed);
  return FALSE;
}

gboolean
naccs_sim_check_keys (const NaccsSimLoadContext *ctx,
                      const NaccsYamlNode *mapping,
                      const char *const *allowed, GError **error)
{
  guint n = naccs_yaml_mapping_size (mapping);

  for (guint i = 0; i < n; i++)
    {
      const NaccsYamlNode *key = naccs_yaml_mapping_key (mapping, i);
      g_autofree char *list = NULL;

      if (g_strv_contains (allowed, key->value))
        continue;
      list = g_strjoinv (", ", (char **) allowed);
      naccs_sim_node_error (ctx, key, error,
                            _("unknown key \"%s\"; allowed keys here: %s"),
                            key->value, list);
      return FALSE;
    }
  return TRUE;
}

gboolean
naccs_sim_require_key (const NaccsSimLoadContext *ctx,
                       const NaccsYamlNode *mapping, const char *key,
                       GError **error)
{
  if (naccs_yaml_mapping_lookup (mapping, key) != NULL)
    return TRUE;
  naccs_sim_node_error (ctx, mapping, error,
                        _("missing key \"%s\"; add it to this mapping"),
                        key);
  return FALSE;
}

gboolean
naccs_sim_read_text (const NaccsSimLoadContext *ctx,
                     const NaccsYamlNode *node, const char *what,
                     char **out, GError **error)
{
  if (!expect_scalar (ctx, node, what, _("a text on one line"), error))
    return FALSE;
  if (strpbrk (node->value, "\r\n") != NULL)
    {
      naccs_sim_node_error (ctx, node, error,
                            _("\"%s\" contains a line break; it must be "
                              "one line"),
                            what);
      return FALSE;
    }
  *out = g_strdup (node->value);
  return TRUE;
}

gboolean
naccs_sim_read_id (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
                   const char *what, char **out, GError **error)
{
  const char *p;

  if (!expect_scalar (ctx, node, what, _("an identifier"), error))
    return FALSE;
  for (p = node->value; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      break;
  if (*p != '\0' || strlen (node->value) > 64)
    {
      naccs_sim_node_error (ctx, node, error,
                            _("invalid %s \"%s\"; use 1 to 64 characters "
                              "from a-z, 0-9 and \"-\""),
                            what, node->value);
      return FALSE;
    }
  *out = g_strdup (node->value);
  return TRUE;
}

gboolean
naccs_sim_read_address (const NaccsSimLoadContext *ctx,
                        const NaccsYamlNode *node, const char *what,
                        char **out, GError **error)
{
  const char *p;

  if (!expect_scalar (ctx, node, what, _("an address"), error))
    return FALSE;
  for (p = node->value; *p != '\0'; p++)
    if (!g_ascii_isgraph (*p) || *p == '<' || *p == '>')
      break;
  if (*p != '\0' || strlen (node->value) > 255)
    {
      naccs_sim_node_error (ctx, node, error,
                            _("invalid %s \"%s\"; use 1 to 255 printable "
                              "ASCII characters without spaces or angle "
                              "brackets"),
                            what, node->value);
      return FALSE;
    }
  *out = g_strdup (node->value);
  return TRUE;
}

gboolean
naccs_sim_read_uint (const NaccsSimLoadContext *ctx,
                     const NaccsYamlNode *node, const char *what, guint min,
                     guint max, guint *out, GError **error)
{
  guint64 value = 0;
  const char *p;

  if (!expect_scalar (ctx, node, what, _("a whole number"), error))
    return FALSE;

  /* Decimal digits only: YAML 1.1 would read "0x10" or "010" as other
   * bases, which no scenario writer means. */
  for (p = node->value; g_ascii_isdigit (*p) && value <= G_MAXUINT; p++)
    value = value * 10 + (guint64) (*p - '0');
  if (*p != '\0' || p == node->value || value < min || value > max)
    {
      naccs_sim_node_error (ctx, node, error,
                            _("invalid %s \"%s\"; give a whole number from "
                              "%u to %u"),
                            what, node->value, min, max);
      return FALSE;
    }
  *out = (guint) value;
  return TRUE;
}

gboolean
naccs_sim_read_bool (const NaccsSimLoadContext *ctx,
                     const NaccsYamlNode *node, const char *what,
                     gboolean *out, GError **error)
{
  if (node->kind == NACCS_YAML_SCALAR)
    {
      if (strcmp (node->value, "true") == 0)
        {
          *out = TRUE;
          return TRUE;
        }
      if (strcmp (node->value, "false") == 0)
        {
          *out = FALSE;
          return TRUE;
        }
    }
  naccs_sim_node_error (ctx, node, error,
                        _("invalid %s \"%s\"; write true or false"), what,
                        node->kind == NACCS_YAML_SCALAR ? node->value : "");
  return FALSE;
}

/* Milliseconds per unit; "ms" comes first so that it wins over "m". */
static const struct {
  const char *suffix;
  guint64 ms;
} duration_units[] = {
  { "ms", 1 },
  { "s", 1000 },
  { "m", 60 * 1000 },
  { "h", 60 * 60 * 1000 },
};

/* A duration is "DIGITS[.DIGITS]UNIT".  It is computed in integers, so
 * "1.1s" is exactly 1100 ms and never 1100.0000000000002. */
typedef struct {
  guint64 whole;        /* the digits before the point */
  guint64 fraction;     /* the digits after it, trailing zeros removed */
  guint64 scale;        /* 10 to the number of fraction digits */
  const char *unit;     /* the rest of the text */
} DurationParts;

/* Splits @text into @parts.  Returns FALSE when it contains no digit, or
 * more fraction digits than a millisecond of an hour needs. */
static gboolean
split_duration (const char *text, DurationParts *parts)
{
  const char *p = text;
  const char *fraction_end;
  guint digits = 0;

  *parts = (DurationParts) { 0, 0, 1, NULL };
  for (; g_ascii_isdigit (*p); p++, digits++)
    /* Past 12 digits the value is far beyond 24h in any unit; stop
     * growing it so that it cannot overflow. */
    if (parts->whole < G_GUINT64_CONSTANT (1000000000000))
      parts->whole = parts->whole * 10 + (guint64) (*p - '0');

  if (*p == '.')
    {
      p++;
      for (fraction_end = p; g_ascii_isdigit (*fraction_end); fraction_end++)
        digits++;
      while (fraction_end > p && fraction_end[-1] == '0')
        fraction_end--;
      if (fraction_end - p > 9)
        return FALSE;
      for (; p < fraction_end; p++)
        {
          parts->fraction = parts->fraction * 10 + (guint64) (*p - '0');
          parts->scale *= 10;
        }
      while (g_ascii_isdigit (*p))
        p++;
    }
  parts->unit = p;
  return digits > 0;
}

static guint64
unit_ms (const char *suffix)
{
  for (gsize i = 0; i < G_N_ELEMENTS (duration_units); i++)
    if (strcmp (suffix, duration_units[i].suffix) == 0)
      return duration_units[i].ms;
  return 0;
}

gboolean
naccs_sim_parse_duration (const char *text, guint *out_ms, char **out_reason)
{
  DurationParts parts;
  guint64 per_unit, whole_ms, fraction_ms;

  if (text[0] == '-')
    {
      *out_reason = g_strdup (_("a duration cannot be negative"));
      return FALSE;
    }
  if (!split_duration (text, &parts))
    {
      *out_reason = g_strdup (_("not a duration"));
      return FALSE;
    }
  if (parts.unit[0] == '\0')
    {
      *out_reason = g_strdup (_("a duration needs a unit"));
      return FALSE;
    }
  per_unit = unit_ms (parts.unit);
  if (per_unit == 0)
    {
      *out_reason = g_strdup_printf (_("unknown unit \"%s\""), parts.unit);
      return FALSE;
    }

  if (parts.whole > NACCS_SIM_MAX_DURATION_MS)
    {
      *out_reason = g_strdup (_("longer than 24h"));
      return FALSE;
    }
  whole_ms = parts.whole * per_unit;
  fraction_ms = parts.fraction * per_unit;
  if (fraction_ms % parts.scale != 0)
    {
      *out_reason = g_strdup (_("not a whole number of milliseconds"));
      return FALSE;
    }
  whole_ms += fraction_ms / parts.scale;
  if (whole_ms > NACCS_SIM_MAX_DURATION_MS)
    {
      *out_reason = g_strdup (_("longer than 24h"));
      return FALSE;
    }
  *out_ms = (guint) whole_ms;
  return TRUE;
}

gboolean
naccs_sim_read_duration (const NaccsSimLoadContext *ctx,
                         const NaccsYamlNode *node, const char *what,
                         guint min_ms, guint *out_ms, GError **error)
{
  g_autofree char *reason = NULL;

  if (!expect_scalar (ctx, node, what, _("a duration such as 500ms or 2s"),
                      error))
    return FALSE;
  if (!naccs_sim_parse_duration (node->value, out_ms, &reason))
    {
      naccs_sim_node_error (ctx, node, error,
                            _("invalid %s \"%s\": %s; write a number with "
                              "a unit ms, s, m or h (500ms, 2s, 1.5m, 1h), "
                              "at most 24h"),
                            what, node->value, reason);
      return FALSE;
    }
  if (*out_ms < min_ms)
    {
      naccs_sim_node_error (ctx, node, error,
                            _("invalid %s \"%s\"; it must be at least "
                              "%ums"),
                            what, node->value, min_ms);
      return FALSE;
    }
  return TRUE;
}

/* Decodes the escape at @p, just after a backslash, into @out.  Returns the
 * number of characters it used, or 0 for an invalid escape. */
static gsize
decode_escape (const char *p, GString *out)
{
  switch (p[0])
    {
    case 'r':
      g_string_append_c (out, '\r');
      return 1;
    case 'n':
      g_string_append_c (out, '\n');
      return 1;
    case 't':
      g_string_append_c (out, '\t');
      return 1;
    case '\\':
      g_string_append_c (out, '\\');
      return 1;
    case 'x':
      if (!g_ascii_isxdigit (p[1]) || !g_ascii_isxdigit (p[2]))
        return 0;
      /* The action carries raw bytes as a C string, so NUL cannot be
       * represented. */
      if (p[1] == '0' && p[2] == '0')
        return 0;
      g_string_append_c (out, (char) (g_ascii_xdigit_value (p[1]) * 16
                                      + g_ascii_xdigit_value (p[2])));
      return 3;
    default:
      return 0;
    }
}

/* Returns the escape starting at the backslash @p as written, for a
 * message: "\\q", or up to "\\xHH", never cutting a UTF-8 character. */
static char *
escape_snippet (const char *p)
{
  const char *end = p + 1;
  guint chars = p[1] == 'x' ? 3 : 1;

  for (guint i = 0; i < chars && *end != '\0'; i++)
    end = g_utf8_next_char (end);
  return g_strndup (p, (gsize) (end - p));
}

gboolean
naccs_sim_read_raw_bytes (const NaccsSimLoadContext *ctx,
                          const NaccsYamlNode *node, char **out,
                          GError **error)
{
  g_autoptr (GString) bytes = g_string_new (NULL);

  if (!expect_scalar (ctx, node, "raw", _("a text of bytes to send"), error))
    return FALSE;
  for (const char *p = node->value; *p != '\0'; p++)
    {
      gsize used;

      if (*p != '\\')
        {
          g_string_append_c (bytes, *p);
          continue;
        }
      used = decode_escape (p + 1, bytes);
      if (used == 0)
        {
          g_autofree char *escape_text = escape_snippet (p);

          naccs_sim_node_error (ctx, node, error,
                                _("invalid escape \"%s\" in raw; use "
                                  "\\r, \\n, \\t, \\\\ or \\xHH (01 to FF)"),
                                escape_text);
          return FALSE;
        }
      p += used;
    }
  *out = g_string_free (g_steal_pointer (&bytes), FALSE);
  return TRUE;
}
