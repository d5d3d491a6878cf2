/* checks-order.c: SEQ-ORDER, the order of commands on each connection.
 *
 * Figure 4-3-10 of the NACCS mail-method specification draws one order:
 * HELO, then MAIL FROM, RCPT TO, DATA and the message for each message,
 * then QUIT.  Table 4-3-13 adds RSET, which returns the session to the
 * state after HELO.  RFC 5321 allows NOOP and QUIT at any time.  A command
 * the table does not list (EHLO aside, which SEQ-HELO judges) is out of
 * sequence in a NACCS session.  Each command is judged in the state that
 * the replies to all earlier requests produced, so a pipelining client is
 * judged on what it sent, not on when (SEQ-WAIT judges when).  Commands
 * after 221 or 421 are left to SES-AFTER-CLOSE.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "checks-private.h"

typedef enum {
  ORDER_NEED_HELO,     /* after a 2xx greeting */
  ORDER_NO_SERVICE,    /* the greeting was not 2xx: only QUIT makes sense */
  ORDER_READY,         /* after HELO, RSET or a finished message */
  ORDER_HAVE_MAIL,
  ORDER_HAVE_RCPT,
  ORDER_IN_DATA,       /* after 354: the message comes next */
  ORDER_CLOSED,        /* after 221 or 421 */
} OrderState;

/* Commands allowed in each state, as NaccsSimNext bits. */
static guint
order_allowed (OrderState state)
{
  const guint anytime = NACCS_SIM_NEXT_NOOP | NACCS_SIM_NEXT_QUIT;

  switch (state)
    {
    case ORDER_NEED_HELO:
      return NACCS_SIM_NEXT_HELO | anytime;
    case ORDER_NO_SERVICE:
      return anytime;
    case ORDER_READY:
      return NACCS_SIM_NEXT_MAIL | NACCS_SIM_NEXT_RSET | anytime;
    case ORDER_HAVE_MAIL:
      return NACCS_SIM_NEXT_RCPT | NACCS_SIM_NEXT_RSET | anytime;
    case ORDER_HAVE_RCPT:
      return NACCS_SIM_NEXT_DATA | NACCS_SIM_NEXT_RSET | anytime;
    case ORDER_IN_DATA:
      return NACCS_SIM_NEXT_BODY;
    case ORDER_CLOSED:
      return 0;
    }
  return 0;
}

/* The command a client in this state should send next, for messages. */
static const char *
order_expected (OrderState state)
{
  switch (state)
    {
    case ORDER_NEED_HELO:
      return "HELO";
    case ORDER_NO_SERVICE:
      return "QUIT";
    case ORDER_READY:
      return "MAIL FROM";
    case ORDER_HAVE_MAIL:
      return "RCPT TO";
    case ORDER_HAVE_RCPT:
      return "DATA";
    case ORDER_IN_DATA:
    case ORDER_CLOSED:
      break;
    }
  return "-";
}

/* Applies the reply `code` to `step` (RFC 5321 section 4.1.1). */
static OrderState
order_after_reply (OrderState state, NaccsSimStep step, guint code)
{
  gboolean ok = code / 100 == 2 || (step == NACCS_SIM_STEP_DATA
                                    && code / 100 == 3);

  if (code == 421 || (step == NACCS_SIM_STEP_QUIT && code == 221))
    return ORDER_CLOSED;
  switch (step)
    {
    case NACCS_SIM_STEP_GREETING:
      return ok ? ORDER_NEED_HELO : ORDER_NO_SERVICE;
    case NACCS_SIM_STEP_HELO:
      return ok ? ORDER_READY : state;
    case NACCS_SIM_STEP_MAIL:
      return ok ? ORDER_HAVE_MAIL : state;
    case NACCS_SIM_STEP_RCPT:
      return ok ? ORDER_HAVE_RCPT : state;
    case NACCS_SIM_STEP_DATA:
      return ok ? ORDER_IN_DATA : state;
    case NACCS_SIM_STEP_MESSAGE:
      /* The end of data closes the transaction whatever the reply. */
      return ORDER_READY;
    case NACCS_SIM_STEP_RSET:
      return ok && state != ORDER_NEED_HELO && state != ORDER_NO_SERVICE
             ? ORDER_READY : state;
    case NACCS_SIM_STEP_QUIT:
      return state;
    }
  return state;
}

static void
judge_command (ChecksJudge *judge,
               guint connection,
               GPtrArray *events,
               guint index,
               OrderState state)
{
  const NaccsSimEvent *event = g_ptr_array_index (events, index);
  guint bit = checks_next_bit (event);

  if (bit != 0 && (order_allowed (state) & bit) != 0)
    {
      checks_judge_pass (judge,
                         g_strdup (_("Every command came in the order of "
                                     "figure 4-3-10.")));
      return;
    }

  checks_cite (judge, connection, events, index);
  if (bit == 0)
    checks_judge_fail (judge,
                       g_strdup_printf (_("Connection %u: \"%s\" is not a "
                                          "command of table 4-3-13."),
                                        connection, event->text));
  else
    checks_judge_fail (judge,
                       g_strdup_printf (_("Connection %u: \"%s\" is out of "
                                          "sequence; the next command "
                                          "should have been %s."),
                                        connection, event->text,
                                        order_expected (state)));
}

static void
judge_order (ChecksJudge *judge, guint connection, GPtrArray *events)
{
  g_autoptr (GArray) pairs = checks_pair_replies (events);
  OrderState state = ORDER_NEED_HELO;

  for (guint i = 0; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);
      gint reply = g_array_index (pairs, gint, i);
      NaccsSimStep step;
      const NaccsSimEvent *answer;

      if (!checks_is_request (event))
        continue;
      if (state == ORDER_CLOSED)
        return;
      if (event->kind == NACCS_SIM_EVENT_LINE_IN)
        judge_command (judge, connection, events, i, state);
      else if (event->kind == NACCS_SIM_EVENT_MESSAGE)
        state = ORDER_IN_DATA;   /* the center took it as a message */

      /* Without its reply the rest of the session cannot be placed. */
      if (reply < 0)
        return;
      if (!checks_request_step (event, &step))
        continue;    /* NOOP and unknown commands change nothing */
      answer = g_ptr_array_index (events, (guint) reply);
      state = order_after_reply (state, step, answer->reply_code);
    }
}

NaccsSimVerdict *
checks_seq_order (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;

  checks_judge_init (&judge, "SEQ-ORDER");
  for (guint c = 0; c < context->connections->len; c++)
    judge_order (&judge, c + 1, checks_connection (context, c));
  return checks_judge_finish (&judge,
                              g_strdup (_("The client sent no command.")));
}
