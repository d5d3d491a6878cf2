/* script-server.c: the scripted SMTP server of the client's fault tests.
 *
 * See script-server.h.  One thread accepts and serves connections one at a
 * time on blocking sockets with a 10-second timeout, so a test that goes
 * wrong ends by itself.  Replies go out with TCP_NODELAY, and the two
 * parts of a split reply 20 ms apart, so that the client reads them
 * separately.
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "script-server.h"

#define SERVER_IDLE_SECONDS 10
#define SPLIT_PAUSE_US (20 * 1000)
#define INPUT_MAX 8192

struct _ScriptServer {
  ScriptRule *rules;
  gsize n_rules;
  GSocket *listener;
  guint16 port;
  GThread *thread;
  GCancellable *stop;
  GPtrArray *commands;   /* GString per connection */
  GPtrArray *deliveries; /* ScriptDelivery */
};

typedef struct {
  ScriptServer *server;
  GSocket *socket;
  guint number;
  guint counts[EVENT_COUNT];
  GString *commands;
  char in[INPUT_MAX];
  gsize in_start;
  gsize in_len;
} Connection;

/* What a reply did to the connection. */
typedef enum {
  SENT_WHOLE,   /* the whole reply went out */
  SENT_PARTIAL, /* the connection ended before or within the reply */
} Sent;

static const char *const default_replies[EVENT_COUNT] = {
  [EVENT_GREETING] = "220 fake.invalid ready\r\n",
  [EVENT_HELO] = "250 fake.invalid\r\n",
  [EVENT_MAIL] = "250 ok\r\n",
  [EVENT_RCPT] = "250 ok\r\n",
  [EVENT_DATA] = "354 go ahead\r\n",
  [EVENT_BODY] = NULL,
  [EVENT_DOT] = "250 stored\r\n",
  [EVENT_RSET] = "250 reset\r\n",
  [EVENT_QUIT] = "221 bye\r\n",
};

const char *
script_server_default_reply (ScriptEvent event)
{
  return default_replies[event];
}

static void
delivery_free (gpointer data)
{
  ScriptDelivery *delivery = data;

  g_free (delivery->id);
  g_free (delivery);
}

/* Counts @event on @connection and returns the rule for it, if any. */
static const ScriptRule *
match_rule (Connection *connection, ScriptEvent event)
{
  guint count = ++connection->counts[event];

  for (gsize i = 0; i < connection->server->n_rules; i++)
    {
      const ScriptRule *rule = &connection->server->rules[i];

      if (rule->event == event
          && (rule->connection == 0 || rule->connection == connection->number)
          && (rule->occurrence == 0 || rule->occurrence == count))
        return rule;
    }
  return NULL;
}

static gboolean
send_all (GSocket *socket, const char *data, gsize len)
{
  while (len > 0)
    {
      gssize n = g_socket_send (socket, data, len, NULL, NULL);

      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Closes with RST instead of FIN: SO_LINGER with a zero timeout. */
static void
reset_connection (Connection *connection)
{
  struct linger linger = { 1, 0 };

  setsockopt (g_socket_get_fd (connection->socket), SOL_SOCKET, SO_LINGER,
              &linger, sizeof linger);
  g_socket_close (connection->socket, NULL);
}

/* Reads and drops everything until the client closes or goes idle. */
static void
drain (Connection *connection)
{
  char buffer[4096];

  while (g_socket_receive (connection->socket, buffer, sizeof buffer, NULL,
                           NULL) > 0)
    ;
}

/* Sends the reply to @event as @rule (nullable) specifies. */
static Sent
respond (Connection *connection, ScriptEvent event, const ScriptRule *rule)
{
  const char *reply = default_replies[event];
  gsize len;

  if (rule != NULL && rule->text != NULL)
    reply = rule->text;
  len = strlen (reply);

  if (rule == NULL || rule->kind == FAULT_REPLY)
    return send_all (connection->socket, reply, len) ? SENT_WHOLE
                                                     : SENT_PARTIAL;

  switch (rule->kind)
    {
    case FAULT_CUT:
      send_all (connection->socket, reply, MIN (rule->bytes, len));
      g_socket_shutdown (connection->socket, FALSE, TRUE, NULL);
      drain (connection);
      return SENT_PARTIAL;
    case FAULT_RESET:
      reset_connection (connection);
      return SENT_PARTIAL;
    case FAULT_SILENT:
      drain (connection);
      return SENT_PARTIAL;
    case FAULT_SPLIT:
    default:
      if (!send_all (connection->socket, reply, MIN (rule->bytes, len)))
        return SENT_PARTIAL;
      g_usleep (SPLIT_PAUSE_US);
      return send_all (connection->socket, reply + MIN (rule->bytes, len),
                       len - MIN (rule->bytes, len))
                 ? SENT_WHOLE
                 : SENT_PARTIAL;
    }
}

/* Returns the next line without its line end, or NULL at the end of the
 * connection; *@octets gets its length on the wire. */
static char *
read_line (Connection *connection, gsize *octets)
{
  for (;;)
    {
      char *start = connection->in + connection->in_start;
      char *lf = memchr (start, '\n', connection->in_len);
      gssize n;

      if (lf != NULL)
        {
          gsize line_len = (gsize) (lf - start);
          char *line = g_strndup (start, line_len > 0 && lf[-1] == '\r'
                                             ? line_len - 1
                                             : line_len);

          *octets = line_len + 1;
          connection->in_start += line_len + 1;
          connection->in_len -= line_len + 1;
          return line;
        }

      memmove (connection->in, start, connection->in_len);
      connection->in_start = 0;
      if (connection->in_len == INPUT_MAX)
        return NULL;
      n = g_socket_receive (connection->socket,
                            connection->in + connection->in_len,
                            INPUT_MAX - connection->in_len, NULL, NULL);
      if (n <= 0)
        return NULL;
      connection->in_len += (gsize) n;
    }
}

static ScriptEvent
classify (const char *line)
{
  static const struct {
    const char *prefix;
    ScriptEvent event;
  } commands[] = {
    { "HELO ", EVENT_HELO }, { "MAIL FROM:", EVENT_MAIL },
    { "RCPT TO:", EVENT_RCPT }, { "DATA", EVENT_DATA },
    { "RSET", EVENT_RSET }, { "QUIT", EVENT_QUIT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_has_prefix (line, commands[i].prefix))
      return commands[i].event;
  return EVENT_COUNT;
}

/* Reads the message data up to ".", applying a reset rule for the body.
 * Returns the message's ID, or NULL when the connection ended first. */
static char *
read_body (Connection *connection, gboolean *ended)
{
  const ScriptRule *rule = match_rule (connection, EVENT_BODY);
  g_autofree char *id = NULL;
  gsize body_octets = 0;

  *ended = TRUE;
  for (;;)
    {
      gsize octets = 0;
      g_autofree char *line = read_line (connection, &octets);

      if (line == NULL)
        return NULL;
      if (strcmp (line, ".") == 0)
        break;
      if (id == NULL && g_str_has_prefix (line, "ID "))
        id = g_strdup (line + 3);

      body_octets += octets;
      if (rule != NULL && rule->kind == FAULT_STALL)
        {
          g_usleep (rule->bytes * 1000);
          return NULL;
        }
      if (rule != NULL && rule->kind == FAULT_RESET
          && body_octets >= rule->bytes)
        {
          reset_connection (connection);
          return NULL;
        }
    }

  *ended = FALSE;
  return id ? g_steal_pointer (&id) : g_strdup ("?");
}

/* Handles the message data and the reply to its ".".  Returns FALSE when
 * the connection ended. */
static gboolean
serve_message (Connection *connection)
{
  gboolean ended = FALSE;
  g_autofree char *id = read_body (connection, &ended);
  ScriptDelivery *delivery;
  const ScriptRule *rule;
  Sent sent;

  g_string_append (connection->commands, "<data>\n");
  if (ended)
    return FALSE;
  g_string_append (connection->commands, ".\n");

  rule = match_rule (connection, EVENT_DOT);

  delivery = g_new0 (ScriptDelivery, 1);
  delivery->connection = connection->number;
  delivery->id = g_steal_pointer (&id);
  delivery->stored = rule == NULL || rule->text == NULL
                     || rule->text[0] == '2';
  g_ptr_array_add (connection->server->deliveries, delivery);

  sent = respond (connection, EVENT_DOT, rule);
  delivery->acked = sent == SENT_WHOLE && delivery->stored;
  return sent == SENT_WHOLE && !(rule && rule->text
                                 && g_str_has_prefix (rule->text, "421"));
}

/* Returns TRUE when @rule's reply @prefix is replaced by another. */
static gboolean
replaces_with_other_than (const ScriptRule *rule, const char *prefix)
{
  return rule != NULL && rule->text != NULL
         && !g_str_has_prefix (rule->text, prefix);
}

static void
serve (Connection *connection)
{
  if (respond (connection, EVENT_GREETING,
               match_rule (connection, EVENT_GREETING)) != SENT_WHOLE)
    return;

  for (;;)
    {
      gsize octets = 0;
      g_autofree char *line = read_line (connection, &octets);
      const ScriptRule *rule;
      ScriptEvent event;

      if (line == NULL)
        return;
      event = classify (line);
      g_string_append_printf (connection->commands, "%s\n", line);
      if (event == EVENT_COUNT)
        {
          send_all (connection->socket, "500 unknown command\r\n", 21);
          continue;
        }

      rule = match_rule (connection, event);
      if (respond (connection, event, rule) != SENT_WHOLE
          || event == EVENT_QUIT)
        return;
      /* A server that replies 421 closes the channel (RFC 5321 3.8). */
      if (rule != NULL && rule->text != NULL
          && g_str_has_prefix (rule->text, "421"))
        return;
      if (event == EVENT_DATA && !replaces_with_other_than (rule, "354")
          && !serve_message (connection))
        return;
    }
}

static void
serve_socket (ScriptServer *server, GSocket *socket)
{
  Connection connection = { .server = server, .socket = socket };

  connection.number = server->commands->len + 1;
  connection.commands = g_string_new (NULL);
  g_ptr_array_add (server->commands, connection.commands);

  g_socket_set_blocking (socket, TRUE);
  g_socket_set_timeout (socket, SERVER_IDLE_SECONDS);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  serve (&connection);
  if (!g_socket_is_closed (socket))
    g_socket_close (socket, NULL);
}

static gpointer
server_thread (gpointer user_data)
{
  ScriptServer *server = user_data;

  for (;;)
    {
      g_autoptr (GSocket) socket = NULL;
      g_autoptr (GError) error = NULL;

      if (!g_socket_condition_timed_wait (server->listener, G_IO_IN,
                                          SERVER_IDLE_SECONDS * G_USEC_PER_SEC,
                                          server->stop, &error))
        return NULL;
      socket = g_socket_accept (server->listener, NULL, NULL);
      if (socket != NULL)
        serve_socket (server, socket);
    }
}

ScriptServer *
script_server_start (const ScriptRule *rules, gsize n_rules)
{
  ScriptServer *server = g_new0 (ScriptServer, 1);
  g_autoptr (GInetAddress) loopback =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback,
                                                                  0);
  g_autoptr (GSocketAddress) bound = NULL;

  server->rules = g_memdup2 (rules, sizeof *rules * n_rules);
  server->n_rules = n_rules;
  server->stop = g_cancellable_new ();
  server->commands = g_ptr_array_new ();
  server->deliveries = g_ptr_array_new_with_free_func (delivery_free);
  server->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                   G_SOCKET_PROTOCOL_TCP, NULL);
  if (server->listener == NULL
      || !g_socket_bind (server->listener, address, FALSE, NULL)
      || !g_socket_listen (server->listener, NULL))
    g_error ("script server: cannot listen on 127.0.0.1");

  bound = g_socket_get_local_address (server->listener, NULL);
  server->port = g_inet_socket_address_get_port (
      G_INET_SOCKET_ADDRESS (bound));
  server->thread = g_thread_new ("script-server", server_thread, server);
  return server;
}

guint16
script_server_port (const ScriptServer *server)
{
  return server->port;
}

void
script_server_stop (ScriptServer *server)
{
  if (server->thread == NULL)
    return;
  g_cancellable_cancel (server->stop);
  g_thread_join (server->thread);
  server->thread = NULL;
}

void
script_server_free (ScriptServer *server)
{
  script_server_stop (server);
  for (guint i = 0; i < server->commands->len; i++)
    g_string_free (server->commands->pdata[i], TRUE);
  g_ptr_array_unref (server->commands);
  g_ptr_array_unref (server->deliveries);
  g_socket_close (server->listener, NULL);
  g_object_unref (server->listener);
  g_object_unref (server->stop);
  g_free (server->rules);
  g_free (server);
}

guint
script_server_connections (const ScriptServer *server)
{
  return server->commands->len;
}

const char *
script_server_commands (const ScriptServer *server, guint number)
{
  if (number == 0 || number > server->commands->len)
    return "";
  return ((GString *) server->commands->pdata[number - 1])->str;
}

GPtrArray *
script_server_deliveries (const ScriptServer *server)
{
  return server->deliveries;
}

static guint
count_deliveries (const ScriptServer *server, const char *id, gboolean acked)
{
  guint count = 0;

  for (guint i = 0; i < server->deliveries->len; i++)
    {
      const ScriptDelivery *delivery = server->deliveries->pdata[i];

      if (strcmp (delivery->id, id) == 0
          && (acked ? delivery->acked : delivery->stored))
        count++;
    }
  return count;
}

guint
script_server_count_stored (const ScriptServer *server, const char *id)
{
  return count_deliveries (server, id, FALSE);
}

guint
script_server_count_acked (const ScriptServer *server, const char *id)
{
  return count_deliveries (server, id, TRUE);
}

char *
script_message (const char *id, guint body_lines, gsize line_len)
{
  GString *message = g_string_new ("NHDR synthetic header\r\n");
  g_autofree char *filler = g_strnfill (MAX (line_len, 3) - 2, 'x');

  g_string_append_printf (message, "ID %s\r\n.dot line\r\n", id);
  for (guint i = 0; i < body_lines; i++)
    g_string_append_printf (message, "%s\r\n", filler);
  return g_string_free (message, FALSE);
}
