/* checks-sequence.c: the checks on the content of each command and when
 * it is sent: SEQ-GREETING, SEQ-HELO, SEQ-MAIL, SEQ-RCPT and SEQ-WAIT.
 *
 * They implement rows 1 to 4 of table 4-3-13 of the NACCS mail-method
 * specification (wait for 220; HELO with the assigned domain; MAIL FROM
 * with the assigned address; RCPT TO the center address) and RFC 5321's
 * rule that a client without pipelining waits for each reply.  Address
 * syntax follows RFC 5321 section 4.1.2: "FROM:" or "TO:" directly
 * followed by "<path>", nothing after it, because a HELO session has no
 * ESMTP parameters.  The order of commands is judged in checks-order.c.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "checks-private.h"

/* ---- SEQ-GREETING ---- */

static gint
first_of_kind (GPtrArray *events, NaccsSimEventKind kind)
{
  for (guint i = 0; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);

      if (event->kind == kind)
        return (gint) i;
    }
  return -1;
}

static void
judge_greeting (ChecksJudge *judge, guint connection, GPtrArray *events)
{
  gint line = first_of_kind (events, NACCS_SIM_EVENT_LINE_IN);
  gint greeting = first_of_kind (events, NACCS_SIM_EVENT_REPLY);
  const NaccsSimEvent *event;
  g_autofree char *when = NULL;

  if (line < 0)
    return;
  event = g_ptr_array_index (events, line);
  when = checks_format_seconds (event->at_us);

  /* The first command is early if the greeting was not yet completely
   * written, whether or not the greeting came at all. */
  if (greeting < 0 || line < greeting || event->early)
    {
      checks_cite (judge, connection, events, 0);
      checks_cite (judge, connection, events, (guint) line);
      if (greeting >= 0)
        checks_cite (judge, connection, events, (guint) greeting);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u: the client sent "
                                            "\"%s\" %s s after connecting, "
                                            "before the 220 greeting."),
                                          connection, event->text, when));
      return;
    }
  checks_judge_pass (judge,
                     g_strdup_printf (_("The client waited for the greeting "
                                        "on every connection (last: "
                                        "connection %u, first command %s s "
                                        "after connecting)."),
                                      connection, when));
}

NaccsSimVerdict *
checks_seq_greeting (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;

  checks_judge_init (&judge, "SEQ-GREETING");
  for (guint c = 0; c < context->connections->len; c++)
    judge_greeting (&judge, c + 1, checks_connection (context, c));
  return checks_judge_finish (&judge,
                              g_strdup (_("The client sent no command.")));
}

/* ---- SEQ-HELO ---- */

/* Returns the reply code of the greeting, or 0 if there was none. */
static guint
greeting_code (GPtrArray *events)
{
  gint greeting = first_of_kind (events, NACCS_SIM_EVENT_REPLY);

  if (greeting < 0)
    return 0;
  return ((const NaccsSimEvent *) g_ptr_array_index (events, greeting))->reply_code;
}

static char *
helo_problem (const NaccsSimCheckContext *context, const NaccsSimEvent *event)
{
  const char *domain = checks_verb_argument (event);

  if (checks_verb (event) == CHECKS_VERB_EHLO)
    return g_strdup_printf (_("the client sent EHLO instead of HELO "
                              "(\"%s\")"), event->text);
  if (*domain == '\0')
    return g_strdup_printf (_("HELO carries no domain (\"%s\")"),
                            event->text);
  if (strchr (domain, ' ') != NULL)
    return g_strdup_printf (_("HELO carries more than one domain "
                              "(\"%s\")"), event->text);
  /* Domain names compare without regard to case (RFC 5321 section 2.4). */
  if (context->helo_domain != NULL
      && g_ascii_strcasecmp (domain, context->helo_domain) != 0)
    return g_strdup_printf (_("HELO domain \"%s\" is not the assigned "
                              "domain \"%s\""), domain, context->helo_domain);
  return NULL;
}

static void
judge_helo (ChecksJudge *judge,
            const NaccsSimCheckContext *context,
            guint connection,
            GPtrArray *events)
{
  gboolean seen_first = FALSE;

  if (greeting_code (events) / 100 != 2)
    return;

  for (guint i = 0; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);
      ChecksVerb verb = checks_verb (event);
      g_autofree char *problem = NULL;

      if (verb == CHECKS_VERB_NONE || verb == CHECKS_VERB_NOOP)
        continue;
      if (!seen_first && verb == CHECKS_VERB_QUIT)
        return;   /* the client left at once: nothing to judge */
      if (!seen_first && verb != CHECKS_VERB_HELO && verb != CHECKS_VERB_EHLO)
        {
          checks_cite (judge, connection, events, i);
          checks_judge_fail (judge,
                             g_strdup_printf (_("Connection %u: the first "
                                                "command was \"%s\", not "
                                                "HELO."),
                                              connection, event->text));
          return;
        }
      seen_first = TRUE;
      if (verb != CHECKS_VERB_HELO && verb != CHECKS_VERB_EHLO)
        continue;

      problem = helo_problem (context, event);
      checks_cite (judge, connection, events, i);
      if (problem != NULL)
        checks_judge_fail (judge, g_strdup_printf (_("Connection %u: %s."),
                                                   connection, problem));
      else
        checks_judge_pass (judge,
                           g_strdup_printf (_("Every connection opened with "
                                              "\"%s\"."), event->text));
    }
}

NaccsSimVerdict *
checks_seq_helo (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;

  checks_judge_init (&judge, "SEQ-HELO");
  for (guint c = 0; c < context->connections->len; c++)
    judge_helo (&judge, context, c + 1, checks_connection (context, c));
  return checks_judge_finish (&judge,
                              g_strdup (_("No connection got a 2xx greeting "
                                          "followed by a command other "
                                          "than QUIT.")));
}

/* ---- SEQ-MAIL and SEQ-RCPT ---- */

/* Splits "FROM:<path>" (RFC 5321 section 4.1.1.2) and returns the address
 * between the brackets, or NULL with *problem set to a translated
 * description. */
static char *
parse_path (const char *argument, const char *keyword, char **problem)
{
  gsize key_len = strlen (keyword);
  const char *open, *close;

  if (g_ascii_strncasecmp (argument, keyword, key_len) != 0)
    {
      *problem = g_strdup_printf (_("the argument does not begin with "
                                    "\"%s\""), keyword);
      return NULL;
    }
  open = argument + key_len;
  if (*open == ' ')
    {
      *problem = g_strdup_printf (_("a space follows \"%s\", which RFC 5321 "
                                    "does not allow"), keyword);
      return NULL;
    }
  close = strchr (open, '>');
  if (*open != '<' || close == NULL)
    {
      *problem = g_strdup (_("the address is not enclosed in <>"));
      return NULL;
    }
  if (close[1] != '\0')
    {
      *problem = g_strdup_printf (_("text follows the address (\"%s\"), but "
                                    "a HELO session has no ESMTP "
                                    "parameters"), close + 1);
      return NULL;
    }
  return g_strndup (open + 1, (gsize) (close - open - 1));
}

/* RFC 5321 section 2.4: the local part may be case-sensitive, the domain
 * is not. */
static gboolean
address_equal (const char *got, const char *want)
{
  const char *at_got = strrchr (got, '@');
  const char *at_want = strrchr (want, '@');

  if (at_got == NULL || at_want == NULL)
    return strcmp (got, want) == 0;
  return at_got - got == at_want - want
         && strncmp (got, want, (gsize) (at_got - got)) == 0
         && g_ascii_strcasecmp (at_got, at_want) == 0;
}

static char *
address_problem (const NaccsSimEvent *event,
                 const char *keyword,
                 const char *expected)
{
  char *problem = NULL;
  g_autofree char *address = parse_path (checks_verb_argument (event),
                                         keyword, &problem);

  if (address == NULL)
    return problem;
  if (*address == '\0' || strchr (address, '@') == NULL)
    return g_strdup_printf (_("\"%s\" is not a mail address"), address);
  if (expected != NULL && !address_equal (address, expected))
    return g_strdup_printf (_("the address \"%s\" is not the expected "
                              "\"%s\""), address, expected);
  return NULL;
}

static NaccsSimVerdict *
judge_addresses (const NaccsSimCheckContext *context,
                 const char *id,
                 ChecksVerb verb,
                 const char *keyword,
                 const char *expected)
{
  ChecksJudge judge;

  checks_judge_init (&judge, id);
  for (guint c = 0; c < context->connections->len; c++)
    {
      GPtrArray *events = checks_connection (context, c);

      for (guint i = 0; i < events->len; i++)
        {
          const NaccsSimEvent *event = g_ptr_array_index (events, i);
          g_autofree char *problem = NULL;

          if (checks_verb (event) != verb)
            continue;
          problem = address_problem (event, keyword, expected);
          if (problem != NULL)
            {
              checks_cite (&judge, c + 1, events, i);
              checks_judge_fail (&judge,
                                 g_strdup_printf (_("Connection %u: \"%s\": "
                                                    "%s."),
                                                  c + 1, event->text,
                                                  problem));
            }
          else
            {
              checks_judge_pass (&judge,
                                 g_strdup_printf (_("Every %s command was "
                                                    "\"%s\"."),
                                                  verb == CHECKS_VERB_MAIL
                                                  ? "MAIL" : "RCPT",
                                                  event->text));
            }
        }
    }
  return checks_judge_finish (&judge,
                              g_strdup_printf (_("The client sent no %s "
                                                 "command."),
                                               verb == CHECKS_VERB_MAIL
                                               ? "MAIL" : "RCPT"));
}

NaccsSimVerdict *
checks_seq_mail (const NaccsSimCheckContext *context)
{
  return judge_addresses (context, "SEQ-MAIL", CHECKS_VERB_MAIL, "FROM:",
                          context->mail_from);
}

NaccsSimVerdict *
checks_seq_rcpt (const NaccsSimCheckContext *context)
{
  return judge_addresses (context, "SEQ-RCPT", CHECKS_VERB_RCPT, "TO:",
                          context->center_address);
}

/* ---- SEQ-WAIT ---- */

/* Index of the reply to the request before `line`, the one the client
 * should have waited for; -1 if unknown. */
static gint
awaited_reply (GPtrArray *events, GArray *pairs, guint line)
{
  for (guint i = line; i-- > 0;)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);

      if (checks_is_request (event))
        return g_array_index (pairs, gint, i);
    }
  return -1;
}

/* TRUE for a line that SEQ-GREETING judges: one recorded before the
 * greeting, or the first command when it arrived before the greeting had
 * been completely written.  A HELO sent before a stalled greeting is
 * recorded after the greeting with early set, and it is one fault, not a
 * second one of not waiting. */
static gboolean
sent_before_greeting (GPtrArray *events, gint greeting, guint line)
{
  const NaccsSimEvent *event = g_ptr_array_index (events, line);

  if (greeting < 0 || (gint) line < greeting)
    return TRUE;
  return event->early
         && first_of_kind (events, NACCS_SIM_EVENT_LINE_IN) == (gint) line;
}

static void
judge_wait (ChecksJudge *judge, guint connection, GPtrArray *events)
{
  g_autoptr (GArray) pairs = checks_pair_replies (events);
  gint greeting = first_of_kind (events, NACCS_SIM_EVENT_REPLY);
  guint judged = 0;

  for (guint i = 0; i < events->len; i++)
    {
      const NaccsSimEvent *event = g_ptr_array_index (events, i);
      gint reply;
      g_autofree char *when = NULL;

      if (event->kind != NACCS_SIM_EVENT_LINE_IN
          || sent_before_greeting (events, greeting, i))
        continue;
      judged++;
      if (!event->early)
        continue;

      reply = awaited_reply (events, pairs, i);
      when = checks_format_seconds (event->at_us);
      checks_cite (judge, connection, events, i);
      if (reply >= 0)
        checks_cite (judge, connection, events, (guint) reply);
      checks_judge_fail (judge,
                         g_strdup_printf (_("Connection %u: \"%s\" arrived "
                                            "at %s s, before the reply to "
                                            "the previous command had been "
                                            "sent."),
                                          connection, event->text, when));
    }
  if (judged > 0)
    checks_judge_pass (judge,
                       g_strdup (_("Every command was sent after the reply "
                                   "to the previous one.")));
}

NaccsSimVerdict *
checks_seq_wait (const NaccsSimCheckContext *context)
{
  ChecksJudge judge;

  checks_judge_init (&judge, "SEQ-WAIT");
  for (guint c = 0; c < context->connections->len; c++)
    judge_wait (&judge, c + 1, checks_connection (context, c));
  return checks_judge_finish (&judge,
                              g_strdup (_("The client sent no command after "
                                          "a greeting.")));
}
