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
 *
 * Each session holds a file descriptor, so the open-file limit
 * (RLIMIT_NOFILE) caps the sessions as well.  At start the server raises
 * its soft limit to what --max-connections needs, as far as the hard limit
 * allows (GLib polls with poll(), so descriptors past FD_SETSIZE are
 * fine), and warns when that is not enough.  When accept() still fails
 * for lack of descriptors, a connection would wait in the backlog with no
 * reply at all; the server therefore keeps one spare descriptor, closes
 * it, accepts the connection, sends 421 and closes it, and opens the spare
 * again.  A shutdown (naccs_sim_server_shut_down) sends 421 to the open
 * sessions, as RFC 5321 section 3.8 asks of a server that must stop.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "server.h"

/* Connections accepted per wake-up, so a flood of connects cannot starve
 * the sessions already open. */
#define MAX_ACCEPTS_PER_WAKEUP 64

/* After accept() fails and no spare descriptor is left to turn the
 * connection away with, wait this long before trying again rather than
 * spinning. */
#define ACCEPT_RETRY_MS 200

/* Descriptors the process needs besides one per session: stdin, stdout
 * and stderr, the listener, the spare, GLib's wake-up descriptors, the
 * spool directory, a transcript being appended, and connections past
 * --max-connections while they get their 421.
 * NOTE: an estimate with room to spare: naccs-sim had 9 open before its
 * first connection, without a spool (ls /proc/PID/fd). */
#define FD_MARGIN 32

/* At most one warning about the open-file limit per this many
 * microseconds while connections keep being turned away for it. */
#define FD_WARNING_INTERVAL_US (10 * G_USEC_PER_SEC)

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
  int spare_fd;             /* /dev/null, or -1 while in use */
  gint64 fd_warned_us;      /* last open-file limit warning, 0 for none */
  guint fd_turned_away;     /* connections turned away since then */
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

static gulong
open_file_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return 0;
  return limit.rlim_cur == RLIM_INFINITY ? G_MAXULONG
                                         : (gulong) limit.rlim_cur;
}

static void
open_spare (NaccsSimServer *server)
{
  if (server->spare_fd < 0)
    server->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Warns about connections turned away for lack of descriptors, at most
 * once per FD_WARNING_INTERVAL_US. */
static void
warn_turned_away (NaccsSimServer *server, const GError *error)
{
  gint64 now = g_get_monotonic_time ();

  server->fd_turned_away++;
  if (server->fd_warned_us != 0
      && now - server->fd_warned_us < FD_WARNING_INTERVAL_US)
    return;
  g_warning ("event=accept-failed error=\"%s\" open_file_limit=%lu "
             "sessions=%u turned_away=%u action=reply-421",
             error->message, open_file_limit (),
             g_hash_table_size (server->sessions), server->fd_turned_away);
  server->fd_warned_us = now;
  server->fd_turned_away = 0;
}

typedef enum {
  TURNED_AWAY,      /* a connection got its 421 */
  NOTHING_WAITING,  /* the backlog is empty: Linux checks for a free
                       descriptor before it looks at the backlog, so
                       accept() fails with EMFILE even then */
  NO_DESCRIPTOR,    /* no spare, or accept() failed all the same */
} TurnAwayResult;

/* Turns the connection that accept() had no descriptor for away with 421,
 * using the spare descriptor's slot. */
static TurnAwayResult
turn_away_without_descriptor (NaccsSimServer *server, const GError *error)
{
  g_autofree char *reply = NULL;
  int saved_errno;
  int fd;

  if (server->spare_fd < 0)
    return NO_DESCRIPTOR;
  close (server->spare_fd);
  server->spare_fd = -1;
  fd = accept4 (g_socket_get_fd (server->listener), NULL, NULL,
                SOCK_NONBLOCK | SOCK_CLOEXEC);
  saved_errno = errno;
  if (fd >= 0)
    {
      reply = g_strdup_printf ("421 %s too many open files; try again "
                               "later\r\n", server->config.greeting);
      /* Best effort: the send buffer of a new connection is empty. */
      if (send (fd, reply, strlen (reply), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        g_debug ("event=turn-away-send-failed error=\"%s\"",
                 g_strerror (errno));
      close (fd);
      warn_turned_away (server, error);
    }
  open_spare (server);
  if (fd >= 0)
    return TURNED_AWAY;
  if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)
    return NOTHING_WAITING;
  return NO_DESCRIPTOR;
}

/* Stops watching the listener for ACCEPT_RETRY_MS. */
static void
back_off_accepting (NaccsSimServer *server, const GError *error)
{
  g_warning ("event=accept-failed error=\"%s\" open_file_limit=%lu "
             "retry_ms=%d", error->message, open_file_limit (),
             ACCEPT_RETRY_MS);
  g_clear_pointer (&server->accept_source, g_source_unref);
  server->retry_source = g_timeout_source_new (ACCEPT_RETRY_MS);
  g_source_set_callback (server->retry_source, retry_accept, server, NULL);
  g_source_attach (server->retry_source, server->context);
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
      /* GIO maps both EMFILE and ENFILE to this code. */
      if (g_error_matches (error, G_IO_ERROR,
                           G_IO_ERROR_TOO_MANY_OPEN_FILES))
        {
          TurnAwayResult result = turn_away_without_descriptor (server,
                                                                error);

          if (result == TURNED_AWAY)
            continue;
          if (result == NOTHING_WAITING)
            break;
        }
      back_off_accepting (server, error);
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

/* Raises the soft open-file limit to what @config needs, up to the hard
 * limit, and warns when even that is too low.  Without a spool there are
 * no message files; with one, each session can hold one more descriptor
 * while its message is stored, up to NACCS_SIM_SPOOL_MAX_OPEN_FILES. */
static void
check_open_file_limit (const NaccsSimConfig *config)
{
  struct rlimit limit;
  rlim_t needed = (rlim_t) config->max_connections + FD_MARGIN;

  if (config->spool_dir != NULL)
    needed += MIN (config->max_connections, NACCS_SIM_SPOOL_MAX_OPEN_FILES);
  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed)
    return;

  if (limit.rlim_max > limit.rlim_cur)
    {
      rlim_t old_limit = limit.rlim_cur;

      limit.rlim_cur = MIN (needed, limit.rlim_max);
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        limit.rlim_cur = old_limit;
      else
        g_info ("event=open-file-limit-raised from=%lu to=%lu",
                (gulong) old_limit, (gulong) limit.rlim_cur);
    }
  if (limit.rlim_cur >= needed)
    return;
  g_warning (_("the open-file limit is %lu, below the %lu descriptors that "
               "--max-connections %u needs: connections past the limit "
               "get 421 or wait unanswered; raise the limit with "
               "\"ulimit -n %lu\" before starting naccs-sim, or lower "
               "--max-connections"),
             (gulong) limit.rlim_cur, (gulong) needed,
             config->max_connections, (gulong) needed);
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
  check_open_file_limit (config);

  server = g_new0 (NaccsSimServer, 1);
  server->context = g_main_context_ref_thread_default ();
  naccs_sim_config_copy (&server->config, config);
  if (hooks != NULL)
    server->hooks = *hooks;
  server->spool = g_steal_pointer (&spool);
  server->listener = listener;
  server->spare_fd = -1;
  open_spare (server);
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

static void
stop_accepting (NaccsSimServer *server)
{
  destroy_source (&server->accept_source);
  destroy_source (&server->retry_source);
  g_socket_close (server->listener, NULL);
}

static gboolean
wake_up (gpointer user_data)
{
  (void) user_data;
  return G_SOURCE_REMOVE;
}

/* Runs the server's main context until every session has closed or
 * @timeout_ms have passed. */
static void
wait_for_sessions (NaccsSimServer *server, guint timeout_ms)
{
  gint64 give_up = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  GSource *timer = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timer, wake_up, NULL, NULL);
  g_source_attach (timer, server->context);
  while (g_hash_table_size (server->sessions) > 0
         && g_get_monotonic_time () < give_up)
    g_main_context_iteration (server->context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
}

void
naccs_sim_server_shut_down (NaccsSimServer *server, guint timeout_ms)
{
  g_autofree gpointer *open = NULL;
  g_autofree char *text = NULL;
  guint n_open;

  if (server->stopped)
    return;
  stop_accepting (server);
  text = g_strdup_printf ("%s service shutting down",
                          server->config.greeting);
  open = g_hash_table_get_keys_as_array (server->sessions, &n_open);
  g_message ("event=shutdown sessions=%u timeout_ms=%u", n_open, timeout_ms);
  /* Sessions that close here stay allocated until the reap callback. */
  for (guint i = 0; i < n_open; i++)
    naccs_sim_session_shut_down (open[i], text);
  wait_for_sessions (server, timeout_ms);
  if (g_hash_table_size (server->sessions) > 0)
    g_message ("event=shutdown-timeout sessions=%u",
               g_hash_table_size (server->sessions));
  naccs_sim_server_stop (server);
}

void
naccs_sim_server_stop (NaccsSimServer *server)
{
  g_autofree gpointer *open = NULL;
  guint n_open;

  if (server->stopped)
    return;
  server->stopped = TRUE;
  stop_accepting (server);

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
  if (server->spare_fd >= 0)
    close (server->spare_fd);
  naccs_sim_spool_free (server->spool);
  naccs_sim_config_clear (&server->config);
  g_main_context_unref (server->context);
  g_free (server);
}
