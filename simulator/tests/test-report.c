/* test-report.c: the text, JSON and JUnit writers on real verdicts with
 * hostile text in them.
 *
 * The JSON must load in Python's json module and the JUnit XML must pass
 * xmllint and carry the right counts, whatever bytes the titles,
 * explanations and evidence hold (quotes, markup, controls, invalid
 * UTF-8).  Those two tools are run as child processes; a test that cannot
 * find one prints a note and skips that assertion.
 */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <CUnit/Basic.h>

#include "report.h"
#include "report-private.h"
#include "test-checks-util.h"

#define HOSTILE "q\"uote\\ <tag> & ]]> \x01\x1b[31m bad\xff\xfe utf8 \xe2\x80\xa8 \xe6\x97\xa5\xe6\x9c\xac"

/* A transcript that fails SEQ-HELO (EHLO) and SES-QUIT (no QUIT). */
static const char *const broken_script[] = {
  "0 connect", "1 < 220 EDIFACT.PROD.NACCS6",
  "2 > EHLO user.example.jp\xff", "3 < 250 OK",
  "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK",
  "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 250 OK",
  "8 > DATA", "9 < 354 go ahead", "10 msg F1", "11 < 250 OK",
  "12 closed", NULL,
};

typedef struct {
  GPtrArray *connections;
  NaccsSimCheckContext *context;
  GPtrArray *verdicts;
  NaccsSimReportScenario scenario;
} Fixture;

static void
fixture_init (Fixture *f, const char *const *fail_ids)
{
  f->connections = test_build_connections (broken_script);
  f->context = test_build_context (f->connections, 1);
  f->verdicts = naccs_sim_checks_run (f->context);
  f->scenario.id = "hostile-" HOSTILE;
  f->scenario.title = "Title " HOSTILE;
  f->scenario.duration_us = 1234567;
  f->scenario.verdicts = f->verdicts;
  f->scenario.pass_ids = NULL;
  f->scenario.fail_ids = fail_ids;

  /* Put hostile text where the checks would put client bytes. */
  for (guint i = 0; i < f->verdicts->len; i++)
    {
      NaccsSimVerdict *verdict = g_ptr_array_index (f->verdicts, i);

      if (verdict->status == NACCS_SIM_CHECK_FAIL)
        {
          g_free (verdict->explanation);
          verdict->explanation = g_strdup ("Explanation " HOSTILE "\nline 2");
        }
    }
}

static void
fixture_clear (Fixture *f)
{
  g_ptr_array_unref (f->verdicts);
  naccs_sim_check_context_free (f->context);
  g_ptr_array_unref (f->connections);
}

static guint
count_status (const GPtrArray *verdicts, NaccsSimCheckStatus status)
{
  guint n = 0;

  for (guint i = 0; i < verdicts->len; i++)
    if (((const NaccsSimVerdict *) g_ptr_array_index (verdicts, i))->status == status)
      n++;
  return n;
}

/* Writes `text` to a new temporary file and returns its path. */
static char *
write_temp (const char *text)
{
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("test-report-XXXXXX", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* Runs argv; returns its exit status, or -1 when the program is missing.
 * *out gets its standard output. */
static int
run_tool (const char *const *argv, char **out)
{
  g_autofree char *program = g_find_program_in_path (argv[0]);
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (program == NULL)
    {
      fprintf (stderr, "\n%s not found: assertion skipped\n", argv[0]);
      return -1;
    }
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                     NULL, out, &err, &status, &error))
    {
      fprintf (stderr, "\n%s: %s\n", argv[0], error->message);
      return -1;
    }
  if (err != NULL && *err != '\0')
    fprintf (stderr, "\n%s stderr: %s\n", argv[0], err);
  return g_spawn_check_wait_status (status, NULL) ? 0 : 1;
}

static void
test_json_parses (void)
{
  Fixture f;
  const NaccsSimReportScenario *list[1];
  g_autofree char *json = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *want = NULL;
  const char *argv[] = {
    "python3", "-c",
    "import json,sys\n"
    "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
    "s = d['scenarios'][0]\n"
    "fails = sum(1 for v in s['verdicts'] if v['status'] == 'fail')\n"
    "helo = [v for v in s['verdicts'] if v['id'] == 'SEQ-HELO'][0]\n"
    "print(len(s['verdicts']), fails, s['duration_seconds'], d['result'],\n"
    "      helo['status'], len(helo['evidence']) > 0,\n"
    "      s['title'].startswith('Title q\"uote\\\\ <tag>'))\n",
    NULL, NULL,
  };

  fixture_init (&f, NULL);
  list[0] = &f.scenario;
  json = naccs_sim_report_json (list, 1);
  path = write_temp (json);
  argv[3] = path;

  want = g_strdup_printf ("%u %u 1.235 fail fail True True\n", f.verdicts->len,
                          count_status (f.verdicts, NACCS_SIM_CHECK_FAIL));
  if (run_tool (argv, &out) >= 0)
    {
      CU_ASSERT_STRING_EQUAL (out, want);
      if (g_strcmp0 (out, want) != 0)
        fprintf (stderr, "\ngot %s want %s\n", out, want);
    }
  /* Raw control bytes never reach the document. */
  CU_ASSERT_PTR_NULL (strchr (json, '\x1b'));
  CU_ASSERT_PTR_NULL (strchr (json, '\x01'));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\\u001B[31m"));
  CU_ASSERT_TRUE (g_utf8_validate (json, -1, NULL));
  g_unlink (path);
  fixture_clear (&f);
}

static void
test_json_numbers_ignore_locale (void)
{
  Fixture f;
  const NaccsSimReportScenario *list[1];
  g_autofree char *json = NULL;
  g_autofree char *old = g_strdup (setlocale (LC_NUMERIC, NULL));

  /* ja_JP uses "." too, so only a comma locale proves this; skip when the
   * machine has none. */
  if (setlocale (LC_NUMERIC, "de_DE.UTF-8") == NULL
      && setlocale (LC_NUMERIC, "fr_FR.UTF-8") == NULL)
    {
      fprintf (stderr, "\nno comma-decimal locale installed: skipped\n");
      return;
    }
  fixture_init (&f, NULL);
  list[0] = &f.scenario;
  json = naccs_sim_report_json (list, 1);
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"duration_seconds\": 1.235"));
  setlocale (LC_NUMERIC, old);
  fixture_clear (&f);
}

static char *
xpath (const char *path, const char *expression)
{
  const char *argv[] = { "xmllint", "--xpath", expression, path, NULL };
  char *out = NULL;

  if (run_tool (argv, &out) != 0)
    {
      g_free (out);
      return NULL;
    }
  return g_strchomp (out);   /* xmllint ends its output with a newline */
}

static void
test_junit_well_formed (void)
{
  Fixture f;
  const NaccsSimReportScenario *list[1];
  g_autofree char *xml = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;
  const char *argv[] = { "xmllint", "--noout", NULL, NULL };
  int status;

  fixture_init (&f, NULL);
  list[0] = &f.scenario;
  xml = naccs_sim_report_junit (list, 1);
  path = write_temp (xml);
  argv[2] = path;

  status = run_tool (argv, &out);
  if (status >= 0)
    {
      g_autofree char *tests = xpath (path, "string(/testsuites/testsuite/@tests)");
      g_autofree char *failures = xpath (path, "string(/testsuites/testsuite/@failures)");
      g_autofree char *skipped = xpath (path, "count(//testcase/skipped)");
      g_autofree char *failure_tags = xpath (path, "count(//testcase/failure)");
      g_autofree char *want_tests = g_strdup_printf ("%u", f.verdicts->len);
      g_autofree char *want_fail = g_strdup_printf ("%u", count_status (f.verdicts, NACCS_SIM_CHECK_FAIL));
      g_autofree char *want_skip = g_strdup_printf ("%u", count_status (f.verdicts, NACCS_SIM_CHECK_NOT_APPLICABLE));
      g_autofree char *helo = xpath (path, "string(//testcase[starts-with(@name, 'SEQ-HELO')]/failure)");

      CU_ASSERT_EQUAL (status, 0);
      CU_ASSERT_STRING_EQUAL (tests, want_tests);
      CU_ASSERT_STRING_EQUAL (failures, want_fail);
      CU_ASSERT_STRING_EQUAL (failure_tags, want_fail);
      CU_ASSERT_STRING_EQUAL (skipped, want_skip);
      /* The failure's text is the evidence: the EHLO line. */
      CU_ASSERT_PTR_NOT_NULL (helo != NULL ? strstr (helo, "EHLO user.example.jp") : NULL);
    }
  CU_ASSERT_PTR_NOT_NULL (strstr (xml, "classname=\"hostile-q&quot;uote"));
  CU_ASSERT_PTR_NOT_NULL (strstr (xml, "&#10;line 2"));
  CU_ASSERT_PTR_NULL (strchr (xml, '\x1b'));
  CU_ASSERT_TRUE (g_utf8_validate (xml, -1, NULL));
  g_unlink (path);
  fixture_clear (&f);
}

static void
test_expected_failure_is_met (void)
{
  static const char *const fail_ids[] = { "SEQ-HELO", "SES-QUIT", NULL };
  Fixture f;
  const NaccsSimReportScenario *list[1];
  g_autofree char *xml = NULL;
  g_autofree char *text = NULL;
  guint met = 0, missed = 0, skipped = 0;

  fixture_init (&f, fail_ids);
  list[0] = &f.scenario;
  naccs_sim_report_count (&f.scenario, &met, &missed, &skipped);
  CU_ASSERT_EQUAL (missed, 0);
  CU_ASSERT_EQUAL (met + skipped, f.verdicts->len);

  xml = naccs_sim_report_junit (list, 1);
  CU_ASSERT_PTR_NOT_NULL (strstr (xml, "failures=\"0\""));
  text = naccs_sim_report_text (list, 1, FALSE);
  CU_ASSERT_PTR_NOT_NULL (strstr (text, "(expected by the scenario)"));
  fixture_clear (&f);
}

static void
test_text_report (void)
{
  Fixture f;
  const NaccsSimReportScenario *list[2];
  g_autofree char *plain = NULL;
  g_autofree char *coloured = NULL;
  gsize n_checks = 0;
  const NaccsSimCheckInfo *table = naccs_sim_check_list (&n_checks);

  fixture_init (&f, NULL);
  list[0] = &f.scenario;
  list[1] = &f.scenario;
  plain = naccs_sim_report_text (list, 2, FALSE);
  coloured = naccs_sim_report_text (list, 2, TRUE);

  for (gsize i = 0; i < n_checks; i++)
    CU_ASSERT_PTR_NOT_NULL (strstr (plain, table[i].id));
  CU_ASSERT_PTR_NOT_NULL (strstr (plain, "PASS   SEQ-GREETING"));
  CU_ASSERT_PTR_NOT_NULL (strstr (plain, "FAIL   SEQ-HELO"));
  CU_ASSERT_PTR_NOT_NULL (strstr (plain, "N/A    TIME-GIVE-UP"));
  CU_ASSERT_PTR_NOT_NULL (strstr (plain, "C: EHLO user.example.jp"));
  CU_ASSERT_PTR_NOT_NULL (strstr (plain, "Result: FAILED"));
  CU_ASSERT_PTR_NOT_NULL (strstr (plain, "2 of 2 scenarios failed"));
  /* The hostile ESC from the explanation is neutralised in both. */
  CU_ASSERT_PTR_NULL (strchr (plain, '\x1b'));
  CU_ASSERT_PTR_NOT_NULL (strstr (coloured, "\033[31mFAIL"));
  CU_ASSERT_PTR_NULL (strstr (coloured, "\x1b[31m bad"));
  CU_ASSERT_TRUE (g_utf8_validate (plain, -1, NULL));
  fixture_clear (&f);
}

/* Proves that control and bidirectional formatting characters from a
 * client are replaced, while ordinary text, Japanese included, is kept. */
static void
test_controls_replaced (void)
{
  static const struct {
    gunichar c;
    gboolean control;
  } cases[] = {
    { 0x1b, TRUE }, { 0x7f, TRUE }, { 0x85, TRUE }, { 0x200e, TRUE },
    { 0x202e, TRUE }, { 0x2066, TRUE }, { 0x2069, TRUE },
    { 'A', FALSE }, { 0x3042, FALSE }, { 0x2010, FALSE }, { 0x2070, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (report_is_control (cases[i].c) != cases[i].control)
        g_printerr ("U+%04X: got control=%d, want %d\n",
                    (guint) cases[i].c, !cases[i].control,
                    cases[i].control);
      CU_ASSERT_EQUAL (report_is_control (cases[i].c), cases[i].control);
    }
}

/* Proves each line of a multi-line reply gets its own evidence line, with
 * no U+FFFD where the lines were joined and no CR left over. */
static void
test_text_multi_line_reply (void)
{
  Fixture f;
  const NaccsSimReportScenario *list[1] = { &f.scenario };
  g_autofree char *text = NULL;
  NaccsSimEvidence *reply = g_new0 (NaccsSimEvidence, 1);

  fixture_init (&f, NULL);
  reply->connection = 1;
  reply->direction = NACCS_SIM_EVIDENCE_OUT;
  reply->text = g_strdup ("451-4.3.0 message not stored\r\n"
                          "451 try again later\r\n");
  for (guint i = 0; i < f.verdicts->len; i++)
    {
      NaccsSimVerdict *verdict = g_ptr_array_index (f.verdicts, i);

      if (verdict->status == NACCS_SIM_CHECK_FAIL)
        {
          g_ptr_array_add (verdict->evidence, reply);
          break;
        }
    }
  text = naccs_sim_report_text (list, 1, FALSE);
  CU_ASSERT_PTR_NOT_NULL (strstr (text, "S: 451-4.3.0 message not stored\n"));
  CU_ASSERT_PTR_NOT_NULL (strstr (text, "S: 451 try again later\n"));
  CU_ASSERT_PTR_NULL (strstr (text, "stored\xef\xbf\xbd"));
  CU_ASSERT_PTR_NULL (strchr (text, '\r'));
  fixture_clear (&f);
}

static void
test_colour_decision (void)
{
  int fds[2];

  CU_ASSERT_EQUAL_FATAL (pipe (fds), 0);
  g_unsetenv ("NO_COLOR");
  CU_ASSERT_FALSE (naccs_sim_report_colour_wanted (fds[1]));
  g_setenv ("NO_COLOR", "1", TRUE);
  CU_ASSERT_FALSE (naccs_sim_report_colour_wanted (STDOUT_FILENO));
  g_unsetenv ("NO_COLOR");
  close (fds[0]);
  close (fds[1]);
}

static void
test_save_report (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-report-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "r.json", NULL);
  g_autofree char *missing = g_build_filename (dir, "no", "r.json", NULL);
  g_autofree char *back = NULL;

  CU_ASSERT_TRUE (naccs_sim_report_save (path, "{}\n", &error));
  CU_ASSERT_TRUE (g_file_get_contents (path, &back, NULL, NULL));
  CU_ASSERT_STRING_EQUAL (back, "{}\n");
  CU_ASSERT_FALSE (naccs_sim_report_save (missing, "{}\n", &error));
  CU_ASSERT_PTR_NOT_NULL (error);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (void)
{
  static const struct {
    const char *name;
    CU_TestFunc func;
  } tests[] = {
    { "json loads in python", test_json_parses },
    { "json numbers ignore locale", test_json_numbers_ignore_locale },
    { "junit well-formed with counts", test_junit_well_formed },
    { "expected failure is met", test_expected_failure_is_met },
    { "text lists ids and statuses", test_text_report },
    { "text splits multi-line replies", test_text_multi_line_reply },
    { "controls replaced", test_controls_replaced },
    { "colour only on terminal", test_colour_decision },
    { "save writes file", test_save_report },
  };
  CU_pSuite suite;
  unsigned failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  suite = CU_add_suite ("/report", NULL, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (tests); i++)
    CU_add_test (suite, tests[i].name, tests[i].func);
  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
