/* scenario.c: load a scenario file and check all of it before a test runs.
 *
 * The loader reads the file (at most NACCS_YAML_MAX_FILE_BYTES) and builds
 * the YAML tree (yaml-tree.c).  It then walks the tree key by key: id,
 * title, rule, tags, the client's task with its message fixtures, the
 * center settings, the connections with their rules (scenario-rule.c) and
 * the expectation (scenario-expect.c).  Unknown keys, wrong types, impossible values and
 * missing fixtures are errors with the position in the file; nothing is
 * silently defaulted, because a scenario that quietly tests something else
 * than its author meant is worse than one that does not load.
 */
#ifndef G_LOG_DOMAIN
#define G_LOG_DOMAIN "naccs-sim"
#endif

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "scenario-private.h"
#include "sim-config.h"

static const char *const top_keys[] = {
  "id", "title", "rule", "tags", "client", "center", "connections",
  "extra-connections", "expect", NULL
};

static const char *const title_keys[] = { "en", "ja", NULL };

static const char *const client_keys[] = {
  "helo", "from", "to", "messages", NULL
};

static const char *const center_keys[] = {
  "address", "greeting", "max-line-length", "max-message-size",
  "idle-timeout", "command-timeout", NULL
};

static const char *const connection_keys[] = { "rules", NULL };

/* Bounds for the center's limits: a line must hold at least ".", CR and
 * LF; above these values a limit no longer limits anything. */
#define MIN_LINE_LENGTH 3
#define MAX_LINE_LENGTH (16 * 1024 * 1024)
#define MAX_MESSAGE_SIZE (1024 * 1024 * 1024)

static void
connection_free (NaccsSimConnectionSpec *connection)
{
  if (connection == NULL)
    return;
  g_ptr_array_unref (connection->rules);
  g_free (connection);
}

static void
scenario_clear (NaccsSimScenario *s)
{
  g_free (s->path);
  g_free (s->id);
  g_free (s->title_en);
  g_free (s->title_ja);
  g_free (s->rule);
  g_clear_pointer (&s->tags, g_ptr_array_unref);
  g_free (s->client.helo);
  g_free (s->client.from);
  g_free (s->client.to);
  g_clear_pointer (&s->client.messages, g_ptr_array_unref);
  g_clear_pointer (&s->client.message_files, g_ptr_array_unref);
  g_free (s->center.address);
  g_free (s->center.greeting);
  g_clear_pointer (&s->connections, g_ptr_array_unref);
  naccs_sim_expect_clear (&s->expect);
}

static NaccsSimScenario *
scenario_new (const char *path)
{
  NaccsSimScenario *s = g_atomic_rc_box_new0 (NaccsSimScenario);

  s->path = g_strdup (path);
  s->tags = g_ptr_array_new_with_free_func (g_free);
  s->client.messages = g_ptr_array_new_with_free_func (g_free);
  s->client.message_files = g_ptr_array_new_with_free_func (g_free);
  s->connections = g_ptr_array_new_with_free_func (
      (GDestroyNotify) connection_free);
  s->expect.fail = g_ptr_array_new_with_free_func (g_free);
  s->expect.spooled = g_array_new (FALSE, FALSE, sizeof (guint));
  s->expect.not_spooled = g_array_new (FALSE, FALSE, sizeof (guint));
  return s;
}

NaccsSimScenario *
naccs_sim_scenario_ref (NaccsSimScenario *scenario)
{
  return g_atomic_rc_box_acquire (scenario);
}

void
naccs_sim_scenario_unref (NaccsSimScenario *scenario)
{
  if (scenario != NULL)
    g_atomic_rc_box_release_full (scenario, (GDestroyNotify) scenario_clear);
}

/* Opens @path for reading only when it is a regular file.  O_NONBLOCK
 * keeps open() from waiting for a writer when the path is a FIFO. */
static FILE *
open_regular_file (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat info;
  int saved_errno;

  if (fd < 0 || fstat (fd, &info) != 0)
    {
      saved_errno = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, NACCS_SIM_SCENARIO_ERROR,
                   NACCS_SIM_SCENARIO_ERROR_FILE,
                   _("%s: cannot open the scenario file: %s"), path,
                   g_strerror (saved_errno));
      return NULL;
    }
  if (!S_ISREG (info.st_mode))
    {
      close (fd);
      g_set_error (error, NACCS_SIM_SCENARIO_ERROR,
                   NACCS_SIM_SCENARIO_ERROR_FILE,
                   _("%s: not a regular file; give the path of a YAML "
                     "scenario file"), path);
      return NULL;
    }
  /* Reads block again from here on, as for any regular file. */
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  return fdopen (fd, "rb");
}

/* Reads the whole file, refusing more than the size limit so that a huge
 * or endless file (/dev/zero) costs at most that much memory. */
static gboolean
read_file_limited (const char *path, char **out_text, gsize *out_length,
                   GError **error)
{
  g_autofree char *text = g_malloc (NACCS_YAML_MAX_FILE_BYTES + 1);
  FILE *file = open_regular_file (path, error);
  gsize length;
  int saved_errno;

  if (file == NULL)
    return FALSE;
  length = fread (text, 1, NACCS_YAML_MAX_FILE_BYTES + 1, file);
  saved_errno = errno;
  if (ferror (file))
    {
      fclose (file);
      g_set_error (error, NACCS_SIM_SCENARIO_ERROR,
                   NACCS_SIM_SCENARIO_ERROR_FILE,
                   _("%s: cannot read the scenario file: %s"), path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  fclose (file);
  if (length > NACCS_YAML_MAX_FILE_BYTES)
    {
      g_set_error (error, NACCS_SIM_SCENARIO_ERROR,
                   NACCS_SIM_SCENARIO_ERROR_FILE,
                   _("%s: the file is larger than %u bytes (1 MiB); a "
                     "scenario file must be smaller"),
                   path, (guint) NACCS_YAML_MAX_FILE_BYTES);
      return FALSE;
    }
  text[length] = '\0';
  *out_text = g_steal_pointer (&text);
  *out_length = length;
  return TRUE;
}

static gboolean
read_title (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
            NaccsSimScenario *s, GError **error)
{
  if (!naccs_sim_expect_mapping (ctx, node, "title", error)
      || !naccs_sim_check_keys (ctx, node, title_keys, error)
      || !naccs_sim_require_key (ctx, node, "en", error)
      || !naccs_sim_require_key (ctx, node, "ja", error))
    return FALSE;
  return naccs_sim_read_text (ctx, naccs_yaml_mapping_lookup (node, "en"),
                              "en", &s->title_en, error)
         && naccs_sim_read_text (ctx, naccs_yaml_mapping_lookup (node, "ja"),
                                 "ja", &s->title_ja, error);
}

static gboolean
read_tags (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
           NaccsSimScenario *s, GError **error)
{
  if (!naccs_sim_expect_sequence (ctx, node, "tags", error))
    return FALSE;
  for (guint i = 0; i < node->items->len; i++)
    {
      char *tag = NULL;

      if (!naccs_sim_read_id (ctx, g_ptr_array_index (node->items, i), "tag",
                              &tag, error))
        return FALSE;
      g_ptr_array_add (s->tags, tag);
    }
  return TRUE;
}

/* Rejects a fixture path that could leave the fixtures directory. */
static gboolean
is_safe_relative_path (const char *path)
{
  g_auto (GStrv) parts = NULL;

  if (path[0] == '\0' || g_path_is_absolute (path) || strchr (path, '\\'))
    return FALSE;
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (strcmp (parts[i], "..") == 0)
      return FALSE;
  return TRUE;
}

static gboolean
read_message (const NaccsSimLoadContext *ctx, const NaccsYamlNode *item,
              NaccsSimScenario *s, GError **error)
{
  g_autofree char *relative = NULL;
  g_autofree char *full = NULL;

  if (!naccs_sim_read_text (ctx, item, "messages", &relative, error))
    return FALSE;
  if (!is_safe_relative_path (relative))
    {
      naccs_sim_node_error (ctx, item, error,
                            _("invalid fixture path \"%s\"; give a path "
                              "inside the fixtures directory, such as "
                              "messages/01-ordinary-short.edi, without "
                              "\"..\""),
                            relative);
      return FALSE;
    }
  full = g_build_filename (ctx->fixtures_dir, relative, NULL);
  if (!g_file_test (full, G_FILE_TEST_IS_REGULAR))
    {
      naccs_sim_scenario_error_at (
          error, NACCS_SIM_SCENARIO_ERROR_FIXTURE, ctx->path, item->line,
          item->column,
          _("message fixture \"%s\" not found in %s; give a path relative "
            "to the fixtures directory"),
          relative, ctx->fixtures_dir);
      return FALSE;
    }
  g_ptr_array_add (s->client.messages, g_steal_pointer (&relative));
  g_ptr_array_add (s->client.message_files, g_steal_pointer (&full));
  return TRUE;
}

static gboolean
read_client (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
             NaccsSimScenario *s, GError **error)
{
  const NaccsYamlNode *item;

  if (!naccs_sim_expect_mapping (ctx, node, "client", error)
      || !naccs_sim_check_keys (ctx, node, client_keys, error)
      || !naccs_sim_require_key (ctx, node, "helo", error)
      || !naccs_sim_require_key (ctx, node, "from", error))
    return FALSE;
  if (!naccs_sim_read_address (ctx, naccs_yaml_mapping_lookup (node, "helo"),
                               "helo", &s->client.helo, error)
      || !naccs_sim_read_address (ctx,
                                  naccs_yaml_mapping_lookup (node, "from"),
                                  "from", &s->client.from, error))
    return FALSE;
  item = naccs_yaml_mapping_lookup (node, "to");
  if (item != NULL
      && !naccs_sim_read_address (ctx, item, "to", &s->client.to, error))
    return FALSE;

  item = naccs_yaml_mapping_lookup (node, "messages");
  if (item == NULL)
    return TRUE;
  if (!naccs_sim_expect_sequence (ctx, item, "messages", error))
    return FALSE;
  for (guint i = 0; i < item->items->len; i++)
    if (!read_message (ctx, g_ptr_array_index (item->items, i), s, error))
      return FALSE;
  return TRUE;
}

static gboolean
read_center_limits (const NaccsSimLoadContext *ctx, const NaccsYamlNode *map,
                    NaccsSimCenterSettings *c, GError **error)
{
  const NaccsYamlNode *node;

  if ((node = naccs_yaml_mapping_lookup (map, "max-line-length")) != NULL
      && !naccs_sim_read_uint (ctx, node, "max-line-length", MIN_LINE_LENGTH,
                               MAX_LINE_LENGTH, &c->max_line_length, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "max-message-size")) != NULL
      && !naccs_sim_read_uint (ctx, node, "max-message-size", 1,
                               MAX_MESSAGE_SIZE, &c->max_message_size, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "idle-timeout")) != NULL
      && !naccs_sim_read_duration (ctx, node, "idle-timeout", 1,
                                   &c->idle_timeout_ms, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (map, "command-timeout")) != NULL
      && !naccs_sim_read_duration (ctx, node, "command-timeout", 1,
                                   &c->command_timeout_ms, error))
    return FALSE;
  return TRUE;
}

static gboolean
read_center (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
             NaccsSimCenterSettings *c, GError **error)
{
  const NaccsYamlNode *item;

  if (!naccs_sim_expect_mapping (ctx, node, "center", error)
      || !naccs_sim_check_keys (ctx, node, center_keys, error))
    return FALSE;
  item = naccs_yaml_mapping_lookup (node, "address");
  if (item != NULL
      && !naccs_sim_read_address (ctx, item, "address", &c->address, error))
    return FALSE;
  item = naccs_yaml_mapping_lookup (node, "greeting");
  if (item != NULL
      && !naccs_sim_read_text (ctx, item, "greeting", &c->greeting, error))
    return FALSE;
  return read_center_limits (ctx, node, c, error);
}

static NaccsSimConnectionSpec *
read_connection (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
                 GError **error)
{
  g_autoptr (GPtrArray) rules = g_ptr_array_new_with_free_func (
      (GDestroyNotify) naccs_sim_rule_free);
  const NaccsYamlNode *list;
  NaccsSimConnectionSpec *connection;

  if (!naccs_sim_expect_mapping (ctx, node, "connections", error)
      || !naccs_sim_check_keys (ctx, node, connection_keys, error))
    return NULL;
  list = naccs_yaml_mapping_lookup (node, "rules");
  if (list != NULL && !naccs_sim_expect_sequence (ctx, list, "rules", error))
    return NULL;
  for (guint i = 0; list != NULL && i < list->items->len; i++)
    {
      NaccsSimRule *rule = naccs_sim_rule_read (
          ctx, g_ptr_array_index (list->items, i), error);

      if (rule == NULL)
        return NULL;
      g_ptr_array_add (rules, rule);
    }
  connection = g_new0 (NaccsSimConnectionSpec, 1);
  connection->rules = g_steal_pointer (&rules);
  return connection;
}

static gboolean
read_connections (const NaccsSimLoadContext *ctx, const NaccsYamlNode *node,
                  NaccsSimScenario *s, GError **error)
{
  if (!naccs_sim_expect_sequence (ctx, node, "connections", error))
    return FALSE;
  for (guint i = 0; i < node->items->len; i++)
    {
      NaccsSimConnectionSpec *connection = read_connection (
          ctx, g_ptr_array_index (node->items, i), error);

      if (connection == NULL)
        return FALSE;
      g_ptr_array_add (s->connections, connection);
    }
  return TRUE;
}

static gboolean
read_extra_connections (const NaccsSimLoadContext *ctx,
                        const NaccsYamlNode *node, NaccsSimScenario *s,
                        GError **error)
{
  if (node->kind == NACCS_YAML_SCALAR && strcmp (node->value, "default") == 0)
    {
      s->extra_connections = NACCS_SIM_EXTRA_DEFAULT;
      return TRUE;
    }
  if (node->kind != NACCS_YAML_SCALAR
      || strcmp (node->value, "repeat-last") != 0)
    {
      naccs_sim_node_error (ctx, node, error,
                            _("invalid extra-connections \"%s\"; write "
                              "default or repeat-last"),
                            node->kind == NACCS_YAML_SCALAR ? node->value
                                                            : "");
      return FALSE;
    }
  if (s->connections->len == 0)
    {
      naccs_sim_node_error (ctx, node, error,
                            _("extra-connections: repeat-last needs at "
                              "least one entry under connections"));
      return FALSE;
    }
  s->extra_connections = NACCS_SIM_EXTRA_REPEAT_LAST;
  return TRUE;
}

static gboolean
read_identity (const NaccsSimLoadContext *ctx, const NaccsYamlNode *root,
               NaccsSimScenario *s, GError **error)
{
  const NaccsYamlNode *node;

  if (!naccs_sim_require_key (ctx, root, "id", error)
      || !naccs_sim_require_key (ctx, root, "title", error)
      || !naccs_sim_require_key (ctx, root, "rule", error)
      || !naccs_sim_require_key (ctx, root, "client", error))
    return FALSE;
  if (!naccs_sim_read_id (ctx, naccs_yaml_mapping_lookup (root, "id"), "id",
                          &s->id, error)
      || !read_title (ctx, naccs_yaml_mapping_lookup (root, "title"), s,
                      error)
      || !naccs_sim_read_text (ctx, naccs_yaml_mapping_lookup (root, "rule"),
                               "rule", &s->rule, error))
    return FALSE;
  node = naccs_yaml_mapping_lookup (root, "tags");
  return node == NULL || read_tags (ctx, node, s, error);
}

/* Reads every top-level key in a fixed order, so the client's messages
 * are known before "expect" refers to them. */
static gboolean
read_scenario (const NaccsSimLoadContext *ctx, const NaccsYamlNode *root,
               NaccsSimScenario *s, GError **error)
{
  const NaccsYamlNode *node;

  if (!naccs_sim_expect_mapping (ctx, root, "scenario", error)
      || !naccs_sim_check_keys (ctx, root, top_keys, error)
      || !read_identity (ctx, root, s, error)
      || !read_client (ctx, naccs_yaml_mapping_lookup (root, "client"), s,
                       error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (root, "center")) != NULL
      && !read_center (ctx, node, &s->center, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (root, "connections")) != NULL
      && !read_connections (ctx, node, s, error))
    return FALSE;
  if ((node = naccs_yaml_mapping_lookup (root, "extra-connections")) != NULL
      && !read_extra_connections (ctx, node, s, error))
    return FALSE;
  if (s->client.to == NULL)
    s->client.to = g_strdup (s->center.address != NULL
                                 ? s->center.address
                                 : NACCS_SIM_DEFAULT_CENTER_ADDRESS);
  return naccs_sim_expect_read (ctx,
                                naccs_yaml_mapping_lookup (root, "expect"),
                                &s->client, &s->expect, error);
}

NaccsSimScenario *
naccs_sim_scenario_load (const char *path, const char *fixtures_dir,
                         GError **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr (NaccsYamlNode) root = NULL;
  g_autoptr (NaccsSimScenario) s = NULL;
  NaccsSimLoadContext ctx = { path, fixtures_dir };

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (fixtures_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!read_file_limited (path, &text, &length, error)
      || !naccs_yaml_parse (path, text, length, &root, error))
    return NULL;
  if (root == NULL)
    {
      naccs_sim_scenario_error_at (error, NACCS_SIM_SCENARIO_ERROR_INVALID,
                                   path, 1, 1,
                                   _("the file holds no YAML document; a "
                                     "scenario needs at least id, title, "
                                     "rule and client"));
      return NULL;
    }

  s = scenario_new (path);
  if (!read_scenario (&ctx, root, s, error))
    return NULL;
  g_debug ("scenario=%s event=loaded path=%s connections=%u messages=%u",
           s->id, path, s->connections->len, s->client.messages->len);
  return g_steal_pointer (&s);
}

const char *
naccs_sim_scenario_get_title (const NaccsSimScenario *scenario)
{
  const char *const *languages = g_get_language_names ();

  if (languages[0] != NULL && g_str_has_prefix (languages[0], "ja"))
    return scenario->title_ja;
  return scenario->title_en;
}
