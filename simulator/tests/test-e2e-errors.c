/* test-e2e-errors.c: bad input to naccs-send and naccs-sim.
 *
 * Both programs exit with status 2 on a usage or local error and name the
 * value at fault in their message, so a user can fix it without guessing.
 * The one exception is a refused connection, which naccs-send treats as a
 * failure to retry later: it reports each file and exits 1.
 * The tests also check that nothing is half-written: naccs-send checks
 * every file before it connects, so one bad file means no connection and no
 * message at all, and naccs-sim creates nothing in a spool it cannot use.
 *
 * The unresolvable host runs naccs-send in a new network namespace
 * ("unshare --net", which needs root or user namespaces): there the name
 * server is unreachable, so the lookup fails without a packet leaving the
 * machine.  Outside such a namespace the system resolver would send the
 * query for a .invalid name to the configured name server.
 */
#include "test-e2e-support.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* naccs-sim must fail fast on bad input; this is the longest wait. */
#define E2E_FAIL_TIMEOUT_MS 10000

/* Runs @argv, expecting exit status 2 and @want in stderr. */
static void
expect_usage_error (const char *const *argv, const char *want)
{
  E2eRun run;

  CU_ASSERT_TRUE_FATAL (e2e_run (argv, E2E_FAIL_TIMEOUT_MS, &run));
  if (run.exit_status != 2 || strstr (run.err, want) == NULL)
    g_printerr ("%s %s: exited %d, want 2 and \"%s\" in stderr:\n%s%s\n",
                argv[0], argv[1] != NULL ? argv[1] : "", run.exit_status,
                want, run.out, run.err);
  CU_ASSERT_EQUAL (run.exit_status, 2);
  CU_ASSERT_PTR_NOT_NULL (strstr (run.err, want));
  e2e_run_clear (&run);
}

/* Builds a naccs-send command line for @server and the NULL-terminated
 * @args. */
static GPtrArray *
send_argv (const char *server, const char *const *args)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (e2e_env ("NACCS_SEND")));
  g_ptr_array_add (argv, g_strdup_printf ("--server=%s", server));
  g_ptr_array_add (argv, g_strdup ("--helo=" E2E_HELO_DOMAIN));
  g_ptr_array_add (argv, g_strdup ("--from=" E2E_SENDER_ADDRESS));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Returns the full path of fixtures/messages/01-ordinary-short.edi. */
static char *
good_fixture (void)
{
  return g_build_filename (e2e_env ("NACCS_FIXTURES"), "messages",
                           "01-ordinary-short.edi", NULL);
}

typedef struct {
  const char *name;
  const char *args[4];  /* after --server, --helo and --from; "GOOD" is
                           replaced by a valid fixture */
  const char *want;     /* text stderr must contain */
} SendCase;

/* Runs one bad naccs-send command against a running naccs-sim. */
static void
run_send_case (const SendCase *c, guint port)
{
  g_autofree char *good = good_fixture ();
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%u", port);
  const char *args[G_N_ELEMENTS (c->args) + 1] = { NULL };

  for (gsize i = 0; i < G_N_ELEMENTS (c->args) && c->args[i] != NULL; i++)
    args[i] = strcmp (c->args[i], "GOOD") == 0 ? good : c->args[i];
  g_autoptr (GPtrArray) argv = send_argv (server, args);
  g_print ("  case: %s\n", c->name);
  expect_usage_error ((const char *const *) argv->pdata, c->want);
}

/* Checks that naccs-sim saw no connection and stored nothing. */
static void
assert_spool_untouched (const char *spool)
{
  g_autoptr (GPtrArray) messages = e2e_list_dir (spool, ".msg");
  g_autoptr (GPtrArray) transcripts = e2e_list_dir (spool, ".transcript");

  CU_ASSERT_EQUAL (messages->len, 0);
  CU_ASSERT_EQUAL (transcripts->len, 0);
}

/* Proves bad options and files exit 2 before any connection opens. */
static void
test_send_usage_errors (void)
{
  static const SendCase cases[] = {
    { "unknown option", { "--no-such-option", "GOOD" }, "--no-such-option" },
    { "missing file", { "GOOD", "/nonexistent-naccs-e2e/missing.edi" },
      "/nonexistent-naccs-e2e/missing.edi" },
    { "directory as file", { "GOOD", "/" }, "\"/\"" },
    { "bad timeout", { "--reply-timeout=soon", "GOOD" }, "soon" },
  };
  g_autofree char *spool = e2e_make_temp_dir ("spool");
  E2eSim sim;

  CU_ASSERT_TRUE_FATAL (spool != NULL && e2e_sim_start (&sim, spool, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    run_send_case (&cases[i], sim.port);
  CU_ASSERT_EQUAL (e2e_sim_stop (&sim), 0);
  e2e_sim_clear (&sim);
  assert_spool_untouched (spool);
  e2e_remove_tree (spool);
}

/* Proves every fixtures/invalid/ file is refused, even after a good one,
 * and nothing reaches the server. */
static void
test_send_invalid_fixtures (void)
{
  g_autoptr (GPtrArray) invalid = e2e_fixture_paths ("invalid");
  g_autofree char *spool = e2e_make_temp_dir ("spool");
  E2eSim sim;

  CU_ASSERT_TRUE (invalid->len >= 8);
  CU_ASSERT_TRUE_FATAL (spool != NULL && e2e_sim_start (&sim, spool, NULL));
  for (guint i = 0; i < invalid->len; i++)
    {
      const char *path = invalid->pdata[i];
      SendCase c = { path, { "GOOD", path, NULL }, path };
      run_send_case (&c, sim.port);
    }
  CU_ASSERT_EQUAL (e2e_sim_stop (&sim), 0);
  e2e_sim_clear (&sim);
  assert_spool_untouched (spool);
  e2e_remove_tree (spool);
}

/* Proves a bad --server value exits 2 and names the value. */
static void
test_send_bad_server (void)
{
  static const struct {
    const char *server;
    const char *want;
  } cases[] = {
    { "127.0.0.1:abc", "abc" },
    { "127.0.0.1:65536", "65536" },
  };
  g_autofree char *good = good_fixture ();

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[] = { good, NULL };
      g_autoptr (GPtrArray) argv = send_argv (cases[i].server, args);
      g_print ("  case: --server=%s\n", cases[i].server);
      expect_usage_error ((const char *const *) argv->pdata, cases[i].want);
    }
}

/* Returns a TCP socket bound to 127.0.0.1 on a free port, listening when
 * @listen is TRUE; *port receives the port. */
static GSocket *
bind_loopback (gboolean listen, guint *port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (
    G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback,
                                                                   0);
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  if (socket == NULL || !g_socket_bind (socket, any_port, FALSE, &error)
      || (listen && !g_socket_listen (socket, &error)))
    {
      g_printerr ("cannot bind 127.0.0.1: %s\n", error->message);
      g_clear_object (&socket);
      return NULL;
    }
  bound = g_socket_get_local_address (socket, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}

/* Proves a refused connection reports the file as not attempted, names
 * the port and exits 1.  A refused connection is a failure to retry later,
 * not a usage error, so naccs-send exits 1 (files not accepted) rather
 * than 2; --max-attempts=1 skips its retries and their delays. */
static void
test_send_refused_port (void)
{
  guint port = 0;
  /* Bound but not listening: the port stays ours, and connects to it are
   * refused, for as long as the socket is open. */
  g_autoptr (GSocket) socket = bind_loopback (FALSE, &port);
  g_autofree char *good = good_fixture ();
  g_autofree char *server = NULL;
  g_autofree char *port_text = NULL;
  E2eRun run;

  CU_ASSERT_PTR_NOT_NULL_FATAL (socket);
  server = g_strdup_printf ("127.0.0.1:%u", port);
  port_text = g_strdup_printf ("%u", port);
  const char *args[] = { "--max-attempts=1", good, NULL };
  g_autoptr (GPtrArray) argv = send_argv (server, args);

  CU_ASSERT_TRUE_FATAL (e2e_run ((const char *const *) argv->pdata,
                                 E2E_FAIL_TIMEOUT_MS, &run));
  if (run.exit_status != 1 || strstr (run.err, port_text) == NULL)
    g_printerr ("naccs-send to refused port %s exited %d, want 1 and the "
                "port in stderr:\n%s%s\n", port_text, run.exit_status,
                run.out, run.err);
  CU_ASSERT_EQUAL (run.exit_status, 1);
  CU_ASSERT_PTR_NOT_NULL (strstr (run.err, port_text));
  CU_ASSERT_EQUAL (e2e_count_lines_containing (run.out, "not attempted"), 1);
  e2e_run_clear (&run);
}

/* Returns TRUE when this process may create a network namespace. */
static gboolean
can_unshare_net (void)
{
  const char *argv[] = { "unshare", "--net", "true", NULL };
  E2eRun run;
  gboolean ok;

  if (!e2e_run (argv, E2E_FAIL_TIMEOUT_MS, &run))
    return FALSE;
  ok = run.exit_status == 0;
  e2e_run_clear (&run);
  return ok;
}

/* Proves an unresolvable host exits 2 and names the host. */
static void
test_send_unresolvable_host (void)
{
  g_autofree char *good = good_fixture ();
  const char *args[] = { good, NULL };
  g_autoptr (GPtrArray) argv = NULL;

  if (!can_unshare_net ())
    {
      g_print ("  skipped: \"unshare --net\" is not permitted, and a lookup "
               "outside a new network namespace would reach the name "
               "server\n");
      return;
    }
  argv = send_argv ("no-such-host.invalid:25", args);
  g_ptr_array_insert (argv, 0, g_strdup ("--"));
  g_ptr_array_insert (argv, 0, g_strdup ("--net"));
  g_ptr_array_insert (argv, 0, g_strdup ("unshare"));
  expect_usage_error ((const char *const *) argv->pdata,
                      "no-such-host.invalid");
}

/* Builds a naccs-sim command line from the NULL-terminated @args. */
static GPtrArray *
sim_argv (const char *const *args)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (e2e_env ("NACCS_SIM")));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Proves naccs-sim exits 2 naming a port that is already in use. */
static void
test_sim_port_in_use (void)
{
  guint port = 0;
  g_autoptr (GSocket) socket = bind_loopback (TRUE, &port);
  g_autofree char *spool = e2e_make_temp_dir ("spool");
  g_autofree char *listen = NULL;
  g_autofree char *want = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (socket);
  listen = g_strdup_printf ("127.0.0.1:%u", port);
  want = g_strdup_printf ("%u", port);
  const char *args[] = { "--listen", listen, "--spool", spool, NULL };
  g_autoptr (GPtrArray) argv = sim_argv (args);
  expect_usage_error ((const char *const *) argv->pdata, want);
  assert_spool_untouched (spool);
  e2e_remove_tree (spool);
}

/* Proves naccs-sim exits 2 naming a spool directory that does not exist,
 * and does not create it. */
static void
test_sim_missing_spool (void)
{
  g_autofree char *parent = e2e_make_temp_dir ("parent");
  g_autofree char *spool = g_build_filename (parent, "missing", NULL);
  const char *args[] = { "--listen", "127.0.0.1:0", "--spool", spool, NULL };
  g_autoptr (GPtrArray) argv = sim_argv (args);

  expect_usage_error ((const char *const *) argv->pdata, spool);
  CU_ASSERT_FALSE (g_file_test (spool, G_FILE_TEST_EXISTS));
  e2e_remove_tree (parent);
}

/* Proves naccs-sim exits 2 naming a spool path that is a regular file,
 * and leaves the file as it was. */
static void
test_sim_spool_is_file (void)
{
  g_autofree char *parent = e2e_make_temp_dir ("parent");
  g_autofree char *spool = g_build_filename (parent, "file", NULL);
  const char *args[] = { "--listen", "127.0.0.1:0", "--spool", spool, NULL };
  g_autoptr (GPtrArray) argv = sim_argv (args);
  g_autofree char *after = NULL;

  CU_ASSERT_TRUE_FATAL (g_file_set_contents (spool, "unchanged", -1, NULL));
  expect_usage_error ((const char *const *) argv->pdata, spool);
  CU_ASSERT_TRUE (g_file_get_contents (spool, &after, NULL, NULL));
  CU_ASSERT_STRING_EQUAL (after, "unchanged");
  e2e_remove_tree (parent);
}

/* Proves naccs-sim exits 2 naming a spool directory it cannot write. */
static void
test_sim_spool_not_writable (void)
{
  g_autofree char *spool = NULL;

  /* Root ignores file permissions, so a read-only directory proves nothing
   * there; test_sim_spool_is_file covers an unusable spool as root. */
  if (geteuid () == 0)
    {
      g_print ("  skipped: running as root, which can write to a read-only "
               "directory\n");
      return;
    }
  spool = e2e_make_temp_dir ("spool");
  CU_ASSERT_TRUE_FATAL (spool != NULL && g_chmod (spool, 0500) == 0);
  const char *args[] = { "--listen", "127.0.0.1:0", "--spool", spool, NULL };
  g_autoptr (GPtrArray) argv = sim_argv (args);
  expect_usage_error ((const char *const *) argv->pdata, spool);
  assert_spool_untouched (spool);
  e2e_remove_tree (spool);
}

/* Proves bad naccs-sim options exit 2 and name the value. */
static void
test_sim_bad_options (void)
{
  static const struct {
    const char *args[5];
    const char *want;
  } cases[] = {
    { { "--no-such-option", NULL }, "--no-such-option" },
    { { "--listen", "127.0.0.1:abc", NULL }, "abc" },
    { { "--listen", "127.0.0.1:65536", NULL }, "65536" },
    { { "--max-line-length", "lots", NULL }, "lots" },
    /* 0 is a value like any other, not a silent "use the default". */
    { { "--max-line-length", "0", NULL }, "--max-line-length 0" },
    { { "--max-connections", "0", NULL }, "--max-connections 0" },
    { { "--idle-timeout", "0", NULL }, "--idle-timeout 0" },
    /* Scenario options without --scenario would be ignored silently. */
    { { "--once", NULL }, "--once" },
    { { "--report", "json:x.json", NULL }, "--report" },
    { { "--scenario", "/nonexistent-naccs-e2e/s.yaml", "--report",
        "json:/nonexistent-naccs-e2e/r.json", NULL },
      "/nonexistent-naccs-e2e/r.json" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GPtrArray) argv = sim_argv (cases[i].args);
      g_print ("  case: %s %s\n", cases[i].args[0],
               cases[i].args[1] != NULL ? cases[i].args[1] : "");
      expect_usage_error ((const char *const *) argv->pdata, cases[i].want);
    }
}

static const E2eTest send_tests[] = {
  { "send usage errors", test_send_usage_errors },
  { "send invalid fixtures", test_send_invalid_fixtures },
  { "send bad server", test_send_bad_server },
  { "send refused port", test_send_refused_port },
  { "send unresolvable host", test_send_unresolvable_host },
  { NULL, NULL },
};

static const E2eTest sim_tests[] = {
  { "sim port in use", test_sim_port_in_use },
  { "sim missing spool", test_sim_missing_spool },
  { "sim spool is file", test_sim_spool_is_file },
  { "sim spool not writable", test_sim_spool_not_writable },
  { "sim bad options", test_sim_bad_options },
  { NULL, NULL },
};

static const E2eSuite suites[] = {
  { "/e2e/send-errors", NULL, send_tests },
  { "/e2e/sim-errors", NULL, sim_tests },
  { NULL, NULL, NULL },
};

int
main (int argc, char **argv)
{
  return e2e_main (argc, argv, suites);
}
