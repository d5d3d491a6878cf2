/* suite-select.c: which scenarios `naccs-sim suite` runs.
 *
 * Arguments name scenario files or directories, whose *.yaml files are
 * taken in name order; with none, the shipped library runs.  The library
 * is looked up in this order: $NACCS_SCENARIOS_DIR; the source tree's
 * scenarios/ when the program runs from its own build directory, so a
 * developer tests the scenarios beside the code; the installed
 * PKGDATADIR/scenarios.  Every file is loaded and validated before any
 * scenario runs, so a typo in the fortieth file costs no run of the first
 * thirty-nine.  A file named twice runs once; two files with one id are an
 * error, because reports and filters name scenarios by id.  The SHA-256
 * digest of each file is kept for the certification record.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cli-scenario.h"
#include "suite-config.h"
#include "suite-private.h"

void
naccs_sim_suite_entry_free (NaccsSimSuiteEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->path);
  g_free (entry->sha256);
  g_clear_pointer (&entry->scenario, naccs_sim_scenario_unref);
  g_free (entry);
}

/* TRUE when the running program lies inside the build tree it was built
 * in, i.e. it runs uninstalled.
 * NOTE: reads /proc/self/exe, so on systems without /proc an uninstalled
 * program uses the installed library unless NACCS_SCENARIOS_DIR is set. */
static gboolean
running_from_build_tree (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *root = g_canonicalize_filename (NACCS_SIM_BUILD_ROOT,
                                                   NULL);

  return exe != NULL && g_str_has_prefix (exe, root)
         && exe[strlen (root)] == G_DIR_SEPARATOR;
}

char *
naccs_sim_suite_library_dir (void)
{
  const char *from_env = g_getenv ("NACCS_SCENARIOS_DIR");

  if (from_env != NULL && *from_env != '\0')
    return g_strdup (from_env);
  if (running_from_build_tree ()
      && g_file_test (NACCS_SIM_SOURCE_SCENARIOS_DIR, G_FILE_TEST_IS_DIR))
    return g_strdup (NACCS_SIM_SOURCE_SCENARIOS_DIR);
  return g_build_filename (PKGDATADIR, "scenarios", NULL);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Appends the *.yaml files of @dir, in name order, to @files. */
static gboolean
add_directory (const char *dir, GPtrArray *files, GError **error)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, error);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (handle == NULL)
    return FALSE;
  while ((name = g_dir_read_name (handle)) != NULL)
    if (g_str_has_suffix (name, ".yaml"))
      g_ptr_array_add (found, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (found, compare_strings);
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (files, g_strdup (g_ptr_array_index (found, i)));
  return TRUE;
}

/* Returns the absolute paths of the scenario files @paths name, each once,
 * in the order given. */
static GPtrArray *
collect_files (char **paths, GError **error)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) unique = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *library = NULL;

  if (paths == NULL || paths[0] == NULL)
    {
      library = naccs_sim_suite_library_dir ();
      if (!add_directory (library, files, error))
        {
          g_prefix_error (error, _("cannot read the scenario library %s "
                                   "(set NACCS_SCENARIOS_DIR or name "
                                   "scenarios as arguments): "), library);
          return NULL;
        }
    }
  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    if (g_file_test (paths[i], G_FILE_TEST_IS_DIR))
      {
        if (!add_directory (paths[i], files, error))
          return NULL;
      }
    else
      g_ptr_array_add (files, g_strdup (paths[i]));

  for (guint i = 0; i < files->len; i++)
    {
      char *path = g_canonicalize_filename (g_ptr_array_index (files, i),
                                            NULL);

      if (g_hash_table_contains (seen, path))
        {
          g_free (path);
          continue;
        }
      g_ptr_array_add (unique, path);
      g_hash_table_add (seen, path);
    }
  return g_steal_pointer (&unique);
}

static char *
file_sha256 (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                      (const guchar *) contents, length);
}

static NaccsSimSuiteEntry *
load_entry (const char *path, const char *fixtures_dir, GError **error)
{
  g_autofree char *fixtures =
    naccs_sim_find_fixtures_dir (fixtures_dir, path);
  g_autoptr (NaccsSimScenario) scenario =
    naccs_sim_scenario_load (path, fixtures, error);
  NaccsSimSuiteEntry *entry;
  char *digest;

  if (scenario == NULL)
    return NULL;
  /* NOTE: the loader and the digest read the file separately, so a file
   * edited between the two reads gets the digest of the newer bytes. */
  digest = file_sha256 (path, error);
  if (digest == NULL)
    return NULL;
  entry = g_new0 (NaccsSimSuiteEntry, 1);
  entry->path = g_strdup (path);
  entry->sha256 = digest;
  entry->scenario = g_steal_pointer (&scenario);
  return entry;
}

/* Loads every file, printing each error; FALSE when any failed. */
static gboolean
load_all (GPtrArray *files, const char *fixtures_dir, GPtrArray *entries)
{
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  guint invalid = 0;

  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr (GError) error = NULL;
      NaccsSimSuiteEntry *entry =
        load_entry (g_ptr_array_index (files, i), fixtures_dir, &error);
      const NaccsSimSuiteEntry *other;

      if (entry == NULL)
        {
          g_printerr ("%s\n", error->message);
          invalid++;
          continue;
        }
      other = g_hash_table_lookup (ids, entry->scenario->id);
      if (other != NULL)
        {
          g_printerr (_("%s: scenario id \"%s\" is already used by %s; give "
                        "each scenario its own id\n"), entry->path,
                      entry->scenario->id, other->path);
          naccs_sim_suite_entry_free (entry);
          invalid++;
          continue;
        }
      g_hash_table_insert (ids, entry->scenario->id, entry);
      g_ptr_array_add (entries, entry);
    }
  return invalid == 0;
}

static gboolean
has_tag (const NaccsSimScenario *scenario, const char *tag)
{
  for (guint i = 0; i < scenario->tags->len; i++)
    if (strcmp (g_ptr_array_index (scenario->tags, i), tag) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
selected (const NaccsSimScenario *scenario, char **ids, char **tags)
{
  gboolean any_filter = (ids != NULL && ids[0] != NULL)
                        || (tags != NULL && tags[0] != NULL);

  if (!any_filter)
    return TRUE;
  if (ids != NULL && g_strv_contains ((const char *const *) ids,
                                      scenario->id))
    return TRUE;
  for (guint i = 0; tags != NULL && tags[i] != NULL; i++)
    if (has_tag (scenario, tags[i]))
      return TRUE;
  return FALSE;
}

/* Fails when an --id or --tag matches no loaded scenario: a typo in a
 * filter must not shrink the suite without a word. */
static gboolean
check_filters (GPtrArray *entries, char **ids, char **tags, GError **error)
{
  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (guint e = 0; e < entries->len && !found; e++)
        found = strcmp (((NaccsSimSuiteEntry *) entries->pdata[e])->scenario->id,
                        ids[i]) == 0;
      if (!found)
        {
          g_set_error (error, NACCS_SIM_SUITE_ERROR,
                       NACCS_SIM_SUITE_ERROR_SCENARIOS,
                       _("no scenario has id \"%s\" (--id): see --list for "
                         "the ids"), ids[i]);
          return FALSE;
        }
    }
  for (guint i = 0; tags != NULL && tags[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (guint e = 0; e < entries->len && !found; e++)
        found = has_tag (((NaccsSimSuiteEntry *) entries->pdata[e])->scenario,
                         tags[i]);
      if (!found)
        {
          g_set_error (error, NACCS_SIM_SUITE_ERROR,
                       NACCS_SIM_SUITE_ERROR_SCENARIOS,
                       _("no scenario has tag \"%s\" (--tag): see --list for "
                         "the tags"), tags[i]);
          return FALSE;
        }
    }
  return TRUE;
}

GPtrArray *
naccs_sim_suite_select (char **paths, const char *fixtures_dir, char **ids,
                        char **tags, GError **error)
{
  g_autoptr (GPtrArray) files = collect_files (paths, error);
  g_autoptr (GPtrArray) entries = NULL;
  GPtrArray *kept;

  if (files == NULL)
    return NULL;
  if (files->len == 0)
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR,
                   NACCS_SIM_SUITE_ERROR_SCENARIOS,
                   _("no scenario files found: name .yaml files or "
                     "directories that hold them"));
      return NULL;
    }
  entries = g_ptr_array_new_with_free_func (
    (GDestroyNotify) naccs_sim_suite_entry_free);
  if (!load_all (files, fixtures_dir, entries))
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR,
                   NACCS_SIM_SUITE_ERROR_SCENARIOS,
                   _("some scenario files are invalid; nothing was run"));
      return NULL;
    }
  if (!check_filters (entries, ids, tags, error))
    return NULL;

  kept = g_ptr_array_new_with_free_func (
    (GDestroyNotify) naccs_sim_suite_entry_free);
  for (guint i = 0; i < entries->len; i++)
    if (selected (((NaccsSimSuiteEntry *) entries->pdata[i])->scenario, ids,
                  tags))
      g_ptr_array_add (kept, g_steal_pointer (&entries->pdata[i]));
  return kept;
}
