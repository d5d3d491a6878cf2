/* checks-conduct.c: the conduct model and the checks built on it,
 * ERR-ACTION and TXT-INDEPENDENT.
 *
 * The model returns what a conforming client may do after a reply, from
 * the request and the reply code alone.  The NACCS specification refers to
 * table 4-3-14 for error replies but does not contain it, so the model
 * follows the default action table, built from the RFC 5321 reply classes
 * (section 4.2.1): 2xx and 3xx continue with the next step of figure
 * 4-3-10; 421 means the center is closing, so the client closes (QUIT
 * optional) and reconnects later; another 4xx is transient, so the client
 * sends RSET or QUIT and retries later; a 5xx is permanent, so the client
 * sends RSET or QUIT and never resends the message unchanged.  After the
 * final reply to a message the transaction is over, so MAIL for the next
 * message is no blind continuation even after 4xx or 5xx.
 *
 * ERR-ACTION applies the model to 4xx and 5xx replies, whatever their
 * text.  TXT-INDEPENDENT applies it to the 2xx and 3xx replies of a
 * scenario whose reply texts differ from the center's defaults: the
 * specification says only the first three digits count, so a client must
 * go on after a success whatever its text says ("250 451 try again later"
 * included).  The two checks judge disjoint sets of replies, so one wrong
 * reaction fails one of them.  Each judgement pairs a reply with the first
 * thing the client did after it had been written; commands the client had
 * already pipelined are no reaction to it and are left to SEQ-WAIT.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "checks-private.h"

#define NEXT_ANY 0x1ffu

static guint
conduct_on_error (NaccsSimStep step)
{
  const guint give_up = NACCS_SIM_NEXT_RSET | NACCS_SIM_NEXT_QUIT
                        | NACCS_SIM_NEXT_CLOSE | NACCS_SIM_NEXT_NOOP;

  switch (step)
    {
    case NACCS_SIM_STEP_GREETING:
      /* No session to reset: RFC 5321 section 3.1 expects QUIT. */
      return NACCS_SIM_NEXT_QUIT | NACCS_SIM_NEXT_CLOSE;
    case NACCS_SIM_STEP_MESSAGE:
      return give_up | NACCS_SIM_NEXT_MAIL;
    default:
      return give_up;
    }
}

static guint
conduct_on_success (NaccsSimStep step, guint code, gboolean more_to_send)
{
  const guint finish = NACCS_SIM_NEXT_QUIT | NACCS_SIM_NEXT_CLOSE;
  const guint next_message = NACCS_SIM_NEXT_MAIL;

  if (step == NACCS_SIM_STEP_DATA)
    return code / 100 == 3 ? NACCS_SIM_NEXT_BODY : NEXT_ANY;
  if (code / 100 != 2)
    return NEXT_ANY;   /* a code the model has no rule for */

  switch (step)
    {
    case NACCS_SIM_STEP_GREETING:
      return NACCS_SIM_NEXT_HELO | NACCS_SIM_NEXT_NOOP
             | (more_to_send ? 0 : finish);
    case NACCS_SIM_STEP_HELO:
      return NACCS_SIM_NEXT_NOOP | NACCS_SIM_NEXT_RSET
             | (more_to_send ? next_message : finish);
    case NACCS_SIM_STEP_MAIL:
      return NACCS_SIM_NEXT_RCPT | NACCS_SIM_NEXT_NOOP;
    case NACCS_SIM_STEP_RCPT:
      return NACCS_SIM_NEXT_DATA | NACCS_SIM_NEXT_NOOP;
    case NACCS_SIM_STEP_MESSAGE:
    case NACCS_SIM_STEP_RSET:
      return NACCS_SIM_NEXT_NOOP | NACCS_SIM_NEXT_RSET
             | (more_to_send ? next_message : finish);
    case NACCS_SIM_STEP_DATA:
    case NACCS_SIM_STEP_QUIT:
      break;
    }
  return NEXT_ANY;
}

guint
naccs_sim_conduct_allowed (NaccsSimStep step,
                           guint reply_code,
                           gboolean more_to_send)
{
  guint class = reply_code / 100;

  if (step == NACCS_SIM_STEP_QUIT)
    return NACCS_SIM_NEXT_CLOSE;
  if (reply_code == 421)
    return NACCS_SIM_NEXT_QUIT | NACCS_SIM_NEXT_CLOSE;
  if (class == 4 || class == 5)
    return conduct_on_error (step);
  return conduct_on_success (step, reply_code, more_to_send);
}

/* Names the actions in `mask` for an explanation. */
static char *
describe_mask (guint mask)
{
  static const struct {
    guint bit;
    const char *name;
  } names[] = {
    { NACCS_SIM_NEXT_HELO, "HELO" }, { NACCS_SIM_NEXT_MAIL, "MAIL" },
    { NACCS_SIM_NEXT_RCPT, "RCPT" }, { NACCS_SIM_NEXT_DATA, "DATA" },
    { NACCS_SIM_NEXT_BODY, N_("the message") },
    { NACCS_SIM_NEXT_RSET, "RSET" }, { NACCS_SIM_NEXT_NOOP, "NOOP" },
    { NACCS_SIM_NEXT_QUIT, "QUIT" },
    { NACCS_SIM_NEXT_CLOSE, N_("closing the connection") },
  };
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if ((mask & names[i].bit) == 0)
        continue;
      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, _(names[i].name));
    }
  return g_string_free (out, FALSE);
}

/* ---- walking replies and reactions ---- */

typedef struct {
  const NaccsSimCheckContext *context;
  guint settled;        /* messages accepted or given up so far */
  gboolean transaction_settled; /* the message of the current MAIL
                                   transaction is counted in settled */
  gboolean judge_success; /* TRUE: 2xx and 3xx replies (TXT-INDEPENDENT);
                             FALSE: 4xx and 5xx (ERR-ACTION) */
  GPtrArray *rejected;  /* GBytes* of bodies that got 5xx */
} ConductWalk;

/* Returns what the client may do next, given whether it still has
 * messages to send.  Both cases are allowed when the number is unknown or
 * after a 4xx, because then the client may stop now and retry on a later
 * connection. */
static guint
allowed_for (const ConductWalk *walk,
             NaccsSimStep step,
             guint code,
             gboolean postponed)
{
  guint total = walk->context->messages->len;

  if (total == 0 || postponed)
    return naccs_sim_conduct_allowed (step, code, TRUE)
           | naccs_sim_conduct_allowed (step, code, FALSE);
  return naccs_sim_conduct_allowed (step, code, walk->settled < total);
}

static void
fail_reaction (ChecksJudge *judge,
               const ConductWalk *walk,
               guint connection,
               const NaccsSimEvent *reply,
               const NaccsSimEvent *action,
               guint allowed)
{
  g_autofree char *what = describe_mask (allowed);
  const char *did = action->kind == NACCS_SIM_EVENT_MESSAGE
                    ? _("the message")
                    : checks_is_client_close (action)
                    ? _("closing the connection") : action->text;

  if (walk->judge_success)
    checks_judge_fail (judge,
                       g_strdup_printf (_("Connection %u: after the reply "
                                          "\"%s\" the client's next action "
                                          "was \"%s\", which reply code %u "
                                          "does not call for (expected: "
                                          "%s)."),
                                        connection, reply->text, did,
                                        reply->reply_code, what));
  else
    checks_judge_fail (judge,
                       g_strdup_printf (_("Connection %u: after reply %u the "
                                          "client's next action was \"%s\"; "
                                          "the action table allows: %s."),
                                        connection, reply->reply_code, did,
                                        what));
}

static void
judge_reaction (ChecksJudge *judge,
                ConductWalk *walk,
                guint connection,
                GPtrArray *events,
                GArray *pairs,
                guint reply_index,
                guint action_index,
                gboolean postponed)
{
  const NaccsSimEvent *reply = g_ptr_array_index (events, reply_index);
  const NaccsSimEvent *action = g_ptr_array_index (events, action_index);
  gint request = g_array_index (pairs, gint, reply_index);
  guint class = reply->reply_code / 100;
  NaccsSimStep step;
  guint allowed;

  if (request < 0 || !checks_request_step (g_ptr_array_index (events,
                                                              (guint) request),
                                           &step))
    return;   /* NOOP, unknown commands and unsolicited replies */
  if (walk->judge_success != (class == 2 || class == 3))
    return;

  allowed = allowed_for (walk, step, reply->reply_code, postponed);
  /* RFC 5321 section 4.1.4: a client whose EHLO is refused falls back to
   * HELO.  SEQ-HELO judges the EHLO itself; the fallback is no blind
   * continuation. */
  if (class == 5
      && checks_verb (g_ptr_array_index (events, (guint) request))
           == CHECKS_VERB_EHLO)
    allowed |= NACCS_SIM_NEXT_HELO;
  if ((allowed & checks_next_bit (action)) != 0)
    {
      checks_judge_pass (judge, NULL);
      return;
    }
  checks_cite (judge, connection, events, (guint) request);
  checks_cite (judge, connection, events, reply_index);
  checks_cite (judge, connection, events, action_index);
  fail_reaction (judge, walk, connection, reply, action, allowed);
}

/* Counts the message of the current transaction as done, once, however
 * many of its replies settle it: a client that goes on blindly after 550
 * to RCPT TO and then gets 503 to DATA has given up one message, not two. */
static void
settle_transaction (ConductWalk *walk)
{
  if (walk->transaction_settled)
    return;
  walk->transaction_settled = TRUE;
  walk->settled++;
}

/* Counts a message as done when the center accepted it or the client
 * must give it up (5xx at any step of its transaction). */
static void
account_reply (ConductWalk *walk,
               GPtrArray *events,
               GArray *pairs,
               guint reply_index,
               gboolean *postponed)
{
  const NaccsSimEvent *reply = g_ptr_array_index (events, reply_index);
  gint request = g_array_index (pairs, gint, reply_index);
  guint class = reply->reply_code / 100;
  const NaccsSimEvent *asked;
  NaccsSimStep step;

  if (class == 4)
    *postponed = TRUE;
  if (request < 0)
    return;
  asked = g_ptr_array_index (events, (guint) request);
  if (!checks_request_step (asked, &step))
    return;
  /* MAIL FROM starts the transaction of the next message. */
  if (step == NACCS_SIM_STEP_MAIL)
    walk->transaction_settled = FALSE;
  if (step == NACCS_SIM_STEP_MESSAGE && class == 2)
    settle_transaction (walk);
  if (class == 5
      && (step == NACCS_SIM_STEP_MAIL || step == NACCS_SIM_STEP_RCPT
          || step == NACCS_SIM_STEP_DATA || step == NACCS_SIM_STEP_MESSAGE))
    settle_transaction (walk);
  if (step == NACCS_SIM_STEP_MESSAGE && class == 5 && asked->body != NULL)
    g_ptr_array_add (walk->rejected, g_bytes_ref (asked->body));
}

static gboolean
is_reaction (const NaccsSimEvent *event)
{
  if (event->kind == NACCS_SIM_EVENT_LINE_IN)
    return !event->early;
  return event->kind == NACCS_SIM_EVENT_MESSAGE
         || checks_is_client_close (event);
}

static void
check_resent_rejected (ChecksJudge *judge,
                       ConductWalk *walk,
                       guint connection,
                       GPtrArray *events,
                       guint index)
{
  const NaccsSimEvent *event = g_ptr_array_index (events, index);

  if (event->kind != NACCS_SIM_EVENT_MESSAGE || event->body == NULL)
    return;
  for (guint i = 0; i < walk->rejected->len; i++)
    if (g_bytes_equal (g_ptr_array_index (walk->rejected, i), event->body))
      {
        checks_cite (judge, connection, events, index);
        checks_judge_fail (judge,
                           g_strdup_printf (_("Connection %u: message %u "
                                              "was sent again unchanged "
                                              "after the center rejected it "
                                              "with 5xx."),
                                            connection, event->message_seq));
        return;
      }
}

static void
walk_connection (ChecksJudge *judge,
                 ConductWalk *walk,
                 guint connection,
                 GPtrArray *events)
{
  g_autoptr (GArray) pairs = checks_pair_replies (events);
  gint last_reply = -1;
  gboolean postponed = FALSE;

  /* A transaction never spans connections. */
  walk->transaction_settled = FALSE;
  for (guint i = 0; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);

      if (!walk->judge_success)
        check_resent_rejected (judge, walk, connection, events, i);
      if (event->kind == NACCS_SIM_EVENT_REPLY)
        {
          /* A reply the client reacted to only together with this one,
           * because it pipelined, still settles its message. */
          if (last_reply >= 0)
            account_reply (walk, events, pairs, (guint) last_reply,
                           &postponed);
          last_reply = (gint) i;
          continue;
        }
      if (!is_reaction (event) || last_reply < 0)
        continue;
      /* The reply settles its message before the client reacts, so
       * after the 250 to the last message QUIT is what the model wants. */
      account_reply (walk, events, pairs, (guint) last_reply, &postponed);
      judge_reaction (judge, walk, connection, events, pairs,
                      (guint) last_reply, i, postponed);
      last_reply = -1;
    }
  /* A last reply without a reaction still settles its message. */
  if (last_reply >= 0)
    account_reply (walk, events, pairs, (guint) last_reply, &postponed);
}

static NaccsSimVerdict *
run_walk (const NaccsSimCheckContext *context,
          const char *id,
          gboolean judge_success,
          char *na_sentence)
{
  ChecksJudge judge;
  ConductWalk walk = { context, 0, FALSE, judge_success,
                       g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref) };

  checks_judge_init (&judge, id);
  for (guint c = 0; c < context->connections->len; c++)
    walk_connection (&judge, &walk, c + 1, checks_connection (context, c));
  g_ptr_array_unref (walk.rejected);

  if (judge.verdict->status == NACCS_SIM_CHECK_PASS)
    checks_judge_pass (&judge,
                       g_strdup_printf (judge_success
                                        ? ngettext ("The client reacted to "
                                                    "%u 2xx or 3xx reply by "
                                                    "its code alone.",
                                                    "The client reacted to "
                                                    "%u 2xx or 3xx replies "
                                                    "by their codes alone.",
                                                    judge.n_passes)
                                        : ngettext ("The client handled %u "
                                                    "error reply as the "
                                                    "action table says.",
                                                    "The client handled %u "
                                                    "error replies as the "
                                                    "action table says.",
                                                    judge.n_passes),
                                        judge.n_passes));
  return checks_judge_finish (&judge, na_sentence);
}

NaccsSimVerdict *
checks_err_action (const NaccsSimCheckContext *context)
{
  return run_walk (context, "ERR-ACTION", FALSE,
                   g_strdup (_("The center sent no 4xx or 5xx reply that "
                               "the client reacted to.")));
}

NaccsSimVerdict *
checks_txt_independent (const NaccsSimCheckContext *context)
{
  if (!context->nondefault_reply_text)
    {
      ChecksJudge judge;

      checks_judge_init (&judge, "TXT-INDEPENDENT");
      return checks_judge_finish (&judge,
                                  g_strdup (_("The scenario's replies carry "
                                              "the default text.")));
    }
  return run_walk (context, "TXT-INDEPENDENT", TRUE,
                   g_strdup (_("The client reacted to no 2xx or 3xx "
                               "reply.")));
}
