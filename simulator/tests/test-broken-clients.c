/* test-broken-clients.c: every check of naccs-sim fails for a real client
 * that breaks its rule, and for no other reason.
 *
 * The client is real-clients/broken/broken-client.py, a raw-socket SMTP
 * client that conforms by default and breaks one rule per --fault.  Each
 * row of the table below runs `naccs-sim suite` with one fault on one
 * scenario and names every check that must fail, plus a text that the
 * verdict of the rule's check (its explanation or an evidence line) must
 * contain.  Where a fault makes more than one check fail, a comment on
 * the row gives the reason.  The conforming client then runs every scenario of the table and
 * must pass them all, so each failure is the fault's doing.  All runs go
 * at once, one suite process per row, because the TIME-GIVE-UP rows wait
 * up to 6 s.  The JSON reports are read through report-verdicts.py, since
 * GLib has no JSON parser.  meson passes the paths: NACCS_SIM,
 * NACCS_FIXTURES, SUITE_SCENARIOS (scenarios/), BROKEN_SCENARIOS
 * (scenarios-broken/), SUITE_REAL_CLIENTS (real-clients/) and PYTHON.
 */
#include "test-e2e-support.h"

#include <string.h>

/* The slowest row waits 6 s for a silent center, and the others take
 * under 3 s, so the limit leaves room for a loaded machine. */
#define SCENARIO_TIMEOUT_S "20"
#define RUN_TIMEOUT_MS 60000

/* A scenario name with this prefix is a file of scenarios-broken/. */
#define BROKEN_PREFIX "broken-"

typedef struct {
  const char *fault;        /* broken-client.py --fault */
  const char *scenario;     /* scenario id */
  const char *want_failed;  /* every check that must fail, sorted */
  const char *check;        /* the check of the broken rule */
  const char *evidence;     /* text its verdict must contain */
} BrokenCase;

static const BrokenCase cases[] = {
  { "early-helo", "t13-connect-stall", "SEQ-GREETING",
    "SEQ-GREETING", "before the 220 greeting" },
  { "ehlo", "f10-two-messages", "SEQ-HELO",
    "SEQ-HELO", "the client sent EHLO instead of HELO" },
  { "helo-domain", "f10-one-message", "SEQ-HELO",
    "SEQ-HELO", "HELO domain \"WRONG.EXAMPLE.INVALID\" is not the assigned "
                "domain \"SYNTH.EXAMPLE.INVALID\"" },
  { "mail-from", "f10-one-message", "SEQ-MAIL",
    "SEQ-MAIL", "the address \"WRONG@WRONG.EXAMPLE.INVALID\" is not the "
                "expected \"ZZX9A@SYNTH.EXAMPLE.INVALID\"" },
  /* The center accepts only its own address, so it refuses the default
   * one with 550: the message never arrives and the client exits 1. */
  { "rcpt-default", "t13-rcpt-250-other-address",
    "CLIENT-EXIT MSG-COUNT SEQ-RCPT",
    "SEQ-RCPT", "the address \"NACCS@EDIFACT.PROD.NACCS6\" is not the "
                "expected \"NACCS@EDIFACT.TEST.NACCS6\"" },
  { "data-before-rcpt", "f10-one-message", "SEQ-ORDER",
    "SEQ-ORDER", "\"DATA\" is out of sequence; the next command should "
                 "have been RCPT TO" },
  { "pipelining", "f10-two-messages", "SEQ-WAIT",
    "SEQ-WAIT", "\"RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>\" arrived at" },
  /* The NOOP sent with QUIT in one write arrives before the 221, so it
   * is no reaction to it and SES-AFTER-CLOSE passes. */
  { "pipelining-quit", "f10-one-message", "SEQ-WAIT",
    "SEQ-WAIT", "\"RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>\" arrived at" },
  { "no-dot-stuffing", "dot-first-byte", "MSG-DOT",
    "MSG-DOT", "line 1 lost its leading \".\"" },
  { "resend-accepted", "f10-one-message", "MSG-COUNT",
    "MSG-COUNT", "was sent again after the center had accepted it with "
                 "250" },
  { "skip-message", "f10-two-messages", "MSG-COUNT",
    "MSG-COUNT", "Fixture messages/02-dot-lines.edi was never accepted" },
  /* A conforming client refuses the file and exits 2, which the
   * scenario expects. */
  { "no-line-check", "line-1001-refused", "CLIENT-EXIT MSG-LINE-LENGTH",
    "MSG-LINE-LENGTH", "line 4 is longer than 1000 octets with its CRLF" },
  /* The message the center keeps has LF where the fixture has CRLF. */
  { "bare-lf", "f10-one-message", "MSG-CRLF MSG-DOT",
    "MSG-CRLF", "message 1: line 1 holds a bare CR or LF" },
  { "no-quit", "f10-two-messages", "SES-QUIT",
    "SES-QUIT", "without QUIT" },
  { "no-quit", "idle-quit-promptly", "SES-QUIT",
    "SES-QUIT", "the client closed the connection at" },
  { "after-close", "broken-221-left-open", "SES-AFTER-CLOSE",
    "SES-AFTER-CLOSE", "the client sent \"NOOP\" after reply 221" },
  /* A NOOP after 421 is also an action the action table does not allow. */
  { "after-close", "t13-data-421-left-open",
    "ERR-ACTION SES-AFTER-CLOSE",
    "SES-AFTER-CLOSE", "the client sent \"NOOP\" after reply 421" },
  { "stay-after-421", "broken-421-left-open-idle", "SES-CLOSE-421",
    "SES-CLOSE-421", "kept the connection open after 421 until the center "
                     "timed it out" },
  /* DATA without an accepted RCPT TO is out of sequence too. */
  { "blind-continue", "t13-rcpt-550",
    "ERR-ACTION SEQ-ORDER",
    "ERR-ACTION", "after reply 550 the client's next action was \"DATA\"" },
  /* Message 1 is never sent after the "try again" text. */
  { "reads-text", "txt-misleading-text", "MSG-COUNT TXT-INDEPENDENT",
    "TXT-INDEPENDENT", "after the reply \"250 451 try again later\" the "
                       "client's next action was \"RSET\"" },
  { "slow-give-up", "t13-helo-silent", "TIME-GIVE-UP",
    "TIME-GIVE-UP", "later than the bound of 5.000 s" },
  { "hasty-give-up", "t13-helo-silent", "TIME-GIVE-UP",
    "TIME-GIVE-UP", "before the minimum of 1.000 s" },
  { "wrong-exit", "f10-one-message", "CLIENT-EXIT",
    "CLIENT-EXIT", "the scenario expects status 0" },
};

/* One `naccs-sim suite` run: a row, or the conforming client on every
 * scenario (fault NULL). */
typedef struct {
  const char *fault;
  GPtrArray *scenarios;     /* char* scenario paths */
  char *report;             /* JSON report path */
  E2eRun run;
  gboolean started;
} SuiteRun;

/* Results of all runs, made once and shared by the tests. */
typedef struct {
  char *dir;
  SuiteRun runs[G_N_ELEMENTS (cases) + 1];
  GHashTable *verdicts;     /* "report\tscenario\tcheck" -> "status\ttext" */
} BrokenResults;

static BrokenResults *results;

static char *
scenario_path (const char *id)
{
  g_autofree char *name = g_strconcat (id, ".yaml", NULL);

  if (g_str_has_prefix (id, BROKEN_PREFIX))
    return g_build_filename (e2e_env ("BROKEN_SCENARIOS"), name, NULL);
  return g_build_filename (e2e_env ("SUITE_SCENARIOS"), name, NULL);
}

static gpointer
run_suite_thread (gpointer data)
{
  SuiteRun *suite_run = data;
  g_autofree char *client =
    g_strdup_printf ("%s %s/broken/broken-client.py%s%s",
                     e2e_env ("PYTHON"), e2e_env ("SUITE_REAL_CLIENTS"),
                     suite_run->fault != NULL ? " --fault " : "",
                     suite_run->fault != NULL ? suite_run->fault : "");
  g_autofree char *report = g_strconcat ("json:", suite_run->report, NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) e2e_env ("NACCS_SIM"));
  g_ptr_array_add (argv, (gpointer) "suite");
  g_ptr_array_add (argv, (gpointer) "--jobs");
  g_ptr_array_add (argv, (gpointer) "4");
  g_ptr_array_add (argv, (gpointer) "--timeout");
  g_ptr_array_add (argv, (gpointer) SCENARIO_TIMEOUT_S);
  g_ptr_array_add (argv, (gpointer) "--fixtures-dir");
  g_ptr_array_add (argv, (gpointer) e2e_env ("NACCS_FIXTURES"));
  g_ptr_array_add (argv, (gpointer) "--client");
  g_ptr_array_add (argv, client);
  g_ptr_array_add (argv, (gpointer) "--report");
  g_ptr_array_add (argv, report);
  for (guint i = 0; i < suite_run->scenarios->len; i++)
    g_ptr_array_add (argv, g_ptr_array_index (suite_run->scenarios, i));
  g_ptr_array_add (argv, NULL);
  suite_run->started = e2e_run ((const char *const *) argv->pdata,
                                RUN_TIMEOUT_MS, &suite_run->run);
  return NULL;
}

/* Reads every report through report-verdicts.py into results->verdicts.
 * A report that is missing leaves its rows without verdicts, which the
 * tests then report. */
static void
read_verdicts (void)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *script =
    g_build_filename (e2e_env ("SUITE_REAL_CLIENTS"), "broken",
                      "report-verdicts.py", NULL);
  g_auto (GStrv) lines = NULL;
  E2eRun run;

  results->verdicts = g_hash_table_new_full (g_str_hash, g_str_equal,
                                             g_free, g_free);
  g_ptr_array_add (argv, (gpointer) e2e_env ("PYTHON"));
  g_ptr_array_add (argv, script);
  for (gsize i = 0; i < G_N_ELEMENTS (results->runs); i++)
    if (g_file_test (results->runs[i].report, G_FILE_TEST_EXISTS))
      g_ptr_array_add (argv, results->runs[i].report);
  g_ptr_array_add (argv, NULL);
  if (!e2e_run ((const char *const *) argv->pdata, RUN_TIMEOUT_MS, &run))
    return;
  if (run.exit_status != 0)
    g_printerr ("\nreport-verdicts.py failed:\n%s\n", run.err);

  /* Each line: report, scenario, check, status, text. */
  lines = g_strsplit (run.out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[i], "\t", 5);

      if (g_strv_length (fields) != 5)
        continue;
      g_hash_table_insert (results->verdicts,
                           g_strjoin ("\t", fields[0], fields[1], fields[2],
                                      NULL),
                           g_strjoin ("\t", fields[3], fields[4], NULL));
    }
  e2e_run_clear (&run);
}

static void
add_unique_scenario (GPtrArray *paths, const char *id)
{
  g_autofree char *path = scenario_path (id);

  for (guint i = 0; i < paths->len; i++)
    if (strcmp (g_ptr_array_index (paths, i), path) == 0)
      return;
  g_ptr_array_add (paths, g_steal_pointer (&path));
}

/* Starts every run at once and waits for all of them. */
static void
run_all (void)
{
  const gsize n_runs = G_N_ELEMENTS (results->runs);
  SuiteRun *conforming = &results->runs[n_runs - 1];
  GThread *threads[G_N_ELEMENTS (results->runs)];

  for (gsize i = 0; i < n_runs; i++)
    {
      SuiteRun *suite_run = &results->runs[i];
      g_autofree char *name = g_strdup_printf ("run-%02zu.json", i);

      suite_run->scenarios = g_ptr_array_new_with_free_func (g_free);
      suite_run->report = g_build_filename (results->dir, name, NULL);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SuiteRun *suite_run = &results->runs[i];

      suite_run->fault = cases[i].fault;
      g_ptr_array_add (suite_run->scenarios,
                       scenario_path (cases[i].scenario));
      add_unique_scenario (conforming->scenarios, cases[i].scenario);
    }

  for (gsize i = 0; i < n_runs; i++)
    threads[i] = g_thread_new ("suite-run", run_suite_thread,
                               &results->runs[i]);
  for (gsize i = 0; i < n_runs; i++)
    g_thread_join (threads[i]);
  read_verdicts ();
}

static BrokenResults *
get_results (void)
{
  if (results == NULL)
    {
      results = g_new0 (BrokenResults, 1);
      results->dir = e2e_make_temp_dir ("broken-clients");
      run_all ();
    }
  return results;
}

static int
clean_results (void)
{
  if (results == NULL)
    return 0;
  for (gsize i = 0; i < G_N_ELEMENTS (results->runs); i++)
    {
      g_clear_pointer (&results->runs[i].scenarios, g_ptr_array_unref);
      g_free (results->runs[i].report);
      if (results->runs[i].started)
        e2e_run_clear (&results->runs[i].run);
    }
  g_clear_pointer (&results->verdicts, g_hash_table_unref);
  e2e_remove_tree (results->dir);
  g_free (results->dir);
  g_clear_pointer (&results, g_free);
  return 0;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Returns the checks of @scenario in @report that failed, sorted and
 * joined by " "; *n_verdicts gets how many verdicts the report holds for
 * the scenario. */
static char *
failed_checks (const char *report, const char *scenario, guint *n_verdicts)
{
  g_autoptr (GPtrArray) failed = g_ptr_array_new ();
  g_autofree char *prefix = g_strjoin ("\t", report, scenario, "", NULL);
  GHashTableIter iter;
  gpointer key, value;

  *n_verdicts = 0;
  g_hash_table_iter_init (&iter, results->verdicts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_str_has_prefix (key, prefix))
        continue;
      (*n_verdicts)++;
      if (g_str_has_prefix (value, "fail\t"))
        g_ptr_array_add (failed, (char *) key + strlen (prefix));
    }
  g_ptr_array_sort (failed, compare_strings);
  g_ptr_array_add (failed, NULL);
  return g_strjoinv (" ", (char **) failed->pdata);
}

/* Returns "status\ttext" of one verdict, or NULL. */
static const char *
verdict_of (const char *report, const char *scenario, const char *check)
{
  g_autofree char *key = g_strjoin ("\t", report, scenario, check, NULL);

  return g_hash_table_lookup (results->verdicts, key);
}

static void
print_run (const SuiteRun *suite_run)
{
  g_printerr ("--- naccs-sim suite stdout\n%s--- stderr\n%s---\n",
              suite_run->run.out, suite_run->run.err);
}

/* Proves each fault fails exactly the checks of its row, and the rule's
 * check with the expected evidence. */
static void
test_faults_fail_their_checks (void)
{
  get_results ();

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const BrokenCase *row = &cases[i];
      const SuiteRun *suite_run = &results->runs[i];
      guint n_verdicts = 0;
      g_autofree char *got = failed_checks (suite_run->report, row->scenario,
                                            &n_verdicts);
      const char *verdict = verdict_of (suite_run->report, row->scenario,
                                        row->check);
      gboolean has_evidence = verdict != NULL
                              && strstr (verdict, row->evidence) != NULL;

      if (strcmp (got, row->want_failed) != 0 || !has_evidence)
        {
          g_printerr ("\nfault %s, scenario %s: failed checks \"%s\", want "
                      "\"%s\"\n%s verdict: %s\nwant it to contain: %s\n",
                      row->fault, row->scenario, got, row->want_failed,
                      row->check, verdict != NULL ? verdict : "(none)",
                      row->evidence);
          print_run (suite_run);
        }
      CU_ASSERT_TRUE (suite_run->started);
      CU_ASSERT_FALSE (suite_run->run.timed_out);
      CU_ASSERT_EQUAL (suite_run->run.exit_status, 1);
      CU_ASSERT_TRUE (n_verdicts > 0);
      CU_ASSERT_STRING_EQUAL (got, row->want_failed);
      CU_ASSERT_TRUE (has_evidence);
    }
}

/* Proves the client without a fault passes every scenario of the table,
 * so a check that fails in a row fails because of the fault. */
static void
test_conforming_client_passes (void)
{
  const SuiteRun *conforming;

  get_results ();
  conforming = &results->runs[G_N_ELEMENTS (results->runs) - 1];
  if (conforming->run.exit_status != 0)
    print_run (conforming);
  CU_ASSERT_TRUE (conforming->started);
  CU_ASSERT_EQUAL (conforming->run.exit_status, 0);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint n_verdicts = 0;
      g_autofree char *got = failed_checks (conforming->report,
                                            cases[i].scenario, &n_verdicts);

      if (*got != '\0')
        g_printerr ("\nconforming client, scenario %s: failed checks "
                    "\"%s\"\n", cases[i].scenario, got);
      CU_ASSERT_TRUE (n_verdicts > 0);
      CU_ASSERT_STRING_EQUAL (got, "");
    }
}

/* Proves the table covers every check of naccs-sim and CLIENT-EXIT. */
static void
test_every_check_has_a_row (void)
{
  static const char *const checks[] = {
    "SEQ-GREETING", "SEQ-HELO", "SEQ-MAIL", "SEQ-RCPT", "SEQ-ORDER",
    "SEQ-WAIT", "MSG-DOT", "MSG-COUNT", "MSG-LINE-LENGTH", "MSG-CRLF",
    "SES-QUIT", "SES-AFTER-CLOSE", "SES-CLOSE-421", "ERR-ACTION",
    "TXT-INDEPENDENT", "TIME-GIVE-UP", "CLIENT-EXIT",
  };
  const SuiteRun *conforming;
  guint n_verdicts = 0;
  g_autofree char *unused = NULL;

  for (gsize c = 0; c < G_N_ELEMENTS (checks); c++)
    {
      gboolean found = FALSE;

      for (gsize i = 0; i < G_N_ELEMENTS (cases) && !found; i++)
        found = strcmp (cases[i].check, checks[c]) == 0;
      if (!found)
        g_printerr ("\nno row breaks %s\n", checks[c]);
      CU_ASSERT_TRUE (found);
    }

  /* The report lists no check that the list above lacks. */
  get_results ();
  conforming = &results->runs[G_N_ELEMENTS (results->runs) - 1];
  unused = failed_checks (conforming->report, cases[0].scenario,
                          &n_verdicts);
  CU_ASSERT_EQUAL (n_verdicts, G_N_ELEMENTS (checks));
}

static const E2eTest broken_client_tests[] = {
  { "faults fail their checks", test_faults_fail_their_checks },
  { "conforming client passes", test_conforming_client_passes },
  { "every check has a row", test_every_check_has_a_row },
  { NULL, NULL },
};

static const E2eSuite suites[] = {
  { "/suite/broken-clients", NULL, broken_client_tests },
  { NULL, NULL, NULL },
};

int
main (int argc, char **argv)
{
  int status = e2e_main (argc, argv, suites);

  clean_results ();
  return status;
}
