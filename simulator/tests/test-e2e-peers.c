/* test-e2e-peers.c: independent SMTP clients against naccs-sim.
 *
 * naccs-sim judges other people's clients, so it must store what any
 * correct client sends, not only what our naccs-send sends.  Each suite
 * drives one independent client.  Python's smtplib sends all fixtures on
 * one connection with its own dot-stuffing and lower-case commands.  swaks
 * sends EHLO first and HELO after the center rejects it, or HELO alone.
 * Postfix's smtp-source sends generated messages, one or many per
 * connection.  curl sends each fixture after falling back from EHLO.  A
 * suite whose program is missing is skipped with exit status 77.
 *
 * Where a peer cannot carry a fixture unchanged, the test leaves that
 * fixture out and gives the reason next to the filter, so a failure always means
 * naccs-sim stored something other than what the peer sent.
 */
#include "test-e2e-support.h"

#include <glib/gstdio.h>
#include <string.h>

#define SMTP_SOURCE "/usr/sbin/smtp-source"

/* Runs @argv, prints its output when the exit status is not @want, and
 * asserts the status. */
static void
run_and_expect (const char *const *argv, int want)
{
  E2eRun run;

  CU_ASSERT_TRUE_FATAL (e2e_run (argv, E2E_RUN_TIMEOUT_MS, &run));
  if (run.exit_status != want)
    g_printerr ("%s exited %d, want %d:\n%s%s\n", argv[0], run.exit_status,
                want, run.out, run.err);
  CU_ASSERT_EQUAL (run.exit_status, want);
  CU_ASSERT_FALSE (run.timed_out);
  e2e_run_clear (&run);
}

/* Returns TRUE when @data contains @needle of @len bytes. */
static gboolean
contains (GBytes *data, const char *needle, gsize len)
{
  gsize size;
  const char *bytes = g_bytes_get_data (data, &size);

  return memmem (bytes, size, needle, len) != NULL;
}

/* Two empty lines that swaks (20201014) appends to data read from a file
 * before its final ".". */
#define SWAKS_SUFFIX "\r\n\r\n"

/* Returns the fixtures swaks can deliver.  swaks (20201014) has three
 * habits that change a message.  It turns the two characters "\n" (0x5C
 * 0x6E) into a line end, even in data read from a file.  It does not stuff
 * a "." that is the first byte of the data.  It takes a last line that is
 * only "." for the end of data.  Fixtures with any of the three are left
 * out. */
static GPtrArray *
swaks_safe_fixtures (void)
{
  g_autoptr (GPtrArray) all = e2e_fixture_paths ("messages");
  GPtrArray *safe = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < all->len; i++)
    {
      g_autoptr (GBytes) data = e2e_expected_message (all->pdata[i]);
      gsize size;
      const char *bytes = g_bytes_get_data (data, &size);
      gboolean ends_with_dot_line
        = (size == 3 || (size > 3 && bytes[size - 4] == '\n'))
          && memcmp (bytes + size - 3, ".\r\n", 3) == 0;

      if (contains (data, "\\n", 2) || bytes[0] == '.' || ends_with_dot_line)
        continue;
      g_ptr_array_add (safe, g_strdup (all->pdata[i]));
    }
  return safe;
}

/* Builds a swaks command line for one file; @helo_only selects protocol
 * SMTP (HELO) over the default ESMTP (EHLO, then HELO on rejection). */
static GPtrArray *
swaks_argv (guint port, const char *file, gboolean helo_only)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup ("swaks"));
  if (helo_only)
    {
      g_ptr_array_add (argv, g_strdup ("--protocol"));
      g_ptr_array_add (argv, g_strdup ("SMTP"));
    }
  g_ptr_array_add (argv, g_strdup ("--server"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
  g_ptr_array_add (argv, g_strdup ("--port"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", port));
  g_ptr_array_add (argv, g_strdup ("--helo"));
  g_ptr_array_add (argv, g_strdup (E2E_HELO_DOMAIN));
  g_ptr_array_add (argv, g_strdup ("--from"));
  g_ptr_array_add (argv, g_strdup (E2E_SENDER_ADDRESS));
  g_ptr_array_add (argv, g_strdup ("--to"));
  g_ptr_array_add (argv, g_strdup (E2E_CENTER_ADDRESS));
  g_ptr_array_add (argv, g_strdup ("--timeout"));
  g_ptr_array_add (argv, g_strdup ("30"));
  g_ptr_array_add (argv, g_strdup ("--data"));
  g_ptr_array_add (argv, g_strdup_printf ("@%s", file));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Sends every swaks-safe fixture with one swaks run each and compares the
 * spool, allowing for SWAKS_SUFFIX; returns the spool directory for
 * further checks. */
static char *
send_with_swaks (gboolean helo_only, GPtrArray *files)
{
  char *spool = e2e_make_temp_dir ("spool");
  E2eSim sim;

  CU_ASSERT_TRUE_FATAL (spool != NULL && e2e_sim_start (&sim, spool, NULL));
  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr (GPtrArray) argv = swaks_argv (sim.port, files->pdata[i],
                                               helo_only);
      run_and_expect ((const char *const *) argv->pdata, 0);
    }
  CU_ASSERT_EQUAL (e2e_sim_stop (&sim), 0);
  e2e_sim_clear (&sim);

  e2e_assert_spool_matches (spool, files, E2E_SPOOL_SESSION_EACH,
                            SWAKS_SUFFIX);
  return spool;
}

/* Counts the transcripts in @spool in which the client sent @verb. */
static guint
count_transcripts_with (const char *spool, const char *verb)
{
  g_autoptr (GPtrArray) names = e2e_list_dir (spool, ".transcript");
  guint count = 0;

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (spool, names->pdata[i], NULL);
      g_autofree char *text = NULL;
      if (g_file_get_contents (path, &text, NULL, NULL)
          && e2e_count_client_commands (text, verb) > 0)
        count++;
    }
  return count;
}

/* Proves swaks speaking HELO delivers the fixtures unchanged. */
static void
test_swaks_helo (void)
{
  g_autoptr (GPtrArray) files = swaks_safe_fixtures ();
  g_autofree char *spool = NULL;

  CU_ASSERT_TRUE (files->len >= 5);
  spool = send_with_swaks (TRUE, files);
  CU_ASSERT_EQUAL (count_transcripts_with (spool, "EHLO"), 0);
  CU_ASSERT_EQUAL (count_transcripts_with (spool, "HELO"),
                   files->len);
  e2e_remove_tree (spool);
}

/* Proves swaks's EHLO is rejected and its fallback to HELO delivers. */
static void
test_swaks_ehlo_fallback (void)
{
  g_autoptr (GPtrArray) files = swaks_safe_fixtures ();
  g_autofree char *spool = NULL;

  spool = send_with_swaks (FALSE, files);
  CU_ASSERT_EQUAL (count_transcripts_with (spool, "EHLO"),
                   files->len);
  CU_ASSERT_EQUAL (count_transcripts_with (spool, "HELO"),
                   files->len);
  e2e_remove_tree (spool);
}

/* Proves smtplib sends every fixture on one connection, unchanged. */
static void
test_smtplib_all_fixtures (void)
{
  g_autoptr (GPtrArray) files = e2e_fixture_paths ("messages");
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *spool = e2e_make_temp_dir ("spool");
  const char *peers = e2e_env ("NACCS_PEERS");
  E2eSim sim;

  CU_ASSERT_PTR_NOT_NULL_FATAL (peers);
  CU_ASSERT_TRUE_FATAL (spool != NULL && e2e_sim_start (&sim, spool, NULL));
  g_ptr_array_add (argv, g_strdup ("python3"));
  g_ptr_array_add (argv, g_build_filename (peers, "smtplib-send.py", NULL));
  g_ptr_array_add (argv, g_strdup_printf ("--server=127.0.0.1:%u", sim.port));
  g_ptr_array_add (argv, g_strdup ("--helo=" E2E_HELO_DOMAIN));
  g_ptr_array_add (argv, g_strdup ("--from=" E2E_SENDER_ADDRESS));
  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add (argv, g_strdup (files->pdata[i]));
  g_ptr_array_add (argv, NULL);
  run_and_expect ((const char *const *) argv->pdata, 0);
  CU_ASSERT_EQUAL (e2e_sim_stop (&sim), 0);
  e2e_sim_clear (&sim);

  e2e_assert_spool_matches (spool, files, E2E_SPOOL_ONE_SESSION, NULL);
  g_autofree char *transcript = e2e_read_only_file (spool, ".transcript");
  if (transcript != NULL)
    {
      CU_ASSERT_EQUAL (e2e_count_client_commands (transcript, "HELO"), 1);
      CU_ASSERT_EQUAL (e2e_count_client_commands (transcript, "EHLO"), 0);
      CU_ASSERT_EQUAL (e2e_count_client_commands (transcript, "QUIT"), 1);
    }
  e2e_remove_tree (spool);
}

/* Builds the smtp-source command line: @count messages of @size payload
 * bytes, one session at a time, plus -d (one connection) when asked. */
static GPtrArray *
smtp_source_argv (guint port, guint count, guint size, gboolean one_connection)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  const char *fixed[] = {
    SMTP_SOURCE, "-s", "1", "-M", E2E_HELO_DOMAIN, "-f", E2E_SENDER_ADDRESS,
    "-t", E2E_CENTER_ADDRESS,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, g_strdup (fixed[i]));
  g_ptr_array_add (argv, g_strdup ("-m"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", count));
  g_ptr_array_add (argv, g_strdup ("-l"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", size));
  if (one_connection)
    g_ptr_array_add (argv, g_strdup ("-d"));
  g_ptr_array_add (argv, g_strdup_printf ("127.0.0.1:%u", port));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Runs smtp-source and checks that all @count messages, each at least @size
 * bytes, were stored by @sessions sessions. */
static void
check_smtp_source (guint count, guint size, gboolean one_connection,
                   guint sessions)
{
  g_autofree char *spool = e2e_make_temp_dir ("spool");
  g_autoptr (GPtrArray) argv = NULL;
  E2eSim sim;

  CU_ASSERT_TRUE_FATAL (spool != NULL && e2e_sim_start (&sim, spool, NULL));
  argv = smtp_source_argv (sim.port, count, size, one_connection);
  run_and_expect ((const char *const *) argv->pdata, 0);
  CU_ASSERT_EQUAL (e2e_sim_stop (&sim), 0);
  e2e_sim_clear (&sim);

  g_autoptr (GPtrArray) names = e2e_list_dir (spool, ".msg");
  g_autoptr (GPtrArray) transcripts = e2e_list_dir (spool, ".transcript");
  CU_ASSERT_EQUAL (names->len, count);
  CU_ASSERT_EQUAL (transcripts->len, sessions);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (spool, names->pdata[i], NULL);
      GStatBuf st = { 0 };
      CU_ASSERT_EQUAL (g_stat (path, &st), 0);
      CU_ASSERT_TRUE (st.st_size >= (goffset) size);
    }
  e2e_remove_tree (spool);
}

/* Proves smtp-source's messages, one per connection, are all accepted. */
static void
test_smtp_source_sequential (void)
{
  check_smtp_source (20, 1024, FALSE, 20);
}

/* Proves smtp-source's messages on one connection (-d) are accepted. */
static void
test_smtp_source_one_connection (void)
{
  check_smtp_source (20, 1024, TRUE, 1);
}

/* Proves 600 KB messages from smtp-source are stored whole. */
static void
test_smtp_source_large (void)
{
  check_smtp_source (3, 600000, TRUE, 1);
}

/* Builds a curl command line that sends @file to naccs-sim on @port.  The
 * URL path sets the domain curl sends with EHLO and then HELO. */
static GPtrArray *
curl_argv (guint port, const char *file)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup ("curl"));
  g_ptr_array_add (argv, g_strdup ("--silent"));
  g_ptr_array_add (argv, g_strdup ("--show-error"));
  g_ptr_array_add (argv, g_strdup ("--max-time"));
  g_ptr_array_add (argv, g_strdup ("30"));
  g_ptr_array_add (argv, g_strdup_printf ("smtp://127.0.0.1:%u/%s", port,
                                          E2E_HELO_DOMAIN));
  g_ptr_array_add (argv, g_strdup ("--mail-from"));
  g_ptr_array_add (argv, g_strdup (E2E_SENDER_ADDRESS));
  g_ptr_array_add (argv, g_strdup ("--mail-rcpt"));
  g_ptr_array_add (argv, g_strdup (E2E_CENTER_ADDRESS));
  g_ptr_array_add (argv, g_strdup ("--upload-file"));
  g_ptr_array_add (argv, g_strdup (file));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Proves curl, falling back from EHLO to HELO, delivers every fixture. */
static void
test_curl_all_fixtures (void)
{
  g_autoptr (GPtrArray) files = e2e_fixture_paths ("messages");
  g_autofree char *spool = e2e_make_temp_dir ("spool");
  E2eSim sim;

  CU_ASSERT_TRUE_FATAL (spool != NULL && e2e_sim_start (&sim, spool, NULL));
  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr (GPtrArray) argv = curl_argv (sim.port, files->pdata[i]);
      run_and_expect ((const char *const *) argv->pdata, 0);
    }
  CU_ASSERT_EQUAL (e2e_sim_stop (&sim), 0);
  e2e_sim_clear (&sim);

  e2e_assert_spool_matches (spool, files, E2E_SPOOL_SESSION_EACH, NULL);
  CU_ASSERT_EQUAL (count_transcripts_with (spool, "EHLO"), files->len);
  CU_ASSERT_EQUAL (count_transcripts_with (spool, "HELO"), files->len);
  e2e_remove_tree (spool);
}

static const E2eTest smtplib_tests[] = {
  { "smtplib all fixtures", test_smtplib_all_fixtures },
  { NULL, NULL },
};

static const E2eTest swaks_tests[] = {
  { "swaks helo", test_swaks_helo },
  { "swaks ehlo fallback", test_swaks_ehlo_fallback },
  { NULL, NULL },
};

static const E2eTest smtp_source_tests[] = {
  { "smtp-source sequential", test_smtp_source_sequential },
  { "smtp-source one connection", test_smtp_source_one_connection },
  { "smtp-source large", test_smtp_source_large },
  { NULL, NULL },
};

static const E2eTest curl_tests[] = {
  { "curl all fixtures", test_curl_all_fixtures },
  { NULL, NULL },
};

static const E2eSuite suites[] = {
  { "/e2e/peers/smtplib", "python3", smtplib_tests },
  { "/e2e/peers/curl", "curl", curl_tests },
  { "/e2e/peers/swaks", "swaks", swaks_tests },
  { "/e2e/peers/smtp-source", SMTP_SOURCE, smtp_source_tests },
  { NULL, NULL, NULL },
};

int
main (int argc, char **argv)
{
  return e2e_main (argc, argv, suites);
}
