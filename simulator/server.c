/* server.c: the listening socket of naccs-sim and the set of its sessions.
 *
 * One non-blocking listening socket in the main loop accepts connections
 * and starts a session for each; there is no thread per connection.  Past
 * --max-connections sessions, a new connection still becomes a session,
 * but one that only sends 421 and closes (RFC 5321 section 3.8: 421 is
 * the reply of a server that cannot serve now), so the client learns why
 * and the turn-away shows in the events.  A session that has closed its
 * socket is freed from an idle callback, never from inside its own
 * callbacks.  Session ids continue after those in the spool directory;
 * connection indexes count accepts from 0.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include <string.h>

#include <glib/gi18n.h>

#include "server.h"

/* Connections accepted per wake-up, so a flood of connects cannot starve
 * the sessions already open. */
#define MAX_ACCEPTS_PER_WAKEUP 64

/* After accept() fails for lack of file descriptors, wait this long before
 * trying again rather than spinning. */
#define ACCEPT_RETRY_MS 200

G_DEFINE_QUARK (naccs-sim-server-error-quark, naccs_sim_server_error)

struct _NaccsSimServer {
  GMainContext *context;    /* thread-default context at creation */
  NaccsSimConfig config;
  NaccsSimHooks hooks;
  NaccsSimSpool *spool;
  NaccsSimSessionEnv env;
  GSocket *listener;
  GSource *accept_source;
  GSource *retry_source;
  GSource *reap_source;
  GHashTable *sessions;     /* open session -> GINT_TO_POINTER (turned away) */
  GPtrArray *finished;      /* closed sessions waiting to be freed */
  guint serving;            /* open sessions that were not turned away */
  guint next_session_id;
  guint connections;
  gboolean stopped;
};

gboolean
naccs_sim_parse_listen_address (const char *text,
                                GInetSocketAddress **address,
                                GError **error)
{
  g_autofree char *host = NULL;
  g_autoptr (GInetAddress) inet = NULL;
  const char *colon = strrchr (text, ':');
  guint64 port;

  if (colon == NULL)
    {
      g_set_error (error, NACCS_SIM_SERVER_ERROR,
                   NACCS_SIM_SERVER_ERROR_ADDRESS,
                   _("invalid --listen \"%s\": give ADDRESS:PORT, for "
                     "example 127.0.0.1:2525 or [::1]:2525"), text);
      return FALSE;
    }
  if (text[0] == '[' && colon > text && colon[-1] == ']')
    host = g_strndup (text + 1, (gsize) (colon - text - 2));
  else
    host = g_strndup (text, (gsize) (colon - text));

  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    {
      g_set_error (error, NACCS_SIM_SERVER_ERROR,
                   NACCS_SIM_SERVER_ERROR_ADDRESS,
                   _("invalid port \"%s\" in --listen: give a number from 0 "
                     "to 65535 (0 picks a free port)"), colon + 1);
      return FALSE;
    }
  inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      g_set_error (error, NACCS_SIM_SERVER_ERROR,
                   NACCS_SIM_SERVER_ERROR_ADDRESS,
                   _("invalid address \"%s\" in --listen: give an IP "
                     "address such as 127.0.0.1 or [::1]"), host);
      return FALSE;
    }
  *address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet,
                                                              (guint16) port));
  return TRUE;
}

static gboolean
check_range (const char *option, guint64 value, guint64 min, guint64 max,
             GError **error)
{
  g_autofree char *value_text = NULL;
  g_autofree char *min_text = NULL;
  g_autofree char *max_text = NULL;

  if (value >= min && value <= max)
    return TRUE;
  value_text = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  min_text = g_strdup_printf ("%" G_GUINT64_FORMAT, min);
  max_text = g_strdup_printf ("%" G_GUINT64_FORMAT, max);
  g_set_error (error, NACCS_SIM_SERVER_ERROR, NACCS_SIM_SERVER_ERROR_CONFIG,
               _("invalid %s %s: give a value from %s to %s"),
               option, value_text, min_text, max_text);
  return FALSE;
}

gboolean
naccs_sim_config_validate (const NaccsSimConfig *config, GError **error)
{
  /* A line must hold at least "QUIT\r\n"; 64 MiB bounds a message that a
   * session may buffer in memory. */
  return check_range ("--max-line-length", config->max_line_length, 16,
                      1024 * 1024, error)
         && check_range ("--max-message-size", config->max_message_size, 1,
                         64 * 1024 * 1024, error)
         && check_range ("--max-connections", config->max_connections, 1,
                         1000000, error)
         && check_range ("--idle-timeout (ms)", config->idle_timeout_ms, 1,
                         G_MAXINT, error)
         && check_range ("--command-timeout (ms)", config->command_timeout_ms,
                         1, G_MAXINT, error);
}

static gboolean
reap_sessions (gpointer user_data)
{
  NaccsSimServer *server = user_data;

  g_ptr_array_set_size (server->finished, 0);
  g_clear_pointer (&server->reap_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
schedule_free (NaccsSimServer *server, NaccsSimSession *session)
{
  g_ptr_array_add (server->finished, session);
  if (server->reap_source != NULL)
    return;
  server->reap_source = g_idle_source_new ();
  g_source_set_callback (server->reap_source, reap_sessions, server, NULL);
  g_source_attach (server->reap_source, server->context);
}

/* Called by a session when it closes.  A session that closes while it
 * starts is not in the table yet; start_session() handles it. */
static void
on_session_finished (gpointer owner, NaccsSimSession *session)
{
  NaccsSimServer *server = owner;
  gpointer turned_away;

  if (!g_hash_table_lookup_extended (server->sessions, session, NULL,
                                     &turned_away))
    return;
  g_hash_table_remove (server->sessions, session);
  if (!GPOINTER_TO_INT (turned_away))
    server->serving--;
  schedule_free (server, session);
}

static void
start_session (NaccsSimServer *server, GSocket *socket)
{
  gboolean turn_away = server->serving >= server->config.max_connections;
  guint id = server->next_session_id++;
  guint index = server->connections++;
  NaccsSimSession *session;

  if (!turn_away)
    server->serving++;
  session = naccs_sim_session_start (&server->env, socket, id, index,
                                     turn_away);
  if (naccs_sim_session_is_closed (session))
    {
      if (!turn_away)
        server->serving--;
      schedule_free (server, session);
      return;
    }
  g_hash_table_insert (server->sessions, session,
                       GINT_TO_POINTER (turn_away));
}

static gboolean on_acceptable (GSocket *socket, GIOCondition condition,
                               gpointer user_data);

static void
watch_listener (NaccsSimServer *server)
{
  server->accept_source = g_socket_create_source (server->listener, G_IO_IN,
                                                  NULL);
  g_source_set_callback (server->accept_source,
                         (GSourceFunc) (void (*) (void)) on_acceptable,
                         server, NULL);
  g_source_attach (server->accept_source, server->context);
}

static gboolean
retry_accept (gpointer user_data)
{
  NaccsSimServer *server = user_data;

  g_clear_pointer (&server->retry_source, g_source_unref);
  watch_listener (server);
  return G_SOURCE_REMOVE;
}

static gboolean
on_acceptable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  NaccsSimServer *server = user_data;

  (void) condition;
  for (guint i = 0; i < MAX_ACCEPTS_PER_WAKEUP; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) client = g_socket_accept (socket, NULL, &error);

      if (client != NULL)
        {
          start_session (server, client);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      g_warning ("event=accept-failed error=\"%s\" retry_ms=%d",
                 error->message, ACCEPT_RETRY_MS);
      g_clear_pointer (&server->accept_source, g_source_unref);
      server->retry_source = g_timeout_source_new (ACCEPT_RETRY_MS);
      g_source_set_callback (server->retry_source, retry_accept, server,
                             NULL);
      g_source_attach (server->retry_source, server->context);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static GSocket *
open_listener (GInetSocketAddress *address, GError **error)
{
  g_autoptr (GSocket) listener = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *text = g_socket_connectable_to_string (
                            G_SOCKET_CONNECTABLE (address));

  listener = g_socket_new (g_socket_address_get_family (
                             G_SOCKET_ADDRESS (address)),
                           G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                           &local_error);
  if (listener != NULL)
    {
      g_socket_set_blocking (listener, FALSE);
      g_socket_set_listen_backlog (listener, 511);
    }
  if (listener == NULL
      || !g_socket_bind (listener, G_SOCKET_ADDRESS (address), TRUE,
                         &local_error)
      || !g_socket_listen (listener, &local_error))
    {
      g_set_error (error, NACCS_SIM_SERVER_ERROR,
                   NACCS_SIM_SERVER_ERROR_BIND,
                   _("cannot listen on %s: %s; choose another --listen "
                     "address or port"), text, local_error->message);
      return NULL;
    }
  return g_steal_pointer (&listener);
}

NaccsSimServer *
naccs_sim_server_new (const NaccsSimConfig *config,
                      const NaccsSimHooks *hooks,
                      GError **error)
{
  g_autoptr (GInetSocketAddress) address = NULL;
  g_autoptr (NaccsSimSpool) spool = NULL;
  NaccsSimServer *server;
  GSocket *listener;

  if (!naccs_sim_config_validate (config, error)
      || !naccs_sim_parse_listen_address (config->listen, &address, error))
    return NULL;
  if (config->spool_dir != NULL)
    {
      spool = naccs_sim_spool_new (config->spool_dir, error);
      if (spool == NULL)
        return NULL;
    }
  listener = open_listener (address, error);
  if (listener == NULL)
    return NULL;

  server = g_new0 (NaccsSimServer, 1);
  server->context = g_main_context_ref_thread_default ();
  naccs_sim_config_copy (&server->config, config);
  if (hooks != NULL)
    server->hooks = *hooks;
  server->spool = g_steal_pointer (&spool);
  server->listener = listener;
  server->env = (NaccsSimSessionEnv) {
    server->context, &server->config, server->spool, &server->hooks, on_session_finished,
    server,
  };
  server->sessions = g_hash_table_new (NULL, NULL);
  server->finished = g_ptr_array_new_with_free_func (
                       (GDestroyNotify) naccs_sim_session_free);
  server->next_session_id = 1 + (server->spool != NULL
                                 ? naccs_sim_spool_get_last_session_id (
                                     server->spool)
                                 : 0);
  watch_listener (server);
  return server;
}

char *
naccs_sim_server_get_address (const NaccsSimServer *server)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (
                                       server->listener, NULL);
  GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (local);
  g_autofree char *host = g_inet_address_to_string (
                            g_inet_socket_address_get_address (inet));
  guint16 port = g_inet_socket_address_get_port (inet);

  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

guint16
naccs_sim_server_get_port (const NaccsSimServer *server)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (
                                       server->listener, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

guint
naccs_sim_server_get_session_count (const NaccsSimServer *server)
{
  return g_hash_table_size (server->sessions);
}

guint
naccs_sim_server_get_connection_count (const NaccsSimServer *server)
{
  return server->connections;
}

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

void
naccs_sim_server_stop (NaccsSimServer *server)
{
  g_autofree gpointer *open = NULL;
  guint n_open;

  if (server->stopped)
    return;
  server->stopped = TRUE;
  destroy_source (&server->accept_source);
  destroy_source (&server->retry_source);
  g_socket_close (server->listener, NULL);

  open = g_hash_table_get_keys_as_array (server->sessions, &n_open);
  for (guint i = 0; i < n_open; i++)
    naccs_sim_session_close (open[i], "server closed the connection: "
                                      "server stopping");
}

void
naccs_sim_server_free (NaccsSimServer *server)
{
  if (server == NULL)
    return;
  naccs_sim_server_stop (server);
  destroy_source (&server->reap_source);
  g_ptr_array_unref (server->finished);
  g_hash_table_unref (server->sessions);
  g_object_unref (server->listener);
  naccs_sim_spool_free (server->spool);
  naccs_sim_config_clear (&server->config);
  g_main_context_unref (server->context);
  g_free (server);
}
