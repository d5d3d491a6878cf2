/* client.c: the client side of the NACCS mail method's SMTP session.
 *
 * Runs the sequence of figure 4-3-10 of the NACCS EDI specification: read
 * 220, HELO, then per message MAIL FROM, RCPT TO, DATA, the dot-stuffed
 * message and ".", and finally QUIT.  Only the 3-digit reply code is read.
 * What follows a reply is the action table's decision (action-table.c);
 * client-outcome.c words the error.  This file keeps the session state,
 * closes the connection when the action is RECONNECT or the greeting was
 * refused, and calls the caller's observers about every line and every
 * step's outcome.  Bytes move through client-io.c.  The arguments of HELO,
 * MAIL FROM and RCPT TO pass address-check.c before their command is
 * built, so no value can end a command line early and add commands.
 *
 * RFC 5321 sections 3.8 and 4.1.1.10: a client sends QUIT before it closes
 * a connection that is still usable, that is after any complete reply that
 * fits the step.  It closes without QUIT only after 421 (the server is
 * closing the channel), a reply that does not fit the step (client and
 * server no longer agree on the state, so QUIT could be taken for message
 * data), a timeout, a lost connection, or a cancel that interrupted a wait.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-client"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "client-private.h"

/* Read size when sending a file. */
#define FILE_CHUNK_SIZE (64 * 1024)

/* Longest wait for the reply to QUIT once the caller has cancelled the
 * session: QUIT still goes out so that the center can end the session
 * cleanly, but the caller asked to stop, so a silent center must not hold
 * it for a whole reply timeout. */
#define QUIT_AFTER_CANCEL_MS 2000

typedef enum {
  STATE_DISCONNECTED,
  STATE_GREETED,        /* 220 read, no HELO accepted yet */
  STATE_READY,          /* HELO accepted, no transaction open */
  STATE_IN_TRANSACTION, /* MAIL accepted, end of data not reached */
} SessionState;

static const char *const state_names[] = {
  [STATE_DISCONNECTED] = "disconnected",
  [STATE_GREETED] = "greeted",
  [STATE_READY] = "ready",
  [STATE_IN_TRANSACTION] = "in-transaction",
};

struct _NaccsClient {
  NaccsClientTimeouts timeouts;
  GCancellable *cancellable;
  NaccsConnection *connection;
  NaccsReplyParser *parser;
  NaccsClientTraceFunc trace;
  gpointer trace_data;
  NaccsClientReplyFunc reply_func;
  gpointer reply_data;
  NaccsClientActionTable *table;
  SessionState state;
  guint last_reply_code;
  NaccsClientAction last_action;
  gboolean outcome_unknown; /* the last message's end of data got no reply */
  gint64 step_start_us;     /* when the current step began */
  guint connection_count;   /* connections opened by this client */
  guint session_id;
  guint accepted; /* messages that got 250 on this connection */
  guint failed;   /* messages that did not */
};

void
naccs_client_timeouts_init_default (NaccsClientTimeouts *timeouts)
{
  g_return_if_fail (timeouts != NULL);

  timeouts->connect_ms = 30 * 1000;
  timeouts->greeting_ms = 300 * 1000;
  timeouts->reply_ms = 300 * 1000;
  timeouts->data_end_ms = 600 * 1000;
  timeouts->send_ms = 180 * 1000;
}

/* Returns TRUE when debug and info lines can be shown, as GLib's default
 * writer decides: after g_log_set_debug_enabled (TRUE), or when
 * G_MESSAGES_DEBUG names this domain.  The lines written for every
 * message (commands, replies, state changes, acceptance) are formatted
 * only then, because formatting the lines GLib then drops took about 4 %
 * of naccs-send's CPU time per message (perf record, 10,000 messages).
 * G_MESSAGES_DEBUG is read once, because a getenv() per line is part of
 * that cost. */
static gboolean
logs_details (void)
{
  static gsize checked;
  static gboolean by_environment;

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

static void
trace_line (NaccsClient *client, gboolean outgoing, const char *line)
{
  if (client->trace != NULL)
    client->trace (outgoing, line, client->trace_data);
}

static void
on_reply_line (const char *line, gpointer user_data)
{
  trace_line (user_data, FALSE, line);
}

NaccsClient *
naccs_client_new (const NaccsClientTimeouts *timeouts,
                  GCancellable *cancellable)
{
  static gint next_session_id = 1;
  NaccsClient *client = g_new0 (NaccsClient, 1);

  if (timeouts != NULL)
    client->timeouts = *timeouts;
  else
    naccs_client_timeouts_init_default (&client->timeouts);
  client->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  client->parser = naccs_reply_parser_new ();
  client->table = naccs_client_action_table_new_default ();
  naccs_reply_parser_set_line_func (client->parser, on_reply_line, client);
  client->session_id = (guint) g_atomic_int_add (&next_session_id, 1);
  return client;
}

void
naccs_client_free (NaccsClient *client)
{
  if (client == NULL)
    return;

  naccs_client_close (client);
  naccs_reply_parser_free (client->parser);
  naccs_client_action_table_free (client->table);
  g_clear_object (&client->cancellable);
  g_free (client);
}

void
naccs_client_set_trace (NaccsClient *client, NaccsClientTraceFunc func,
                        gpointer user_data)
{
  g_return_if_fail (client != NULL);

  client->trace = func;
  client->trace_data = user_data;
}

void
naccs_client_set_action_table (NaccsClient *client,
                               const NaccsClientActionTable *table)
{
  g_return_if_fail (client != NULL);

  naccs_client_action_table_free (client->table);
  client->table = table ? naccs_action_table_copy (table)
                        : naccs_client_action_table_new_default ();
}

void
naccs_client_set_reply_func (NaccsClient *client, NaccsClientReplyFunc func,
                             gpointer user_data)
{
  g_return_if_fail (client != NULL);

  client->reply_func = func;
  client->reply_data = user_data;
}

static void
set_state (NaccsClient *client, SessionState state)
{
  if (client->state == state)
    return;

  if (logs_details ())
    g_debug ("session=%u event=state %s -> %s", client->session_id,
             state_names[client->state], state_names[state]);
  client->state = state;
}

void
naccs_client_close (NaccsClient *client)
{
  g_return_if_fail (client != NULL);

  if (client->connection == NULL)
    return;

  g_info ("session=%u event=disconnected peer=%s accepted=%u failed=%u",
          client->session_id, naccs_connection_get_peer (client->connection),
          client->accepted, client->failed);
  g_clear_pointer (&client->connection, naccs_connection_free);
  naccs_reply_parser_reset (client->parser);
  set_state (client, STATE_DISCONNECTED);
}

gboolean
naccs_client_is_connected (NaccsClient *client)
{
  g_return_val_if_fail (client != NULL, FALSE);

  return client->connection != NULL;
}

guint
naccs_client_get_last_reply_code (NaccsClient *client)
{
  g_return_val_if_fail (client != NULL, 0);

  return client->last_reply_code;
}

NaccsClientAction
naccs_client_get_last_action (NaccsClient *client)
{
  g_return_val_if_fail (client != NULL, NACCS_CLIENT_ACTION_RECONNECT);

  return client->last_action;
}

gboolean
naccs_client_last_outcome_unknown (NaccsClient *client)
{
  g_return_val_if_fail (client != NULL, FALSE);

  return client->outcome_unknown;
}

static const char *
peer_of (NaccsClient *client)
{
  return naccs_connection_get_peer (client->connection);
}

/* Records the end of @step: the action, the reply code (0 for none) and
 * the error, and calls the reply observer. */
static void
finish_step (NaccsClient *client, NaccsClientStep step, guint code,
             NaccsClientAction action, const GError *error)
{
  NaccsClientReply reply = {
    .connection = client->connection_count,
    .step = step,
    .reply_code = code,
    .action = action,
    .elapsed_ms = (g_get_monotonic_time () - client->step_start_us) / 1000,
    .error = error,
  };

  client->last_action = action;
  if (error != NULL)
    g_info ("session=%u event=error step=%s code=%d reply=%u action=%s "
            "error=\"%s\"", client->session_id,
            naccs_client_step_to_string (step), error->code, code,
            naccs_client_action_to_string (action), error->message);
  if (client->reply_func != NULL)
    client->reply_func (&reply, client->reply_data);
}

static void
start_step (NaccsClient *client)
{
  client->step_start_us = g_get_monotonic_time ();
}

/* Turns a failed connection operation into the caller's error and closes
 * the connection, which is no longer in a known state. */
static gboolean
fail_io (NaccsClient *client, NaccsClientStep step, NaccsPhase phase,
         const NaccsIoResult *result, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean unknown = FALSE;
  NaccsClientAction action;

  action = naccs_outcome_of_io (step, phase, result, peer_of (client),
                                &unknown, &local_error);
  client->outcome_unknown = unknown;
  naccs_client_close (client);
  finish_step (client, step, 0, action, local_error);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static void quit_and_close (NaccsClient *client);

/* Acts on a complete reply: continues, or sets the error and ends the
 * connection when the action, a 421 or a reply that does not fit the step
 * requires it. */
static gboolean
check_reply (NaccsClient *client, NaccsClientStep step, guint code,
             GError **error)
{
  g_autoptr (GError) local_error = NULL;
  NaccsClientAction action;
  gboolean usable;

  action = naccs_outcome_of_reply (client->table, step, code,
                                   peer_of (client), &local_error);
  if (action == NACCS_CLIENT_ACTION_CONTINUE)
    {
      finish_step (client, step, code, action, NULL);
      return TRUE;
    }

  /* RFC 5321 section 3.8: after 421 the server closes the channel, so the
   * client sends nothing more on it, whatever action the table returns.
   * After a reply that does not fit the step the server may be reading
   * message data, so QUIT would not be read as a command either. */
  usable = code != 421
           && local_error->code != NACCS_CLIENT_ERROR_BAD_REPLY;
  if (!usable)
    naccs_client_close (client);
  finish_step (client, step, code, action, local_error);

  /* Any other reply leaves the server waiting for a command, so leaving
   * the connection means QUIT first.  QUIT's own reply ends the session
   * in naccs_client_quit() whatever it is. */
  if (usable && action == NACCS_CLIENT_ACTION_RECONNECT
      && step != NACCS_CLIENT_STEP_QUIT)
    quit_and_close (client);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* Reads the reply to @step and checks its code. */
static gboolean
read_reply (NaccsClient *client, NaccsClientStep step, guint timeout_ms,
            GError **error)
{
  NaccsIoResult result = { 0 };
  guint code = 0;

  if (!naccs_connection_read_reply (client->connection, client->parser,
                                    timeout_ms, &code, &result))
    {
      fail_io (client, step, NACCS_PHASE_REPLY, &result, error);
      naccs_io_result_clear (&result);
      return FALSE;
    }

  client->last_reply_code = code;
  if (logs_details ())
    g_debug ("session=%u event=reply step=\"%s\" code=%u",
             client->session_id, naccs_client_step_name (step), code);
  return check_reply (client, step, code, error);
}

/* Sends @line and CRLF, then reads and checks the reply to @step within
 * @reply_ms. */
static gboolean
run_command_within (NaccsClient *client, NaccsClientStep step,
                    const char *line, guint reply_ms, GError **error)
{
  NaccsIoResult result = { 0 };
  guint send_ms = client->timeouts.send_ms;

  start_step (client);
  trace_line (client, TRUE, line);
  if (logs_details ())
    g_debug ("session=%u event=command line=\"%s\"", client->session_id,
             line);

  if (!naccs_connection_write (client->connection, (const guint8 *) line,
                               strlen (line), send_ms, &result)
      || !naccs_connection_write (client->connection, (const guint8 *) "\r\n",
                                  2, send_ms, &result)
      || !naccs_connection_flush (client->connection, send_ms, &result))
    {
      fail_io (client, step, NACCS_PHASE_SEND, &result, error);
      naccs_io_result_clear (&result);
      return FALSE;
    }

  return read_reply (client, step, reply_ms, error);
}

/* Fails with CANCELLED, leaving the connection open, when the caller has
 * cancelled the session before the command of @step went out: no reply is
 * outstanding then, so the connection is still usable for QUIT.  No step
 * outcome is reported, because nothing was sent. */
static gboolean
check_not_cancelled (NaccsClient *client, NaccsClientStep step,
                     GError **error)
{
  if (!g_cancellable_is_cancelled (client->cancellable))
    return TRUE;

  naccs_error_set (error, NACCS_CLIENT_ERROR_CANCELLED, 0,
                   _("%s to %s not sent: cancelled; the connection is still "
                     "open for QUIT"), naccs_client_step_name (step),
                   peer_of (client));
  client->last_action = NACCS_CLIENT_ACTION_GIVE_UP_SESSION;
  g_info ("session=%u event=cancelled step=%s", client->session_id,
          naccs_client_step_to_string (step));
  return FALSE;
}

/* Sends @line and CRLF, then reads and checks the reply to @step. */
static gboolean
run_command (NaccsClient *client, NaccsClientStep step, const char *line,
             GError **error)
{
  return check_not_cancelled (client, step, error)
         && run_command_within (client, step, line,
                                client->timeouts.reply_ms, error);
}

/* Sends QUIT and reads its reply.  Once the caller has cancelled the
 * session, QUIT still goes out, without the GCancellable and waiting at
 * most QUIT_AFTER_CANCEL_MS, so that the session ends cleanly and soon. */
static gboolean
send_quit (NaccsClient *client, GError **error)
{
  guint reply_ms = client->timeouts.reply_ms;

  if (g_cancellable_is_cancelled (client->cancellable))
    {
      naccs_connection_set_cancellable (client->connection, NULL);
      if (reply_ms == 0 || reply_ms > QUIT_AFTER_CANCEL_MS)
        reply_ms = QUIT_AFTER_CANCEL_MS;
    }
  return run_command_within (client, NACCS_CLIENT_STEP_QUIT, "QUIT",
                             reply_ms, error);
}

/* Ends a connection that is still usable with QUIT, whatever its reply,
 * and closes it.  The QUIT step reaches the reply observer like any other,
 * but the caller still sees the reply code and action of the step that
 * ended the connection. */
static void
quit_and_close (NaccsClient *client)
{
  NaccsClientAction action = client->last_action;
  guint code = client->last_reply_code;

  g_info ("session=%u event=quit-before-close action=%s reply=%u",
          client->session_id, naccs_client_action_to_string (action), code);
  send_quit (client, NULL);
  naccs_client_close (client);
  client->last_action = action;
  client->last_reply_code = code;
}

/* Fails with NACCS_CLIENT_ERROR_STATE unless the session is in one of the
 * states of @allowed, a bit mask of (1 << SessionState). */
static gboolean
require_state (NaccsClient *client, guint allowed, const char *call,
               GError **error)
{
  if (allowed & (1u << client->state))
    return TRUE;

  if (client->state == STATE_DISCONNECTED)
    naccs_error_set (error, NACCS_CLIENT_ERROR_STATE, 0,
                     _("%s needs an open connection: connect first"), call);
  else if (client->state == STATE_GREETED)
    naccs_error_set (error, NACCS_CLIENT_ERROR_STATE, 0,
                     _("%s needs an accepted HELO: send HELO first"), call);
  else if (client->state == STATE_IN_TRANSACTION)
    naccs_error_set (error, NACCS_CLIENT_ERROR_STATE, 0,
                     _("%s is not allowed while a failed transaction is "
                       "open: send RSET first"), call);
  else
    naccs_error_set (error, NACCS_CLIENT_ERROR_STATE, 0,
                     _("%s is not allowed on an open connection: close or "
                       "quit first"), call);
  return FALSE;
}

#define CONNECTED_STATES                                                      \
  ((1u << STATE_GREETED) | (1u << STATE_READY) | (1u << STATE_IN_TRANSACTION))

/* Sets the error for a connection that could not be opened and returns
 * the action: a name that does not resolve and cancellation end the
 * session, a refused or timed-out connect may succeed later. */
static NaccsClientAction
fail_open (NaccsClient *client, const char *host, guint16 port,
           gboolean resolve_failed, const NaccsIoResult *result,
           GError **error)
{
  const char *cause = result->cause ? result->cause->message : "";
  NaccsClientAction action = NACCS_CLIENT_ACTION_RECONNECT;

  if (resolve_failed)
    {
      naccs_error_set (error, NACCS_CLIENT_ERROR_RESOLVE, 0,
                       _("cannot resolve host \"%s\": %s"), host, cause);
      action = NACCS_CLIENT_ACTION_GIVE_UP_SESSION;
    }
  else if (result->status == NACCS_IO_TIMED_OUT)
    naccs_error_set (error, NACCS_CLIENT_ERROR_TIMED_OUT, 0,
                     _("timed out after %u ms connecting to %s port %u"),
                     (guint) result->waited_ms, host, port);
  else if (result->status == NACCS_IO_CANCELLED)
    {
      naccs_error_set (error, NACCS_CLIENT_ERROR_CANCELLED, 0,
                       _("connecting to %s port %u cancelled"), host, port);
      action = NACCS_CLIENT_ACTION_GIVE_UP_SESSION;
    }
  else
    naccs_error_set (error, NACCS_CLIENT_ERROR_CONNECT, 0,
                     _("cannot connect to %s port %u: %s"), host, port,
                     cause);

  g_info ("session=%u event=connect-failed host=%s port=%u error=\"%s\"",
          client->session_id, host, port, (*error)->message);
  return action;
}

/* Opens the connection to @host.  On failure it sets @error and calls the
 * reply observer. */
static gboolean
open_connection (NaccsClient *client, const char *host, guint16 port,
                 GError **error)
{
  NaccsIoResult result = { 0 };
  gboolean resolve_failed = FALSE;
  GError *local_error = NULL;
  NaccsClientAction action;

  client->connection_count++;
  start_step (client);
  client->connection = naccs_connection_open (host, port,
                                              client->timeouts.connect_ms,
                                              client->cancellable,
                                              client->session_id,
                                              &resolve_failed, &result);
  if (client->connection != NULL)
    {
      finish_step (client, NACCS_CLIENT_STEP_CONNECT, 0,
                   NACCS_CLIENT_ACTION_CONTINUE, NULL);
      return TRUE;
    }

  action = fail_open (client, host, port, resolve_failed, &result,
                      &local_error);
  naccs_io_result_clear (&result);
  finish_step (client, NACCS_CLIENT_STEP_CONNECT, 0, action, local_error);
  g_propagate_error (error, local_error);
  return FALSE;
}

gboolean
naccs_client_connect (NaccsClient *client, const char *host, guint16 port,
                      GError **error)
{
  g_autofree char *bare_host = NULL;
  gboolean ok;

  g_return_val_if_fail (client != NULL, FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!require_state (client, 1u << STATE_DISCONNECTED, "connect", error))
    return FALSE;

  /* Accept "[::1]" as well as "::1", as URLs write IPv6 literals. */
  bare_host = g_strdup (host);
  if (bare_host[0] == '[' && g_str_has_suffix (bare_host, "]"))
    {
      bare_host[strlen (bare_host) - 1] = '\0';
      memmove (bare_host, bare_host + 1, strlen (bare_host));
    }

  g_info ("session=%u event=connect host=%s port=%u", client->session_id,
          bare_host, port);
  client->accepted = 0;
  client->failed = 0;
  if (!open_connection (client, bare_host, port, error))
    return FALSE;

  set_state (client, STATE_GREETED);
  start_step (client);
  ok = read_reply (client, NACCS_CLIENT_STEP_GREETING,
                   client->timeouts.greeting_ms, error);
  /* A refusing greeting leaves nothing to do on this connection.  When it
   * is still open the reply was usable, so QUIT ends it: RFC 5321 section
   * 3.1 has a server that greets with 554 wait for QUIT before closing. */
  if (!ok && client->connection != NULL)
    quit_and_close (client);
  return ok;
}

/* Records that an argument of @step was rejected before its command went
 * out: no reply is outstanding, so the connection stays open and usable,
 * and no step outcome is reported, because nothing was sent. */
static gboolean
fail_argument (NaccsClient *client, NaccsClientStep step,
               NaccsClientAction action)
{
  client->last_action = action;
  g_info ("session=%u event=invalid-argument step=%s action=%s",
          client->session_id, naccs_client_step_to_string (step),
          naccs_client_action_to_string (action));
  return FALSE;
}

gboolean
naccs_client_helo (NaccsClient *client, const char *domain, GError **error)
{
  g_autofree char *line = NULL;

  g_return_val_if_fail (client != NULL, FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!require_state (client, (1u << STATE_GREETED) | (1u << STATE_READY),
                      "HELO", error))
    return FALSE;
  if (!naccs_client_validate_domain (domain, error))
    return fail_argument (client, NACCS_CLIENT_STEP_HELO,
                          NACCS_CLIENT_ACTION_GIVE_UP_SESSION);

  line = g_strdup_printf ("HELO %s", domain);
  if (!run_command (client, NACCS_CLIENT_STEP_HELO, line, error))
    return FALSE;

  set_state (client, STATE_READY);
  return TRUE;
}

/* Sends MAIL FROM, RCPT TO and DATA, up to the 354 reply. */
static gboolean
begin_transaction (NaccsClient *client, const char *from, const char *to,
                   GError **error)
{
  g_autofree char *mail = g_strdup_printf ("MAIL FROM:<%s>", from);
  g_autofree char *rcpt = g_strdup_printf ("RCPT TO:<%s>", to);

  if (!run_command (client, NACCS_CLIENT_STEP_MAIL, mail, error))
    return FALSE;
  set_state (client, STATE_IN_TRANSACTION);

  return run_command (client, NACCS_CLIENT_STEP_RCPT, rcpt, error)
         && run_command (client, NACCS_CLIENT_STEP_DATA, "DATA", error);
}

typedef struct {
  NaccsClient *client;
  guint64 octets; /* message octets fed, before dot-stuffing */
} BodyWriter;

/* Sends message data.  A send that makes no progress for send_ms times
 * out (RFC 5321 section 4.5.3.2.5 suggests 3 minutes per data block). */
static gboolean
write_body (const guint8 *data, gsize len, gpointer user_data, GError **error)
{
  BodyWriter *writer = user_data;
  NaccsClient *client = writer->client;
  NaccsIoResult result = { 0 };

  if (naccs_connection_write (client->connection, data, len,
                              client->timeouts.send_ms, &result))
    return TRUE;

  fail_io (client, NACCS_CLIENT_STEP_DATA_END, NACCS_PHASE_BODY, &result, error);
  naccs_io_result_clear (&result);
  return FALSE;
}

static gboolean
feed_body (BodyWriter *writer, NaccsClientDotEncoder *encoder,
           const guint8 *data, gsize len, GError **error)
{
  writer->octets += len;
  return naccs_client_dot_encoder_feed (encoder, data, len, write_body,
                                        writer, error);
}

/* Ends the message with ".", sends what is buffered and reads the reply to
 * the end of data, which ends the transaction whatever its code. */
static gboolean
end_data (BodyWriter *writer, NaccsClientDotEncoder *encoder, GError **error)
{
  NaccsClient *client = writer->client;
  NaccsIoResult result = { 0 };
  g_autofree char *summary = NULL;
  gboolean ok;

  start_step (client);
  if (!naccs_client_dot_encoder_finish (encoder, write_body, writer, error))
    return FALSE;

  summary = g_strdup_printf (_("[message data: %llu octets]"),
                             (unsigned long long) writer->octets);
  trace_line (client, TRUE, summary);
  trace_line (client, TRUE, ".");

  if (!naccs_connection_flush (client->connection, client->timeouts.send_ms,
                               &result))
    {
      fail_io (client, NACCS_CLIENT_STEP_DATA_END, NACCS_PHASE_BODY, &result, error);
      naccs_io_result_clear (&result);
      return FALSE;
    }

  ok = read_reply (client, NACCS_CLIENT_STEP_DATA_END,
                   client->timeouts.data_end_ms, error);
  if (client->state == STATE_IN_TRANSACTION)
    set_state (client, STATE_READY);

  if (ok)
    {
      client->accepted++;
      if (logs_details ())
        g_info ("session=%u event=accepted octets=%" G_GUINT64_FORMAT,
                client->session_id, writer->octets);
    }
  return ok;
}

/* Checks the session state and both addresses, so that a value that would
 * break the command line puts nothing on the wire. */
static gboolean
check_send_allowed (NaccsClient *client, const char *from, const char *to,
                    GError **error)
{
  client->outcome_unknown = FALSE;
  if (!require_state (client, 1u << STATE_READY, "sending a message", error))
    return FALSE;
  if (!naccs_client_validate_address (from, error))
    return fail_argument (client, NACCS_CLIENT_STEP_MAIL,
                          NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE);
  if (!naccs_client_validate_address (to, error))
    return fail_argument (client, NACCS_CLIENT_STEP_RCPT,
                          NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE);
  return TRUE;
}

/* Records that the message itself, not the server, stopped the send. */
static gboolean
fail_message (NaccsClient *client)
{
  client->last_action = NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE;
  return FALSE;
}

gboolean
naccs_client_send_message (NaccsClient *client, const char *from,
                           const char *to, GBytes *message, GError **error)
{
  BodyWriter writer = { client, 0 };
  NaccsClientDotEncoder encoder;
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (client != NULL, FALSE);
  g_return_val_if_fail (from != NULL && to != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_send_allowed (client, from, to, error))
    return FALSE;
  if (!naccs_client_validate_message (message, error))
    return fail_message (client);

  if (!begin_transaction (client, from, to, error))
    {
      client->failed++;
      return FALSE;
    }

  data = g_bytes_get_data (message, &len);
  naccs_client_dot_encoder_init (&encoder);
  if (!feed_body (&writer, &encoder, data, len, error)
      || !end_data (&writer, &encoder, error))
    {
      client->failed++;
      return FALSE;
    }
  return TRUE;
}

/* Streams @stream through the encoder.  A read error closes the connection,
 * because SMTP cannot abort DATA and a partial message must not be taken for
 * a whole one. */
static gboolean
stream_file (BodyWriter *writer, NaccsClientDotEncoder *encoder,
             GFile *file, GInputStream *stream, GError **error)
{
  g_autofree guint8 *buffer = g_malloc (FILE_CHUNK_SIZE);

  for (;;)
    {
      g_autoptr (GError) read_error = NULL;
      /* A local read does not wait on the peer, so it is not cancelled:
       * a cancel stops the next send instead. */
      gssize got = g_input_stream_read (stream, buffer, FILE_CHUNK_SIZE,
                                        NULL, &read_error);

      if (got == 0)
        return TRUE;
      if (got < 0)
        {
          naccs_error_set_file (error, file, read_error);
          naccs_client_close (writer->client);
          return fail_message (writer->client);
        }
      if (!feed_body (writer, encoder, buffer, (gsize) got, error))
        return FALSE;
    }
}

gboolean
naccs_client_send_file (NaccsClient *client, const char *from, const char *to,
                        GFile *file, GError **error)
{
  g_autoptr (GFileInputStream) stream = NULL;
  g_autoptr (GError) open_error = NULL;
  BodyWriter writer = { client, 0 };
  NaccsClientDotEncoder encoder;

  g_return_val_if_fail (client != NULL, FALSE);
  g_return_val_if_fail (from != NULL && to != NULL, FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_send_allowed (client, from, to, error))
    return FALSE;
  if (!naccs_client_validate_file (file, error))
    return fail_message (client);

  /* Open before MAIL FROM, so a file that vanished puts nothing on the wire.
   * NOTE: a file changed between the check and this read is sent as it is
   * now, unchecked. */
  stream = g_file_read (file, NULL, &open_error);
  if (stream == NULL)
    {
      naccs_error_set_file (error, file, open_error);
      return fail_message (client);
    }

  naccs_client_dot_encoder_init (&encoder);
  if (!begin_transaction (client, from, to, error)
      || !stream_file (&writer, &encoder, file, G_INPUT_STREAM (stream), error)
      || !end_data (&writer, &encoder, error))
    {
      client->failed++;
      return FALSE;
    }
  return TRUE;
}

gboolean
naccs_client_rset (NaccsClient *client, GError **error)
{
  g_return_val_if_fail (client != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!require_state (client, CONNECTED_STATES, "RSET", error))
    return FALSE;
  if (!run_command (client, NACCS_CLIENT_STEP_RSET, "RSET", error))
    return FALSE;

  if (client->state == STATE_IN_TRANSACTION)
    set_state (client, STATE_READY);
  return TRUE;
}

gboolean
naccs_client_quit (NaccsClient *client, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (client != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!require_state (client, CONNECTED_STATES, "QUIT", error))
    return FALSE;

  /* Whatever the reply, the session is over. */
  ok = send_quit (client, error);
  naccs_client_close (client);
  return ok;
}
