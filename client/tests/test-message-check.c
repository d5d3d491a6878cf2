/* test-message-check.c: tests of the check that a message can be sent.
 *
 * The table gives each message with the line number and octet count the
 * error must name.  Each case is also fed to the streaming checker one byte
 * at a time and split at every position, which must not change the verdict,
 * and the fixture directories give real files that must pass or fail.
 */
#include "config.h"

#include <string.h>

#include <CUnit/Basic.h>
#include <glib/gstdio.h>

#include "client-private.h"
#include "test-registry.h"

typedef struct {
  const char *name;
  GBytes *message;
  gboolean want_ok;
  const char *want_text1; /* substrings the error must contain */
  const char *want_text2;
} CheckCase;

static GBytes *
repeat_line (gsize octets, const char *line_end, const char *prefix)
{
  g_autofree char *text = g_strnfill (octets, 'x');
  char *joined = g_strconcat (prefix, text, line_end, NULL);

  return g_bytes_new_take (joined, strlen (joined));
}

static GBytes *
literal (const char *text, gsize len)
{
  return g_bytes_new_static (text, len);
}

#define LITERAL(s) literal (s, sizeof s - 1)

static CheckCase *
build_cases (gsize *count)
{
  CheckCase cases[] = {
    { "998 octets with CRLF", repeat_line (998, "\r\n", ""), TRUE, NULL,
      NULL },
    { "999 octets with CRLF", repeat_line (999, "\r\n", ""), FALSE,
      "line 1 ", "1001 octets" },
    { "long second line", repeat_line (1000, "\r\n", "ok\r\n"), FALSE,
      "line 2 ", "1002 octets" },
    { "998 octets without CRLF", repeat_line (998, "", ""), TRUE, NULL,
      NULL },
    { "999 octets without CRLF", repeat_line (999, "", ""), FALSE, "line 1 ",
      "1001 octets" },
    { "bare LF", LITERAL ("a\r\nb\nc\r\n"), FALSE, "line 2 ", "LF" },
    { "bare CR", LITERAL ("a\r\nb\rc\r\n"), FALSE, "line 2 ", "octet 2" },
    { "CR at end of file", LITERAL ("a\r\nb\r"), FALSE, "line 2 ", "CR" },
    { "CR CR LF", LITERAL ("a\r\r\n"), FALSE, "line 1 ", "CR" },
    { "LF first", LITERAL ("\n"), FALSE, "line 1 ", "LF" },
    { "empty message", LITERAL (""), FALSE, "empty", NULL },
    { "one CRLF", LITERAL ("\r\n"), TRUE, NULL, NULL },
    { "no final CRLF", LITERAL ("a\r\nb"), TRUE, NULL, NULL },
    { "NUL bytes", LITERAL ("a\0b\r\n\0.\r\n"), TRUE, NULL, NULL },
    { "dot lines", LITERAL (".\r\n..\r\n"), TRUE, NULL, NULL },
  };

  *count = G_N_ELEMENTS (cases);
  return g_memdup2 (cases, sizeof cases);
}

static void
free_cases (CheckCase *cases, gsize count)
{
  for (gsize i = 0; i < count; i++)
    g_bytes_unref (cases[i].message);
  g_free (cases);
}

static gboolean
error_matches_case (const CheckCase *c, const GError *error, const char *how)
{
  gboolean ok;

  if (c->want_ok)
    ok = error == NULL;
  else
    ok = g_error_matches (error, NACCS_CLIENT_ERROR,
                          NACCS_CLIENT_ERROR_INVALID_MESSAGE)
         && (c->want_text1 == NULL || strstr (error->message, c->want_text1))
         && (c->want_text2 == NULL || strstr (error->message, c->want_text2));

  if (!ok)
    fprintf (stderr, "\n  case %s (%s): got \"%s\", want %s \"%s\" \"%s\"\n",
             c->name, how, error ? error->message : "no error",
             c->want_ok ? "no error" : "an error with",
             c->want_text1 ? c->want_text1 : "",
             c->want_text2 ? c->want_text2 : "");
  return ok;
}

/* Proves each case's verdict and the line and octets its error names. */
static void
test_table_whole (void)
{
  gsize count;
  CheckCase *cases = build_cases (&count);

  for (gsize i = 0; i < count; i++)
    {
      g_autoptr (GError) error = NULL;
      gboolean ok = naccs_client_validate_message (cases[i].message, &error);

      CU_ASSERT_EQUAL (ok, cases[i].want_ok);
      CU_ASSERT_TRUE (error_matches_case (&cases[i], error, "whole"));
    }
  free_cases (cases, count);
}

/* Runs the streaming checker over @data cut at the offsets in @cuts. */
static GError *
check_pieces (const guint8 *data, const gsize *cuts, gsize n_cuts)
{
  NaccsMessageCheck check;
  GError *error = NULL;
  gsize start = 0;

  naccs_message_check_init (&check);
  for (gsize i = 0; i < n_cuts; i++)
    {
      if (!naccs_message_check_feed (&check, data + start, cuts[i] - start,
                                     &error))
        return error;
      start = cuts[i];
    }
  naccs_message_check_finish (&check, &error);
  return error;
}

/* Proves the verdict does not depend on where the chunks are cut. */
static void
test_table_every_split (void)
{
  gsize count;
  CheckCase *cases = build_cases (&count);

  for (gsize i = 0; i < count; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (cases[i].message, &len);
      g_autofree gsize *bytewise = g_new (gsize, len + 1);
      g_autoptr (GError) bytewise_error = NULL;

      for (gsize k = 0; k < len; k++)
        bytewise[k] = k + 1;
      bytewise_error = check_pieces (data, bytewise, len);
      CU_ASSERT_TRUE (error_matches_case (&cases[i], bytewise_error,
                                          "bytewise"));

      for (gsize split = 0; split <= len; split++)
        {
          gsize cuts[] = { split, len };
          g_autoptr (GError) error = check_pieces (data, cuts, 2);
          g_autofree char *how = g_strdup_printf ("split at %zu", split);

          CU_ASSERT_TRUE (error_matches_case (&cases[i], error, how));
        }
    }
  free_cases (cases, count);
}

static GPtrArray *
list_fixtures (const char *subdir)
{
  const char *fixtures = g_getenv ("FIXTURES_DIR");
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir_path = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (fixtures == NULL)
    return paths;
  dir_path = g_build_filename (fixtures, subdir, NULL);
  dir = g_dir_open (dir_path, 0, NULL);
  if (dir == NULL)
    return paths;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".edi"))
      g_ptr_array_add (paths, g_build_filename (dir_path, name, NULL));
  return paths;
}

static void
check_fixture_dir (const char *subdir, gboolean want_ok)
{
  g_autoptr (GPtrArray) paths = list_fixtures (subdir);

  if (paths->len == 0)
    {
      fprintf (stderr, "\n  SKIP: no fixtures/%s/*.edi found\n", subdir);
      return;
    }

  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autoptr (GError) error = NULL;
      gboolean ok = naccs_client_validate_file (file, &error);

      if (ok != want_ok)
        fprintf (stderr, "\n  %s: got %s\n", path,
                 error ? error->message : "valid");
      CU_ASSERT_EQUAL (ok, want_ok);
      if (!want_ok)
        CU_ASSERT_TRUE (g_error_matches (error, NACCS_CLIENT_ERROR,
                                         NACCS_CLIENT_ERROR_INVALID_MESSAGE));
    }
}

/* Proves every fixture in messages/ passes the file check. */
static void
test_fixture_messages_pass (void)
{
  check_fixture_dir ("messages", TRUE);
}

/* Proves every fixture in invalid/ fails the file check. */
static void
test_fixture_invalid_fail (void)
{
  check_fixture_dir ("invalid", FALSE);
}

/* Proves a missing file is an INVALID_MESSAGE error naming the file. */
static void
test_missing_file (void)
{
  g_autoptr (GFile) file = g_file_new_for_path ("/nonexistent/naccs.edi");
  g_autoptr (GError) error = NULL;

  CU_ASSERT_FALSE (naccs_client_validate_file (file, &error));
  CU_ASSERT_TRUE (g_error_matches (error, NACCS_CLIENT_ERROR,
                                   NACCS_CLIENT_ERROR_INVALID_MESSAGE));
  CU_ASSERT_PTR_NOT_NULL (error ? strstr (error->message,
                                          "/nonexistent/naccs.edi")
                                : NULL);
  CU_ASSERT_EQUAL (naccs_client_error_get_reply_code (error), 0);
}

/* Proves a file larger than one read chunk is checked across chunks. */
static void
test_large_file_streams (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("naccs-check-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr (GString) content = g_string_new (NULL);
  g_autoptr (GFile) file = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (dir);
  path = g_build_filename (dir, "large.edi", NULL);

  /* 200 lines of 998 octets, then a bare LF on line 201, past 64 KiB. */
  for (int i = 0; i < 200; i++)
    {
      for (int k = 0; k < 998; k++)
        g_string_append_c (content, 'y');
      g_string_append (content, "\r\n");
    }
  g_string_append (content, "bad\n");
  CU_ASSERT_TRUE_FATAL (g_file_set_contents (path, content->str,
                                             (gssize) content->len, NULL));

  file = g_file_new_for_path (path);
  CU_ASSERT_FALSE (naccs_client_validate_file (file, &error));
  CU_ASSERT_PTR_NOT_NULL (error ? strstr (error->message, "line 201 ")
                                : NULL);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (void)
{
  static const TestEntry table_tests[] = {
    { "table checked whole", test_table_whole },
    { "table at every split", test_table_every_split },
  };
  static const TestEntry file_tests[] = {
    { "fixture messages pass", test_fixture_messages_pass },
    { "fixture invalid files fail", test_fixture_invalid_fail },
    { "missing file", test_missing_file },
    { "large file streams", test_large_file_streams },
  };
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  if (!add_suite ("/message-check/table", table_tests,
                  G_N_ELEMENTS (table_tests))
      || !add_suite ("/message-check/file", file_tests,
                     G_N_ELEMENTS (file_tests)))
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
