/* test-e2e-support.c: child processes, temporary directories and spool
 * comparison for the end-to-end tests.
 *
 * Programs run with their standard output and error sent to files rather
 * than pipes, so a chatty program can never block on a full pipe while the
 * test waits for it.  Waiting polls the exit of the child, which GLib's
 * worker thread reaps, against a deadline: every wait ends, and a program
 * still running at the deadline is killed and reported as timed out.
 */
#include "test-e2e-support.h"

#include <CUnit/Basic.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

/* How often a wait checks whether the child has exited. */
#define E2E_POLL_US 10000

const char *
e2e_env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL || *value == '\0')
    g_printerr ("environment variable %s is not set: run this test through "
                "\"meson test\", which sets it\n", name);
  return value;
}

char *
e2e_make_temp_dir (const char *what)
{
  g_autofree char *template = g_strdup_printf ("naccs-e2e-%s-XXXXXX", what);
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp (template, &error);

  if (dir == NULL)
    g_printerr ("cannot create a temporary directory: %s\n", error->message);
  return dir;
}

void
e2e_remove_tree (const char *path)
{
  GDir *dir;
  const char *name;

  if (path == NULL)
    return;
  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR)
              && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            e2e_remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_chmod (path, 0700);
  g_rmdir (path);
}

/* Waits until @process exits or @timeout_ms passes, killing it then.
 * Returns the exit status, or -1 after a signal or the timeout. */
static int
wait_for_exit (GSubprocess *process, guint timeout_ms, gboolean *timed_out)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  *timed_out = FALSE;
  while (g_subprocess_get_identifier (process) != NULL)
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_subprocess_force_exit (process);
          *timed_out = TRUE;
          break;
        }
      g_usleep (E2E_POLL_US);
    }
  g_subprocess_wait (process, NULL, NULL);
  if (*timed_out || !g_subprocess_get_if_exited (process))
    return -1;
  return g_subprocess_get_exit_status (process);
}

static char *
read_text_file (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

/* Returns a launcher whose child reads /dev/null and writes to the two
 * files, in the C locale so that the tests can match untranslated text. */
static GSubprocessLauncher *
new_launcher (const char *out_path, const char *err_path)
{
  GSubprocessLauncher *launcher
    = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);

  g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
  g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  return launcher;
}

gboolean
e2e_run (const char *const *argv, guint timeout_ms, E2eRun *run)
{
  g_autofree char *dir = e2e_make_temp_dir ("run");
  g_autofree char *out_path = NULL;
  g_autofree char *err_path = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  memset (run, 0, sizeof *run);
  /* argv[0] is NULL when its environment variable is missing, which
   * e2e_env() has already reported. */
  if (dir == NULL || argv[0] == NULL)
    {
      e2e_remove_tree (dir);
      return FALSE;
    }
  out_path = g_build_filename (dir, "stdout", NULL);
  err_path = g_build_filename (dir, "stderr", NULL);
  launcher = new_launcher (out_path, err_path);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (process == NULL)
    {
      g_printerr ("cannot start %s: %s\n", argv[0], error->message);
      e2e_remove_tree (dir);
      return FALSE;
    }

  run->exit_status = wait_for_exit (process, timeout_ms, &run->timed_out);
  run->out = read_text_file (out_path);
  run->err = read_text_file (err_path);
  if (run->timed_out)
    g_printerr ("%s timed out after %u ms and was killed\n", argv[0],
                timeout_ms);
  e2e_remove_tree (dir);
  return TRUE;
}

void
e2e_run_clear (E2eRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

/* Returns the port of the first "listening on HOST:PORT" line of @text,
 * or 0 when there is none yet. */
static guint
parse_listening_port (const char *text)
{
  const char *line = strstr (text, "listening on ");
  const char *end;
  const char *colon = NULL;
  guint64 port = 0;

  if (line == NULL || (end = strchr (line, '\n')) == NULL)
    return 0;
  for (const char *p = line; p < end; p++)
    if (*p == ':')
      colon = p;
  if (colon == NULL)
    return 0;
  g_autofree char *digits = g_strndup (colon + 1, end - colon - 1);
  g_strstrip (digits);
  if (!g_ascii_string_to_unsigned (digits, 10, 1, 65535, &port, NULL))
    return 0;
  return (guint) port;
}

/* Builds the naccs-sim command line; NULL when NACCS_SIM is unset. */
static GPtrArray *
sim_argv (const char *spool, const char *const *extra_args)
{
  const char *program = e2e_env ("NACCS_SIM");
  GPtrArray *argv;

  if (program == NULL)
    return NULL;
  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) program);
  g_ptr_array_add (argv, (gpointer) "--listen");
  g_ptr_array_add (argv, (gpointer) "127.0.0.1:0");
  if (spool != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--spool");
      g_ptr_array_add (argv, (gpointer) spool);
    }
  for (gsize i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Polls naccs-sim's stdout until it names its port, it exits, or the start
 * timeout passes. */
static gboolean
wait_for_listening (E2eSim *sim)
{
  gint64 deadline = g_get_monotonic_time ()
                    + (gint64) E2E_START_TIMEOUT_MS * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *out = read_text_file (sim->out_path);
      sim->port = parse_listening_port (out);
      if (sim->port != 0)
        return TRUE;
      if (g_subprocess_get_identifier (sim->process) == NULL)
        return FALSE;
      g_usleep (E2E_POLL_US);
    }
  return FALSE;
}

gboolean
e2e_sim_start (E2eSim *sim, const char *spool, const char *const *extra_args)
{
  g_autoptr (GPtrArray) argv = sim_argv (spool, extra_args);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;

  memset (sim, 0, sizeof *sim);
  if (argv == NULL || (sim->work_dir = e2e_make_temp_dir ("sim")) == NULL)
    return FALSE;
  sim->out_path = g_build_filename (sim->work_dir, "stdout", NULL);
  sim->err_path = g_build_filename (sim->work_dir, "stderr", NULL);
  launcher = new_launcher (sim->out_path, sim->err_path);
  sim->process = g_subprocess_launcher_spawnv (
    launcher, (const char *const *) argv->pdata, &error);
  if (sim->process == NULL)
    {
      g_printerr ("cannot start naccs-sim: %s\n", error->message);
      e2e_sim_clear (sim);
      return FALSE;
    }
  if (wait_for_listening (sim))
    return TRUE;

  g_autofree char *err = e2e_sim_stderr (sim);
  g_printerr ("naccs-sim printed no \"listening on\" line within %d ms; "
              "its stderr:\n%s\n", E2E_START_TIMEOUT_MS, err);
  e2e_sim_clear (sim);
  return FALSE;
}

int
e2e_sim_stop (E2eSim *sim)
{
  gboolean timed_out = FALSE;
  int status;

  if (sim->process == NULL)
    return -1;
  g_subprocess_send_signal (sim->process, SIGTERM);
  status = wait_for_exit (sim->process, E2E_STOP_TIMEOUT_MS, &timed_out);
  if (timed_out)
    g_printerr ("naccs-sim did not exit within %d ms of SIGTERM\n",
                E2E_STOP_TIMEOUT_MS);
  return status;
}

char *
e2e_sim_stderr (E2eSim *sim)
{
  return read_text_file (sim->err_path);
}

void
e2e_sim_clear (E2eSim *sim)
{
  if (sim->process != NULL && g_subprocess_get_identifier (sim->process))
    {
      gboolean timed_out;
      g_subprocess_force_exit (sim->process);
      wait_for_exit (sim->process, E2E_STOP_TIMEOUT_MS, &timed_out);
    }
  g_clear_object (&sim->process);
  e2e_remove_tree (sim->work_dir);
  g_clear_pointer (&sim->work_dir, g_free);
  g_clear_pointer (&sim->out_path, g_free);
  g_clear_pointer (&sim->err_path, g_free);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
e2e_list_dir (const char *dir_path, const char *suffix)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return names;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, suffix))
      g_ptr_array_add (names, g_strdup (name));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_strings);
  return names;
}

GPtrArray *
e2e_fixture_paths (const char *subdir)
{
  const char *root = e2e_env ("NACCS_FIXTURES");
  g_autofree char *dir = NULL;
  g_autoptr (GPtrArray) names = NULL;
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  if (root == NULL)
    return paths;
  dir = g_build_filename (root, subdir, NULL);
  names = e2e_list_dir (dir, ".edi");
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (paths, g_build_filename (dir, names->pdata[i], NULL));
  return paths;
}

GBytes *
e2e_expected_message (const char *fixture)
{
  char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (fixture, &data, &len, NULL))
    return NULL;
  if (len < 2 || data[len - 2] != '\r' || data[len - 1] != '\n')
    {
      data = g_realloc (data, len + 2);
      data[len++] = '\r';
      data[len++] = '\n';
    }
  return g_bytes_new_take (data, len);
}

/* Returns the offset of the first byte where @a and @b differ. */
static gsize
first_difference (GBytes *a, GBytes *b)
{
  gsize a_len, b_len, i;
  const guint8 *a_data = g_bytes_get_data (a, &a_len);
  const guint8 *b_data = g_bytes_get_data (b, &b_len);

  for (i = 0; i < a_len && i < b_len; i++)
    if (a_data[i] != b_data[i])
      break;
  return i;
}

/* Returns the expected message for @fixture with @suffix appended. */
static GBytes *
expected_with_suffix (const char *fixture, const char *suffix)
{
  g_autoptr (GBytes) message = e2e_expected_message (fixture);
  GByteArray *joined;
  gsize len;
  const guint8 *data;

  if (message == NULL || suffix == NULL)
    return g_steal_pointer (&message);
  data = g_bytes_get_data (message, &len);
  joined = g_byte_array_sized_new (len + strlen (suffix));
  g_byte_array_append (joined, data, len);
  g_byte_array_append (joined, (const guint8 *) suffix, strlen (suffix));
  return g_byte_array_free_to_bytes (joined);
}

/* Compares one spooled message with its fixture; prints the difference. */
static gboolean
spooled_equals_fixture (const char *spooled, const char *fixture,
                        const char *suffix)
{
  g_autoptr (GBytes) want = expected_with_suffix (fixture, suffix);
  g_autoptr (GBytes) got = NULL;
  char *data = NULL;
  gsize len = 0;

  if (want == NULL || !g_file_get_contents (spooled, &data, &len, NULL))
    {
      g_printerr ("cannot read %s or %s\n", fixture, spooled);
      return FALSE;
    }
  got = g_bytes_new_take (data, len);
  if (g_bytes_equal (want, got))
    return TRUE;
  g_printerr ("%s: spooled as %s with %zu bytes, want %zu bytes; first "
              "difference at offset %zu\n", fixture, spooled,
              g_bytes_get_size (got), g_bytes_get_size (want),
              first_difference (want, got));
  return FALSE;
}

/* Returns the name in @names of the spool file for fixture @index: message
 * index + 1 of the only session, or the first message of session
 * index + 1.  NULL when there is none. */
static const char *
find_spool_name (GPtrArray *names, guint index, E2eSpoolLayout layout)
{
  g_autofree char *pattern = layout == E2E_SPOOL_ONE_SESSION
    ? g_strdup_printf ("s*-m%04u.msg", index + 1)
    : g_strdup_printf ("s%06u-m0001.msg", index + 1);
  g_autoptr (GPatternSpec) spec = g_pattern_spec_new (pattern);

  for (guint i = 0; i < names->len; i++)
    if (g_pattern_spec_match_string (spec, names->pdata[i]))
      return names->pdata[i];
  return NULL;
}

void
e2e_assert_spool_matches (const char *spool, GPtrArray *fixtures,
                          E2eSpoolLayout layout, const char *peer_suffix)
{
  g_autoptr (GPtrArray) names = e2e_list_dir (spool, ".msg");

  if (names->len != fixtures->len)
    g_printerr ("spool %s holds %u messages, want %u\n", spool, names->len,
                fixtures->len);
  CU_ASSERT_EQUAL (names->len, fixtures->len);
  for (guint i = 0; i < fixtures->len; i++)
    {
      const char *name = find_spool_name (names, i, layout);
      g_autofree char *path = NULL;

      if (name == NULL)
        g_printerr ("%s: not in the spool\n", (char *) fixtures->pdata[i]);
      CU_ASSERT_PTR_NOT_NULL (name);
      if (name == NULL)
        continue;
      path = g_build_filename (spool, name, NULL);
      CU_ASSERT_TRUE (spooled_equals_fixture (path, fixtures->pdata[i],
                                              peer_suffix));
    }
}

char *
e2e_read_only_file (const char *dir, const char *suffix)
{
  g_autoptr (GPtrArray) names = e2e_list_dir (dir, suffix);
  g_autofree char *path = NULL;
  char *text = NULL;

  CU_ASSERT_EQUAL (names->len, 1);
  if (names->len != 1)
    {
      g_printerr ("%s holds %u files ending in %s, want 1\n", dir,
                  names->len, suffix);
      return NULL;
    }
  path = g_build_filename (dir, names->pdata[0], NULL);
  CU_ASSERT_TRUE (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

guint
e2e_count_lines_containing (const char *text, const char *needle)
{
  g_autofree char *folded_text = g_ascii_strdown (text, -1);
  g_autofree char *folded_needle = g_ascii_strdown (needle, -1);
  g_auto (GStrv) lines = g_strsplit (folded_text, "\n", -1);
  guint count = 0;

  for (gsize i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], folded_needle) != NULL)
      count++;
  return count;
}

/* Returns TRUE when transcript line @line is a client line with @verb. */
static gboolean
is_client_command (const char *line, const char *verb)
{
  g_auto (GStrv) fields = g_strsplit (line, " ", 0);
  guint n = 0;
  gsize verb_len = strlen (verb);
  const char *tag = NULL;
  const char *text = NULL;

  /* Fields: time (padded with leading spaces), tag, text. */
  for (gsize i = 0; fields[i] != NULL; i++)
    {
      if (*fields[i] == '\0')
        continue;
      n++;
      if (n == 2)
        tag = fields[i];
      else if (n == 3)
        {
          text = fields[i];
          break;
        }
    }
  if (tag == NULL || text == NULL
      || (strcmp (tag, "C:") != 0 && strcmp (tag, "C!") != 0))
    return FALSE;
  return g_ascii_strncasecmp (text, verb, verb_len) == 0
         && text[verb_len] == '\0';
}

guint
e2e_count_client_commands (const char *text, const char *verb)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint count = 0;

  for (gsize i = 0; lines[i] != NULL; i++)
    if (is_client_command (lines[i], verb))
      count++;
  return count;
}

/* Registers one suite and its tests; FALSE on a CUnit registry error. */
static gboolean
add_suite (const E2eSuite *suite)
{
  CU_pSuite cu_suite = CU_add_suite (suite->name, NULL, NULL);

  if (cu_suite == NULL)
    return FALSE;
  for (const E2eTest *test = suite->tests; test->name != NULL; test++)
    if (CU_add_test (cu_suite, test->name, test->func) == NULL)
      return FALSE;
  return TRUE;
}

/* Returns TRUE when the program @suite requires is present, after saying
 * why the suite is skipped when it is not. */
static gboolean
suite_can_run (const E2eSuite *suite)
{
  g_autofree char *found = NULL;

  if (suite->requires == NULL)
    return TRUE;
  found = g_find_program_in_path (suite->requires);
  if (found != NULL)
    return TRUE;
  g_print ("SKIP %s: %s not found; ci/setup installs it\n", suite->name,
           suite->requires);
  return FALSE;
}

int
e2e_main (int argc, char **argv, const E2eSuite *suites)
{
  const char *only = argc > 1 ? argv[1] : NULL;
  guint registered = 0, skipped = 0, failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 1;
  for (const E2eSuite *suite = suites; suite->name != NULL; suite++)
    {
      if (only != NULL && strcmp (only, suite->name) != 0)
        continue;
      if (!suite_can_run (suite))
        {
          skipped++;
          continue;
        }
      if (!add_suite (suite))
        {
          g_printerr ("cannot register suite %s: %s\n", suite->name,
                      CU_get_error_msg ());
          CU_cleanup_registry ();
          return 1;
        }
      registered++;
    }
  if (registered == 0)
    {
      CU_cleanup_registry ();
      if (skipped > 0)
        return 77;
      g_printerr ("no suite named %s\n", only != NULL ? only : "(any)");
      return 1;
    }

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
