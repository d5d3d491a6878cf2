/* test-action-table.c: tests of the action table and its YAML loader.
 *
 * The default table is checked for every reply class at every step from a
 * table of cases; the shipped example file must give the same action for
 * every code from 200 to 599 at every step; a loaded table must follow the
 * documented lookup order; and each loader error is pinned to its exact
 * message, position included.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sys/stat.h>

#include <CUnit/Basic.h>
#include <glib/gstdio.h>

#include "client-private.h"
#include "test-registry.h"

#define CONTINUE NACCS_CLIENT_ACTION_CONTINUE
#define RETRY NACCS_CLIENT_ACTION_RETRY_LATER
#define RECONNECT NACCS_CLIENT_ACTION_RECONNECT
#define GIVE_UP_MESSAGE NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE
#define GIVE_UP_SESSION NACCS_CLIENT_ACTION_GIVE_UP_SESSION

typedef struct {
  NaccsClientStep step;
  guint code;
  NaccsClientAction want;
} LookupCase;

/* The default table at every step, for the code the step waits for, another
 * 2xx and 3xx, 421, another 4xx, 5xx, and codes outside 200..599. */
static const LookupCase default_cases[] = {
  { NACCS_CLIENT_STEP_GREETING, 220, CONTINUE },
  { NACCS_CLIENT_STEP_GREETING, 250, RECONNECT },
  { NACCS_CLIENT_STEP_GREETING, 354, RECONNECT },
  { NACCS_CLIENT_STEP_GREETING, 421, RECONNECT },
  { NACCS_CLIENT_STEP_GREETING, 450, RECONNECT },
  { NACCS_CLIENT_STEP_GREETING, 554, GIVE_UP_SESSION },
  { NACCS_CLIENT_STEP_GREETING, 500, GIVE_UP_SESSION },
  { NACCS_CLIENT_STEP_HELO, 250, CONTINUE },
  { NACCS_CLIENT_STEP_HELO, 220, RECONNECT },
  { NACCS_CLIENT_STEP_HELO, 354, RECONNECT },
  { NACCS_CLIENT_STEP_HELO, 421, RECONNECT },
  { NACCS_CLIENT_STEP_HELO, 451, RECONNECT },
  { NACCS_CLIENT_STEP_HELO, 501, GIVE_UP_SESSION },
  { NACCS_CLIENT_STEP_HELO, 550, GIVE_UP_SESSION },
  { NACCS_CLIENT_STEP_MAIL, 250, CONTINUE },
  { NACCS_CLIENT_STEP_MAIL, 251, RECONNECT },
  { NACCS_CLIENT_STEP_MAIL, 354, RECONNECT },
  { NACCS_CLIENT_STEP_MAIL, 421, RECONNECT },
  { NACCS_CLIENT_STEP_MAIL, 451, RETRY },
  { NACCS_CLIENT_STEP_MAIL, 452, RETRY },
  { NACCS_CLIENT_STEP_MAIL, 550, GIVE_UP_MESSAGE },
  { NACCS_CLIENT_STEP_MAIL, 503, GIVE_UP_MESSAGE },
  { NACCS_CLIENT_STEP_RCPT, 250, CONTINUE },
  { NACCS_CLIENT_STEP_RCPT, 251, CONTINUE },
  { NACCS_CLIENT_STEP_RCPT, 252, RECONNECT },
  { NACCS_CLIENT_STEP_RCPT, 354, RECONNECT },
  { NACCS_CLIENT_STEP_RCPT, 421, RECONNECT },
  { NACCS_CLIENT_STEP_RCPT, 450, RETRY },
  { NACCS_CLIENT_STEP_RCPT, 550, GIVE_UP_MESSAGE },
  { NACCS_CLIENT_STEP_RCPT, 553, GIVE_UP_MESSAGE },
  { NACCS_CLIENT_STEP_DATA, 354, CONTINUE },
  { NACCS_CLIENT_STEP_DATA, 250, RECONNECT },
  { NACCS_CLIENT_STEP_DATA, 300, RECONNECT },
  { NACCS_CLIENT_STEP_DATA, 421, RECONNECT },
  { NACCS_CLIENT_STEP_DATA, 451, RETRY },
  { NACCS_CLIENT_STEP_DATA, 554, GIVE_UP_MESSAGE },
  { NACCS_CLIENT_STEP_DATA_END, 250, CONTINUE },
  { NACCS_CLIENT_STEP_DATA_END, 251, RECONNECT },
  { NACCS_CLIENT_STEP_DATA_END, 354, RECONNECT },
  { NACCS_CLIENT_STEP_DATA_END, 421, RECONNECT },
  { NACCS_CLIENT_STEP_DATA_END, 451, RETRY },
  { NACCS_CLIENT_STEP_DATA_END, 452, RETRY },
  { NACCS_CLIENT_STEP_DATA_END, 552, GIVE_UP_MESSAGE },
  { NACCS_CLIENT_STEP_DATA_END, 554, GIVE_UP_MESSAGE },
  { NACCS_CLIENT_STEP_RSET, 250, CONTINUE },
  { NACCS_CLIENT_STEP_RSET, 220, RECONNECT },
  { NACCS_CLIENT_STEP_RSET, 354, RECONNECT },
  { NACCS_CLIENT_STEP_RSET, 421, RECONNECT },
  { NACCS_CLIENT_STEP_RSET, 450, RECONNECT },
  { NACCS_CLIENT_STEP_RSET, 500, RECONNECT },
  { NACCS_CLIENT_STEP_QUIT, 221, CONTINUE },
  { NACCS_CLIENT_STEP_QUIT, 250, RECONNECT },
  { NACCS_CLIENT_STEP_QUIT, 354, RECONNECT },
  { NACCS_CLIENT_STEP_QUIT, 421, RECONNECT },
  { NACCS_CLIENT_STEP_QUIT, 450, RETRY },
  { NACCS_CLIENT_STEP_QUIT, 500, GIVE_UP_MESSAGE },
  { NACCS_CLIENT_STEP_MAIL, 0, RECONNECT },
  { NACCS_CLIENT_STEP_MAIL, 199, RECONNECT },
  { NACCS_CLIENT_STEP_MAIL, 600, RECONNECT },
  { NACCS_CLIENT_STEP_DATA_END, 999, RECONNECT },
};

static gboolean
check_cases (const NaccsClientActionTable *table, const LookupCase *cases,
             gsize count)
{
  gboolean ok = TRUE;

  for (gsize i = 0; i < count; i++)
    {
      NaccsClientAction got = naccs_client_action_table_lookup (
          table, cases[i].step, cases[i].code);

      if (got != cases[i].want)
        {
          fprintf (stderr, "\n  %s %u: got %s, want %s\n",
                   naccs_client_step_to_string (cases[i].step), cases[i].code,
                   naccs_client_action_to_string (got),
                   naccs_client_action_to_string (cases[i].want));
          ok = FALSE;
        }
    }
  return ok;
}

/* Proves the default table's action for each class at each step. */
static void
test_default_every_step (void)
{
  g_autoptr (NaccsClientActionTable) table =
      naccs_client_action_table_new_default ();

  CU_ASSERT_TRUE (check_cases (table, default_cases,
                               G_N_ELEMENTS (default_cases)));
}

/* Proves the shipped example file equals the built-in default. */
static void
test_example_equals_default (void)
{
  const char *path = g_getenv ("ACTION_TABLE_EXAMPLE");
  g_autoptr (NaccsClientActionTable) example = NULL;
  g_autoptr (NaccsClientActionTable) builtin =
      naccs_client_action_table_new_default ();
  g_autoptr (GError) error = NULL;
  guint differences = 0;

  CU_ASSERT_PTR_NOT_NULL_FATAL (path);
  example = naccs_client_action_table_load_file (path, &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (example);

  for (guint step = NACCS_CLIENT_STEP_GREETING;
       step <= NACCS_CLIENT_STEP_QUIT; step++)
    for (guint code = 100; code < 700; code++)
      if (naccs_client_action_table_lookup (example, step, code)
          != naccs_client_action_table_lookup (builtin, step, code))
        differences++;
  CU_ASSERT_EQUAL (differences, 0);
}

static NaccsClientActionTable *
load_text (const char *text, GError **error)
{
  return naccs_action_table_load_data ("t.yaml", text, strlen (text), error);
}

/* Proves exact codes beat NNx, NNx beats Nxx, steps beat default. */
static void
test_loaded_lookup_order (void)
{
  static const char text[] =
      "default:\n"
      "  4xx: give-up-session\n"
      "  45x: reconnect\n"
      "  452: give-up-message\n"
      "  5xx: retry-later\n"
      "mail:\n"
      "  4xx: retry-later\n"
      "data-end:\n"
      "  '554': reconnect\n"
      "  2xx: continue\n";
  static const LookupCase cases[] = {
    { NACCS_CLIENT_STEP_RCPT, 441, GIVE_UP_SESSION },
    { NACCS_CLIENT_STEP_RCPT, 451, RECONNECT },
    { NACCS_CLIENT_STEP_RCPT, 452, GIVE_UP_MESSAGE },
    { NACCS_CLIENT_STEP_RCPT, 550, RETRY },
    { NACCS_CLIENT_STEP_MAIL, 441, RETRY },
    { NACCS_CLIENT_STEP_MAIL, 452, RETRY },
    { NACCS_CLIENT_STEP_MAIL, 550, RETRY },
    { NACCS_CLIENT_STEP_DATA_END, 554, RECONNECT },
    { NACCS_CLIENT_STEP_DATA_END, 552, RETRY },
    { NACCS_CLIENT_STEP_DATA_END, 250, CONTINUE },
    { NACCS_CLIENT_STEP_DATA_END, 251, RECONNECT },
    /* Nothing in the file covers 3xx: the RFC 5321 classes apply. */
    { NACCS_CLIENT_STEP_DATA, 354, CONTINUE },
    { NACCS_CLIENT_STEP_DATA, 350, RECONNECT },
    { NACCS_CLIENT_STEP_GREETING, 421, GIVE_UP_SESSION },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (NaccsClientActionTable) table = load_text (text, &error);

  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (table);
  CU_ASSERT_TRUE (check_cases (table, cases, G_N_ELEMENTS (cases)));
}

/* Proves a table cannot stop the awaited code from continuing. */
static void
test_awaited_code_continues (void)
{
  static const char text[] = "data-end:\n  2xx: give-up-message\n"
                             "rcpt:\n  25x: retry-later\n";
  static const LookupCase cases[] = {
    { NACCS_CLIENT_STEP_DATA_END, 250, CONTINUE },
    { NACCS_CLIENT_STEP_DATA_END, 251, GIVE_UP_MESSAGE },
    { NACCS_CLIENT_STEP_RCPT, 251, CONTINUE },
    { NACCS_CLIENT_STEP_RCPT, 252, RETRY },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (NaccsClientActionTable) table = load_text (text, &error);

  CU_ASSERT_PTR_NOT_NULL_FATAL (table);
  CU_ASSERT_TRUE (check_cases (table, cases, G_N_ELEMENTS (cases)));
}

/* Proves an empty mapping falls back to the RFC 5321 classes. */
static void
test_empty_sections_fall_back (void)
{
  static const LookupCase cases[] = {
    { NACCS_CLIENT_STEP_GREETING, 450, RETRY },
    { NACCS_CLIENT_STEP_MAIL, 421, RECONNECT },
    { NACCS_CLIENT_STEP_MAIL, 550, GIVE_UP_MESSAGE },
    { NACCS_CLIENT_STEP_HELO, 250, CONTINUE },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (NaccsClientActionTable) table = load_text ("mail: {}\n", &error);

  CU_ASSERT_PTR_NOT_NULL_FATAL (table);
  CU_ASSERT_TRUE (check_cases (table, cases, G_N_ELEMENTS (cases)));
}

typedef struct {
  const char *name;
  const char *text;
  gssize len; /* -1: strlen */
  const char *want;
} LoaderErrorCase;

static const LoaderErrorCase loader_errors[] = {
  { "unknown step", "default:\n  4xx: retry-later\nhello:\n  5xx: reconnect\n",
    -1,
    "t.yaml:3:1: unknown key \"hello\"; allowed: default, greeting, helo, "
    "mail, rcpt, data, data-end, rset, quit" },
  { "connect is no step", "connect:\n  4xx: reconnect\n", -1,
    "t.yaml:1:1: unknown key \"connect\"; allowed: default, greeting, helo, "
    "mail, rcpt, data, data-end, rset, quit" },
  { "unknown action", "mail:\n  4xx: retry\n", -1,
    "t.yaml:2:8: unknown action \"retry\"; allowed: continue, retry-later, "
    "reconnect, give-up-message, give-up-session" },
  { "code above 599", "mail:\n  600: reconnect\n", -1,
    "t.yaml:2:3: reply code 600 is outside 200..599; give a reply code from "
    "200 to 599 or a class such as 4xx or 45x" },
  { "code below 200", "rcpt:\n  199: reconnect\n", -1,
    "t.yaml:2:3: reply code 199 is outside 200..599; give a reply code from "
    "200 to 599 or a class such as 4xx or 45x" },
  { "class outside range", "rcpt:\n  6xx: reconnect\n", -1,
    "t.yaml:2:3: reply code 6xx is outside 200..599; give a reply code from "
    "200 to 599 or a class such as 4xx or 45x" },
  { "class 1xx", "rcpt:\n  1xx: reconnect\n", -1,
    "t.yaml:2:3: reply code 1xx is outside 200..599; give a reply code from "
    "200 to 599 or a class such as 4xx or 45x" },
  { "short class", "rcpt:\n  4x: reconnect\n", -1,
    "t.yaml:2:3: invalid reply code pattern \"4x\"; give a reply code from "
    "200 to 599 or a class such as 4xx or 45x" },
  { "upper-case class", "rcpt:\n  4XX: reconnect\n", -1,
    "t.yaml:2:3: invalid reply code pattern \"4XX\"; give a reply code from "
    "200 to 599 or a class such as 4xx or 45x" },
  { "x in the middle", "rcpt:\n  4x1: reconnect\n", -1,
    "t.yaml:2:3: invalid reply code pattern \"4x1\"; give a reply code from "
    "200 to 599 or a class such as 4xx or 45x" },
  { "four digits", "rcpt:\n  4210: reconnect\n", -1,
    "t.yaml:2:3: invalid reply code pattern \"4210\"; give a reply code from "
    "200 to 599 or a class such as 4xx or 45x" },
  { "duplicate class", "mail:\n  4xx: retry-later\n  4xx: reconnect\n", -1,
    "t.yaml:3:3: duplicate entry \"4xx\" in \"mail\" (first at line 2); give "
    "each code or class once" },
  { "duplicate code quoted", "mail:\n  421: reconnect\n  '421': reconnect\n",
    -1,
    "t.yaml:3:3: duplicate entry \"421\" in \"mail\" (first at line 2); give "
    "each code or class once" },
  { "duplicate step", "mail:\n  4xx: retry-later\nmail:\n  5xx: reconnect\n",
    -1,
    "t.yaml:3:1: duplicate key \"mail\" (first at line 1); merge the two into "
    "one" },
  { "alias", "mail: &m\n  4xx: retry-later\nrcpt: *m\n", -1,
    "t.yaml:1:7: anchors and aliases are not allowed; write each entry out" },
  { "alias value", "mail:\n  4xx: &a retry-later\n  5xx: *a\n", -1,
    "t.yaml:2:8: anchors and aliases are not allowed; write each entry out" },
  { "core tag on action", "default:\n  4xx: !!str retry-later\n", -1,
    "t.yaml:2:8: YAML tags (!name, !!type) are not allowed; remove the tag" },
  { "local tag on table", "!custom\ndefault:\n  4xx: retry-later\n", -1,
    "t.yaml:1:1: YAML tags (!name, !!type) are not allowed; remove the tag" },
  { "tag on section", "mail: !!map\n  4xx: retry-later\n", -1,
    "t.yaml:1:7: YAML tags (!name, !!type) are not allowed; remove the tag" },
  { "tag on key", "mail:\n  !!int 421: reconnect\n", -1,
    "t.yaml:2:3: YAML tags (!name, !!type) are not allowed; remove the tag" },
  { "non-specific tag", "mail:\n  4xx: ! retry-later\n", -1,
    "t.yaml:2:8: YAML tags (!name, !!type) are not allowed; remove the tag" },
  { "tag directive", "%TAG !e! tag:example.com,2000:\n---\n"
    "mail:\n  4xx: !e!x retry-later\n", -1,
    "t.yaml:4:8: YAML tags (!name, !!type) are not allowed; remove the tag" },
  { "mapping as action", "mail:\n  4xx:\n    action: retry-later\n", -1,
    "t.yaml:3:5: a mapping is not allowed here; give one action: continue, "
    "retry-later, reconnect, give-up-message, give-up-session" },
  { "list as action", "mail:\n  4xx: [retry-later]\n", -1,
    "t.yaml:2:8: a list is not allowed here; give one action: continue, "
    "retry-later, reconnect, give-up-message, give-up-session" },
  { "deep nesting", "mail:\n  4xx: [[[[[[[[retry-later]]]]]]]]\n", -1,
    "t.yaml:2:8: a list is not allowed here; give one action: continue, "
    "retry-later, reconnect, give-up-message, give-up-session" },
  { "step not a mapping", "mail: retry-later\n", -1,
    "t.yaml:1:7: \"mail\" must be a mapping of reply codes to actions; write "
    "entries such as \"4xx: retry-later\" under it" },
  { "step left empty", "mail:\nrcpt:\n  4xx: reconnect\n", -1,
    "t.yaml:1:6: \"mail\" must be a mapping of reply codes to actions; write "
    "entries such as \"4xx: retry-later\" under it" },
  { "continue for 4xx", "data-end:\n  451: continue\n", -1,
    "t.yaml:2:8: action \"continue\" is not allowed for 451; for 4xx and 5xx "
    "replies give retry-later, reconnect, give-up-message or "
    "give-up-session" },
  { "continue for 5xx class", "default:\n  5xx: continue\n", -1,
    "t.yaml:2:8: action \"continue\" is not allowed for 5xx; for 4xx and 5xx "
    "replies give retry-later, reconnect, give-up-message or "
    "give-up-session" },
  { "top level list", "- mail\n", -1,
    "t.yaml:1:1: the action table must be a mapping; allowed keys: default, "
    "greeting, helo, mail, rcpt, data, data-end, rset, quit" },
  { "top level scalar", "retry-later\n", -1,
    "t.yaml:1:1: the action table must be a mapping; allowed keys: default, "
    "greeting, helo, mail, rcpt, data, data-end, rset, quit" },
  { "empty file", "", -1,
    "t.yaml:1:1: the file is empty; write a mapping such as \"default:\" "
    "with entries under it" },
  { "comments only", "# nothing\n", -1,
    "t.yaml:2:1: the file is empty; write a mapping such as \"default:\" "
    "with entries under it" },
  { "two documents", "mail:\n  4xx: retry-later\n---\nrcpt: {}\n", -1,
    "t.yaml:3:1: a second YAML document is not allowed; keep one mapping "
    "per file" },
  { "key not a scalar", "mail:\n  [4xx]: retry-later\n", -1,
    "t.yaml:2:3: a key must be a reply code; give a reply code from 200 to "
    "599 or a class such as 4xx or 45x" },
  { "invalid UTF-8", "mail:\n  4xx: retry-later # caf\xe9\n", -1,
    "t.yaml:2:25: invalid UTF-8 byte 0xE9; save the file as UTF-8" },
  { "UTF-8 then invalid", "# 処理要求電文\nmail: \xff\n", -1,
    "t.yaml:2:7: invalid UTF-8 byte 0xFF; save the file as UTF-8" },
  { "NUL byte", "mail:\n  4xx\0: retry-later\n", 24,
    "t.yaml:2:6: invalid UTF-8 byte 0x00; save the file as UTF-8" },
  { "syntax error", "mail:\n  4xx: 'retry-later\n", -1,
    "t.yaml:3:1: invalid YAML: found unexpected end of stream, while "
    "scanning a quoted scalar; fix the syntax" },
  { "tab indentation", "mail:\n\t4xx: retry-later\n", -1,
    "t.yaml:2:1: invalid YAML: found character that cannot start any token, "
    "while scanning for the next token; fix the syntax" },
};

/* Proves each malformed table is rejected with its exact message. */
static void
test_loader_errors (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (loader_errors); i++)
    {
      const LoaderErrorCase *c = &loader_errors[i];
      gsize len = c->len < 0 ? strlen (c->text) : (gsize) c->len;
      g_autoptr (GError) error = NULL;
      g_autoptr (NaccsClientActionTable) table =
          naccs_action_table_load_data ("t.yaml", c->text, len, &error);

      CU_ASSERT_PTR_NULL (table);
      CU_ASSERT_TRUE (g_error_matches (error, NACCS_CLIENT_ERROR,
                                       NACCS_CLIENT_ERROR_INVALID_TABLE));
      if (error == NULL || strcmp (error->message, c->want) != 0)
        {
          fprintf (stderr, "\n  case \"%s\":\n   got  %s\n   want %s\n",
                   c->name, error ? error->message : "(no error)", c->want);
          CU_FAIL ("loader error message differs");
        }
    }
}

/* Proves load_file names the path, and a missing file is an error. */
static void
test_load_file_errors (void)
{
  g_autofree char *dir = g_dir_make_tmp ("action-table-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "bad.yaml", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.yaml", NULL);
  g_autofree char *want = g_strdup_printf ("%s:2:8: unknown action \"later\"",
                                           path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) missing_error = NULL;

  CU_ASSERT_TRUE_FATAL (g_file_set_contents (path, "mail:\n  4xx: later\n",
                                             -1, NULL));
  CU_ASSERT_PTR_NULL (naccs_client_action_table_load_file (path, &error));
  CU_ASSERT_TRUE (error != NULL && g_str_has_prefix (error->message, want));

  CU_ASSERT_PTR_NULL (naccs_client_action_table_load_file (missing,
                                                           &missing_error));
  CU_ASSERT_TRUE (g_error_matches (missing_error, NACCS_CLIENT_ERROR,
                                   NACCS_CLIENT_ERROR_INVALID_TABLE));
  CU_ASSERT_TRUE (missing_error != NULL
                  && strstr (missing_error->message, missing) != NULL);

  g_unlink (path);
  g_rmdir (dir);
}

/* Proves a directory, a FIFO, a device and a file over 1 MiB are
 * rejected, naming the file, before anything is read from them. */
static void
test_load_file_kinds (void)
{
  g_autofree char *dir = g_dir_make_tmp ("action-table-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename (dir, "table.fifo", NULL);
  g_autofree char *big = g_build_filename (dir, "big.yaml", NULL);
  g_autofree char *limit = g_build_filename (dir, "limit.yaml", NULL);
  g_autofree char *filler = g_strnfill (1024 * 1024, '#');
  g_autofree char *at_limit = g_strdup (filler);
  const struct {
    const char *path;
    const char *want;
  } cases[] = {
    { "/dev/zero", "action table \"/dev/zero\" is not a regular file; "
                   "give a YAML file" },
    { "/dev/null", "action table \"/dev/null\" is not a regular file; "
                   "give a YAML file" },
    { dir, "is not a regular file; give a YAML file" },
    { fifo, "is not a regular file; give a YAML file" },
    { big, "the file is larger than 1 MiB" },
  };

  CU_ASSERT_EQUAL_FATAL (mkfifo (fifo, 0600), 0);
  /* One more octet than the limit: a comment line of 1 MiB plus "\n". */
  {
    g_autofree char *over = g_strconcat (filler, "\n", NULL);

    CU_ASSERT_TRUE_FATAL (g_file_set_contents (big, over, -1, NULL));
  }
  /* Exactly 1 MiB: a comment, then a table on the last line. */
  memcpy (at_limit + strlen (at_limit) - 10, "\nmail: {}", 10);
  CU_ASSERT_TRUE_FATAL (g_file_set_contents (limit, at_limit, -1, NULL));

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;

      CU_ASSERT_PTR_NULL (naccs_client_action_table_load_file (cases[i].path,
                                                               &error));
      CU_ASSERT_TRUE (g_error_matches (error, NACCS_CLIENT_ERROR,
                                       NACCS_CLIENT_ERROR_INVALID_TABLE));
      CU_ASSERT_TRUE (error != NULL
                      && strstr (error->message, cases[i].path) != NULL);
      if (error == NULL || strstr (error->message, cases[i].want) == NULL)
        {
          fprintf (stderr, "\n  %s: got %s, want \"%s\"\n", cases[i].path,
                   error ? error->message : "(no error)", cases[i].want);
          CU_FAIL ("file kind not rejected as expected");
        }
    }

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (NaccsClientActionTable) table =
        naccs_client_action_table_load_file (limit, &error);

    CU_ASSERT_PTR_NOT_NULL (table);
    if (error != NULL)
      fprintf (stderr, "\n  %s: %s\n", limit, error->message);
  }

  g_unlink (fifo);
  g_unlink (big);
  g_unlink (limit);
  g_rmdir (dir);
}

/* Proves the stable keys of steps and actions. */
static void
test_stable_keys (void)
{
  static const char *const steps[] = {
    "connect", "greeting", "helo", "mail", "rcpt",
    "data", "data-end", "rset", "quit",
  };
  static const char *const actions[] = {
    "continue", "retry-later", "reconnect", "give-up-message",
    "give-up-session",
  };

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    CU_ASSERT_STRING_EQUAL (naccs_client_step_to_string (i), steps[i]);
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    CU_ASSERT_STRING_EQUAL (naccs_client_action_to_string (i), actions[i]);
}

int
main (void)
{
  static const TestEntry lookup_tests[] = {
    { "default at every step", test_default_every_step },
    { "example equals default", test_example_equals_default },
    { "loaded lookup order", test_loaded_lookup_order },
    { "awaited code continues", test_awaited_code_continues },
    { "empty sections fall back", test_empty_sections_fall_back },
    { "stable keys", test_stable_keys },
  };
  static const TestEntry loader_tests[] = {
    { "loader error messages", test_loader_errors },
    { "load file errors", test_load_file_errors },
    { "load file kinds", test_load_file_kinds },
  };
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  if (!add_suite ("/action-table/lookup", lookup_tests,
                  G_N_ELEMENTS (lookup_tests))
      || !add_suite ("/action-table/loader", loader_tests,
                     G_N_ELEMENTS (loader_tests)))
    {
      CU_cleanup_registry ();
      return 2;
    }

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
