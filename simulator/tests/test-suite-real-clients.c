/* test-suite-real-clients.c: `naccs-sim suite` against real SMTP clients.
 *
 * swaks, curl, msmtp and a Python smtplib script are not NACCS gateways,
 * so some checks fail for them (EHLO instead of HELO, no retry after a
 * transient error, ...).  Their verdict for every check on the scenarios
 * of real-clients/scenarios.txt is committed in real-clients/expected/
 * TOOL.tsv, and docs/real-clients.md explains each expected failure.
 * Each suite runs real-clients/run-suite.sh for one tool and fails on any
 * verdict that flipped, naming the scenario, the check, the expected and
 * the received status.  A suite whose tool is not installed is skipped.
 * meson passes NACCS_SIM, SUITE_REAL_CLIENTS and PYTHON.
 */
#include "test-e2e-support.h"

#include <string.h>

#define SUITE_RUN_TIMEOUT_MS 120000

/* Reads "scenario\tcheck\tstatus" lines after the header into
 * "scenario\tcheck" -> status; NULL when the file cannot be read. */
static GHashTable *
read_verdicts (const char *path)
{
  g_autoptr (GHashTable) table =
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    {
      g_printerr ("\ncannot read %s\n", path);
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *last_tab = strrchr (lines[i], '\t');

      if (last_tab != NULL)
        g_hash_table_insert (table,
                             g_strndup (lines[i], last_tab - lines[i]),
                             g_strdup (last_tab + 1));
    }
  return g_steal_pointer (&table);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Prints "scenario check: expected X, got Y" for every difference and
 * returns how many there were. */
static guint
report_flips (GHashTable *want, GHashTable *got)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;
  guint flips = 0;

  g_hash_table_iter_init (&iter, want);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  for (guint i = 0; i < keys->len; i++)
    {
      const char *expected = g_hash_table_lookup (want, keys->pdata[i]);
      const char *received = g_hash_table_lookup (got, keys->pdata[i]);
      g_auto (GStrv) ids = g_strsplit (keys->pdata[i], "\t", 2);

      if (g_strcmp0 (expected, received) == 0)
        continue;
      g_printerr ("\nscenario %s check %s: expected %s, got %s", ids[0],
                  ids[1], expected, received != NULL ? received : "nothing");
      flips++;
    }
  g_hash_table_iter_init (&iter, got);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (want, key))
      {
        g_auto (GStrv) ids = g_strsplit (key, "\t", 2);

        g_printerr ("\nscenario %s check %s: not in the expected verdicts",
                    ids[0], ids[1]);
        flips++;
      }
  if (flips > 0)
    g_printerr ("\n");
  return flips;
}

/* Runs the suite with @tool and compares every verdict with
 * expected/@tool.tsv. */
static void
check_tool (const char *tool)
{
  const char *clients = e2e_env ("SUITE_REAL_CLIENTS");
  g_autofree char *dir = e2e_make_temp_dir ("suite-real");
  g_autofree char *script = g_build_filename (clients, "run-suite.sh", NULL);
  g_autofree char *name = g_strconcat (tool, ".tsv", NULL);
  g_autofree char *expected = g_build_filename (clients, "expected", name,
                                                NULL);
  g_autofree char *got_path = g_build_filename (dir, name, NULL);
  const char *argv[] = {
    "sh", script, e2e_env ("NACCS_SIM"), tool, got_path, NULL,
  };
  g_autoptr (GHashTable) want = NULL;
  g_autoptr (GHashTable) got = NULL;
  guint flips;
  E2eRun run;

  CU_ASSERT_TRUE_FATAL (e2e_run (argv, SUITE_RUN_TIMEOUT_MS, &run));
  /* Every tool fails some scenario, so 1 is the only right status. */
  if (run.exit_status != 1)
    g_printerr ("\nrun-suite.sh %s exited %d:\n%s%s\n", tool,
                run.exit_status, run.out, run.err);
  CU_ASSERT_EQUAL (run.exit_status, 1);
  want = read_verdicts (expected);
  got = read_verdicts (got_path);
  CU_ASSERT_PTR_NOT_NULL_FATAL (want);
  CU_ASSERT_PTR_NOT_NULL_FATAL (got);
  flips = report_flips (want, got);
  if (flips > 0)
    g_printerr ("%s\n", run.out);
  CU_ASSERT_EQUAL (flips, 0);
  e2e_run_clear (&run);
  e2e_remove_tree (dir);
}

static void
test_swaks (void)
{
  check_tool ("swaks");
}

static void
test_curl (void)
{
  check_tool ("curl");
}

static void
test_msmtp (void)
{
  check_tool ("msmtp");
}

static void
test_smtplib (void)
{
  check_tool ("smtplib");
}

static const E2eTest swaks_tests[] = {
  { "swaks verdicts as committed", test_swaks }, { NULL, NULL },
};
static const E2eTest curl_tests[] = {
  { "curl verdicts as committed", test_curl }, { NULL, NULL },
};
static const E2eTest msmtp_tests[] = {
  { "msmtp verdicts as committed", test_msmtp }, { NULL, NULL },
};
static const E2eTest smtplib_tests[] = {
  { "smtplib verdicts as committed", test_smtplib }, { NULL, NULL },
};

static const E2eSuite suites[] = {
  { "/suite/real-clients/swaks", "swaks", swaks_tests },
  { "/suite/real-clients/curl", "curl", curl_tests },
  { "/suite/real-clients/msmtp", "msmtp", msmtp_tests },
  { "/suite/real-clients/smtplib", NULL, smtplib_tests },
  { NULL, NULL, NULL },
};

int
main (int argc, char **argv)
{
  return e2e_main (argc, argv, suites);
}
