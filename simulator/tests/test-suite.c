/* test-suite.c: `naccs-sim suite` run as a user runs it.
 *
 * The built naccs-sim plays scenarios against real client processes: the
 * reference client naccs-send on the whole shipped library, small Python
 * clients that each break one rule (real-clients/broken/), a client that
 * hangs, and two suites at once.  The reports are checked with xmllint
 * against junit.xsd and with Python's json module.  meson passes the
 * paths: NACCS_SIM, NACCS_SEND, NACCS_FIXTURES, SUITE_SCENARIOS (the
 * source scenarios/), SUITE_REAL_CLIENTS (real-clients/), SUITE_JUNIT_XSD
 * and PYTHON.
 */
#include "test-e2e-support.h"

#include <stdarg.h>
#include <string.h>

#include <glib/gstdio.h>

/* Long enough for the whole library with its retry pauses of 5 s. */
#define SUITE_RUN_TIMEOUT_MS 240000

/* naccs-send with timeouts short enough for the scenarios whose center
 * goes silent, as their comments assume (--reply-timeout 2). */
#define REFERENCE_CLIENT \
  "%s --server {host}:{port} --helo {helo} --from {from} --to {to} " \
  "--connect-timeout 2 --greeting-timeout 2 --reply-timeout 2 " \
  "--data-timeout 3 {messages}"

/* Runs `naccs-sim suite ARGS...` (NULL-terminated) and returns its run. */
static void
run_suite (E2eRun *run, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (argv, (gpointer) e2e_env ("NACCS_SIM"));
  g_ptr_array_add (argv, (gpointer) "suite");
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  CU_ASSERT_TRUE_FATAL (e2e_run ((const char *const *) argv->pdata,
                                 SUITE_RUN_TIMEOUT_MS, run));
}

static void
print_run_if (gboolean condition, const E2eRun *run)
{
  if (condition)
    g_printerr ("\n--- stdout\n%s--- stderr\n%s---\n", run->out, run->err);
}

/* Reads a verdict TSV into "scenario\tcheck" -> status. */
static GHashTable *
read_tsv (const char *path)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal,
                                             g_free, g_free);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return table;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *last_tab = strrchr (lines[i], '\t');

      if (last_tab == NULL)
        continue;
      g_hash_table_insert (table, g_strndup (lines[i], last_tab - lines[i]),
                           g_strdup (last_tab + 1));
    }
  return table;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Returns the checks of @scenario that failed, sorted, joined by " ". */
static char *
failed_checks (GHashTable *verdicts, const char *scenario)
{
  g_autoptr (GPtrArray) failed = g_ptr_array_new ();
  g_autofree char *prefix = g_strconcat (scenario, "\t", NULL);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, verdicts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_str_has_prefix (key, prefix) && strcmp (value, "fail") == 0)
      g_ptr_array_add (failed, (char *) key + strlen (prefix));
  g_ptr_array_sort (failed, compare_strings);
  g_ptr_array_add (failed, NULL);
  return g_strjoinv (" ", (char **) failed->pdata);
}

static char *
reference_client (void)
{
  return g_strdup_printf (REFERENCE_CLIENT, e2e_env ("NACCS_SEND"));
}

/* ---- /suite/cli ---- */

/* Proves bad input, a misspelt placeholder or a report path that cannot
 * be written included, stops the suite with status 2 before any run. */
static void
test_usage_errors (void)
{
  g_autofree char *empty = e2e_make_temp_dir ("suite-empty");
  static const struct {
    const char *args[4];
    const char *want;
  } cases[] = {
    { { "--client", "sh", "--jobs", "0" }, "invalid --jobs 0" },
    { { "--client", "sh", "--timeout", "-1" }, "invalid --timeout -1" },
    { { "--client", "sh", "--report", "xml:out" }, "invalid --report" },
    { { "--client", "sh {hots}" }, "unknown placeholder \"{hots}\"" },
    { { "--client", "sh {HOST}" }, "unknown placeholder \"{HOST}\"" },
    { { "--client", "sh {host" }, "unclosed \"{\" in argument \"{host\"" },
    { { "--client", "sh", "--report", "cert:/no/such/dir/cert.json" },
      "invalid --report \"cert:/no/such/dir/cert.json\": directory "
      "/no/such/dir does not exist" },
    { { "--client", "sh", "--report", "text:/" },
      "invalid --report \"text:/\": / is a directory" },
    { { "--client", "no-such-client-xyz" }, "not found in PATH" },
    { { "--id", "f10-one-message" }, "missing --client" },
    { { "--client", "sh", "--id", "no-such-id" }, "no scenario has id" },
    { { "--client", "sh", "--tag", "no-such-tag" }, "no scenario has tag" },
    { { "--client", "sh", "/no/such/scenario.yaml" }, "scenario.yaml" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      E2eRun run;

      run_suite (&run, cases[i].args[0], cases[i].args[1], cases[i].args[2],
                 cases[i].args[3], NULL);
      print_run_if (run.exit_status != 2
                    || strstr (run.err, cases[i].want) == NULL, &run);
      CU_ASSERT_EQUAL (run.exit_status, 2);
      CU_ASSERT_PTR_NOT_NULL (strstr (run.err, cases[i].want));
      e2e_run_clear (&run);
    }

  E2eRun run;
  run_suite (&run, "--client", "sh", empty, NULL);
  print_run_if (run.exit_status != 2, &run);
  CU_ASSERT_EQUAL (run.exit_status, 2);
  CU_ASSERT_PTR_NOT_NULL (strstr (run.err, "no scenario files found"));
  e2e_run_clear (&run);
  e2e_remove_tree (empty);
}

/* Copies the shipped scenario @id into @dir. */
static void
copy_scenario (const char *id, const char *dir, const char *as_name)
{
  g_autofree char *name = g_strconcat (id, ".yaml", NULL);
  g_autofree char *from = g_build_filename (e2e_env ("SUITE_SCENARIOS"),
                                            name, NULL);
  g_autofree char *to = g_build_filename (dir, as_name, NULL);
  g_autofree char *text = NULL;
  gsize length;

  CU_ASSERT_TRUE_FATAL (g_file_get_contents (from, &text, &length, NULL));
  CU_ASSERT_TRUE_FATAL (g_file_set_contents (to, text, length, NULL));
}

/* Proves one invalid file among valid ones stops the suite before any
 * client runs, and so does an id used twice. */
static void
test_invalid_scenario_runs_nothing (void)
{
  g_autofree char *dir = e2e_make_temp_dir ("suite-invalid");
  g_autofree char *bad = g_build_filename (dir, "bad.yaml", NULL);
  g_autofree char *marker = g_build_filename (dir, "client-ran", NULL);
  g_autofree char *client = g_strdup_printf ("touch %s", marker);
  E2eRun run;

  copy_scenario ("f10-one-message", dir, "a.yaml");
  CU_ASSERT_TRUE_FATAL (g_file_set_contents (bad, "id: bad\nstal: 1s\n", -1,
                                             NULL));
  run_suite (&run, "--client", client, "--fixtures-dir",
             e2e_env ("NACCS_FIXTURES"), dir, NULL);
  print_run_if (run.exit_status != 2, &run);
  CU_ASSERT_EQUAL (run.exit_status, 2);
  CU_ASSERT_PTR_NOT_NULL (strstr (run.err, "bad.yaml"));
  CU_ASSERT_FALSE (g_file_test (marker, G_FILE_TEST_EXISTS));
  e2e_run_clear (&run);

  g_unlink (bad);
  copy_scenario ("f10-one-message", dir, "b.yaml");
  run_suite (&run, "--client", client, "--fixtures-dir",
             e2e_env ("NACCS_FIXTURES"), dir, NULL);
  print_run_if (run.exit_status != 2, &run);
  CU_ASSERT_EQUAL (run.exit_status, 2);
  CU_ASSERT_PTR_NOT_NULL (strstr (run.err, "is already used by"));
  CU_ASSERT_FALSE (g_file_test (marker, G_FILE_TEST_EXISTS));
  e2e_run_clear (&run);
  e2e_remove_tree (dir);
}

/* Proves --list shows id, title and tags of the selection only, and that
 * --id and --tag select the union of what each matches. */
static void
test_list_and_filters (void)
{
  E2eRun run;

  run_suite (&run, "--list", NULL);
  print_run_if (run.exit_status != 0, &run);
  CU_ASSERT_EQUAL (run.exit_status, 0);
  CU_ASSERT_PTR_NOT_NULL (strstr (run.out, "f10-two-messages"));
  CU_ASSERT_PTR_NOT_NULL (strstr (run.out, "Two messages on one connection"));
  CU_ASSERT_PTR_NOT_NULL (strstr (run.out, "[sequence, happy-path"));
  e2e_run_clear (&run);

  run_suite (&run, "--list", "--id", "f10-one-message", "--tag", "nul",
             NULL);
  print_run_if (run.exit_status != 0, &run);
  CU_ASSERT_EQUAL (run.exit_status, 0);
  CU_ASSERT_PTR_NOT_NULL (strstr (run.out, "f10-one-message"));
  CU_ASSERT_PTR_NOT_NULL (strstr (run.out, "line-nul-padding"));
  CU_ASSERT_PTR_NULL (strstr (run.out, "f10-two-messages"));
  CU_ASSERT_EQUAL (e2e_count_lines_containing (run.out, "  ["), 2);
  e2e_run_clear (&run);
}

/* ---- /suite/reference ---- */

/* Proves the reference client meets every scenario of the shipped
 * library, which the suite finds by itself from the build tree. */
static void
test_reference_client_library (void)
{
  g_autofree char *client = reference_client ();
  E2eRun run;

  run_suite (&run, "--jobs", "24", "--client", client, NULL);
  print_run_if (run.exit_status != 0, &run);
  CU_ASSERT_EQUAL (run.exit_status, 0);
  CU_ASSERT_PTR_NULL (strstr (run.out, "Checks not as expected"));
  e2e_run_clear (&run);
}

/* ---- /suite/broken ---- */

/* Proves a client that breaks one rule fails exactly that rule's checks.
 * A client opening with EHLO falls back to HELO after the center's 502, as
 * RFC 5321 section 4.1.4 asks, so only SEQ-HELO fails. */
static void
test_broken_clients (void)
{
  static const struct {
    const char *fault;
    const char *scenario;
    const char *want_failed;
  } cases[] = {
    { "ehlo", "f10-two-messages", "SEQ-HELO" },
    { "no-dot-stuffing", "dot-first-byte", "MSG-DOT" },
    { "no-quit", "f10-two-messages", "SES-QUIT" },
    { "no-quit", "idle-quit-promptly", "SES-QUIT" },
  };
  g_autofree char *dir = e2e_make_temp_dir ("suite-broken");
  g_autofree char *tsv = g_build_filename (dir, "verdicts.tsv", NULL);
  g_autofree char *report = g_strconcat ("tsv:", tsv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *client =
        g_strdup_printf ("%s %s/broken/broken-client.py --fault %s",
                         e2e_env ("PYTHON"), e2e_env ("SUITE_REAL_CLIENTS"),
                         cases[i].fault);
      g_autoptr (GHashTable) verdicts = NULL;
      g_autofree char *got = NULL;
      E2eRun run;

      run_suite (&run, "--client", client, "--id", cases[i].scenario,
                 "--report", report, NULL);
      verdicts = read_tsv (tsv);
      got = failed_checks (verdicts, cases[i].scenario);
      if (strcmp (got, cases[i].want_failed) != 0)
        g_printerr ("\nfault %s, scenario %s: failed checks \"%s\", want "
                    "\"%s\"\n", cases[i].fault, cases[i].scenario, got,
                    cases[i].want_failed);
      print_run_if (run.exit_status != 1, &run);
      CU_ASSERT_EQUAL (run.exit_status, 1);
      CU_ASSERT_STRING_EQUAL (got, cases[i].want_failed);
      e2e_run_clear (&run);
    }
  e2e_remove_tree (dir);
}

/* ---- /suite/limits ---- */

/* TRUE when process @pid is gone or a zombie, i.e. no longer runs. */
static gboolean
process_ended (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *stat = NULL;
  const char *state;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;
  state = strrchr (stat, ')');
  return state != NULL && state[1] == ' ' && state[2] == 'Z';
}

/* Proves a hanging client and the child it started are killed at the
 * limit, and the scenario fails with that reason. */
static void
test_hanging_client_killed (void)
{
  g_autofree char *dir = e2e_make_temp_dir ("suite-hang");
  g_autofree char *pids = g_build_filename (dir, "pids", NULL);
  g_autofree char *client =
    g_strdup_printf ("sh -c 'sleep 30 & echo $! > %s; echo $$ >> %s; wait'",
                     pids, pids);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  gint64 started = g_get_monotonic_time ();
  E2eRun run;

  run_suite (&run, "--client", client, "--timeout", "1", "--id",
             "f10-one-message", NULL);
  print_run_if (run.exit_status != 1, &run);
  CU_ASSERT_EQUAL (run.exit_status, 1);
  CU_ASSERT_TRUE (g_get_monotonic_time () - started < 10 * G_USEC_PER_SEC);
  CU_ASSERT_PTR_NOT_NULL (strstr (run.out, "CLIENT-EXIT"));
  CU_ASSERT_PTR_NOT_NULL (strstr (run.out, "still running at the time "
                                           "limit of 1.000 s"));
  e2e_run_clear (&run);

  CU_ASSERT_TRUE_FATAL (g_file_get_contents (pids, &text, NULL, NULL));
  lines = g_strsplit (g_strstrip (text), "\n", -1);
  CU_ASSERT_EQUAL (g_strv_length (lines), 2);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (!process_ended (lines[i]))
        g_printerr ("\nprocess %s still runs\n", lines[i]);
      CU_ASSERT_TRUE (process_ended (lines[i]));
    }
  e2e_remove_tree (dir);
}

static GSubprocess *
spawn_suite (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  GSubprocess *process =
    g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error);

  if (process == NULL)
    g_printerr ("cannot start %s: %s\n", argv[0], error->message);
  return process;
}

/* Asserts that the spool of @id under @dir holds one session and
 * @messages accepted messages. */
static void
assert_own_spool (const char *dir, const char *id, guint messages)
{
  g_autofree char *spool = g_build_filename (dir, id, NULL);
  g_autoptr (GPtrArray) transcripts = e2e_list_dir (spool, ".transcript");
  g_autoptr (GPtrArray) stored = e2e_list_dir (spool, ".msg");

  if (transcripts->len != 1 || stored->len != messages)
    g_printerr ("\n%s: %u transcripts and %u messages, want 1 and %u\n",
                spool, transcripts->len, stored->len, messages);
  CU_ASSERT_EQUAL (transcripts->len, 1);
  CU_ASSERT_EQUAL (stored->len, messages);
}

/* Proves two suites running at once give every scenario its own port and
 * its own spool: all listeners are open together while each client
 * sleeps, so a shared port would show as a repeated one. */
static void
test_parallel_suites_separate (void)
{
  static const struct {
    const char *id;
    guint messages;
  } scenarios[] = {
    { "f10-one-message", 1 },
    { "f10-two-messages", 2 },
    { "f10-three-messages", 3 },
    { "dot-first-byte", 1 },
  };
  g_autofree char *dir = e2e_make_temp_dir ("suite-parallel");
  g_autofree char *ports = g_build_filename (dir, "ports", NULL);
  g_autofree char *client =
    g_strdup_printf ("sh -c 'echo {port} >> %s; sleep 0.5; exec %s --server "
                     "{host}:{port} --helo {helo} --from {from} --to {to} "
                     "\"$@\"' sh {messages}", ports, e2e_env ("NACCS_SEND"));
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GSubprocess *runs[2];
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  for (guint r = 0; r < 2; r++)
    {
      g_autofree char *keep = g_strdup_printf ("%s/run%u", dir, r);
      const char *argv[] = {
        e2e_env ("NACCS_SIM"), "suite", "--jobs", "4", "--client", client,
        "--keep-spool", keep, "--id", scenarios[0].id, "--id",
        scenarios[1].id, "--id", scenarios[2].id, "--id", scenarios[3].id,
        NULL,
      };

      runs[r] = spawn_suite (argv);
      CU_ASSERT_PTR_NOT_NULL_FATAL (runs[r]);
    }
  for (guint r = 0; r < 2; r++)
    {
      CU_ASSERT_TRUE (g_subprocess_wait (runs[r], NULL, NULL));
      CU_ASSERT_EQUAL (g_subprocess_get_exit_status (runs[r]), 0);
      g_object_unref (runs[r]);
    }

  CU_ASSERT_TRUE_FATAL (g_file_get_contents (ports, &text, NULL, NULL));
  lines = g_strsplit (g_strstrip (text), "\n", -1);
  CU_ASSERT_EQUAL (g_strv_length (lines), 2 * G_N_ELEMENTS (scenarios));
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_hash_table_contains (seen, lines[i]))
        g_printerr ("\nport %s used twice\n", lines[i]);
      CU_ASSERT_FALSE (g_hash_table_contains (seen, lines[i]));
      g_hash_table_add (seen, lines[i]);
    }
  for (guint r = 0; r < 2; r++)
    for (gsize s = 0; s < G_N_ELEMENTS (scenarios); s++)
      {
        g_autofree char *keep = g_strdup_printf ("%s/run%u", dir, r);

        assert_own_spool (keep, scenarios[s].id, scenarios[s].messages);
      }
  e2e_remove_tree (dir);
}

/* ---- /suite/reports ---- */

/* Runs @argv and returns its exit status, printing its output when it is
 * not 0. */
static int
run_tool (const char *const *argv)
{
  E2eRun run;
  int status;

  if (!e2e_run (argv, 30000, &run))
    return -1;
  status = run.exit_status;
  print_run_if (status != 0, &run);
  e2e_run_clear (&run);
  return status;
}

static char *
scenario_digest (const char *id)
{
  g_autofree char *name = g_strconcat (id, ".yaml", NULL);
  g_autofree char *path = g_build_filename (e2e_env ("SUITE_SCENARIOS"),
                                            name, NULL);
  g_autofree char *text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &text, &length, NULL))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) text,
                                      length);
}

/* Proves the JUnit report validates against junit.xsd with one testsuite
 * per scenario, the JSON reports parse, and the certification record
 * names the digests, the command, the date and the host. */
static void
test_reports_validate (void)
{
  static const char *const ids[] = {
    "f10-one-message", "f10-two-messages", "dot-first-byte",
  };
  g_autofree char *dir = e2e_make_temp_dir ("suite-reports");
  g_autofree char *junit = g_build_filename (dir, "report.xml", NULL);
  g_autofree char *json = g_build_filename (dir, "report.json", NULL);
  g_autofree char *cert = g_build_filename (dir, "cert.json", NULL);
  g_autofree char *junit_arg = g_strconcat ("junit:", junit, NULL);
  g_autofree char *json_arg = g_strconcat ("json:", json, NULL);
  g_autofree char *cert_arg = g_strconcat ("cert:", cert, NULL);
  g_autofree char *client =
    g_strdup_printf ("%s %s/broken/broken-client.py --fault no-quit",
                     e2e_env ("PYTHON"), e2e_env ("SUITE_REAL_CLIENTS"));
  g_autofree char *xml_text = NULL;
  g_autofree char *cert_text = NULL;
  E2eRun run;

  run_suite (&run, "--client", client, "--id", ids[0], "--id", ids[1],
             "--id", ids[2], "--report", junit_arg, "--report", json_arg,
             "--report", cert_arg, NULL);
  print_run_if (run.exit_status != 1, &run);
  CU_ASSERT_EQUAL (run.exit_status, 1);
  e2e_run_clear (&run);

  const char *xmllint[] = {
    "xmllint", "--noout", "--schema", e2e_env ("SUITE_JUNIT_XSD"), junit,
    NULL,
  };
  CU_ASSERT_EQUAL (run_tool (xmllint), 0);
  CU_ASSERT_TRUE_FATAL (g_file_get_contents (junit, &xml_text, NULL, NULL));
  CU_ASSERT_EQUAL (e2e_count_lines_containing (xml_text, "<testsuite "), 3);
  CU_ASSERT_EQUAL (e2e_count_lines_containing (xml_text,
                                               "name=\"CLIENT-EXIT: "), 3);

  for (guint i = 0; i < 2; i++)
    {
      const char *parse[] = {
        e2e_env ("PYTHON"), "-c",
        "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))",
        i == 0 ? json : cert, NULL,
      };
      CU_ASSERT_EQUAL (run_tool (parse), 0);
    }

  CU_ASSERT_TRUE_FATAL (g_file_get_contents (cert, &cert_text, NULL, NULL));
  CU_ASSERT_PTR_NOT_NULL (strstr (cert_text, "\"naccs-sim-certification\""));
  CU_ASSERT_PTR_NOT_NULL (strstr (cert_text, "broken-client.py --fault "
                                             "no-quit\""));
  CU_ASSERT_PTR_NOT_NULL (strstr (cert_text, "\"sysname\": \"Linux\""));
  CU_ASSERT_TRUE (g_regex_match_simple ("\"date\": \"\\d{4}-\\d\\d-\\d\\dT"
                                        "\\d\\d:\\d\\d:\\d\\dZ\"",
                                        cert_text, 0, 0));
  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *digest = scenario_digest (ids[i]);

      CU_ASSERT_PTR_NOT_NULL_FATAL (digest);
      CU_ASSERT_PTR_NOT_NULL (strstr (cert_text, digest));
    }
  e2e_remove_tree (dir);
}

/* Returns the terminal columns of the first @n_bytes of @text; East Asian
 * wide characters take two. */
static guint
columns_of_prefix (const char *text, gsize n_bytes)
{
  guint columns = 0;

  for (const char *p = text; p < text + n_bytes; p = g_utf8_next_char (p))
    columns += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return columns;
}

/* Proves the Japanese headings of the summary table line up with its rows
 * on a terminal: the "met" heading ends in the column its numbers end. */
static void
test_japanese_table_aligned (void)
{
  g_autofree char *sim_dir = g_path_get_dirname (e2e_env ("NACCS_SIM"));
  g_autofree char *localedir = g_build_filename (sim_dir, "..", "po", NULL);
  g_autofree char *localedir_var = g_strconcat ("NACCS_LOCALEDIR=",
                                                localedir, NULL);
  g_auto (GStrv) lines = NULL;
  const char *heading, *row, *met;
  gsize row_end;
  E2eRun run;
  /* e2e_run() sets LC_ALL=C; env(1) sets the Japanese locale after it. */
  const char *argv[] = {
    "/usr/bin/env", "LC_ALL=ja_JP.UTF-8", "LANGUAGE=ja", localedir_var,
    e2e_env ("NACCS_SIM"), "suite", "--client", "true", "--id",
    "f10-one-message", NULL,
  };

  CU_ASSERT_TRUE_FATAL (e2e_run (argv, SUITE_RUN_TIMEOUT_MS, &run));
  lines = g_strsplit (run.out, "\n", 3);
  heading = lines[0];
  row = lines[0] != NULL ? lines[1] : NULL;
  met = heading != NULL ? strstr (heading, "合致") : NULL;
  if (row == NULL || met == NULL)
    {
      g_printerr ("\nno Japanese catalogue or locale: skipped\n");
      e2e_run_clear (&run);
      return;
    }
  /* The row: the id, spaces, then the count of checks met. */
  row_end = strcspn (row, " ");
  row_end += strspn (row + row_end, " ");
  row_end += strspn (row + row_end, "0123456789");
  print_run_if (columns_of_prefix (heading, met + strlen ("合致") - heading)
                != row_end, &run);
  CU_ASSERT_EQUAL (columns_of_prefix (heading,
                                      met + strlen ("合致") - heading),
                   row_end);
  e2e_run_clear (&run);
}

/* Proves a report that cannot be written is named by the path given to
 * --report, never by the temporary file it would have been renamed from. */
static void
test_report_write_names_path (void)
{
  E2eRun run;

  /* /proc takes no new files: a user is stopped before the run, root
   * (whom access() lets through) at the end of it. */
  run_suite (&run, "--client", "true", "--id", "f10-one-message",
             "--report", "text:/proc/naccs-report.txt", NULL);
  print_run_if (run.exit_status != 2, &run);
  CU_ASSERT_EQUAL (run.exit_status, 2);
  CU_ASSERT_PTR_NOT_NULL (strstr (run.err, "text:/proc/naccs-report.txt"));
  CU_ASSERT_PTR_NULL (strstr (run.err, "naccs-report.txt."));
  e2e_run_clear (&run);
}

static const E2eTest cli_tests[] = {
  { "usage errors exit 2", test_usage_errors },
  { "invalid scenario runs nothing", test_invalid_scenario_runs_nothing },
  { "list and filters", test_list_and_filters },
  { "japanese table aligned", test_japanese_table_aligned },
  { "report write names path", test_report_write_names_path },
  { NULL, NULL },
};

static const E2eTest reference_tests[] = {
  { "reference client meets library", test_reference_client_library },
  { NULL, NULL },
};

static const E2eTest broken_tests[] = {
  { "broken clients fail their rule", test_broken_clients },
  { NULL, NULL },
};

static const E2eTest limit_tests[] = {
  { "hanging client killed", test_hanging_client_killed },
  { "parallel suites kept apart", test_parallel_suites_separate },
  { NULL, NULL },
};

static const E2eTest report_tests[] = {
  { "reports validate", test_reports_validate },
  { NULL, NULL },
};

static const E2eSuite suites[] = {
  { "/suite/cli", NULL, cli_tests },
  { "/suite/reference", NULL, reference_tests },
  { "/suite/broken", NULL, broken_tests },
  { "/suite/limits", NULL, limit_tests },
  { "/suite/reports", "xmllint", report_tests },
  { NULL, NULL, NULL },
};

int
main (int argc, char **argv)
{
  return e2e_main (argc, argv, suites);
}
