/* action-table-yaml.c: loads an action table from a YAML file.
 *
 * The file is one mapping.  Its keys are "default" and the steps greeting,
 * helo, mail, rcpt, data, data-end, rset and quit; each value maps reply
 * codes (421) or classes (4xx, 45x) to an action: continue, retry-later,
 * reconnect, give-up-message or give-up-session.  For example:
 *
 *   default:
 *     421: reconnect
 *     4xx: retry-later
 *   data-end:
 *     552: give-up-message
 *
 * The loader reads libyaml events, not a document tree, and stops at the
 * first fault with "FILE:LINE:COLUMN: what is wrong; what is allowed".
 * Everything it does not know is an error, never a silent default: unknown
 * keys and actions, codes outside 200..599, malformed classes, an entry
 * given twice, anchors and aliases (a table is short enough to write out),
 * YAML tags, a mapping or list where an action belongs, "continue" for a
 * 4xx or 5xx, more than one document, and bytes that are not UTF-8.  The
 * file must be a regular file of at most 1 MiB, checked before it is read.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-client"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <yaml.h>

#include "client-private.h"

/* An action table has at most a few thousand entries; anything larger is
 * not a table, and reading it whole would only waste memory. */
#define TABLE_FILE_MAX (1024 * 1024)

#define ALLOWED_SECTIONS                                                      \
  "default, greeting, helo, mail, rcpt, data, data-end, rset, quit"
#define ALLOWED_ACTIONS                                                       \
  "continue, retry-later, reconnect, give-up-message, give-up-session"

typedef struct {
  yaml_parser_t parser;
  const char *name;
  const char *data;
  NaccsClientActionTable *table;
  GHashTable *seen; /* (section, pattern) -> first line, as GUINT_TO_POINTER */
} Loader;

/* Sets the error at 0-based @line and @column of @loader's file. */
static gboolean fail_at (Loader *loader, GError **error, gsize line,
                         gsize column, const char *format, ...)
    G_GNUC_PRINTF (5, 6);

static gboolean
fail_at (Loader *loader, GError **error, gsize line, gsize column,
         const char *format, ...)
{
  g_autofree char *problem = NULL;
  va_list args;

  va_start (args, format);
  problem = g_strdup_vprintf (format, args);
  va_end (args);

  naccs_error_set (error, NACCS_CLIENT_ERROR_INVALID_TABLE, 0, "%s:%zu:%zu: %s",
                   loader->name, line + 1, column + 1, problem);
  return FALSE;
}

/* Converts a byte offset into a 0-based line and a column in characters. */
static void
position_of_offset (const char *data, gsize offset, gsize *line,
                    gsize *column)
{
  gsize line_start = 0;

  *line = 0;
  for (gsize i = 0; i < offset; i++)
    if (data[i] == '\n')
      {
        (*line)++;
        line_start = i + 1;
      }
  *column = (gsize) g_utf8_strlen (data + line_start,
                                   (gssize) (offset - line_start));
}

static gboolean
check_utf8 (Loader *loader, gsize len, GError **error)
{
  const char *end = NULL;
  gsize line;
  gsize column;

  if (g_utf8_validate_len (loader->data, len, &end))
    return TRUE;

  position_of_offset (loader->data, (gsize) (end - loader->data), &line,
                      &column);
  return fail_at (loader, error, line, column,
                  _("invalid UTF-8 byte 0x%02X; save the file as UTF-8"),
                  (guint) (guchar) *end);
}

static gboolean
fail_syntax (Loader *loader, GError **error)
{
  yaml_parser_t *parser = &loader->parser;
  gsize line = parser->problem_mark.line;
  gsize column = parser->problem_mark.column;

  /* The reader reports an offset, not a mark. */
  if (parser->error == YAML_READER_ERROR)
    position_of_offset (loader->data, parser->problem_offset, &line, &column);

  return fail_at (loader, error, line, column,
                  _("invalid YAML: %s%s%s; fix the syntax"),
                  parser->problem ? parser->problem : "?",
                  parser->context ? ", " : "",
                  parser->context ? parser->context : "");
}

static const yaml_char_t *
event_anchor (const yaml_event_t *event)
{
  switch (event->type)
    {
    case YAML_SCALAR_EVENT:
      return event->data.scalar.anchor;
    case YAML_MAPPING_START_EVENT:
      return event->data.mapping_start.anchor;
    case YAML_SEQUENCE_START_EVENT:
      return event->data.sequence_start.anchor;
    default:
      return NULL;
    }
}

static const yaml_char_t *
event_tag (const yaml_event_t *event)
{
  switch (event->type)
    {
    case YAML_SCALAR_EVENT:
      return event->data.scalar.tag;
    case YAML_MAPPING_START_EVENT:
      return event->data.mapping_start.tag;
    case YAML_SEQUENCE_START_EVENT:
      return event->data.sequence_start.tag;
    default:
      return NULL;
    }
}

/* Reads the next event; fails on a syntax error, an alias, an anchor or a
 * tag.  A tag ("!!str", "!custom", even the bare "!") is rejected as the
 * scenario loader rejects it: a table's values are plain words, so a tag
 * could only change how one is read, and libyaml applies none itself. */
static gboolean
next_event (Loader *loader, yaml_event_t *event, GError **error)
{
  if (!yaml_parser_parse (&loader->parser, event))
    return fail_syntax (loader, error);

  if (event->type == YAML_ALIAS_EVENT || event_anchor (event) != NULL)
    {
      fail_at (loader, error, event->start_mark.line, event->start_mark.column,
               _("anchors and aliases are not allowed; write each entry out"));
      yaml_event_delete (event);
      return FALSE;
    }
  if (event_tag (event) != NULL)
    {
      fail_at (loader, error, event->start_mark.line, event->start_mark.column,
               _("YAML tags (!name, !!type) are not allowed; remove the tag"));
      yaml_event_delete (event);
      return FALSE;
    }
  return TRUE;
}

static const char *
scalar_text (const yaml_event_t *event)
{
  return (const char *) event->data.scalar.value;
}

static gboolean
fail_not_action (Loader *loader, const yaml_event_t *event, GError **error)
{
  const char *kind = event->type == YAML_MAPPING_START_EVENT ? _("a mapping")
                                                             : _("a list");

  return fail_at (loader, error, event->start_mark.line,
                  event->start_mark.column,
                  _("%s is not allowed here; give one action: %s"), kind,
                  ALLOWED_ACTIONS);
}

/* Checks that @action may stand for @pattern (written @key). */
static gboolean
check_action_fits (Loader *loader, const yaml_event_t *event, const char *key,
                   const NaccsActionPattern *pattern, NaccsClientAction action,
                   GError **error)
{
  if (action != NACCS_CLIENT_ACTION_CONTINUE
      || naccs_action_pattern_first_code (pattern) < 400)
    return TRUE;

  return fail_at (loader, error, event->start_mark.line,
                  event->start_mark.column,
                  _("action \"continue\" is not allowed for %s; for 4xx and "
                    "5xx replies give retry-later, reconnect, "
                    "give-up-message or give-up-session"), key);
}

/* Reads the action of one entry and stores it. */
static gboolean
load_action (Loader *loader, guint section, const char *key,
             const NaccsActionPattern *pattern, GError **error)
{
  yaml_event_t event;
  NaccsClientAction action;
  gboolean ok;

  if (!next_event (loader, &event, error))
    return FALSE;

  if (event.type != YAML_SCALAR_EVENT)
    ok = fail_not_action (loader, &event, error);
  else if (!naccs_action_from_string (scalar_text (&event), &action))
    ok = fail_at (loader, error, event.start_mark.line,
                  event.start_mark.column,
                  _("unknown action \"%s\"; allowed: %s"),
                  scalar_text (&event), ALLOWED_ACTIONS);
  else
    ok = check_action_fits (loader, &event, key, pattern, action, error);

  if (ok)
    naccs_action_table_set (loader->table, section, pattern, action);
  yaml_event_delete (&event);
  return ok;
}

static gboolean
fail_pattern (Loader *loader, const yaml_event_t *event, const char *problem,
              GError **error)
{
  return fail_at (loader, error, event->start_mark.line,
                  event->start_mark.column,
                  _("%s; give a reply code from 200 to 599 or a class such "
                    "as 4xx or 45x"), problem);
}

/* Parses and checks the key @event of an entry of @section. */
static gboolean
parse_entry_key (Loader *loader, guint section, const yaml_event_t *event,
                 NaccsActionPattern *pattern, GError **error)
{
  g_autofree char *problem = NULL;
  guint first;
  gpointer key;
  gpointer first_line;

  if (event->type != YAML_SCALAR_EVENT)
    return fail_pattern (loader, event, _("a key must be a reply code"),
                         error);
  if (!naccs_action_pattern_parse (scalar_text (event), pattern))
    {
      problem = g_strdup_printf (_("invalid reply code pattern \"%s\""),
                              scalar_text (event));
      return fail_pattern (loader, event, problem, error);
    }

  first = naccs_action_pattern_first_code (pattern);
  if (first < NACCS_ACTION_CODE_MIN || first > NACCS_ACTION_CODE_MAX)
    {
      problem = g_strdup_printf (_("reply code %s is outside 200..599"),
                              scalar_text (event));
      return fail_pattern (loader, event, problem, error);
    }

  key = GUINT_TO_POINTER ((section << 16) | (pattern->kind << 12)
                          | pattern->value);
  first_line = g_hash_table_lookup (loader->seen, key);
  if (first_line != NULL)
    return fail_at (loader, error, event->start_mark.line,
                    event->start_mark.column,
                    _("duplicate entry \"%s\" in \"%s\" (first at line %u); "
                      "give each code or class once"),
                    scalar_text (event), naccs_action_section_key (section),
                    GPOINTER_TO_UINT (first_line));
  g_hash_table_insert (loader->seen, key,
                       GUINT_TO_POINTER (event->start_mark.line + 1));
  return TRUE;
}

/* Reads the entries of @section up to the end of its mapping. */
static gboolean
load_entries (Loader *loader, guint section, GError **error)
{
  for (;;)
    {
      yaml_event_t event;
      NaccsActionPattern pattern;
      g_autofree char *key = NULL;
      gboolean ok;

      if (!next_event (loader, &event, error))
        return FALSE;
      if (event.type == YAML_MAPPING_END_EVENT)
        {
          yaml_event_delete (&event);
          return TRUE;
        }

      ok = parse_entry_key (loader, section, &event, &pattern, error);
      if (ok)
        key = g_strdup (scalar_text (&event));
      yaml_event_delete (&event);
      if (!ok || !load_action (loader, section, key, &pattern, error))
        return FALSE;
    }
}

/* Reads the value of section @key: a mapping of entries. */
static gboolean
load_section (Loader *loader, const char *key, guint section, GError **error)
{
  yaml_event_t event;
  gboolean is_mapping;

  if (!next_event (loader, &event, error))
    return FALSE;

  is_mapping = event.type == YAML_MAPPING_START_EVENT;
  if (!is_mapping)
    fail_at (loader, error, event.start_mark.line, event.start_mark.column,
             _("\"%s\" must be a mapping of reply codes to actions; write "
               "entries such as \"4xx: retry-later\" under it"), key);
  yaml_event_delete (&event);

  return is_mapping && load_entries (loader, section, error);
}

/* Parses the section key @event and checks that it is new. */
static gboolean
parse_section_key (Loader *loader, const yaml_event_t *event, guint *section,
                   GError **error)
{
  gpointer key;
  gpointer first_line;

  if (event->type != YAML_SCALAR_EVENT
      || !naccs_action_section_from_string (scalar_text (event), section))
    return fail_at (loader, error, event->start_mark.line,
                    event->start_mark.column,
                    _("unknown key \"%s\"; allowed: %s"),
                    event->type == YAML_SCALAR_EVENT ? scalar_text (event)
                                                     : "?",
                    ALLOWED_SECTIONS);

  /* Sections use the slot above every (section, pattern) key. */
  key = GUINT_TO_POINTER (0xff0000u | *section);
  first_line = g_hash_table_lookup (loader->seen, key);
  if (first_line != NULL)
    return fail_at (loader, error, event->start_mark.line,
                    event->start_mark.column,
                    _("duplicate key \"%s\" (first at line %u); merge the "
                      "two into one"),
                    scalar_text (event), GPOINTER_TO_UINT (first_line));
  g_hash_table_insert (loader->seen, key,
                       GUINT_TO_POINTER (event->start_mark.line + 1));
  return TRUE;
}

/* Reads the top-level mapping after its start event. */
static gboolean
load_sections (Loader *loader, GError **error)
{
  for (;;)
    {
      yaml_event_t event;
      g_autofree char *key = NULL;
      guint section = 0;
      gboolean ok;

      if (!next_event (loader, &event, error))
        return FALSE;
      if (event.type == YAML_MAPPING_END_EVENT)
        {
          yaml_event_delete (&event);
          return TRUE;
        }

      ok = parse_section_key (loader, &event, &section, error);
      if (ok)
        key = g_strdup (scalar_text (&event));
      yaml_event_delete (&event);
      if (!ok || !load_section (loader, key, section, error))
        return FALSE;
    }
}

/* Reads the next event and checks that it is of @type.  libyaml emits
 * stream and document events in a fixed order, so a mismatch there is not
 * expected, but it is reported rather than trusted. */
static gboolean
expect_event (Loader *loader, yaml_event_type_t type, yaml_event_t *event,
              GError **error)
{
  if (!next_event (loader, event, error))
    return FALSE;
  if (event->type == type)
    return TRUE;

  fail_at (loader, error, event->start_mark.line, event->start_mark.column,
           _("unexpected YAML structure; write one mapping of steps"));
  yaml_event_delete (event);
  return FALSE;
}

static gboolean
fail_not_table (Loader *loader, const yaml_event_t *event, GError **error)
{
  return fail_at (loader, error, event->start_mark.line,
                  event->start_mark.column,
                  _("the action table must be a mapping; allowed keys: %s"),
                  ALLOWED_SECTIONS);
}

/* Reads the one document of the stream. */
static gboolean
load_document (Loader *loader, GError **error)
{
  yaml_event_t event;
  gboolean ok;

  if (!expect_event (loader, YAML_STREAM_START_EVENT, &event, error))
    return FALSE;
  yaml_event_delete (&event);

  if (!next_event (loader, &event, error))
    return FALSE;
  if (event.type != YAML_DOCUMENT_START_EVENT)
    {
      ok = fail_at (loader, error, event.start_mark.line,
                    event.start_mark.column,
                    _("the file is empty; write a mapping such as "
                      "\"default:\" with entries under it"));
      yaml_event_delete (&event);
      return ok;
    }
  yaml_event_delete (&event);

  if (!next_event (loader, &event, error))
    return FALSE;
  ok = event.type == YAML_MAPPING_START_EVENT
           ? TRUE
           : fail_not_table (loader, &event, error);
  yaml_event_delete (&event);
  return ok && load_sections (loader, error);
}

/* Checks that nothing but the end of the stream follows the document. */
static gboolean
load_stream_end (Loader *loader, GError **error)
{
  yaml_event_t event;
  gboolean ok = TRUE;

  if (!expect_event (loader, YAML_DOCUMENT_END_EVENT, &event, error))
    return FALSE;
  yaml_event_delete (&event);

  if (!next_event (loader, &event, error))
    return FALSE;
  if (event.type != YAML_STREAM_END_EVENT)
    ok = fail_at (loader, error, event.start_mark.line,
                  event.start_mark.column,
                  _("a second YAML document is not allowed; keep one "
                    "mapping per file"));
  yaml_event_delete (&event);
  return ok;
}

NaccsClientActionTable *
naccs_action_table_load_data (const char *name, const char *data, gsize len,
                              GError **error)
{
  Loader loader = { .name = name, .data = data };
  gboolean ok;

  g_return_val_if_fail (name != NULL && data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_utf8 (&loader, len, error))
    return NULL;

  loader.table = naccs_action_table_new_empty ();
  loader.seen = g_hash_table_new (NULL, NULL);
  yaml_parser_initialize (&loader.parser);
  yaml_parser_set_input_string (&loader.parser, (const guchar *) data, len);
  yaml_parser_set_encoding (&loader.parser, YAML_UTF8_ENCODING);

  ok = load_document (&loader, error) && load_stream_end (&loader, error);

  yaml_parser_delete (&loader.parser);
  g_hash_table_unref (loader.seen);
  if (!ok)
    g_clear_pointer (&loader.table, naccs_client_action_table_free);
  return loader.table;
}

/* Sets the error for action table @path that cannot be opened or read. */
static void
fail_read (const char *path, int saved_errno, GError **error)
{
  naccs_error_set (error, NACCS_CLIENT_ERROR_INVALID_TABLE, 0,
                   _("cannot read action table \"%s\": %s; check the path"),
                   path, g_strerror (saved_errno));
}

/* Opens @path without blocking and checks that it is a regular file of at
 * most TABLE_FILE_MAX octets.  Returns the descriptor, or -1 with @error
 * set.  O_NONBLOCK makes opening a FIFO return at once instead of waiting
 * for a writer, and the fstat() check comes before any read, so a FIFO or
 * a device such as /dev/zero is rejected, never read. */
static int
open_table_file (const char *path, GError **error)
{
  struct stat st;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);

  if (fd < 0)
    {
      fail_read (path, errno, error);
      return -1;
    }
  if (fstat (fd, &st) != 0)
    fail_read (path, errno, error);
  else if (!S_ISREG (st.st_mode))
    naccs_error_set (error, NACCS_CLIENT_ERROR_INVALID_TABLE, 0,
                     _("action table \"%s\" is not a regular file; give "
                       "a YAML file"), path);
  else if (st.st_size > TABLE_FILE_MAX)
    naccs_error_set (error, NACCS_CLIENT_ERROR_INVALID_TABLE, 0,
                     _("%s: the file is larger than 1 MiB; an action "
                       "table needs a few hundred lines at most"), path);
  else
    return fd;

  close (fd);
  return -1;
}

/* Reads @fd to its end into @data, failing once it passes TABLE_FILE_MAX,
 * because the file may have grown since fstat(). */
static gboolean
read_table_file (const char *path, int fd, GByteArray *data, GError **error)
{
  guint8 buffer[16 * 1024];

  for (;;)
    {
      gssize got = read (fd, buffer, sizeof buffer);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          fail_read (path, errno, error);
          return FALSE;
        }
      if (got == 0)
        return TRUE;
      if (data->len + (gsize) got > TABLE_FILE_MAX)
        {
          naccs_error_set (error, NACCS_CLIENT_ERROR_INVALID_TABLE, 0,
                           _("%s: the file is larger than 1 MiB; an action "
                             "table needs a few hundred lines at most"),
                           path);
          return FALSE;
        }
      g_byte_array_append (data, buffer, (guint) got);
    }
}

NaccsClientActionTable *
naccs_client_action_table_load_file (const char *path, GError **error)
{
  g_autoptr (GByteArray) data = NULL;
  gboolean ok;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = open_table_file (path, error);
  if (fd < 0)
    return NULL;
  data = g_byte_array_new ();
  ok = read_table_file (path, fd, data, error);
  close (fd);
  if (!ok)
    return NULL;

  /* The UTF-8 check and libyaml read at most data->len octets, so the
   * array needs no terminating NUL.  An empty file leaves data->data NULL,
   * which the loader does not accept, so it gets "" instead. */
  return naccs_action_table_load_data (path,
                                       data->len ? (const char *) data->data
                                                 : "",
                                       data->len, error);
}
