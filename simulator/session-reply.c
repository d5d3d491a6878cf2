/* session-reply.c: how a session sends its replies.
 *
 * Every reply goes through naccs_sim_session_reply_action(): the default
 * center reply, or what the scenario rule returned in its place (another
 * code and text, raw bytes, no reply, with a stall, a dribble, a split or
 * a partial write, and a close, a reset or silence after it).  The reply
 * writer carries out the timing.  Once the last byte is out, the session
 * records the REPLY event and goes on with the input that waited, because
 * a server without PIPELINING answers commands one at a time, in order
 * (RFC 5321 section 4.1.1).  After a 221 or 421 reply the session closes,
 * as RFC 5321 section 3.8 expects of a server that says it is closing.
 * When the server shuts down, that section also asks for a 421 on every
 * open session: naccs_sim_session_shut_down() sends it as soon as no
 * other reply is under way.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include <string.h>

#include "session-private.h"

/* Returns the reply code of raw reply bytes: their first three digits, or
 * 0 when they do not start with three digits. */
static guint
raw_reply_code (const char *raw)
{
  if (!g_ascii_isdigit (raw[0]) || !g_ascii_isdigit (raw[1])
      || !g_ascii_isdigit (raw[2]))
    return 0;
  return (guint) ((raw[0] - '0') * 100 + (raw[1] - '0') * 10 + raw[2] - '0');
}

/* Returns the written bytes of a reply as REPLY text: lines without their
 * CRLF, escaped, joined by "\n". */
static char *
reply_event_text (const guint8 *data, gsize len)
{
  GString *text = g_string_new (NULL);
  gsize pos = 0;

  while (pos < len)
    {
      const guint8 *crlf = memmem (data + pos, len - pos, "\r\n", 2);
      gsize line_end = crlf != NULL ? (gsize) (crlf - data) : len;

      if (text->len > 0)
        g_string_append_c (text, '\n');
      naccs_sim_escape_append (text, data + pos, line_end - pos);
      pos = crlf != NULL ? line_end + 2 : len;
    }
  return g_string_free (text, FALSE);
}

static void
record_action (NaccsSimSession *session, char *text)
{
  NACCS_SIM_INFO ("session=%s event=action action=\"%s\"", session->name,
                  text);
  naccs_sim_session_record (session, NACCS_SIM_EVENT_ACTION,
                            naccs_sim_session_now (session), text, 0);
}

/* Records the ACTION events for how a scripted reply is written. */
static void
record_write_actions (NaccsSimSession *session, const NaccsSimAction *action)
{
  if (action->no_reply)
    record_action (session, g_strdup ("no reply"));
  else if (action->raw != NULL)
    record_action (session, g_strdup ("raw reply"));
  if (action->stall_ms > 0)
    record_action (session, g_strdup_printf ("stall %u ms", action->stall_ms));
  if (action->dribble_bytes > 0)
    record_action (session, g_strdup_printf ("dribble %u bytes every %u ms",
                                             action->dribble_bytes,
                                             action->dribble_interval_ms));
  else if (action->split_at > 0)
    record_action (session, g_strdup_printf ("split at %u, then %u ms",
                                             action->split_at,
                                             action->split_interval_ms));
  if (action->partial_bytes > 0)
    record_action (session, g_strdup_printf ("partial %u bytes",
                                             action->partial_bytes));
}

/* Builds the bytes of the default reply from @text, whose lines are
 * separated by "\n". */
static GBytes *
format_default_reply (guint code, const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  return naccs_sim_reply_format (code, (const char *const *) lines,
                                 g_strv_length (lines));
}

/* After the shutdown 421: FIN now, then read and drop whatever the client
 * still sends until it closes; the server bounds the wait. */
static void
start_draining (NaccsSimSession *session)
{
  session->draining = TRUE;
  session->start = session->len;
  g_socket_shutdown (session->socket, FALSE, TRUE, NULL);
  NACCS_SIM_INFO ("session=%s event=draining", session->name);
  naccs_sim_session_resume_reading (session);
}

/* Records the first bytes after a 221 or 421, from the buffer or else the
 * socket.  Buffered bytes keep their arrival time and are early when they
 * were read before the reply was completely written, so a command
 * pipelined behind QUIT counts as sent before the 221.
 * NOTE: bytes from the socket get the time of this receive, because the
 * kernel does not say when they arrived, so bytes sent just before the
 * reply went out count as sent after it. */
static void
record_input_after_close (NaccsSimSession *session)
{
  guint8 peek[64];
  gssize n;
  gint64 at_us;
  gboolean early = FALSE;
  NaccsSimEvent *event;

  if (session->start < session->len)
    {
      n = (gssize) MIN (session->len - session->start, sizeof peek);
      memcpy (peek, session->buf + session->start, (gsize) n);
      naccs_sim_session_input_arrival (session, (gsize) n, &at_us, &early);
    }
  else
    {
      n = g_socket_receive_with_blocking (session->socket, (char *) peek,
                                          sizeof peek, FALSE, NULL, NULL);
      at_us = naccs_sim_session_now (session);
    }
  if (n <= 0)
    return;

  event = naccs_sim_session_record (session,
                                    NACCS_SIM_EVENT_INPUT_AFTER_CLOSE_REPLY,
                                    at_us, naccs_sim_escape (peek, (gsize) n),
                                    0);
  event->early = early;
}

static void
close_after_reply (NaccsSimSession *session, gboolean reset)
{
  if (session->shutdown_text != NULL && !reset)
    {
      start_draining (session);
      return;
    }

  record_input_after_close (session);
  naccs_sim_session_close_with (session, NACCS_SIM_EVENT_SERVER_CLOSED,
                                reset ? "server reset the connection"
                                      : "server closed the connection",
                                reset);
}

/* Runs when the last byte of a reply has left, or the write failed. */
static void
reply_finished (NaccsSimSession *session, gboolean ok)
{
  g_autoptr (GBytes) bytes = g_steal_pointer (&session->reply_bytes);
  gsize written = naccs_sim_reply_writer_written (session->writer);
  gint64 now = naccs_sim_session_now (session);

  if (!ok)
    {
      naccs_sim_session_close_with (session, NACCS_SIM_EVENT_CLIENT_RESET,
                                    "connection lost while writing a reply",
                                    FALSE);
      return;
    }

  if (written > 0)
    {
      char *text = reply_event_text (g_bytes_get_data (bytes, NULL), written);

      NACCS_SIM_DEBUG ("session=%s event=reply text=\"%s\"", session->name,
                       text);
      naccs_sim_session_record (session, NACCS_SIM_EVENT_REPLY, now, text,
                                session->reply_code);
    }
  session->reply_done_seq = session->read_seq;
  session->reply_done_us = now;

  switch (session->reply_after)
    {
    case NACCS_SIM_AFTER_CLOSE:
    case NACCS_SIM_AFTER_RESET:
      if (session->reply_after_scripted)
        record_action (session, g_strdup (session->reply_after
                                          == NACCS_SIM_AFTER_RESET
                                          ? "reset after reply"
                                          : "close after reply"));
      close_after_reply (session,
                         session->reply_after == NACCS_SIM_AFTER_RESET);
      return;
    case NACCS_SIM_AFTER_SILENCE:
      record_action (session, g_strdup ("silence after reply"));
      naccs_sim_session_set_state (session, NACCS_SIM_STATE_SILENT);
      break;
    case NACCS_SIM_AFTER_CONTINUE:
      break;
    }

  if (session->shutdown_text != NULL)
    {
      naccs_sim_session_send_shutdown_reply (session);
      return;
    }

  /* Inside naccs_sim_session_process_input() the loop goes on by itself. */
  if (!session->processing)
    {
      naccs_sim_session_process_input (session);
      naccs_sim_session_resume_reading (session);
      naccs_sim_session_update_deadline (session);
    }
}

void
naccs_sim_session_reply_written (gpointer user_data, gboolean ok)
{
  naccs_sim_session_drop_unkept_events (user_data);
  reply_finished (user_data, ok);
}

guint
naccs_sim_session_reply_action (NaccsSimSession *session,
                                const NaccsSimAction *action,
                                guint default_code,
                                const char *default_text)
{
  g_autoptr (GBytes) bytes = NULL;
  guint code = naccs_sim_action_reply_code (action, default_code);

  if (action != NULL && action->no_reply)
    bytes = g_bytes_new_static ("", 0);
  else if (action != NULL && action->raw != NULL)
    bytes = g_bytes_new (action->raw, strlen (action->raw));
  else if (action != NULL && action->has_reply)
    {
      bytes = naccs_sim_reply_format (code, action->lines != NULL
                                      ? (const char *const *) action->lines->pdata
                                      : NULL,
                                      action->lines != NULL
                                      ? action->lines->len : 0);
    }
  else
    bytes = format_default_reply (code, default_text);

  if (action != NULL)
    record_write_actions (session, action);

  session->reply_code = code;
  session->reply_after = action != NULL ? action->after
                                        : NACCS_SIM_AFTER_CONTINUE;
  session->reply_after_scripted = session->reply_after
                                  != NACCS_SIM_AFTER_CONTINUE;
  if (session->reply_after == NACCS_SIM_AFTER_CONTINUE
      && (code == 221 || code == 421))
    session->reply_after = NACCS_SIM_AFTER_CLOSE;
  session->reply_bytes = g_bytes_ref (bytes);

  switch (naccs_sim_reply_writer_start (session->writer, bytes, action))
    {
    case NACCS_SIM_WRITE_DONE:
      reply_finished (session, TRUE);
      break;
    case NACCS_SIM_WRITE_FAILED:
      reply_finished (session, FALSE);
      break;
    case NACCS_SIM_WRITE_PENDING:
      naccs_sim_session_update_deadline (session);
      break;
    }
  return code;
}

/* Sends the 421 of a server shutdown once the session is free to: the
 * reply under way, or the message being stored, goes out first. */
void
naccs_sim_session_send_shutdown_reply (NaccsSimSession *session)
{
  if (session->closed || session->draining
      || naccs_sim_reply_writer_busy (session->writer)
      || session->commit != NULL)
    return;
  if (session->state == NACCS_SIM_STATE_GREETING
      || session->state == NACCS_SIM_STATE_SILENT)
    {
      naccs_sim_session_close_with (session, NACCS_SIM_EVENT_SERVER_CLOSED,
                                    "server closed the connection: server "
                                    "shutting down", FALSE);
      return;
    }

  NACCS_SIM_INFO ("session=%s event=shutdown-reply state=%s", session->name,
                  naccs_sim_session_state_name (session->state));
  /* A message cut short by the shutdown is not stored. */
  if (session->state == NACCS_SIM_STATE_DATA)
    naccs_sim_session_finish_message_input (session);
  naccs_sim_session_reply_action (session, NULL, 421,
                                  session->shutdown_text);
}

void
naccs_sim_session_shut_down (NaccsSimSession *session, const char *text)
{
  if (session->closed || session->shutdown_text != NULL)
    return;
  session->shutdown_text = g_strdup (text);
  naccs_sim_session_send_shutdown_reply (session);
}

/* Counts this occurrence of a trigger (of a verb, for commands) and
 * returns its 1-based number. */
static guint
count_occurrence (NaccsSimSession *session,
                  NaccsSimTrigger trigger,
                  const char *verb)
{
  g_autofree char *key = NULL;
  guint count;

  if (trigger != NACCS_SIM_TRIGGER_COMMAND || verb == NULL)
    return ++session->trigger_counts[trigger];

  if (session->verb_counts == NULL)
    session->verb_counts = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                  g_free, NULL);
  key = g_ascii_strup (verb, -1);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (session->verb_counts,
                                                 key)) + 1;
  g_hash_table_insert (session->verb_counts, g_steal_pointer (&key),
                       GUINT_TO_POINTER (count));
  return count;
}

NaccsSimAction *
naccs_sim_session_ask_rule (NaccsSimSession *session,
                            NaccsSimTrigger trigger,
                            const char *verb,
                            const char *argument)
{
  const NaccsSimHooks *hooks = session->env.hooks;
  guint occurrence = count_occurrence (session, trigger, verb);

  if (hooks == NULL || hooks->rule == NULL)
    return NULL;
  return hooks->rule (hooks->user_data, session->connection_index, trigger,
                      verb, argument, occurrence);
}

guint
naccs_sim_action_reply_code (const NaccsSimAction *action, guint default_code)
{
  if (action == NULL)
    return default_code;
  if (action->no_reply)
    return 0;
  if (action->raw != NULL)
    return raw_reply_code (action->raw);
  if (action->has_reply)
    return action->code;
  return default_code;
}

guint
naccs_sim_session_respond (NaccsSimSession *session,
                           NaccsSimTrigger trigger,
                           const char *verb,
                           const char *argument,
                           guint default_code,
                           const char *default_text)
{
  g_autoptr (NaccsSimAction) action = naccs_sim_session_ask_rule (session,
                                                                 trigger,
                                                                 verb,
                                                                 argument);

  return naccs_sim_session_reply_action (session, action, default_code,
                                         default_text);
}
