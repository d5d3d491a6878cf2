/* checks-time.c: TIME-GIVE-UP, how long a client waits for a stalled or
 * silent center.
 *
 * The NACCS mail-method specification leaves timeout monitoring to the
 * user system and sets no value, so the scenario gives the bounds: the
 * client must give up within give_up_within_us and not before
 * give_up_not_before_us.  A wait starts when the client sent the request
 * (connection, command or end of message) that a scenario action stalled
 * or silenced, and ends at the client's next action: a command (QUIT, for
 * instance) or closing the connection.  A center that closed the
 * connection itself (a drop) gives the client nothing to wait for.  The
 * bounds are compared exactly, so a scenario leaves its own margin for
 * timer granularity.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "checks-private.h"

typedef enum {
  WAIT_GAVE_UP,        /* the client acted while the reply was outstanding */
  WAIT_GOT_REPLY,      /* the stall ended and the reply came */
  WAIT_TIMED_OUT,      /* the center's idle timeout ended it */
  WAIT_DROPPED,        /* the center closed the connection */
  WAIT_UNFINISHED,     /* the recording ended first */
} WaitOutcome;

typedef struct {
  guint request;       /* index of the stalled request */
  guint action;        /* index of the ACTION event */
  gint end;            /* index of the event that ended the wait, or -1 */
  WaitOutcome outcome;
  gint64 waited_us;
} Wait;

static guint
request_before (GPtrArray *events, guint index)
{
  for (guint i = index + 1; i-- > 0;)
    if (checks_is_request (g_ptr_array_index (events, i)))
      return i;
  return 0;
}

static WaitOutcome
outcome_of (const NaccsSimEvent *event)
{
  if (event->kind == NACCS_SIM_EVENT_REPLY)
    return WAIT_GOT_REPLY;
  if (event->kind == NACCS_SIM_EVENT_IDLE_TIMEOUT)
    return WAIT_TIMED_OUT;
  if (event->kind == NACCS_SIM_EVENT_SERVER_CLOSED)
    return WAIT_DROPPED;
  return WAIT_GAVE_UP;
}

static gboolean
ends_wait (const NaccsSimEvent *event)
{
  return event->kind == NACCS_SIM_EVENT_REPLY
         || event->kind == NACCS_SIM_EVENT_LINE_IN
         || event->kind == NACCS_SIM_EVENT_IDLE_TIMEOUT
         || event->kind == NACCS_SIM_EVENT_SERVER_CLOSED
         || checks_is_client_close (event);
}

/* Index of the first request after `index`, or -1. */
static gint
request_after (GPtrArray *events, guint index)
{
  for (guint i = index + 1; i < events->len; i++)
    if (checks_is_request (g_ptr_array_index (events, i)))
      return (gint) i;
  return -1;
}

/* Follows the wait that scenario action `action` started.  An action
 * recorded after its reply was written (silence after reply, close after
 * reply) stalls the client's next request instead.  Without a next request
 * there is no wait, which is reported as WAIT_DROPPED. */
static Wait
follow_wait (GPtrArray *events, GArray *pairs, guint action)
{
  Wait wait = { request_before (events, action), action, -1,
                WAIT_UNFINISHED, 0 };
  gint answered_at = g_array_index (pairs, gint, wait.request);
  const NaccsSimEvent *request;
  const NaccsSimEvent *last = g_ptr_array_index (events, events->len - 1);
  guint from = action;

  if (answered_at >= 0 && (guint) answered_at < action)
    {
      gint next = request_after (events, action);

      if (next < 0)
        {
          wait.outcome = WAIT_DROPPED;
          return wait;
        }
      wait.request = (guint) next;
      from = (guint) next;
    }
  request = g_ptr_array_index (events, wait.request);

  for (guint i = from + 1; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);

      if (!ends_wait (event))
        continue;
      wait.end = (gint) i;
      wait.outcome = outcome_of (event);
      wait.waited_us = event->at_us - request->at_us;
      return wait;
    }
  wait.waited_us = last->at_us - request->at_us;
  return wait;
}

static void
cite_wait (ChecksJudge *judge, guint connection, GPtrArray *events,
           const Wait *wait)
{
  checks_cite (judge, connection, events, wait->request);
  checks_cite (judge, connection, events, wait->action);
  if (wait->end >= 0)
    checks_cite (judge, connection, events, (guint) wait->end);
}

/* Judges a wait that did not end by the client's own action. */
static void
judge_endless_wait (ChecksJudge *judge,
                    const NaccsSimCheckContext *context,
                    guint connection,
                    GPtrArray *events,
                    const Wait *wait)
{
  g_autofree char *waited = checks_format_seconds (wait->waited_us);
  g_autofree char *bound = NULL;
  gint64 within = context->give_up_within_us;

  if (wait->outcome == WAIT_TIMED_OUT)
    {
      cite_wait (judge, connection, events, wait);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u: the client never "
                                            "gave up; the center closed the "
                                            "connection after %s s of "
                                            "waiting."), connection, waited));
      return;
    }
  if (within < 0 || wait->waited_us <= within)
    return;   /* no bound, or the reply came in time: nothing to give up */

  bound = checks_format_seconds (within);
  cite_wait (judge, connection, events, wait);
  if (wait->outcome == WAIT_GOT_REPLY)
    checks_judge_fail (judge,
                       g_strdup_printf (_("Connection %u: the client was "
                                          "still waiting when the delayed "
                                          "reply came after %s s; it should "
                                          "have given up within %s s."),
                                        connection, waited, bound));
  else
    checks_judge_fail (judge,
                       g_strdup_printf (_("Connection %u: the client had "
                                          "waited %s s without giving up "
                                          "when the recording ended; the "
                                          "bound is %s s."),
                                        connection, waited, bound));
}

static void
judge_gave_up (ChecksJudge *judge,
               const NaccsSimCheckContext *context,
               guint connection,
               GPtrArray *events,
               const Wait *wait)
{
  g_autofree char *waited = checks_format_seconds (wait->waited_us);
  gint64 within = context->give_up_within_us;
  gint64 not_before = context->give_up_not_before_us;

  if (within >= 0 && wait->waited_us > within)
    {
      g_autofree char *bound = checks_format_seconds (within);

      cite_wait (judge, connection, events, wait);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u: the client gave "
                                            "up after %s s, later than the "
                                            "bound of %s s."),
                                          connection, waited, bound));
      return;
    }
  if (not_before >= 0 && wait->waited_us < not_before)
    {
      g_autofree char *bound = checks_format_seconds (not_before);

      cite_wait (judge, connection, events, wait);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u: the client gave "
                                            "up after %s s, before the "
                                            "minimum of %s s."),
                                          connection, waited, bound));
      return;
    }
  cite_wait (judge, connection, events, wait);
  checks_judge_pass (judge,
                     g_strdup_printf (_("Connection %u: the client gave up "
                                        "on the stalled center after %s s."),
                                      connection, waited));
}

static void
judge_connection (ChecksJudge *judge,
                  const NaccsSimCheckContext *context,
                  guint connection,
                  GPtrArray *events)
{
  g_autoptr (GArray) pairs = checks_pair_replies (events);
  gint judged_request = -1;

  for (guint i = 0; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);
      Wait wait;

      if (event->kind != NACCS_SIM_EVENT_ACTION)
        continue;
      wait = follow_wait (events, pairs, i);
      /* Several actions on one request (a stall, then silence) make one
       * wait. */
      if (wait.outcome == WAIT_DROPPED || (gint) wait.request == judged_request)
        continue;
      judged_request = (gint) wait.request;
      if (wait.outcome == WAIT_GAVE_UP)
        judge_gave_up (judge, context, connection, events, &wait);
      else
        judge_endless_wait (judge, context, connection, events, &wait);
    }
}

NaccsSimVerdict *
checks_time_give_up (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;

  checks_judge_init (&judge, "TIME-GIVE-UP");
  for (guint c = 0; c < context->connections->len; c++)
    judge_connection (&judge, context, c + 1, checks_connection (context, c));
  return checks_judge_finish (&judge,
                              g_strdup (_("The center never stalled or went "
                                          "silent while the client waited.")));
}
