/* test-spool.c: the spool's session ids, its transcripts and the worker
 * threads that store message files.
 *
 * Each test makes a spool in a fresh temporary directory, hands messages
 * to it and iterates the test's own main context until the commit
 * callbacks ran, or frees the spool without waiting, as a stopping server
 * does.  After each test the directory must hold only complete message
 * files: no temporary ".tmp" file is ever left behind.  Files planted in
 * the directory beforehand (old sessions, symbolic links) must never be
 * written to.  One log writer keeps the warnings, so tests can check them.
 */
#include <string.h>
#include <unistd.h>

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

/* ---- planted files ---- */

static GString *warnings;

static GLogWriterOutput
keep_warnings (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
               gpointer user_data)
{
  (void) user_data;
  for (gsize i = 0; i < n_fields && (level & G_LOG_LEVEL_WARNING); i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0)
      g_string_append_printf (warnings, "%s\n",
                              (const char *) fields[i].value);
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
plant_file (const char *dir, const char *name, const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  CU_ASSERT_TRUE (g_file_set_contents (path, contents, -1, NULL));
}

typedef struct {
  const char *const names[4];  /* files planted in the spool directory */
  guint want;                  /* the last session id found */
} LastIdCase;

/* Proves session ids continue after the highest id of any number of
 * digits, a temporary file's id included, and other names are ignored. */
static void
test_last_session_id (void)
{
  static const LastIdCase cases[] = {
    { { NULL }, 0 },
    { { "s000007.transcript", NULL }, 7 },
    { { "s999999-m0001.msg", "s1000000-m0001.msg", NULL }, 1000000 },
    { { "s1000000.transcript", "s999999.transcript", NULL }, 1000000 },
    { { "s12345678-m0002.msg", NULL }, 12345678 },
    { { ".s000009-m0001.msg.tmp", "s000003.transcript", NULL }, 9 },
    { { "s5", "sabc.msg", "notes-s9.txt", "s12x.msg" }, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = g_dir_make_tmp ("test-spool-XXXXXX", NULL);
      g_autoptr (NaccsSimSpool) spool = NULL;
      guint got;

      for (guint j = 0; j < 4 && cases[i].names[j] != NULL; j++)
        plant_file (dir, cases[i].names[j], "old\r\n");
      spool = naccs_sim_spool_new (dir, NULL);
      CU_ASSERT_PTR_NOT_NULL_FATAL (spool);
      got = naccs_sim_spool_get_last_session_id (spool);
      if (got != cases[i].want)
        g_printerr ("case %u: got %u, want %u\n", i, got, cases[i].want);
      CU_ASSERT_EQUAL (got, cases[i].want);
      g_clear_pointer (&spool, naccs_sim_spool_free);
      remove_dir (dir);
    }
}

/* Proves a directory whose highest session id leaves none to continue
 * with is rejected, naming the file. */
static void
test_last_session_id_exhausted (void)
{
  static const char *const names[] = {
    "s4294967295.transcript", "s99999999999999999999999-m0001.msg",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *dir = g_dir_make_tmp ("test-spool-XXXXXX", NULL);
      g_autoptr (GError) error = NULL;
      NaccsSimSpool *spool;

      plant_file (dir, names[i], "old\r\n");
      spool = naccs_sim_spool_new (dir, &error);
      CU_ASSERT_PTR_NULL (spool);
      naccs_sim_spool_free (spool);
      CU_ASSERT_TRUE (g_error_matches (error, NACCS_SIM_SPOOL_ERROR,
                                       NACCS_SIM_SPOOL_ERROR_DIRECTORY));
      CU_ASSERT_PTR_NOT_NULL (error != NULL ? strstr (error->message,
                                                      names[i])
                                            : NULL);
      remove_dir (dir);
    }
}

/* Proves a commit never replaces a message file of the same name: it
 * fails, the old file keeps its bytes, and no temporary file remains. */
static void
test_existing_message_kept (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-spool-XXXXXX", NULL);
  g_autoptr (NaccsSimSpool) spool = naccs_sim_spool_new (dir, NULL);
  g_autoptr (GBytes) data = bytes_of ("new\r\n");
  g_autofree char *kept = NULL;
  Outcome outcome = { 0 };

  CU_ASSERT_PTR_NOT_NULL_FATAL (spool);
  /* Planted after the start, as a second process on the directory
   * would, so the scan cannot skip its id. */
  plant_file (dir, "s000001-m0001.msg", "old\r\n");
  naccs_sim_spool_commit_message (spool, 1, 1, data, on_done, &outcome);
  CU_ASSERT_TRUE_FATAL (wait_outcomes (&outcome, 1));

  CU_ASSERT_PTR_NULL (outcome.path);
  CU_ASSERT_TRUE (g_error_matches (outcome.error, NACCS_SIM_SPOOL_ERROR,
                                   NACCS_SIM_SPOOL_ERROR_WRITE));
  kept = read_file (dir, "s000001-m0001.msg");
  CU_ASSERT_STRING_EQUAL (kept != NULL ? kept : "(missing)", "old\r\n");
  CU_ASSERT_EQUAL (count_files (dir, "."), 0);
  outcome_clear (&outcome);
  g_clear_pointer (&spool, naccs_sim_spool_free);
  remove_dir (dir);
}

/* Writes one entry to the transcript of session 1 and frees it. */
static void
write_transcript (NaccsSimSpool *spool)
{
  NaccsSimTranscript *transcript = naccs_sim_transcript_new (spool, 1);

  naccs_sim_transcript_add (transcript, 0, "--", "connect");
  naccs_sim_transcript_free (transcript);
}

/* Proves a transcript is never written through a planted symbolic link
 * or into a planted file, and the refusal is logged. */
static void
test_transcript_refuses_planted (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-spool-XXXXXX", NULL);
  g_autofree char *target = g_build_filename (dir, "target", NULL);
  g_autofree char *link = g_build_filename (dir, "s000001.transcript", NULL);
  g_autoptr (NaccsSimSpool) spool = naccs_sim_spool_new (dir, NULL);
  g_autofree char *got = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (spool);
  plant_file (dir, "target", "");
  CU_ASSERT_EQUAL_FATAL (symlink (target, link), 0);
  g_string_truncate (warnings, 0);
  write_transcript (spool);
  got = read_file (dir, "target");
  CU_ASSERT_STRING_EQUAL (got != NULL ? got : "(missing)", "");
  CU_ASSERT_PTR_NOT_NULL (strstr (warnings->str,
                                  "event=transcript-refused"));

  g_unlink (link);
  plant_file (dir, "s000001.transcript", "planted\n");
  write_transcript (spool);
  g_free (got);
  got = read_file (dir, "s000001.transcript");
  CU_ASSERT_STRING_EQUAL (got != NULL ? got : "(missing)", "planted\n");
  g_clear_pointer (&spool, naccs_sim_spool_free);
  remove_dir (dir);
}

/* Proves a transcript replaced by a symbolic link between two flushes is
 * not written through, and its later entries are dropped. */
static void
test_transcript_refuses_swapped (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-spool-XXXXXX", NULL);
  g_autofree char *target = g_build_filename (dir, "target", NULL);
  g_autofree char *path = g_build_filename (dir, "s000001.transcript", NULL);
  g_autoptr (NaccsSimSpool) spool = naccs_sim_spool_new (dir, NULL);
  g_autofree char *got = NULL;
  NaccsSimTranscript *transcript;

  CU_ASSERT_PTR_NOT_NULL_FATAL (spool);
  plant_file (dir, "target", "");
  transcript = naccs_sim_transcript_new (spool, 1);
  naccs_sim_transcript_add (transcript, 0, "--", "first");
  naccs_sim_transcript_flush (transcript);
  got = read_file (dir, "s000001.transcript");
  CU_ASSERT_STRING_EQUAL (got != NULL ? got : "(missing)",
                          "   0.000 -- first\n");

  g_unlink (path);
  CU_ASSERT_EQUAL_FATAL (symlink (target, path), 0);
  g_string_truncate (warnings, 0);
  naccs_sim_transcript_add (transcript, 1000, "--", "second");
  naccs_sim_transcript_free (transcript);
  g_free (got);
  got = read_file (dir, "target");
  CU_ASSERT_STRING_EQUAL (got != NULL ? got : "(missing)", "");
  CU_ASSERT_PTR_NOT_NULL (strstr (warnings->str, "reason=symlink"));
  g_clear_pointer (&spool, naccs_sim_spool_free);
  remove_dir (dir);
}

int
main (void)
{
  CU_pSuite suite;
  unsigned int failures;

  warnings = g_string_new (NULL);
  g_log_set_writer_func (keep_warnings, NULL, NULL);
  if (CU_initialize_registry () != CUE_SUCCESS)
    return 1;
  suite = CU_add_suite ("/spool", NULL, NULL);
  CU_add_test (suite, "commit stores files", test_commit_stores_files);
  CU_add_test (suite, "abandoned commit stored",
               test_abandoned_commit_stored);
  CU_add_test (suite, "free finishes queue", test_free_finishes_queue);
  CU_add_test (suite, "failed commit reports error",
               test_failed_commit_reports_error);
  CU_add_test (suite, "last session id", test_last_session_id);
  CU_add_test (suite, "last session id exhausted",
               test_last_session_id_exhausted);
  CU_add_test (suite, "existing message kept", test_existing_message_kept);
  CU_add_test (suite, "transcript refuses planted",
               test_transcript_refuses_planted);
  CU_add_test (suite, "transcript refuses swapped",
               test_transcript_refuses_swapped);

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  g_string_free (warnings, TRUE);
  return failures == 0 ? 0 : 1;
}
