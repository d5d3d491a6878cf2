/* test-scenario-match.c: the rule matcher picks the first matching rule of
 * the right connection, honours nth, from and argument globs, and falls
 * back to the default center (NULL) for everything else. */
#include "config.h"

#include <CUnit/Basic.h>
#include <string.h>

#include "scenario.h"
#include "test-scenario-util.h"

static const char match_yaml[] =
  "id: match\n"
  "title: {en: M, ja: M}\n"
  "rule: figure 4-3-10\n"
  "client: {helo: h.example, from: u@h.example,"
  " messages: [messages/01.edi]}\n"
  "connections:\n"
  "  - rules:\n"
  "      - on: RCPT\n"
  "        nth: 2\n"
  "        reply: \"451 second rcpt\"\n"
  "      - on: RCPT\n"
  "        argument: \"TO:<*@other.example>\"\n"
  "        reply: \"550 not here\"\n"
  "      - on: RCPT\n"
  "        from: 3\n"
  "        reply: \"452 third or later\"\n"
  "      - on: RCPT\n"
  "        reply: \"250 any rcpt\"\n"
  "      - on: end-of-message\n"
  "        nth: 1\n"
  "        silent: true\n"
  "      - on: idle\n"
  "        for: 2s\n"
  "        nth: 1\n"
  "        reply: \"421 idle\"\n"
  "        then: close\n"
  "      - on: idle\n"
  "        then: continue\n"
  "      - on: connect\n"
  "        stall: 1s\n"
  "      - on: X-CUSTOM\n"
  "        reply: \"250 custom\"\n"
  "      - on: long-line\n"
  "        reply: \"500 line too long\"\n"
  "      - on: oversize\n"
  "        from: 2\n"
  "        reply: \"552 too big again\"\n"
  "  - rules:\n"
  "      - on: DATA\n"
  "        then: close\n"
  "extra-connections: repeat-last\n";

/* What a match must return: want_code 0 means no reply of the rule's own
 * (NULL, or an action without a reply when want_action is set). */
typedef struct {
  const char *name;
  guint connection;
  NaccsSimTrigger trigger;
  const char *verb;
  const char *argument;
  guint occurrence;
  gboolean want_action;
  guint want_code;
  const char *want_line;
  NaccsSimAfter want_after;
} MatchCase;

#define CMD NACCS_SIM_TRIGGER_COMMAND
#define CLOSE NACCS_SIM_AFTER_CLOSE
#define GO NACCS_SIM_AFTER_CONTINUE

static const MatchCase match_cases[] = {
  { "first RCPT falls to catch-all", 0, CMD, "RCPT", "TO:<a@b.example>", 1,
    TRUE, 250, "any rcpt", GO },
  { "argument glob ignores case", 0, CMD, "rcpt", "to:<x@OTHER.example>", 1,
    TRUE, 550, "not here", GO },
  { "nth rule wins by order", 0, CMD, "RCPT", "TO:<x@other.example>", 2,
    TRUE, 451, "second rcpt", GO },
  { "from 3 at third", 0, CMD, "RCPT", "TO:<a@b.example>", 3, TRUE, 452,
    "third or later", GO },
  { "from 3 at tenth", 0, CMD, "RCPT", "TO:<a@b.example>", 10, TRUE, 452,
    "third or later", GO },
  { "glob before from", 0, CMD, "RCPT", "TO:<x@other.example>", 5, TRUE, 550,
    "not here", GO },
  { "missing argument never globs", 0, CMD, "RCPT", NULL, 1, TRUE, 250,
    "any rcpt", GO },
  { "unlisted verb is default", 0, CMD, "MAIL", "FROM:<a@b>", 1, FALSE, 0,
    NULL, GO },
  { "custom verb", 0, CMD, "x-custom", NULL, 1, TRUE, 250, "custom", GO },
  { "second message is default", 0, NACCS_SIM_TRIGGER_END_OF_MESSAGE, NULL,
    NULL, 2, FALSE, 0, NULL, GO },
  { "first idle closes", 0, NACCS_SIM_TRIGGER_IDLE, NULL, NULL, 1, TRUE,
    421, "idle", CLOSE },
  { "second idle continues", 0, NACCS_SIM_TRIGGER_IDLE, NULL, NULL, 2, TRUE,
    0, NULL, GO },
  { "long line", 0, NACCS_SIM_TRIGGER_LONG_LINE, NULL, NULL, 1, TRUE, 500,
    "line too long", GO },
  { "first oversize is default", 0, NACCS_SIM_TRIGGER_OVERSIZE, NULL, NULL,
    1, FALSE, 0, NULL, GO },
  { "second oversize", 0, NACCS_SIM_TRIGGER_OVERSIZE, NULL, NULL, 2, TRUE,
    552, "too big again", GO },
  { "second connection DATA", 1, CMD, "DATA", NULL, 1, TRUE, 0, NULL,
    CLOSE },
  { "second connection RCPT", 1, CMD, "RCPT", "TO:<a@b>", 1, FALSE, 0, NULL,
    GO },
  { "extra connection repeats last", 7, CMD, "DATA", NULL, 1, TRUE, 0, NULL,
    CLOSE },
  { "verb must match whole", 0, CMD, "RCPTX", "TO:<a@b>", 1, FALSE, 0, NULL,
    GO },
};

static NaccsSimScenario *
load_text (const char *name, const char *text)
{
  g_autofree char *path = test_scenario_file (name, text, -1);
  g_autoptr (GError) error = NULL;
  NaccsSimScenario *s = naccs_sim_scenario_load (path, test_fixtures, &error);

  if (error != NULL)
    g_printerr ("\n%s\n", error->message);
  return s;
}

static void
check_case (const MatchCase *c, const NaccsSimAction *got)
{
  if ((got != NULL) != c->want_action)
    g_printerr ("\ncase \"%s\": got %s, want %s\n", c->name,
                got ? "an action" : "NULL", c->want_action ? "one" : "NULL");
  CU_ASSERT_EQUAL_FATAL (got != NULL, c->want_action);
  if (got == NULL)
    return;
  if (got->code != c->want_code)
    g_printerr ("\ncase \"%s\": got code %u, want %u\n", c->name, got->code,
                c->want_code);
  CU_ASSERT_EQUAL (got->has_reply, c->want_code != 0);
  CU_ASSERT_EQUAL (got->code, c->want_code);
  CU_ASSERT_EQUAL (got->after, c->want_after);
  if (c->want_line == NULL)
    return;
  CU_ASSERT_EQUAL_FATAL (got->lines->len, 1);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (got->lines, 0), c->want_line);
}

/* Proves first-match order, nth, from, globs and connection choice. */
static void
test_match_table (void)
{
  g_autoptr (NaccsSimScenario) s = load_text ("match.yaml", match_yaml);

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  for (gsize i = 0; i < G_N_ELEMENTS (match_cases); i++)
    {
      const MatchCase *c = &match_cases[i];
      g_autoptr (NaccsSimAction) got = naccs_sim_scenario_match (
          s, c->connection, c->trigger, c->verb, c->argument, c->occurrence);

      check_case (c, got);
    }
}

/* Proves the actions that carry no reply code: silent and stall. */
static void
test_match_silent_and_stall (void)
{
  g_autoptr (NaccsSimScenario) s = load_text ("match.yaml", match_yaml);
  g_autoptr (NaccsSimAction) silent = NULL;
  g_autoptr (NaccsSimAction) stall = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  silent = naccs_sim_scenario_match (s, 0, NACCS_SIM_TRIGGER_END_OF_MESSAGE,
                                     NULL, NULL, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (silent);
  CU_ASSERT_TRUE (silent->no_reply);
  CU_ASSERT_FALSE (silent->has_reply);

  stall = naccs_sim_scenario_match (s, 0, NACCS_SIM_TRIGGER_CONNECT, NULL,
                                    NULL, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (stall);
  CU_ASSERT_EQUAL (stall->stall_ms, 1000);
  CU_ASSERT_FALSE (stall->has_reply);
  CU_ASSERT_FALSE (stall->no_reply);
}

/* Proves that idle times come from the first idle rule that would match. */
static void
test_idle_times (void)
{
  g_autoptr (NaccsSimScenario) s = load_text ("match.yaml", match_yaml);

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  CU_ASSERT_EQUAL (naccs_sim_scenario_idle_ms (s, 0, 1), 2000);
  CU_ASSERT_EQUAL (naccs_sim_scenario_idle_ms (s, 0, 2), 0);
  CU_ASSERT_EQUAL (naccs_sim_scenario_idle_ms (s, 1, 1), 0);
}

/* Proves that each match returns a fresh copy the caller may change. */
static void
test_match_returns_copy (void)
{
  g_autoptr (NaccsSimScenario) s = load_text ("match.yaml", match_yaml);
  g_autoptr (NaccsSimAction) first = NULL;
  g_autoptr (NaccsSimAction) second = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  first = naccs_sim_scenario_match (s, 0, CMD, "X-CUSTOM", NULL, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (first);
  first->code = 999;
  g_ptr_array_set_size (first->lines, 0);
  second = naccs_sim_scenario_match (s, 0, CMD, "X-CUSTOM", NULL, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (second);
  CU_ASSERT_EQUAL (second->code, 250);
  CU_ASSERT_EQUAL (second->lines->len, 1);
}

/* Proves that without extra-connections the extra ones get the default. */
static void
test_extra_connections_default (void)
{
  static const char yaml[] =
    "id: extra\n"
    "title: {en: E, ja: E}\n"
    "rule: figure 4-3-10\n"
    "client: {helo: h.example, from: u@h.example}\n"
    "connections:\n"
    "  - rules: [{on: DATA, then: close}]\n";
  g_autoptr (NaccsSimScenario) s = load_text ("extra.yaml", yaml);
  g_autoptr (NaccsSimAction) first = NULL;
  g_autoptr (NaccsSimAction) second = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  first = naccs_sim_scenario_match (s, 0, CMD, "DATA", NULL, 1);
  second = naccs_sim_scenario_match (s, 1, CMD, "DATA", NULL, 1);
  CU_ASSERT_PTR_NOT_NULL (first);
  CU_ASSERT_PTR_NULL (second);
  CU_ASSERT_PTR_NULL (naccs_sim_scenario_get_connection (s, 1));
}

/* Proves the trigger names used in scenario files and logs. */
static void
test_trigger_names (void)
{
  CU_ASSERT_STRING_EQUAL (
      naccs_sim_trigger_to_string (NACCS_SIM_TRIGGER_CONNECT), "connect");
  CU_ASSERT_STRING_EQUAL (
      naccs_sim_trigger_to_string (NACCS_SIM_TRIGGER_END_OF_MESSAGE),
      "end-of-message");
  CU_ASSERT_STRING_EQUAL (
      naccs_sim_trigger_to_string (NACCS_SIM_TRIGGER_COMMAND), "command");
  CU_ASSERT_STRING_EQUAL (
      naccs_sim_trigger_to_string (NACCS_SIM_TRIGGER_IDLE), "idle");
}

int
main (void)
{
  CU_pSuite suite;
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  suite = CU_add_suite ("/scenario/match", test_dir_setup, test_dir_teardown);
  CU_add_test (suite, "match table", test_match_table);
  CU_add_test (suite, "silent and stall", test_match_silent_and_stall);
  CU_add_test (suite, "idle times", test_idle_times);
  CU_add_test (suite, "match returns copy", test_match_returns_copy);
  CU_add_test (suite, "extra connections default",
               test_extra_connections_default);
  CU_add_test (suite, "trigger names", test_trigger_names);

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ()
             + CU_get_number_of_tests_failed ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
