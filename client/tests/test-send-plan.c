/* test-send-plan.c: naccs-send's retry logic against a scripted server.
 *
 * Each case sends a few message files through send_plan_execute() while
 * the scripted server of script-server.c drops, stalls or rejects on one
 * connection.  Besides the outcome the case expects, every run is checked
 * against the rules that matter to the center: a file reported accepted
 * got a complete 250 to its "."; a file that got that 250 is reported
 * accepted; no file reaches the server twice unless --resend-unknown asks
 * for it.  The last cases run the naccs-send program itself for its
 * options, exit status and JSON report.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <glib/gstdio.h>

#include "message-file.h"
#include "script-server.h"
#include "send-plan.h"
#include "test-registry.h"

#define HELO_DOMAIN "user.example.invalid"
#define FROM_ADDRESS "user@user.example.invalid"
#define TO_ADDRESS "NACCS@EDIFACT.PROD.NACCS6"

typedef struct {
  char *dir;
  char **paths;
  SendConfig config;
  SendRun run;
  ScriptServer *server;
} PlanCase;

/* Writes @count message files with IDs m1, m2, ... into a new directory. */
static void
plan_case_init (PlanCase *c, guint count)
{
  *c = (PlanCase) { 0 };
  c->dir = g_dir_make_tmp ("send-plan-XXXXXX", NULL);
  c->paths = g_new0 (char *, count + 1);
  for (guint i = 0; i < count; i++)
    {
      g_autofree char *id = g_strdup_printf ("m%u", i + 1);
      g_autofree char *name = g_strdup_printf ("%s.edi", id);
      g_autofree char *text = script_message (id, 3, 40);

      c->paths[i] = g_build_filename (c->dir, name, NULL);
      g_file_set_contents (c->paths[i], text, -1, NULL);
    }

  send_config_init (&c->config);
  c->config.host = g_strdup ("127.0.0.1");
  c->config.helo = HELO_DOMAIN;
  c->config.from = FROM_ADDRESS;
  c->config.to = TO_ADDRESS;
  c->config.timeouts = (NaccsClientTimeouts) { 2000, 250, 250, 250, 250 };
  c->config.retry_delay_ms = 0;
  c->config.max_retry_delay_ms = 0;
}

/* Runs the plan against a server following @rules, then stops it. */
static void
plan_case_run (PlanCase *c, const ScriptRule *rules, gsize n_rules)
{
  c->server = script_server_start (rules, n_rules);
  c->config.port = script_server_port (c->server);
  send_run_init (&c->run, c->paths);
  send_plan_execute (&c->config, &c->run);
  script_server_stop (c->server);
}

static void
plan_case_clear (PlanCase *c)
{
  for (guint i = 0; c->paths[i] != NULL; i++)
    g_unlink (c->paths[i]);
  g_rmdir (c->dir);
  g_strfreev (c->paths);
  g_free (c->dir);
  g_free (c->config.host);
  send_run_clear (&c->run);
  if (c->server != NULL)
    script_server_free (c->server);
}

/* Checks the rules of every run; @label names the case on failure. */
static void
check_invariants (const PlanCase *c, const char *label)
{
  for (guint i = 0; i < c->run.n_files; i++)
    {
      const SendFile *file = &c->run.files[i];
      g_autofree char *id = g_strdup_printf ("m%u", i + 1);
      guint acked = script_server_count_acked (c->server, id);
      guint stored = script_server_count_stored (c->server, id);
      gboolean accepted = file->outcome == SEND_OUTCOME_ACCEPTED;
      gboolean ok = (accepted ? acked >= 1 : acked == 0)
                    && (c->config.resend_unknown || stored <= 1)
                    && (file->outcome != SEND_OUTCOME_NOT_ATTEMPTED
                        || (stored == 0 && file->attempts == 0))
                    && (file->outcome != SEND_OUTCOME_UNKNOWN
                        || file->unknown_seen)
                    && file->done;

      if (!ok)
        fprintf (stderr, "\n  %s: %s: outcome %s, attempts %u, stored %u, "
                 "acked %u\n", label, id,
                 send_outcome_to_string (file->outcome), file->attempts,
                 stored, acked);
      CU_ASSERT_TRUE (ok);
    }
}

static gboolean
outcome_is (const PlanCase *c, guint index, SendOutcome want,
            const char *label)
{
  SendOutcome got = c->run.files[index].outcome;

  if (got == want)
    return TRUE;
  fprintf (stderr, "\n  %s: file %u: got %s, want %s (%s)\n", label,
           index + 1, send_outcome_to_string (got),
           send_outcome_to_string (want),
           c->run.files[index].detail ? c->run.files[index].detail : "");
  return FALSE;
}

static const ScriptEvent resumable_events[] = {
  EVENT_GREETING, EVENT_HELO, EVENT_MAIL, EVENT_RCPT, EVENT_DATA, EVENT_DOT,
  EVENT_QUIT,
};

static const char *const event_names[] = {
  [EVENT_GREETING] = "greeting", [EVENT_HELO] = "HELO",
  [EVENT_MAIL] = "MAIL", [EVENT_RCPT] = "RCPT", [EVENT_DATA] = "DATA",
  [EVENT_BODY] = "data", [EVENT_DOT] = ".", [EVENT_RSET] = "RSET",
  [EVENT_QUIT] = "QUIT",
};

/* Checks a run whose first connection failed at @event with two files. */
static void
check_resumed (const PlanCase *c, ScriptEvent event, const char *label)
{
  check_invariants (c, label);
  if (event == EVENT_QUIT)
    {
      CU_ASSERT_TRUE (outcome_is (c, 0, SEND_OUTCOME_ACCEPTED, label));
      CU_ASSERT_EQUAL (script_server_connections (c->server), 1);
    }
  else if (event == EVENT_DOT)
    {
      CU_ASSERT_TRUE (outcome_is (c, 0, SEND_OUTCOME_UNKNOWN, label));
      CU_ASSERT_EQUAL (script_server_connections (c->server), 2);
    }
  else
    {
      CU_ASSERT_TRUE (outcome_is (c, 0, SEND_OUTCOME_ACCEPTED, label));
      CU_ASSERT_EQUAL (script_server_connections (c->server), 2);
    }
  CU_ASSERT_TRUE (outcome_is (c, 1, SEND_OUTCOME_ACCEPTED, label));
  CU_ASSERT_EQUAL (send_report_exit_status (&c->run),
                   event == EVENT_DOT ? 1 : 0);
}

/* Proves a drop at each byte of each reply resumes on a new connection
 * with nothing lost and nothing sent twice. */
static void
test_drop_every_byte_resumes (void)
{
  for (gsize e = 0; e < G_N_ELEMENTS (resumable_events); e++)
    {
      ScriptEvent event = resumable_events[e];
      gsize len = strlen (script_server_default_reply (event));

      for (gsize cut = 0; cut < len; cut++)
        {
          ScriptRule rule = { 1, event, 1, FAULT_CUT, cut, NULL };
          g_autofree char *label = g_strdup_printf ("cut %s after %zu",
                                                    event_names[event], cut);
          PlanCase c;

          plan_case_init (&c, 2);
          plan_case_run (&c, &rule, 1);
          check_resumed (&c, event, label);
          plan_case_clear (&c);
        }
    }
}

/* Proves a drop at each byte of the reply to RSET resumes too. */
static void
test_drop_rset_resumes (void)
{
  gsize len = strlen (script_server_default_reply (EVENT_RSET));

  for (gsize cut = 0; cut < len; cut++)
    {
      ScriptRule rules[] = {
        { 1, EVENT_MAIL, 1, FAULT_REPLY, 0, "451 later\r\n" },
        { 1, EVENT_RSET, 1, FAULT_CUT, cut, NULL },
      };
      g_autofree char *label = g_strdup_printf ("cut RSET after %zu", cut);
      PlanCase c;

      plan_case_init (&c, 2);
      plan_case_run (&c, rules, G_N_ELEMENTS (rules));
      check_invariants (&c, label);
      CU_ASSERT_TRUE (outcome_is (&c, 0, SEND_OUTCOME_ACCEPTED, label));
      CU_ASSERT_TRUE (outcome_is (&c, 1, SEND_OUTCOME_ACCEPTED, label));
      CU_ASSERT_EQUAL (c.run.files[0].attempts, 2);
      CU_ASSERT_EQUAL (script_server_connections (c.server), 2);
      plan_case_clear (&c);
    }
}

/* Proves a silent server at each step times out and resumes. */
static void
test_silent_each_step_resumes (void)
{
  for (gsize e = 0; e < G_N_ELEMENTS (resumable_events); e++)
    {
      ScriptEvent event = resumable_events[e];
      ScriptRule rule = { 1, event, 1, FAULT_SILENT, 0, NULL };
      g_autofree char *label = g_strdup_printf ("silent at %s",
                                                event_names[event]);
      gint64 start = g_get_monotonic_time ();
      PlanCase c;

      plan_case_init (&c, 2);
      plan_case_run (&c, &rule, 1);
      CU_ASSERT_TRUE (g_get_monotonic_time () - start < 3 * G_USEC_PER_SEC);
      check_resumed (&c, event, label);
      plan_case_clear (&c);
    }
}

/* Proves a reset in the message data loses and duplicates nothing. */
static void
test_reset_during_data (void)
{
  static const gsize reset_after[] = { 1, 10, 30 };

  for (gsize i = 0; i < G_N_ELEMENTS (reset_after); i++)
    {
      ScriptRule rule = { 1, EVENT_BODY, 1, FAULT_RESET, reset_after[i],
                          NULL };
      g_autofree char *label = g_strdup_printf ("reset after %zu",
                                                reset_after[i]);
      PlanCase c;

      plan_case_init (&c, 2);
      plan_case_run (&c, &rule, 1);
      check_invariants (&c, label);
      /* The first file is accepted on the next connection, or unknown
       * when its "." was already in the kernel. */
      CU_ASSERT_TRUE (c.run.files[0].outcome == SEND_OUTCOME_ACCEPTED
                      || c.run.files[0].outcome == SEND_OUTCOME_UNKNOWN);
      CU_ASSERT_TRUE (outcome_is (&c, 1, SEND_OUTCOME_ACCEPTED, label));
      CU_ASSERT_EQUAL (script_server_connections (c.server), 2);
      plan_case_clear (&c);
    }
}

/* Proves 421 ends the connection without QUIT and the next connection
 * resumes with the first file not accepted. */
static void
test_421_resumes_next_file (void)
{
  static const char want_first[] = "HELO " HELO_DOMAIN "\n"
                                   "MAIL FROM:<" FROM_ADDRESS ">\n"
                                   "RCPT TO:<" TO_ADDRESS ">\n"
                                   "DATA\n<data>\n.\n"
                                   "MAIL FROM:<" FROM_ADDRESS ">\n"
                                   "RCPT TO:<" TO_ADDRESS ">\n";
  ScriptRule rule = { 1, EVENT_RCPT, 2, FAULT_REPLY, 0, "421 closing\r\n" };
  GPtrArray *deliveries;
  PlanCase c;

  plan_case_init (&c, 3);
  plan_case_run (&c, &rule, 1);
  check_invariants (&c, "421");
  for (guint i = 0; i < 3; i++)
    CU_ASSERT_TRUE (outcome_is (&c, i, SEND_OUTCOME_ACCEPTED, "421"));
  CU_ASSERT_STRING_EQUAL (script_server_commands (c.server, 1), want_first);
  CU_ASSERT_TRUE (g_str_has_suffix (script_server_commands (c.server, 2),
                                    "QUIT\n"));

  deliveries = script_server_deliveries (c.server);
  CU_ASSERT_EQUAL_FATAL (deliveries->len, 3);
  CU_ASSERT_STRING_EQUAL (((ScriptDelivery *) deliveries->pdata[1])->id,
                          "m2");
  CU_ASSERT_EQUAL (((ScriptDelivery *) deliveries->pdata[1])->connection, 2);
  CU_ASSERT_EQUAL (c.run.files[1].attempts, 2);
  plan_case_clear (&c);
}

/* Proves an unknown outcome is not resent, unless resend_unknown. */
static void
test_unknown_resend_flag (void)
{
  for (guint resend = 0; resend < 2; resend++)
    {
      ScriptRule rule = { 1, EVENT_DOT, 1, FAULT_CUT, 0, NULL };
      const char *label = resend ? "resend unknown" : "keep unknown";
      PlanCase c;

      plan_case_init (&c, 2);
      c.config.resend_unknown = resend;
      plan_case_run (&c, &rule, 1);
      check_invariants (&c, label);
      CU_ASSERT_TRUE (outcome_is (&c, 0, resend ? SEND_OUTCOME_ACCEPTED
                                                : SEND_OUTCOME_UNKNOWN,
                                  label));
      CU_ASSERT_EQUAL (script_server_count_stored (c.server, "m1"),
                       resend ? 2 : 1);
      CU_ASSERT_EQUAL (script_server_count_acked (c.server, "m1"),
                       resend ? 1 : 0);
      CU_ASSERT_EQUAL (c.run.files[0].attempts, resend ? 2 : 1);
      CU_ASSERT_TRUE (outcome_is (&c, 1, SEND_OUTCOME_ACCEPTED, label));
      plan_case_clear (&c);
    }
}

/* Proves a 4xx retries the file later on the same connection. */
static void
test_retry_later_same_connection (void)
{
  ScriptRule rule = { 1, EVENT_MAIL, 1, FAULT_REPLY, 0, "451 later\r\n" };
  GPtrArray *deliveries;
  PlanCase c;

  plan_case_init (&c, 2);
  plan_case_run (&c, &rule, 1);
  check_invariants (&c, "retry later");
  CU_ASSERT_TRUE (outcome_is (&c, 0, SEND_OUTCOME_ACCEPTED, "retry later"));
  CU_ASSERT_TRUE (outcome_is (&c, 1, SEND_OUTCOME_ACCEPTED, "retry later"));
  CU_ASSERT_EQUAL (script_server_connections (c.server), 1);
  CU_ASSERT_EQUAL (c.run.files[0].attempts, 2);
  deliveries = script_server_deliveries (c.server);
  CU_ASSERT_EQUAL_FATAL (deliveries->len, 2);
  CU_ASSERT_STRING_EQUAL (((ScriptDelivery *) deliveries->pdata[0])->id,
                          "m2");
  plan_case_clear (&c);
}

/* Proves attempts per file are bounded and end as rejected. */
static void
test_attempts_bounded (void)
{
  ScriptRule rule = { 0, EVENT_MAIL, 0, FAULT_REPLY, 0, "452 full\r\n" };
  PlanCase c;

  plan_case_init (&c, 2);
  c.config.max_attempts = 3;
  plan_case_run (&c, &rule, 1);
  check_invariants (&c, "bounded");
  for (guint i = 0; i < 2; i++)
    {
      CU_ASSERT_TRUE (outcome_is (&c, i, SEND_OUTCOME_REJECTED, "bounded"));
      CU_ASSERT_EQUAL (c.run.files[i].attempts, 3);
      CU_ASSERT_EQUAL (c.run.files[i].reply_code, 452);
    }
  CU_ASSERT_EQUAL (script_server_connections (c.server), 1);
  CU_ASSERT_TRUE (g_str_has_suffix (script_server_commands (c.server, 1),
                                    "RSET\nQUIT\n"));
  plan_case_clear (&c);
}

/* Proves a 5xx to "." is reported and never resent. */
static void
test_permanent_not_resent (void)
{
  ScriptRule rule = { 1, EVENT_DOT, 1, FAULT_REPLY, 0, "554 bad\r\n" };
  PlanCase c;

  plan_case_init (&c, 2);
  plan_case_run (&c, &rule, 1);
  check_invariants (&c, "554");
  CU_ASSERT_TRUE (outcome_is (&c, 0, SEND_OUTCOME_REJECTED, "554"));
  CU_ASSERT_EQUAL (c.run.files[0].attempts, 1);
  CU_ASSERT_EQUAL (c.run.files[0].step, NACCS_CLIENT_STEP_DATA_END);
  CU_ASSERT_TRUE (outcome_is (&c, 1, SEND_OUTCOME_ACCEPTED, "554"));
  plan_case_clear (&c);
}

/* Proves files changed after naccs-send's check put nothing invalid on
 * the wire: checked octets that were kept go out as they were checked,
 * and a file read again before sending is validated again.  m1 is kept
 * and then spoiled, m2 is spoiled and m3 deleted before they are read
 * again, m4 is read again unchanged. */
static void
test_changed_after_check (void)
{
  static const char spoiled[] = "ID m\r\nbare\nLF\r\n";
  g_autoptr (GError) error = NULL;
  GPtrArray *deliveries;
  PlanCase c;

  plan_case_init (&c, 4);
  c.server = script_server_start (NULL, 0);
  c.config.port = script_server_port (c.server);
  send_run_init (&c.run, c.paths);
  CU_ASSERT_TRUE (message_file_check (c.paths[0], 4096,
                                      &c.run.files[0].contents, &error));
  CU_ASSERT_PTR_NOT_NULL (c.run.files[0].contents);
  g_file_set_contents (c.paths[0], spoiled, -1, NULL);
  g_file_set_contents (c.paths[1], spoiled, -1, NULL);
  g_unlink (c.paths[2]);

  send_plan_execute (&c.config, &c.run);
  script_server_stop (c.server);
  check_invariants (&c, "changed");
  CU_ASSERT_TRUE (outcome_is (&c, 0, SEND_OUTCOME_ACCEPTED, "kept"));
  CU_ASSERT_TRUE (outcome_is (&c, 1, SEND_OUTCOME_FAILED, "spoiled"));
  CU_ASSERT_PTR_NOT_NULL (strstr (c.run.files[1].detail, "line 2 "));
  CU_ASSERT_TRUE (outcome_is (&c, 2, SEND_OUTCOME_FAILED, "deleted"));
  CU_ASSERT_PTR_NOT_NULL (strstr (c.run.files[2].detail, "cannot read"));
  CU_ASSERT_TRUE (outcome_is (&c, 3, SEND_OUTCOME_ACCEPTED, "read again"));
  CU_ASSERT_PTR_NULL (c.run.files[0].contents);

  deliveries = script_server_deliveries (c.server);
  CU_ASSERT_EQUAL_FATAL (deliveries->len, 2);
  CU_ASSERT_STRING_EQUAL (((ScriptDelivery *) deliveries->pdata[0])->id,
                          "m1");
  CU_ASSERT_STRING_EQUAL (((ScriptDelivery *) deliveries->pdata[1])->id,
                          "m4");
  CU_ASSERT_STRING_EQUAL (script_server_commands (c.server, 1),
                          "HELO " HELO_DOMAIN "\n"
                          "MAIL FROM:<" FROM_ADDRESS ">\n"
                          "RCPT TO:<" TO_ADDRESS ">\nDATA\n<data>\n.\n"
                          "MAIL FROM:<" FROM_ADDRESS ">\n"
                          "RCPT TO:<" TO_ADDRESS ">\nDATA\n<data>\n.\n"
                          "QUIT\n");
  plan_case_clear (&c);
}

/* Proves a refused connection is retried max_attempts times, then every
 * file is reported as not attempted. */
static void
test_connect_attempts_bounded (void)
{
  PlanCase c;

  plan_case_init (&c, 2);
  c.server = script_server_start (NULL, 0);
  c.config.port = script_server_port (c.server);
  script_server_free (c.server);
  c.server = NULL;

  send_run_init (&c.run, c.paths);
  send_plan_execute (&c.config, &c.run);
  CU_ASSERT_EQUAL (c.run.connections, 3);
  CU_ASSERT_TRUE (outcome_is (&c, 0, SEND_OUTCOME_NOT_ATTEMPTED, "refused"));
  CU_ASSERT_TRUE (outcome_is (&c, 1, SEND_OUTCOME_NOT_ATTEMPTED, "refused"));
  CU_ASSERT_EQUAL (send_report_exit_status (&c.run), 1);
  plan_case_clear (&c);
}

/* Proves a refusing greeting or HELO ends the session at once, with QUIT
 * on the connection that refused. */
static void
test_refusal_gives_up_session (void)
{
  static const struct {
    ScriptRule rule;
    const char *want_commands;
  } cases[] = {
    { { 1, EVENT_GREETING, 1, FAULT_REPLY, 0, "554 no service\r\n" },
      "QUIT\n" },
    { { 1, EVENT_HELO, 1, FAULT_REPLY, 0, "550 unknown domain\r\n" },
      "HELO " HELO_DOMAIN "\nQUIT\n" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      PlanCase c;

      plan_case_init (&c, 2);
      plan_case_run (&c, &cases[i].rule, 1);
      CU_ASSERT_EQUAL (script_server_connections (c.server), 1);
      CU_ASSERT_STRING_EQUAL (script_server_commands (c.server, 1),
                              cases[i].want_commands);
      CU_ASSERT_TRUE (outcome_is (&c, 0, SEND_OUTCOME_NOT_ATTEMPTED,
                                  "refusal"));
      CU_ASSERT_PTR_NOT_NULL (c.run.session_error);
      plan_case_clear (&c);
    }
}

/* Writes @text as an action table file in @c's directory and loads it. */
static NaccsClientActionTable *
load_table (const PlanCase *c, const char *text)
{
  g_autofree char *path = g_build_filename (c->dir, "table.yaml", NULL);
  NaccsClientActionTable *table;

  g_file_set_contents (path, text, -1, NULL);
  table = naccs_client_action_table_load_file (path, NULL);
  g_unlink (path);
  return table;
}

/* Proves a reconnect after a usable reply sends QUIT before closing, and
 * the file keeps the step that failed, not the QUIT after it. */
static void
test_reconnect_quits_first (void)
{
  static const struct {
    const char *label;
    ScriptRule rules[2];
    gsize n_rules;
    const char *table;
    const char *want_suffix; /* of connection 1's commands */
    SendOutcome want_first;
    NaccsClientStep want_step;
    guint want_code;
  } cases[] = {
    { "HELO 451", { { 1, EVENT_HELO, 1, FAULT_REPLY, 0, "451 later\r\n" } },
      1, NULL, "HELO " HELO_DOMAIN "\nQUIT\n", SEND_OUTCOME_ACCEPTED,
      NACCS_CLIENT_STEP_DATA_END, 250 },
    { "RSET 451", { { 1, EVENT_RCPT, 1, FAULT_REPLY, 0, "550 no\r\n" },
                    { 1, EVENT_RSET, 1, FAULT_REPLY, 0, "451 later\r\n" } },
      2, NULL, "RSET\nQUIT\n", SEND_OUTCOME_REJECTED,
      NACCS_CLIENT_STEP_RCPT, 550 },
    { "MAIL 451 to reconnect",
      { { 1, EVENT_MAIL, 1, FAULT_REPLY, 0, "451 later\r\n" } }, 1,
      "mail:\n  45x: reconnect\n", "MAIL FROM:<" FROM_ADDRESS ">\nQUIT\n",
      SEND_OUTCOME_REJECTED, NACCS_CLIENT_STEP_MAIL, 451 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (NaccsClientActionTable) table = NULL;
      const char *commands;
      PlanCase c;

      plan_case_init (&c, 2);
      /* One attempt per file, so the first file ends with its failure. */
      c.config.max_attempts = cases[i].want_first == SEND_OUTCOME_ACCEPTED
                                  ? 3 : 1;
      if (cases[i].table != NULL)
        {
          table = load_table (&c, cases[i].table);
          CU_ASSERT_PTR_NOT_NULL_FATAL (table);
          c.config.table = table;
        }
      plan_case_run (&c, cases[i].rules, cases[i].n_rules);
      commands = script_server_commands (c.server, 1);

      check_invariants (&c, cases[i].label);
      if (!g_str_has_suffix (commands, cases[i].want_suffix))
        fprintf (stderr, "\n  %s: connection 1 got \"%s\"\n",
                 cases[i].label, commands);
      CU_ASSERT_TRUE (g_str_has_suffix (commands, cases[i].want_suffix));
      CU_ASSERT_EQUAL (script_server_connections (c.server), 2);
      CU_ASSERT_TRUE (outcome_is (&c, 0, cases[i].want_first,
                                  cases[i].label));
      CU_ASSERT_EQUAL (c.run.files[0].step, cases[i].want_step);
      CU_ASSERT_EQUAL (c.run.files[0].reply_code, cases[i].want_code);
      CU_ASSERT_TRUE (outcome_is (&c, 1, SEND_OUTCOME_ACCEPTED,
                                  cases[i].label));
      plan_case_clear (&c);
    }
}

/* Proves the back-off grows by the factor and stops at the maximum. */
static void
test_backoff_limits (void)
{
  static const struct {
    guint delay;
    double factor;
    guint max;
    guint retry;
    guint want;
  } cases[] = {
    { 100, 2.0, 350, 1, 100 }, { 100, 2.0, 350, 2, 200 },
    { 100, 2.0, 350, 3, 350 }, { 100, 2.0, 350, 50, 350 },
    { 100, 1.0, 350, 9, 100 }, { 0, 2.0, 0, 5, 0 },
    { 5000, 2.0, 60000, 4, 40000 }, { 5000, 10.0, 60000, 100, 60000 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SendConfig config;
      guint got;

      send_config_init (&config);
      config.retry_delay_ms = cases[i].delay;
      config.backoff_factor = cases[i].factor;
      config.max_retry_delay_ms = cases[i].max;
      got = send_plan_backoff_ms (&config, cases[i].retry);
      if (got != cases[i].want)
        fprintf (stderr, "\n  case %zu: got %u ms, want %u ms\n", i, got,
                 cases[i].want);
      CU_ASSERT_EQUAL (got, cases[i].want);
    }
}

static gpointer
cancel_later (gpointer user_data)
{
  g_usleep (100 * 1000);
  g_cancellable_cancel (user_data);
  return NULL;
}

/* Proves a cancel from another thread ends a long back-off promptly. */
static void
test_cancel_during_backoff (void)
{
  ScriptRule rule = { 1, EVENT_MAIL, 1, FAULT_CUT, 0, NULL };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GThread *thread;
  gint64 start;
  PlanCase c;

  plan_case_init (&c, 2);
  c.config.retry_delay_ms = 10000;
  c.config.max_retry_delay_ms = 10000;
  c.config.cancellable = cancellable;
  thread = g_thread_new ("cancel", cancel_later, cancellable);
  start = g_get_monotonic_time ();
  plan_case_run (&c, &rule, 1);
  g_thread_join (thread);

  CU_ASSERT_TRUE (g_get_monotonic_time () - start < G_USEC_PER_SEC);
  check_invariants (&c, "cancel");
  CU_ASSERT_TRUE (outcome_is (&c, 0, SEND_OUTCOME_FAILED, "cancel"));
  CU_ASSERT_TRUE (outcome_is (&c, 1, SEND_OUTCOME_NOT_ATTEMPTED, "cancel"));
  plan_case_clear (&c);
}

/* Proves a cancel during a retry-later back-off ends the open connection
 * with QUIT, promptly, and marks the run cancelled. */
static void
test_cancel_sends_quit (void)
{
  ScriptRule rule = { 1, EVENT_MAIL, 1, FAULT_REPLY, 0, "451 later\r\n" };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GThread *thread;
  gint64 start;
  PlanCase c;

  plan_case_init (&c, 2);
  c.config.retry_delay_ms = 10000;
  c.config.max_retry_delay_ms = 10000;
  c.config.cancellable = cancellable;
  thread = g_thread_new ("cancel", cancel_later, cancellable);
  start = g_get_monotonic_time ();
  plan_case_run (&c, &rule, 1);
  g_thread_join (thread);

  CU_ASSERT_TRUE (g_get_monotonic_time () - start < G_USEC_PER_SEC);
  check_invariants (&c, "cancel");
  CU_ASSERT_TRUE (g_str_has_suffix (script_server_commands (c.server, 1),
                                    "RSET\nMAIL FROM:<" FROM_ADDRESS ">\n"
                                    "RCPT TO:<" TO_ADDRESS ">\nDATA\n"
                                    "<data>\n.\nQUIT\n"));
  CU_ASSERT_TRUE (outcome_is (&c, 0, SEND_OUTCOME_REJECTED, "cancel"));
  CU_ASSERT_EQUAL (c.run.files[0].reply_code, 451);
  CU_ASSERT_TRUE (outcome_is (&c, 1, SEND_OUTCOME_ACCEPTED, "cancel"));
  CU_ASSERT_TRUE (c.run.cancelled);
  CU_ASSERT_EQUAL (send_report_exit_status (&c.run), 1);
  plan_case_clear (&c);
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text;
}

/* Proves the JSON report records each attempt and each outcome. */
static void
test_json_report (void)
{
  ScriptRule rule = { 1, EVENT_DOT, 1, FAULT_CUT, 0, NULL };
  g_autofree char *path = NULL;
  g_autofree char *json = NULL;
  g_autoptr (GError) error = NULL;
  PlanCase c;

  plan_case_init (&c, 2);
  plan_case_run (&c, &rule, 1);
  path = g_build_filename (c.dir, "report.json", NULL);
  CU_ASSERT_TRUE (send_report_write_json (&c.run, &c.config, path, &error));
  json = read_text (path);
  CU_ASSERT_PTR_NOT_NULL_FATAL (json);

  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"exit_status\": 1"));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"connections\": 2"));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"cancelled\": false"));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"session_error\": null"));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"outcome\": \"unknown\", "
                                        "\"attempts\": 1"));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"outcome\": \"accepted\""));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"connection\": 1, \"file\": "));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"step\": \"data-end\", "
                                        "\"reply_code\": null"));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"action\": \"reconnect\""));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"step\": \"greeting\", "
                                        "\"reply_code\": 220"));
  g_unlink (path);
  plan_case_clear (&c);
}

typedef struct {
  int status;
  char *out;
  char *err;
} ToolRun;

/* Runs naccs-send with @args after the server and identity options. */
static gboolean
run_tool (guint16 port, const char *const *args, ToolRun *run)
{
  const char *tool = g_getenv ("NACCS_SEND");
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) process = NULL;

  if (tool == NULL)
    return FALSE;
  g_ptr_array_add (argv, g_strdup (tool));
  g_ptr_array_add (argv, g_strdup_printf ("--server=127.0.0.1:%u", port));
  g_ptr_array_add (argv, g_strdup ("--helo=" HELO_DOMAIN));
  g_ptr_array_add (argv, g_strdup ("--from=" FROM_ADDRESS));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               NULL);
  if (process == NULL
      || !g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out,
                                         &run->err, NULL))
    return FALSE;
  run->status = g_subprocess_get_exit_status (process);
  return TRUE;
}

static void
tool_run_clear (ToolRun *run)
{
  g_free (run->out);
  g_free (run->err);
}

/* Proves bad options and a bad table exit 2 with the value named. */
static void
test_tool_usage_errors (void)
{
  g_autofree char *dir = g_dir_make_tmp ("send-plan-XXXXXX", NULL);
  g_autofree char *table = g_build_filename (dir, "bad.yaml", NULL);
  g_autofree char *message = g_build_filename (dir, "m1.edi", NULL);
  g_autofree char *table_option = g_strdup_printf ("--action-table=%s",
                                                   table);
  g_autofree char *want_table = g_strdup_printf ("%s:2:8: unknown action",
                                                 table);
  const struct {
    const char *args[4];
    const char *want;
  } cases[] = {
    { { "--max-attempts=0", message, NULL },
      "invalid value \"0\" for --max-attempts" },
    { { "--retry-delay=-1", message, NULL },
      "invalid value \"-1\" for --retry-delay" },
    { { "--backoff-factor=0.5", message, NULL },
      "invalid value \"0.5\" for --backoff-factor" },
    { { "--retry-delay=10", "--max-retry-delay=1", message, NULL },
      "--max-retry-delay (1000 ms) is shorter than --retry-delay" },
    { { "--report=xml:out", message, NULL },
      "invalid --report \"xml:out\": give json:FILE" },
    { { "--send-timeout=0", message, NULL },
      "invalid value \"0\" for --send-timeout" },
    { { table_option, message, NULL }, want_table },
  };

  g_file_set_contents (table, "mail:\n  4xx: later\n", -1, NULL);
  g_file_set_contents (message, "NHDR x\r\nID m1\r\n", -1, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ToolRun run = { 0 };

      CU_ASSERT_TRUE_FATAL (run_tool (9, cases[i].args, &run));
      CU_ASSERT_EQUAL (run.status, 2);
      if (run.err == NULL || strstr (run.err, cases[i].want) == NULL)
        {
          fprintf (stderr, "\n  case %zu: stderr \"%s\" lacks \"%s\"\n", i,
                   run.err ? run.err : "", cases[i].want);
          CU_FAIL ("usage error message");
        }
      tool_run_clear (&run);
    }
  g_unlink (table);
  g_unlink (message);
  g_rmdir (dir);
}

/* Proves a file that cannot be sent stops naccs-send with status 2 before
 * it connects, and the JSON report lists every file as not attempted. */
static void
test_tool_refused_file_report (void)
{
  g_autofree char *dir = g_dir_make_tmp ("send-plan-XXXXXX", NULL);
  g_autofree char *good = g_build_filename (dir, "m1.edi", NULL);
  g_autofree char *bad = g_build_filename (dir, "m2.edi", NULL);
  g_autofree char *report = g_build_filename (dir, "report.json", NULL);
  g_autofree char *report_option = g_strdup_printf ("--report=json:%s",
                                                    report);
  g_autofree char *long_line = g_strnfill (999, 'x');
  g_autofree char *bad_text = g_strdup_printf ("ID m2\r\n%s\r\n", long_line);
  g_autofree char *json = NULL;
  const char *args[] = { report_option, good, bad, NULL };
  ToolRun run = { 0 };

  g_file_set_contents (good, "NHDR x\r\nID m1\r\n", -1, NULL);
  g_file_set_contents (bad, bad_text, -1, NULL);
  CU_ASSERT_TRUE_FATAL (run_tool (9, args, &run));
  json = read_text (report);

  CU_ASSERT_EQUAL (run.status, 2);
  CU_ASSERT_PTR_NOT_NULL (strstr (run.err, "line 2 is 1001 octets"));
  CU_ASSERT_PTR_NOT_NULL_FATAL (json);
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"exit_status\": 2"));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"connections\": 0"));
  CU_ASSERT_PTR_NULL (strstr (json, "\"outcome\": \"accepted\""));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "m1.edi\", \"outcome\": "
                                        "\"not-attempted\""));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "m2.edi\", \"outcome\": "
                                        "\"not-attempted\""));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "cannot be sent: line 2 is 1001 "
                                        "octets"));
  tool_run_clear (&run);
  g_unlink (good);
  g_unlink (bad);
  g_unlink (report);
  g_rmdir (dir);
}

/* Runs naccs-send like run_tool() and sends it @signal_number after
 * @delay_ms; *@elapsed_ms is the time from the signal to its exit. */
static gboolean
run_tool_signalled (guint16 port, const char *const *args, guint delay_ms,
                    int signal_number, ToolRun *run, gint64 *elapsed_ms)
{
  const char *tool = g_getenv ("NACCS_SEND");
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) process = NULL;
  gint64 start;

  if (tool == NULL)
    return FALSE;
  g_ptr_array_add (argv, g_strdup (tool));
  g_ptr_array_add (argv, g_strdup_printf ("--server=127.0.0.1:%u", port));
  g_ptr_array_add (argv, g_strdup ("--helo=" HELO_DOMAIN));
  g_ptr_array_add (argv, g_strdup ("--from=" FROM_ADDRESS));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               NULL);
  if (process == NULL)
    return FALSE;
  g_usleep ((gulong) delay_ms * 1000);
  start = g_get_monotonic_time ();
  g_subprocess_send_signal (process, signal_number);
  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out,
                                      &run->err, NULL))
    return FALSE;
  *elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  run->status = g_subprocess_get_if_exited (process)
                    ? g_subprocess_get_exit_status (process) : -1;
  return TRUE;
}

/* Proves SIGTERM and SIGINT during a back-off end naccs-send within a
 * second with status 1: QUIT on an open connection, the files not yet
 * sent reported as not attempted, and "cancelled" in the JSON report. */
static void
test_tool_signal_cancels (void)
{
  static const struct {
    const char *label;
    int signal_number;
    ScriptRule rule;
    const char *want_lines[3];
    const char *want_commands_suffix; /* of connection 1 */
  } cases[] = {
    { "SIGTERM after 421", SIGTERM,
      { 1, EVENT_MAIL, 1, FAULT_REPLY, 0, "421 closing\r\n" },
      { "m1.edi: rejected temporarily (reply code 421 to MAIL FROM)\n",
        "m2.edi: not attempted: cancelled\n",
        "m3.edi: not attempted: cancelled\n" },
      "MAIL FROM:<" FROM_ADDRESS ">\n" },
    { "SIGINT after 451", SIGINT,
      { 1, EVENT_MAIL, 1, FAULT_REPLY, 0, "451 later\r\n" },
      { "m1.edi: rejected temporarily (reply code 451 to MAIL FROM)\n",
        "m2.edi: accepted (reply code 250)\n",
        "m3.edi: accepted (reply code 250)\n" },
      ".\nQUIT\n" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *report = NULL;
      g_autofree char *report_option = NULL;
      g_autofree char *json = NULL;
      const char *commands;
      gint64 elapsed_ms = 0;
      ToolRun run = { 0 };
      PlanCase c;

      plan_case_init (&c, 3);
      c.server = script_server_start (&cases[i].rule, 1);
      report = g_build_filename (c.dir, "report.json", NULL);
      report_option = g_strdup_printf ("--report=json:%s", report);
      {
        const char *args[] = { "--retry-delay=30", report_option, c.paths[0],
                               c.paths[1], c.paths[2], NULL };

        CU_ASSERT_TRUE_FATAL (run_tool_signalled (
            script_server_port (c.server), args, 1000,
            cases[i].signal_number, &run, &elapsed_ms));
      }
      script_server_stop (c.server);
      commands = script_server_commands (c.server, 1);
      json = read_text (report);

      CU_ASSERT_EQUAL (run.status, 1);
      CU_ASSERT_TRUE (elapsed_ms < 1000);
      for (gsize l = 0; l < G_N_ELEMENTS (cases[i].want_lines); l++)
        {
          if (strstr (run.out, cases[i].want_lines[l]) == NULL)
            fprintf (stderr, "\n  %s: stdout \"%s\" lacks \"%s\"\n",
                     cases[i].label, run.out, cases[i].want_lines[l]);
          CU_ASSERT_PTR_NOT_NULL (strstr (run.out, cases[i].want_lines[l]));
        }
      CU_ASSERT_PTR_NOT_NULL (strstr (run.err, " received: ending the "
                                               "session"));
      CU_ASSERT_TRUE (g_str_has_suffix (commands,
                                        cases[i].want_commands_suffix));
      CU_ASSERT_EQUAL (script_server_connections (c.server), 1);
      CU_ASSERT_PTR_NOT_NULL (json ? strstr (json, "\"cancelled\": true")
                                   : NULL);
      tool_run_clear (&run);
      g_unlink (report);
      send_run_init (&c.run, c.paths);
      plan_case_clear (&c);
    }
}

/* Proves naccs-send resumes after a drop, prints one line per file, writes
 * the JSON report and exits 1 for an unknown outcome. */
static void
test_tool_report_and_status (void)
{
  ScriptRule rule = { 1, EVENT_DOT, 1, FAULT_CUT, 3, NULL };
  g_autofree char *report = NULL;
  g_autofree char *report_option = NULL;
  g_autofree char *json = NULL;
  ToolRun run = { 0 };
  PlanCase c;

  plan_case_init (&c, 2);
  c.server = script_server_start (&rule, 1);
  report = g_build_filename (c.dir, "report.json", NULL);
  report_option = g_strdup_printf ("--report=json:%s", report);
  {
    const char *args[] = { "--retry-delay=0", "--reply-timeout=2",
                           report_option, c.paths[0], c.paths[1], NULL };

    CU_ASSERT_TRUE_FATAL (run_tool (script_server_port (c.server), args,
                                    &run));
  }
  script_server_stop (c.server);

  CU_ASSERT_EQUAL (run.status, 1);
  CU_ASSERT_PTR_NOT_NULL (strstr (run.out, "m1.edi: outcome unknown: "));
  CU_ASSERT_PTR_NOT_NULL (strstr (run.out,
                                  "m2.edi: accepted (reply code 250)\n"));
  json = read_text (report);
  CU_ASSERT_PTR_NOT_NULL (json ? strstr (json, "\"outcome\": \"unknown\"")
                               : NULL);
  CU_ASSERT_EQUAL (script_server_count_stored (c.server, "m1"), 1);
  CU_ASSERT_EQUAL (script_server_count_acked (c.server, "m2"), 1);
  tool_run_clear (&run);
  g_unlink (report);
  /* The plan itself did not run here; give the cleanup an empty run. */
  send_run_init (&c.run, c.paths);
  plan_case_clear (&c);
}

int
main (void)
{
  static const TestEntry fault_tests[] = {
    { "drop at every byte resumes", test_drop_every_byte_resumes },
    { "drop in RSET resumes", test_drop_rset_resumes },
    { "silent at each step resumes", test_silent_each_step_resumes },
    { "reset during data", test_reset_during_data },
    { "421 resumes next file", test_421_resumes_next_file },
  };
  static const TestEntry rule_tests[] = {
    { "unknown resend flag", test_unknown_resend_flag },
    { "retry later same connection", test_retry_later_same_connection },
    { "attempts bounded", test_attempts_bounded },
    { "permanent not resent", test_permanent_not_resent },
    { "connect attempts bounded", test_connect_attempts_bounded },
    { "refusal gives up session", test_refusal_gives_up_session },
    { "backoff limits", test_backoff_limits },
    { "cancel during backoff", test_cancel_during_backoff },
    { "cancel sends QUIT", test_cancel_sends_quit },
    { "reconnect quits first", test_reconnect_quits_first },
    { "changed after check", test_changed_after_check },
  };
  static const TestEntry tool_tests[] = {
    { "JSON report", test_json_report },
    { "tool usage errors", test_tool_usage_errors },
    { "tool report and status", test_tool_report_and_status },
    { "tool signal cancels", test_tool_signal_cancels },
    { "tool refused file report", test_tool_refused_file_report },
  };
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  if (!add_suite ("/send-plan/faults", fault_tests,
                  G_N_ELEMENTS (fault_tests))
      || !add_suite ("/send-plan/rules", rule_tests, G_N_ELEMENTS (rule_tests))
      || !add_suite ("/send-plan/tool", tool_tests, G_N_ELEMENTS (tool_tests)))
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
