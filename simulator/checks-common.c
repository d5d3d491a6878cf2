/* checks-common.c: verdict building and transcript reading for the checks.
 *
 * A check judges "units" (a connection, a command, a message) and records
 * for each a pass or a failure sentence; checks_judge_finish() turns that
 * into one verdict whose explanation lists the first few failures and
 * counts the rest.  The transcript helpers read the event lists the way
 * RFC 5321 defines the exchange: every request (the connection itself, a
 * command, the end of a message) gets exactly one reply, in order, so the
 * n-th reply answers the n-th request even when the client pipelines.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "checks-private.h"

/* Evidence lines kept per verdict; a verdict is read by a person, and the
 * first failures are the ones that explain the rest. */
#define MAX_EVIDENCE 40

void
checks_judge_init (ChecksJudge *judge, const char *id)
{
  memset (judge, 0, sizeof *judge);
  judge->verdict = g_new0 (NaccsSimVerdict, 1);
  judge->verdict->info = naccs_sim_check_find (id);
  g_assert (judge->verdict->info != NULL);
  judge->verdict->status = NACCS_SIM_CHECK_NOT_APPLICABLE;
  judge->verdict->evidence =
    g_ptr_array_new_with_free_func ((GDestroyNotify) naccs_sim_evidence_free);
  judge->reasons = g_string_new (NULL);
}

void
checks_judge_fail (ChecksJudge *judge, char *sentence)
{
  judge->verdict->status = NACCS_SIM_CHECK_FAIL;
  judge->n_reasons++;
  if (judge->n_reasons <= CHECKS_MAX_REASONS)
    {
      if (judge->reasons->len > 0)
        g_string_append_c (judge->reasons, ' ');
      g_string_append (judge->reasons, sentence);
    }
  g_free (sentence);
}

void
checks_judge_pass (ChecksJudge *judge, char *sentence)
{
  if (judge->verdict->status == NACCS_SIM_CHECK_NOT_APPLICABLE)
    judge->verdict->status = NACCS_SIM_CHECK_PASS;
  judge->n_passes++;
  g_free (judge->pass_reason);
  judge->pass_reason = sentence;
}

NaccsSimVerdict *
checks_judge_finish (ChecksJudge *judge, char *na_sentence)
{
  NaccsSimVerdict *verdict = g_steal_pointer (&judge->verdict);

  switch (verdict->status)
    {
    case NACCS_SIM_CHECK_FAIL:
      if (judge->n_reasons > CHECKS_MAX_REASONS)
        {
          guint more = judge->n_reasons - CHECKS_MAX_REASONS;

          g_string_append_c (judge->reasons, ' ');
          g_string_append_printf (judge->reasons,
                                  ngettext ("(%u more failure not shown.)",
                                            "(%u more failures not shown.)",
                                            more),
                                  more);
        }
      verdict->explanation = g_string_free (g_steal_pointer (&judge->reasons),
                                            FALSE);
      break;
    case NACCS_SIM_CHECK_PASS:
      verdict->explanation = g_steal_pointer (&judge->pass_reason);
      break;
    case NACCS_SIM_CHECK_NOT_APPLICABLE:
      verdict->explanation = g_steal_pointer (&na_sentence);
      break;
    }
  if (verdict->explanation == NULL)
    verdict->explanation = g_strdup ("");

  if (judge->reasons != NULL)
    g_string_free (judge->reasons, TRUE);
  g_free (judge->pass_reason);
  g_free (na_sentence);
  return verdict;
}

static NaccsSimEvidenceDirection
direction_of (NaccsSimEventKind kind)
{
  switch (kind)
    {
    case NACCS_SIM_EVENT_CONNECT:
    case NACCS_SIM_EVENT_LINE_IN:
    case NACCS_SIM_EVENT_MESSAGE:
    case NACCS_SIM_EVENT_INPUT_AFTER_CLOSE_REPLY:
    case NACCS_SIM_EVENT_CLIENT_CLOSED:
    case NACCS_SIM_EVENT_CLIENT_RESET:
      return NACCS_SIM_EVIDENCE_IN;
    case NACCS_SIM_EVENT_REPLY:
    case NACCS_SIM_EVENT_IDLE_TIMEOUT:
    case NACCS_SIM_EVENT_SERVER_CLOSED:
      return NACCS_SIM_EVIDENCE_OUT;
    case NACCS_SIM_EVENT_LIMIT:
    case NACCS_SIM_EVENT_ACTION:
      /* They describe what the center did rather than a line on the
       * wire, so they read best as notes. */
      return NACCS_SIM_EVIDENCE_NOTE;
    }
  return NACCS_SIM_EVIDENCE_NOTE;
}

static const char *
kind_name (NaccsSimEventKind kind)
{
  static const char *const names[] = {
    N_("connect"), N_("line"), N_("reply"), N_("message"), N_("limit"),
    N_("action"), N_("idle timeout"), N_("input after close reply"),
    N_("client closed"), N_("client reset"), N_("server closed"),
  };

  if ((guint) kind < G_N_ELEMENTS (names))
    return _(names[kind]);
  return _("event");
}

/* The fixed descriptions the session records for closes and actions
 * (session*.c, server.c), marked here so that evidence shows them in the
 * user's language.  Descriptions with numbers in them ("stall 200 ms",
 * "line too long: ...") stay as recorded. */
static const char *const session_descriptions[] G_GNUC_UNUSED = {
  N_("client closed the connection"),
  N_("client closed the connection after the shutdown reply"),
  N_("server closed the connection"),
  N_("server reset the connection"),
  N_("server closed the connection: server shutting down"),
  N_("server closed the connection: server stopping"),
  N_("connection lost while writing a reply"),
  N_("no reply"),
  N_("raw reply"),
  N_("close after reply"),
  N_("reset after reply"),
  N_("silence after reply"),
};

/* Transcript text of an event.  Replies always show their code first, in
 * case the session stored the text lines without it. */
static char *
evidence_text (const NaccsSimEvent *event)
{
  const char *text = event->text != NULL ? event->text : "";

  switch (event->kind)
    {
    case NACCS_SIM_EVENT_REPLY:
      if (strlen (text) >= 3 && g_ascii_isdigit (text[0])
          && g_ascii_isdigit (text[1]) && g_ascii_isdigit (text[2]))
        return g_strdup (text);
      return g_strdup_printf ("%03u %s", event->reply_code, text);
    case NACCS_SIM_EVENT_LINE_IN:
      return g_strdup (text);
    case NACCS_SIM_EVENT_MESSAGE:
      return g_strdup_printf (_("[message %u: %u lines, %lu octets]"),
                              event->message_seq, event->line_count,
                              (gulong) (event->body != NULL
                                        ? g_bytes_get_size (event->body)
                                        : 0));
    case NACCS_SIM_EVENT_INPUT_AFTER_CLOSE_REPLY:
      /* Bytes from the client, escaped: never translated. */
      return g_strdup_printf ("[%s]", text);
    default:
      /* The session's descriptions of a connect and of a reset carry a
       * value after a fixed prefix; the cause of a reset is a GError
       * message, already in the user's language. */
      if (event->kind == NACCS_SIM_EVENT_CONNECT
          && g_str_has_prefix (text, "connect from "))
        return g_strdup_printf (_("[connect from %s]"),
                                text + strlen ("connect from "));
      if (event->kind == NACCS_SIM_EVENT_CLIENT_RESET
          && g_str_has_prefix (text, "connection reset: "))
        return g_strdup_printf (_("[connection reset: %s]"),
                                text + strlen ("connection reset: "));
      /* gettext ("") would return the catalogue header. */
      if (*text != '\0')
        return g_strdup_printf ("[%s]", _(text));
      return g_strdup_printf ("[%s]", kind_name (event->kind));
    }
}

static gboolean
already_cited (GPtrArray *evidence, guint connection, guint index)
{
  for (guint i = 0; i < evidence->len; i++)
    {
      NaccsSimEvidence *item = g_ptr_array_index (evidence, i);

      if (item->direction != NACCS_SIM_EVIDENCE_NOTE
          && item->connection == connection && item->event_index == index)
        return TRUE;
    }
  return FALSE;
}

void
checks_cite (ChecksJudge *judge,
             guint connection,
             GPtrArray *events,
             guint index)
{
  GPtrArray *evidence = judge->verdict->evidence;
  const NaccsSimEvent *event;
  NaccsSimEvidence *item;

  if (index >= events->len || evidence->len >= MAX_EVIDENCE
      || already_cited (evidence, connection, index))
    return;

  event = g_ptr_array_index (events, index);
  item = g_new0 (NaccsSimEvidence, 1);
  item->connection = connection;
  item->event_index = index;
  item->at_us = event->at_us;
  item->direction = direction_of (event->kind);
  item->text = evidence_text (event);
  g_ptr_array_add (evidence, item);
}

void
checks_note (ChecksJudge *judge, guint connection, gint64 at_us, char *text)
{
  NaccsSimEvidence *item;

  if (judge->verdict->evidence->len >= MAX_EVIDENCE)
    {
      g_free (text);
      return;
    }
  item = g_new0 (NaccsSimEvidence, 1);
  item->connection = connection;
  item->event_index = G_MAXUINT;
  item->at_us = at_us;
  item->direction = NACCS_SIM_EVIDENCE_NOTE;
  item->text = text;
  g_ptr_array_add (judge->verdict->evidence, item);
}

char *
checks_format_seconds (gint64 us)
{
  /* The ' flag groups thousands the locale's way; the decimal point
   * follows LC_NUMERIC too, as the report is read by a person. */
  return g_strdup_printf ("%'.3f", (double) us / G_USEC_PER_SEC);
}

char *
checks_escape (const char *data, gsize size, gsize max)
{
  GString *out = g_string_sized_new (MIN (size, max) + 8);
  gsize n = MIN (size, max);

  for (gsize i = 0; i < n; i++)
    {
      guchar c = (guchar) data[i];

      if (c >= 0x20 && c < 0x7f && c != '\\')
        g_string_append_c (out, (char) c);
      else if (c == '\\')
        g_string_append (out, "\\\\");
      else
        g_string_append_printf (out, "\\x%02X", c);
    }
  if (size > max)
    g_string_append (out, "...");
  return g_string_free (out, FALSE);
}

/* Commands of table 4-3-13, plus EHLO so that SEQ-HELO can name it. */
static const struct {
  const char *name;
  ChecksVerb verb;
} verbs[] = {
  { "HELO", CHECKS_VERB_HELO }, { "EHLO", CHECKS_VERB_EHLO },
  { "MAIL", CHECKS_VERB_MAIL }, { "RCPT", CHECKS_VERB_RCPT },
  { "DATA", CHECKS_VERB_DATA }, { "RSET", CHECKS_VERB_RSET },
  { "NOOP", CHECKS_VERB_NOOP }, { "QUIT", CHECKS_VERB_QUIT },
};

ChecksVerb
checks_verb (const NaccsSimEvent *event)
{
  const char *text;
  gsize len;

  if (event->kind != NACCS_SIM_EVENT_LINE_IN)
    return CHECKS_VERB_NONE;
  text = event->text != NULL ? event->text : "";
  len = strcspn (text, " ");

  /* RFC 5321 section 2.4: command verbs are case-insensitive. */
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (len == 4 && g_ascii_strncasecmp (text, verbs[i].name, 4) == 0)
      return verbs[i].verb;
  return CHECKS_VERB_OTHER;
}

const char *
checks_verb_argument (const NaccsSimEvent *event)
{
  const char *text = event->text != NULL ? event->text : "";
  const char *space = strchr (text, ' ');

  return space != NULL ? space + 1 : "";
}

gboolean
checks_is_request (const NaccsSimEvent *event)
{
  return event->kind == NACCS_SIM_EVENT_CONNECT
         || event->kind == NACCS_SIM_EVENT_LINE_IN
         || event->kind == NACCS_SIM_EVENT_MESSAGE;
}

gboolean
checks_is_client_close (const NaccsSimEvent *event)
{
  return event->kind == NACCS_SIM_EVENT_CLIENT_CLOSED
         || event->kind == NACCS_SIM_EVENT_CLIENT_RESET;
}

GArray *
checks_pair_replies (GPtrArray *events)
{
  GArray *pairs = g_array_sized_new (FALSE, FALSE, sizeof (gint), events->len);
  g_autoptr (GQueue) pending = g_queue_new ();

  for (guint i = 0; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);
      gint none = -1;

      g_array_append_val (pairs, none);
      if (checks_is_request (event))
        {
          g_queue_push_tail (pending, GUINT_TO_POINTER (i + 1));
        }
      else if (event->kind == NACCS_SIM_EVENT_REPLY
               && !g_queue_is_empty (pending))
        {
          guint request = GPOINTER_TO_UINT (g_queue_pop_head (pending)) - 1;

          g_array_index (pairs, gint, i) = (gint) request;
          g_array_index (pairs, gint, request) = (gint) i;
        }
    }
  return pairs;
}

gboolean
checks_request_step (const NaccsSimEvent *event, NaccsSimStep *step)
{
  if (event->kind == NACCS_SIM_EVENT_CONNECT)
    *step = NACCS_SIM_STEP_GREETING;
  else if (event->kind == NACCS_SIM_EVENT_MESSAGE)
    *step = NACCS_SIM_STEP_MESSAGE;
  else
    switch (checks_verb (event))
      {
      case CHECKS_VERB_HELO:
      case CHECKS_VERB_EHLO:
        *step = NACCS_SIM_STEP_HELO;
        break;
      case CHECKS_VERB_MAIL:
        *step = NACCS_SIM_STEP_MAIL;
        break;
      case CHECKS_VERB_RCPT:
        *step = NACCS_SIM_STEP_RCPT;
        break;
      case CHECKS_VERB_DATA:
        *step = NACCS_SIM_STEP_DATA;
        break;
      case CHECKS_VERB_RSET:
        *step = NACCS_SIM_STEP_RSET;
        break;
      case CHECKS_VERB_QUIT:
        *step = NACCS_SIM_STEP_QUIT;
        break;
      default:
        return FALSE;
      }
  return TRUE;
}

guint
checks_next_bit (const NaccsSimEvent *event)
{
  if (event->kind == NACCS_SIM_EVENT_MESSAGE)
    return NACCS_SIM_NEXT_BODY;
  if (checks_is_client_close (event))
    return NACCS_SIM_NEXT_CLOSE;
  switch (checks_verb (event))
    {
    case CHECKS_VERB_HELO:
    case CHECKS_VERB_EHLO:
      return NACCS_SIM_NEXT_HELO;
    case CHECKS_VERB_MAIL:
      return NACCS_SIM_NEXT_MAIL;
    case CHECKS_VERB_RCPT:
      return NACCS_SIM_NEXT_RCPT;
    case CHECKS_VERB_DATA:
      return NACCS_SIM_NEXT_DATA;
    case CHECKS_VERB_RSET:
      return NACCS_SIM_NEXT_RSET;
    case CHECKS_VERB_NOOP:
      return NACCS_SIM_NEXT_NOOP;
    case CHECKS_VERB_QUIT:
      return NACCS_SIM_NEXT_QUIT;
    default:
      return 0;
    }
}

GPtrArray *
checks_connection (const NaccsSimCheckContext *context, guint i)
{
  return g_ptr_array_index (context->connections, i);
}

/* Counts lines equal at the same position in both texts.  Dot faults keep
 * the line structure, so the fixture sharing the most lines is the one the
 * client meant even when every line after a fault differs in content. */
static guint
count_equal_lines (GBytes *a, GBytes *b)
{
  gsize size_a = 0, size_b = 0;
  const char *pa = g_bytes_get_data (a, &size_a);
  const char *pb = g_bytes_get_data (b, &size_b);
  const char *end_a = pa + size_a, *end_b = pb + size_b;
  guint equal = 0;

  while (pa < end_a && pb < end_b)
    {
      const char *nl_a = memchr (pa, '\n', (gsize) (end_a - pa));
      const char *nl_b = memchr (pb, '\n', (gsize) (end_b - pb));
      gsize len_a = nl_a != NULL ? (gsize) (nl_a - pa) : (gsize) (end_a - pa);
      gsize len_b = nl_b != NULL ? (gsize) (nl_b - pb) : (gsize) (end_b - pb);

      if (len_a == len_b && memcmp (pa, pb, len_a) == 0)
        equal++;
      pa += len_a + 1;
      pb += len_b + 1;
    }
  return equal;
}

gint
checks_match_message (const NaccsSimCheckContext *context,
                      GBytes *body,
                      gboolean *exact)
{
  gint best = -1;
  guint best_score = 0;

  *exact = FALSE;
  if (body == NULL)
    return -1;

  for (guint i = 0; i < context->messages->len; i++)
    {
      NaccsSimExpectedMessage *expected = g_ptr_array_index (context->messages, i);

      if (g_bytes_equal (expected->bytes, body))
        {
          *exact = TRUE;
          return (gint) i;
        }
    }

  for (guint i = 0; i < context->messages->len; i++)
    {
      NaccsSimExpectedMessage *expected = g_ptr_array_index (context->messages, i);
      guint score = count_equal_lines (expected->bytes, body);

      if (best < 0 || score > best_score)
        {
          best = (gint) i;
          best_score = score;
        }
    }
  return best;
}
