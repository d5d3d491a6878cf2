/* test-message-file.c: tests of how naccs-send reads and checks message
 * files.
 *
 * The table names a file of each kind naccs-send must tell apart (a valid
 * message, an empty file, a directory, a FIFO, a missing path, a message
 * that cannot be sent faithfully) with the error code the check must
 * return and whether the checked octets are kept.  The FIFO case proves
 * the check does not block on a file that never ends.  Loading proves a
 * file is read to its real end, whatever size it had when it was opened.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <CUnit/Basic.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "message-file.h"

#define VALID_MESSAGE "ID m1\r\nline two\r\n"

typedef struct {
  char *dir;
} Workdir;

static void
workdir_init (Workdir *w)
{
  w->dir = g_dir_make_tmp ("message-file-XXXXXX", NULL);
  g_assert (w->dir != NULL);
}

static char *
workdir_path (const Workdir *w, const char *name)
{
  return g_build_filename (w->dir, name, NULL);
}

static char *
workdir_write (const Workdir *w, const char *name, const char *text)
{
  char *path = workdir_path (w, name);

  g_assert (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* Removes the directory and everything the tests put in it. */
static void
workdir_clear (Workdir *w)
{
  g_autoptr (GDir) dir = g_dir_open (w->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = workdir_path (w, name);

      if (g_rmdir (path) != 0)
        g_unlink (path);
    }
  g_rmdir (w->dir);
  g_free (w->dir);
}

typedef enum {
  MAKE_FILE,
  MAKE_DIRECTORY,
  MAKE_FIFO,
  MAKE_NOTHING,
} MakeKind;

typedef struct {
  const char *name;
  MakeKind make;
  const char *text;  /* for MAKE_FILE */
  gsize keep_max;
  gboolean want_ok;
  gint want_code;    /* MessageFileError when !want_ok */
  gboolean want_kept;
  const char *want_text; /* a substring of the error message, or NULL */
} CheckCase;

static char *
make_case_file (const Workdir *w, const CheckCase *c)
{
  char *path = workdir_path (w, c->name);

  switch (c->make)
    {
    case MAKE_FILE:
      g_assert (g_file_set_contents (path, c->text, -1, NULL));
      break;
    case MAKE_DIRECTORY:
      g_assert (g_mkdir (path, 0700) == 0);
      break;
    case MAKE_FIFO:
      g_assert (mkfifo (path, 0600) == 0);
      break;
    case MAKE_NOTHING:
      break;
    }
  return path;
}

static void
check_case (const Workdir *w, const CheckCase *c)
{
  g_autofree char *path = make_case_file (w, c);
  g_autoptr (GBytes) kept = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok = message_file_check (path, c->keep_max, &kept, &error);
  gboolean code_ok = ok || error->code == c->want_code;
  gboolean text_ok = ok || c->want_text == NULL
                     || strstr (error->message, c->want_text) != NULL;

  if (ok != c->want_ok || !code_ok || !text_ok
      || (kept != NULL) != c->want_kept)
    fprintf (stderr, "\n  %s: got %s (%s), kept %d; want %s, code %d, "
             "kept %d\n", c->name, ok ? "ok" : "error",
             error ? error->message : "", kept != NULL,
             c->want_ok ? "ok" : "error", c->want_code, c->want_kept);
  CU_ASSERT_EQUAL (ok, c->want_ok);
  CU_ASSERT_TRUE (code_ok);
  CU_ASSERT_TRUE (text_ok);
  CU_ASSERT_EQUAL (kept != NULL, c->want_kept);
  if (ok && kept != NULL)
    CU_ASSERT_EQUAL (g_bytes_get_size (kept), strlen (c->text));
}

/* Proves each kind of file gets its verdict and error code, and that the
 * octets are kept only within the limit. */
static void
test_check_table (void)
{
  const CheckCase cases[] = {
    { "valid-kept", MAKE_FILE, VALID_MESSAGE, 1024, TRUE, 0, TRUE, NULL },
    { "valid-at-limit", MAKE_FILE, VALID_MESSAGE, sizeof VALID_MESSAGE - 1,
      TRUE, 0, TRUE, NULL },
    { "valid-over-limit", MAKE_FILE, VALID_MESSAGE, 4, TRUE, 0, FALSE, NULL },
    { "empty", MAKE_FILE, "", 1024, FALSE, MESSAGE_FILE_ERROR_EMPTY, FALSE,
      NULL },
    { "bare-lf", MAKE_FILE, "ID m1\r\nbad\nline\r\n", 1024, FALSE,
      MESSAGE_FILE_ERROR_INVALID, FALSE, "line 2 " },
    { "directory", MAKE_DIRECTORY, NULL, 1024, FALSE,
      MESSAGE_FILE_ERROR_NOT_REGULAR, FALSE, NULL },
    { "fifo", MAKE_FIFO, NULL, 1024, FALSE, MESSAGE_FILE_ERROR_NOT_REGULAR,
      FALSE, NULL },
    { "missing", MAKE_NOTHING, NULL, 1024, FALSE, MESSAGE_FILE_ERROR_READ,
      FALSE, "No such file" },
  };
  Workdir w;

  workdir_init (&w);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_case (&w, &cases[i]);
  workdir_clear (&w);
}

/* Proves a file: URI names the same file as its path, and a URI that
 * names no local file is a read error. */
static void
test_file_uri (void)
{
  Workdir w;
  g_autofree char *path = NULL;
  g_autofree char *uri = NULL;
  g_autoptr (GBytes) kept = NULL;
  g_autoptr (GBytes) loaded = NULL;
  g_autoptr (GError) error = NULL;

  workdir_init (&w);
  path = workdir_write (&w, "m1.edi", VALID_MESSAGE);
  uri = g_filename_to_uri (path, NULL, NULL);
  CU_ASSERT_TRUE (message_file_check (uri, 1024, &kept, &error));
  CU_ASSERT_PTR_NOT_NULL (kept);
  loaded = message_file_load (uri, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
  CU_ASSERT_TRUE (g_bytes_equal (kept, loaded));

  g_clear_pointer (&kept, g_bytes_unref);
  CU_ASSERT_FALSE (message_file_check ("nosuchscheme://host/m1.edi", 1024,
                                       &kept, &error));
  CU_ASSERT_TRUE (g_error_matches (error, MESSAGE_FILE_ERROR,
                                   MESSAGE_FILE_ERROR_READ));
  workdir_clear (&w);
}

/* Proves loading returns the whole file, also one larger than a single
 * read and one with no octets, and fails on a directory. */
static void
test_load (void)
{
  Workdir w;
  g_autofree char *big_text = g_strnfill (300 * 1000, 'x');
  g_autofree char *big = NULL;
  g_autofree char *empty = NULL;
  g_autofree char *directory = NULL;
  g_autoptr (GBytes) loaded = NULL;
  g_autoptr (GError) error = NULL;

  workdir_init (&w);
  big = workdir_write (&w, "big", big_text);
  empty = workdir_write (&w, "empty", "");
  directory = workdir_path (&w, "directory");
  g_assert (g_mkdir (directory, 0700) == 0);

  loaded = message_file_load (big, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
  CU_ASSERT_EQUAL (g_bytes_get_size (loaded), strlen (big_text));
  CU_ASSERT_EQUAL (memcmp (g_bytes_get_data (loaded, NULL), big_text,
                           strlen (big_text)), 0);
  g_clear_pointer (&loaded, g_bytes_unref);

  loaded = message_file_load (empty, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
  CU_ASSERT_EQUAL (g_bytes_get_size (loaded), 0);
  g_clear_pointer (&loaded, g_bytes_unref);

  loaded = message_file_load (directory, &error);
  CU_ASSERT_PTR_NULL (loaded);
  CU_ASSERT_TRUE (g_error_matches (error, MESSAGE_FILE_ERROR,
                                   MESSAGE_FILE_ERROR_NOT_REGULAR));
  workdir_clear (&w);
}

int
main (void)
{
  CU_pSuite suite;
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  suite = CU_add_suite ("/message-file/read", NULL, NULL);
  if (suite == NULL
      || CU_add_test (suite, "check table", test_check_table) == NULL
      || CU_add_test (suite, "file URI", test_file_uri) == NULL
      || CU_add_test (suite, "load whole files", test_load) == NULL)
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
