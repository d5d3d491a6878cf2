/* test-checks.c: every check against hand-built transcripts of broken and
 * conforming clients, the conduct model, the dummy-dot diagnosis and the
 * expectation comparison.
 *
 * Each case names a check, a transcript (see test-checks-util.h), the
 * status it must get, and a piece of text that the deciding evidence line
 * and the explanation must contain.  Times in the scripts are in ms.
 */
#include "config.h"

#include <CUnit/Basic.h>

#include "checks-private.h"
#include "test-checks-util.h"

/* Case tables list only the fields a case needs; the rest are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define PASS NACCS_SIM_CHECK_PASS
#define FAIL NACCS_SIM_CHECK_FAIL
#define NA NACCS_SIM_CHECK_NOT_APPLICABLE
#define NO_BOUND (-1)
#define SCRIPT(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* The session of figure 4-3-10 with two messages. */
#define OPEN \
  "0 connect", "1 < 220 EDIFACT.PROD.NACCS6", \
  "2 > HELO user.example.jp", "3 < 250 EDIFACT.PROD.NACCS6"
#define SEND_F1 \
  "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK", \
  "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 250 OK", \
  "8 > DATA", "9 < 354 Start mail input", "10 msg F1", "11 < 250 OK"
#define SEND_F2 \
  "12 > MAIL FROM:<user@user.example.jp>", "13 < 250 OK", \
  "14 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "15 < 250 OK", \
  "16 > DATA", "17 < 354 Start mail input", "18 msg F2", "19 < 250 OK"
#define QUIT_AT_20 "20 > QUIT", "21 < 221 Bye", "22 closed"
#define GOOD SCRIPT (OPEN, SEND_F1, SEND_F2, QUIT_AT_20)

typedef struct {
  const char *name;
  const char *check;
  const char *const *script;
  NaccsSimCheckStatus want;
  const char *want_evidence;     /* substring of one evidence line */
  const char *want_explanation;  /* substring of the explanation */
  guint n_fixtures;              /* 0 means 2 */
  gboolean odd_text;
  gint64 within_ms;              /* 0 means no bound */
  gint64 not_before_ms;
  gint64 quit_within_ms;
  NaccsSimSpoolExpectation spool_f1;
} CheckCase;

static gboolean
evidence_contains (const NaccsSimVerdict *verdict, const char *needle)
{
  for (guint i = 0; i < verdict->evidence->len; i++)
    {
      const NaccsSimEvidence *item = g_ptr_array_index (verdict->evidence, i);

      if (strstr (item->text, needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
print_verdict (const CheckCase *c, const NaccsSimVerdict *verdict)
{
  fprintf (stderr, "\ncase %s: %s %s: %s\n", c->name, verdict->info->id,
           naccs_sim_check_status_name (verdict->status),
           verdict->explanation);
  for (guint i = 0; i < verdict->evidence->len; i++)
    {
      const NaccsSimEvidence *item = g_ptr_array_index (verdict->evidence, i);

      fprintf (stderr, "  #%u/%u %s\n", item->connection, item->event_index,
               item->text);
    }
}

static void
run_case (const CheckCase *c)
{
  g_autoptr (GPtrArray) connections = test_build_connections (c->script);
  g_autoptr (NaccsSimCheckContext) context =
    test_build_context (connections, c->n_fixtures ? c->n_fixtures : 2);
  g_autoptr (NaccsSimVerdict) verdict = NULL;
  gboolean ok;

  context->nondefault_reply_text = c->odd_text;
  context->give_up_within_us = c->within_ms ? c->within_ms * 1000 : -1;
  context->give_up_not_before_us = c->not_before_ms ? c->not_before_ms * 1000 : -1;
  context->quit_within_us = c->quit_within_ms ? c->quit_within_ms * 1000 : -1;
  ((NaccsSimExpectedMessage *) g_ptr_array_index (context->messages, 0))->spool = c->spool_f1;

  verdict = naccs_sim_check_run_one (context, c->check);
  CU_ASSERT_PTR_NOT_NULL_FATAL (verdict);
  ok = verdict->status == c->want
       && (c->want_evidence == NULL || evidence_contains (verdict, c->want_evidence))
       && (c->want_explanation == NULL
           || strstr (verdict->explanation, c->want_explanation) != NULL);
  if (!ok)
    print_verdict (c, verdict);
  CU_ASSERT_EQUAL (verdict->status, c->want);
  if (c->want_evidence != NULL)
    CU_ASSERT_TRUE (evidence_contains (verdict, c->want_evidence));
  if (c->want_explanation != NULL)
    CU_ASSERT_PTR_NOT_NULL (strstr (verdict->explanation, c->want_explanation));
  /* A failure always cites at least one transcript line. */
  if (verdict->status == FAIL)
    CU_ASSERT_TRUE (verdict->evidence->len > 0);
}

static void
run_cases (const CheckCase *cases, gsize n)
{
  for (gsize i = 0; i < n; i++)
    run_case (&cases[i]);
}

/* ---- sequence checks ---- */

static const CheckCase greeting_cases[] = {
  { "conforming", "SEQ-GREETING", GOOD, PASS, NULL, "waited", 0 },
  { "helo before greeting", "SEQ-GREETING",
    SCRIPT ("0 connect", "1 > HELO user.example.jp",
            "5 < 220 EDIFACT.PROD.NACCS6", "6 < 250 OK", "7 > QUIT",
            "8 < 221 Bye", "9 closed"),
    FAIL, "HELO user.example.jp", "before the 220 greeting", 0 },
  { "helo during dribbled greeting", "SEQ-GREETING",
    SCRIPT ("0 connect", "3 < 220 EDIFACT.PROD.NACCS6",
            "4 >! HELO user.example.jp", "5 < 250 OK"),
    FAIL, "HELO user.example.jp", "before the 220 greeting", 0 },
  { "no command at all", "SEQ-GREETING",
    SCRIPT ("0 connect", "1 < 220 EDIFACT.PROD.NACCS6", "2 closed"),
    NA, NULL, NULL, 0 },
};

static void
test_greeting_cases (void)
{
  run_cases (greeting_cases, G_N_ELEMENTS (greeting_cases));
}

#define AFTER_GREETING(cmd) \
  SCRIPT ("0 connect", "1 < 220 EDIFACT.PROD.NACCS6", "2 > " cmd, \
          "3 < 250 OK", "4 > QUIT", "5 < 221 Bye", "6 closed")

static const CheckCase helo_cases[] = {
  { "conforming", "SEQ-HELO", GOOD, PASS, "HELO user.example.jp", NULL, 0 },
  { "case of domain ignored", "SEQ-HELO", AFTER_GREETING ("helo USER.example.JP"),
    PASS, NULL, NULL, 0 },
  { "ehlo instead of helo", "SEQ-HELO", AFTER_GREETING ("EHLO user.example.jp"),
    FAIL, "EHLO user.example.jp", "EHLO instead of HELO", 0 },
  { "wrong domain", "SEQ-HELO", AFTER_GREETING ("HELO other.example.jp"),
    FAIL, "HELO other.example.jp", "\"other.example.jp\"", 0 },
  { "missing domain", "SEQ-HELO", AFTER_GREETING ("HELO"),
    FAIL, "HELO", "no domain", 0 },
  { "two words", "SEQ-HELO", AFTER_GREETING ("HELO user.example.jp extra"),
    FAIL, "extra", "more than one domain", 0 },
  { "mail without helo", "SEQ-HELO",
    AFTER_GREETING ("MAIL FROM:<user@user.example.jp>"),
    FAIL, "MAIL FROM:<user@user.example.jp>", "not HELO", 0 },
  { "greeting refused", "SEQ-HELO",
    SCRIPT ("0 connect", "1 < 554 no service", "2 > QUIT", "3 < 221 Bye",
            "4 closed"),
    NA, NULL, NULL, 0 },
};

static void
test_helo_cases (void)
{
  run_cases (helo_cases, G_N_ELEMENTS (helo_cases));
}

#define WITH_MAIL(cmd) SCRIPT (OPEN, "4 > " cmd, "5 < 250 OK", "6 > QUIT", \
                               "7 < 221 Bye", "8 closed")

static const CheckCase mail_cases[] = {
  { "conforming", "SEQ-MAIL", GOOD, PASS, NULL,
    "MAIL FROM:<user@user.example.jp>", 0 },
  { "domain case ignored", "SEQ-MAIL",
    WITH_MAIL ("mail from:<user@USER.example.jp>"), PASS, NULL, NULL, 0 },
  { "wrong address", "SEQ-MAIL", WITH_MAIL ("MAIL FROM:<other@user.example.jp>"),
    FAIL, "MAIL FROM:<other@user.example.jp>", "not the expected", 0 },
  { "local part case matters", "SEQ-MAIL",
    WITH_MAIL ("MAIL FROM:<USER@user.example.jp>"),
    FAIL, "MAIL FROM:<USER@user.example.jp>", "not the expected", 0 },
  { "space after colon", "SEQ-MAIL", WITH_MAIL ("MAIL FROM: <user@user.example.jp>"),
    FAIL, "MAIL FROM: <user@user.example.jp>", "a space follows", 0 },
  { "esmtp parameter", "SEQ-MAIL",
    WITH_MAIL ("MAIL FROM:<user@user.example.jp> SIZE=100"),
    FAIL, "SIZE=100", "no ESMTP parameters", 0 },
  { "null path", "SEQ-MAIL", WITH_MAIL ("MAIL FROM:<>"),
    FAIL, "MAIL FROM:<>", "not a mail address", 0 },
  { "no brackets", "SEQ-MAIL", WITH_MAIL ("MAIL FROM:user@user.example.jp"),
    FAIL, "MAIL FROM:user@user.example.jp", "not enclosed", 0 },
  { "no mail at all", "SEQ-MAIL", AFTER_GREETING ("HELO user.example.jp"),
    NA, NULL, NULL, 0 },
};

static void
test_mail_cases (void)
{
  run_cases (mail_cases, G_N_ELEMENTS (mail_cases));
}

#define WITH_RCPT(cmd) \
  SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK", \
          "6 > " cmd, "7 < 250 OK", "8 > QUIT", "9 < 221 Bye", "10 closed")

static const CheckCase rcpt_cases[] = {
  { "conforming", "SEQ-RCPT", GOOD, PASS, NULL, NULL, 0 },
  { "center domain case ignored", "SEQ-RCPT",
    WITH_RCPT ("RCPT TO:<NACCS@edifact.prod.naccs6>"), PASS, NULL, NULL, 0 },
  { "wrong center address", "SEQ-RCPT",
    WITH_RCPT ("RCPT TO:<naccs@example.com>"),
    FAIL, "RCPT TO:<naccs@example.com>", "NACCS@EDIFACT.PROD.NACCS6", 0 },
  { "from keyword instead", "SEQ-RCPT",
    WITH_RCPT ("RCPT FROM:<NACCS@EDIFACT.PROD.NACCS6>"),
    FAIL, "RCPT FROM:", "does not begin with", 0 },
};

static void
test_rcpt_cases (void)
{
  run_cases (rcpt_cases, G_N_ELEMENTS (rcpt_cases));
}

static const CheckCase order_cases[] = {
  { "conforming", "SEQ-ORDER", GOOD, PASS, NULL, NULL, 0 },
  { "rcpt before mail", "SEQ-ORDER",
    SCRIPT (OPEN, "4 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>",
            "5 < 503 bad sequence", "6 > QUIT", "7 < 221 Bye", "8 closed"),
    FAIL, "RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "MAIL FROM", 0 },
  { "data after rcpt 550", "SEQ-ORDER",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK",
            "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 550 no",
            "8 > DATA", "9 < 503 bad sequence", "10 > QUIT", "11 < 221 Bye",
            "12 closed"),
    FAIL, "DATA", "RCPT TO", 0 },
  { "command outside the table", "SEQ-ORDER",
    SCRIPT (OPEN, "4 > VRFY user", "5 < 502 no", "6 > QUIT", "7 < 221 Bye",
            "8 closed"),
    FAIL, "VRFY user", "not a command of table 4-3-13", 0 },
  { "second helo", "SEQ-ORDER",
    SCRIPT (OPEN, "4 > HELO user.example.jp", "5 < 250 OK", "6 > QUIT",
            "7 < 221 Bye", "8 closed"),
    FAIL, "HELO user.example.jp", "out of sequence", 0 },
  { "rset and noop allowed", "SEQ-ORDER",
    SCRIPT (OPEN, "4 > NOOP", "5 < 250 OK", "6 > MAIL FROM:<user@user.example.jp>",
            "7 < 250 OK", "8 > RSET", "9 < 250 OK", "10 > QUIT",
            "11 < 221 Bye", "12 closed"),
    PASS, NULL, NULL, 0 },
  { "pipelined but in order", "SEQ-ORDER",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>",
            "4 >! RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "5 < 250 OK",
            "6 < 250 OK", "7 > QUIT", "8 < 221 Bye", "9 closed"),
    PASS, NULL, NULL, 0 },
};

static void
test_order_cases (void)
{
  run_cases (order_cases, G_N_ELEMENTS (order_cases));
}

static const CheckCase wait_cases[] = {
  { "conforming", "SEQ-WAIT", GOOD, PASS, NULL, NULL, 0 },
  { "pipelined rcpt", "SEQ-WAIT",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>",
            "4 >! RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "5 < 250 OK",
            "6 < 250 OK", "7 > QUIT", "8 < 221 Bye", "9 closed"),
    FAIL, "RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "before the reply", 0 },
  { "evidence names awaited reply", "SEQ-WAIT",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>",
            "4 >! RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "5 < 250 Sender OK",
            "6 < 250 OK", "7 > QUIT", "8 < 221 Bye", "9 closed"),
    FAIL, "250 Sender OK", NULL, 0 },
  { "only a greeting", "SEQ-WAIT",
    SCRIPT ("0 connect", "1 < 220 EDIFACT.PROD.NACCS6", "2 closed"),
    NA, NULL, NULL, 0 },
  /* The session records a HELO sent before a stalled greeting after the
   * greeting, marked early: SEQ-GREETING's fault, not this check's. */
  { "helo before stalled greeting", "SEQ-WAIT",
    SCRIPT ("0 connect", "0 action stall 3000 ms",
            "3000 < 220 EDIFACT.PROD.NACCS6", "1 >! HELO user.example.jp",
            "3001 < 250 OK", "3002 > QUIT", "3003 < 221 Bye", "3004 closed"),
    PASS, NULL, "after the reply", 0 },
  { "pipelined after early helo", "SEQ-WAIT",
    SCRIPT ("0 connect", "0 action stall 3000 ms",
            "3000 < 220 EDIFACT.PROD.NACCS6", "1 >! HELO user.example.jp",
            "1 >! MAIL FROM:<user@user.example.jp>", "3001 < 250 OK",
            "3001 < 250 OK", "3002 > QUIT", "3003 < 221 Bye", "3004 closed"),
    FAIL, "MAIL FROM:<user@user.example.jp>", "before the reply", 0 },
};

static void
test_wait_cases (void)
{
  run_cases (wait_cases, G_N_ELEMENTS (wait_cases));
}

/* ---- message checks ---- */

#define ONE_MESSAGE(msg) \
  SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK", \
          "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 250 OK", \
          "8 > DATA", "9 < 354 go ahead", "10 " msg, "11 < 250 OK", \
          "12 > QUIT", "13 < 221 Bye", "14 closed")

static const CheckCase dot_cases[] = {
  { "conforming", "MSG-DOT", GOOD, PASS, NULL, "2 messages", 0 },
  { "missing dummy dot", "MSG-DOT",
    ONE_MESSAGE ("msg=HDR1\r\ndotline\r\nbody\r\n"),
    FAIL, "line 2 received: dotline", "line 2 lost its leading", 1 },
  { "doubled dummy dot", "MSG-DOT",
    ONE_MESSAGE ("msg=HDR1\r\n..dotline\r\nbody\r\n"),
    FAIL, "line 2 received: ..dotline", "two dummy dots", 1 },
  { "misplaced dummy dot", "MSG-DOT",
    ONE_MESSAGE ("msg=HDR1\r\n.dotline\r\nbo.dy\r\n"),
    FAIL, "line 3 received: bo.dy", "byte offset 18", 1 },
  { "lone dot ended message", "MSG-DOT",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK",
            "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 250 OK",
            "8 > DATA", "9 < 354 go ahead", "10 msg=HDR3\r\n", "11 < 250 OK",
            "12 > tail", "13 < 500 unknown", "14 > QUIT", "15 < 221 Bye",
            "16 closed"),
    FAIL, "tail", "ended at line 2", 3 },
  { "other difference", "MSG-DOT",
    ONE_MESSAGE ("msg=HDR1\r\n.dotline\r\nbodX\r\n"),
    FAIL, "line 3 received: bodX", "line 3, byte offset 19", 1 },
  { "bare lf is another difference", "MSG-DOT",
    ONE_MESSAGE ("msg=HDR1\n.dotline\r\nbody\r\n"),
    FAIL, "line 1 expected: HDR1\\x0D", "line 1", 1 },
  { "no fixture given", "MSG-DOT", GOOD, NA, NULL, NULL, 0 },
};

static void
test_dot_cases (void)
{
  CheckCase no_fixture = dot_cases[G_N_ELEMENTS (dot_cases) - 1];
  g_autoptr (GPtrArray) connections = test_build_connections (GOOD);
  g_autoptr (NaccsSimCheckContext) context = test_build_context (connections, 0);
  g_autoptr (NaccsSimVerdict) verdict = naccs_sim_check_run_one (context, "MSG-DOT");

  run_cases (dot_cases, G_N_ELEMENTS (dot_cases) - 1);
  /* Without fixtures there is nothing to compare with. */
  CU_ASSERT_EQUAL (verdict->status, no_fixture.want);
}

static const CheckCase count_cases[] = {
  { "conforming", "MSG-COUNT", GOOD, PASS, NULL, NULL, 0 },
  { "resent after 250", "MSG-COUNT",
    SCRIPT (OPEN, SEND_F1, "12 > MAIL FROM:<user@user.example.jp>",
            "13 < 250 OK", "14 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>",
            "15 < 250 OK", "16 > DATA", "17 < 354 go ahead", "18 msg F1",
            "19 < 250 OK", "20 > QUIT", "21 < 221 Bye", "22 closed"),
    FAIL, "[message 2:", "sent again after the center had accepted", 1 },
  { "resent on a new connection", "MSG-COUNT",
    SCRIPT (OPEN, SEND_F1, "12 closed", OPEN, SEND_F1, "12 > QUIT",
            "13 < 221 Bye", "14 closed"),
    FAIL, "[message 1:", "Connection 2", 1 },
  { "message never sent", "MSG-COUNT",
    SCRIPT (OPEN, SEND_F1, QUIT_AT_20),
    FAIL, NULL, "fixtures/f2.txt was never accepted", 2 },
  { "forbidden message accepted", "MSG-COUNT", GOOD,
    FAIL, "[message 1:", "fixtures/f1.txt", 2, FALSE, 0, 0, 0,
    NACCS_SIM_SPOOL_FORBIDDEN },
  { "rejected message needs no delivery", "MSG-COUNT",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK",
            "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 250 OK",
            "8 > DATA", "9 < 354 go ahead", "10 msg F1", "11 < 554 rejected",
            SEND_F2, QUIT_AT_20),
    PASS, NULL, NULL, 2 },
  { "required message rejected", "MSG-COUNT",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK",
            "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 250 OK",
            "8 > DATA", "9 < 354 go ahead", "10 msg F1", "11 < 554 rejected",
            SEND_F2, QUIT_AT_20),
    FAIL, NULL, "arrived 1 time", 2, FALSE, 0, 0, 0,
    NACCS_SIM_SPOOL_REQUIRED },
};

static void
test_count_cases (void)
{
  run_cases (count_cases, G_N_ELEMENTS (count_cases));
}

static const CheckCase line_length_cases[] = {
  { "conforming", "MSG-LINE-LENGTH", GOOD, PASS, NULL, NULL, 0 },
  { "line of exactly 1000 octets", "MSG-LINE-LENGTH", ONE_MESSAGE ("msg M"),
    PASS, NULL, NULL, 1 },
  { "line of 1001 octets", "MSG-LINE-LENGTH", ONE_MESSAGE ("msg L"),
    FAIL, "[message 1:", "line 2 is longer than 1000 octets", 1 },
  { "longest line reported", "MSG-LINE-LENGTH", ONE_MESSAGE ("msg L"),
    FAIL, NULL, "1001 octets", 1 },
  { "overlong command line", "MSG-LINE-LENGTH",
    SCRIPT (OPEN, "4 > MAIL FROM:<xxxx",
            "4 limit line too long: 2000 octets, maximum 1000",
            "5 < 500 line too long", "6 > QUIT", "7 < 221 Bye", "8 closed"),
    FAIL, "line too long: 2000 octets", "line-length limit", 1 },
  { "legal line over center limit", "MSG-LINE-LENGTH",
    SCRIPT (OPEN, "4 > MAIL FROM:<xxxx",
            "4 limit line too long: 1000 octets, maximum 999",
            "5 < 500 line too long", "6 > QUIT", "7 < 221 Bye", "8 closed"),
    NA, NULL, NULL, 1 },
  { "no message", "MSG-LINE-LENGTH", AFTER_GREETING ("HELO user.example.jp"),
    NA, NULL, NULL, 1 },
};

static void
test_line_length_cases (void)
{
  run_cases (line_length_cases, G_N_ELEMENTS (line_length_cases));
}

static const CheckCase crlf_cases[] = {
  { "conforming", "MSG-CRLF", GOOD, PASS, NULL, NULL, 0 },
  { "bare lf in message", "MSG-CRLF", ONE_MESSAGE ("msg=HDR1\n.dotline\r\nbody\r\n"),
    FAIL, "[message 1:", "line 1 holds a bare CR or LF", 1 },
  { "bare cr in message", "MSG-CRLF", ONE_MESSAGE ("msg=HDR1\r\n.dot\rline\r\nbody\r\n"),
    FAIL, "[message 1:", "line 2 holds", 1 },
  { "bare cr in command", "MSG-CRLF",
    SCRIPT (OPEN, "4 > NOOP\\x0Dx", "5 < 250 OK", "6 > QUIT", "7 < 221 Bye",
            "8 closed"),
    FAIL, "NOOP\\x0Dx", "command line", 1 },
  { "no message", "MSG-CRLF", AFTER_GREETING ("HELO user.example.jp"),
    NA, NULL, NULL, 1 },
};

static void
test_crlf_cases (void)
{
  run_cases (crlf_cases, G_N_ELEMENTS (crlf_cases));
}

/* ---- session checks ---- */

static const CheckCase quit_cases[] = {
  { "conforming", "SES-QUIT", GOOD, PASS, NULL, "QUIT came 0.001 s", 0 },
  { "closed without quit", "SES-QUIT",
    SCRIPT (OPEN, SEND_F1, SEND_F2, "25 closed"),
    FAIL, "[client closed]", "without QUIT", 0 },
  { "idle until center timeout", "SES-QUIT",
    SCRIPT (OPEN, SEND_F1, SEND_F2, "3600019 idle",
            "3600019 < 421 idle timeout", "3600020 server-closed"),
    FAIL, "[idle timeout]", "closed the idle connection at 3600.019 s", 0 },
  { "still open at end", "SES-QUIT", SCRIPT (OPEN, SEND_F1, SEND_F2),
    FAIL, "250 OK", "still open", 0 },
  { "quit too late for bound", "SES-QUIT",
    SCRIPT (OPEN, SEND_F1, SEND_F2, "5019 > QUIT", "5020 < 221 Bye",
            "5021 closed"),
    FAIL, "QUIT", "5.000 s", 0, FALSE, 0, 0, 1000 },
  { "center dropped", "SES-QUIT",
    SCRIPT (OPEN, SEND_F1, "12 action close after reply", "12 server-closed"),
    NA, NULL, NULL, 0 },
  { "gave up on a stall", "SES-QUIT",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>",
            "4 action stall 60000 ms", "30004 closed"),
    NA, NULL, NULL, 0 },
  /* The 421 to DATA is SES-CLOSE-421's, though the idle timeout ends the
   * connection. */
  { "421 to data then idle", "SES-QUIT",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK",
            "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 250 OK",
            "8 > DATA", "9 < 421 closing", "9 action silence after reply",
            "2009 idle", "2009 server-closed"),
    NA, NULL, NULL, 0 },
  { "idle timeout 421 after stall", "SES-QUIT",
    SCRIPT (OPEN, SEND_F1, SEND_F2, "3600019 idle",
            "3600019 action stall 10 ms", "3600029 < 421 idle timeout",
            "3600030 server-closed"),
    FAIL, "[idle timeout]", "closed the idle connection", 0 },
};

static void
test_quit_cases (void)
{
  run_cases (quit_cases, G_N_ELEMENTS (quit_cases));
}

static const CheckCase after_close_cases[] = {
  { "conforming", "SES-AFTER-CLOSE", GOOD, PASS, NULL, NULL, 0 },
  { "command after 221", "SES-AFTER-CLOSE",
    SCRIPT (OPEN, "4 > QUIT", "5 < 221 Bye", "6 > NOOP", "7 closed"),
    FAIL, "NOOP", "after reply 221", 0 },
  { "bytes after 221", "SES-AFTER-CLOSE",
    SCRIPT (OPEN, "4 > QUIT", "5 < 221 Bye", "6 after-close RSET\\x0D\\x0A",
            "6 server-closed"),
    FAIL, "RSET", "after reply 221", 0 },
  { "quit after 421 allowed", "SES-AFTER-CLOSE",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>",
            "5 < 421 closing", "6 > QUIT", "7 closed"),
    PASS, NULL, NULL, 0 },
  { "mail after 421", "SES-AFTER-CLOSE",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>",
            "5 < 421 closing", "6 > MAIL FROM:<user@user.example.jp>",
            "7 closed"),
    FAIL, "421 closing", "after reply 421", 0 },
  { "no closing reply", "SES-AFTER-CLOSE",
    SCRIPT (OPEN, "4 closed"), NA, NULL, NULL, 0 },
  /* QUIT and NOOP in one write: NOOP was received with QUIT, before the
   * 221 was written, so it cannot react to it. */
  { "noop pipelined behind quit", "SES-AFTER-CLOSE",
    SCRIPT (OPEN, "4 > QUIT", "5 < 221 Bye", "4 after-close NOOP\\x0D\\x0A",
            "5 server-closed"),
    PASS, NULL, "sent nothing after", 0 },
  { "bytes received with the 221", "SES-AFTER-CLOSE",
    SCRIPT (OPEN, "4 > QUIT", "5 < 221 Bye", "5 after-close NOOP\\x0D\\x0A",
            "5 server-closed"),
    PASS, NULL, NULL, 0 },
  { "bytes marked early", "SES-AFTER-CLOSE",
    SCRIPT (OPEN, "4 > QUIT", "5 < 221 Bye", "6 after-close! NOOP\\x0D\\x0A",
            "6 server-closed"),
    PASS, NULL, NULL, 0 },
};

static void
test_after_close_cases (void)
{
  run_cases (after_close_cases, G_N_ELEMENTS (after_close_cases));
}

static const CheckCase close_421_cases[] = {
  { "no 421", "SES-CLOSE-421", GOOD, NA, NULL, NULL, 0 },
  { "closed after 421", "SES-CLOSE-421",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>",
            "5 < 421 closing", "7 closed"),
    PASS, NULL, "left 0.002 s after 421", 0 },
  { "quit after 421", "SES-CLOSE-421",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>",
            "5 < 421 closing", "6 > QUIT", "7 < 221 Bye", "8 server-closed"),
    PASS, NULL, NULL, 0 },
  { "kept open after 421", "SES-CLOSE-421",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>",
            "5 < 421 closing"),
    FAIL, "421 closing", "had not closed", 0 },
  { "open until idle timeout", "SES-CLOSE-421",
    SCRIPT ("0 connect", "1 < 421 busy", "3600001 idle", "3600001 server-closed"),
    FAIL, "[idle timeout]", "3600.000 s later", 0 },
  { "center closed first", "SES-CLOSE-421",
    SCRIPT ("0 connect", "1 < 421 busy", "1 server-closed"),
    NA, NULL, NULL, 0 },
  { "scripted close after 421", "SES-CLOSE-421",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 421 closing",
            "5 action close after reply", "5 after-close RSET\\x0D\\x0A",
            "5 server-closed"),
    NA, NULL, NULL, 0 },
  { "stayed until the server stopped", "SES-CLOSE-421",
    SCRIPT (OPEN, "4 > DATA", "5 < 421 closing",
            "5 action silence after reply",
            "20005 server-closed server closed the connection: server "
            "stopping"),
    FAIL, "server stopping", "stayed connected 20.000 s after 421", 0 },
  { "sent noop then stayed", "SES-CLOSE-421",
    SCRIPT (OPEN, "4 > DATA", "5 < 421 closing",
            "5 action silence after reply", "6 > NOOP",
            "50 server-closed"),
    FAIL, "421 closing", "stayed connected 0.045 s after 421", 0 },
  { "421 to data then idle", "SES-CLOSE-421",
    SCRIPT (OPEN, "4 > DATA", "5 < 421 closing",
            "5 action silence after reply", "2005 idle", "2005 server-closed"),
    FAIL, "[idle timeout]", "2.000 s later", 0 },
  { "idle timeout's own 421", "SES-CLOSE-421",
    SCRIPT (OPEN, SEND_F1, SEND_F2, "3600019 idle",
            "3600019 < 421 idle timeout", "3600019 server-closed"),
    NA, NULL, NULL, 0 },
};

static void
test_close_421_cases (void)
{
  run_cases (close_421_cases, G_N_ELEMENTS (close_421_cases));
}

/* ---- conduct checks ---- */

#define RCPT_REPLY(code) \
  OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK", \
  "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < " code

static const CheckCase err_action_cases[] = {
  { "no error reply", "ERR-ACTION", GOOD, NA, NULL, NULL, 0 },
  /* RFC 5321 section 4.1.4: HELO after a refused EHLO is the fallback. */
  { "helo after ehlo 502", "ERR-ACTION",
    SCRIPT ("0 connect", "1 < 220 EDIFACT.PROD.NACCS6",
            "2 > EHLO user.example.jp", "3 < 502 use HELO",
            "4 > HELO user.example.jp", "5 < 250 EDIFACT.PROD.NACCS6",
            "6 > QUIT", "7 < 221 Bye", "8 closed"),
    PASS, NULL, NULL, 0 },
  { "helo again after helo 501", "ERR-ACTION",
    SCRIPT ("0 connect", "1 < 220 EDIFACT.PROD.NACCS6",
            "2 > HELO", "3 < 501 domain missing",
            "4 > HELO", "5 < 501 domain missing",
            "6 > QUIT", "7 < 221 Bye", "8 closed"),
    FAIL, "HELO", "after reply 501", 0 },
  { "data after rcpt 550", "ERR-ACTION",
    SCRIPT (RCPT_REPLY ("550 no such user"), "8 > DATA", "9 < 503 bad sequence",
            "10 > QUIT", "11 < 221 Bye", "12 closed"),
    FAIL, "DATA", "after reply 550", 0 },
  { "deciding reply cited", "ERR-ACTION",
    SCRIPT (RCPT_REPLY ("550 no such user"), "8 > DATA", "9 < 503 bad sequence",
            "10 > QUIT", "11 < 221 Bye", "12 closed"),
    FAIL, "550 no such user", "RSET", 0 },
  { "rcpt after mail 451", "ERR-ACTION",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 451 try later",
            "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 503 bad sequence",
            "8 > QUIT", "9 < 221 Bye", "10 closed"),
    FAIL, "RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "after reply 451", 0 },
  { "mail after 421", "ERR-ACTION",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 421 closing",
            "6 > MAIL FROM:<user@user.example.jp>", "7 closed"),
    FAIL, "421 closing", "after reply 421", 0 },
  { "resent unchanged after 554", "ERR-ACTION",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK",
            "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 250 OK",
            "8 > DATA", "9 < 354 go ahead", "10 msg F1", "11 < 554 rejected",
            SEND_F1, "20 > QUIT", "21 < 221 Bye", "22 closed"),
    FAIL, "[message 2:", "sent again unchanged", 1 },
  { "rset and quit after 550", "ERR-ACTION",
    SCRIPT (RCPT_REPLY ("550 no"), "8 > RSET", "9 < 250 OK", "10 > QUIT",
            "11 < 221 Bye", "12 closed"),
    PASS, NULL, "1 error reply", 0 },
  { "next message after 554", "ERR-ACTION",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK",
            "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 250 OK",
            "8 > DATA", "9 < 354 go ahead", "10 msg F1", "11 < 554 rejected",
            SEND_F2, QUIT_AT_20),
    PASS, NULL, NULL, 0 },
  { "close after greeting 421", "ERR-ACTION",
    SCRIPT ("0 connect", "1 < 421 busy", "2 closed"), PASS, NULL, NULL, 0 },
  /* ERR-ACTION judges an error reply whatever its text says. */
  { "data after 451 with ok text", "ERR-ACTION",
    SCRIPT (RCPT_REPLY ("451 OK recipient accepted"), "8 > DATA",
            "9 < 503 bad sequence", "10 > QUIT", "11 < 221 Bye", "12 closed"),
    FAIL, "451 OK recipient accepted", "after reply 451", 1, TRUE },
};

static void
test_err_action_cases (void)
{
  run_cases (err_action_cases, G_N_ELEMENTS (err_action_cases));
}

static const CheckCase txt_cases[] = {
  { "default text", "TXT-INDEPENDENT", GOOD, NA, NULL, NULL, 0 },
  { "odd text followed by code", "TXT-INDEPENDENT",
    SCRIPT ("0 connect", "1 < 220 554 service not available",
            "2 > HELO user.example.jp", "3 < 250 550 refused",
            "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 error",
            "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "7 < 250 rejected",
            "8 > DATA", "9 < 354 421 closing", "10 msg F1", "11 < 250 failed",
            "12 > QUIT", "13 < 221 Bye", "14 closed"),
    PASS, NULL, "by their codes alone", 1, TRUE },
  { "quit on refusing text", "TXT-INDEPENDENT",
    SCRIPT (OPEN, "4 > QUIT", "5 < 221 Bye", "6 closed"),
    FAIL, "250 EDIFACT.PROD.NACCS6", "reply code 250", 1, TRUE },
  { "quit on 250 with 554 text", "TXT-INDEPENDENT",
    SCRIPT ("0 connect", "1 < 220 EDIFACT.PROD.NACCS6",
            "2 > HELO user.example.jp", "3 < 250 554 service refused",
            "4 > QUIT", "5 < 221 Bye", "6 closed"),
    FAIL, "250 554 service refused", "\"QUIT\"", 1, TRUE },
  /* The reaction to an error reply is ERR-ACTION's alone, so one fault
   * fails one check. */
  { "data after 451 left to err-action", "TXT-INDEPENDENT",
    SCRIPT (RCPT_REPLY ("451 OK recipient accepted"), "8 > DATA",
            "9 < 503 bad sequence", "10 > QUIT", "11 < 221 Bye", "12 closed"),
    PASS, NULL, "by their codes alone", 1, TRUE },
  /* A blind client gets 550 to RCPT TO and 503 to DATA for message 1:
   * one message given up, so message 2 is still to be sent after RSET. */
  { "blind client counted once", "TXT-INDEPENDENT",
    SCRIPT (RCPT_REPLY ("550 no such user"), "8 > DATA",
            "9 < 503 bad sequence", "10 > RSET", "11 < 250 OK", SEND_F2,
            QUIT_AT_20),
    PASS, NULL, "by their codes alone", 2, TRUE },
  { "rset then quit with mail due", "TXT-INDEPENDENT",
    SCRIPT (RCPT_REPLY ("550 no such user"), "8 > DATA",
            "9 < 503 bad sequence", "10 > RSET", "11 < 250 OK",
            "12 > QUIT", "13 < 221 Bye", "14 closed"),
    FAIL, "250 OK", "\"QUIT\"", 2, TRUE },
};

static void
test_txt_cases (void)
{
  run_cases (txt_cases, G_N_ELEMENTS (txt_cases));
}

#define STALLED_MAIL(end) \
  SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", \
          "4 action stall 60000 ms", end)

static const CheckCase give_up_cases[] = {
  { "no stall", "TIME-GIVE-UP", GOOD, NA, NULL, NULL, 0 },
  { "gave up within bound", "TIME-GIVE-UP", STALLED_MAIL ("30004 closed"),
    PASS, NULL, "after 30.000 s", 0, FALSE, 30000, 10000 },
  { "gave up too late", "TIME-GIVE-UP", STALLED_MAIL ("40004 closed"),
    FAIL, "[client closed]", "after 40.000 s, later than the bound of "
    "30.000 s", 0, FALSE, 30000, 10000 },
  { "gave up too early", "TIME-GIVE-UP", STALLED_MAIL ("1004 reset"),
    FAIL, "[client reset]", "before the minimum of 10.000 s", 0, FALSE,
    30000, 10000 },
  { "quit counts as giving up", "TIME-GIVE-UP", STALLED_MAIL ("20004 >! QUIT"),
    PASS, "[stall 60000 ms]", "20.000 s", 0, FALSE, 30000, 10000 },
  { "waited for the late reply", "TIME-GIVE-UP",
    STALLED_MAIL ("60004 < 250 OK"),
    FAIL, "[stall 60000 ms]", "still waiting", 0, FALSE, 30000, 10000 },
  { "silent center never left", "TIME-GIVE-UP",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK",
            "5 action silence after reply",
            "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "3600006 idle",
            "3600006 server-closed"),
    FAIL, "RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "3600.000 s", 0, FALSE,
    30000, 0 },
  { "silent center left in time", "TIME-GIVE-UP",
    SCRIPT (OPEN, "4 > MAIL FROM:<user@user.example.jp>", "5 < 250 OK",
            "5 action silence after reply",
            "6 > RCPT TO:<NACCS@EDIFACT.PROD.NACCS6>", "25006 closed"),
    PASS, NULL, "25.000 s", 0, FALSE, 30000, 0 },
  { "drop needs no waiting", "TIME-GIVE-UP",
    SCRIPT (OPEN, SEND_F1, "11 action close after reply", "11 server-closed"),
    NA, NULL, NULL, 0, FALSE, 30000, 0 },
};

static void
test_give_up_cases (void)
{
  run_cases (give_up_cases, G_N_ELEMENTS (give_up_cases));
}

/* ---- the whole run, the model, the diff, expectations ---- */

static void
test_conforming_run (void)
{
  static const struct {
    const char *id;
    NaccsSimCheckStatus want;
  } wants[] = {
    { "SEQ-GREETING", PASS }, { "SEQ-HELO", PASS }, { "SEQ-MAIL", PASS },
    { "SEQ-RCPT", PASS }, { "SEQ-ORDER", PASS }, { "SEQ-WAIT", PASS },
    { "MSG-DOT", PASS }, { "MSG-COUNT", PASS }, { "MSG-LINE-LENGTH", PASS },
    { "MSG-CRLF", PASS }, { "SES-QUIT", PASS }, { "SES-AFTER-CLOSE", PASS },
    { "SES-CLOSE-421", NA }, { "ERR-ACTION", NA },
    { "TXT-INDEPENDENT", NA }, { "TIME-GIVE-UP", NA },
  };
  g_autoptr (GPtrArray) connections = test_build_connections (GOOD);
  g_autoptr (NaccsSimCheckContext) context = test_build_context (connections, 2);
  g_autoptr (GPtrArray) verdicts = naccs_sim_checks_run (context);
  gsize n_checks = 0;

  naccs_sim_check_list (&n_checks);
  CU_ASSERT_EQUAL (verdicts->len, n_checks);
  CU_ASSERT_EQUAL (verdicts->len, G_N_ELEMENTS (wants));
  for (guint i = 0; i < verdicts->len && i < G_N_ELEMENTS (wants); i++)
    {
      NaccsSimVerdict *verdict = g_ptr_array_index (verdicts, i);

      CU_ASSERT_STRING_EQUAL (verdict->info->id, wants[i].id);
      if (verdict->status != wants[i].want)
        fprintf (stderr, "\n%s: %s\n", verdict->info->id, verdict->explanation);
      CU_ASSERT_EQUAL (verdict->status, wants[i].want);
      CU_ASSERT_PTR_NOT_NULL (verdict->explanation);
    }
  CU_ASSERT_TRUE (naccs_sim_checks_expectation_met (verdicts, NULL, NULL, NULL));
}

static void
test_check_table (void)
{
  gsize n = 0;
  const NaccsSimCheckInfo *table = naccs_sim_check_list (&n);

  CU_ASSERT_TRUE (n >= 16);
  for (gsize i = 0; i < n; i++)
    {
      CU_ASSERT_PTR_EQUAL (naccs_sim_check_find (table[i].id), &table[i]);
      CU_ASSERT_PTR_NOT_NULL (table[i].title);
      CU_ASSERT_PTR_NOT_NULL (table[i].rule);
    }
  CU_ASSERT_PTR_NULL (naccs_sim_check_find ("SEQ-NOPE"));
  CU_ASSERT_PTR_NULL (naccs_sim_check_find ("seq-helo"));
}

static void
test_conduct_model (void)
{
  static const struct {
    NaccsSimStep step;
    guint code;
    gboolean more;
    guint next;
    gboolean allowed;
  } rows[] = {
    { NACCS_SIM_STEP_GREETING, 220, TRUE, NACCS_SIM_NEXT_HELO, TRUE },
    { NACCS_SIM_STEP_GREETING, 554, TRUE, NACCS_SIM_NEXT_HELO, FALSE },
    { NACCS_SIM_STEP_GREETING, 554, TRUE, NACCS_SIM_NEXT_QUIT, TRUE },
    { NACCS_SIM_STEP_HELO, 250, TRUE, NACCS_SIM_NEXT_MAIL, TRUE },
    { NACCS_SIM_STEP_HELO, 250, TRUE, NACCS_SIM_NEXT_QUIT, FALSE },
    { NACCS_SIM_STEP_HELO, 250, FALSE, NACCS_SIM_NEXT_QUIT, TRUE },
    { NACCS_SIM_STEP_MAIL, 250, TRUE, NACCS_SIM_NEXT_RCPT, TRUE },
    { NACCS_SIM_STEP_MAIL, 451, TRUE, NACCS_SIM_NEXT_RCPT, FALSE },
    { NACCS_SIM_STEP_MAIL, 451, TRUE, NACCS_SIM_NEXT_RSET, TRUE },
    { NACCS_SIM_STEP_RCPT, 250, TRUE, NACCS_SIM_NEXT_DATA, TRUE },
    { NACCS_SIM_STEP_RCPT, 550, TRUE, NACCS_SIM_NEXT_DATA, FALSE },
    { NACCS_SIM_STEP_RCPT, 550, TRUE, NACCS_SIM_NEXT_QUIT, TRUE },
    { NACCS_SIM_STEP_DATA, 354, TRUE, NACCS_SIM_NEXT_BODY, TRUE },
    { NACCS_SIM_STEP_DATA, 554, TRUE, NACCS_SIM_NEXT_BODY, FALSE },
    { NACCS_SIM_STEP_MESSAGE, 250, TRUE, NACCS_SIM_NEXT_MAIL, TRUE },
    { NACCS_SIM_STEP_MESSAGE, 250, FALSE, NACCS_SIM_NEXT_QUIT, TRUE },
    { NACCS_SIM_STEP_MESSAGE, 250, FALSE, NACCS_SIM_NEXT_MAIL, FALSE },
    { NACCS_SIM_STEP_MESSAGE, 554, TRUE, NACCS_SIM_NEXT_MAIL, TRUE },
    { NACCS_SIM_STEP_MESSAGE, 451, TRUE, NACCS_SIM_NEXT_RSET, TRUE },
    { NACCS_SIM_STEP_MAIL, 421, TRUE, NACCS_SIM_NEXT_CLOSE, TRUE },
    { NACCS_SIM_STEP_MAIL, 421, TRUE, NACCS_SIM_NEXT_QUIT, TRUE },
    { NACCS_SIM_STEP_MAIL, 421, TRUE, NACCS_SIM_NEXT_RSET, FALSE },
    { NACCS_SIM_STEP_QUIT, 221, FALSE, NACCS_SIM_NEXT_CLOSE, TRUE },
    { NACCS_SIM_STEP_QUIT, 221, FALSE, NACCS_SIM_NEXT_NOOP, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      guint mask = naccs_sim_conduct_allowed (rows[i].step, rows[i].code,
                                              rows[i].more);
      gboolean got = (mask & rows[i].next) != 0;

      if (got != rows[i].allowed)
        fprintf (stderr, "\nrow %zu: step %d code %u: got %d want %d\n", i,
                 rows[i].step, rows[i].code, got, rows[i].allowed);
      CU_ASSERT_EQUAL (got, rows[i].allowed);
    }
}

static void
test_dot_diagnosis (void)
{
  static const struct {
    const char *expected;
    const char *received;
    ChecksDiffKind kind;
    guint line;
    gsize offset;
    guint more;
  } rows[] = {
    { "a\r\n.b\r\n", "a\r\n.b\r\n", CHECKS_DIFF_SAME, 0, 0, 0 },
    { "a\r\n.b\r\n.c\r\n", "a\r\nb\r\nc\r\n", CHECKS_DIFF_MISSING_DOT, 2, 3, 1 },
    { ".b\r\n", "..b\r\n", CHECKS_DIFF_DOUBLED_DOT, 1, 0, 0 },
    { "ab\r\n", "a.b\r\n", CHECKS_DIFF_MISPLACED_DOT, 1, 1, 0 },
    { "ab\r\n", ".ab\r\n", CHECKS_DIFF_MISPLACED_DOT, 1, 0, 0 },
    { "a\r\n.\r\nb\r\n", "a\r\n", CHECKS_DIFF_ENDED_AT_DOT, 2, 3, 0 },
    { "a\r\nbc\r\n", "a\r\nbd\r\n", CHECKS_DIFF_OTHER, 2, 4, 0 },
    { "a\r\n", "a\r\nb\r\n", CHECKS_DIFF_OTHER, 2, 3, 0 },
    { "a\r\nb\r\n", "a\r\n", CHECKS_DIFF_OTHER, 2, 3, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr (GBytes) expected = g_bytes_new_static (rows[i].expected,
                                                        strlen (rows[i].expected));
      g_autoptr (GBytes) received = g_bytes_new_static (rows[i].received,
                                                        strlen (rows[i].received));
      ChecksDiff diff;

      checks_diff (expected, received, &diff);
      if (diff.kind != rows[i].kind || diff.line != rows[i].line
          || diff.offset != rows[i].offset || diff.more_lines != rows[i].more)
        fprintf (stderr, "\nrow %zu: kind %d line %u offset %zu more %u\n", i,
                 diff.kind, diff.line, diff.offset, diff.more_lines);
      CU_ASSERT_EQUAL (diff.kind, rows[i].kind);
      CU_ASSERT_EQUAL (diff.line, rows[i].line);
      CU_ASSERT_EQUAL (diff.offset, rows[i].offset);
      CU_ASSERT_EQUAL (diff.more_lines, rows[i].more);
      checks_diff_clear (&diff);
    }
}

static void
test_fixture_final_crlf (void)
{
  g_autoptr (GBytes) bare = g_bytes_new_static ("a\r\nb", 4);
  g_autoptr (GBytes) ended = g_bytes_new_static ("a\r\nb\r\n", 6);
  g_autoptr (NaccsSimExpectedMessage) from_bare =
    naccs_sim_expected_message_new ("x", bare);
  g_autoptr (NaccsSimExpectedMessage) from_ended =
    naccs_sim_expected_message_new ("y", ended);

  CU_ASSERT_TRUE (g_bytes_equal (from_bare->bytes, ended));
  CU_ASSERT_TRUE (g_bytes_equal (from_ended->bytes, ended));
}

static void
test_expectation (void)
{
  g_autoptr (GPtrArray) connections =
    test_build_connections (SCRIPT (OPEN, "4 > QUIT", "5 < 221 Bye",
                                    "6 > NOOP", "7 closed"));
  g_autoptr (NaccsSimCheckContext) context = test_build_context (connections, 0);
  g_autoptr (GPtrArray) verdicts = naccs_sim_checks_run (context);
  const char *const fail_after[] = { "SES-AFTER-CLOSE", NULL };
  const char *const pass_helo[] = { "SEQ-HELO", NULL };
  const char *const pass_after[] = { "SES-AFTER-CLOSE", NULL };
  const char *const pass_na[] = { "TIME-GIVE-UP", NULL };
  const char *const empty[] = { NULL };
  g_autofree char *why = NULL;

  /* By default every check that applies must pass. */
  CU_ASSERT_FALSE (naccs_sim_checks_expectation_met (verdicts, NULL, NULL, &why));
  CU_ASSERT_PTR_NOT_NULL (strstr (why, "SES-AFTER-CLOSE"));
  CU_ASSERT_FALSE (naccs_sim_checks_expectation_met (verdicts, empty, NULL, NULL));
  /* A failure the scenario expects is no miss. */
  CU_ASSERT_TRUE (naccs_sim_checks_expectation_met (verdicts, NULL, fail_after, NULL));
  /* With a pass list only the listed checks count. */
  CU_ASSERT_TRUE (naccs_sim_checks_expectation_met (verdicts, pass_helo, NULL, NULL));
  CU_ASSERT_FALSE (naccs_sim_checks_expectation_met (verdicts, pass_after, NULL, NULL));
  /* A required check that did not apply is a miss. */
  CU_ASSERT_FALSE (naccs_sim_checks_expectation_met (verdicts, pass_na, NULL, NULL));
  /* An expected failure that passed is a miss. */
  CU_ASSERT_FALSE (naccs_sim_checks_expectation_met (verdicts, NULL, pass_helo, NULL));
}

int
main (void)
{
  static const struct {
    const char *name;
    CU_TestFunc func;
  } tests[] = {
    { "check table ids unique", test_check_table },
    { "seq-greeting cases", test_greeting_cases },
    { "seq-helo cases", test_helo_cases },
    { "seq-mail cases", test_mail_cases },
    { "seq-rcpt cases", test_rcpt_cases },
    { "seq-order cases", test_order_cases },
    { "seq-wait cases", test_wait_cases },
    { "msg-dot cases", test_dot_cases },
    { "msg-count cases", test_count_cases },
    { "msg-line-length cases", test_line_length_cases },
    { "msg-crlf cases", test_crlf_cases },
    { "ses-quit cases", test_quit_cases },
    { "ses-after-close cases", test_after_close_cases },
    { "ses-close-421 cases", test_close_421_cases },
    { "err-action cases", test_err_action_cases },
    { "txt-independent cases", test_txt_cases },
    { "time-give-up cases", test_give_up_cases },
    { "conforming run passes", test_conforming_run },
    { "conduct model table", test_conduct_model },
    { "dummy-dot diagnosis", test_dot_diagnosis },
    { "fixture gets final crlf", test_fixture_final_crlf },
    { "scenario expectation met", test_expectation },
  };
  CU_pSuite suite;
  unsigned failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  suite = CU_add_suite ("/checks", NULL, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (tests); i++)
    CU_add_test (suite, tests[i].name, tests[i].func);
  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
