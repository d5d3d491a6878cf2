/* test-suite-command.c: the client command of `naccs-sim suite`.
 *
 * Tables of command lines with the argument vectors they must become, the
 * commands that must be refused with the reason, and the NACCS_*
 * environment a client receives.
 */
#include <string.h>

#include <CUnit/Basic.h>

#include "suite-private.h"

static const char *const two_messages[] = { "/f/a.edi", "/f/b c.edi", NULL };
static const char *const no_messages[] = { NULL };

static NaccsSimSuiteClientValues
sample_values (const char *const *messages)
{
  NaccsSimSuiteClientValues values = {
    .host = "127.0.0.1",
    .port = "40123",
    .helo = "SYNTH.EXAMPLE.INVALID",
    .from = "ZZX9A@SYNTH.EXAMPLE.INVALID",
    .to = "NACCS@EDIFACT.PROD.NACCS6",
    .scenario = "f10-two-messages",
    .scenario_file = "/s/f10-two-messages.yaml",
    .messages = messages,
  };

  return values;
}

/* Asserts that @command expands to the arguments @want (joined by "|"). */
static void
assert_expands (const char *command, const char *const *messages,
                const char *want)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) argv = naccs_sim_suite_command_parse (command, &error);
  NaccsSimSuiteClientValues values = sample_values (messages);
  g_auto (GStrv) got = NULL;
  g_autofree char *joined = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (argv);
  got = naccs_sim_suite_command_expand (argv, &values);
  joined = g_strjoinv ("|", got);
  if (strcmp (joined, want) != 0)
    g_printerr ("\ncommand %s\n  got  %s\n  want %s\n", command, joined, want);
  CU_ASSERT_STRING_EQUAL (joined, want);
}

/* Proves each placeholder is filled in within its own argument. */
static void
test_expand_placeholders (void)
{
  static const struct {
    const char *command;
    const char *want;
  } cases[] = {
    { "naccs-send --server {host}:{port} --helo {helo} --from {from} "
      "--to {to}",
      "naccs-send|--server|127.0.0.1:40123|--helo|SYNTH.EXAMPLE.INVALID|"
      "--from|ZZX9A@SYNTH.EXAMPLE.INVALID|--to|NACCS@EDIFACT.PROD.NACCS6" },
    { "client --id={scenario}", "client|--id=f10-two-messages" },
    { "client smtp://{host}:{port}/{helo}",
      "client|smtp://127.0.0.1:40123/SYNTH.EXAMPLE.INVALID" },
    { "client '{host} {port}'", "client|127.0.0.1 40123" },
    { "client {{host}", "client|{host}" },
    /* A literal "{" must be written "{{", even in a shell's ${NAME}. */
    { "sh -c 'exec client ${{NACCS_PORT} {{}'",
      "sh|-c|exec client ${NACCS_PORT} {}" },
    { "client {{Host} '{{a b}' a}b", "client|{Host}|{a b}|a}b" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_expands (cases[i].command, two_messages, cases[i].want);
}

/* Proves {messages} turns its argument into one argument per message. */
static void
test_expand_messages (void)
{
  assert_expands ("client {messages}", two_messages,
                  "client|/f/a.edi|/f/b c.edi");
  assert_expands ("client --file={messages} --end", two_messages,
                  "client|--file=/f/a.edi|--file=/f/b c.edi|--end");
  assert_expands ("client {messages} --end", no_messages, "client|--end");
  assert_expands ("client @{messages}:{port}", two_messages,
                  "client|@/f/a.edi:40123|@/f/b c.edi:40123");
}

/* Proves a bad command is refused with the value and the fix. */
static void
test_parse_refusals (void)
{
  static const struct {
    const char *command;
    const char *want;
  } cases[] = {
    { "", "missing --client" },
    { "client {hots}", "unknown placeholder \"{hots}\"" },
    { "awk '{print}'", "unknown placeholder \"{print}\"" },
    { "client '{messages}{messages}'", "holds {messages} more than once" },
    { "client 'unterminated", "invalid --client" },
    { "client {HOST}", "unknown placeholder \"{HOST}\" in argument "
                       "\"{HOST}\"" },
    { "client --at={ho-st}", "unknown placeholder \"{ho-st}\" in argument "
                             "\"--at={ho-st}\"" },
    { "client {}", "unknown placeholder \"{}\"" },
    { "client {host", "unclosed \"{\" in argument \"{host\"" },
    { "client {{{host", "unclosed \"{\" in argument \"{{{host\"" },
    { "client {HOST}", "{host}, {port}, {helo}, {from}, {to}, {messages}, "
                       "{scenario}" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_auto (GStrv) argv =
        naccs_sim_suite_command_parse (cases[i].command, &error);

      CU_ASSERT_PTR_NULL (argv);
      CU_ASSERT_PTR_NOT_NULL_FATAL (error);
      if (strstr (error->message, cases[i].want) == NULL)
        g_printerr ("\ncommand \"%s\"\n  got  %s\n  want ...%s...\n",
                    cases[i].command, error->message, cases[i].want);
      CU_ASSERT_PTR_NOT_NULL (strstr (error->message, cases[i].want));
      CU_ASSERT_TRUE (g_error_matches (error, NACCS_SIM_SUITE_ERROR,
                                       NACCS_SIM_SUITE_ERROR_COMMAND));
    }
}

/* Proves a missing program is found before any scenario runs. */
static void
test_check_program (void)
{
  static const struct {
    const char *program;
    gboolean want;
  } cases[] = {
    { "sh", TRUE },
    { "/bin/sh", TRUE },
    { "no-such-client-program-xyz", FALSE },
    { "/no/such/dir/client", FALSE },
    { "/tmp", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      char *argv[] = { (char *) cases[i].program, NULL };
      gboolean got = naccs_sim_suite_command_check_program (argv, &error);

      if (got != cases[i].want)
        g_printerr ("\nprogram %s: got %d, want %d\n", cases[i].program, got,
                    cases[i].want);
      CU_ASSERT_EQUAL (got, cases[i].want);
      CU_ASSERT_EQUAL (error != NULL, !cases[i].want);
    }
}

/* Proves the environment carries every value, messages one per line. */
static void
test_environment (void)
{
  NaccsSimSuiteClientValues values = sample_values (two_messages);
  g_auto (GStrv) env = naccs_sim_suite_command_environment (&values);
  static const char *const want[] = {
    "NACCS_HOST=127.0.0.1",
    "NACCS_PORT=40123",
    "NACCS_HELO=SYNTH.EXAMPLE.INVALID",
    "NACCS_FROM=ZZX9A@SYNTH.EXAMPLE.INVALID",
    "NACCS_TO=NACCS@EDIFACT.PROD.NACCS6",
    "NACCS_MESSAGES=/f/a.edi\n/f/b c.edi",
    "NACCS_SCENARIO=f10-two-messages",
    "NACCS_SCENARIO_FILE=/s/f10-two-messages.yaml",
  };

  CU_ASSERT_EQUAL (g_strv_length (env), G_N_ELEMENTS (want));
  for (gsize i = 0; i < G_N_ELEMENTS (want); i++)
    {
      if (!g_strv_contains ((const char *const *) env, want[i]))
        g_printerr ("\nmissing from the environment: %s\n", want[i]);
      CU_ASSERT_TRUE (g_strv_contains ((const char *const *) env, want[i]));
    }
}

int
main (void)
{
  CU_pSuite suite;
  unsigned failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 1;
  suite = CU_add_suite ("/suite/command", NULL, NULL);
  if (suite == NULL
      || !CU_add_test (suite, "expand placeholders", test_expand_placeholders)
      || !CU_add_test (suite, "expand messages", test_expand_messages)
      || !CU_add_test (suite, "parse refusals", test_parse_refusals)
      || !CU_add_test (suite, "check program", test_check_program)
      || !CU_add_test (suite, "environment", test_environment))
    {
      CU_cleanup_registry ();
      return 1;
    }
  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
