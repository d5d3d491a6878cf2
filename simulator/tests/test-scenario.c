/* test-scenario.c: the scenario loader accepts good files and rejects bad
 * ones with the exact "FILE:LINE:COLUMN: what is wrong; what is allowed"
 * message, quickly and without deep recursion.
 *
 * Bad cases are inline YAML written to a temporary directory, plus the
 * files under scenarios-bad/ that are easier to read as files.  The
 * shipped examples in scenarios/ must all load against fixtures/.
 */
#include "config.h"

#include <CUnit/Basic.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "checks.h"
#include "scenario-private.h"
#include "test-scenario-util.h"

/* A valid scenario; the cases append to it from line 8 on. */
#define BASE                                                                 \
  "id: t\n"                                                                  \
  "title: {en: T, ja: テスト}\n"                                             \
  "rule: figure 4-3-10\n"                                                    \
  "client:\n"                                                                \
  "  helo: user.example\n"                                                   \
  "  from: user@example.jp\n"                                                \
  "  messages: [messages/01.edi, messages/02.edi]\n"

/* One rule on DATA in connection 1; its further keys start at line 11,
 * column 9. */
#define RULE BASE "connections:\n  - rules:\n      - on: DATA\n"

#define RULE_KEYS                                                            \
  "on, argument, nth, from, for, reply, raw, stall, dribble, split, "       \
  "partial, then, silent"

#define DURATION_FIX                                                         \
  "write a number with a unit ms, s, m or h (500ms, 2s, 1.5m, 1h), at "     \
  "most 24h"

typedef struct {
  const char *name;
  const char *yaml;
  const char *want;   /* the message after "PATH:"; @FIXTURES@ and @KNOWN@
                         stand for the fixtures directory and the check ids */
} BadCase;

static const BadCase bad_cases[] = {
  /* unknown keys, wrong types, duplicates */
  { "unknown top-level key", BASE "stal: 1\n",
    "8:1: unknown key \"stal\"; allowed keys here: id, title, rule, tags, "
    "client, center, connections, extra-connections, expect" },
  { "unknown rule key", RULE "        stal: 2s\n",
    "11:9: unknown key \"stal\"; allowed keys here: " RULE_KEYS },
  { "unknown client key", BASE "  helo2: x\n",
    "8:3: unknown key \"helo2\"; allowed keys here: helo, from, to, "
    "messages" },
  { "title is text", "id: t\ntitle: T\nrule: r\nclient: {}\n",
    "2:8: \"title\" is a text; it must be a mapping of keys and values" },
  { "title missing ja", "id: t\ntitle: {en: T}\nrule: r\nclient: {}\n",
    "2:8: missing key \"ja\"; add it to this mapping" },
  { "center is a list", BASE "center: [1]\n",
    "8:9: \"center\" is a list; it must be a mapping of keys and values" },
  { "rules is mapping", BASE "connections:\n  - rules: {on: DATA}\n",
    "9:12: \"rules\" is a mapping; it must be a list (\"- item\" lines or "
    "[a, b])" },
  { "duplicate key", BASE "id: u\n",
    "8:1: duplicate key \"id\"; each key may appear once in a mapping "
    "(first at line 1)" },
  { "missing id", "title: {en: T, ja: T}\n",
    "1:1: missing key \"id\"; add it to this mapping" },
  { "missing title", "id: Bad_Id\n",
    "1:1: missing key \"title\"; add it to this mapping" },
  { "invalid id value",
    "id: Bad_Id\ntitle: {en: T, ja: T}\nrule: r\nclient: {}\n",
    "1:5: invalid id \"Bad_Id\"; use 1 to 64 characters from a-z, 0-9 and "
    "\"-\"" },
  { "root is a list", "- id: t\n",
    "1:1: \"scenario\" is a list; it must be a mapping of keys and values" },
  { "empty file", "",
    "1:1: the file holds no YAML document; a scenario needs at least id, "
    "title, rule and client" },
  { "helo with space", BASE "  to: a b\n",
    "8:7: invalid to \"a b\"; use 1 to 255 printable ASCII characters "
    "without spaces or angle brackets" },
  { "null helo",
    "id: t\ntitle: {en: T, ja: T}\nrule: r\nclient: {helo: , from: a}\n",
    "4:16: \"helo\" is nothing; it must be an address" },

  /* durations */
  { "negative duration", RULE "        stall: -1s\n",
    "11:16: invalid stall \"-1s\": a duration cannot be negative; "
    DURATION_FIX },
  { "absurd duration", RULE "        stall: 25h\n",
    "11:16: invalid stall \"25h\": longer than 24h; " DURATION_FIX },
  { "huge duration", RULE "        stall: 99999999999999999999ms\n",
    "11:16: invalid stall \"99999999999999999999ms\": longer than 24h; "
    DURATION_FIX },
  { "bare number duration", RULE "        stall: 2\n",
    "11:16: invalid stall \"2\": a duration needs a unit; " DURATION_FIX },
  { "unknown duration unit", RULE "        stall: 2d\n",
    "11:16: invalid stall \"2d\": unknown unit \"d\"; " DURATION_FIX },
  { "fraction of millisecond", RULE "        stall: 1.5ms\n",
    "11:16: invalid stall \"1.5ms\": not a whole number of milliseconds; "
    DURATION_FIX },
  { "duration is a list", RULE "        stall: [1s]\n",
    "11:16: \"stall\" is a list; it must be a duration such as 500ms or "
    "2s" },
  { "idle for zero", BASE "connections:\n  - rules:\n      - on: idle\n"
                          "        for: 0s\n        then: close\n",
    "11:14: invalid for \"0s\"; it must be at least 1ms" },

  /* replies */
  { "reply code too high", RULE "        reply: \"600 no\"\n",
    "11:16: reply code 600 is outside 100..599; SMTP reply codes start "
    "with 1 to 5" },
  { "reply code too low", RULE "        reply: \"099 no\"\n",
    "11:16: reply code 099 is outside 100..599; SMTP reply codes start "
    "with 1 to 5" },
  { "long reply code too high", RULE "        reply: {code: 700}\n",
    "11:23: reply code 700 is outside 100..599; SMTP reply codes start "
    "with 1 to 5" },
  { "long reply code not number", RULE "        reply: {code: abc}\n",
    "11:23: invalid code \"abc\"; give a whole number from 0 to 999" },
  { "reply without code", RULE "        reply: \"try later\"\n",
    "11:16: reply \"try later\" must start with a 3-digit code and a "
    "space, as in \"451 try later\"; for several lines write {code: 250, "
    "lines: [first, second]}" },
  { "reply with hyphen", RULE "        reply: \"250-first\"\n",
    "11:16: reply \"250-first\" must start with a 3-digit code and a "
    "space, as in \"451 try later\"; for several lines write {code: 250, "
    "lines: [first, second]}" },
  { "reply text with LF", RULE "        reply: \"250 a\\nb\"\n",
    "11:16: reply text contains a line break; for several lines write "
    "{code: 250, lines: [first, second]}" },
  { "reply line with CR", RULE "        reply: {code: 250, lines: "
                               "[\"a\\rb\"]}\n",
    "11:36: \"lines\" contains a line break; it must be one line" },
  { "reply line with LF", RULE "        reply:\n          code: 250\n"
                               "          lines:\n            - ok\n"
                               "            - \"x\\ny\"\n",
    "15:15: \"lines\" contains a line break; it must be one line" },
  { "reply long unknown key", RULE "        reply: {code: 250, text: a}\n",
    "11:28: unknown key \"text\"; allowed keys here: code, lines" },
  { "reply long without code", RULE "        reply: {lines: [a]}\n",
    "11:16: missing key \"code\"; add it to this mapping" },
  { "reply empty", RULE "        reply:\n",
    "11:15: \"reply\" must be a text such as \"451 try later\" or a "
    "mapping {code: 250, lines: [first, second]}" },

  /* other actions */
  { "raw bad escape", RULE "        raw: '250 ok\\q'\n",
    "11:14: invalid escape \"\\q\" in raw; use \\r, \\n, \\t, \\\\ or "
    "\\xHH (01 to FF)" },
  { "raw NUL escape", RULE "        raw: '250\\x00'\n",
    "11:14: invalid escape \"\\x00\" in raw; use \\r, \\n, \\t, \\\\ or "
    "\\xHH (01 to FF)" },
  { "then unknown", RULE "        then: explode\n",
    "11:15: invalid then \"explode\"; write close, reset, silence or "
    "continue" },
  { "silent not boolean", RULE "        silent: yes\n",
    "11:17: invalid silent \"yes\"; write true or false" },
  { "dribble missing every", RULE "        dribble: {bytes: 1}\n",
    "11:18: missing key \"every\"; add it to this mapping" },
  { "dribble zero bytes", RULE "        dribble: {bytes: 0, every: 1s}\n",
    "11:26: invalid bytes \"0\"; give a whole number from 1 to 1048576" },
  { "split unknown key", RULE "        split: {at: 2, every: 1s}\n",
    "11:24: unknown key \"every\"; allowed keys here: at, after" },
  { "partial is text", RULE "        partial: 2\n",
    "11:18: \"partial\" is a text; it must be a mapping of keys and "
    "values" },
  { "reply and raw", RULE "        reply: \"250 ok\"\n"
                          "        raw: '250 ok\\r\\n'\n",
    "10:9: \"reply\" and \"raw\" cannot be combined; raw already holds the "
    "whole reply" },
  { "dribble and split", RULE "        dribble: {bytes: 1, every: 1s}\n"
                              "        split: {at: 1, after: 1s}\n",
    "10:9: \"dribble\" and \"split\" cannot be combined; keep one of "
    "them" },
  { "silent and stall", RULE "        silent: true\n        stall: 1s\n",
    "12:9: \"stall\" has no effect with \"silent: true\", which sends "
    "nothing; remove one of them" },
  { "rule without action", RULE "        nth: 2\n",
    "10:9: this rule has no action; add one of: reply, raw, stall, "
    "dribble, split, partial, then, silent" },

  /* matching keys */
  { "lower-case verb", BASE "connections:\n  - rules:\n      - on: quit\n",
    "10:13: unknown event \"quit\"; write a command verb in capitals "
    "(HELO, MAIL, RCPT, DATA, ...) or one of: connect, end-of-message, "
    "long-line, oversize, idle" },
  { "on is a list", BASE "connections:\n  - rules:\n      - on: [DATA]\n",
    "10:13: \"on\" must name one event; use a command verb in capitals "
    "(HELO, MAIL, RCPT, DATA, ...) or one of: connect, end-of-message, "
    "long-line, oversize, idle" },
  { "rule without on", BASE "connections:\n  - rules:\n      - then: close\n",
    "10:9: missing key \"on\"; add it to this mapping" },
  { "nth zero", RULE "        nth: 0\n        then: close\n",
    "11:14: invalid nth \"0\"; give a whole number from 1 to 2147483647" },
  { "nth hexadecimal", RULE "        nth: 0x2\n        then: close\n",
    "11:14: invalid nth \"0x2\"; give a whole number from 1 to "
    "2147483647" },
  { "nth and from", RULE "        nth: 1\n        from: 2\n"
                         "        then: close\n",
    "12:15: \"nth\" and \"from\" cannot be combined; keep nth for one "
    "occurrence or from for that one and later ones" },
  { "nth on connect", BASE "connections:\n  - rules:\n      - on: connect\n"
                           "        nth: 2\n        then: close\n",
    "10:9: a connection is accepted once, so \"nth\" and \"from\" do not "
    "apply to \"on: connect\"; list one entry per connection under "
    "\"connections\" instead" },
  { "argument on end-of-message",
    BASE "connections:\n  - rules:\n      - on: end-of-message\n"
         "        argument: x\n        then: close\n",
    "11:19: \"argument\" applies to command rules only; remove it or match "
    "a command verb" },
  { "for on command", RULE "        for: 1s\n        then: close\n",
    "11:14: \"for\" applies to \"on: idle\" only; remove it" },
  { "unknown connection key", BASE "connections:\n  - rule: []\n",
    "9:5: unknown key \"rule\"; allowed keys here: rules" },
  { "repeat-last without connections", BASE "extra-connections: "
                                            "repeat-last\n",
    "8:20: extra-connections: repeat-last needs at least one entry under "
    "connections" },
  { "extra-connections unknown", BASE "extra-connections: refuse\n",
    "8:20: invalid extra-connections \"refuse\"; write default or "
    "repeat-last" },

  /* center */
  { "line length too small", BASE "center: {max-line-length: 2}\n",
    "8:27: invalid max-line-length \"2\"; give a whole number from 3 to "
    "16777216" },
  { "message size negative", BASE "center: {max-message-size: -5}\n",
    "8:28: invalid max-message-size \"-5\"; give a whole number from 1 to "
    "1073741824" },
  { "greeting with line break", BASE "center: {greeting: \"a\\r\\nb\"}\n",
    "8:20: \"greeting\" contains a line break; it must be one line" },

  /* fixtures */
  { "missing fixture",
    "id: t\ntitle: {en: T, ja: T}\nrule: r\n"
    "client: {helo: h, from: f, messages: [messages/99.edi]}\n",
    "4:39: message fixture \"messages/99.edi\" not found in @FIXTURES@; "
    "give a path relative to the fixtures directory" },
  { "fixture escapes directory",
    "id: t\ntitle: {en: T, ja: T}\nrule: r\n"
    "client: {helo: h, from: f, messages: [../x.edi]}\n",
    "4:39: invalid fixture path \"../x.edi\"; give a path inside the "
    "fixtures directory, such as messages/01-ordinary-short.edi, without "
    "\"..\"" },
  { "absolute fixture path",
    "id: t\ntitle: {en: T, ja: T}\nrule: r\n"
    "client: {helo: h, from: f, messages: [/etc/passwd]}\n",
    "4:39: invalid fixture path \"/etc/passwd\"; give a path inside the "
    "fixtures directory, such as messages/01-ordinary-short.edi, without "
    "\"..\"" },

  /* expectations */
  { "unknown check id", BASE "expect: {pass: [SEQ-HELOO]}\n",
    "8:17: unknown check id \"SEQ-HELOO\"; known ids: @KNOWN@" },
  { "check id lower case", BASE "expect: {fail: [seq-helo]}\n",
    "8:17: unknown check id \"seq-helo\"; known ids: @KNOWN@" },
  { "check in pass and fail",
    BASE "expect: {pass: [SEQ-HELO], fail: [MSG-DOT, SEQ-HELO]}\n",
    "8:44: check \"SEQ-HELO\" is listed in both pass and fail; keep it in "
    "one of them" },
  { "spooled out of range", BASE "expect: {spooled: [3]}\n",
    "8:20: invalid spooled \"3\"; give a whole number from 1 to 2" },
  { "spooled unknown path", BASE "expect: {spooled: [messages/03.edi]}\n",
    "8:20: spooled entry \"messages/03.edi\" is not one of client.messages; "
    "give a message number from 1 or a fixture path listed there" },
  { "spooled and not-spooled",
    BASE "expect: {spooled: [1], not-spooled: [messages/01.edi]}\n",
    "8:38: message 1 is listed in both spooled and not-spooled; keep it in "
    "one of them" },
  { "not-before after give-up",
    BASE "expect: {give-up-within: 5s, not-before: 5s}\n",
    "8:42: not-before (5000ms) must be shorter than give-up-within "
    "(5000ms)" },
  { "exit out of range", BASE "expect: {exit: 256}\n",
    "8:16: invalid exit \"256\"; give a whole number from 0 to 255" },
  { "unknown expect key", BASE "expect: {passes: []}\n",
    "8:10: unknown key \"passes\"; allowed keys here: pass, fail, spooled, "
    "not-spooled, give-up-within, not-before, quit-within, exit" },

  /* YAML itself */
  { "anchor", BASE "tags: &t [a]\n",
    "8:7: YAML anchors and aliases (&name, *name) are not allowed; write "
    "each value out in full" },
  { "alias", "a: b\nc: *x\n",
    "2:4: YAML anchors and aliases (&name, *name) are not allowed; write "
    "each value out in full" },
  { "tag", "id: !!str t\n",
    "1:5: YAML tags (!name, !!type) are not allowed; remove the tag" },
  { "second document", BASE "---\nid: u\n",
    "8:1: a second YAML document (\"---\"); a scenario file holds exactly "
    "one document" },
  { "complex key", "? [a]\n: b\n",
    "1:3: a mapping key must be plain text; write \"key: value\"" },
  { "NUL escape", "id: \"a\\0b\"\n",
    "1:5: NUL character (\\0) in a text value; NUL cannot be used here" },
  { "syntax error", "id: [a, b\n",
    "2:1: invalid YAML: while parsing a flow sequence did not find "
    "expected ',' or ']' (from line 1); check indentation, colons and "
    "quotes" },
};

static char *
known_ids (void)
{
  gsize n = 0;
  const NaccsSimCheckInfo *checks = naccs_sim_check_list (&n);
  GString *list = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (list, "%s%s", i > 0 ? ", " : "", checks[i].id);
  return g_string_free (list, FALSE);
}

static char *
expand_want (const char *path, const char *want)
{
  g_autofree char *known = known_ids ();
  g_autoptr (GString) text = g_string_new (want);

  g_string_replace (text, "@FIXTURES@", test_fixtures, 0);
  g_string_replace (text, "@KNOWN@", known, 0);
  g_string_prepend (text, ":");
  g_string_prepend (text, path);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Loads @path and checks that it fails with exactly @want. */
static void
assert_load_error (const char *name, const char *path, const char *want)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NaccsSimScenario) s = NULL;

  s = naccs_sim_scenario_load (path, test_fixtures, &error);
  CU_ASSERT_PTR_NULL (s);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_EQUAL (error->domain, NACCS_SIM_SCENARIO_ERROR);
  if (strcmp (error->message, want) != 0)
    g_printerr ("\ncase \"%s\":\n  got:  %s\n  want: %s\n", name,
                error->message, want);
  CU_ASSERT_STRING_EQUAL (error->message, want);
}

/* Proves that every bad inline case fails with its exact message. */
static void
test_bad_cases (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *file = g_strdup_printf ("bad-%02zu.yaml", i);
      g_autofree char *path = test_scenario_file (file, bad_cases[i].yaml,
                                                  -1);
      g_autofree char *want = expand_want (path, bad_cases[i].want);

      assert_load_error (bad_cases[i].name, path, want);
    }
}

/* Proves that the files under scenarios-bad/ fail with exact messages. */
static void
test_bad_files (void)
{
  static const struct {
    const char *file;
    const char *want;
  } cases[] = {
    { "unknown-action-key.yaml",
      "14:9: unknown key \"stal\"; allowed keys here: " RULE_KEYS },
    { "billion-laughs.yaml",
      "1:5: YAML anchors and aliases (&name, *name) are not allowed; write "
      "each value out in full" },
    { "not-utf8.yaml",
      "3:13: invalid UTF-8 byte 0x83; save the file as UTF-8" },
    { "latin1-title.yaml",
      "2:17: invalid UTF-8 byte 0xE9; save the file as UTF-8" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (BAD_SCENARIOS_DIR,
                                                cases[i].file, NULL);
      g_autofree char *want = expand_want (path, cases[i].want);

      assert_load_error (cases[i].file, path, want);
    }
}

/* Proves that an alias bomb is rejected in well under a second. */
static void
test_alias_bomb_fast (void)
{
  g_autoptr (GString) yaml = g_string_new ("a0: &a0 [lol, lol]\n");
  g_autofree char *path = NULL;
  g_autofree char *want = NULL;
  gint64 start;

  for (int i = 1; i < 30; i++)
    g_string_append_printf (yaml, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d]\n", i,
                            i, i - 1, i - 1, i - 1, i - 1);
  path = test_scenario_file ("bomb.yaml", yaml->str, -1);
  want = expand_want (path, "1:5: YAML anchors and aliases (&name, *name) "
                            "are not allowed; write each value out in "
                            "full");
  start = g_get_monotonic_time ();
  assert_load_error ("alias bomb", path, want);
  CU_ASSERT (g_get_monotonic_time () - start < G_USEC_PER_SEC / 10);
}

/* Proves that 10,000 levels of nesting stop at level 33, without
 * recursion. */
static void
test_deep_nesting_rejected (void)
{
  g_autoptr (GString) yaml = g_string_new ("id: ");
  g_autofree char *path = NULL;
  g_autofree char *want = NULL;

  for (int i = 0; i < 10000; i++)
    g_string_append_c (yaml, '[');
  for (int i = 0; i < 10000; i++)
    g_string_append_c (yaml, ']');
  g_string_append_c (yaml, '\n');
  path = test_scenario_file ("deep.yaml", yaml->str, -1);
  want = expand_want (path, "1:36: nesting deeper than 32 levels; a "
                            "scenario needs far fewer");
  assert_load_error ("deep flow nesting", path, want);

  g_string_assign (yaml, "");
  for (int i = 0; i < 10000; i++)
    g_string_append (yaml, "- ");
  g_string_append (yaml, "x\n");
  path = (g_free (path), test_scenario_file ("deep2.yaml", yaml->str, -1));
  want = (g_free (want),
          expand_want (path, "1:65: nesting deeper than 32 levels; a "
                             "scenario needs far fewer"));
  assert_load_error ("deep block nesting", path, want);
}

/* Proves that files over 1 MiB, missing files and NUL bytes are rejected. */
static void
test_file_level_errors (void)
{
  gsize big = NACCS_YAML_MAX_FILE_BYTES + 1;
  g_autofree char *text = g_malloc (big);
  g_autofree char *path = NULL;
  g_autofree char *want = NULL;
  g_autofree char *missing = NULL;
  g_autoptr (GError) error = NULL;

  memset (text, '#', big);
  path = test_scenario_file ("big.yaml", text, (gssize) big);
  want = g_strdup_printf ("%s: the file is larger than 1048576 bytes "
                          "(1 MiB); a scenario file must be smaller",
                          path);
  assert_load_error ("file over 1 MiB", path, want);

  g_free (path);
  g_free (want);
  path = test_scenario_file ("nul.yaml", "id: t\nti\0tle: x\n", 17);
  want = expand_want (path, "2:3: NUL byte in the file; a scenario file "
                            "is UTF-8 text without NUL bytes");
  assert_load_error ("NUL byte", path, want);

  missing = g_build_filename (test_dir, "missing.yaml", NULL);
  g_assert_null (naccs_sim_scenario_load (missing, test_fixtures, &error));
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT (g_error_matches (error, NACCS_SIM_SCENARIO_ERROR,
                              NACCS_SIM_SCENARIO_ERROR_FILE));
  CU_ASSERT (g_str_has_prefix (error->message, missing));
}

/* Proves that a FIFO is refused at once instead of blocking the loader
 * until a writer appears. */
static void
test_fifo_rejected (void)
{
  g_autofree char *path = g_build_filename (test_dir, "fifo.yaml", NULL);
  g_autofree char *want = g_strdup_printf ("%s: not a regular file; give the "
                                           "path of a YAML scenario file",
                                           path);

  g_unlink (path);
  CU_ASSERT_EQUAL_FATAL (mkfifo (path, 0600), 0);
  assert_load_error ("FIFO", path, want);
  g_unlink (path);
}

/* Proves the error codes that tell a caller which kind of problem it is. */
static void
test_error_codes (void)
{
  static const struct {
    const char *yaml;
    NaccsSimScenarioError code;
  } cases[] = {
    { "a: [b\n", NACCS_SIM_SCENARIO_ERROR_SYNTAX },
    { "a: *b\n", NACCS_SIM_SCENARIO_ERROR_SYNTAX },
    { BASE "stal: 1\n", NACCS_SIM_SCENARIO_ERROR_INVALID },
    { "id: t\ntitle: {en: T, ja: T}\nrule: r\n"
      "client: {helo: h, from: f, messages: [messages/99.edi]}\n",
      NACCS_SIM_SCENARIO_ERROR_FIXTURE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = test_scenario_file ("code.yaml",
                                                  cases[i].yaml, -1);
      g_autoptr (GError) error = NULL;
      g_autoptr (NaccsSimScenario) s = naccs_sim_scenario_load (
          path, test_fixtures, &error);

      CU_ASSERT_PTR_NULL (s);
      CU_ASSERT (g_error_matches (error, NACCS_SIM_SCENARIO_ERROR,
                                  cases[i].code));
    }
}

/* Proves the duration grammar on good values, in exact milliseconds. */
static void
test_duration_values (void)
{
  static const struct {
    const char *text;
    guint want_ms;
  } cases[] = {
    { "0ms", 0 },       { "500ms", 500 },      { "2s", 2000 },
    { "1.5s", 1500 },   { "1.1s", 1100 },      { "0.001s", 1 },
    { ".5s", 500 },     { "1.5m", 90000 },     { "1h", 3600000 },
    { "24h", 86400000 }, { "1.250s", 1250 },   { "86400s", 86400000 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *reason = NULL;
      guint got = G_MAXUINT;

      CU_ASSERT_TRUE (naccs_sim_parse_duration (cases[i].text, &got,
                                                &reason));
      if (got != cases[i].want_ms)
        g_printerr ("\nduration %s: got %u want %u\n", cases[i].text, got,
                    cases[i].want_ms);
      CU_ASSERT_EQUAL (got, cases[i].want_ms);
    }
}

static const char full_yaml[] =
  "id: full-example\n"
  "title:\n"
  "  en: Every feature\n"
  "  ja: すべての機能\n"
  "rule: table 4-3-13 row 6\n"
  "tags: [dot, retry]\n"
  "client:\n"
  "  helo: user.example\n"
  "  from: user@example.jp\n"
  "  to: OTHER@CENTER.EXAMPLE\n"
  "  messages:\n"
  "    - messages/01.edi\n"
  "    - messages/02.edi\n"
  "center:\n"
  "  address: OTHER@CENTER.EXAMPLE\n"
  "  greeting: センター 準備完了\n"
  "  max-line-length: 2000\n"
  "  max-message-size: 700000\n"
  "  idle-timeout: 2m\n"
  "  command-timeout: 30s\n"
  "connections:\n"
  "  - rules:\n"
  "      - on: connect\n"
  "        dribble: {bytes: 1, every: 100ms}\n"
  "      - on: RCPT\n"
  "        argument: \"TO:<*@center.example>\"\n"
  "        nth: 2\n"
  "        reply: \"451 try later\"\n"
  "      - on: DATA\n"
  "        from: 2\n"
  "        stall: 2.5s\n"
  "        split: {at: 2, after: 50ms}\n"
  "        then: close\n"
  "      - on: end-of-message\n"
  "        reply:\n"
  "          code: 250\n"
  "          lines: [\"受け付けました\", \"\", second]\n"
  "      - on: idle\n"
  "        for: 5s\n"
  "        raw: '421 bye\\r\\n\\xff'\n"
  "        partial: {bytes: 2}\n"
  "        then: reset\n"
  "  - {}\n"
  "  - rules:\n"
  "      - on: QUIT\n"
  "        silent: true\n"
  "        then: silence\n"
  "      - on: NOOP\n"
  "        reply: \"250\"\n"
  "extra-connections: repeat-last\n"
  "expect:\n"
  "  pass: [SEQ-HELO, MSG-DOT]\n"
  "  fail: [SES-QUIT]\n"
  "  spooled: [messages/02.edi]\n"
  "  not-spooled: [1]\n"
  "  give-up-within: 5s\n"
  "  not-before: 1s\n"
  "  quit-within: 10s\n"
  "  exit: 1\n";

static NaccsSimRule *
rule_at (NaccsSimScenario *s, guint connection, guint index)
{
  NaccsSimConnectionSpec *c = g_ptr_array_index (s->connections, connection);

  return g_ptr_array_index (c->rules, index);
}

static void
check_full_header (NaccsSimScenario *s)
{
  CU_ASSERT_STRING_EQUAL (s->id, "full-example");
  CU_ASSERT_STRING_EQUAL (s->title_en, "Every feature");
  CU_ASSERT_STRING_EQUAL (s->title_ja, "すべての機能");
  CU_ASSERT_STRING_EQUAL (s->rule, "table 4-3-13 row 6");
  CU_ASSERT_EQUAL_FATAL (s->tags->len, 2);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (s->tags, 1), "retry");
  CU_ASSERT_STRING_EQUAL (s->client.helo, "user.example");
  CU_ASSERT_STRING_EQUAL (s->client.from, "user@example.jp");
  CU_ASSERT_STRING_EQUAL (s->client.to, "OTHER@CENTER.EXAMPLE");
  CU_ASSERT_EQUAL_FATAL (s->client.messages->len, 2);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (s->client.messages, 1),
                          "messages/02.edi");
  CU_ASSERT (g_str_has_suffix (g_ptr_array_index (s->client.message_files, 1),
                               "/fixtures/messages/02.edi"));
  CU_ASSERT_STRING_EQUAL (s->center.address, "OTHER@CENTER.EXAMPLE");
  CU_ASSERT_STRING_EQUAL (s->center.greeting, "センター 準備完了");
  CU_ASSERT_EQUAL (s->center.max_line_length, 2000);
  CU_ASSERT_EQUAL (s->center.max_message_size, 700000);
  CU_ASSERT_EQUAL (s->center.idle_timeout_ms, 120000);
  CU_ASSERT_EQUAL (s->center.command_timeout_ms, 30000);
  CU_ASSERT_EQUAL (s->extra_connections, NACCS_SIM_EXTRA_REPEAT_LAST);
}

static void
check_full_rules (NaccsSimScenario *s)
{
  NaccsSimRule *r;

  CU_ASSERT_EQUAL_FATAL (s->connections->len, 3);
  r = rule_at (s, 0, 0);
  CU_ASSERT_EQUAL (r->trigger, NACCS_SIM_TRIGGER_CONNECT);
  CU_ASSERT_FALSE (r->action->has_reply);
  CU_ASSERT_EQUAL (r->action->dribble_bytes, 1);
  CU_ASSERT_EQUAL (r->action->dribble_interval_ms, 100);

  r = rule_at (s, 0, 1);
  CU_ASSERT_STRING_EQUAL (r->verb, "RCPT");
  CU_ASSERT_STRING_EQUAL (r->argument_text, "TO:<*@center.example>");
  CU_ASSERT_EQUAL (r->nth, 2);
  CU_ASSERT_EQUAL (r->line, 25);
  CU_ASSERT_EQUAL (r->column, 9);
  CU_ASSERT_TRUE (r->action->has_reply);
  CU_ASSERT_EQUAL (r->action->code, 451);
  CU_ASSERT_EQUAL_FATAL (r->action->lines->len, 1);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (r->action->lines, 0),
                          "try later");

  r = rule_at (s, 0, 2);
  CU_ASSERT_EQUAL (r->from, 2);
  CU_ASSERT_EQUAL (r->action->stall_ms, 2500);
  CU_ASSERT_EQUAL (r->action->split_at, 2);
  CU_ASSERT_EQUAL (r->action->split_interval_ms, 50);
  CU_ASSERT_EQUAL (r->action->after, NACCS_SIM_AFTER_CLOSE);

  r = rule_at (s, 0, 3);
  CU_ASSERT_EQUAL (r->trigger, NACCS_SIM_TRIGGER_END_OF_MESSAGE);
  CU_ASSERT_EQUAL (r->action->code, 250);
  CU_ASSERT_EQUAL_FATAL (r->action->lines->len, 3);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (r->action->lines, 0),
                          "受け付けました");
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (r->action->lines, 1), "");

  r = rule_at (s, 0, 4);
  CU_ASSERT_EQUAL (r->trigger, NACCS_SIM_TRIGGER_IDLE);
  CU_ASSERT_EQUAL (r->idle_ms, 5000);
  CU_ASSERT_STRING_EQUAL (r->action->raw, "421 bye\r\n\xff");
  CU_ASSERT_EQUAL (r->action->partial_bytes, 2);
  CU_ASSERT_EQUAL (r->action->after, NACCS_SIM_AFTER_RESET);

  CU_ASSERT_EQUAL (((NaccsSimConnectionSpec *)
                        g_ptr_array_index (s->connections, 1))->rules->len,
                   0);
  r = rule_at (s, 2, 0);
  CU_ASSERT_TRUE (r->action->no_reply);
  CU_ASSERT_EQUAL (r->action->after, NACCS_SIM_AFTER_SILENCE);
  r = rule_at (s, 2, 1);
  CU_ASSERT_EQUAL (r->action->code, 250);
  CU_ASSERT_EQUAL (r->action->lines->len, 0);
}

static void
check_full_expect (NaccsSimScenario *s)
{
  const NaccsSimExpectation *e = &s->expect;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e->pass);
  CU_ASSERT_EQUAL_FATAL (e->pass->len, 2);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (e->pass, 1), "MSG-DOT");
  CU_ASSERT_EQUAL_FATAL (e->fail->len, 1);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (e->fail, 0), "SES-QUIT");
  CU_ASSERT_EQUAL_FATAL (e->spooled->len, 1);
  CU_ASSERT_EQUAL (g_array_index (e->spooled, guint, 0), 2);
  CU_ASSERT_EQUAL_FATAL (e->not_spooled->len, 1);
  CU_ASSERT_EQUAL (g_array_index (e->not_spooled, guint, 0), 1);
  CU_ASSERT_EQUAL (e->give_up_within_ms, 5000);
  CU_ASSERT_EQUAL (e->not_before_ms, 1000);
  CU_ASSERT_EQUAL (e->quit_within_ms, 10000);
  CU_ASSERT_TRUE (e->has_exit);
  CU_ASSERT_EQUAL (e->exit_status, 1);
}

/* Proves that a file using every feature loads into the expected fields. */
static void
test_full_example_loads (void)
{
  g_autofree char *path = test_scenario_file ("full.yaml", full_yaml, -1);
  g_autoptr (GError) error = NULL;
  g_autoptr (NaccsSimScenario) s = naccs_sim_scenario_load (
      path, test_fixtures, &error);

  if (error != NULL)
    g_printerr ("\n%s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  check_full_header (s);
  check_full_rules (s);
  check_full_expect (s);
}

/* Proves the defaults of a minimal scenario: center address as RCPT TO,
 * every check must pass, no connections. */
static void
test_minimal_defaults (void)
{
  g_autofree char *path = test_scenario_file ("min.yaml", BASE, -1);
  g_autoptr (GError) error = NULL;
  g_autoptr (NaccsSimScenario) s = naccs_sim_scenario_load (
      path, test_fixtures, &error);

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  CU_ASSERT_STRING_EQUAL (s->client.to, "NACCS@EDIFACT.PROD.NACCS6");
  CU_ASSERT_PTR_NULL (s->expect.pass);
  CU_ASSERT_EQUAL (s->expect.fail->len, 0);
  CU_ASSERT_EQUAL (s->connections->len, 0);
  CU_ASSERT_EQUAL (s->extra_connections, NACCS_SIM_EXTRA_DEFAULT);
  CU_ASSERT_PTR_NULL (s->center.greeting);
  CU_ASSERT_EQUAL (s->center.max_line_length, 0);
  CU_ASSERT_FALSE (s->expect.has_exit);
  CU_ASSERT_PTR_NULL (naccs_sim_scenario_get_connection (s, 0));
  CU_ASSERT_STRING_EQUAL (naccs_sim_scenario_get_title (s), "T");
}

/* Proves that every shipped example scenario loads against fixtures/. */
static void
test_shipped_examples_load (void)
{
  g_autoptr (GDir) dir = g_dir_open (SCENARIOS_DIR, 0, NULL);
  const char *name;
  guint loaded = 0;

  CU_ASSERT_PTR_NOT_NULL_FATAL (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (NaccsSimScenario) s = NULL;

      if (!g_str_has_suffix (name, ".yaml"))
        continue;
      path = g_build_filename (SCENARIOS_DIR, name, NULL);
      s = naccs_sim_scenario_load (path, FIXTURES_DIR, &error);
      if (error != NULL)
        g_printerr ("\n%s\n", error->message);
      CU_ASSERT_PTR_NOT_NULL (s);
      loaded++;
    }
  CU_ASSERT (loaded >= 5);
}

/* Loads every ```yaml block of @readme; returns how many loaded. */
static guint
load_readme_examples (const char *readme)
{
  g_autofree char *path = g_build_filename (SCENARIOS_DIR, readme, NULL);
  g_autofree char *text = NULL;
  const char *p;
  guint loaded = 0;

  CU_ASSERT_TRUE_FATAL (g_file_get_contents (path, &text, NULL, NULL));
  for (p = strstr (text, "```yaml\n"); p != NULL;
       p = strstr (p, "```yaml\n"))
    {
      const char *start = p + strlen ("```yaml\n");
      const char *end = strstr (start, "```\n");
      g_autofree char *file = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (NaccsSimScenario) s = NULL;

      CU_ASSERT_PTR_NOT_NULL_FATAL (end);
      file = test_scenario_file ("readme.yaml", start, end - start);
      s = naccs_sim_scenario_load (file, FIXTURES_DIR, &error);
      if (error != NULL)
        g_printerr ("\n%s, block at byte %td: %s\n", readme, p - text,
                    error->message);
      CU_ASSERT_PTR_NOT_NULL (s);
      loaded += s != NULL;
      p = end;
    }
  return loaded;
}

/* Proves that every YAML example in the two READMEs loads as it stands. */
static void
test_readme_examples_load (void)
{
  CU_ASSERT (load_readme_examples ("README.md") >= 10);
  CU_ASSERT (load_readme_examples ("README.ja.md") >= 10);
}

int
main (void)
{
  CU_pSuite suite;
  unsigned int failures;

  /* The expected titles are the English ones: a Japanese locale in the
   * caller's environment would make get_title() pick the Japanese. */
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("LC_ALL", "C", TRUE);
  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  suite = CU_add_suite ("/scenario/loader", test_dir_setup,
                        test_dir_teardown);
  CU_add_test (suite, "bad inline cases", test_bad_cases);
  CU_add_test (suite, "bad files", test_bad_files);
  CU_add_test (suite, "alias bomb fast", test_alias_bomb_fast);
  CU_add_test (suite, "deep nesting rejected", test_deep_nesting_rejected);
  CU_add_test (suite, "file level errors", test_file_level_errors);
  CU_add_test (suite, "fifo rejected", test_fifo_rejected);
  CU_add_test (suite, "error codes", test_error_codes);
  CU_add_test (suite, "duration values", test_duration_values);
  CU_add_test (suite, "full example loads", test_full_example_loads);
  CU_add_test (suite, "minimal defaults", test_minimal_defaults);
  CU_add_test (suite, "shipped examples load", test_shipped_examples_load);
  CU_add_test (suite, "readme examples load", test_readme_examples_load);

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ()
             + CU_get_number_of_tests_failed ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
