/* session-message.c: what the center does at the end of a message.
 *
 * When the dot decoder has seen <CRLF>.<CRLF>, the session records the
 * MESSAGE event with the decoder's statistics, checks the limits (message
 * size first, then line length, each answered with its own reply and never
 * spooled), lets the scenario rule choose the reply, and stores the
 * message before a 2xx reply goes out, as the NACCS center hands a message
 * to its main processing only once it has all of it.  A message that
 * cannot be stored gets 451 (RFC 5321: local error in processing) in place
 * of any scripted reply.  Storing runs in the spool's worker threads
 * (spool-commit.c): meanwhile the session reads and handles no input, and
 * the reply goes out from the commit callback.  A session closed while it
 * waits (the server stops) abandons the commit, and the file is stored all
 * the same.  Whatever the reply, the mail transaction ends and the session
 * returns to the state right after HELO (RFC 5321 section 4.1.1.4).
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "session-private.h"

static NaccsSimEvent *
record_message (NaccsSimSession *session, guint seq, gboolean oversize)
{
  const NaccsSimDotDecoder *decoder = &session->decoder;
  NaccsSimEvent *event;

  event = naccs_sim_session_record (session, NACCS_SIM_EVENT_MESSAGE,
                                    naccs_sim_session_now (session),
                                    g_strdup_printf ("message %u: %"
                                                     G_GUINT64_FORMAT
                                                     " octets, %u lines",
                                                     seq,
                                                     decoder->received_octets,
                                                     decoder->line_count), 0);
  event->message_seq = seq;
  event->line_count = decoder->line_count;
  event->max_line_octets = (guint) MIN (decoder->max_line_octets, G_MAXUINT);
  event->first_long_line = decoder->first_long_line;
  event->first_bare_line = decoder->first_bare_line;
  event->dot_lines = decoder->dot_lines;
  if (session->env.config->keep_bodies && !oversize)
    event->body = g_bytes_new (session->message->data, session->message->len);
  naccs_sim_session_transcribe (session, event);
  return event;
}

static void
record_limit (NaccsSimSession *session, const char *limit, char *text)
{
  g_warning ("session=%s event=limit limit=%s seq=%u", session->name, limit,
             session->message_seq);
  naccs_sim_session_record (session, NACCS_SIM_EVENT_LIMIT,
                            naccs_sim_session_now (session), text, 0);
}

/* Sends the reply to the end of the message and ends the mail
 * transaction. */
static void
finish_message (NaccsSimSession *session, NaccsSimEvent *event,
                const NaccsSimAction *action, guint code, const char *text)
{
  const NaccsSimDotDecoder *decoder = &session->decoder;

  if (code >= 200 && code < 300)
    {
      session->messages_accepted++;
      NACCS_SIM_INFO ("session=%s event=message-accepted seq=%u octets=%"
                      G_GUINT64_FORMAT " lines=%u spool=%s", session->name,
                      event->message_seq, decoder->received_octets,
                      decoder->line_count,
                      event->spool_path != NULL ? event->spool_path
                                                : "none");
    }

  /* The state changes before the reply, which may close the session. */
  naccs_sim_session_finish_message_input (session);
  naccs_sim_session_set_state (session, NACCS_SIM_STATE_HELO);
  naccs_sim_session_reply_action (session, action, code, text);
}

/* Runs in the main context once the spool has stored the message, or
 * failed to: a message that cannot be stored gets 451 in place of the
 * 2xx reply. */
static void
on_message_stored (gpointer user_data, const char *path, const GError *error)
{
  NaccsSimSession *session = user_data;
  NaccsSimEvent *event = g_steal_pointer (&session->commit_event);
  g_autoptr (NaccsSimAction) action = g_steal_pointer (&session->commit_action);
  guint code = naccs_sim_action_reply_code (action, 250);

  session->commit = NULL;
  if (path == NULL)
    {
      g_warning ("session=%s event=spool-failed seq=%u error=\"%s\"",
                 session->name, event->message_seq, error->message);
      finish_message (session, event, NULL, 451,
                      "local error in processing; message not stored");
      return;
    }

  event->spool_path = g_strdup (path);
  if (session->transcript != NULL)
    {
      g_autofree char *note = g_strdup_printf ("message %u spooled to %s",
                                               event->message_seq, path);

      naccs_sim_transcript_add (session->transcript,
                                naccs_sim_session_now (session), "--", note);
    }
  finish_message (session, event, action, code, "OK");
}

/* Hands the message to the spool and leaves the session waiting, reading
 * nothing, until on_message_stored() sends the reply. */
static void
start_commit (NaccsSimSession *session, NaccsSimEvent *event,
              NaccsSimAction *action)
{
  g_autoptr (GBytes) data = g_byte_array_free_to_bytes (
                              g_steal_pointer (&session->message));

  session->commit_event = event;
  session->commit_action = action;
  session->commit = naccs_sim_spool_commit_message (session->env.spool,
                                                    session->id,
                                                    event->message_seq, data,
                                                    on_message_stored,
                                                    session);
}

void
naccs_sim_session_abandon_commit (NaccsSimSession *session)
{
  if (session->commit == NULL)
    return;
  NACCS_SIM_INFO ("session=%s event=commit-abandoned seq=%u", session->name,
                  session->message_seq);
  naccs_sim_spool_commit_abandon (g_steal_pointer (&session->commit));
  session->commit_event = NULL;
  g_clear_pointer (&session->commit_action, naccs_sim_action_free);
}

void
naccs_sim_session_handle_message_end (NaccsSimSession *session)
{
  const NaccsSimConfig *config = session->env.config;
  const NaccsSimDotDecoder *decoder = &session->decoder;
  guint seq = ++session->message_seq;
  gboolean oversize = decoder->received_octets > config->max_message_size;
  NaccsSimTrigger trigger = NACCS_SIM_TRIGGER_END_OF_MESSAGE;
  guint code = 250;
  g_autofree char *text = g_strdup ("OK");
  g_autoptr (NaccsSimAction) action = NULL;
  NaccsSimEvent *event = record_message (session, seq, oversize);

  if (oversize)
    {
      trigger = NACCS_SIM_TRIGGER_OVERSIZE;
      code = 552;
      g_free (text);
      text = g_strdup_printf ("message size exceeds the maximum of %u octets",
                              config->max_message_size);
      record_limit (session, "message-size",
                    g_strdup_printf ("message too large: %" G_GUINT64_FORMAT
                                     " octets, maximum %u",
                                     decoder->received_octets,
                                     config->max_message_size));
    }
  else if (decoder->first_over_limit > 0)
    {
      trigger = NACCS_SIM_TRIGGER_LONG_LINE;
      code = 500;
      g_free (text);
      text = g_strdup ("line too long");
      record_limit (session, "line-length",
                    g_strdup_printf ("line too long: line %u of the message "
                                     "is over %u octets",
                                     decoder->first_over_limit,
                                     config->max_line_length));
    }

  action = naccs_sim_session_ask_rule (session, trigger, NULL, NULL);
  code = naccs_sim_action_reply_code (action, code);
  if (code >= 200 && code < 300 && !oversize && session->env.spool != NULL)
    {
      start_commit (session, event, g_steal_pointer (&action));
      return;
    }
  finish_message (session, event, action, code, text);
}
