/* test-session.c: the default center over real loopback sockets.
 *
 * The server runs in-process in its own thread and main context, on
 * 127.0.0.1 port 0; the tests talk raw SMTP to it with blocking sockets
 * and then read the events that the session handed to its end hook.  The
 * signal test runs the naccs-sim program itself (path in $NACCS_SIM).
 */
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <CUnit/Basic.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "server.h"

#define CENTER "NACCS@EDIFACT.PROD.NACCS6"

/* ---- the server under test ---- */

typedef struct {
  guint id;
  guint connection_index;
  GPtrArray *events;
} EndedSession;

typedef struct {
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  NaccsSimServer *server;
  GAsyncQueue *ended;          /* EndedSession* */
  guint16 port;
  char *spool_dir;
  NaccsSimRuleHook rule;       /* nullable */
  guint shutdown_bound_ms;     /* how long a shutdown waits for clients */
} TestServer;

static void
ended_session_free (EndedSession *ended)
{
  g_ptr_array_unref (ended->events);
  g_free (ended);
}

static void
on_session_end (gpointer user_data, guint session_id, guint connection_index,
                GPtrArray *events)
{
  TestServer *test = user_data;
  EndedSession *ended = g_new0 (EndedSession, 1);

  ended->id = session_id;
  ended->connection_index = connection_index;
  ended->events = events;
  g_async_queue_push (test->ended, ended);
}

static NaccsSimAction *
call_rule (gpointer user_data, guint connection_index,
           NaccsSimTrigger trigger, const char *verb, const char *argument,
           guint occurrence)
{
  TestServer *test = user_data;

  if (test->rule == NULL)
    return NULL;
  return test->rule (NULL, connection_index, trigger, verb, argument,
                     occurrence);
}

static gpointer
run_loop (gpointer user_data)
{
  TestServer *test = user_data;

  g_main_context_push_thread_default (test->context);
  g_main_loop_run (test->loop);
  g_main_context_pop_thread_default (test->context);
  return NULL;
}

/* Starts a server with @config (listen address and hooks are set here). */
static TestServer *
test_server_start_at (NaccsSimConfig *config, const char *listen,
                      NaccsSimRuleHook rule)
{
  TestServer *test = g_new0 (TestServer, 1);
  NaccsSimHooks hooks = { call_rule, NULL, on_session_end, test };
  g_autoptr (GError) error = NULL;

  test->rule = rule;
  test->shutdown_bound_ms = 5000;
  test->ended = g_async_queue_new_full ((GDestroyNotify) ended_session_free);
  test->context = g_main_context_new ();
  test->loop = g_main_loop_new (test->context, FALSE);
  g_free (config->listen);
  config->listen = g_strdup (listen);
  config->keep_bodies = TRUE;

  g_main_context_push_thread_default (test->context);
  test->server = naccs_sim_server_new (config, &hooks, &error);
  g_main_context_pop_thread_default (test->context);
  if (test->server == NULL)
    {
      g_printerr ("server did not start: %s\n", error->message);
      g_async_queue_unref (test->ended);
      g_main_loop_unref (test->loop);
      g_main_context_unref (test->context);
      g_free (test);
      return NULL;
    }
  test->port = naccs_sim_server_get_port (test->server);
  test->spool_dir = g_strdup (config->spool_dir);
  test->thread = g_thread_new ("server", run_loop, test);
  return test;
}

static TestServer *
test_server_start (NaccsSimConfig *config)
{
  return test_server_start_at (config, "127.0.0.1:0", NULL);
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_server_stop (TestServer *test)
{
  GSource *quit = g_idle_source_new ();

  g_source_set_callback (quit, quit_loop, test->loop, NULL);
  g_source_attach (quit, test->context);
  g_source_unref (quit);
  g_thread_join (test->thread);

  g_main_context_push_thread_default (test->context);
  naccs_sim_server_free (test->server);
  while (g_main_context_iteration (test->context, FALSE))
    ;
  g_main_context_pop_thread_default (test->context);

  g_async_queue_unref (test->ended);
  g_main_loop_unref (test->loop);
  g_main_context_unref (test->context);
  g_free (test->spool_dir);
  g_free (test);
}

/* Waits for the next session to end and returns it. */
static EndedSession *
wait_session_end (TestServer *test)
{
  return g_async_queue_timeout_pop (test->ended, 5 * G_USEC_PER_SEC);
}

static void
default_config (NaccsSimConfig *config)
{
  naccs_sim_config_init (config);
}

/* ---- a raw SMTP client ---- */

typedef struct {
  GSocket *socket;
  GString *input;
} Client;

static Client *
client_connect_to (const char *host, guint16 port)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (host);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (inet, port);
  g_autoptr (GError) error = NULL;
  Client *client = g_new0 (Client, 1);

  client->socket = g_socket_new (g_inet_address_get_family (inet),
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 &error);
  g_socket_set_timeout (client->socket, 5);
  if (!g_socket_connect (client->socket, address, NULL, &error))
    g_printerr ("connect failed: %s\n", error->message);
  client->input = g_string_new (NULL);
  return client;
}

static Client *
client_connect (TestServer *test)
{
  return client_connect_to ("127.0.0.1", test->port);
}

static void
client_free (Client *client)
{
  g_socket_close (client->socket, NULL);
  g_object_unref (client->socket);
  g_string_free (client->input, TRUE);
  g_free (client);
}

static void
client_send (Client *client, const char *text)
{
  gsize len = strlen (text);
  gsize sent = 0;

  while (sent < len)
    {
      gssize n = g_socket_send (client->socket, text + sent, len - sent, NULL,
                                NULL);
      if (n <= 0)
        return;
      sent += (gsize) n;
    }
}

/* Reads more input; returns FALSE at EOF, error or timeout. */
static gboolean
client_fill (Client *client)
{
  char buf[4096];
  gssize n = g_socket_receive (client->socket, buf, sizeof buf, NULL, NULL);

  if (n <= 0)
    return FALSE;
  g_string_append_len (client->input, buf, n);
  return TRUE;
}

/* Reads one whole reply and returns its code, 0 at EOF or timeout. */
static guint
client_reply_text (Client *client, char **text)
{
  for (;;)
    {
      char *line_end = strstr (client->input->str, "\r\n");

      while (line_end != NULL)
        {
          gsize line_len = (gsize) (line_end - client->input->str) + 2;

          if (line_len >= 4 && client->input->str[3] == ' ')
            {
              guint code = (guint) g_ascii_strtoull (client->input->str,
                                                     NULL, 10);
              if (text != NULL)
                *text = g_strndup (client->input->str, line_len - 2);
              g_string_erase (client->input, 0, (gssize) line_len);
              return code;
            }
          g_string_erase (client->input, 0, (gssize) line_len);
          line_end = strstr (client->input->str, "\r\n");
        }
      if (!client_fill (client))
        return 0;
    }
}

static guint
client_reply (Client *client)
{
  return client_reply_text (client, NULL);
}

static guint
client_command (Client *client, const char *line)
{
  g_autofree char *with_crlf = g_strconcat (line, "\r\n", NULL);

  client_send (client, with_crlf);
  return client_reply (client);
}

/* Returns TRUE when the server has closed the connection. */
static gboolean
client_sees_close (Client *client)
{
  while (client_fill (client))
    ;
  return TRUE;
}

static void
client_open_transaction (Client *client)
{
  CU_ASSERT_EQUAL (client_command (client, "MAIL FROM:<user@example.jp>"),
                   250);
  CU_ASSERT_EQUAL (client_command (client, "RCPT TO:<" CENTER ">"), 250);
  CU_ASSERT_EQUAL (client_command (client, "DATA"), 354);
}

/* ---- event helpers ---- */

static const NaccsSimEvent *
find_event (const GPtrArray *events, NaccsSimEventKind kind, guint nth)
{
  for (guint i = 0; i < events->len; i++)
    {
      const NaccsSimEvent *event = events->pdata[i];

      if (event->kind == kind && nth-- == 0)
        return event;
    }
  return NULL;
}

static guint
count_events (const GPtrArray *events, NaccsSimEventKind kind)
{
  guint count = 0;

  for (guint i = 0; i < events->len; i++)
    if (((const NaccsSimEvent *) events->pdata[i])->kind == kind)
      count++;
  return count;
}

static char *
make_spool_dir (void)
{
  return g_dir_make_tmp ("test-session-XXXXXX", NULL);
}

static void
remove_spool_dir (const char *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

/* ---- tests ---- */

/* Proves the figure 4-3-10 sequence with two messages and its events. */
static void
test_two_messages_sequence (void)
{
  NaccsSimConfig config;
  g_autofree char *spool = make_spool_dir ();
  TestServer *test;
  Client *client;
  EndedSession *ended;
  g_autofree char *greeting = NULL;
  g_autofree char *helo = NULL;
  const NaccsSimEvent *message;

  default_config (&config);
  config.spool_dir = g_strdup (spool);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);

  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply_text (client, &greeting), 220);
  CU_ASSERT_STRING_EQUAL (greeting, "220 EDIFACT.PROD.NACCS6");
  client_send (client, "HELO user.example.jp\r\n");
  CU_ASSERT_EQUAL (client_reply_text (client, &helo), 250);
  CU_ASSERT_STRING_EQUAL (helo, "250 EDIFACT.PROD.NACCS6");
  client_open_transaction (client);
  client_send (client, "first\r\n..dot line\r\n.\r\n");
  CU_ASSERT_EQUAL (client_reply (client), 250);
  client_open_transaction (client);
  client_send (client, "second\r\n.\r\n");
  CU_ASSERT_EQUAL (client_reply (client), 250);
  CU_ASSERT_EQUAL (client_command (client, "QUIT"), 221);
  CU_ASSERT_TRUE (client_sees_close (client));
  client_free (client);

  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
  CU_ASSERT_EQUAL (ended->connection_index, 0);
  CU_ASSERT_EQUAL (count_events (ended->events, NACCS_SIM_EVENT_MESSAGE), 2);
  CU_ASSERT_EQUAL (count_events (ended->events, NACCS_SIM_EVENT_LINE_IN), 8);
  CU_ASSERT_EQUAL (count_events (ended->events, NACCS_SIM_EVENT_REPLY), 11);
  CU_ASSERT_EQUAL (((NaccsSimEvent *) ended->events->pdata[0])->kind,
                   NACCS_SIM_EVENT_CONNECT);
  CU_ASSERT_EQUAL (((NaccsSimEvent *) g_ptr_array_index (
                      ended->events, ended->events->len - 1))->kind,
                   NACCS_SIM_EVENT_SERVER_CLOSED);

  message = find_event (ended->events, NACCS_SIM_EVENT_MESSAGE, 0);
  CU_ASSERT_EQUAL (message->message_seq, 1);
  CU_ASSERT_EQUAL (message->line_count, 2);
  CU_ASSERT_EQUAL (message->dot_lines, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (message->body);
  CU_ASSERT_EQUAL (g_bytes_get_size (message->body), 18);
  CU_ASSERT_EQUAL (memcmp (g_bytes_get_data (message->body, NULL),
                           "first\r\n.dot line\r\n", 18), 0);
  CU_ASSERT_PTR_NOT_NULL (message->spool_path);

  ended_session_free (ended);
  test_server_stop (test);
  remove_spool_dir (spool);
}

typedef struct {
  const char *name;
  const char *const *commands;  /* sent in order; the last one is judged */
  guint want;
} ErrorCase;

static const char *const mail_before_helo[] = { "MAIL FROM:<a@b>", NULL };
static const char *const data_before_rcpt[] = {
  "HELO x", "MAIL FROM:<a@b>", "DATA", NULL };
static const char *const rcpt_before_mail[] = {
  "HELO x", "RCPT TO:<" CENTER ">", NULL };
static const char *const nested_mail[] = {
  "HELO x", "MAIL FROM:<a@b>", "MAIL FROM:<a@b>", NULL };
static const char *const unknown_verb[] = { "HELO x", "XYZZY", NULL };
static const char *const empty_line[] = { "", NULL };
static const char *const vrfy[] = { "HELO x", "VRFY someone", NULL };
static const char *const mail_without_brackets[] = {
  "HELO x", "MAIL FROM: a@b", NULL };
static const char *const mail_params[] = {
  "HELO x", "MAIL FROM:<a@b> SIZE=100", NULL };
static const char *const helo_without_domain[] = { "HELO", NULL };
static const char *const rcpt_empty[] = {
  "HELO x", "MAIL FROM:<a@b>", "RCPT TO:<>", NULL };
static const char *const data_with_argument[] = {
  "HELO x", "MAIL FROM:<a@b>", "RCPT TO:<" CENTER ">", "DATA now", NULL };
static const char *const wrong_recipient[] = {
  "HELO x", "MAIL FROM:<a@b>", "RCPT TO:<someone@example.jp>", NULL };
static const char *const recipient_lower_case[] = {
  "HELO x", "MAIL FROM:<a@b>", "RCPT TO:<naccs@edifact.prod.naccs6>", NULL };
static const char *const ehlo[] = { "EHLO x", NULL };
static const char *const lower_case_verbs[] = {
  "helo x", "mail from:<a@b>", NULL };
static const char *const space_after_colon[] = {
  "HELO x", "MAIL FROM: <a@b>", NULL };
static const char *const null_sender[] = { "HELO x", "MAIL FROM:<>", NULL };
static const char *const noop_any_time[] = { "NOOP", NULL };

static const ErrorCase error_cases[] = {
  { "MAIL before HELO", mail_before_helo, 503 },
  { "DATA before RCPT", data_before_rcpt, 503 },
  { "RCPT before MAIL", rcpt_before_mail, 503 },
  { "nested MAIL", nested_mail, 503 },
  { "unknown verb", unknown_verb, 500 },
  { "empty line", empty_line, 500 },
  { "VRFY not offered", vrfy, 500 },
  { "MAIL without brackets", mail_without_brackets, 501 },
  { "MAIL with parameters", mail_params, 501 },
  { "HELO without domain", helo_without_domain, 501 },
  { "RCPT empty path", rcpt_empty, 501 },
  { "DATA with argument", data_with_argument, 501 },
  { "wrong recipient", wrong_recipient, 550 },
  { "recipient in lower case", recipient_lower_case, 250 },
  { "EHLO not implemented", ehlo, 502 },
  { "lower-case verbs", lower_case_verbs, 250 },
  { "space after colon", space_after_colon, 250 },
  { "null reverse path", null_sender, 250 },
  { "NOOP before HELO", noop_any_time, 250 },
};

/* Proves the 5xx replies for commands out of sequence or malformed. */
static void
test_error_replies (void)
{
  NaccsSimConfig config;
  TestServer *test;

  default_config (&config);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);

  for (gsize i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      Client *client = client_connect (test);
      guint got = 0;

      CU_ASSERT_EQUAL (client_reply (client), 220);
      for (guint j = 0; error_cases[i].commands[j] != NULL; j++)
        got = client_command (client, error_cases[i].commands[j]);
      if (got != error_cases[i].want)
        g_printerr ("case \"%s\": got %u, want %u\n", error_cases[i].name,
                    got, error_cases[i].want);
      CU_ASSERT_EQUAL (got, error_cases[i].want);
      /* The session goes on after every one of these. */
      CU_ASSERT_EQUAL (client_command (client, "NOOP"), 250);
      client_free (client);
      ended_session_free (wait_session_end (test));
    }
  test_server_stop (test);
}

/* Proves RSET goes back to the state right after HELO. */
static void
test_rset_returns_after_helo (void)
{
  NaccsSimConfig config;
  TestServer *test;
  Client *client;

  default_config (&config);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "RSET"), 250);
  CU_ASSERT_EQUAL (client_command (client, "MAIL FROM:<a@b>"), 503);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);
  CU_ASSERT_EQUAL (client_command (client, "MAIL FROM:<a@b>"), 250);
  CU_ASSERT_EQUAL (client_command (client, "RCPT TO:<" CENTER ">"), 250);
  CU_ASSERT_EQUAL (client_command (client, "RSET"), 250);
  CU_ASSERT_EQUAL (client_command (client, "RCPT TO:<" CENTER ">"), 503);
  CU_ASSERT_EQUAL (client_command (client, "DATA"), 503);
  CU_ASSERT_EQUAL (client_command (client, "MAIL FROM:<a@b>"), 250);
  CU_ASSERT_EQUAL (client_command (client, "NOOP"), 250);
  CU_ASSERT_EQUAL (client_command (client, "RCPT TO:<" CENTER ">"), 250);
  CU_ASSERT_EQUAL (client_command (client, "RSET extra"), 501);
  CU_ASSERT_EQUAL (client_command (client, "QUIT"), 221);
  client_free (client);
  ended_session_free (wait_session_end (test));
  test_server_stop (test);
}

/* Proves a command line over the limit gets 500 and the session goes on. */
static void
test_command_line_too_long (void)
{
  NaccsSimConfig config;
  TestServer *test;
  Client *client;
  GString *line = g_string_new ("NOOP ");
  EndedSession *ended;
  const NaccsSimEvent *limit;

  default_config (&config);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);

  /* 999 octets with CRLF is within the limit, 5000 is not. */
  while (line->len < 997)
    g_string_append_c (line, 'x');
  CU_ASSERT_EQUAL (client_command (client, line->str), 250);
  while (line->len < 5000)
    g_string_append_c (line, 'x');
  CU_ASSERT_EQUAL (client_command (client, line->str), 500);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);
  CU_ASSERT_EQUAL (client_command (client, "QUIT"), 221);
  client_free (client);

  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
  limit = find_event (ended->events, NACCS_SIM_EVENT_LIMIT, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (limit);
  CU_ASSERT_PTR_NOT_NULL (strstr (limit->text, "5002 octets"));
  ended_session_free (ended);
  g_string_free (line, TRUE);
  test_server_stop (test);
}

/* Proves an oversized message and a long DATA line are refused and not
 * spooled, while the next message is accepted. */
static void
test_message_limits (void)
{
  NaccsSimConfig config;
  g_autofree char *spool = make_spool_dir ();
  g_autofree char *accepted = NULL;
  g_autofree char *refused = NULL;
  TestServer *test;
  Client *client;
  GString *body = g_string_new (NULL);

  default_config (&config);
  config.spool_dir = g_strdup (spool);
  config.max_message_size = 100;
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);

  for (int i = 0; i < 20; i++)
    g_string_append (body, "0123456789\r\n");
  g_string_append (body, ".\r\n");
  client_open_transaction (client);
  client_send (client, body->str);
  CU_ASSERT_EQUAL (client_reply (client), 552);

  g_string_truncate (body, 0);
  for (int i = 0; i < 1200; i++)
    g_string_append_c (body, 'y');
  g_string_append (body, "\r\n.\r\n");
  client_open_transaction (client);
  client_send (client, body->str);
  CU_ASSERT_EQUAL (client_reply (client), 552);

  client_open_transaction (client);
  client_send (client, "small\r\n.\r\n");
  CU_ASSERT_EQUAL (client_reply (client), 250);
  CU_ASSERT_EQUAL (client_command (client, "QUIT"), 221);
  client_free (client);
  ended_session_free (wait_session_end (test));

  accepted = g_build_filename (spool, "s000001-m0003.msg", NULL);
  refused = g_build_filename (spool, "s000001-m0001.msg", NULL);
  CU_ASSERT_TRUE (g_file_test (accepted, G_FILE_TEST_EXISTS));
  CU_ASSERT_FALSE (g_file_test (refused, G_FILE_TEST_EXISTS));
  g_string_free (body, TRUE);
  test_server_stop (test);
  remove_spool_dir (spool);
}

/* Proves a DATA line over the line limit gets 500 after the final ".". */
static void
test_data_line_too_long (void)
{
  NaccsSimConfig config;
  TestServer *test;
  Client *client;
  GString *body = g_string_new (NULL);
  EndedSession *ended;
  const NaccsSimEvent *message;

  default_config (&config);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);
  client_open_transaction (client);
  g_string_append (body, "ok\r\n");
  for (int i = 0; i < 1001; i++)
    g_string_append_c (body, 'z');
  g_string_append (body, "\r\n.\r\n");
  client_send (client, body->str);
  CU_ASSERT_EQUAL (client_reply (client), 500);
  CU_ASSERT_EQUAL (client_command (client, "MAIL FROM:<a@b>"), 250);
  client_free (client);

  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
  message = find_event (ended->events, NACCS_SIM_EVENT_MESSAGE, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (message);
  CU_ASSERT_EQUAL (message->first_long_line, 2);
  CU_ASSERT_EQUAL (message->max_line_octets, 1003);
  CU_ASSERT_PTR_NULL (message->spool_path);
  CU_ASSERT_EQUAL (count_events (ended->events, NACCS_SIM_EVENT_CLIENT_CLOSED),
                   1);
  ended_session_free (ended);
  g_string_free (body, TRUE);
  test_server_stop (test);
}

/* Proves the idle timeout sends 421 and closes. */
static void
test_idle_timeout (void)
{
  NaccsSimConfig config;
  TestServer *test;
  Client *client;
  EndedSession *ended;
  const NaccsSimEvent *idle;
  gint64 start;

  default_config (&config);
  config.idle_timeout_ms = 1000;
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);
  start = g_get_monotonic_time ();
  CU_ASSERT_EQUAL (client_reply (client), 421);
  CU_ASSERT_TRUE (g_get_monotonic_time () - start >= 900 * 1000);
  CU_ASSERT_TRUE (client_sees_close (client));
  client_free (client);

  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
  idle = find_event (ended->events, NACCS_SIM_EVENT_IDLE_TIMEOUT, 0);
  CU_ASSERT_PTR_NOT_NULL (idle);
  ended_session_free (ended);
  test_server_stop (test);
}

/* Proves a partial command line times out with the command timeout. */
static void
test_command_timeout (void)
{
  NaccsSimConfig config;
  TestServer *test;
  Client *client;

  default_config (&config);
  config.command_timeout_ms = 500;
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  client_send (client, "HELO x");
  CU_ASSERT_EQUAL (client_reply (client), 421);
  client_free (client);
  ended_session_free (wait_session_end (test));
  test_server_stop (test);
}

/* Proves connections past --max-connections get 421 and a close. */
static void
test_max_connections (void)
{
  NaccsSimConfig config;
  TestServer *test;
  Client *first;
  Client *second;
  Client *third;
  EndedSession *ended;

  default_config (&config);
  config.max_connections = 1;
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  first = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (first), 220);
  second = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (second), 421);
  CU_ASSERT_TRUE (client_sees_close (second));
  client_free (second);
  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
  CU_ASSERT_EQUAL (ended->connection_index, 1);
  CU_ASSERT_PTR_NOT_NULL (find_event (ended->events, NACCS_SIM_EVENT_LIMIT,
                                      0));
  ended_session_free (ended);

  CU_ASSERT_EQUAL (client_command (first, "QUIT"), 221);
  client_free (first);
  ended_session_free (wait_session_end (test));
  third = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (third), 220);
  client_free (third);
  ended_session_free (wait_session_end (test));
  test_server_stop (test);
}

/* Proves a command sent before the previous reply is marked early. */
static void
test_early_input (void)
{
  NaccsSimConfig config;
  TestServer *test;
  Client *client;
  EndedSession *ended;
  const NaccsSimEvent *first;
  const NaccsSimEvent *second;
  const NaccsSimEvent *third;

  default_config (&config);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  client_send (client, "HELO x\r\nNOOP\r\n");
  CU_ASSERT_EQUAL (client_reply (client), 250);
  CU_ASSERT_EQUAL (client_reply (client), 250);
  CU_ASSERT_EQUAL (client_command (client, "QUIT"), 221);
  client_free (client);

  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
  first = find_event (ended->events, NACCS_SIM_EVENT_LINE_IN, 0);
  second = find_event (ended->events, NACCS_SIM_EVENT_LINE_IN, 1);
  third = find_event (ended->events, NACCS_SIM_EVENT_LINE_IN, 2);
  CU_ASSERT_PTR_NOT_NULL_FATAL (third);
  CU_ASSERT_STRING_EQUAL (first->text, "HELO x");
  CU_ASSERT_FALSE (first->early);
  CU_ASSERT_STRING_EQUAL (second->text, "NOOP");
  CU_ASSERT_TRUE (second->early);
  CU_ASSERT_FALSE (third->early);
  ended_session_free (ended);
  test_server_stop (test);
}

static char *
read_spool_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, NULL);
  return contents;
}

/* Proves the spool file contains the decoded message and the transcript
 * every line in and out with its time. */
static void
test_spool_and_transcript (void)
{
  NaccsSimConfig config;
  g_autofree char *spool = make_spool_dir ();
  g_autofree char *message = NULL;
  g_autofree char *transcript = NULL;
  TestServer *test;
  Client *client;

  default_config (&config);
  config.spool_dir = g_strdup (spool);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);
  client_open_transaction (client);
  client_send (client, ".leading\r\nbare\nLF\r\n.\r\n");
  CU_ASSERT_EQUAL (client_reply (client), 250);
  CU_ASSERT_EQUAL (client_command (client, "QUIT"), 221);
  client_free (client);
  ended_session_free (wait_session_end (test));

  message = read_spool_file (spool, "s000001-m0001.msg");
  CU_ASSERT_PTR_NOT_NULL_FATAL (message);
  CU_ASSERT_STRING_EQUAL (message, "leading\r\nbare\nLF\r\n");
  transcript = read_spool_file (spool, "s000001.transcript");
  CU_ASSERT_PTR_NOT_NULL_FATAL (transcript);
  CU_ASSERT_PTR_NOT_NULL (strstr (transcript, " C: MAIL FROM:<user@example.jp>\n"));
  CU_ASSERT_PTR_NOT_NULL (strstr (transcript, " S: 354 "));
  CU_ASSERT_PTR_NOT_NULL (strstr (transcript, " S: 221 closing connection\n"));
  CU_ASSERT_PTR_NOT_NULL (strstr (transcript, "   0.0"));
  CU_ASSERT_PTR_NOT_NULL (strstr (transcript, "message 1 spooled to"));
  test_server_stop (test);
  remove_spool_dir (spool);
}

/* Scripted actions for test_scripted_replies. */
static NaccsSimAction *
scripted_rule (gpointer user_data, guint connection_index,
               NaccsSimTrigger trigger, const char *verb,
               const char *argument, guint occurrence)
{
  NaccsSimAction *action;

  (void) user_data;
  (void) connection_index;
  (void) argument;
  action = naccs_sim_action_new ();
  if (trigger == NACCS_SIM_TRIGGER_CONNECT)
    {
      action->has_reply = TRUE;
      action->code = 220;
      g_ptr_array_add (action->lines, g_strdup ("first"));
      g_ptr_array_add (action->lines, g_strdup ("second"));
      action->dribble_bytes = 3;
      action->dribble_interval_ms = 5;
      return action;
    }
  if (trigger == NACCS_SIM_TRIGGER_COMMAND
      && g_ascii_strcasecmp (verb, "NOOP") == 0 && occurrence == 1)
    {
      action->stall_ms = 300;
      return action;
    }
  if (trigger == NACCS_SIM_TRIGGER_COMMAND
      && g_ascii_strcasecmp (verb, "NOOP") == 0 && occurrence == 2)
    {
      action->raw = g_strdup ("299 raw\r\n");
      action->split_at = 2;
      action->split_interval_ms = 50;
      return action;
    }
  if (trigger == NACCS_SIM_TRIGGER_COMMAND
      && g_ascii_strcasecmp (verb, "MAIL") == 0)
    {
      action->has_reply = TRUE;
      action->code = 451;
      g_ptr_array_add (action->lines, g_strdup ("try later"));
      return action;
    }
  if (trigger == NACCS_SIM_TRIGGER_COMMAND
      && g_ascii_strcasecmp (verb, "RSET") == 0)
    {
      action->no_reply = TRUE;
      action->after = NACCS_SIM_AFTER_CLOSE;
      return action;
    }
  naccs_sim_action_free (action);
  return NULL;
}

/* Proves the reply writer carries out dribble, stall, split, raw, a
 * scripted code that blocks the state change, and no reply with close. */
static void
test_scripted_replies (void)
{
  NaccsSimConfig config;
  TestServer *test;
  Client *client;
  EndedSession *ended;
  g_autofree char *raw = NULL;
  const NaccsSimEvent *greeting;
  gint64 start;

  default_config (&config);
  test = test_server_start_at (&config, "127.0.0.1:0", scripted_rule);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);

  start = g_get_monotonic_time ();
  CU_ASSERT_EQUAL (client_command (client, "NOOP"), 250);
  CU_ASSERT_TRUE (g_get_monotonic_time () - start >= 250 * 1000);
  client_send (client, "NOOP\r\n");
  CU_ASSERT_EQUAL (client_reply_text (client, &raw), 299);
  CU_ASSERT_STRING_EQUAL (raw, "299 raw");

  CU_ASSERT_EQUAL (client_command (client, "MAIL FROM:<a@b>"), 451);
  /* 451 kept the session in the state after HELO. */
  CU_ASSERT_EQUAL (client_command (client, "RCPT TO:<" CENTER ">"), 503);
  client_send (client, "RSET\r\n");
  CU_ASSERT_EQUAL (client_reply (client), 0);
  client_free (client);

  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
  greeting = find_event (ended->events, NACCS_SIM_EVENT_REPLY, 0);
  CU_ASSERT_STRING_EQUAL (greeting->text, "220-first\n220 second");
  CU_ASSERT_EQUAL (greeting->reply_code, 220);
  CU_ASSERT_EQUAL (count_events (ended->events, NACCS_SIM_EVENT_ACTION), 6);
  CU_ASSERT_STRING_EQUAL (find_event (ended->events, NACCS_SIM_EVENT_ACTION,
                                      1)->text, "stall 300 ms");
  CU_ASSERT_STRING_EQUAL (find_event (ended->events, NACCS_SIM_EVENT_ACTION,
                                      5)->text, "close after reply");
  ended_session_free (ended);
  test_server_stop (test);
}

static NaccsSimAction *
silence_rule (gpointer user_data, guint connection_index,
              NaccsSimTrigger trigger, const char *verb,
              const char *argument, guint occurrence)
{
  NaccsSimAction *action;

  (void) user_data;
  (void) connection_index;
  (void) argument;
  (void) occurrence;
  if (trigger != NACCS_SIM_TRIGGER_COMMAND
      || g_ascii_strcasecmp (verb, "HELO") != 0)
    return NULL;
  action = naccs_sim_action_new ();
  action->after = NACCS_SIM_AFTER_SILENCE;
  return action;
}

/* Proves a silenced session records input but never replies again. */
static void
test_silence_after_reply (void)
{
  NaccsSimConfig config;
  TestServer *test;
  Client *client;
  EndedSession *ended;
  const NaccsSimEvent *last;

  default_config (&config);
  test = test_server_start_at (&config, "127.0.0.1:0", silence_rule);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);
  client_send (client, "NOOP\r\n");
  g_usleep (200 * 1000);
  client_free (client);

  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
  CU_ASSERT_EQUAL (count_events (ended->events, NACCS_SIM_EVENT_REPLY), 2);
  last = find_event (ended->events, NACCS_SIM_EVENT_LINE_IN, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (last);
  CU_ASSERT_STRING_EQUAL (last->text, "NOOP");
  ended_session_free (ended);
  test_server_stop (test);
}

static NaccsSimAction *
stall_greeting_rule (gpointer user_data, guint connection_index,
                     NaccsSimTrigger trigger, const char *verb,
                     const char *argument, guint occurrence)
{
  NaccsSimAction *action;

  (void) user_data;
  (void) connection_index;
  (void) verb;
  (void) argument;
  (void) occurrence;
  if (trigger != NACCS_SIM_TRIGGER_CONNECT)
    return NULL;
  action = naccs_sim_action_new ();
  action->stall_ms = 300;
  return action;
}

/* Proves input sent during a stall, more than the buffer takes, is
 * answered in order and marked early. */
static void
test_input_during_stall (void)
{
  NaccsSimConfig config;
  TestServer *test;
  Client *client;
  GString *burst = g_string_new ("HELO x\r\n");
  EndedSession *ended;
  guint replies_250 = 0;
  const NaccsSimEvent *first;

  default_config (&config);
  test = test_server_start_at (&config, "127.0.0.1:0", stall_greeting_rule);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  for (int i = 0; i < 400; i++)
    g_string_append (burst, "NOOP\r\n");
  client_send (client, burst->str);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  for (int i = 0; i < 401; i++)
    replies_250 += client_reply (client) == 250;
  CU_ASSERT_EQUAL (replies_250, 401);
  CU_ASSERT_EQUAL (client_command (client, "QUIT"), 221);
  client_free (client);

  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
  CU_ASSERT_EQUAL (count_events (ended->events, NACCS_SIM_EVENT_LINE_IN), 402);
  first = find_event (ended->events, NACCS_SIM_EVENT_LINE_IN, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (first);
  CU_ASSERT_TRUE (first->early);
  ended_session_free (ended);
  g_string_free (burst, TRUE);
  test_server_stop (test);
}

/* Proves the server works on ::1 when the host has IPv6. */
static void
test_ipv6_loopback (void)
{
  NaccsSimConfig config;
  TestServer *test;
  Client *client;

  default_config (&config);
  test = test_server_start_at (&config, "[::1]:0", NULL);
  naccs_sim_config_clear (&config);
  if (test == NULL)
    {
      g_printerr ("SKIP ipv6: cannot listen on [::1]\n");
      return;
    }
  client = client_connect_to ("::1", test->port);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "QUIT"), 221);
  client_free (client);
  ended_session_free (wait_session_end (test));
  test_server_stop (test);
}

/* Reads "listening on 127.0.0.1:PORT" from the program's stdout. */
static guint16
read_listening_port (GSubprocess *process)
{
  g_autoptr (GDataInputStream) lines = g_data_input_stream_new (
                                         g_subprocess_get_stdout_pipe (process));
  g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL,
                                                         NULL);
  const char *colon;

  if (line == NULL || !g_str_has_prefix (line, "listening on 127.0.0.1:"))
    return 0;
  colon = strrchr (line, ':');
  return (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
}

/* Proves SIGTERM makes naccs-sim exit 0 with only complete files left. */
static void
test_sigterm_leaves_complete_files (void)
{
  const char *program = g_getenv ("NACCS_SIM");
  g_autofree char *spool = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) listing = NULL;
  Client *client;
  guint16 port;
  const char *name;
  guint files = 0;

  if (program == NULL)
    {
      g_printerr ("SKIP sigterm: NACCS_SIM is not set\n");
      return;
    }
  spool = make_spool_dir ();
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, program,
                              "--listen", "127.0.0.1:0", "--spool", spool,
                              NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (process);
  port = read_listening_port (process);
  CU_ASSERT_NOT_EQUAL_FATAL (port, 0);

  client = client_connect_to ("127.0.0.1", port);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);
  client_open_transaction (client);
  client_send (client, "complete\r\n.\r\n");
  CU_ASSERT_EQUAL (client_reply (client), 250);
  client_open_transaction (client);
  client_send (client, "half of a message\r\nand no end");
  g_usleep (100 * 1000);

  g_subprocess_send_signal (process, SIGTERM);
  /* RFC 5321 section 3.8: a server shutting down sends 421. */
  CU_ASSERT_EQUAL (client_reply (client), 421);
  CU_ASSERT_TRUE (g_subprocess_wait (process, NULL, NULL));
  CU_ASSERT_TRUE (g_subprocess_get_if_exited (process));
  CU_ASSERT_EQUAL (g_subprocess_get_exit_status (process), 0);
  client_free (client);

  listing = g_dir_open (spool, 0, NULL);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      gboolean expected = strcmp (name, "s000001-m0001.msg") == 0
                          || strcmp (name, "s000001.transcript") == 0;

      if (!expected)
        g_printerr ("unexpected file left in the spool: %s\n", name);
      CU_ASSERT_TRUE (expected);
      files++;
    }
  CU_ASSERT_EQUAL (files, 2);
  remove_spool_dir (spool);
}

/* ---- spool commits ---- */

/* Returns how many names in @dir start with @prefix. */
static guint
count_spool_files (const char *dir, const char *prefix)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;
  guint count = 0;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_prefix (name, prefix))
      count++;
  return count;
}

/* Proves a message the spool cannot store gets 451 and no file, and the
 * session goes on to store the next message. */
static void
test_spool_failure_gets_451 (void)
{
  NaccsSimConfig config;
  g_autofree char *spool = make_spool_dir ();
  g_autofree char *blocker = g_build_filename (spool,
                                               ".s000001-m0001.msg.tmp",
                                               NULL);
  g_autofree char *second = NULL;
  EndedSession *ended;
  const NaccsSimEvent *first_message;
  const NaccsSimEvent *second_message;
  TestServer *test;
  Client *client;

  default_config (&config);
  config.spool_dir = g_strdup (spool);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  /* A directory where the temporary file must go makes its open fail.  It
   * comes after the start, whose scan would skip session id 1 for it. */
  CU_ASSERT_EQUAL_FATAL (g_mkdir (blocker, 0700), 0);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);
  client_open_transaction (client);
  CU_ASSERT_EQUAL (client_command (client, "first\r\n."), 451);
  client_open_transaction (client);
  CU_ASSERT_EQUAL (client_command (client, "second\r\n."), 250);
  CU_ASSERT_EQUAL (client_command (client, "QUIT"), 221);
  client_free (client);
  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);

  first_message = find_event (ended->events, NACCS_SIM_EVENT_MESSAGE, 0);
  second_message = find_event (ended->events, NACCS_SIM_EVENT_MESSAGE, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (first_message);
  CU_ASSERT_PTR_NOT_NULL_FATAL (second_message);
  CU_ASSERT_PTR_NULL (first_message->spool_path);
  CU_ASSERT_PTR_NOT_NULL (second_message->spool_path);
  CU_ASSERT_EQUAL (count_spool_files (spool, "s000001-m0001"), 0);
  second = read_spool_file (spool, "s000001-m0002.msg");
  CU_ASSERT_STRING_EQUAL (second, "second\r\n");
  ended_session_free (ended);
  test_server_stop (test);
  g_rmdir (blocker);
  remove_spool_dir (spool);
}

#define CONCURRENT_CLIENTS 8

/* Proves messages that end at the same time, on several sessions, are
 * each stored before their 250 and named after their own session. */
static void
test_concurrent_commits (void)
{
  NaccsSimConfig config;
  g_autofree char *spool = make_spool_dir ();
  Client *clients[CONCURRENT_CLIENTS];
  TestServer *test;

  default_config (&config);
  config.spool_dir = g_strdup (spool);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  for (guint i = 0; i < CONCURRENT_CLIENTS; i++)
    {
      clients[i] = client_connect (test);
      CU_ASSERT_EQUAL (client_reply (clients[i]), 220);
      CU_ASSERT_EQUAL (client_command (clients[i], "HELO x"), 250);
      client_open_transaction (clients[i]);
    }
  /* Every end of data goes out before any 250 is read. */
  for (guint i = 0; i < CONCURRENT_CLIENTS; i++)
    client_send (clients[i], "one line\r\n.\r\n");
  for (guint i = 0; i < CONCURRENT_CLIENTS; i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *stored = NULL;

      CU_ASSERT_EQUAL (client_reply (clients[i]), 250);
      /* Sessions are numbered in accept order, from 1. */
      name = g_strdup_printf ("s%06u-m0001.msg", i + 1);
      stored = read_spool_file (spool, name);
      CU_ASSERT_STRING_EQUAL (stored != NULL ? stored : "(missing)",
                              "one line\r\n");
    }
  CU_ASSERT_EQUAL (count_spool_files (spool, "."), 0);
  for (guint i = 0; i < CONCURRENT_CLIENTS; i++)
    {
      CU_ASSERT_EQUAL (client_command (clients[i], "QUIT"), 221);
      client_free (clients[i]);
      ended_session_free (wait_session_end (test));
    }
  test_server_stop (test);
  remove_spool_dir (spool);
}

/* Proves commands sent right behind the end of data wait for the commit
 * and are then answered in order, with the transcript noting the file. */
static void
test_pipelined_after_commit (void)
{
  NaccsSimConfig config;
  g_autofree char *spool = make_spool_dir ();
  g_autofree char *transcript = NULL;
  EndedSession *ended;
  const NaccsSimEvent *message;
  TestServer *test;
  Client *client;

  default_config (&config);
  config.spool_dir = g_strdup (spool);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);
  client_open_transaction (client);
  client_send (client, "body\r\n.\r\nNOOP\r\nQUIT\r\n");
  CU_ASSERT_EQUAL (client_reply (client), 250);
  CU_ASSERT_EQUAL (client_reply (client), 250);
  CU_ASSERT_EQUAL (client_reply (client), 221);
  client_free (client);
  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);

  message = find_event (ended->events, NACCS_SIM_EVENT_MESSAGE, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (message);
  CU_ASSERT_PTR_NOT_NULL_FATAL (message->spool_path);
  CU_ASSERT_TRUE (g_str_has_suffix (message->spool_path,
                                    "s000001-m0001.msg"));
  transcript = read_spool_file (spool, "s000001.transcript");
  CU_ASSERT_PTR_NOT_NULL_FATAL (transcript);
  CU_ASSERT_PTR_NOT_NULL (strstr (transcript, "message 1 spooled to"));
  /* The NOOP came before the 250, so it is marked early ("C!"). */
  CU_ASSERT_PTR_NOT_NULL (strstr (transcript, " C! NOOP\n"));
  ended_session_free (ended);
  test_server_stop (test);
  remove_spool_dir (spool);
}

/* ---- restarts, shutdown and the open-file limit ---- */

/* Proves a restart after session 999999 continues with 7-digit ids and
 * leaves the files of session 1000000 as they were. */
static void
test_restart_after_seven_digits (void)
{
  NaccsSimConfig config;
  g_autofree char *spool = make_spool_dir ();
  g_autofree char *old_path = g_build_filename (spool, "s1000000-m0001.msg",
                                                NULL);
  g_autofree char *old = NULL;
  g_autofree char *stored = NULL;
  TestServer *test;
  Client *client;

  CU_ASSERT_TRUE_FATAL (g_file_set_contents (old_path, "old\r\n", -1, NULL));
  default_config (&config);
  config.spool_dir = g_strdup (spool);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  CU_ASSERT_EQUAL (client_command (client, "HELO x"), 250);
  client_open_transaction (client);
  CU_ASSERT_EQUAL (client_command (client, "new\r\n."), 250);
  CU_ASSERT_EQUAL (client_command (client, "QUIT"), 221);
  client_free (client);
  ended_session_free (wait_session_end (test));

  old = read_spool_file (spool, "s1000000-m0001.msg");
  stored = read_spool_file (spool, "s1000001-m0001.msg");
  CU_ASSERT_STRING_EQUAL (old != NULL ? old : "(missing)", "old\r\n");
  CU_ASSERT_STRING_EQUAL (stored != NULL ? stored : "(missing)", "new\r\n");
  CU_ASSERT_EQUAL (count_spool_files (spool, "s1000000.transcript"), 0);
  CU_ASSERT_EQUAL (count_spool_files (spool, "s1000001.transcript"), 1);
  test_server_stop (test);
  remove_spool_dir (spool);
}

static gboolean
shut_down_server (gpointer user_data)
{
  TestServer *test = user_data;

  naccs_sim_server_shut_down (test->server, test->shutdown_bound_ms);
  g_main_loop_quit (test->loop);
  return G_SOURCE_REMOVE;
}

/* Asks the server thread to shut the server down.  The default bound is
 * long enough for the clients to read the 421 and close. */
static void
test_server_request_shut_down (TestServer *test)
{
  GSource *idle = g_idle_source_new ();

  g_source_set_callback (idle, shut_down_server, test, NULL);
  g_source_attach (idle, test->context);
  g_source_unref (idle);
}

/* Checks that @ended sent the shutdown 421 and then saw the client close
 * the connection. */
static void
assert_shutdown_events (const EndedSession *ended)
{
  const NaccsSimEvent *last;
  const NaccsSimEvent *reply = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
  for (guint i = 0; i < ended->events->len; i++)
    {
      const NaccsSimEvent *event = ended->events->pdata[i];

      if (event->kind == NACCS_SIM_EVENT_REPLY)
        reply = event;
    }
  CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
  CU_ASSERT_EQUAL (reply->reply_code, 421);
  CU_ASSERT_STRING_EQUAL (reply->text,
                          "421 EDIFACT.PROD.NACCS6 service shutting down");
  last = ended->events->pdata[ended->events->len - 1];
  CU_ASSERT_EQUAL (last->kind, NACCS_SIM_EVENT_CLIENT_CLOSED);
  CU_ASSERT_STRING_EQUAL (last->text, "client closed the connection after "
                                      "the shutdown reply");
}

typedef enum {
  AT_GREETING,   /* greeted, no command yet */
  AT_HELO,       /* after HELO */
  IN_DATA,       /* half a message sent */
  N_SHUTDOWN_CASES
} ShutdownCase;

/* Proves a shutdown sends 421 to sessions waiting for a command or inside
 * DATA, records it, and stores no partial message. */
static void
test_shutdown_sends_421 (void)
{
  static const char *const names[] = { "greeting", "HELO", "DATA" };
  NaccsSimConfig config;
  g_autofree char *spool = make_spool_dir ();
  Client *clients[N_SHUTDOWN_CASES];
  TestServer *test;

  default_config (&config);
  config.spool_dir = g_strdup (spool);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  for (guint i = 0; i < N_SHUTDOWN_CASES; i++)
    {
      clients[i] = client_connect (test);
      CU_ASSERT_EQUAL (client_reply (clients[i]), 220);
    }
  CU_ASSERT_EQUAL (client_command (clients[AT_HELO], "HELO x"), 250);
  CU_ASSERT_EQUAL (client_command (clients[IN_DATA], "HELO x"), 250);
  client_open_transaction (clients[IN_DATA]);
  client_send (clients[IN_DATA], "half of a message\r\nand no end");
  g_usleep (100 * 1000);

  test_server_request_shut_down (test);
  for (guint i = 0; i < N_SHUTDOWN_CASES; i++)
    {
      g_autofree char *text = NULL;
      guint code = client_reply_text (clients[i], &text);

      if (code != 421)
        g_printerr ("case %s: got %u \"%s\", want 421\n", names[i], code,
                    text != NULL ? text : "");
      CU_ASSERT_EQUAL (code, 421);
      CU_ASSERT_STRING_EQUAL (text != NULL ? text : "",
                              "421 EDIFACT.PROD.NACCS6 service shutting "
                              "down");
      CU_ASSERT_TRUE (client_sees_close (clients[i]));
      client_free (clients[i]);
    }
  for (guint i = 0; i < N_SHUTDOWN_CASES; i++)
    {
      EndedSession *ended = wait_session_end (test);
      g_autofree char *name = NULL;
      g_autofree char *transcript = NULL;

      assert_shutdown_events (ended);
      CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
      name = g_strdup_printf ("s%06u.transcript", ended->id);
      transcript = read_spool_file (spool, name);
      CU_ASSERT_PTR_NOT_NULL (transcript != NULL
                              ? strstr (transcript, " S: 421 EDIFACT.PROD."
                                        "NACCS6 service shutting down\n")
                              : NULL);
      ended_session_free (ended);
    }
  CU_ASSERT_EQUAL (count_spool_files (spool, "s000003-m"), 0);
  CU_ASSERT_EQUAL (count_spool_files (spool, "."), 0);
  test_server_stop (test);
  remove_spool_dir (spool);
}

static NaccsSimAction *
stall_noop_rule (gpointer user_data, guint connection_index,
                 NaccsSimTrigger trigger, const char *verb,
                 const char *argument, guint occurrence)
{
  NaccsSimAction *action;

  (void) user_data;
  (void) connection_index;
  (void) argument;
  (void) occurrence;
  if (trigger != NACCS_SIM_TRIGGER_COMMAND || g_strcmp0 (verb, "NOOP") != 0)
    return NULL;
  action = naccs_sim_action_new ();
  action->stall_ms = 300;
  return action;
}

/* Proves a reply under way when the shutdown comes is sent whole before
 * the 421. */
static void
test_shutdown_after_stalled_reply (void)
{
  NaccsSimConfig config;
  EndedSession *ended;
  TestServer *test;
  Client *client;

  default_config (&config);
  test = test_server_start_at (&config, "127.0.0.1:0", stall_noop_rule);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  client_send (client, "NOOP\r\n");
  g_usleep (50 * 1000);
  test_server_request_shut_down (test);
  CU_ASSERT_EQUAL (client_reply (client), 250);
  CU_ASSERT_EQUAL (client_reply (client), 421);
  CU_ASSERT_TRUE (client_sees_close (client));
  client_free (client);
  ended = wait_session_end (test);
  assert_shutdown_events (ended);
  ended_session_free (ended);
  test_server_stop (test);
}

/* Proves a client still connected when the shutdown bound expires is
 * closed by the server, and recorded so. */
static void
test_shutdown_bound_closes_session (void)
{
  NaccsSimConfig config;
  EndedSession *ended;
  TestServer *test;
  Client *client;
  const NaccsSimEvent *reply;
  const NaccsSimEvent *last;

  default_config (&config);
  test = test_server_start (&config);
  naccs_sim_config_clear (&config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  test->shutdown_bound_ms = 300;
  client = client_connect (test);
  CU_ASSERT_EQUAL (client_reply (client), 220);
  test_server_request_shut_down (test);
  CU_ASSERT_EQUAL (client_reply (client), 421);

  /* The client keeps its socket open until the server has given up. */
  ended = wait_session_end (test);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
  reply = find_event (ended->events, NACCS_SIM_EVENT_REPLY, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
  CU_ASSERT_EQUAL (reply->reply_code, 421);
  last = ended->events->pdata[ended->events->len - 1];
  CU_ASSERT_EQUAL (last->kind, NACCS_SIM_EVENT_SERVER_CLOSED);
  CU_ASSERT_STRING_EQUAL (last->text, "server closed the connection: "
                                      "server stopping");
  CU_ASSERT_TRUE (last->at_us - reply->at_us >= 300 * 1000);
  CU_ASSERT_EQUAL (count_events (ended->events,
                                 NACCS_SIM_EVENT_CLIENT_CLOSED), 0);
  client_free (client);
  ended_session_free (ended);
  test_server_stop (test);
}

static NaccsSimAction *
stall_quit_rule (gpointer user_data, guint connection_index,
                 NaccsSimTrigger trigger, const char *verb,
                 const char *argument, guint occurrence)
{
  NaccsSimAction *action;

  (void) user_data;
  (void) connection_index;
  (void) argument;
  (void) occurrence;
  if (trigger != NACCS_SIM_TRIGGER_COMMAND || g_strcmp0 (verb, "QUIT") != 0)
    return NULL;
  action = naccs_sim_action_new ();
  action->stall_ms = 300;
  return action;
}

typedef struct {
  const char *name;
  NaccsSimRuleHook rule;       /* nullable */
  const char *first;           /* sent at once */
  const char *second;          /* nullable: sent 50 ms later */
  const char *want_text;       /* INPUT_AFTER_CLOSE_REPLY text */
} AfterCloseCase;

static const AfterCloseCase after_close_cases[] = {
  { "QUIT and NOOP in one write", NULL, "QUIT\r\nNOOP\r\n", NULL,
    "NOOP\\x0D\\x0A" },
  { "NOOP during a stalled 221", stall_quit_rule, "QUIT\r\n", "NOOP\r\n",
    "NOOP\\x0D\\x0A" },
};

/* Checks the INPUT_AFTER_CLOSE_REPLY of one case: its bytes, the time
 * they arrived, and early set, since they came before the 221 was out. */
static void
assert_input_before_221 (const AfterCloseCase *row, const GPtrArray *events)
{
  const NaccsSimEvent *reply = NULL;
  const NaccsSimEvent *quit = NULL;
  const NaccsSimEvent *after = NULL;

  for (guint i = 0; i < events->len; i++)
    {
      const NaccsSimEvent *event = events->pdata[i];

      if (event->kind == NACCS_SIM_EVENT_REPLY && event->reply_code == 221)
        reply = event;
      else if (event->kind == NACCS_SIM_EVENT_LINE_IN
               && g_strcmp0 (event->text, "QUIT") == 0)
        quit = event;
      else if (event->kind == NACCS_SIM_EVENT_INPUT_AFTER_CLOSE_REPLY)
        after = event;
    }
  if (after == NULL || !after->early)
    g_printerr ("case %s: no early INPUT_AFTER_CLOSE_REPLY\n", row->name);
  CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
  CU_ASSERT_PTR_NOT_NULL_FATAL (quit);
  CU_ASSERT_PTR_NOT_NULL_FATAL (after);
  CU_ASSERT_STRING_EQUAL (after->text, row->want_text);
  CU_ASSERT_TRUE (after->early);
  CU_ASSERT_TRUE (after->at_us >= quit->at_us);
  CU_ASSERT_TRUE (after->at_us < reply->at_us);
}

/* Proves bytes pipelined behind QUIT keep their arrival time and are
 * marked early, so they do not count as a reaction to 221. */
static void
test_input_before_221_is_early (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (after_close_cases); i++)
    {
      const AfterCloseCase *row = &after_close_cases[i];
      NaccsSimConfig config;
      EndedSession *ended;
      TestServer *test;
      Client *client;

      default_config (&config);
      test = test_server_start_at (&config, "127.0.0.1:0", row->rule);
      naccs_sim_config_clear (&config);
      CU_ASSERT_PTR_NOT_NULL_FATAL (test);
      client = client_connect (test);
      CU_ASSERT_EQUAL (client_reply (client), 220);
      client_send (client, row->first);
      if (row->second != NULL)
        {
          g_usleep (50 * 1000);
          client_send (client, row->second);
        }
      CU_ASSERT_EQUAL (client_reply (client), 221);
      CU_ASSERT_TRUE (client_sees_close (client));
      client_free (client);

      ended = wait_session_end (test);
      CU_ASSERT_PTR_NOT_NULL_FATAL (ended);
      assert_input_before_221 (row, ended->events);
      ended_session_free (ended);
      test_server_stop (test);
    }
}

#define FD_LIMIT 40
#define FD_LIMIT_CLIENTS 60

/* Runs in the child before exec: a limit the program cannot raise. */
static void
lower_open_file_limit (gpointer user_data)
{
  struct rlimit limit = { FD_LIMIT, FD_LIMIT };

  (void) user_data;
  setrlimit (RLIMIT_NOFILE, &limit);
}

/* Proves that with the open-file limit below --max-connections naccs-sim
 * warns at start and replies to every connection, with 421 where it has
 * no descriptor for a session. */
static void
test_open_file_limit_turns_away (void)
{
  const char *program = g_getenv ("NACCS_SIM");
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *log_dir = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *log = NULL;
  Client *clients[FD_LIMIT_CLIENTS];
  guint greeted = 0;
  guint turned_away = 0;
  guint16 port;

  if (program == NULL)
    {
      g_printerr ("SKIP open-file limit: NACCS_SIM is not set\n");
      return;
    }
  log_dir = make_spool_dir ();
  log_path = g_build_filename (log_dir, "stderr.log", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, lower_open_file_limit,
                                         NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, program,
                                         "--listen", "127.0.0.1:0",
                                         "--max-connections", "100", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (process);
  port = read_listening_port (process);
  CU_ASSERT_NOT_EQUAL_FATAL (port, 0);

  for (guint i = 0; i < FD_LIMIT_CLIENTS; i++)
    {
      guint code;

      clients[i] = client_connect_to ("127.0.0.1", port);
      code = client_reply (clients[i]);
      greeted += code == 220;
      turned_away += code == 421;
    }
  /* Every connection got a reply: none was left waiting in the backlog. */
  CU_ASSERT_EQUAL (greeted + turned_away, FD_LIMIT_CLIENTS);
  CU_ASSERT_TRUE (greeted > 0);
  CU_ASSERT_TRUE (turned_away > 0);
  for (guint i = 0; i < FD_LIMIT_CLIENTS; i++)
    client_free (clients[i]);

  g_subprocess_send_signal (process, SIGTERM);
  CU_ASSERT_TRUE (g_subprocess_wait (process, NULL, NULL));
  CU_ASSERT_TRUE (g_subprocess_get_if_exited (process));
  CU_ASSERT_EQUAL (g_subprocess_get_exit_status (process), 0);
  CU_ASSERT_TRUE (g_file_get_contents (log_path, &log, NULL, NULL));
  CU_ASSERT_PTR_NOT_NULL (log != NULL ? strstr (log, "ulimit -n") : NULL);
  CU_ASSERT_PTR_NOT_NULL (log != NULL ? strstr (log, "event=accept-failed")
                                      : NULL);
  remove_spool_dir (log_dir);
}

int
main (void)
{
  CU_pSuite suite;
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 1;
  suite = CU_add_suite ("/session", NULL, NULL);
  CU_add_test (suite, "two messages sequence", test_two_messages_sequence);
  CU_add_test (suite, "error replies", test_error_replies);
  CU_add_test (suite, "RSET returns after HELO",
               test_rset_returns_after_helo);
  CU_add_test (suite, "command line too long", test_command_line_too_long);
  CU_add_test (suite, "message limits", test_message_limits);
  CU_add_test (suite, "DATA line too long", test_data_line_too_long);
  CU_add_test (suite, "idle timeout", test_idle_timeout);
  CU_add_test (suite, "command timeout", test_command_timeout);
  CU_add_test (suite, "max connections", test_max_connections);
  CU_add_test (suite, "early input", test_early_input);
  CU_add_test (suite, "spool and transcript", test_spool_and_transcript);
  CU_add_test (suite, "scripted replies", test_scripted_replies);
  CU_add_test (suite, "silence after reply", test_silence_after_reply);
  CU_add_test (suite, "input during stall", test_input_during_stall);
  CU_add_test (suite, "IPv6 loopback", test_ipv6_loopback);
  CU_add_test (suite, "spool failure gets 451", test_spool_failure_gets_451);
  CU_add_test (suite, "concurrent commits", test_concurrent_commits);
  CU_add_test (suite, "pipelined after commit", test_pipelined_after_commit);
  CU_add_test (suite, "SIGTERM leaves complete files",
               test_sigterm_leaves_complete_files);
  CU_add_test (suite, "restart after seven digits",
               test_restart_after_seven_digits);
  CU_add_test (suite, "shutdown sends 421", test_shutdown_sends_421);
  CU_add_test (suite, "shutdown after stalled reply",
               test_shutdown_after_stalled_reply);
  CU_add_test (suite, "shutdown bound closes session",
               test_shutdown_bound_closes_session);
  CU_add_test (suite, "input before 221 is early",
               test_input_before_221_is_early);
  CU_add_test (suite, "open-file limit turns away",
               test_open_file_limit_turns_away);

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
