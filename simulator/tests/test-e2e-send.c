/* test-e2e-send.c: naccs-send against naccs-sim, both as built programs.
 *
 * The reference client and the mock center have separate dot-stuffing and
 * dot-removing code on purpose, so this test proves the two agree on every
 * fixture: figure 4-3-10 of the NACCS EDI specification sends many messages
 * on one connection (one HELO, then MAIL/RCPT/DATA per message, one QUIT),
 * and each stored message must equal its file byte for byte, with a CRLF
 * appended to a file whose last line has none.
 */
#include "test-e2e-support.h"

#include <string.h>

/* Builds the naccs-send command line for @port and every path in @files. */
static GPtrArray *
send_argv (guint port, GPtrArray *files)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (e2e_env ("NACCS_SEND")));
  g_ptr_array_add (argv, g_strdup_printf ("--server=127.0.0.1:%u", port));
  g_ptr_array_add (argv, g_strdup ("--helo=" E2E_HELO_DOMAIN));
  g_ptr_array_add (argv, g_strdup ("--from=" E2E_SENDER_ADDRESS));
  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add (argv, g_strdup (files->pdata[i]));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Checks that naccs-send's report has exactly one line per file. */
static void
assert_one_report_line_per_file (const char *report, GPtrArray *files)
{
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *name = g_path_get_basename (files->pdata[i]);
      guint lines = e2e_count_lines_containing (report, name);
      if (lines != 1)
        g_printerr ("report names %s on %u lines, want 1:\n%s\n", name,
                    lines, report);
      CU_ASSERT_EQUAL (lines, 1);
    }
}

/* Checks that the only transcript in @spool shows one session with one
 * HELO, @messages MAIL commands and one QUIT, so all messages shared one
 * connection. */
static void
assert_one_session (const char *spool, guint messages)
{
  g_autofree char *transcript = e2e_read_only_file (spool, ".transcript");

  if (transcript == NULL)
    return;
  CU_ASSERT_EQUAL (e2e_count_client_commands (transcript, "HELO"), 1);
  CU_ASSERT_EQUAL (e2e_count_client_commands (transcript, "QUIT"), 1);
  CU_ASSERT_EQUAL (e2e_count_client_commands (transcript, "EHLO"), 0);
  CU_ASSERT_EQUAL (e2e_count_client_commands (transcript, "MAIL"),
                   messages);
}

/* Proves every fixture arrives byte for byte over one connection. */
static void
test_all_fixtures_one_connection (void)
{
  g_autofree char *spool = e2e_make_temp_dir ("spool");
  g_autoptr (GPtrArray) files = e2e_fixture_paths ("messages");
  g_autoptr (GPtrArray) argv = NULL;
  E2eSim sim;
  E2eRun run;

  CU_ASSERT_TRUE (files->len >= 10);
  CU_ASSERT_TRUE_FATAL (spool != NULL && e2e_sim_start (&sim, spool, NULL));
  argv = send_argv (sim.port, files);
  CU_ASSERT_TRUE (e2e_run ((const char *const *) argv->pdata,
                           E2E_RUN_TIMEOUT_MS, &run));
  if (run.exit_status != 0)
    g_printerr ("naccs-send exited %d:\n%s%s\n", run.exit_status, run.out,
                run.err);
  CU_ASSERT_EQUAL (run.exit_status, 0);
  CU_ASSERT_FALSE (run.timed_out);
  assert_one_report_line_per_file (run.out, files);
  CU_ASSERT_EQUAL (e2e_sim_stop (&sim), 0);

  e2e_assert_spool_matches (spool, files, E2E_SPOOL_ONE_SESSION, NULL);
  assert_one_session (spool, files->len);

  e2e_run_clear (&run);
  e2e_sim_clear (&sim);
  e2e_remove_tree (spool);
}

/* Proves each fixture also arrives alone, on a connection of its own. */
static void
test_each_fixture_alone (void)
{
  g_autofree char *spool = e2e_make_temp_dir ("spool");
  g_autoptr (GPtrArray) files = e2e_fixture_paths ("messages");
  E2eSim sim;

  CU_ASSERT_TRUE_FATAL (spool != NULL && e2e_sim_start (&sim, spool, NULL));
  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr (GPtrArray) one = g_ptr_array_new ();
      g_autoptr (GPtrArray) argv = NULL;
      E2eRun run;

      g_ptr_array_add (one, files->pdata[i]);
      argv = send_argv (sim.port, one);
      CU_ASSERT_TRUE (e2e_run ((const char *const *) argv->pdata,
                               E2E_RUN_TIMEOUT_MS, &run));
      if (run.exit_status != 0)
        g_printerr ("%s: naccs-send exited %d:\n%s%s\n",
                    (char *) files->pdata[i], run.exit_status, run.out,
                    run.err);
      CU_ASSERT_EQUAL (run.exit_status, 0);
      e2e_run_clear (&run);
    }
  CU_ASSERT_EQUAL (e2e_sim_stop (&sim), 0);

  e2e_assert_spool_matches (spool, files, E2E_SPOOL_SESSION_EACH, NULL);
  g_autoptr (GPtrArray) transcripts = e2e_list_dir (spool, ".transcript");
  CU_ASSERT_EQUAL (transcripts->len, files->len);

  e2e_sim_clear (&sim);
  e2e_remove_tree (spool);
}

static const E2eTest send_tests[] = {
  { "all fixtures one connection", test_all_fixtures_one_connection },
  { "each fixture alone", test_each_fixture_alone },
  { NULL, NULL },
};

static const E2eSuite suites[] = {
  { "/e2e/naccs-send", NULL, send_tests },
  { NULL, NULL, NULL },
};

int
main (int argc, char **argv)
{
  return e2e_main (argc, argv, suites);
}
