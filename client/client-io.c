/* client-io.c: the client's TCP connection, with a deadline on every wait.
 *
 * This layer resolves the server, connects, buffers what the session sends
 * and reads replies through the reply parser.  The socket is non-blocking
 * and every wait goes through g_socket_condition_timed_wait(), so each phase
 * has a millisecond timeout and a GCancellable cancelled from another thread
 * wakes it.  Sends go out in chunks of up to SEND_BUFFER_SIZE, not one line
 * at a time, because a message of many short lines would otherwise cost a
 * system call per line.  The layer reports what happened as a NaccsIoStatus
 * and leaves the wording of errors to the session, which tracks the step.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-client"

#include <string.h>


#include "client-private.h"

#define SEND_BUFFER_SIZE (64 * 1024)
#define RECEIVE_BUFFER_SIZE 4096

struct _NaccsConnection {
  GSocket *socket;
  GCancellable *cancellable;
  gboolean holds_pollfd; /* a g_cancellable_make_pollfd() is outstanding */
  char *peer;
  guint session_id;
  guint8 *out;
  gsize out_len;
  guint8 in[RECEIVE_BUFFER_SIZE];
  gsize in_pos;
  gsize in_len;
};

void
naccs_io_result_clear (NaccsIoResult *result)
{
  result->status = NACCS_IO_OK;
  result->waited_ms = 0;
  g_clear_error (&result->cause);
}

/* Fills @result.  waited_ms matters only for a failure, so success reads
 * no clock: a message costs about a dozen such results. */
static gboolean
set_result (NaccsIoResult *result, NaccsIoStatus status, gint64 start_us,
            GError *cause)
{
  result->status = status;
  result->waited_ms = status == NACCS_IO_OK
                      ? 0 : (g_get_monotonic_time () - start_us) / 1000;
  g_clear_error (&result->cause);
  result->cause = cause;
  return status == NACCS_IO_OK;
}

/* Returns the deadline for @timeout_ms from now, or -1 for none. */
static gint64
deadline_after (guint timeout_ms)
{
  if (timeout_ms == 0)
    return -1;
  return g_get_monotonic_time () + (gint64) timeout_ms * 1000;
}

static NaccsIoStatus
status_of_wait_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return NACCS_IO_TIMED_OUT;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return NACCS_IO_CANCELLED;
  return NACCS_IO_FAILED;
}

/* Waits until @socket is ready for @condition or @deadline passes. */
static NaccsIoStatus
wait_for (GSocket *socket, GIOCondition condition, gint64 deadline,
          GCancellable *cancellable, GError **error)
{
  gint64 timeout_us = -1;
  g_autoptr (GError) local_error = NULL;
  NaccsIoStatus status;

  if (deadline >= 0)
    timeout_us = MAX (0, deadline - g_get_monotonic_time ());

  if (g_socket_condition_timed_wait (socket, condition, timeout_us,
                                     cancellable, &local_error))
    return NACCS_IO_OK;

  status = status_of_wait_error (local_error);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return status;
}

static char *
format_peer (const char *host, guint16 port)
{
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

/* Returns the addresses of @host: the literal itself, or what the system
 * resolver finds.
 * NOTE: GLib 2.74's GResolver has no timeout, so a name lookup waits as long
 * as the system resolver does; connect_ms starts after it. */
static GList *
resolve_host (const char *host, GCancellable *cancellable, GError **error)
{
  g_autoptr (GInetAddress) literal = g_inet_address_new_from_string (host);
  g_autoptr (GResolver) resolver = NULL;

  if (literal != NULL)
    return g_list_prepend (NULL, g_steal_pointer (&literal));

  resolver = g_resolver_get_default ();
  return g_resolver_lookup_by_name (resolver, host, cancellable, error);
}

/* Connects @socket to @target, waiting at most @connect_ms for the
 * handshake. */
static NaccsIoStatus
connect_socket (GSocket *socket, GSocketAddress *target, guint connect_ms,
                GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  NaccsIoStatus status;

  if (g_socket_connect (socket, target, cancellable, &local_error))
    return NACCS_IO_OK;
  if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PENDING))
    {
      status = status_of_wait_error (local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return status;
    }

  status = wait_for (socket, G_IO_OUT, deadline_after (connect_ms),
                     cancellable, error);
  if (status != NACCS_IO_OK)
    return status;
  if (!g_socket_check_connect_result (socket, error))
    return NACCS_IO_FAILED;

  return NACCS_IO_OK;
}

/* Connects a new non-blocking socket to @address within @connect_ms. */
static GSocket *
connect_address (GInetAddress *address, guint16 port, guint connect_ms,
                 GCancellable *cancellable, NaccsIoResult *result)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr (GSocketAddress) target = g_inet_socket_address_new (address,
                                                                 port);
  g_autoptr (GSocket) socket = NULL;
  GError *error = NULL;
  NaccsIoStatus status;

  socket = g_socket_new (g_inet_address_get_family (address),
                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (socket == NULL)
    {
      set_result (result, NACCS_IO_FAILED, start, error);
      return NULL;
    }
  g_socket_set_blocking (socket, FALSE);

  status = connect_socket (socket, target, connect_ms, cancellable, &error);
  set_result (result, status, start, error);
  if (status != NACCS_IO_OK)
    return NULL;

  return g_steal_pointer (&socket);
}

/* Takes @cancellable for @connection's waits.  GLib 2.74 creates the
 * cancellable's eventfd in each g_cancellable_make_pollfd() that finds
 * none and closes it in the release that drops the last user, so every
 * g_socket_condition_timed_wait() would cost two more system calls.  Holding one
 * pollfd for the connection's life keeps the eventfd open between waits. */
static void
take_cancellable (NaccsConnection *connection, GCancellable *cancellable)
{
  GPollFD unused;

  connection->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  connection->holds_pollfd = cancellable != NULL
                             && g_cancellable_make_pollfd (cancellable,
                                                           &unused);
}

static void
drop_cancellable (NaccsConnection *connection)
{
  if (connection->holds_pollfd)
    g_cancellable_release_fd (connection->cancellable);
  connection->holds_pollfd = FALSE;
  g_clear_object (&connection->cancellable);
}

static NaccsConnection *
connection_new (GSocket *socket, const char *host, guint16 port,
                GCancellable *cancellable, guint session_id)
{
  NaccsConnection *connection = g_new0 (NaccsConnection, 1);

  connection->socket = socket;
  take_cancellable (connection, cancellable);
  connection->peer = format_peer (host, port);
  connection->session_id = session_id;
  connection->out = g_malloc (SEND_BUFFER_SIZE);
  return connection;
}

NaccsConnection *
naccs_connection_open (const char *host, guint16 port, guint connect_ms,
                       GCancellable *cancellable, guint session_id,
                       gboolean *resolve_failed, NaccsIoResult *result)
{
  gint64 start = g_get_monotonic_time ();
  GError *error = NULL;
  GList *addresses;

  *resolve_failed = FALSE;
  addresses = resolve_host (host, cancellable, &error);
  if (addresses == NULL)
    {
      *resolve_failed = !g_error_matches (error, G_IO_ERROR,
                                          G_IO_ERROR_CANCELLED);
      set_result (result, status_of_wait_error (error), start, error);
      return NULL;
    }

  /* Try each address in the resolver's order; the last failure is the one
   * reported, as GSocketClient does. */
  for (GList *l = addresses; l != NULL; l = l->next)
    {
      g_autofree char *address = g_inet_address_to_string (l->data);
      GSocket *socket = connect_address (l->data, port, connect_ms,
                                         cancellable, result);

      if (socket != NULL)
        {
          g_resolver_free_addresses (addresses);
          g_info ("session=%u event=connected address=%s port=%u",
                  session_id, address, port);
          return connection_new (socket, host, port, cancellable, session_id);
        }

      g_info ("session=%u event=connect-failed address=%s port=%u error=\"%s\"",
              session_id, address, port,
              result->cause ? result->cause->message : "timed out");
      if (result->status == NACCS_IO_CANCELLED)
        break;
    }

  g_resolver_free_addresses (addresses);
  return NULL;
}

void
naccs_connection_free (NaccsConnection *connection)
{
  if (connection == NULL)
    return;

  /* Closing may fail only on an already broken socket; nothing to do then. */
  g_socket_close (connection->socket, NULL);
  g_object_unref (connection->socket);
  drop_cancellable (connection);
  g_free (connection->peer);
  g_free (connection->out);
  g_free (connection);
}

const char *
naccs_connection_get_peer (const NaccsConnection *connection)
{
  return connection->peer;
}

void
naccs_connection_set_cancellable (NaccsConnection *connection,
                                  GCancellable *cancellable)
{
  /* The caller owns a reference to @cancellable, so dropping the old one
   * first cannot free it even when the two are the same. */
  drop_cancellable (connection);
  take_cancellable (connection, cancellable);
}

/* Maps a send or receive error: anything but cancellation means the
 * connection is gone (reset, broken pipe, network down). */
static NaccsIoStatus
status_of_transfer_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return NACCS_IO_CANCELLED;
  return NACCS_IO_CLOSED;
}

gboolean
naccs_connection_flush (NaccsConnection *connection, guint timeout_ms,
                        NaccsIoResult *result)
{
  gint64 start = 0;
  gint64 deadline = -1;
  gboolean waiting = FALSE; /* start and deadline are set */
  gsize sent = 0;

  while (sent < connection->out_len)
    {
      GError *error = NULL;
      gssize n = g_socket_send (connection->socket,
                                (const char *) connection->out + sent,
                                connection->out_len - sent,
                                connection->cancellable, &error);
      NaccsIoStatus status;

      if (n >= 0)
        {
          /* Progress restarts the clock: the limit is on a stalled peer,
           * not on the size of the message.  The clock starts only when a
           * send would block, because most sends never wait. */
          sent += (gsize) n;
          waiting = FALSE;
          continue;
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return set_result (result, status_of_transfer_error (error), start,
                           error);
      g_clear_error (&error);

      if (!waiting)
        {
          start = g_get_monotonic_time ();
          deadline = deadline_after (timeout_ms);
          waiting = TRUE;
        }

      status = wait_for (connection->socket, G_IO_OUT, deadline,
                         connection->cancellable, &error);
      if (status != NACCS_IO_OK)
        return set_result (result, status, start, error);
    }

  connection->out_len = 0;
  return set_result (result, NACCS_IO_OK, start, NULL);
}

gboolean
naccs_connection_write (NaccsConnection *connection, const guint8 *data,
                        gsize len, guint timeout_ms, NaccsIoResult *result)
{
  while (len > 0)
    {
      gsize room = SEND_BUFFER_SIZE - connection->out_len;
      gsize n = MIN (room, len);

      memcpy (connection->out + connection->out_len, data, n);
      connection->out_len += n;
      data += n;
      len -= n;

      if (connection->out_len == SEND_BUFFER_SIZE
          && !naccs_connection_flush (connection, timeout_ms, result))
        return FALSE;
    }

  return TRUE;
}

/* Feeds buffered received bytes to @parser.  Returns TRUE when the parser
 * finished (a reply or an invalid one), with the status in @result. */
static gboolean
parse_buffered (NaccsConnection *connection, NaccsReplyParser *parser,
                gint64 start, guint *code, NaccsIoResult *result)
{
  GError *error = NULL;
  gsize consumed = 0;
  NaccsReplyStatus status;

  status = naccs_reply_parser_feed (parser, connection->in + connection->in_pos,
                                    connection->in_len - connection->in_pos,
                                    &consumed, &error);
  connection->in_pos += consumed;

  if (status == NACCS_REPLY_COMPLETE)
    {
      *code = naccs_reply_parser_get_code (parser);
      set_result (result, NACCS_IO_OK, start, NULL);
      return TRUE;
    }
  if (status == NACCS_REPLY_INVALID)
    {
      set_result (result, NACCS_IO_INVALID, start, error);
      return TRUE;
    }

  connection->in_pos = 0;
  connection->in_len = 0;
  return FALSE;
}

/* Receives what the peer has sent into the empty receive buffer. */
static NaccsIoStatus
receive_some (NaccsConnection *connection, gint64 deadline, GError **error)
{
  for (;;)
    {
      g_autoptr (GError) local_error = NULL;
      NaccsIoStatus status;
      gssize n;

      status = wait_for (connection->socket, G_IO_IN, deadline,
                         connection->cancellable, error);
      if (status != NACCS_IO_OK)
        return status;

      n = g_socket_receive (connection->socket, (char *) connection->in,
                            sizeof connection->in, connection->cancellable,
                            &local_error);
      if (n > 0)
        {
          connection->in_len = (gsize) n;
          return NACCS_IO_OK;
        }
      if (n == 0)
        return NACCS_IO_CLOSED;
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          status = status_of_transfer_error (local_error);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return status;
        }
    }
}

gboolean
naccs_connection_read_reply (NaccsConnection *connection,
                             NaccsReplyParser *parser, guint timeout_ms,
                             guint *code, NaccsIoResult *result)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = deadline_after (timeout_ms);

  /* The deadline covers the whole reply, so a server that dribbles a byte
   * at a time cannot stretch a reply past the timeout. */
  for (;;)
    {
      GError *error = NULL;
      NaccsIoStatus status;

      if (parse_buffered (connection, parser, start, code, result))
        return result->status == NACCS_IO_OK;

      status = receive_some (connection, deadline, &error);
      if (status != NACCS_IO_OK)
        return set_result (result, status, start, error);
    }
}
