/* test-scenario-util.h: temporary directories and files for the scenario
 * tests.  Each test program makes one directory with a fixtures tree
 * (messages/01.edi, messages/02.edi) and writes scenario text into it. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static char *test_dir;       /* the temporary directory */
static char *test_fixtures;  /* test_dir/fixtures */

static void
test_write_file (const char *path, const char *text, gssize length)
{
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (path, text, length, &error))
    g_error ("cannot write %s: %s", path, error->message);
}

static int
test_dir_setup (void)
{
  g_autofree char *messages = NULL;
  g_autofree char *first_message = NULL;
  g_autofree char *second_message = NULL;

  test_dir = g_dir_make_tmp ("test-scenario-XXXXXX", NULL);
  if (test_dir == NULL)
    return 1;
  test_fixtures = g_build_filename (test_dir, "fixtures", NULL);
  messages = g_build_filename (test_fixtures, "messages", NULL);
  if (g_mkdir_with_parents (messages, 0700) != 0)
    return 1;
  first_message = g_build_filename (messages, "01.edi", NULL);
  second_message = g_build_filename (messages, "02.edi", NULL);
  test_write_file (first_message, "HEADER\r\nBODY\r\n", -1);
  test_write_file (second_message, ".DOT LINE\r\n", -1);
  return 0;
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_dir_close (dir);
    }
  g_remove (path);
}

static int
test_dir_teardown (void)
{
  remove_tree (test_dir);
  g_clear_pointer (&test_dir, g_free);
  g_clear_pointer (&test_fixtures, g_free);
  return 0;
}

/* Writes @text to test_dir/@name and returns the full path. */
static char *
test_scenario_file (const char *name, const char *text, gssize length)
{
  char *path = g_build_filename (test_dir, name, NULL);

  test_write_file (path, text, length);
  return path;
}
