/* test-e2e-japanese.c: naccs-send and naccs-sim speak the user's language.
 *
 * Every case runs a built program once per locale of the table below.  It
 * then looks for a sentence of the Japanese catalogue or of the English
 * source in what the program printed or wrote.  The cases cover help,
 * errors that name the file at fault, the verdicts of a scenario run and
 * of "naccs-sim suite" with their JSON and JUnit reports, and the
 * file:line:column error of a bad scenario.  gettext ignores LANGUAGE in the C locale, so the LANGUAGE=ja
 * case pairs it with C.UTF-8.
 *
 * The programs find the uninstalled catalogue through NACCS_LOCALEDIR,
 * which meson sets to BUILDDIR/po together with the program paths.  The
 * whole test is skipped (exit status 77) when the C library has no
 * ja_JP.UTF-8 locale; ci/setup generates it.
 */
#include "test-e2e-support.h"

#include <CUnit/Basic.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

/* Maximum run time of one program and maximum wait for "listening on". */
#define RUN_TIMEOUT_MS 60000
#define START_TIMEOUT_MS 10000
#define POLL_US 10000

/* Shipped scenarios that play one clean message, tried in order, because
 * happy-path.yaml is the older name of f10-one-message.yaml. */
static const char *const clean_scenarios[] = {
  "happy-path.yaml",
  "f10-one-message.yaml",
};

typedef struct {
  const char *name;
  const char *lang;      /* LANG; every LC_* variable is removed */
  const char *language;  /* LANGUAGE, or NULL to remove it */
  gboolean japanese;     /* which column of wanted texts applies */
} Locale;

static const Locale locales[] = {
  { "LANG=ja_JP.UTF-8", "ja_JP.UTF-8", NULL, TRUE },
  { "LANGUAGE=ja", "C.UTF-8", "ja", TRUE },
  { "LANG=C", "C", NULL, FALSE },
};

/* Temporary directory of the suite: the bad scenario and the reports. */
static char *work_dir;

typedef struct {
  gboolean timed_out;
  int exit_status;  /* -1 when killed by a signal or the timeout */
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

/* Returns @text with every "@FIXTURES@", "@SCENARIOS@" and "@WORK@"
 * replaced by the directory it stands for. */
static char *
expand (const char *text)
{
  g_autoptr (GString) out = g_string_new (text);

  g_string_replace (out, "@FIXTURES@", e2e_env ("NACCS_FIXTURES"), 0);
  g_string_replace (out, "@SCENARIOS@", e2e_env ("NACCS_SCENARIOS"), 0);
  g_string_replace (out, "@WORK@", work_dir, 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Returns a launcher whose child runs in @locale, reads /dev/null and
 * writes to the two files. */
static GSubprocessLauncher *
new_launcher (const Locale *locale, const char *out_path,
              const char *err_path)
{
  GSubprocessLauncher *launcher
    = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_auto (GStrv) environment = g_get_environ ();

  /* Any LC_* variable would override LANG for its category. */
  for (gsize i = 0; environment[i] != NULL; i++)
    if (g_str_has_prefix (environment[i], "LC_"))
      {
        g_autofree char *name = g_strndup (environment[i],
                                           strcspn (environment[i], "="));
        g_subprocess_launcher_unsetenv (launcher, name);
      }
  g_subprocess_launcher_setenv (launcher, "LANG", locale->lang, TRUE);
  if (locale->language != NULL)
    g_subprocess_launcher_setenv (launcher, "LANGUAGE", locale->language,
                                  TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
  g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
  return launcher;
}

/* Waits until @process exits or @timeout_ms passes, killing it then.
 * GLib's worker thread reaps the child, so polling detects the exit. */
static int
wait_for_exit (GSubprocess *process, guint timeout_ms, gboolean *timed_out)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  *timed_out = FALSE;
  while (g_subprocess_get_identifier (process) != NULL)
    {
      if (g_get_monotonic_time () > deadline)
        {
          *timed_out = TRUE;
          g_subprocess_force_exit (process);
          g_subprocess_wait (process, NULL, NULL);
          return -1;
        }
      g_usleep (POLL_US);
    }
  return g_subprocess_get_if_exited (process)
         ? g_subprocess_get_exit_status (process) : -1;
}

/* Returns the contents of @path, or "" when it cannot be read.  Not
 * inlined: GCC 12 then takes the pointer it returns for one into its
 * stack frame (-Wdangling-pointer). */
static G_GNUC_NO_INLINE char *
read_file_or_empty (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    text = g_strdup ("");
  return text;
}

/* A program started in a locale, with its output going to files. */
typedef struct {
  GSubprocess *process;
  char *out_path;
  char *err_path;
} Child;

static gboolean
child_start (Child *child, const Locale *locale, const char *const *argv,
             const char *tag)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  static guint serial;

  serial++;
  child->out_path = g_strdup_printf ("%s/%s-%u.out", work_dir, tag, serial);
  child->err_path = g_strdup_printf ("%s/%s-%u.err", work_dir, tag, serial);
  launcher = new_launcher (locale, child->out_path, child->err_path);
  child->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (child->process == NULL)
    g_printerr ("cannot start %s: %s\n", argv[0], error->message);
  return child->process != NULL;
}

/* Waits for @child to exit and moves its outcome into @run. */
static void
child_finish (Child *child, guint timeout_ms, Run *run)
{
  run->exit_status = wait_for_exit (child->process, timeout_ms,
                                    &run->timed_out);
  run->out = read_file_or_empty (child->out_path);
  run->err = read_file_or_empty (child->err_path);
  g_clear_object (&child->process);
  g_clear_pointer (&child->out_path, g_free);
  g_clear_pointer (&child->err_path, g_free);
}

/* Runs @argv to the end in @locale.  FALSE when it could not start. */
static gboolean
run_in_locale (const Locale *locale, const char *const *argv, Run *run)
{
  Child child = { 0 };

  memset (run, 0, sizeof *run);
  if (!child_start (&child, locale, argv, "run"))
    return FALSE;
  child_finish (&child, RUN_TIMEOUT_MS, run);
  return TRUE;
}

/* Asserts that @got contains @want, printing both when it does not. */
static void
assert_contains (const char *what, const Locale *locale, const char *got,
                 const char *want)
{
  gboolean found = strstr (got, want) != NULL;

  /* fprintf, not g_printerr: this process stays in the C locale, where
   * g_printerr would turn every Japanese character into "?". */
  if (!found)
    fprintf (stderr, "%s under %s: want \"%s\" in:\n%s\n", what,
             locale->name, want, got);
  CU_ASSERT_TRUE (found);
}

/* ---- commands that run and exit on their own ---- */

typedef struct {
  const char *name;
  const char *program;   /* environment variable with the program's path */
  const char *args[8];   /* placeholders as in expand() */
  int want_status;       /* -1: any status other than 0 */
  const char *want_ja[3];
  const char *want_en[3];
} CommandCase;

/* The 1001-octet line is line 4 of the fixture (fixtures/README.md). */
static const CommandCase command_cases[] = {
  {
    "naccs-send --help", "NACCS_SEND", { "--help" }, 0,
    { "センター側メールサーバ。HOST、HOST:PORT、[IPV6]:PORT の形式で指定する",
      "処理要求電文のファイルを" },
    { "Center mail server, as HOST, HOST:PORT or [IPV6]:PORT",
      "Sends processing-request message files" },
  },
  {
    "naccs-send missing file", "NACCS_SEND",
    { "--server=127.0.0.1:1", "--helo=" E2E_HELO_DOMAIN,
      "--from=" E2E_SENDER_ADDRESS, "@WORK@/no-such-message.edi" }, 2,
    { "naccs-send: 「@WORK@/no-such-message.edi」を読み込めません",
      "パスを確認してください" },
    { "naccs-send: cannot read \"@WORK@/no-such-message.edi\"",
      "check the path" },
  },
  {
    "naccs-send 1001-octet line", "NACCS_SEND",
    { "--server=127.0.0.1:1", "--helo=" E2E_HELO_DOMAIN,
      "--from=" E2E_SENDER_ADDRESS,
      "@FIXTURES@/invalid/line-1001-octets.edi" }, 2,
    { "naccs-send: 「@FIXTURES@/invalid/line-1001-octets.edi」は送信できません",
      "4 行目は CRLF を含めて 1001 オクテットあり、SMTP の上限 1000 を超えています" },
    { "naccs-send: \"@FIXTURES@/invalid/line-1001-octets.edi\" cannot be sent",
      "line 4 is 1001 octets long including its CRLF, over the SMTP limit of 1000" },
  },
  {
    "naccs-sim --help", "NACCS_SIM", { "--help" }, 0,
    { "NACCS センター側メールサーバの模擬サーバ",
      "ADDRESS:PORT または [IPV6]:PORT で待ち受ける" },
    { "Mock NACCS center mail server",
      "Listen on ADDRESS:PORT, or [IPV6]:PORT" },
  },
  {
    "naccs-sim suite --help", "NACCS_SIM", { "suite", "--help" }, 0,
    { "クライアントに対して適合性シナリオを実行する",
      "試験対象のクライアントを起動するコマンド" },
    { "Runs the conformance scenarios against a client",
      "Command that runs the client under test" },
  },
  {
    "naccs-sim bad --listen", "NACCS_SIM", { "--listen=127.0.0.1:99999" }, 2,
    { "--listen のポート「99999」は不正です。0 から 65535 までの数を指定してください" },
    { "invalid port \"99999\" in --listen: give a number from 0 to 65535" },
  },
  {
    "naccs-sim --validate bad scenario", "NACCS_SIM",
    { "--validate", "--fixtures-dir=@FIXTURES@", "@WORK@/bad.yaml" }, -1,
    { "@WORK@/bad.yaml:6:1: 不明なキー「colour」です。ここで使えるキー: id, title",
      "1 件中 1 件のシナリオに誤りがあります" },
    { "@WORK@/bad.yaml:6:1: unknown key \"colour\"; allowed keys here: id, title",
      "1 of 1 scenario is invalid" },
  },
};

/* A scenario that is valid but for the unknown key "colour" on line 6. */
static const char bad_scenario[] =
  "id: bad-colour\n"
  "title:\n"
  "  en: Unknown key\n"
  "  ja: 不明なキー\n"
  "rule: figure 4-3-10\n"
  "colour: blue\n"
  "client:\n"
  "  helo: " E2E_HELO_DOMAIN "\n"
  "  from: " E2E_SENDER_ADDRESS "\n"
  "  messages: [messages/01-ordinary-short.edi]\n";

static void
check_command (const CommandCase *c, const Locale *locale)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  const char *const *wants = locale->japanese ? c->want_ja : c->want_en;
  g_autofree char *output = NULL;
  Run run;

  g_ptr_array_add (argv, g_strdup (e2e_env (c->program)));
  for (gsize i = 0; i < G_N_ELEMENTS (c->args) && c->args[i] != NULL; i++)
    g_ptr_array_add (argv, expand (c->args[i]));
  g_ptr_array_add (argv, NULL);
  CU_ASSERT_TRUE_FATAL (run_in_locale (locale,
                                       (const char *const *) argv->pdata,
                                       &run));
  output = g_strconcat (run.out, run.err, NULL);

  /* CUnit's assertions are blocks, so they need braces under if. */
  if (c->want_status >= 0)
    {
      CU_ASSERT_EQUAL (run.exit_status, c->want_status);
    }
  else
    {
      CU_ASSERT_TRUE (run.exit_status > 0);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (c->want_ja) && wants[i] != NULL; i++)
    {
      g_autofree char *want = expand (wants[i]);
      assert_contains (c->name, locale, output, want);
    }
  run_clear (&run);
}

/* Proves that help and errors of both programs follow the locale. */
static void
test_commands_follow_locale (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (command_cases); i++)
    for (gsize j = 0; j < G_N_ELEMENTS (locales); j++)
      check_command (&command_cases[i], &locales[j]);
}

/* ---- a scenario run: naccs-sim --scenario --once against naccs-send ---- */

/* Returns the first shipped clean scenario that exists, or NULL. */
static char *
find_clean_scenario (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (clean_scenarios); i++)
    {
      char *path = g_build_filename (e2e_env ("NACCS_SCENARIOS"),
                                     clean_scenarios[i], NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return path;
      g_free (path);
    }
  return NULL;
}

/* Returns the port of a complete "listening on ADDRESS:PORT" line in
 * @out, or 0 when there is none yet.  The port follows the last ':'. */
static guint
parse_port (const char *out)
{
  const char *line = strstr (out, "listening on ");
  const char *end = line != NULL ? strchr (line, '\n') : NULL;
  const char *port;

  if (end == NULL)
    return 0;
  port = end;
  while (port > line && port[-1] != ':')
    port--;
  return (guint) g_ascii_strtoull (port, NULL, 10);
}

/* Waits for naccs-sim to print its port and returns it, or 0 when it
 * exits or stays silent too long. */
static guint
wait_for_port (Child *sim)
{
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * 1000;
  guint port = 0;

  while (port == 0 && g_get_monotonic_time () < deadline
         && g_subprocess_get_identifier (sim->process) != NULL)
    {
      char *out = read_file_or_empty (sim->out_path);

      port = parse_port (out);
      g_free (out);
      if (port == 0)
        g_usleep (POLL_US);
    }
  return port;
}

/* Texts a scenario run must print or write, per language. */
typedef struct {
  const char *verdicts[4];  /* naccs-sim's text report on stdout */
  const char *client;       /* naccs-send's line for the message */
  const char *json;
  const char *junit;
} RunWants;

static const RunWants run_wants_ja = {
  { "シナリオ @ID@:", "割り当てられたドメインで HELO",
    "結果: 合格: 期待どおり", "シナリオ @ID@ の期待結果を満たしました。" },
  "01-ordinary-short.edi: 受付済み（応答コード 250）",
  "\"title\": \"割り当てられたドメインで HELO\"",
  "name=\"SEQ-HELO: 割り当てられたドメインで HELO\"",
};

static const RunWants run_wants_en = {
  { "Scenario @ID@:", "HELO with the assigned domain",
    "Result: passed: ", "Scenario @ID@ met." },
  "01-ordinary-short.edi: accepted (reply code 250)",
  "\"title\": \"HELO with the assigned domain\"",
  "name=\"SEQ-HELO: HELO with the assigned domain\"",
};

/* Runs naccs-send against the naccs-sim on @port in @locale. */
static void
send_one_message (const Locale *locale, guint port, Run *run)
{
  g_autofree char *server = g_strdup_printf ("--server=127.0.0.1:%u", port);
  g_autofree char *fixture = expand ("@FIXTURES@/messages/01-ordinary-short.edi");
  const char *argv[] = {
    e2e_env ("NACCS_SEND"), server, "--helo=" E2E_HELO_DOMAIN,
    "--from=" E2E_SENDER_ADDRESS, fixture, NULL,
  };

  CU_ASSERT_TRUE_FATAL (run_in_locale (locale, argv, run));
}

static void
check_scenario_run (const char *scenario, const Locale *locale)
{
  const RunWants *wants = locale->japanese ? &run_wants_ja : &run_wants_en;
  g_autofree char *base = g_path_get_basename (scenario);
  g_autofree char *id = g_strndup (base, strlen (base) - strlen (".yaml"));
  g_autofree char *json_path = g_strdup_printf ("%s/%s.json", work_dir, id);
  g_autofree char *junit_path = g_strdup_printf ("%s/%s.xml", work_dir, id);
  g_autofree char *json_arg = g_strconcat ("--report=json:", json_path, NULL);
  g_autofree char *junit_arg = g_strconcat ("--report=junit:", junit_path, NULL);
  g_autofree char *fixtures_arg = expand ("--fixtures-dir=@FIXTURES@");
  g_autofree char *json = NULL, *junit = NULL;
  const char *argv[] = {
    e2e_env ("NACCS_SIM"), "--listen=127.0.0.1:0", "--scenario", scenario,
    "--once", fixtures_arg, json_arg, junit_arg, NULL,
  };
  Child sim = { 0 };
  Run client, server;
  guint port;

  CU_ASSERT_TRUE_FATAL (child_start (&sim, locale, argv, "sim"));
  port = wait_for_port (&sim);
  CU_ASSERT_NOT_EQUAL (port, 0);
  if (port != 0)
    send_one_message (locale, port, &client);
  child_finish (&sim, RUN_TIMEOUT_MS, &server);
  if (port == 0)
    {
      fprintf (stderr, "naccs-sim under %s printed no port:\n%s\n",
               locale->name, server.err);
      run_clear (&server);
      return;
    }

  CU_ASSERT_EQUAL (client.exit_status, 0);
  CU_ASSERT_EQUAL (server.exit_status, 0);
  assert_contains ("naccs-send output", locale, client.out, wants->client);
  for (gsize i = 0; i < G_N_ELEMENTS (wants->verdicts); i++)
    {
      g_autoptr (GString) want = g_string_new (wants->verdicts[i]);
      g_string_replace (want, "@ID@", id, 0);
      assert_contains ("naccs-sim verdicts", locale, server.out, want->str);
    }
  json = read_file_or_empty (json_path);
  junit = read_file_or_empty (junit_path);
  assert_contains ("JSON report", locale, json, wants->json);
  assert_contains ("JUnit report", locale, junit, wants->junit);
  run_clear (&client);
  run_clear (&server);
}

/* Proves that verdicts and both report files carry the locale's titles. */
static void
test_scenario_run_follows_locale (void)
{
  g_autofree char *scenario = find_clean_scenario ();

  if (scenario == NULL)
    g_printerr ("none of the clean scenarios (happy-path.yaml, "
                "f10-one-message.yaml) is in %s\n",
                e2e_env ("NACCS_SCENARIOS"));
  CU_ASSERT_PTR_NOT_NULL_FATAL (scenario);
  for (gsize j = 0; j < G_N_ELEMENTS (locales); j++)
    check_scenario_run (scenario, &locales[j]);
}

/* ---- the suite runner: naccs-sim suite with naccs-send as the client ---- */

typedef struct {
  const char *table;  /* naccs-sim suite's summary table on stdout */
  const char *json;
  const char *junit;
} SuiteWants;

static const SuiteWants suite_wants_ja = {
  "合格",
  "\"title\": \"割り当てられたドメインで HELO\"",
  "name=\"SEQ-HELO: 割り当てられたドメインで HELO\"",
};

static const SuiteWants suite_wants_en = {
  "PASS",
  "\"title\": \"HELO with the assigned domain\"",
  "name=\"SEQ-HELO: HELO with the assigned domain\"",
};

static void
check_suite_run (const char *scenario, const Locale *locale)
{
  const SuiteWants *wants = locale->japanese ? &suite_wants_ja
                                             : &suite_wants_en;
  g_autofree char *send = g_shell_quote (e2e_env ("NACCS_SEND"));
  g_autofree char *client = g_strconcat (
    "--client=", send, " --server={host}:{port} --helo={helo}",
    " --from={from} {messages}", NULL);
  g_autofree char *json_path = g_strdup_printf ("%s/suite.json", work_dir);
  g_autofree char *junit_path = g_strdup_printf ("%s/suite.xml", work_dir);
  g_autofree char *json_arg = g_strconcat ("--report=json:", json_path, NULL);
  g_autofree char *junit_arg = g_strconcat ("--report=junit:", junit_path, NULL);
  g_autofree char *fixtures_arg = expand ("--fixtures-dir=@FIXTURES@");
  g_autofree char *json = NULL, *junit = NULL;
  const char *argv[] = {
    e2e_env ("NACCS_SIM"), "suite", client, fixtures_arg, json_arg,
    junit_arg, scenario, NULL,
  };
  Run run;

  CU_ASSERT_TRUE_FATAL (run_in_locale (locale, argv, &run));
  CU_ASSERT_EQUAL (run.exit_status, 0);
  assert_contains ("naccs-sim suite table", locale, run.out, wants->table);
  json = read_file_or_empty (json_path);
  junit = read_file_or_empty (junit_path);
  assert_contains ("suite JSON report", locale, json, wants->json);
  assert_contains ("suite JUnit report", locale, junit, wants->junit);
  run_clear (&run);
}

/* Proves that the suite runner's table and reports follow the locale. */
static void
test_suite_run_follows_locale (void)
{
  g_autofree char *scenario = find_clean_scenario ();

  CU_ASSERT_PTR_NOT_NULL_FATAL (scenario);
  for (gsize j = 0; j < G_N_ELEMENTS (locales); j++)
    check_suite_run (scenario, &locales[j]);
}

/* ---- suite set-up and main ---- */

static int
suite_init (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *bad = NULL;

  work_dir = e2e_make_temp_dir ("japanese");
  if (work_dir == NULL)
    return 1;
  bad = g_build_filename (work_dir, "bad.yaml", NULL);
  if (!g_file_set_contents (bad, bad_scenario, -1, &error))
    {
      g_printerr ("cannot write %s: %s\n", bad, error->message);
      return 1;
    }
  return 0;
}

static int
suite_clean (void)
{
  e2e_remove_tree (work_dir);
  g_clear_pointer (&work_dir, g_free);
  return 0;
}

/* TRUE when the C library can switch to ja_JP.UTF-8. */
static gboolean
japanese_locale_available (void)
{
  locale_t japanese = newlocale (LC_ALL_MASK, "ja_JP.UTF-8", (locale_t) 0);

  if (japanese == (locale_t) 0)
    return FALSE;
  freelocale (japanese);
  return TRUE;
}

int
main (void)
{
  CU_pSuite suite;
  guint failures;

  if (!japanese_locale_available ())
    {
      g_print ("SKIP /e2e/japanese: \"locale -a\" lists no ja_JP.utf8; "
               "ci/setup generates it (or run: localedef -i ja_JP -f UTF-8 "
               "ja_JP.UTF-8)\n");
      return 77;
    }
  if (e2e_env ("NACCS_LOCALEDIR") == NULL || e2e_env ("NACCS_SCENARIOS") == NULL
      || e2e_env ("NACCS_SIM") == NULL || e2e_env ("NACCS_SEND") == NULL
      || e2e_env ("NACCS_FIXTURES") == NULL)
    return 1;
  if (CU_initialize_registry () != CUE_SUCCESS)
    return 1;
  suite = CU_add_suite ("/e2e/japanese", suite_init, suite_clean);
  if (suite == NULL
      || CU_add_test (suite, "commands follow locale",
                      test_commands_follow_locale) == NULL
      || CU_add_test (suite, "scenario run follows locale",
                      test_scenario_run_follows_locale) == NULL
      || CU_add_test (suite, "suite run follows locale",
                      test_suite_run_follows_locale) == NULL)
    {
      g_printerr ("cannot register the tests: %s\n", CU_get_error_msg ());
      CU_cleanup_registry ();
      return 1;
    }
  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ()
             + CU_get_number_of_suites_failed ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
