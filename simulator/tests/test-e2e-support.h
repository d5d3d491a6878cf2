/* test-e2e-support.h: helpers shared by the end-to-end tests.
 *
 * The end-to-end tests run the built programs as a user would: naccs-sim as
 * a child process on a free loopback port, and naccs-send or an independent
 * SMTP client (swaks, Python smtplib, Postfix's smtp-source) against it.
 * meson passes the paths through the environment: NACCS_SIM and NACCS_SEND
 * (the built programs), NACCS_FIXTURES (fixtures/) and NACCS_PEERS (the peer
 * scripts).  Every wait has a timeout, so a hung program fails its test
 * instead of hanging the suite.
 */
#pragma once

#include <CUnit/CUnit.h>
#include <gio/gio.h>

G_BEGIN_DECLS

/* Timeout of one program run, of naccs-sim's start and of its stop. */
#define E2E_RUN_TIMEOUT_MS 60000
#define E2E_START_TIMEOUT_MS 10000
#define E2E_STOP_TIMEOUT_MS 10000

/* The center address every peer sends to. */
#define E2E_CENTER_ADDRESS "NACCS@EDIFACT.PROD.NACCS6"
#define E2E_HELO_DOMAIN "SYNTH.EXAMPLE.INVALID"
#define E2E_SENDER_ADDRESS "ZZX9A@SYNTH.EXAMPLE.INVALID"

/* Returns the value of environment variable @name, or NULL after printing
 * which variable is missing and how to get it set. */
const char *e2e_env (const char *name);

/* Outcome of one finished program run. */
typedef struct {
  gboolean timed_out;  /* killed after the timeout */
  int exit_status;     /* exit status, or -1 when killed by a signal */
  char *out;           /* all of standard output */
  char *err;           /* all of standard error */
} E2eRun;

/* Runs @argv (argv[0] a path or a name in PATH) with standard input from
 * /dev/null, collects its output and waits at most @timeout_ms.  Returns
 * FALSE, after printing why, only when the program could not be started. */
gboolean e2e_run (const char *const *argv, guint timeout_ms, E2eRun *run);
void e2e_run_clear (E2eRun *run);

/* A naccs-sim child process. */
typedef struct {
  GSubprocess *process;
  guint port;          /* the port it printed in "listening on" */
  char *work_dir;      /* holds its stdout and stderr files */
  char *out_path;
  char *err_path;
} E2eSim;

/* Starts naccs-sim on 127.0.0.1 port 0 with @spool (nullable) and the
 * options in @extra_args (nullable, NULL-terminated), and waits for its
 * "listening on" line.  Returns FALSE, after printing its stderr, when it
 * exits or prints nothing in time. */
gboolean e2e_sim_start (E2eSim *sim, const char *spool,
                        const char *const *extra_args);

/* Sends SIGTERM and waits for naccs-sim to exit.  Returns its exit status,
 * or -1 when it was killed after the timeout or by a signal. */
int e2e_sim_stop (E2eSim *sim);

/* Returns the text naccs-sim wrote to stderr so far. */
char *e2e_sim_stderr (E2eSim *sim);

void e2e_sim_clear (E2eSim *sim);

/* Creates a fresh temporary directory; the caller removes it with
 * e2e_remove_tree(). */
char *e2e_make_temp_dir (const char *what);

/* Removes @path and everything under it.  Quiet on a missing path. */
void e2e_remove_tree (const char *path);

/* Returns the names (not paths) of the files in @dir that end in @suffix,
 * sorted bytewise. */
GPtrArray *e2e_list_dir (const char *dir, const char *suffix);

/* Returns the sorted full paths of fixtures/@subdir/ x .edi. */
GPtrArray *e2e_fixture_paths (const char *subdir);

/* Returns what the server must store for @fixture: its bytes, plus CRLF
 * when it does not end in one, because the client must end the last line
 * before the terminating ".". */
GBytes *e2e_expected_message (const char *fixture);

/* How the messages of a run were sent, which decides their spool names:
 * naccs-sim names a message file s<session>-m<sequence>.msg, with session
 * ids counting up from 1 in a fresh spool and sequence numbers counting
 * every message the session started, accepted or not. */
typedef enum {
  E2E_SPOOL_ONE_SESSION,      /* fixture N is message N of session 1 */
  E2E_SPOOL_SESSION_EACH,     /* fixture N is message 1 of session N */
} E2eSpoolLayout;

/* Checks that @spool holds one .msg file per path in @fixtures, each equal
 * to e2e_expected_message() followed by @peer_suffix (nullable: the bytes a
 * peer is known to append).  Every missing or different message is its own
 * failed assertion naming the fixture. */
void e2e_assert_spool_matches (const char *spool, GPtrArray *fixtures,
                               E2eSpoolLayout layout,
                               const char *peer_suffix);

/* Returns the contents of the only file ending in @suffix in @dir, or NULL
 * after a failed assertion when there is not exactly one. */
char *e2e_read_only_file (const char *dir, const char *suffix);

/* Counts the lines of @text that contain @needle, ignoring ASCII case,
 * because SMTP commands are case-insensitive and peers such as smtplib send
 * them in lower case. */
guint e2e_count_lines_containing (const char *text, const char *needle);

/* Counts the client command lines of naccs-sim transcript @text whose verb
 * is @verb, ignoring ASCII case.  A transcript line is "SECONDS TAG TEXT"
 * where TAG "C:" (or "C!" when it arrived before the previous reply was
 * complete) marks a line from the client. */
guint e2e_count_client_commands (const char *text, const char *verb);

/* One test of a suite; a table of them ends with a zeroed entry. */
typedef struct {
  const char *name;
  CU_TestFunc func;
} E2eTest;

/* One suite of an end-to-end test program. */
typedef struct {
  const char *name;          /* "/e2e/naccs-send" */
  const char *requires;      /* nullable: program that must be in PATH */
  const E2eTest *tests;
} E2eSuite;

/* Registers @suites (ended by a zeroed entry) and runs them, or only the
 * one named in argv[1].  Returns 0 when all passed, 1 on a failure, and 77
 * (meson's "skipped") when the selected suite needs a missing program. */
int e2e_main (int argc, char **argv, const E2eSuite *suites);

G_END_DECLS
