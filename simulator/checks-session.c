/* checks-session.c: the checks on how a client ends its connections:
 * SES-QUIT, SES-AFTER-CLOSE and SES-CLOSE-421.
 *
 * The note to table 4-3-13 of the NACCS mail-method specification requires
 * the user system to send QUIT as soon as all messages have been sent, since
 * otherwise the center keeps the connection open until its idle timeout
 * (one hour).  RFC 5321 section 4.1.1.10 ends the session at 221, and section
 * 3.8 makes 421 a closing reply after which the client closes, with an
 * optional QUIT.  A connection the center dropped, or one the client left
 * while a reply was still outstanding (a stalled center, judged by
 * TIME-GIVE-UP), is not judged by SES-QUIT, and neither is one with a 421
 * other than the idle timeout's own, which SES-CLOSE-421 judges.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "checks-private.h"

/* Index of the first event of `kind`, or of a REPLY with `code` when code
 * is not 0; -1 when there is none. */
static gint
find_event (GPtrArray *events, NaccsSimEventKind kind, guint code)
{
  for (guint i = 0; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);

      if (event->kind == kind && (code == 0 || event->reply_code == code))
        return (gint) i;
    }
  return -1;
}

/* Index of the first event that ends the connection, or -1. */
static gint
find_end (GPtrArray *events)
{
  for (guint i = 0; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);

      if (checks_is_client_close (event)
          || event->kind == NACCS_SIM_EVENT_IDLE_TIMEOUT
          || event->kind == NACCS_SIM_EVENT_SERVER_CLOSED)
        return (gint) i;
    }
  return -1;
}

/* The center closes the connection after its 221 or 421 in the same
 * main-loop dispatch that finished writing the reply, so the two events
 * lie microseconds apart.  A close this long after the reply or later is
 * one the center made for another reason, such as the server stopping at
 * the end of a run.  The margin is for a loaded machine. */
#define CLOSE_AT_ONCE_US (100 * G_TIME_SPAN_MILLISECOND)

/* TRUE when REPLY event `reply` is the 421 by which the center ended an
 * idle connection: the IDLE_TIMEOUT event comes right before it, or
 * before the scenario actions that shape the reply. */
static gboolean
is_idle_timeout_reply (GPtrArray *events, guint reply)
{
  for (guint i = reply; i-- > 0;)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);

      if (event->kind != NACCS_SIM_EVENT_ACTION)
        return event->kind == NACCS_SIM_EVENT_IDLE_TIMEOUT;
    }
  return FALSE;
}

/* ---- SES-QUIT ---- */

/* Returns the time of the last reply to a message before `before`, or else
 * of the last reply before it, or -1 when there was no reply. */
static gint
last_answer (GPtrArray *events, GArray *pairs, guint before)
{
  gint last_reply = -1;

  for (guint i = before; i-- > 0;)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);
      gint request = g_array_index (pairs, gint, i);

      if (event->kind != NACCS_SIM_EVENT_REPLY)
        continue;
      if (last_reply < 0)
        last_reply = (gint) i;
      if (request >= 0
          && ((const NaccsSimEvent *) g_ptr_array_index (events, (guint) request))->kind
             == NACCS_SIM_EVENT_MESSAGE)
        return (gint) i;
    }
  return last_reply;
}

static gboolean
reply_outstanding (GPtrArray *events, GArray *pairs, guint before)
{
  for (guint i = 0; i < before; i++)
    if (checks_is_request (g_ptr_array_index (events, i))
        && g_array_index (pairs, gint, i) < 0)
      return TRUE;
  return FALSE;
}

static void
judge_quit_sent (ChecksJudge *judge,
                 const NaccsSimCheckContext *context,
                 guint connection,
                 GPtrArray *events,
                 GArray *pairs,
                 guint quit)
{
  const NaccsSimEvent *event = g_ptr_array_index (events, quit);
  gint answer = last_answer (events, pairs, quit);
  gint64 delay = 0;
  g_autofree char *delay_s = NULL;

  if (answer >= 0)
    delay = event->at_us
            - ((const NaccsSimEvent *) g_ptr_array_index (events, (guint) answer))->at_us;
  delay_s = checks_format_seconds (delay);

  if (context->quit_within_us >= 0 && delay > context->quit_within_us)
    {
      g_autofree char *bound = checks_format_seconds (context->quit_within_us);

      if (answer >= 0)
        checks_cite (judge, connection, events, (guint) answer);
      checks_cite (judge, connection, events, quit);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u: QUIT came %s s "
                                            "after the last reply, later "
                                            "than the scenario's %s s."),
                                          connection, delay_s, bound));
      return;
    }
  checks_judge_pass (judge,
                     g_strdup_printf (_("Connection %u: QUIT came %s s after "
                                        "the last reply."),
                                      connection, delay_s));
}

static void
judge_no_quit (ChecksJudge *judge,
               guint connection,
               GPtrArray *events,
               GArray *pairs,
               gint end)
{
  const NaccsSimEvent *closing = end >= 0 ? g_ptr_array_index (events, (guint) end) : NULL;
  guint limit = end >= 0 ? (guint) end : events->len;
  gint answer = last_answer (events, pairs, limit);
  g_autofree char *when = NULL;

  /* A drop by the center, or a client that stopped waiting for a reply
   * that never came, is no failure to say goodbye. */
  if (closing != NULL && closing->kind == NACCS_SIM_EVENT_SERVER_CLOSED)
    return;
  if (reply_outstanding (events, pairs, limit))
    return;

  if (answer >= 0)
    checks_cite (judge, connection, events, (guint) answer);
  if (end >= 0)
    checks_cite (judge, connection, events, (guint) end);
  when = checks_format_seconds (closing != NULL ? closing->at_us : 0);
  if (closing == NULL)
    checks_judge_fail (judge,
                       g_strdup_printf (_("Connection %u: the client never "
                                          "sent QUIT and the connection was "
                                          "still open when the recording "
                                          "ended."), connection));
  else if (closing->kind == NACCS_SIM_EVENT_IDLE_TIMEOUT)
    checks_judge_fail (judge,
                       g_strdup_printf (_("Connection %u: the client never "
                                          "sent QUIT; the center closed the "
                                          "idle connection at %s s."),
                                        connection, when));
  else
    checks_judge_fail (judge,
                       g_strdup_printf (_("Connection %u: the client closed "
                                          "the connection at %s s without "
                                          "QUIT."), connection, when));
}

static void
judge_quit (ChecksJudge *judge,
            const NaccsSimCheckContext *context,
            guint connection,
            GPtrArray *events)
{
  g_autoptr (GArray) pairs = NULL;
  gint end = find_end (events);
  guint limit = end >= 0 ? (guint) end : events->len;
  gint quit = -1;
  gint closing = find_event (events, NACCS_SIM_EVENT_REPLY, 421);

  /* SES-CLOSE-421 judges how a connection with 421 ends, unless the 421
   * only announced the center's idle timeout, which is SES-QUIT's case.
   * A 421 to a command followed later by an idle timeout is still
   * SES-CLOSE-421's. */
  if (closing >= 0 && !is_idle_timeout_reply (events, (guint) closing))
    return;

  for (guint i = 0; i < limit && quit < 0; i++)
    if (checks_verb (g_ptr_array_index (events, i)) == CHECKS_VERB_QUIT)
      quit = (gint) i;

  pairs = checks_pair_replies (events);
  if (quit >= 0)
    judge_quit_sent (judge, context, connection, events, pairs, (guint) quit);
  else
    judge_no_quit (judge, connection, events, pairs, end);
}

NaccsSimVerdict *
checks_ses_quit (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;

  checks_judge_init (&judge, "SES-QUIT");
  for (guint c = 0; c < context->connections->len; c++)
    judge_quit (&judge, context, c + 1, checks_connection (context, c));
  return checks_judge_finish (&judge,
                              g_strdup (_("No connection ended in a way the "
                                          "client controlled.")));
}

/* ---- SES-AFTER-CLOSE ---- */

static gboolean
is_quit_text (const char *text)
{
  return text != NULL && g_ascii_strncasecmp (text, "QUIT", 4) == 0
         && (text[4] == '\0' || text[4] == ' ' || text[4] == '\\');
}

/* TRUE when the client sent `event` before it could have read the
 * closing reply `reply`: it arrived before the reply had been completely
 * written (early), or no later than the time the reply was recorded.
 * The session stamps buffered INPUT_AFTER_CLOSE_REPLY bytes with their
 * arrival time and sets early on those read before the reply was out. */
static gboolean
sent_before_reply (const NaccsSimEvent *event, const NaccsSimEvent *reply)
{
  return event->early || event->at_us <= reply->at_us;
}

static void
judge_after_close (ChecksJudge *judge, guint connection, GPtrArray *events)
{
  gint closing = -1;
  const NaccsSimEvent *reply;
  gboolean quit_allowed;
  gboolean failed = FALSE;

  for (guint i = 0; i < events->len && closing < 0; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);

      if (event->kind == NACCS_SIM_EVENT_REPLY
          && (event->reply_code == 221 || event->reply_code == 421))
        closing = (gint) i;
    }
  if (closing < 0)
    return;
  reply = g_ptr_array_index (events, (guint) closing);
  quit_allowed = reply->reply_code == 421;

  for (guint i = (guint) closing + 1; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);

      if (event->kind != NACCS_SIM_EVENT_LINE_IN
          && event->kind != NACCS_SIM_EVENT_INPUT_AFTER_CLOSE_REPLY)
        continue;
      /* A line sent before the closing reply was written cannot react to
       * it.  The one QUIT that RFC 5321 allows after 421 is no fault. */
      if (sent_before_reply (event, reply))
        continue;
      if (quit_allowed && is_quit_text (event->text))
        {
          quit_allowed = FALSE;
          continue;
        }
      checks_cite (judge, connection, events, (guint) closing);
      checks_cite (judge, connection, events, i);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u: the client sent "
                                            "\"%s\" after reply %u."),
                                          connection, event->text,
                                          reply->reply_code));
      failed = TRUE;
    }
  if (!failed)
    checks_judge_pass (judge,
                       g_strdup (_("The client sent nothing after 221 or "
                                   "421.")));
}

NaccsSimVerdict *
checks_ses_after_close (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;

  checks_judge_init (&judge, "SES-AFTER-CLOSE");
  for (guint c = 0; c < context->connections->len; c++)
    judge_after_close (&judge, c + 1, checks_connection (context, c));
  return checks_judge_finish (&judge,
                              g_strdup (_("The center sent neither 221 nor "
                                          "421.")));
}

/* ---- SES-CLOSE-421 ---- */

/* TRUE when SERVER_CLOSED event `close` is the center's own close right
 * after the 421 `reply`: only the records of that close (a scenario
 * action, bytes found waiting) lie between them, and no time passed in
 * which the client could have closed first. */
static gboolean
closed_with_reply (GPtrArray *events, guint reply, guint close)
{
  const NaccsSimEvent *reply_event = g_ptr_array_index (events, reply);
  const NaccsSimEvent *close_event = g_ptr_array_index (events, close);

  for (guint i = reply + 1; i < close; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);

      if (event->kind != NACCS_SIM_EVENT_ACTION
          && event->kind != NACCS_SIM_EVENT_INPUT_AFTER_CLOSE_REPLY)
        return FALSE;
    }
  return close_event->at_us - reply_event->at_us < CLOSE_AT_ONCE_US;
}

static void
judge_close_421 (ChecksJudge *judge, guint connection, GPtrArray *events)
{
  gint closing = find_event (events, NACCS_SIM_EVENT_REPLY, 421);
  const NaccsSimEvent *reply;

  if (closing < 0)
    return;
  reply = g_ptr_array_index (events, (guint) closing);

  for (guint i = (guint) closing + 1; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);
      g_autofree char *delay = checks_format_seconds (event->at_us - reply->at_us);

      if (checks_is_client_close (event)
          || (checks_verb (event) == CHECKS_VERB_QUIT && !event->early))
        {
          checks_judge_pass (judge,
                             g_strdup_printf (_("Connection %u: the client "
                                                "left %s s after 421."),
                                              connection, delay));
          return;
        }
      if (event->kind == NACCS_SIM_EVENT_SERVER_CLOSED
          && closed_with_reply (events, (guint) closing, i))
        return;   /* the center closed first: nothing to judge */
      if (event->kind == NACCS_SIM_EVENT_SERVER_CLOSED)
        {
          /* The center left the connection open after its 421 (a
           * scenario's silence) and closed it much later, because the
           * server stopped at the end of the run. */
          checks_cite (judge, connection, events, (guint) closing);
          checks_cite (judge, connection, events, i);
          checks_judge_fail (judge,
                             g_strdup_printf (_("Connection %u: the client "
                                                "stayed connected %s s "
                                                "after 421, until the "
                                                "center closed the "
                                                "connection."),
                                              connection, delay));
          return;
        }
      if (event->kind == NACCS_SIM_EVENT_IDLE_TIMEOUT)
        {
          checks_cite (judge, connection, events, (guint) closing);
          checks_cite (judge, connection, events, i);
          checks_judge_fail (judge,
                             g_strdup_printf (_("Connection %u: the client "
                                                "kept the connection open "
                                                "after 421 until the center "
                                                "timed it out %s s later."),
                                              connection, delay));
          return;
        }
    }
  checks_cite (judge, connection, events, (guint) closing);
  checks_judge_fail (judge,
                     g_strdup_printf (_("Connection %u: the client had not "
                                        "closed the connection after 421 "
                                        "when the recording ended."),
                                      connection));
}

NaccsSimVerdict *
checks_ses_close_421 (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;

  checks_judge_init (&judge, "SES-CLOSE-421");
  for (guint c = 0; c < context->connections->len; c++)
    judge_close_421 (&judge, c + 1, checks_connection (context, c));
  return checks_judge_finish (&judge,
                              g_strdup (_("The center sent no 421, or closed "
                                          "the connection itself right "
                                          "after it.")));
}
