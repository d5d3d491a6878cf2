/* test-naccs-send-checks.c: naccs-send's start-up checks, end to end.
 *
 * Each case runs naccs-send against a listener on 127.0.0.1 with one
 * option that must stop the run before it connects: a --helo, --from or
 * --to that would break the command line, an action table that is a
 * device, a FIFO, too large or tagged, and a --report path that cannot be
 * written.  A case passes when naccs-send exits 2, its message names the
 * option or file and the fault, its stderr has no raw control character,
 * and the listener never saw a connection.  A case that blocks (a FIFO
 * opened without O_NONBLOCK) fails by the meson timeout.  The report
 * writer's own error is checked in the same process.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <glib/gstdio.h>

#include "send-plan.h"

#define HELO_DOMAIN "user.example.invalid"
#define FROM_ADDRESS "user@user.example.invalid"

/* The --from a tester used to store a second message on the mock center. */
#define INJECTED_FROM                                                         \
  "a>\r\nRCPT TO:<NACCS@EDIFACT.PROD.NACCS6>\r\nDATA\r\nSubject: "          \
  "injected\r\n.\r\nMAIL FROM:<b"

/* Files of one test run, in a temporary directory. */
typedef struct {
  char *dir;
  char *message;     /* a valid message file */
  char *fifo;        /* a FIFO nobody writes to */
  char *big_table;   /* an action table of 1 MiB and one octet */
  char *tag_table;   /* an action table with a YAML tag */
  char *readonly;    /* a directory without write permission */
} Workspace;

static Workspace workspace;

static int
setup_workspace (void)
{
  g_autofree char *filler = g_strnfill (1024 * 1024, '#');
  g_autofree char *over = g_strconcat (filler, "\n", NULL);
  Workspace *w = &workspace;

  w->dir = g_dir_make_tmp ("naccs-send-checks-XXXXXX", NULL);
  if (w->dir == NULL)
    return 1;
  w->message = g_build_filename (w->dir, "m.edi", NULL);
  w->fifo = g_build_filename (w->dir, "table.fifo", NULL);
  w->big_table = g_build_filename (w->dir, "big.yaml", NULL);
  w->tag_table = g_build_filename (w->dir, "tag.yaml", NULL);
  w->readonly = g_build_filename (w->dir, "readonly", NULL);
  if (!g_file_set_contents (w->message, "NHDR x\r\nbody\r\n", -1, NULL)
      || mkfifo (w->fifo, 0600) != 0
      || !g_file_set_contents (w->big_table, over, -1, NULL)
      || !g_file_set_contents (w->tag_table,
                               "default:\n  4xx: !!str retry-later\n", -1,
                               NULL)
      || g_mkdir (w->readonly, 0500) != 0)
    return 1;
  return 0;
}

static int
teardown_workspace (void)
{
  Workspace *w = &workspace;

  g_unlink (w->message);
  g_unlink (w->fifo);
  g_unlink (w->big_table);
  g_unlink (w->tag_table);
  g_rmdir (w->readonly);
  g_rmdir (w->dir);
  g_free (w->message);
  g_free (w->fifo);
  g_free (w->big_table);
  g_free (w->tag_table);
  g_free (w->readonly);
  g_free (w->dir);
  return 0;
}

/* Binds 127.0.0.1 on a free port and listens, without accepting. */
static GSocket *
listen_loopback (guint16 *port)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
                                             G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback,
                                                                  0);
  g_autoptr (GSocketAddress) bound = NULL;

  if (socket == NULL || !g_socket_bind (socket, address, FALSE, NULL)
      || !g_socket_listen (socket, NULL))
    return NULL;
  bound = g_socket_get_local_address (socket, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}

/* Returns TRUE when a connection is waiting on @listener: the kernel
 * completes the handshake before accept(), so a connect by naccs-send
 * shows here even though nobody accepted it. */
static gboolean
was_connected (GSocket *listener)
{
  g_autoptr (GSocket) peer = g_socket_accept (listener, NULL, NULL);

  return peer != NULL;
}

/* Returns TRUE when @text contains a control character other than LF. */
static gboolean
has_raw_control (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if (((guchar) *p < 0x20 && *p != '\n') || *p == 0x7f)
      return TRUE;
  return FALSE;
}

typedef struct {
  int exit_status;
  char *stderr_text;
  gboolean connected;
} CheckRun;

/* Runs naccs-send with valid options, then @extra (NULL-terminated,
 * overriding any option given before), and the message file. */
static gboolean
run_naccs_send (const char *const *extra, CheckRun *run)
{
  const char *tool = g_getenv ("NACCS_SEND");
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GSocket) listener = NULL;
  g_autofree char *stdout_text = NULL;
  guint16 port = 0;

  listener = listen_loopback (&port);
  if (tool == NULL || listener == NULL)
    return FALSE;
  g_ptr_array_add (argv, g_strdup (tool));
  g_ptr_array_add (argv, g_strdup_printf ("--server=127.0.0.1:%u", port));
  g_ptr_array_add (argv, g_strdup ("--helo=" HELO_DOMAIN));
  g_ptr_array_add (argv, g_strdup ("--from=" FROM_ADDRESS));
  g_ptr_array_add (argv, g_strdup ("--greeting-timeout=1"));
  g_ptr_array_add (argv, g_strdup ("--max-attempts=1"));
  for (gsize i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra[i]));
  g_ptr_array_add (argv, g_strdup (workspace.message));
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               NULL);
  if (process == NULL)
    return FALSE;
  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, &stdout_text,
                                     &run->stderr_text, NULL))
    return FALSE;
  run->exit_status = g_subprocess_get_if_exited (process)
                         ? g_subprocess_get_exit_status (process)
                         : -1;
  run->connected = was_connected (listener);
  return TRUE;
}

typedef struct {
  const char *name;
  const char *option;   /* "--from=" and so on; the value follows */
  const char *value;    /* NULL: a path of the workspace, see below */
  const char *want;     /* a part of stderr */
} StartupCase;

/* Checks @c; @value replaces c->value when that is NULL. */
static void
check_startup_case (const StartupCase *c, const char *value)
{
  g_autofree char *arg = g_strconcat (c->option, value, NULL);
  const char *extra[] = { arg, NULL };
  CheckRun run = { 0 };

  CU_ASSERT_TRUE_FATAL (run_naccs_send (extra, &run));
  CU_ASSERT_EQUAL (run.exit_status, 2);
  CU_ASSERT_FALSE (run.connected);
  CU_ASSERT_FALSE (has_raw_control (run.stderr_text));
  if (run.exit_status != 2 || run.connected
      || strstr (run.stderr_text, c->want) == NULL)
    {
      fprintf (stderr, "\n  %s: exit %d, connected %d, stderr:\n%s  want "
               "\"%s\"\n", c->name, run.exit_status, run.connected,
               run.stderr_text, c->want);
      CU_FAIL ("start-up check did not stop the run as expected");
    }
  g_free (run.stderr_text);
}

static const StartupCase argument_cases[] = {
  { "injection in --from", "--from=", INJECTED_FROM,
    "invalid --from: character \">\" at position 2 of \"a>\\r\\nRCPT TO:" },
  { "CRLF in --from", "--from=", "user@example.com\r\nRSET",
    "invalid --from: character \"\\r\" at position 17" },
  { "CRLF in --helo", "--helo=", "x.example\r\nRSET",
    "invalid --helo: character \"\\r\" at position 10" },
  { "LF in --to", "--to=", "NACCS@EDIFACT.PROD.NACCS6\nDATA",
    "invalid --to: character \"\\n\" at position 26" },
  { "space in --to", "--to=", "NACCS @EDIFACT.PROD.NACCS6",
    "invalid --to: character \" \" at position 6" },
  { "control in --helo", "--helo=", "x\033[2Jy",
    "invalid --helo: character \"\\x1B\" at position 2" },
  { "empty --from", "--from=", "",
    "invalid --from: the address is empty" },
  { "no at in --from", "--from=", "user",
    "invalid --from: \"user\" has no \"@\"" },
};

/* Proves a --helo, --from or --to that would break a command is refused
 * before connecting, naming the option and the escaped character. */
static void
test_arguments_refused (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (argument_cases); i++)
    check_startup_case (&argument_cases[i], argument_cases[i].value);
}

/* Proves a device, a FIFO, an oversized or a tagged action table stops
 * the run at once, naming the file. */
static void
test_action_tables_refused (void)
{
  const StartupCase cases[] = {
    { "device", "--action-table=", "/dev/zero",
      "naccs-send: action table \"/dev/zero\" is not a regular file" },
    { "FIFO", "--action-table=", workspace.fifo, "is not a regular file" },
    { "over 1 MiB", "--action-table=", workspace.big_table,
      "the file is larger than 1 MiB" },
    { "tagged", "--action-table=", workspace.tag_table,
      ":2:8: YAML tags (!name, !!type) are not allowed; remove the tag" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_startup_case (&cases[i], cases[i].value);
}

/* Proves a --report path that cannot be written stops the run before it
 * connects, naming --report and the path. */
static void
test_report_paths_refused (void)
{
  g_autofree char *missing = g_build_filename (workspace.dir, "missing",
                                               "r.json", NULL);
  g_autofree char *readonly = g_build_filename (workspace.readonly,
                                                "r.json", NULL);
  g_autofree char *dir_want = g_strdup_printf (
      "invalid --report \"json:%s\": it is a directory", workspace.dir);
  g_autofree char *fifo_want = g_strdup_printf (
      "invalid --report \"json:%s\": it exists and is not a regular file",
      workspace.fifo);
  const StartupCase cases[] = {
    { "directory", "--report=json:", workspace.dir, dir_want },
    { "FIFO", "--report=json:", workspace.fifo, fifo_want },
    { "missing directory", "--report=json:", missing,
      "does not exist; create it or give another path" },
  };
  const StartupCase readonly_case = {
    "read-only directory", "--report=json:", readonly,
    "cannot write in the directory",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_startup_case (&cases[i], cases[i].value);

  /* Permissions do not bind root, so this case needs another user. */
  if (geteuid () == 0)
    fprintf (stderr, "\n  SKIP: read-only directory case: running as root\n");
  else
    check_startup_case (&readonly_case, readonly);
}

/* Proves the report writer's error names --report and the path. */
static void
test_report_write_error (void)
{
  g_autofree char *path = g_build_filename (workspace.dir, "gone", "r.json",
                                            NULL);
  char *paths[] = { workspace.message, NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *want = g_strdup_printf ("cannot write the --report file "
                                           "\"%s\": ", path);
  SendConfig config;
  SendRun run;

  send_config_init (&config);
  send_run_init (&run, paths);
  CU_ASSERT_FALSE (send_report_write_json (&run, &config, path, &error));
  CU_ASSERT_TRUE (error != NULL && g_str_has_prefix (error->message, want));
  if (error != NULL && !g_str_has_prefix (error->message, want))
    fprintf (stderr, "\n  got %s\n  want %s...\n", error->message, want);
  send_run_clear (&run);
}

/* Proves writable report paths pass the start-up check. */
static void
test_report_paths_accepted (void)
{
  g_autofree char *fresh = g_build_filename (workspace.dir, "new.json",
                                             NULL);

  CU_ASSERT_TRUE (send_report_check_path (fresh, NULL));
  CU_ASSERT_TRUE (send_report_check_path (workspace.message, NULL));
  CU_ASSERT_FALSE (g_file_test (fresh, G_FILE_TEST_EXISTS));
}

int
main (void)
{
  static const struct {
    const char *name;
    void (*func) (void);
  } tests[] = {
    { "arguments refused", test_arguments_refused },
    { "action tables refused", test_action_tables_refused },
    { "report paths refused", test_report_paths_refused },
    { "report write error", test_report_write_error },
    { "report paths accepted", test_report_paths_accepted },
  };
  CU_pSuite suite;
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  suite = CU_add_suite ("/client/naccs-send-checks", setup_workspace,
                        teardown_workspace);
  for (gsize i = 0; suite != NULL && i < G_N_ELEMENTS (tests); i++)
    if (CU_add_test (suite, tests[i].name, tests[i].func) == NULL)
      suite = NULL;
  if (suite == NULL)
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
