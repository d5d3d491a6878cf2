/* test-spool.c: the spool's worker threads, which store message files.
 *
 * Each test makes a spool in a fresh temporary directory, hands messages
 * to it and iterates the test's own main context until the commit
 * callbacks ran, or frees the spool without waiting, as a stopping server
 * does.  After each test the directory must hold only complete message
 * files: no temporary ".tmp" file is ever left behind.
 */
#include <string.h>

#include <CUnit/Basic.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "spool.h"

/* How long a test waits for commit callbacks before it fails. */
#define WAIT_US (10 * G_USEC_PER_SEC)

typedef struct {
  guint calls;
  char *path;
  GError *error;
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  g_free (outcome->path);
  g_clear_error (&outcome->error);
}

static void
on_done (gpointer user_data, const char *path, const GError *error)
{
  Outcome *outcome = user_data;

  outcome->calls++;
  outcome->path = g_strdup (path);
  if (error != NULL)
    outcome->error = g_error_copy (error);
}

/* Iterates the thread-default context until @count outcomes have a call. */
static gboolean
wait_outcomes (Outcome *outcomes, guint count)
{
  gint64 give_up = g_get_monotonic_time () + WAIT_US;

  for (;;)
    {
      guint done = 0;

      for (guint i = 0; i < count; i++)
        done += outcomes[i].calls > 0;
      if (done == count)
        return TRUE;
      if (g_get_monotonic_time () > give_up)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static char *
read_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, NULL);
  return contents;
}

/* Returns how many names in @dir start with @prefix. */
static guint
count_files (const char *dir, const char *prefix)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;
  guint count = 0;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_prefix (name, prefix))
      count++;
  return count;
}

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_unlink (path) != 0)
        g_rmdir (path);
    }
  g_rmdir (dir);
}

static GBytes *
bytes_of (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

/* Proves each committed message is stored under its own name with its
 * bytes, and its callback gets that path once. */
static void
test_commit_stores_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-spool-XXXXXX", NULL);
  g_autoptr (NaccsSimSpool) spool = naccs_sim_spool_new (dir, NULL);
  Outcome outcomes[20] = { { 0 } };

  CU_ASSERT_PTR_NOT_NULL_FATAL (spool);
  for (guint i = 0; i < G_N_ELEMENTS (outcomes); i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u\r\n", i + 1);
      g_autoptr (GBytes) data = bytes_of (text);

      naccs_sim_spool_commit_message (spool, 7, i + 1, data, on_done,
                                      &outcomes[i]);
    }
  CU_ASSERT_TRUE_FATAL (wait_outcomes (outcomes, G_N_ELEMENTS (outcomes)));

  for (guint i = 0; i < G_N_ELEMENTS (outcomes); i++)
    {
      g_autofree char *name = g_strdup_printf ("s000007-m%04u.msg", i + 1);
      g_autofree char *want = g_strdup_printf ("message %u\r\n", i + 1);
      g_autofree char *got = read_file (dir, name);

      CU_ASSERT_EQUAL (outcomes[i].calls, 1);
      CU_ASSERT_PTR_NULL (outcomes[i].error);
      CU_ASSERT_TRUE (outcomes[i].path != NULL
                      && g_str_has_suffix (outcomes[i].path, name));
      CU_ASSERT_STRING_EQUAL (got != NULL ? got : "(missing)", want);
      outcome_clear (&outcomes[i]);
    }
  CU_ASSERT_EQUAL (count_files (dir, "."), 0);
  g_clear_pointer (&spool, naccs_sim_spool_free);
  remove_dir (dir);
}

/* Proves an abandoned commit still stores its file, before the spool is
 * freed, and never calls back. */
static void
test_abandoned_commit_stored (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-spool-XXXXXX", NULL);
  NaccsSimSpool *spool = naccs_sim_spool_new (dir, NULL);
  g_autoptr (GBytes) data = bytes_of ("abandoned\r\n");
  g_autofree char *got = NULL;
  Outcome outcome = { 0 };
  NaccsSimSpoolCommit *commit;

  CU_ASSERT_PTR_NOT_NULL_FATAL (spool);
  commit = naccs_sim_spool_commit_message (spool, 1, 1, data, on_done,
                                           &outcome);
  naccs_sim_spool_commit_abandon (commit);
  naccs_sim_spool_free (spool);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  got = read_file (dir, "s000001-m0001.msg");
  CU_ASSERT_EQUAL (outcome.calls, 0);
  CU_ASSERT_STRING_EQUAL (got != NULL ? got : "(missing)", "abandoned\r\n");
  CU_ASSERT_EQUAL (count_files (dir, "."), 0);
  remove_dir (dir);
}

/* Proves freeing the spool finishes every queued message first, as a
 * server stopping on SIGTERM needs. */
static void
test_free_finishes_queue (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-spool-XXXXXX", NULL);
  NaccsSimSpool *spool = naccs_sim_spool_new (dir, NULL);
  g_autoptr (GBytes) data = bytes_of ("queued\r\n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (spool);
  for (guint seq = 1; seq <= 200; seq++)
    naccs_sim_spool_commit_abandon (
      naccs_sim_spool_commit_message (spool, 3, seq, data, on_done, NULL));
  naccs_sim_spool_free (spool);

  CU_ASSERT_EQUAL (count_files (dir, "s000003-m"), 200);
  CU_ASSERT_EQUAL (count_files (dir, "."), 0);
  remove_dir (dir);
}

/* Proves a message that cannot be written reports an error, leaves no
 * file, and does not fail the messages stored beside it. */
static void
test_failed_commit_reports_error (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-spool-XXXXXX", NULL);
  g_autofree char *blocker = g_build_filename (dir, ".s000002-m0001.msg.tmp",
                                               NULL);
  g_autoptr (NaccsSimSpool) spool = naccs_sim_spool_new (dir, NULL);
  g_autoptr (GBytes) data = bytes_of ("x\r\n");
  Outcome outcomes[2] = { { 0 } };

  CU_ASSERT_PTR_NOT_NULL_FATAL (spool);
  /* A directory where the temporary file must go makes its open fail. */
  CU_ASSERT_EQUAL_FATAL (g_mkdir (blocker, 0700), 0);
  naccs_sim_spool_commit_message (spool, 2, 1, data, on_done, &outcomes[0]);
  naccs_sim_spool_commit_message (spool, 2, 2, data, on_done, &outcomes[1]);
  CU_ASSERT_TRUE_FATAL (wait_outcomes (outcomes, 2));

  CU_ASSERT_PTR_NULL (outcomes[0].path);
  CU_ASSERT_TRUE (g_error_matches (outcomes[0].error, NACCS_SIM_SPOOL_ERROR,
                                   NACCS_SIM_SPOOL_ERROR_WRITE));
  CU_ASSERT_PTR_NOT_NULL (outcomes[1].path);
  CU_ASSERT_PTR_NULL (outcomes[1].error);
  CU_ASSERT_EQUAL (count_files (dir, "s000002-m0001"), 0);
  CU_ASSERT_EQUAL (count_files (dir, "s000002-m0002"), 1);
  outcome_clear (&outcomes[0]);
  outcome_clear (&outcomes[1]);
  g_clear_pointer (&spool, naccs_sim_spool_free);
  g_rmdir (blocker);
  remove_dir (dir);
}

int
main (void)
{
  CU_pSuite suite;
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 1;
  suite = CU_add_suite ("/spool", NULL, NULL);
  CU_add_test (suite, "commit stores files", test_commit_stores_files);
  CU_add_test (suite, "abandoned commit stored",
               test_abandoned_commit_stored);
  CU_add_test (suite, "free finishes queue", test_free_finishes_queue);
  CU_add_test (suite, "failed commit reports error",
               test_failed_commit_reports_error);

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
