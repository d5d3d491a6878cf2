/* checks-message.c: the checks on the messages themselves: MSG-DOT,
 * MSG-COUNT, MSG-LINE-LENGTH and MSG-CRLF.
 *
 * Row 6 of table 4-3-13 of the NACCS mail-method specification has the
 * user system send each processing-request message with dummy dots in
 * front of lines that begin with ".", with a CRLF at least every 1000
 * octets, and the published EDI rules make CRLF the only line delimiter.
 * A message must reach the center exactly once: a message that got 250 is
 * never sent again, and the scenario may require a message to be spooled
 * or not.  Received messages are matched with fixtures by content
 * (checks_match_message), because a client may send them in any order and
 * over several connections; the dummy-dot diagnosis is in checks-diff.c.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "checks-private.h"

static const char *
fixture_name (const NaccsSimCheckContext *context, gint index)
{
  NaccsSimExpectedMessage *expected = g_ptr_array_index (context->messages,
                                                         (guint) index);

  return expected->path != NULL ? expected->path : "-";
}

/* ---- MSG-DOT ---- */

static char *
describe_diff (const ChecksDiff *diff, gsize received_size, gsize expected_size)
{
  switch (diff->kind)
    {
    case CHECKS_DIFF_MISSING_DOT:
      return g_strdup_printf (_("line %u lost its leading \".\": the client "
                                "sent no dummy dot"), diff->line);
    case CHECKS_DIFF_DOUBLED_DOT:
      return g_strdup_printf (_("line %u begins with one \".\" too many: the "
                                "client sent two dummy dots"), diff->line);
    case CHECKS_DIFF_MISPLACED_DOT:
      return g_strdup_printf (_("line %u holds a \".\" at byte offset %lu "
                                "that the fixture lacks: a dummy dot in the "
                                "wrong place"),
                              diff->line, (gulong) diff->offset);
    case CHECKS_DIFF_ENDED_AT_DOT:
      return g_strdup_printf (_("the message ended at line %u, a line of "
                                "only \".\" sent without its dummy dot, "
                                "after %lu of %lu octets"),
                              diff->line, (gulong) received_size,
                              (gulong) expected_size);
    case CHECKS_DIFF_OTHER:
      return g_strdup_printf (_("it differs from the fixture first at line "
                                "%u, byte offset %lu"),
                              diff->line, (gulong) diff->offset);
    case CHECKS_DIFF_SAME:
      break;
    }
  return g_strdup ("");
}

/* Cites the first command after a message that ended early: the rest of
 * the message, which the center read as commands. */
static void
cite_spill (ChecksJudge *judge, guint connection, GPtrArray *events,
            guint message)
{
  for (guint i = message + 1; i < events->len; i++)
    if (((const NaccsSimEvent *) g_ptr_array_index (events, i))->kind
        == NACCS_SIM_EVENT_LINE_IN)
      {
        checks_cite (judge, connection, events, i);
        return;
      }
}

static void
fail_dot (ChecksJudge *judge,
          const NaccsSimCheckContext *context,
          guint connection,
          GPtrArray *events,
          guint index,
          gint fixture)
{
  const NaccsSimEvent *event = g_ptr_array_index (events, index);
  NaccsSimExpectedMessage *expected = g_ptr_array_index (context->messages,
                                                         (guint) fixture);
  ChecksDiff diff;
  g_autofree char *what = NULL;
  GString *sentence = g_string_new (NULL);

  checks_diff (expected->bytes, event->body, &diff);
  what = describe_diff (&diff, g_bytes_get_size (event->body),
                        g_bytes_get_size (expected->bytes));
  g_string_printf (sentence, _("Connection %u, message %u (fixture %s): %s."),
                   connection, event->message_seq,
                   fixture_name (context, fixture), what);
  if (diff.more_lines > 0)
    {
      g_string_append_c (sentence, ' ');
      g_string_append_printf (sentence,
                              ngettext ("%u more line has the same fault.",
                                        "%u more lines have the same fault.",
                                        diff.more_lines),
                              diff.more_lines);
    }

  checks_cite (judge, connection, events, index);
  checks_note (judge, connection, event->at_us,
               g_strdup_printf (_("line %u expected: %s"), diff.line,
                                diff.expected_line != NULL
                                ? diff.expected_line : _("(none)")));
  checks_note (judge, connection, event->at_us,
               g_strdup_printf (_("line %u received: %s"), diff.line,
                                diff.received_line != NULL
                                ? diff.received_line : _("(none)")));
  if (diff.kind == CHECKS_DIFF_ENDED_AT_DOT)
    cite_spill (judge, connection, events, index);
  checks_judge_fail (judge, g_string_free (sentence, FALSE));
  checks_diff_clear (&diff);
}

NaccsSimVerdict *
checks_msg_dot (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;

  checks_judge_init (&judge, "MSG-DOT");
  for (guint c = 0; c < context->connections->len; c++)
    {
      GPtrArray *events = checks_connection (context, c);

      for (guint i = 0; i < events->len; i++)
        {
          const NaccsSimEvent *event = g_ptr_array_index (events, i);
          gboolean exact = FALSE;
          gint fixture;

          if (event->kind != NACCS_SIM_EVENT_MESSAGE)
            continue;
          fixture = checks_match_message (context, event->body, &exact);
          if (fixture < 0)
            continue;
          if (exact)
            checks_judge_pass (&judge,
                               g_strdup_printf (ngettext ("%u message equals "
                                                          "its fixture after "
                                                          "dummy-dot removal.",
                                                          "%u messages equal "
                                                          "their fixtures "
                                                          "after dummy-dot "
                                                          "removal.",
                                                          judge.n_passes + 1),
                                                judge.n_passes + 1));
          else
            fail_dot (&judge, context, c + 1, events, i, fixture);
        }
    }
  return checks_judge_finish (&judge,
                              g_strdup (_("No message arrived with its body "
                                          "kept, or no fixture was given.")));
}

/* ---- MSG-COUNT ---- */

typedef struct {
  guint accepted;
  guint arrivals;
  guint last_connection;     /* where it last arrived, 0 if never */
  guint last_index;
  guint accept_connection;   /* where it was first accepted */
  guint accept_index;
  gint accept_reply;
} FixtureTally;

static gboolean
center_refused_something (const NaccsSimCheckContext *context)
{
  for (guint c = 0; c < context->connections->len; c++)
    {
      GPtrArray *events = checks_connection (context, c);

      for (guint i = 0; i < events->len; i++)
        {
          const NaccsSimEvent *event = g_ptr_array_index (events, i);

          if (event->kind == NACCS_SIM_EVENT_ACTION
              || (event->kind == NACCS_SIM_EVENT_REPLY
                  && event->reply_code >= 400))
            return TRUE;
        }
    }
  return FALSE;
}

static void
tally_message (ChecksJudge *judge,
               const NaccsSimCheckContext *context,
               FixtureTally *tallies,
               guint connection,
               GPtrArray *events,
               GArray *pairs,
               guint index)
{
  const NaccsSimEvent *event = g_ptr_array_index (events, index);
  gint reply = g_array_index (pairs, gint, index);
  gboolean exact = FALSE;
  gint fixture = checks_match_message (context, event->body, &exact);
  FixtureTally *tally;
  guint code;

  if (fixture < 0)
    return;
  tally = &tallies[fixture];
  tally->arrivals++;
  tally->last_connection = connection;
  tally->last_index = index;
  code = reply >= 0
         ? ((const NaccsSimEvent *) g_ptr_array_index (events, (guint) reply))->reply_code
         : 0;

  if (tally->accepted > 0)
    {
      GPtrArray *first = checks_connection (context, tally->accept_connection - 1);

      checks_cite (judge, tally->accept_connection, first, tally->accept_index);
      if (tally->accept_reply >= 0)
        checks_cite (judge, tally->accept_connection, first,
                     (guint) tally->accept_reply);
      checks_cite (judge, connection, events, index);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u: message %u "
                                            "(fixture %s) was sent again "
                                            "after the center had accepted "
                                            "it with 250."),
                                          connection, event->message_seq,
                                          fixture_name (context, fixture)));
    }
  if (code / 100 == 2 && tally->accepted++ == 0)
    {
      tally->accept_connection = connection;
      tally->accept_index = index;
      tally->accept_reply = reply;
    }
}

/* Cites where a message that was never accepted last arrived, or else
 * where the client's last connection ended without it. */
static void
cite_missing (ChecksJudge *judge,
              const NaccsSimCheckContext *context,
              const FixtureTally *tally,
              const char *name)
{
  GPtrArray *events;
  const NaccsSimEvent *last;

  if (tally->last_connection > 0)
    {
      GArray *pairs;
      gint reply;

      events = checks_connection (context, tally->last_connection - 1);
      pairs = checks_pair_replies (events);
      reply = g_array_index (pairs, gint, tally->last_index);
      checks_cite (judge, tally->last_connection, events, tally->last_index);
      if (reply >= 0)
        checks_cite (judge, tally->last_connection, events, (guint) reply);
      g_array_unref (pairs);
      return;
    }
  if (context->connections->len == 0)
    return;
  events = checks_connection (context, context->connections->len - 1);
  if (events->len == 0)
    return;
  last = g_ptr_array_index (events, events->len - 1);
  checks_cite (judge, context->connections->len, events, events->len - 1);
  checks_note (judge, context->connections->len, last->at_us,
               g_strdup_printf (_("fixture %s never arrived"), name));
}

static void
judge_tally (ChecksJudge *judge,
             const NaccsSimCheckContext *context,
             const FixtureTally *tally,
             guint fixture,
             gboolean refused)
{
  NaccsSimExpectedMessage *expected = g_ptr_array_index (context->messages,
                                                         fixture);
  const char *name = fixture_name (context, (gint) fixture);

  if (expected->spool == NACCS_SIM_SPOOL_FORBIDDEN && tally->accepted > 0)
    {
      checks_cite (judge, tally->accept_connection,
                   checks_connection (context, tally->accept_connection - 1),
                   tally->accept_index);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Fixture %s was accepted, but the "
                                            "scenario requires that it is "
                                            "not spooled."), name));
      return;
    }
  if (tally->accepted == 0
      && (expected->spool == NACCS_SIM_SPOOL_REQUIRED
          || (expected->spool == NACCS_SIM_SPOOL_DEFAULT && !refused)))
    {
      cite_missing (judge, context, tally, name);
      checks_judge_fail (judge,
                         g_strdup_printf (ngettext ("Fixture %s was never "
                                                    "accepted (it arrived %u "
                                                    "time).",
                                                    "Fixture %s was never "
                                                    "accepted (it arrived %u "
                                                    "times).",
                                                    tally->arrivals),
                                          name, tally->arrivals));
      return;
    }
  checks_judge_pass (judge, NULL);
}

static guint
count_accepted (const FixtureTally *tallies, guint n)
{
  guint accepted = 0;

  for (guint i = 0; i < n; i++)
    if (tallies[i].accepted > 0)
      accepted++;
  return accepted;
}

static gboolean
any_body_kept (const NaccsSimCheckContext *context, gboolean *any_message)
{
  *any_message = FALSE;
  for (guint c = 0; c < context->connections->len; c++)
    {
      GPtrArray *events = checks_connection (context, c);

      for (guint i = 0; i < events->len; i++)
        {
          const NaccsSimEvent *event = g_ptr_array_index (events, i);

          if (event->kind != NACCS_SIM_EVENT_MESSAGE)
            continue;
          *any_message = TRUE;
          if (event->body != NULL)
            return TRUE;
        }
    }
  return FALSE;
}

NaccsSimVerdict *
checks_msg_count (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;
  g_autofree FixtureTally *tallies = NULL;
  gboolean any_message = FALSE;

  checks_judge_init (&judge, "MSG-COUNT");
  if (context->messages->len == 0)
    return checks_judge_finish (&judge,
                                g_strdup (_("The client was asked to send no "
                                            "message.")));
  if (!any_body_kept (context, &any_message) && any_message)
    return checks_judge_finish (&judge,
                                g_strdup (_("The session kept no message "
                                            "bodies, so messages cannot be "
                                            "told apart.")));

  tallies = g_new0 (FixtureTally, context->messages->len);
  for (guint c = 0; c < context->connections->len; c++)
    {
      GPtrArray *events = checks_connection (context, c);
      g_autoptr (GArray) pairs = checks_pair_replies (events);

      for (guint i = 0; i < events->len; i++)
        if (((const NaccsSimEvent *) g_ptr_array_index (events, i))->kind
            == NACCS_SIM_EVENT_MESSAGE)
          tally_message (&judge, context, tallies, c + 1, events, pairs, i);
    }
  for (guint f = 0; f < context->messages->len; f++)
    judge_tally (&judge, context, &tallies[f], f,
                 center_refused_something (context));
  if (judge.verdict->status == NACCS_SIM_CHECK_PASS)
    {
      guint total = context->messages->len;

      checks_judge_pass (&judge,
                         g_strdup_printf (ngettext ("%u of %u asked message "
                                                    "was accepted, none more "
                                                    "than once, as the "
                                                    "scenario requires.",
                                                    "%u of %u asked messages "
                                                    "were accepted, none more "
                                                    "than once, as the "
                                                    "scenario requires.",
                                                    total),
                                          count_accepted (tallies, total),
                                          total));
    }
  return checks_judge_finish (&judge, NULL);
}

/* ---- MSG-LINE-LENGTH and MSG-CRLF ---- */

/* A LIMIT event with an octet count is a command line the center found too
 * long.  Only a line over the 1000 octets of RFC 5321 breaks the rule: a
 * center configured with a lower limit may refuse a legal line, and long
 * lines inside a message are judged from its MESSAGE event. */
static gboolean
is_line_limit (GPtrArray *events, guint index)
{
  const NaccsSimEvent *event = g_ptr_array_index (events, index);

  return event->kind == NACCS_SIM_EVENT_LIMIT
         && event->max_line_octets > 1000;
}

static void
judge_line_length (ChecksJudge *judge, guint connection, GPtrArray *events,
                   guint index)
{
  const NaccsSimEvent *event = g_ptr_array_index (events, index);

  if (is_line_limit (events, index))
    {
      checks_cite (judge, connection, events, index);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u: the center hit "
                                          "its line-length limit (%s)."),
                                          connection, event->text));
      return;
    }
  if (event->kind != NACCS_SIM_EVENT_MESSAGE)
    return;
  if (event->first_long_line != 0)
    {
      checks_cite (judge, connection, events, index);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u, message %u: line "
                                            "%u is longer than 1000 octets "
                                            "with its CRLF (the longest line "
                                            "has %u octets)."),
                                          connection, event->message_seq,
                                          event->first_long_line,
                                          event->max_line_octets));
      return;
    }
  checks_judge_pass (judge,
                     g_strdup (_("Every message line fits in 1000 octets "
                                 "with its CRLF.")));
}

NaccsSimVerdict *
checks_msg_line_length (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;

  checks_judge_init (&judge, "MSG-LINE-LENGTH");
  for (guint c = 0; c < context->connections->len; c++)
    {
      GPtrArray *events = checks_connection (context, c);

      for (guint i = 0; i < events->len; i++)
        judge_line_length (&judge, c + 1, events, i);
    }
  return checks_judge_finish (&judge,
                              g_strdup (_("No message arrived.")));
}

/* LINE_IN text escapes a CR or LF inside a command line as \x0D or \x0A. */
static gboolean
has_bare_line_end (const char *text)
{
  return text != NULL
         && (strstr (text, "\\x0D") != NULL || strstr (text, "\\x0d") != NULL
             || strstr (text, "\\x0A") != NULL || strstr (text, "\\x0a") != NULL);
}

static void
judge_crlf (ChecksJudge *judge, guint connection, GPtrArray *events,
            guint index)
{
  const NaccsSimEvent *event = g_ptr_array_index (events, index);

  if (event->kind == NACCS_SIM_EVENT_LINE_IN && has_bare_line_end (event->text))
    {
      checks_cite (judge, connection, events, index);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u: the command line "
                                            "\"%s\" holds a bare CR or LF."),
                                          connection, event->text));
      return;
    }
  if (event->kind != NACCS_SIM_EVENT_MESSAGE)
    return;
  if (event->first_bare_line != 0)
    {
      checks_cite (judge, connection, events, index);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u, message %u: line "
                                            "%u holds a bare CR or LF."),
                                          connection, event->message_seq,
                                          event->first_bare_line));
      return;
    }
  checks_judge_pass (judge,
                     g_strdup (_("Every message used CRLF line ends only.")));
}

NaccsSimVerdict *
checks_msg_crlf (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;

  checks_judge_init (&judge, "MSG-CRLF");
  for (guint c = 0; c < context->connections->len; c++)
    {
      GPtrArray *events = checks_connection (context, c);

      for (guint i = 0; i < events->len; i++)
        judge_crlf (&judge, c + 1, events, i);
    }
  return checks_judge_finish (&judge,
                              g_strdup (_("No message arrived.")));
}
