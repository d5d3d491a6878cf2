/* checks-table.c: the table of checks and the records checks read and
 * write.
 *
 * The ids here are a stable interface: scenario files name them in their
 * expectations and CI jobs grep them out of reports, so an id is never
 * renamed or reused.  Each entry gives the rule of the NACCS mail-method
 * specification (figure 4-3-10, table 4-3-13, the notes on replies and
 * timeouts) or of RFC 5321 that the check enforces.  This file also owns
 * the constructors and destructors of the context, expected messages,
 * evidence and verdicts, so the check files contain only judgement.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "checks.h"

#define DEFAULT_CENTER_ADDRESS "NACCS@EDIFACT.PROD.NACCS6"

static const NaccsSimCheckInfo check_table[] = {
  { "SEQ-GREETING",
    N_("Client waits for the greeting"),
    N_("The user system sends nothing before the center mail server's 220 "
       "greeting (table 4-3-13, row 1).") },
  { "SEQ-HELO",
    N_("HELO with the assigned domain"),
    N_("The first command is HELO, not EHLO, with the domain name the NACCS "
       "center assigned to the user system (table 4-3-13, row 2).") },
  { "SEQ-MAIL",
    N_("MAIL FROM with the assigned address"),
    N_("MAIL FROM:<address> carries the user's mail address assigned by the "
       "NACCS center, in RFC 5321 syntax (table 4-3-13, row 3).") },
  { "SEQ-RCPT",
    N_("RCPT TO the center address"),
    N_("RCPT TO:<address> names the center address, "
       "NACCS@EDIFACT.PROD.NACCS6 by default (table 4-3-13, row 4).") },
  { "SEQ-ORDER",
    N_("Commands in the order of the specification"),
    N_("Commands follow figure 4-3-10: HELO, then MAIL FROM, RCPT TO, DATA "
       "and the message for each message, then QUIT; RSET and NOOP only "
       "after HELO; no command outside table 4-3-13.") },
  { "SEQ-WAIT",
    N_("Each reply awaited before the next command"),
    N_("The user system sends a command only after the reply to the "
       "previous one has arrived, because the center does not offer "
       "pipelining (HELO session, RFC 5321 section 4.1.1).") },
  { "MSG-DOT",
    N_("Message intact after dummy-dot removal"),
    N_("A line of the message that begins with \".\" gets a dummy \".\" in "
       "front, which the center deletes; the message the center keeps "
       "equals the one the client was asked to send (table 4-3-13, row 6).") },
  { "MSG-COUNT",
    N_("Each message delivered exactly once"),
    N_("Every message the client was asked to send is accepted exactly once "
       "when the center accepts it, and a message that got 250 is never "
       "sent again (the scenario may require a message to be spooled or "
       "not).") },
  { "MSG-LINE-LENGTH",
    N_("Message lines within 1000 octets"),
    N_("SMTP needs a CRLF at least every 1000 octets: no line of a message, "
       "CRLF included, is longer (table 4-3-13, note to row 6; RFC 5321 "
       "section 4.5.3.1.6).") },
  { "MSG-CRLF",
    N_("CRLF line ends only"),
    N_("Lines end with CRLF; a bare CR or LF is not a line end (RFC 5321 "
       "section 2.3.8; NACCS EDI messages use CRLF as delimiter).") },
  { "SES-QUIT",
    N_("QUIT after the last message"),
    N_("After all messages have been sent the user system sends QUIT at "
       "once instead of leaving the center to time the connection out "
       "(note to table 4-3-13).") },
  { "SES-AFTER-CLOSE",
    N_("Nothing sent after 221 or 421"),
    N_("After the center replies 221 to QUIT, or announces 421 (closing), "
       "the client sends nothing more, except an optional QUIT after 421 "
       "(RFC 5321 sections 3.8 and 4.2.2).") },
  { "SES-CLOSE-421",
    N_("Connection closed after 421"),
    N_("When the center replies 421 the client closes the connection, "
       "with or without QUIT, and reconnects later (RFC 5321 section "
       "3.8).") },
  { "ERR-ACTION",
    N_("Error replies handled by the action table"),
    N_("After a 4xx or 5xx reply the client does what the action table "
       "prescribes (default from RFC 5321 reply classes: 421 close and "
       "reconnect later; other 4xx RSET or QUIT and retry later; 5xx RSET "
       "or QUIT, never continue blindly or resend the message "
       "unchanged).") },
  { "TXT-INDEPENDENT",
    N_("Behaviour independent of reply text"),
    N_("The user system acts on the first three digits of a reply only; "
       "the text after the code may change whenever the center changes "
       "its servers (notes on replies). This check judges what the client "
       "does after each 2xx and 3xx reply of a scenario whose replies carry "
       "their own text; its reactions to 4xx and 5xx replies are judged by "
       "ERR-ACTION, whatever their text.") },
  { "TIME-GIVE-UP",
    N_("Gives up on a stalled center in time"),
    N_("The user system watches its connection with timeouts and gives up "
       "on a stalled or silent center within the scenario's bound, but not "
       "before its minimum (notes on timeouts).") },
};

const NaccsSimCheckInfo *
naccs_sim_check_find (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (check_table); i++)
    if (strcmp (check_table[i].id, id) == 0)
      return &check_table[i];
  return NULL;
}

const NaccsSimCheckInfo *
naccs_sim_check_list (gsize *n_checks)
{
  if (n_checks != NULL)
    *n_checks = G_N_ELEMENTS (check_table);
  return check_table;
}

const char *
naccs_sim_check_status_name (NaccsSimCheckStatus status)
{
  switch (status)
    {
    case NACCS_SIM_CHECK_PASS:
      return "pass";
    case NACCS_SIM_CHECK_FAIL:
      return "fail";
    case NACCS_SIM_CHECK_NOT_APPLICABLE:
      return "not-applicable";
    }
  return "unknown";
}

NaccsSimExpectedMessage *
naccs_sim_expected_message_new (const char *path, GBytes *fixture)
{
  NaccsSimExpectedMessage *message;
  gsize size = 0;
  const char *data;

  g_return_val_if_fail (fixture != NULL, NULL);

  message = g_new0 (NaccsSimExpectedMessage, 1);
  data = g_bytes_get_data (fixture, &size);
  message->path = g_strdup (path);
  if (size >= 2 && data[size - 2] == '\r' && data[size - 1] == '\n')
    {
      message->bytes = g_bytes_ref (fixture);
    }
  else
    {
      /* The client terminates the last line itself; expect what it sends. */
      GByteArray *copy = g_byte_array_sized_new (size + 2);

      g_byte_array_append (copy, (const guint8 *) data, size);
      g_byte_array_append (copy, (const guint8 *) "\r\n", 2);
      message->bytes = g_byte_array_free_to_bytes (copy);
    }
  return message;
}

void
naccs_sim_expected_message_free (NaccsSimExpectedMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->path);
  g_clear_pointer (&message->bytes, g_bytes_unref);
  g_free (message);
}

NaccsSimCheckContext *
naccs_sim_check_context_new (void)
{
  NaccsSimCheckContext *context = g_new0 (NaccsSimCheckContext, 1);

  context->center_address = g_strdup (DEFAULT_CENTER_ADDRESS);
  context->messages =
    g_ptr_array_new_with_free_func ((GDestroyNotify) naccs_sim_expected_message_free);
  context->connections = g_ptr_array_new ();
  context->give_up_within_us = -1;
  context->give_up_not_before_us = -1;
  context->quit_within_us = -1;
  return context;
}

void
naccs_sim_check_context_free (NaccsSimCheckContext *context)
{
  if (context == NULL)
    return;
  g_free (context->helo_domain);
  g_free (context->mail_from);
  g_free (context->center_address);
  g_ptr_array_unref (context->messages);
  g_ptr_array_unref (context->connections);
  g_free (context);
}

void
naccs_sim_evidence_free (NaccsSimEvidence *evidence)
{
  if (evidence == NULL)
    return;
  g_free (evidence->text);
  g_free (evidence);
}

void
naccs_sim_verdict_free (NaccsSimVerdict *verdict)
{
  if (verdict == NULL)
    return;
  g_free (verdict->explanation);
  g_clear_pointer (&verdict->evidence, g_ptr_array_unref);
  g_free (verdict);
}
