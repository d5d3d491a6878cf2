/* session.c: the life of a naccs-sim session.
 *
 * This file starts a session for an accepted connection, keeps its state
 * (one setter, which logs "old -> new" at debug level), records the events
 * of sim-event.h with the transcript lines beside them, runs the idle and
 * command timeouts from one timer source, and closes the connection.  It
 * hands the events to the end hook once the socket is closed.  Reading
 * and framing input is in session-input.c, writing replies in
 * session-reply.c, and what each command means in session-commands.c.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include <string.h>
#include <sys/socket.h>

#include "session-private.h"

gboolean
naccs_sim_session_logs_verbose (void)
{
  static gsize checked;
  static gboolean by_environment;

  /* --verbose sets the flag at any time; G_MESSAGES_DEBUG is read once,
   * because getenv() for every message is part of the cost saved. */
  if (g_log_get_debug_enabled ())
    return TRUE;
  if (g_once_init_enter (&checked))
    {
      by_environment = !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG,
                                                         G_LOG_DOMAIN);
      g_once_init_leave (&checked, 1);
    }
  return by_environment;
}

gint64
naccs_sim_session_now (const NaccsSimSession *session)
{
  return g_get_monotonic_time () - session->connect_us;
}

const char *
naccs_sim_session_state_name (NaccsSimSessionState state)
{
  static const char *const names[] = {
    "greeting", "no-service", "ready", "helo", "mail", "rcpt", "data",
    "silent", "closed",
  };

  return state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

void
naccs_sim_session_set_state (NaccsSimSession *session,
                             NaccsSimSessionState state)
{
  /* Closed is final, and silence lasts until the close, even when a
   * handler moves on after the silenced reply. */
  if (session->state == state || session->closed
      || (session->state == NACCS_SIM_STATE_SILENT
          && state != NACCS_SIM_STATE_CLOSED))
    return;
  NACCS_SIM_DEBUG ("session=%s event=state %s -> %s", session->name,
                   naccs_sim_session_state_name (session->state),
                   naccs_sim_session_state_name (state));
  session->state = state;
}

static const char *
transcript_tag (NaccsSimEventKind kind, gboolean early)
{
  if (kind == NACCS_SIM_EVENT_LINE_IN)
    return early ? "C!" : "C:";
  return "--";
}

/* Writes a REPLY to the transcript, one "S:" entry per reply line. */
static void
transcript_reply (NaccsSimSession *session, gint64 at_us, const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    naccs_sim_transcript_add (session->transcript, at_us, "S:", lines[i]);
}

NaccsSimEvent *
naccs_sim_session_record (NaccsSimSession *session,
                          NaccsSimEventKind kind,
                          gint64 at_us,
                          char *text,
                          guint reply_code)
{
  NaccsSimEvent *event = g_new0 (NaccsSimEvent, 1);

  event->kind = kind;
  event->at_us = at_us;
  event->text = text;
  event->reply_code = reply_code;

  if (session->transcript != NULL && kind == NACCS_SIM_EVENT_REPLY)
    transcript_reply (session, at_us, text);
  else if (session->transcript != NULL && kind != NACCS_SIM_EVENT_LINE_IN
           && kind != NACCS_SIM_EVENT_MESSAGE)
    naccs_sim_transcript_add (session->transcript, at_us, "--", text);

  /* LINE_IN and MESSAGE are completed by the caller (early flag, counts)
   * and written to the transcript there. */
  if (session->events != NULL)
    g_ptr_array_add (session->events, event);
  else
    g_ptr_array_add (session->unkept, event);
  return event;
}

/* Writes a LINE_IN or MESSAGE event to the transcript once complete. */
void
naccs_sim_session_transcribe (NaccsSimSession *session,
                              const NaccsSimEvent *event)
{
  if (session->transcript == NULL)
    return;
  naccs_sim_transcript_add (session->transcript, event->at_us,
                            transcript_tag (event->kind, event->early),
                            event->text);
}

/* Without an end hook no code reads the events after the callback that
 * recorded them, so each callback from the main loop starts by dropping
 * those of the one before.  The MESSAGE event of a message being stored
 * is kept until the commit callback has filled in its spool path. */
void
naccs_sim_session_drop_unkept_events (NaccsSimSession *session)
{
  if (session->unkept != NULL && session->commit == NULL)
    g_ptr_array_set_size (session->unkept, 0);
}

/* ---- timeouts ---- */

static guint
idle_timeout_ms (NaccsSimSession *session)
{
  const NaccsSimHooks *hooks = session->env.hooks;
  guint ms = 0;

  if (hooks != NULL && hooks->idle != NULL)
    ms = hooks->idle (hooks->user_data, session->connection_index,
                      session->trigger_counts[NACCS_SIM_TRIGGER_IDLE] + 1);
  return ms > 0 ? ms : session->env.config->idle_timeout_ms;
}

static gboolean
command_in_progress (const NaccsSimSession *session)
{
  return session->state == NACCS_SIM_STATE_DATA || session->discarding
         || session->start < session->len;
}

/* Returns when the session times out: never while a reply is being
 * written or a message stored, after the command timeout while a command
 * line or a message is coming in, and after the idle timeout since the
 * last reply otherwise.  Once the server shuts down, the server bounds
 * the wait, so the session has no timeout of its own. */
static gint64
compute_deadline (NaccsSimSession *session)
{
  const NaccsSimConfig *config = session->env.config;
  gint64 since;
  guint64 ms;

  if (naccs_sim_reply_writer_busy (session->writer)
      || session->commit != NULL
      || session->shutdown_text != NULL
      || session->state == NACCS_SIM_STATE_GREETING)
    return -1;

  if (session->state == NACCS_SIM_STATE_DATA)
    {
      since = MAX (session->last_read_us, session->reply_done_us);
      ms = config->command_timeout_ms;
    }
  else if (session->state != NACCS_SIM_STATE_SILENT
           && command_in_progress (session))
    {
      since = session->partial_since_us >= 0 ? session->partial_since_us
                                             : session->last_read_us;
      ms = config->command_timeout_ms;
    }
  else
    {
      since = session->state == NACCS_SIM_STATE_SILENT
              ? MAX (session->last_read_us, session->reply_done_us)
              : session->reply_done_us;
      ms = idle_timeout_ms (session);
    }
  return session->connect_us + since + (gint64) ms * 1000;
}

/* Sets when the one timer of the session is due.  The timer source moves
 * only to an earlier time: each g_source_set_ready_time() that changes
 * the time wakes the main loop up (GLib 2.74), and the deadline moves
 * later with every command.  on_deadline() re-arms a timer that fired
 * before the real deadline. */
void
naccs_sim_session_update_deadline (NaccsSimSession *session)
{
  gint64 armed;

  if (session->closed)
    return;
  session->deadline_us = compute_deadline (session);
  armed = g_source_get_ready_time (session->deadline);
  if (session->deadline_us >= 0 && (armed < 0 || session->deadline_us < armed))
    g_source_set_ready_time (session->deadline, session->deadline_us);
}

static void
on_command_timeout (NaccsSimSession *session)
{
  g_warning ("session=%s event=limit limit=command-timeout timeout_ms=%u",
             session->name, session->env.config->command_timeout_ms);
  naccs_sim_session_record (session, NACCS_SIM_EVENT_LIMIT,
                            naccs_sim_session_now (session),
                            g_strdup_printf ("command timeout: no complete "
                                             "command or message in %u ms",
                                             session->env.config
                                             ->command_timeout_ms), 0);
  naccs_sim_session_reply_action (session, NULL, 421,
                                  "timeout exceeded, closing connection");
}

static gboolean
on_deadline (gpointer user_data)
{
  NaccsSimSession *session = user_data;

  /* The timer was armed early, or there is no timeout now. */
  if (session->deadline_us < 0 || g_get_monotonic_time () < session->deadline_us)
    {
      g_source_set_ready_time (session->deadline, session->deadline_us);
      return G_SOURCE_CONTINUE;
    }

  naccs_sim_session_drop_unkept_events (session);
  g_source_set_ready_time (session->deadline, -1);
  if (session->state == NACCS_SIM_STATE_SILENT)
    {
      naccs_sim_session_record (session, NACCS_SIM_EVENT_IDLE_TIMEOUT,
                                naccs_sim_session_now (session),
                                g_strdup ("idle timeout while silent"), 0);
      naccs_sim_session_close_with (session, NACCS_SIM_EVENT_SERVER_CLOSED,
                                    "server closed the connection", FALSE);
    }
  else if (command_in_progress (session))
    on_command_timeout (session);
  else
    naccs_sim_session_handle_idle (session);

  if (!session->closed)
    naccs_sim_session_update_deadline (session);
  return G_SOURCE_CONTINUE;
}

static gboolean
dispatch_deadline (GSource *source, GSourceFunc callback, gpointer user_data)
{
  (void) source;
  return callback (user_data);
}

static GSourceFuncs deadline_funcs = {
  .dispatch = dispatch_deadline,
};

/* ---- life cycle ---- */

static char *
describe_peer (GSocket *socket)
{
  g_autoptr (GSocketAddress) address = g_socket_get_remote_address (socket,
                                                                    NULL);
  g_autofree char *host = NULL;
  GInetSocketAddress *inet;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("unknown");
  inet = G_INET_SOCKET_ADDRESS (address);
  host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", host,
                            g_inet_socket_address_get_port (inet));
  return g_strdup_printf ("%s:%u", host,
                          g_inet_socket_address_get_port (inet));
}

NaccsSimSession *
naccs_sim_session_start (const NaccsSimSessionEnv *env,
                         GSocket *socket,
                         guint session_id,
                         guint connection_index,
                         gboolean turn_away)
{
  NaccsSimSession *session = g_new0 (NaccsSimSession, 1);

  session->env = *env;
  session->id = session_id;
  session->connection_index = connection_index;
  session->name = g_strdup_printf ("s%06u", session_id);
  session->peer = describe_peer (socket);
  session->socket = g_object_ref (socket);
  g_socket_set_blocking (socket, FALSE);
  session->connect_us = g_get_monotonic_time ();
  session->partial_since_us = -1;
  session->deadline_us = -1;
  session->state = NACCS_SIM_STATE_GREETING;
  session->marks = g_array_new (FALSE, FALSE, sizeof (NaccsSimReadMark));
  session->cap = env->config->max_line_length;
  session->buf = g_malloc (session->cap);
  session->writer = naccs_sim_reply_writer_new (socket, env->context,
                                                naccs_sim_session_reply_written,
                                                session);
  if (env->hooks != NULL && env->hooks->end != NULL)
    session->events = g_ptr_array_new_with_free_func (
                        (GDestroyNotify) naccs_sim_event_free);
  else
    session->unkept = g_ptr_array_new_with_free_func (
                        (GDestroyNotify) naccs_sim_event_free);
  if (env->spool != NULL)
    session->transcript = naccs_sim_transcript_new (env->spool, session_id);

  session->deadline = g_source_new (&deadline_funcs, sizeof (GSource));
  g_source_set_callback (session->deadline, on_deadline, session, NULL);
  g_source_attach (session->deadline, session->env.context);

  NACCS_SIM_INFO ("session=%s event=connect peer=%s", session->name,
                  session->peer);
  naccs_sim_session_record (session, NACCS_SIM_EVENT_CONNECT, 0,
                            g_strdup_printf ("connect from %s",
                                             session->peer), 0);
  naccs_sim_session_resume_reading (session);
  naccs_sim_session_greet (session, turn_away);
  if (!session->closed)
    naccs_sim_session_update_deadline (session);
  return session;
}

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Makes close() send RST instead of FIN. */
static void
set_linger_zero (GSocket *socket)
{
  struct linger linger = { 1, 0 };

  if (setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER, &linger,
                  sizeof linger) != 0)
    NACCS_SIM_DEBUG ("event=linger-failed");
}

void
naccs_sim_session_close_with (NaccsSimSession *session,
                              NaccsSimEventKind kind,
                              const char *text,
                              gboolean reset)
{
  GPtrArray *events;

  if (session->closed)
    return;
  naccs_sim_session_record (session, kind, naccs_sim_session_now (session),
                            g_strdup (text), 0);
  session->closed = TRUE;
  naccs_sim_session_set_state (session, NACCS_SIM_STATE_CLOSED);
  naccs_sim_session_abandon_commit (session);
  destroy_source (&session->read_source);
  destroy_source (&session->deadline);
  naccs_sim_reply_writer_cancel (session->writer);
  if (reset)
    set_linger_zero (session->socket);
  g_socket_close (session->socket, NULL);

  NACCS_SIM_INFO ("session=%s event=disconnect reason=\"%s\" commands=%u "
                  "messages=%u accepted=%u octets_in=%" G_GUINT64_FORMAT
                  " duration_ms=%" G_GINT64_FORMAT, session->name, text,
                  session->commands, session->message_seq,
                  session->messages_accepted, session->octets_in,
                  naccs_sim_session_now (session) / 1000);
  g_clear_pointer (&session->transcript, naccs_sim_transcript_free);

  events = g_steal_pointer (&session->events);
  if (events != NULL)
    session->env.hooks->end (session->env.hooks->user_data, session->id,
                             session->connection_index, events);
  session->env.finished (session->env.owner, session);
}

void
naccs_sim_session_close (NaccsSimSession *session, const char *reason)
{
  naccs_sim_session_close_with (session, NACCS_SIM_EVENT_SERVER_CLOSED,
                                reason, FALSE);
}

void
naccs_sim_session_free (NaccsSimSession *session)
{
  if (session == NULL)
    return;
  naccs_sim_session_abandon_commit (session);
  destroy_source (&session->read_source);
  destroy_source (&session->deadline);
  naccs_sim_reply_writer_free (session->writer);
  g_clear_pointer (&session->transcript, naccs_sim_transcript_free);
  g_clear_pointer (&session->events, g_ptr_array_unref);
  g_clear_pointer (&session->unkept, g_ptr_array_unref);
  g_clear_pointer (&session->marks, g_array_unref);
  g_clear_pointer (&session->verb_counts, g_hash_table_unref);
  g_clear_pointer (&session->message, g_byte_array_unref);
  g_clear_pointer (&session->reply_bytes, g_bytes_unref);
  g_free (session->discard_text);
  g_free (session->shutdown_text);
  g_free (session->buf);
  g_free (session->name);
  g_free (session->peer);
  g_object_unref (session->socket);
  g_free (session);
}

guint
naccs_sim_session_get_id (const NaccsSimSession *session)
{
  return session->id;
}

gboolean
naccs_sim_session_is_closed (const NaccsSimSession *session)
{
  return session->closed;
}
