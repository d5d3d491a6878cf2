/* test-client-peers.c: libnaccs-client and naccs-send against real servers.
 *
 * Two independent SMTP servers check that what the client sends is what a
 * server reads: Python's aiosmtpd (through peers/aiosmtpd-sink.py, which
 * stores each message as received) and Postfix's smtp-sink.  A fake server
 * run in a thread of this test misbehaves on purpose: it stays silent,
 * replies 421, closes after ".", or sends replies that do not fit the step.
 * Every server binds 127.0.0.1 (or ::1) on a free port and stops by itself.
 * A test whose peer tool is missing prints SKIP and passes, unless the
 * environment sets NACCS_REQUIRE_PEERS=1 (CI does), which makes it fail.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <glib/gstdio.h>

#include "naccs-client.h"
#include "test-registry.h"

#define HELO_DOMAIN "user.example.invalid"
#define FROM_ADDRESS "user@user.example.invalid"
#define TO_ADDRESS "NACCS@EDIFACT.PROD.NACCS6"

/* How long any test server waits for its client before giving up. */
#define SERVER_IDLE_SECONDS 20

/* ---- fake server ------------------------------------------------------ */

/* Reply values with a special meaning to the fake server. */
#define FAKE_CLOSE "\001close"   /* close the connection instead */
#define FAKE_SILENT "\001silent" /* never reply; wait for the client to go */

typedef struct {
  const char *greeting;
  const char *helo;
  const char *mail;
  const char *rcpt;
  const char *data;
  const char *data_end;
  const char *rset;
  const char *quit;
} FakeReplies;

static const FakeReplies default_replies = {
  "220 fake.invalid ready\r\n", "250 fake.invalid\r\n", "250 ok\r\n",
  "250 ok\r\n", "354 go ahead\r\n", "250 stored\r\n", "250 reset\r\n",
  "221 bye\r\n",
};

typedef struct {
  FakeReplies replies;
  GSocket *listener;
  guint16 port;
  GThread *thread;
  GString *commands; /* each command line received, LF-terminated */
  guint messages;    /* messages read up to their "." */
} FakeServer;

/* Sends @reply; returns FALSE when the session should end here. */
static gboolean
fake_respond (GOutputStream *out, GDataInputStream *in, const char *reply)
{
  if (reply == NULL || strcmp (reply, FAKE_CLOSE) == 0)
    return FALSE;

  if (strcmp (reply, FAKE_SILENT) == 0)
    {
      char *line;

      /* Drain until the client closes or the idle timeout fires. */
      while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL)))
        g_free (line);
      return FALSE;
    }

  return g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL,
                                    NULL);
}

static const char *
fake_pick_reply (const FakeReplies *replies, const char *line)
{
  if (g_str_has_prefix (line, "HELO"))
    return replies->helo;
  if (g_str_has_prefix (line, "MAIL"))
    return replies->mail;
  if (g_str_has_prefix (line, "RCPT"))
    return replies->rcpt;
  if (g_str_has_prefix (line, "DATA"))
    return replies->data;
  if (g_str_has_prefix (line, "RSET"))
    return replies->rset;
  if (g_str_has_prefix (line, "QUIT"))
    return replies->quit;
  return "500 unknown command\r\n";
}

/* Reads message lines up to the "." line. */
static gboolean
fake_read_message (FakeServer *server, GDataInputStream *in)
{
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL,
                                                             NULL);

      if (line == NULL)
        return FALSE;
      if (strcmp (line, ".") == 0)
        break;
    }
  server->messages++;
  return TRUE;
}

static void
fake_serve (FakeServer *server, GSocket *peer)
{
  g_autoptr (GSocketConnection) connection =
      g_socket_connection_factory_create_connection (peer);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr (GDataInputStream) in = g_data_input_stream_new (
      g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  char *line;

  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  if (!fake_respond (out, in, server->replies.greeting))
    return;

  while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL)))
    {
      const char *reply = fake_pick_reply (&server->replies, line);
      gboolean is_quit = g_str_has_prefix (line, "QUIT");
      gboolean is_data = g_str_has_prefix (line, "DATA");

      g_string_append_printf (server->commands, "%s\n", line);
      g_free (line);

      if (!fake_respond (out, in, reply) || is_quit)
        return;
      if (is_data && g_str_has_prefix (reply, "354"))
        {
          g_string_append (server->commands, ".\n");
          if (!fake_read_message (server, in)
              || !fake_respond (out, in, server->replies.data_end))
            return;
        }
    }
}

static gpointer
fake_server_thread (gpointer user_data)
{
  FakeServer *server = user_data;
  g_autoptr (GSocket) peer = g_socket_accept (server->listener, NULL, NULL);

  if (peer != NULL)
    {
      g_socket_set_timeout (peer, SERVER_IDLE_SECONDS);
      fake_serve (server, peer);
      g_socket_close (peer, NULL);
    }
  return NULL;
}

/* Binds @family's loopback address on a free port, or returns NULL. */
static GSocket *
listen_loopback (GSocketFamily family, guint16 *port)
{
  g_autoptr (GSocket) socket = g_socket_new (family, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (family);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback,
                                                                  0);
  g_autoptr (GSocketAddress) bound = NULL;

  if (socket == NULL || !g_socket_bind (socket, address, FALSE, NULL)
      || !g_socket_listen (socket, NULL))
    return NULL;

  bound = g_socket_get_local_address (socket, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_set_timeout (socket, SERVER_IDLE_SECONDS);
  return g_steal_pointer (&socket);
}

/* Starts a fake server for one connection, on IPv4 unless @family says. */
static FakeServer *
fake_server_start_family (const FakeReplies *replies, GSocketFamily family)
{
  FakeServer *server = g_new0 (FakeServer, 1);

  server->replies = *replies;
  server->commands = g_string_new (NULL);
  server->listener = listen_loopback (family, &server->port);
  if (server->listener == NULL)
    {
      g_string_free (server->commands, TRUE);
      g_free (server);
      return NULL;
    }
  server->thread = g_thread_new ("fake-server", fake_server_thread, server);
  return server;
}

static FakeServer *
fake_server_start (const FakeReplies *replies)
{
  FakeServer *server = fake_server_start_family (replies,
                                                 G_SOCKET_FAMILY_IPV4);

  CU_ASSERT_PTR_NOT_NULL_FATAL (server);
  return server;
}

/* Waits for the session to end, so its record can be read. */
static void
fake_server_wait (FakeServer *server)
{
  if (server->thread != NULL)
    g_thread_join (g_steal_pointer (&server->thread));
}

/* Waits for the session to end and frees the server. */
static void
fake_server_stop (FakeServer *server)
{
  fake_server_wait (server);
  g_socket_close (server->listener, NULL);
  g_object_unref (server->listener);
  g_string_free (server->commands, TRUE);
  g_free (server);
}

static NaccsClient *
new_client (guint greeting_ms, guint reply_ms, guint data_end_ms)
{
  NaccsClientTimeouts timeouts;

  naccs_client_timeouts_init_default (&timeouts);
  timeouts.connect_ms = 5000;
  timeouts.greeting_ms = greeting_ms;
  timeouts.reply_ms = reply_ms;
  timeouts.data_end_ms = data_end_ms;
  return naccs_client_new (&timeouts, NULL);
}

static GBytes *
short_message (void)
{
  static const char text[] = "NHDR synthetic header\r\n.dot line\r\nbody\r\n";

  return g_bytes_new_static (text, sizeof text - 1);
}

static gboolean
has_error (const GError *error, NaccsClientError code)
{
  if (!g_error_matches (error, NACCS_CLIENT_ERROR, (gint) code))
    fprintf (stderr, "\n  want error code %d, got %s\n", code,
             error ? error->message : "no error");
  return g_error_matches (error, NACCS_CLIENT_ERROR, (gint) code);
}

static gboolean
contains (const char *text, const char *part)
{
  if (text == NULL || strstr (text, part) == NULL)
    {
      fprintf (stderr, "\n  \"%s\" does not contain \"%s\"\n",
               text ? text : "(null)", part);
      return FALSE;
    }
  return TRUE;
}

/* Connects and sends HELO to the fake server, asserting both succeed. */
static NaccsClient *
open_session (FakeServer *server, guint reply_ms, guint data_end_ms)
{
  NaccsClient *client = new_client (5000, reply_ms, data_end_ms);
  g_autoptr (GError) error = NULL;

  CU_ASSERT_TRUE (naccs_client_connect (client, "127.0.0.1", server->port,
                                        &error));
  CU_ASSERT_TRUE (naccs_client_helo (client, HELO_DOMAIN, &error));
  CU_ASSERT_PTR_NULL (error);
  return client;
}

/* ---- fake server tests -------------------------------------------------- */

/* Proves a silent greeting times out near 200 ms and closes. */
static void
test_greeting_timeout (void)
{
  FakeReplies replies = default_replies;
  FakeServer *server;
  g_autoptr (NaccsClient) client = new_client (200, 5000, 5000);
  g_autoptr (GError) error = NULL;
  gint64 start, elapsed_ms;

  replies.greeting = FAKE_SILENT;
  server = fake_server_start (&replies);

  start = g_get_monotonic_time ();
  CU_ASSERT_FALSE (naccs_client_connect (client, "127.0.0.1", server->port,
                                         &error));
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;

  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_TIMED_OUT));
  CU_ASSERT_TRUE (elapsed_ms >= 190);
  CU_ASSERT_TRUE (elapsed_ms < 3000);
  CU_ASSERT_TRUE (contains (error ? error->message : NULL, "greeting"));
  CU_ASSERT_TRUE (contains (error ? error->message : NULL, " ms"));
  CU_ASSERT_FALSE (naccs_client_is_connected (client));
  fake_server_stop (server);
}

/* Proves a 421 greeting gives SERVICE_CLOSING carrying code 421. */
static void
test_greeting_421 (void)
{
  FakeReplies replies = default_replies;
  FakeServer *server;
  g_autoptr (NaccsClient) client = new_client (5000, 5000, 5000);
  g_autoptr (GError) error = NULL;

  replies.greeting = "421 EDIFACT.PROD.NACCS6 closing\r\n";
  server = fake_server_start (&replies);

  CU_ASSERT_FALSE (naccs_client_connect (client, "127.0.0.1", server->port,
                                         &error));
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_SERVICE_CLOSING));
  CU_ASSERT_EQUAL (naccs_client_error_get_reply_code (error), 421);
  CU_ASSERT_EQUAL (naccs_client_get_last_reply_code (client), 421);
  CU_ASSERT_FALSE (naccs_client_is_connected (client));
  fake_server_stop (server);
}

/* Proves a multi-line 220 greeting is accepted. */
static void
test_greeting_multi_line (void)
{
  FakeReplies replies = default_replies;
  FakeServer *server;
  g_autoptr (NaccsClient) client = NULL;
  g_autoptr (GError) error = NULL;

  replies.greeting = "220-EDIFACT.PROD.NACCS6\r\n220-welcome\r\n220 ready\r\n";
  server = fake_server_start (&replies);
  client = open_session (server, 5000, 5000);
  CU_ASSERT_TRUE (naccs_client_quit (client, &error));
  CU_ASSERT_FALSE (naccs_client_is_connected (client));
  fake_server_stop (server);
}

/* Proves a server closing after "." gives OUTCOME_UNKNOWN. */
static void
test_close_after_dot (void)
{
  FakeReplies replies = default_replies;
  FakeServer *server;
  g_autoptr (NaccsClient) client = NULL;
  g_autoptr (GBytes) message = short_message ();
  g_autoptr (GError) error = NULL;

  replies.data_end = FAKE_CLOSE;
  server = fake_server_start (&replies);
  client = open_session (server, 5000, 5000);

  CU_ASSERT_FALSE (naccs_client_send_message (client, FROM_ADDRESS,
                                              TO_ADDRESS, message, &error));
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_OUTCOME_UNKNOWN));
  CU_ASSERT_FALSE (naccs_client_is_connected (client));
  fake_server_stop (server);
}

/* Proves a silent server after "." times out naming the end of data. */
static void
test_data_end_timeout (void)
{
  FakeReplies replies = default_replies;
  FakeServer *server;
  g_autoptr (NaccsClient) client = NULL;
  g_autoptr (GBytes) message = short_message ();
  g_autoptr (GError) error = NULL;

  replies.data_end = FAKE_SILENT;
  server = fake_server_start (&replies);
  client = open_session (server, 5000, 300);

  CU_ASSERT_FALSE (naccs_client_send_message (client, FROM_ADDRESS,
                                              TO_ADDRESS, message, &error));
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_TIMED_OUT));
  CU_ASSERT_TRUE (contains (error ? error->message : NULL, "end of data"));
  CU_ASSERT_FALSE (naccs_client_is_connected (client));
  fake_server_stop (server);
}

/* Proves a 354 reply to MAIL FROM is a bad reply that closes. */
static void
test_unexpected_code_for_step (void)
{
  FakeReplies replies = default_replies;
  FakeServer *server;
  g_autoptr (NaccsClient) client = NULL;
  g_autoptr (GBytes) message = short_message ();
  g_autoptr (GError) error = NULL;

  replies.mail = "354 what\r\n";
  server = fake_server_start (&replies);
  client = open_session (server, 5000, 5000);

  CU_ASSERT_FALSE (naccs_client_send_message (client, FROM_ADDRESS,
                                              TO_ADDRESS, message, &error));
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_BAD_REPLY));
  CU_ASSERT_EQUAL (naccs_client_error_get_reply_code (error), 354);
  CU_ASSERT_TRUE (contains (error ? error->message : NULL, "MAIL FROM"));
  CU_ASSERT_FALSE (naccs_client_is_connected (client));
  fake_server_stop (server);
}

/* Proves text that is not a reply is a bad reply that closes. */
static void
test_garbage_reply (void)
{
  FakeReplies replies = default_replies;
  FakeServer *server;
  g_autoptr (NaccsClient) client = new_client (5000, 5000, 5000);
  g_autoptr (GError) error = NULL;

  replies.helo = "hello there\r\n";
  server = fake_server_start (&replies);

  CU_ASSERT_TRUE (naccs_client_connect (client, "127.0.0.1", server->port,
                                        NULL));
  CU_ASSERT_FALSE (naccs_client_helo (client, HELO_DOMAIN, &error));
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_BAD_REPLY));
  CU_ASSERT_EQUAL (naccs_client_error_get_reply_code (error), 0);
  CU_ASSERT_FALSE (naccs_client_is_connected (client));
  fake_server_stop (server);
}

/* Proves a 550 to RCPT TO keeps the connection and needs RSET. */
static void
test_rcpt_rejected_then_rset (void)
{
  FakeReplies replies = default_replies;
  FakeServer *server;
  g_autoptr (NaccsClient) client = NULL;
  g_autoptr (GBytes) message = short_message ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) state_error = NULL;

  replies.rcpt = "550 no such user\r\n";
  server = fake_server_start (&replies);
  client = open_session (server, 5000, 5000);

  CU_ASSERT_FALSE (naccs_client_send_message (client, FROM_ADDRESS,
                                              TO_ADDRESS, message, &error));
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_REJECTED_PERMANENT));
  CU_ASSERT_EQUAL (naccs_client_error_get_reply_code (error), 550);
  CU_ASSERT_TRUE (contains (error ? error->message : NULL, "RCPT TO"));
  CU_ASSERT_TRUE (contains (error ? error->message : NULL, "127.0.0.1:"));
  CU_ASSERT_TRUE (naccs_client_is_connected (client));

  CU_ASSERT_FALSE (naccs_client_send_message (client, FROM_ADDRESS,
                                              TO_ADDRESS, message,
                                              &state_error));
  CU_ASSERT_TRUE (has_error (state_error, NACCS_CLIENT_ERROR_STATE));

  CU_ASSERT_TRUE (naccs_client_rset (client, NULL));
  CU_ASSERT_TRUE (naccs_client_quit (client, NULL));
  fake_server_stop (server);
}

/* Proves a 451 to the end of data is temporary and keeps the session. */
static void
test_data_end_temporary (void)
{
  FakeReplies replies = default_replies;
  FakeServer *server;
  g_autoptr (NaccsClient) client = NULL;
  g_autoptr (GBytes) message = short_message ();
  g_autoptr (GError) error = NULL;

  replies.data_end = "451 try later\r\n";
  server = fake_server_start (&replies);
  client = open_session (server, 5000, 5000);

  CU_ASSERT_FALSE (naccs_client_send_message (client, FROM_ADDRESS,
                                              TO_ADDRESS, message, &error));
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_REJECTED_TEMPORARY));
  CU_ASSERT_EQUAL (naccs_client_error_get_reply_code (error), 451);
  CU_ASSERT_TRUE (naccs_client_is_connected (client));
  CU_ASSERT_TRUE (naccs_client_rset (client, NULL));
  CU_ASSERT_TRUE (naccs_client_quit (client, NULL));
  fake_server_stop (server);
}

/* Proves an invalid message puts nothing on the wire. */
static void
test_invalid_message_not_sent (void)
{
  FakeServer *server = fake_server_start (&default_replies);
  g_autoptr (NaccsClient) client = open_session (server, 5000, 5000);
  g_autoptr (GBytes) message = g_bytes_new_static ("a\nb\r\n", 5);
  g_autoptr (GError) error = NULL;

  CU_ASSERT_FALSE (naccs_client_send_message (client, FROM_ADDRESS,
                                              TO_ADDRESS, message, &error));
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_INVALID_MESSAGE));
  CU_ASSERT_TRUE (naccs_client_quit (client, NULL));
  fake_server_wait (server);
  CU_ASSERT_STRING_EQUAL (server->commands->str,
                          "HELO " HELO_DOMAIN "\nQUIT\n");
  fake_server_stop (server);
}

static void
record_trace (gboolean outgoing, const char *line, gpointer user_data)
{
  g_string_append_printf (user_data, "%s %s\n", outgoing ? "C:" : "S:", line);
}

/* Proves the exact commands sent and the trace of a whole session. */
static void
test_exact_commands_and_trace (void)
{
  static const char want_commands[] =
      "HELO " HELO_DOMAIN "\n"
      "MAIL FROM:<" FROM_ADDRESS ">\n"
      "RCPT TO:<" TO_ADDRESS ">\n"
      "DATA\n.\n"
      "QUIT\n";
  FakeServer *server = fake_server_start (&default_replies);
  g_autoptr (NaccsClient) client = new_client (5000, 5000, 5000);
  g_autoptr (GBytes) message = short_message ();
  g_autoptr (GString) trace = g_string_new (NULL);

  naccs_client_set_trace (client, record_trace, trace);
  CU_ASSERT_TRUE (naccs_client_connect (client, "127.0.0.1", server->port,
                                        NULL));
  CU_ASSERT_TRUE (naccs_client_helo (client, HELO_DOMAIN, NULL));
  CU_ASSERT_TRUE (naccs_client_send_message (client, FROM_ADDRESS, TO_ADDRESS,
                                             message, NULL));
  CU_ASSERT_EQUAL (naccs_client_get_last_reply_code (client), 250);
  CU_ASSERT_TRUE (naccs_client_quit (client, NULL));

  fake_server_wait (server);
  CU_ASSERT_STRING_EQUAL (server->commands->str, want_commands);
  CU_ASSERT_EQUAL (server->messages, 1);
  CU_ASSERT_TRUE (contains (trace->str, "S: 220 fake.invalid ready\n"));
  CU_ASSERT_TRUE (contains (trace->str, "C: DATA\nS: 354 go ahead\n"));
  CU_ASSERT_TRUE (contains (trace->str, "C: .\nS: 250 stored\n"));
  CU_ASSERT_PTR_NULL (strstr (trace->str, "body"));
  fake_server_stop (server);
}

/* Proves calls out of sequence fail with STATE and send nothing. */
static void
test_state_errors (void)
{
  g_autoptr (NaccsClient) client = new_client (5000, 5000, 5000);
  g_autoptr (GBytes) message = short_message ();
  g_autoptr (GError) helo_error = NULL;
  g_autoptr (GError) send_error = NULL;
  g_autoptr (GError) quit_error = NULL;

  CU_ASSERT_FALSE (naccs_client_helo (client, HELO_DOMAIN, &helo_error));
  CU_ASSERT_TRUE (has_error (helo_error, NACCS_CLIENT_ERROR_STATE));
  CU_ASSERT_FALSE (naccs_client_send_message (client, FROM_ADDRESS,
                                              TO_ADDRESS, message,
                                              &send_error));
  CU_ASSERT_TRUE (has_error (send_error, NACCS_CLIENT_ERROR_STATE));
  CU_ASSERT_FALSE (naccs_client_quit (client, &quit_error));
  CU_ASSERT_TRUE (has_error (quit_error, NACCS_CLIENT_ERROR_STATE));
  naccs_client_close (client);
}

/* Proves a refused connection gives CONNECT naming host and port. */
static void
test_connect_refused (void)
{
  guint16 port = 0;
  GSocket *socket = listen_loopback (G_SOCKET_FAMILY_IPV4, &port);
  g_autoptr (NaccsClient) client = new_client (5000, 5000, 5000);
  g_autoptr (GError) error = NULL;
  g_autofree char *port_text = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (socket);
  g_socket_close (socket, NULL);
  g_object_unref (socket);
  port_text = g_strdup_printf ("port %u", port);

  CU_ASSERT_FALSE (naccs_client_connect (client, "127.0.0.1", port, &error));
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_CONNECT));
  CU_ASSERT_TRUE (contains (error ? error->message : NULL, port_text));
}

/* Proves an IPv6 literal, bracketed or not, reaches a server on ::1. */
static void
test_ipv6_literal (void)
{
  static const char *const hosts[] = { "::1", "[::1]" };

  for (gsize i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      FakeServer *server = fake_server_start_family (&default_replies,
                                                     G_SOCKET_FAMILY_IPV6);
      g_autoptr (NaccsClient) client = new_client (5000, 5000, 5000);
      g_autoptr (GError) error = NULL;

      if (server == NULL)
        {
          fprintf (stderr, "\n  SKIP: cannot listen on ::1\n");
          return;
        }
      CU_ASSERT_TRUE (naccs_client_connect (client, hosts[i], server->port,
                                            &error));
      CU_ASSERT_TRUE (naccs_client_quit (client, NULL));
      fake_server_stop (server);
    }
}

static gpointer
cancel_later (gpointer user_data)
{
  g_usleep (100 * 1000);
  g_cancellable_cancel (user_data);
  return NULL;
}

/* Proves a cancel from another thread wakes a blocked call. */
static void
test_cancel_from_thread (void)
{
  FakeReplies replies = default_replies;
  FakeServer *server;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (NaccsClient) client = naccs_client_new (NULL, cancellable);
  g_autoptr (GError) error = NULL;
  GThread *canceller;
  gint64 start;

  replies.greeting = FAKE_SILENT;
  server = fake_server_start (&replies);
  canceller = g_thread_new ("cancel", cancel_later, cancellable);

  start = g_get_monotonic_time ();
  CU_ASSERT_FALSE (naccs_client_connect (client, "127.0.0.1", server->port,
                                         &error));
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_CANCELLED));
  CU_ASSERT_TRUE (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC);
  CU_ASSERT_FALSE (naccs_client_is_connected (client));
  g_thread_join (canceller);
  fake_server_stop (server);
}

/* ---- fixtures and independent servers --------------------------------- */

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
list_fixture_messages (void)
{
  const char *fixtures = g_getenv ("FIXTURES_DIR");
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir_path = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (fixtures == NULL)
    return paths;
  dir_path = g_build_filename (fixtures, "messages", NULL);
  dir = g_dir_open (dir_path, 0, NULL);
  if (dir == NULL)
    return paths;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".edi"))
      g_ptr_array_add (paths, g_build_filename (dir_path, name, NULL));
  g_ptr_array_sort (paths, compare_paths);
  return paths;
}

/* Returns what a server must store for @path: the file, plus a CRLF when it
 * does not end with one, because the client ends the last line before ".". */
static GBytes *
expected_delivery (const char *path)
{
  char *data = NULL;
  gsize len = 0;
  GString *want;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return NULL;
  want = g_string_new_len (data, (gssize) len);
  g_free (data);
  if (len < 2 || want->str[len - 2] != '\r' || want->str[len - 1] != '\n')
    g_string_append (want, "\r\n");
  return g_string_free_to_bytes (want);
}

static void
remove_dir (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_unlink (child);
    }
  g_rmdir (path);
}

/* Reports that the peer tool @tool is missing or did not start: a SKIP
 * line, or a failure when NACCS_REQUIRE_PEERS=1, as CI sets it, so that a
 * CI image without the peers cannot pass unnoticed.  @package is the
 * Debian package that provides the tool. */
static void
report_missing_peer (const char *tool, const char *detail,
                     const char *package)
{
  if (g_strcmp0 (g_getenv ("NACCS_REQUIRE_PEERS"), "1") == 0)
    {
      fprintf (stderr, "\n  FAIL: %s is missing or did not start (%s), and "
               "NACCS_REQUIRE_PEERS=1 requires it: install the Debian "
               "package %s\n", tool, detail, package);
      CU_FAIL ("peer tool missing with NACCS_REQUIRE_PEERS=1");
      return;
    }
  fprintf (stderr, "\n  SKIP: %s is missing or did not start (%s): install "
           "the Debian package %s to run this test\n", tool, detail, package);
}

typedef struct {
  GSubprocess *process;
  char *spool;
  guint16 port;
} AiosmtpdSink;

/* Starts peers/aiosmtpd-sink.py on a free port; NULL, after
 * report_missing_peer(), when Python or aiosmtpd is missing. */
static AiosmtpdSink *
aiosmtpd_start (void)
{
  const char *python = g_getenv ("PYTHON3");
  const char *script = g_getenv ("AIOSMTPD_SINK");
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  AiosmtpdSink *sink = g_new0 (AiosmtpdSink, 1);
  guint64 port = 0;

  sink->spool = g_dir_make_tmp ("naccs-aiosmtpd-XXXXXX", NULL);
  if (python != NULL && script != NULL && sink->spool != NULL)
    sink->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                          | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                      &error, python, script, "0",
                                      sink->spool, NULL);
  if (sink->process != NULL)
    {
      out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (
          sink->process));
      line = g_data_input_stream_read_line (out, NULL, NULL, NULL);
    }

  if (line == NULL || !g_str_has_prefix (line, "PORT ")
      || !g_ascii_string_to_unsigned (line + 5, 10, 1, 65535, &port, NULL))
    {
      g_autofree char *detail = g_strdup_printf (
          "PYTHON3=%s", python ? python : "unset");

      report_missing_peer ("aiosmtpd", detail, "python3-aiosmtpd");
      if (sink->process != NULL)
        g_subprocess_force_exit (sink->process);
      g_clear_object (&sink->process);
      if (sink->spool != NULL)
        remove_dir (sink->spool);
      g_free (sink->spool);
      g_free (sink);
      return NULL;
    }

  sink->port = (guint16) port;
  return sink;
}

/* Stops the sink by closing its stdin, and removes its spool. */
static void
aiosmtpd_stop (AiosmtpdSink *sink)
{
  g_output_stream_close (g_subprocess_get_stdin_pipe (sink->process), NULL,
                         NULL);
  g_subprocess_wait (sink->process, NULL, NULL);
  g_object_unref (sink->process);
  remove_dir (sink->spool);
  g_free (sink->spool);
  g_free (sink);
}

static gboolean
spool_matches (const AiosmtpdSink *sink, guint number, const char *fixture)
{
  g_autofree char *name = g_strdup_printf ("%03u.msg", number);
  g_autofree char *path = g_build_filename (sink->spool, name, NULL);
  g_autoptr (GBytes) want = expected_delivery (fixture);
  char *data = NULL;
  gsize len = 0;
  g_autoptr (GBytes) got = NULL;

  if (!g_file_get_contents (path, &data, &len, NULL))
    {
      fprintf (stderr, "\n  %s: missing, want %s\n", path, fixture);
      return FALSE;
    }
  got = g_bytes_new_take (data, len);
  if (want == NULL || !g_bytes_equal (got, want))
    {
      fprintf (stderr, "\n  %s differs from %s\n", path, fixture);
      return FALSE;
    }
  return TRUE;
}

/* Proves aiosmtpd stores every fixture byte for byte, on one connection. */
static void
test_aiosmtpd_fixtures (void)
{
  g_autoptr (GPtrArray) fixtures = list_fixture_messages ();
  g_autoptr (NaccsClient) client = new_client (10000, 10000, 30000);
  g_autoptr (GError) error = NULL;
  AiosmtpdSink *sink;

  if (fixtures->len == 0)
    {
      fprintf (stderr, "\n  SKIP: no fixtures/messages/*.edi found\n");
      return;
    }
  sink = aiosmtpd_start ();
  if (sink == NULL)
    return;

  CU_ASSERT_TRUE (naccs_client_connect (client, "127.0.0.1", sink->port,
                                        &error));
  CU_ASSERT_TRUE (naccs_client_helo (client, HELO_DOMAIN, &error));
  for (guint i = 0; i < fixtures->len && error == NULL; i++)
    {
      g_autoptr (GFile) file = g_file_new_for_path (fixtures->pdata[i]);

      CU_ASSERT_TRUE (naccs_client_send_file (client, FROM_ADDRESS,
                                              TO_ADDRESS, file, &error));
    }
  CU_ASSERT_PTR_NULL (error);
  if (error != NULL)
    fprintf (stderr, "\n  %s\n", error->message);
  CU_ASSERT_TRUE (naccs_client_quit (client, NULL));

  for (guint i = 0; i < fixtures->len; i++)
    CU_ASSERT_TRUE (spool_matches (sink, i + 1, fixtures->pdata[i]));
  aiosmtpd_stop (sink);
}

typedef struct {
  int exit_status;
  char *stdout_text;
  char *stderr_text;
} ToolRun;

static void
tool_run_clear (ToolRun *run)
{
  g_free (run->stdout_text);
  g_free (run->stderr_text);
}

/* Runs naccs-send against 127.0.0.1:@port with @files. */
static gboolean
run_naccs_send (guint16 port, const char *const *files, ToolRun *run)
{
  const char *tool = g_getenv ("NACCS_SEND");
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  if (tool == NULL)
    return FALSE;
  g_ptr_array_add (argv, g_strdup (tool));
  g_ptr_array_add (argv, g_strdup_printf ("--server=127.0.0.1:%u", port));
  g_ptr_array_add (argv, g_strdup ("--helo=" HELO_DOMAIN));
  g_ptr_array_add (argv, g_strdup ("--from=" FROM_ADDRESS));
  g_ptr_array_add (argv, g_strdup ("--reply-timeout=10"));
  /* Fake servers serve one connection, so a reconnect meets a silent
   * listener: keep its greeting timeout and the retries short. */
  g_ptr_array_add (argv, g_strdup ("--greeting-timeout=1"));
  g_ptr_array_add (argv, g_strdup ("--max-attempts=2"));
  g_ptr_array_add (argv, g_strdup ("--retry-delay=0"));
  for (gsize i = 0; files[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (files[i]));
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  if (process == NULL
      || !g_subprocess_communicate_utf8 (process, NULL, NULL,
                                         &run->stdout_text, &run->stderr_text,
                                         &error))
    return FALSE;
  run->exit_status = g_subprocess_get_exit_status (process);
  return TRUE;
}

static guint
count_lines_with (const char *text, const char *part)
{
  guint count = 0;

  for (const char *p = text; p != NULL && (p = strstr (p, part)) != NULL;
       p += strlen (part))
    count++;
  return count;
}

/* Proves naccs-send delivers all fixtures and exits 0. */
static void
test_naccs_send_aiosmtpd (void)
{
  g_autoptr (GPtrArray) fixtures = list_fixture_messages ();
  ToolRun run = { 0 };
  AiosmtpdSink *sink;

  if (fixtures->len == 0)
    return;
  sink = aiosmtpd_start ();
  if (sink == NULL)
    return;

  g_ptr_array_add (fixtures, NULL);
  CU_ASSERT_TRUE_FATAL (run_naccs_send (sink->port,
                                        (const char *const *) fixtures->pdata,
                                        &run));
  CU_ASSERT_EQUAL (run.exit_status, 0);
  CU_ASSERT_EQUAL (count_lines_with (run.stdout_text,
                                     ": accepted (reply code 250)\n"),
                   fixtures->len - 1);
  for (guint i = 0; i + 1 < fixtures->len; i++)
    CU_ASSERT_TRUE (spool_matches (sink, i + 1, fixtures->pdata[i]));
  tool_run_clear (&run);
  aiosmtpd_stop (sink);
}

/* Proves an invalid file stops naccs-send with status 2, nothing sent. */
static void
test_naccs_send_invalid_file (void)
{
  const char *fixtures = g_getenv ("FIXTURES_DIR");
  g_autofree char *good = NULL;
  g_autofree char *bad = NULL;
  ToolRun run = { 0 };
  AiosmtpdSink *sink;
  g_autoptr (GDir) spool = NULL;

  if (fixtures == NULL)
    return;
  good = g_build_filename (fixtures, "messages", "01-ordinary-short.edi",
                           NULL);
  bad = g_build_filename (fixtures, "invalid", "line-1001-octets.edi", NULL);
  if (!g_file_test (good, G_FILE_TEST_EXISTS)
      || !g_file_test (bad, G_FILE_TEST_EXISTS))
    return;
  sink = aiosmtpd_start ();
  if (sink == NULL)
    return;

  {
    const char *files[] = { good, bad, NULL };

    CU_ASSERT_TRUE_FATAL (run_naccs_send (sink->port, files, &run));
  }
  CU_ASSERT_EQUAL (run.exit_status, 2);
  CU_ASSERT_TRUE (contains (run.stderr_text, bad));
  CU_ASSERT_TRUE (contains (run.stderr_text, "line "));
  spool = g_dir_open (sink->spool, 0, NULL);
  CU_ASSERT_PTR_NULL (spool ? g_dir_read_name (spool) : NULL);
  tool_run_clear (&run);
  aiosmtpd_stop (sink);
}

static char *
write_temp_message (const char *dir, const char *name)
{
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, "NHDR x\r\nbody\r\n", -1, NULL);
  return path;
}

/* Proves naccs-send resets after each rejection and goes on, exit 1. */
static void
test_naccs_send_rejections (void)
{
  FakeReplies replies = default_replies;
  g_autofree char *dir = g_dir_make_tmp ("naccs-send-XXXXXX", NULL);
  g_autofree char *first = write_temp_message (dir, "a.edi");
  g_autofree char *second = write_temp_message (dir, "b.edi");
  const char *files[] = { first, second, NULL };
  ToolRun run = { 0 };
  FakeServer *server;

  replies.rcpt = "550 unknown recipient\r\n";
  server = fake_server_start (&replies);
  CU_ASSERT_TRUE_FATAL (run_naccs_send (server->port, files, &run));
  fake_server_wait (server);

  CU_ASSERT_EQUAL (run.exit_status, 1);
  CU_ASSERT_EQUAL (count_lines_with (run.stdout_text,
                                     ": rejected permanently (reply code 550 "
                                     "to RCPT TO)\n"), 2);
  CU_ASSERT_EQUAL (count_lines_with (server->commands->str, "RSET\n"), 2);
  CU_ASSERT_TRUE (g_str_has_suffix (server->commands->str, "QUIT\n"));
  fake_server_stop (server);
  tool_run_clear (&run);
  remove_dir (dir);
}

/* Proves a lost connection after "." reports unknown, then not attempted. */
static void
test_naccs_send_outcome_unknown (void)
{
  FakeReplies replies = default_replies;
  g_autofree char *dir = g_dir_make_tmp ("naccs-send-XXXXXX", NULL);
  g_autofree char *first = write_temp_message (dir, "a.edi");
  g_autofree char *second = write_temp_message (dir, "b.edi");
  const char *files[] = { first, second, NULL };
  ToolRun run = { 0 };
  FakeServer *server;

  replies.data_end = FAKE_CLOSE;
  server = fake_server_start (&replies);
  CU_ASSERT_TRUE_FATAL (run_naccs_send (server->port, files, &run));

  CU_ASSERT_EQUAL (run.exit_status, 1);
  CU_ASSERT_EQUAL (count_lines_with (run.stdout_text, ": outcome unknown: "),
                   1);
  CU_ASSERT_EQUAL (count_lines_with (run.stdout_text, ": not attempted: "),
                   1);
  fake_server_stop (server);
  tool_run_clear (&run);
  remove_dir (dir);
}

/* Returns a port that was free a moment ago, for servers that cannot be
 * told to pick one themselves. */
static guint16
find_free_port (void)
{
  guint16 port = 0;
  GSocket *socket = listen_loopback (G_SOCKET_FAMILY_IPV4, &port);

  if (socket != NULL)
    {
      g_socket_close (socket, NULL);
      g_object_unref (socket);
    }
  return port;
}

/* Connects to a server that is still starting, for up to five seconds. */
static gboolean
connect_with_retry (NaccsClient *client, guint16 port)
{
  for (int attempt = 0; attempt < 50; attempt++)
    {
      g_autoptr (GError) error = NULL;

      if (naccs_client_connect (client, "127.0.0.1", port, &error))
        return TRUE;
      if (!g_error_matches (error, NACCS_CLIENT_ERROR,
                            NACCS_CLIENT_ERROR_CONNECT))
        return FALSE;
      g_usleep (100 * 1000);
    }
  return FALSE;
}

static GSubprocess *
smtp_sink_start (const char *dump_dir, const char *counters, guint16 port)
{
  const char *smtp_sink = g_getenv ("SMTP_SINK");
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  if (smtp_sink == NULL || !g_file_test (smtp_sink, G_FILE_TEST_IS_EXECUTABLE))
    return NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_stdout_file_path (launcher, counters);
  g_ptr_array_add (argv, g_strdup (smtp_sink));
  /* smtp-sink refuses to run as root without a user to switch to. */
  if (geteuid () == 0)
    {
      g_ptr_array_add (argv, g_strdup ("-u"));
      g_ptr_array_add (argv, g_strdup ("nobody"));
    }
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup ("-d"));
  g_ptr_array_add (argv, g_build_filename (dump_dir, "msg.", NULL));
  g_ptr_array_add (argv, g_strdup_printf ("127.0.0.1:%u", port));
  g_ptr_array_add (argv, g_strdup ("10"));
  g_ptr_array_add (argv, NULL);
  return g_subprocess_launcher_spawnv (launcher,
                                       (const char *const *) argv->pdata,
                                       NULL);
}

static guint
count_files (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint count = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

/* Waits up to three seconds for @path to contain @text. */
static gboolean
wait_for_text (const char *path, const char *text)
{
  for (int attempt = 0; attempt < 30; attempt++)
    {
      g_autofree char *contents = NULL;

      if (g_file_get_contents (path, &contents, NULL, NULL)
          && strstr (contents, text) != NULL)
        return TRUE;
      g_usleep (100 * 1000);
    }
  return FALSE;
}

/* Proves Postfix's smtp-sink takes three messages in one session. */
static void
test_smtp_sink_session (void)
{
  enum { MESSAGES = 3 };
  g_autofree char *work = g_dir_make_tmp ("naccs-smtp-sink-XXXXXX", NULL);
  g_autofree char *dumps = g_build_filename (work, "dumps", NULL);
  g_autofree char *counters = g_build_filename (work, "counters.txt", NULL);
  g_autoptr (NaccsClient) client = new_client (10000, 10000, 10000);
  g_autoptr (GBytes) message = short_message ();
  g_autoptr (GSubprocess) sink = NULL;
  guint16 port = find_free_port ();

  /* smtp-sink writes dumps as "nobody" when started as root, so that user
   * must reach and write the dump directory. */
  g_chmod (work, 0711);
  g_mkdir (dumps, 0777);
  g_chmod (dumps, 0777);
  sink = smtp_sink_start (dumps, counters, port);
  if (sink == NULL)
    {
      report_missing_peer ("smtp-sink", g_getenv ("SMTP_SINK") != NULL
                                            ? g_getenv ("SMTP_SINK")
                                            : "SMTP_SINK unset",
                           "postfix");
      remove_dir (work);
      return;
    }

  CU_ASSERT_TRUE (connect_with_retry (client, port));
  CU_ASSERT_TRUE (naccs_client_helo (client, HELO_DOMAIN, NULL));
  for (int i = 0; i < MESSAGES; i++)
    {
      g_autoptr (GError) error = NULL;

      CU_ASSERT_TRUE (naccs_client_send_message (client, FROM_ADDRESS,
                                                 TO_ADDRESS, message, &error));
      if (error != NULL)
        fprintf (stderr, "\n  message %d: %s\n", i + 1, error->message);
    }
  CU_ASSERT_TRUE (naccs_client_quit (client, NULL));

  CU_ASSERT_TRUE (wait_for_text (counters, "sess=1 quit=1 mesg=3"));
  CU_ASSERT_EQUAL (count_files (dumps), MESSAGES);

  g_subprocess_send_signal (sink, SIGTERM);
  g_subprocess_wait (sink, NULL, NULL);
  remove_dir (dumps);
  remove_dir (work);
}

/* ---- registration --------------------------------------------------------- */

int
main (void)
{
  static const TestEntry fake_tests[] = {
    { "greeting timeout", test_greeting_timeout },
    { "greeting 421", test_greeting_421 },
    { "greeting multi-line", test_greeting_multi_line },
    { "close after dot", test_close_after_dot },
    { "end of data timeout", test_data_end_timeout },
    { "unexpected code for step", test_unexpected_code_for_step },
    { "garbage reply", test_garbage_reply },
    { "RCPT rejected then RSET", test_rcpt_rejected_then_rset },
    { "end of data temporary", test_data_end_temporary },
    { "invalid message not sent", test_invalid_message_not_sent },
    { "exact commands and trace", test_exact_commands_and_trace },
    { "state errors", test_state_errors },
    { "connect refused", test_connect_refused },
    { "IPv6 literal", test_ipv6_literal },
    { "cancel from thread", test_cancel_from_thread },
  };
  static const TestEntry peer_tests[] = {
    { "aiosmtpd fixtures byte for byte", test_aiosmtpd_fixtures },
    { "smtp-sink one session", test_smtp_sink_session },
  };
  static const TestEntry tool_tests[] = {
    { "naccs-send all accepted", test_naccs_send_aiosmtpd },
    { "naccs-send invalid file", test_naccs_send_invalid_file },
    { "naccs-send rejections", test_naccs_send_rejections },
    { "naccs-send outcome unknown", test_naccs_send_outcome_unknown },
  };
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  if (!add_suite ("/client-peers/fake-server", fake_tests,
                  G_N_ELEMENTS (fake_tests))
      || !add_suite ("/client-peers/independent", peer_tests,
                     G_N_ELEMENTS (peer_tests))
      || !add_suite ("/client-peers/naccs-send", tool_tests,
                     G_N_ELEMENTS (tool_tests)))
    {
      CU_cleanup_registry ();
      return 2;
    }

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
