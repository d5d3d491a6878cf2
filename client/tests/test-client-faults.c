/* test-client-faults.c: libnaccs-client against a server that misbehaves.
 *
 * The scripted server of script-server.c splits each reply at every
 * position, cuts it after every byte, resets the connection during the
 * message data, stays silent at each step, stops reading, and replies 421
 * at each step.  For every case the test checks what the library returns,
 * the action it reports, whether the connection is closed, whether the
 * message's outcome is unknown, and what the server received.  Timeouts
 * are 150 to 300 ms so that no case waits long.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <glib/gstdio.h>

#include "naccs-client.h"
#include "script-server.h"
#include "test-registry.h"

#define HELO_DOMAIN "user.example.invalid"
#define FROM_ADDRESS "user@user.example.invalid"
#define TO_ADDRESS "NACCS@EDIFACT.PROD.NACCS6"

/* The calls of one session, in order; a case names the one that fails. */
typedef enum {
  CALL_CONNECT,
  CALL_HELO,
  CALL_SEND,
  CALL_QUIT,
  CALL_NONE, /* every call succeeded */
} Call;

static const struct {
  ScriptEvent event;
  NaccsClientStep step;
  Call call;
} step_events[] = {
  { EVENT_GREETING, NACCS_CLIENT_STEP_GREETING, CALL_CONNECT },
  { EVENT_HELO, NACCS_CLIENT_STEP_HELO, CALL_HELO },
  { EVENT_MAIL, NACCS_CLIENT_STEP_MAIL, CALL_SEND },
  { EVENT_RCPT, NACCS_CLIENT_STEP_RCPT, CALL_SEND },
  { EVENT_DATA, NACCS_CLIENT_STEP_DATA, CALL_SEND },
  { EVENT_DOT, NACCS_CLIENT_STEP_DATA_END, CALL_SEND },
  { EVENT_QUIT, NACCS_CLIENT_STEP_QUIT, CALL_QUIT },
};

static NaccsClient *
new_client (guint timeout_ms, GCancellable *cancellable)
{
  NaccsClientTimeouts timeouts = {
    .connect_ms = 2000,
    .greeting_ms = timeout_ms,
    .reply_ms = timeout_ms,
    .data_end_ms = timeout_ms,
    .send_ms = timeout_ms,
  };

  return naccs_client_new (&timeouts, cancellable);
}

/* Runs connect, HELO, one message and QUIT, stopping at the first call
 * that fails.  Returns that call, or CALL_NONE. */
static Call
drive (NaccsClient *client, guint16 port, const char *message_text,
       GError **error)
{
  g_autoptr (GBytes) message = g_bytes_new (message_text,
                                            strlen (message_text));

  if (!naccs_client_connect (client, "127.0.0.1", port, error))
    return CALL_CONNECT;
  if (!naccs_client_helo (client, HELO_DOMAIN, error))
    return CALL_HELO;
  if (!naccs_client_send_message (client, FROM_ADDRESS, TO_ADDRESS, message,
                                  error))
    return CALL_SEND;
  if (!naccs_client_quit (client, error))
    return CALL_QUIT;
  return CALL_NONE;
}

static gboolean
has_error (const GError *error, NaccsClientError code, const char *label)
{
  if (g_error_matches (error, NACCS_CLIENT_ERROR, (gint) code))
    return TRUE;
  fprintf (stderr, "\n  %s: want error code %d, got %s\n", label, code,
           error ? error->message : "no error");
  return FALSE;
}

static gboolean
contains (const char *text, const char *part, const char *label)
{
  if (text != NULL && strstr (text, part) != NULL)
    return TRUE;
  fprintf (stderr, "\n  %s: \"%s\" does not contain \"%s\"\n", label,
           text ? text : "(null)", part);
  return FALSE;
}

/* Runs a session against a server with the single rule @rule and returns
 * the server, stopped, for checks. */
static ScriptServer *
run_rule (const ScriptRule *rule, NaccsClient *client, Call *failed,
          GError **error)
{
  ScriptServer *server = script_server_start (rule, rule ? 1 : 0);
  g_autofree char *message = script_message ("m1", 3, 40);

  *failed = drive (client, script_server_port (server), message, error);
  naccs_client_close (client);
  script_server_stop (server);
  return server;
}

/* Proves a reply split at any position reads as one reply. */
static void
test_split_every_position (void)
{
  for (gsize e = 0; e < G_N_ELEMENTS (step_events); e++)
    {
      const char *reply = script_server_default_reply (step_events[e].event);

      for (gsize at = 1; at < strlen (reply); at++)
        {
          ScriptRule rule = { 1, step_events[e].event, 1, FAULT_SPLIT, at,
                              NULL };
          g_autoptr (NaccsClient) client = new_client (2000, NULL);
          g_autoptr (GError) error = NULL;
          g_autofree char *label = g_strdup_printf (
              "split %s at %zu", naccs_client_step_to_string (
                                     step_events[e].step), at);
          Call failed;
          ScriptServer *server = run_rule (&rule, client, &failed, &error);

          if (failed != CALL_NONE)
            fprintf (stderr, "\n  %s: %s\n", label,
                     error ? error->message : "?");
          CU_ASSERT_EQUAL (failed, CALL_NONE);
          CU_ASSERT_EQUAL (script_server_count_acked (server, "m1"), 1);
          script_server_free (server);
        }
    }
}

/* Proves a multi-line reply to "." split anywhere still accepts. */
static void
test_multi_line_split (void)
{
  static const char reply[] = "250-queued as 1\r\n250-NACCS\r\n250 stored\r\n";

  for (gsize at = 1; at < strlen (reply); at++)
    {
      ScriptRule rule = { 1, EVENT_DOT, 1, FAULT_SPLIT, at, reply };
      g_autoptr (NaccsClient) client = new_client (2000, NULL);
      g_autoptr (GError) error = NULL;
      Call failed;
      ScriptServer *server = run_rule (&rule, client, &failed, &error);

      CU_ASSERT_EQUAL (failed, CALL_NONE);
      CU_ASSERT_EQUAL (naccs_client_get_last_reply_code (client), 221);
      script_server_free (server);
    }
}

/* Proves a drop at each byte of each reply closes with the right error,
 * and only a drop after "." leaves the outcome unknown. */
static void
test_drop_at_every_byte (void)
{
  for (gsize e = 0; e < G_N_ELEMENTS (step_events); e++)
    {
      const char *reply = script_server_default_reply (step_events[e].event);
      gboolean after_dot = step_events[e].event == EVENT_DOT;

      for (gsize cut = 0; cut < strlen (reply); cut++)
        {
          ScriptRule rule = { 1, step_events[e].event, 1, FAULT_CUT, cut,
                              NULL };
          g_autoptr (NaccsClient) client = new_client (2000, NULL);
          g_autoptr (GError) error = NULL;
          g_autofree char *label = g_strdup_printf (
              "cut %s after %zu bytes",
              naccs_client_step_to_string (step_events[e].step), cut);
          Call failed;
          ScriptServer *server = run_rule (&rule, client, &failed, &error);

          CU_ASSERT_EQUAL (failed, step_events[e].call);
          CU_ASSERT_TRUE (has_error (error,
                                     after_dot
                                         ? NACCS_CLIENT_ERROR_OUTCOME_UNKNOWN
                                         : NACCS_CLIENT_ERROR_CONNECTION_LOST,
                                     label));
          CU_ASSERT_EQUAL (naccs_client_get_last_action (client),
                           NACCS_CLIENT_ACTION_RECONNECT);
          CU_ASSERT_EQUAL (naccs_client_last_outcome_unknown (client),
                           after_dot);
          CU_ASSERT_EQUAL (script_server_count_acked (server, "m1"),
                           step_events[e].event == EVENT_QUIT ? 1 : 0);
          script_server_free (server);
        }
    }
}

/* Proves a silent server times out at each step, promptly, naming the
 * step and the time waited. */
static void
test_silent_each_step (void)
{
  for (gsize e = 0; e < G_N_ELEMENTS (step_events); e++)
    {
      ScriptRule rule = { 1, step_events[e].event, 1, FAULT_SILENT, 0, NULL };
      g_autoptr (NaccsClient) client = new_client (150, NULL);
      g_autoptr (GError) error = NULL;
      const char *step = naccs_client_step_name (step_events[e].step);
      g_autofree char *label = g_strdup_printf ("silent at %s", step);
      gint64 start = g_get_monotonic_time ();
      gint64 elapsed_ms;
      Call failed;
      ScriptServer *server = run_rule (&rule, client, &failed, &error);

      elapsed_ms = (g_get_monotonic_time () - start) / 1000;
      CU_ASSERT_EQUAL (failed, step_events[e].call);
      CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_TIMED_OUT, label));
      CU_ASSERT_TRUE (contains (error ? error->message : NULL,
                                "timed out after 1", label));
      CU_ASSERT_TRUE (contains (error ? error->message : NULL, step, label));
      /* GLib rounds the poll timeout down to whole milliseconds. */
      CU_ASSERT_TRUE (elapsed_ms >= 145);
      CU_ASSERT_TRUE (elapsed_ms < 2000);
      CU_ASSERT_FALSE (naccs_client_is_connected (client));
      CU_ASSERT_EQUAL (naccs_client_last_outcome_unknown (client),
                       step_events[e].event == EVENT_DOT);
      script_server_free (server);
    }
}

/* Proves 421 at each step closes at once: no QUIT, nothing after. */
static void
test_421_each_step (void)
{
  for (gsize e = 0; e < G_N_ELEMENTS (step_events); e++)
    {
      ScriptRule rule = { 1, step_events[e].event, 1, FAULT_REPLY, 0,
                          "421 closing\r\n" };
      g_autoptr (NaccsClient) client = new_client (2000, NULL);
      g_autoptr (GError) error = NULL;
      g_autofree char *label = g_strdup_printf (
          "421 to %s", naccs_client_step_to_string (step_events[e].step));
      Call failed;
      ScriptServer *server;
      const char *commands;

      if (step_events[e].event == EVENT_QUIT)
        continue;
      server = run_rule (&rule, client, &failed, &error);
      commands = script_server_commands (server, 1);

      CU_ASSERT_EQUAL (failed, step_events[e].call);
      CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_SERVICE_CLOSING,
                                 label));
      CU_ASSERT_EQUAL (naccs_client_error_get_reply_code (error), 421);
      CU_ASSERT_EQUAL (naccs_client_get_last_action (client),
                       NACCS_CLIENT_ACTION_RECONNECT);
      CU_ASSERT_FALSE (naccs_client_is_connected (client));
      CU_ASSERT_PTR_NULL (strstr (commands, "QUIT"));
      CU_ASSERT_PTR_NULL (strstr (commands, "RSET"));
      CU_ASSERT_EQUAL (script_server_connections (server), 1);
      script_server_free (server);
    }
}

/* Proves a reset during a short message leaves it unknown or lost,
 * consistently, and never accepted. */
static void
test_reset_during_short_data (void)
{
  ScriptRule rule = { 1, EVENT_BODY, 1, FAULT_RESET, 10, NULL };
  g_autoptr (NaccsClient) client = new_client (2000, NULL);
  g_autoptr (GError) error = NULL;
  Call failed;
  ScriptServer *server = run_rule (&rule, client, &failed, &error);
  gboolean unknown = g_error_matches (error, NACCS_CLIENT_ERROR,
                                      NACCS_CLIENT_ERROR_OUTCOME_UNKNOWN);

  /* The whole short message is usually in the kernel before the reset, so
   * the client cannot tell whether "." arrived. */
  CU_ASSERT_EQUAL (failed, CALL_SEND);
  CU_ASSERT_TRUE (unknown
                  || g_error_matches (error, NACCS_CLIENT_ERROR,
                                      NACCS_CLIENT_ERROR_CONNECTION_LOST));
  CU_ASSERT_EQUAL (naccs_client_last_outcome_unknown (client), unknown);
  CU_ASSERT_EQUAL (script_server_count_stored (server, "m1"), 0);
  script_server_free (server);
}

/* Proves a reset in the middle of a large message is a lost connection
 * while sending, whose outcome is known: not accepted. */
static void
test_reset_during_large_data (void)
{
  ScriptRule rule = { 1, EVENT_BODY, 1, FAULT_RESET, 64 * 1024, NULL };
  ScriptServer *server = script_server_start (&rule, 1);
  g_autoptr (NaccsClient) client = new_client (2000, NULL);
  g_autofree char *text = script_message ("big", 80000, 100);
  g_autoptr (GError) error = NULL;

  CU_ASSERT_EQUAL (drive (client, script_server_port (server), text, &error),
                   CALL_SEND);
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_CONNECTION_LOST,
                             "reset during 8 MB"));
  CU_ASSERT_TRUE (contains (error ? error->message : NULL,
                            "while sending the message data", "reset"));
  CU_ASSERT_FALSE (naccs_client_last_outcome_unknown (client));
  CU_ASSERT_EQUAL (naccs_client_get_last_action (client),
                   NACCS_CLIENT_ACTION_RECONNECT);
  script_server_stop (server);
  CU_ASSERT_EQUAL (script_server_count_stored (server, "big"), 0);
  script_server_free (server);
}

/* Proves a server that stops reading trips the send timeout. */
static void
test_send_stall_times_out (void)
{
  ScriptRule rule = { 1, EVENT_BODY, 1, FAULT_STALL, 3000, NULL };
  ScriptServer *server = script_server_start (&rule, 1);
  NaccsClientTimeouts timeouts = { 2000, 2000, 2000, 2000, 300 };
  g_autoptr (NaccsClient) client = naccs_client_new (&timeouts, NULL);
  g_autofree char *text = script_message ("big", 80000, 100);
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  CU_ASSERT_EQUAL (drive (client, script_server_port (server), text, &error),
                   CALL_SEND);
  CU_ASSERT_TRUE (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC);
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_TIMED_OUT, "stall"));
  CU_ASSERT_TRUE (contains (error ? error->message : NULL,
                            "sending the message data", "stall"));
  CU_ASSERT_FALSE (naccs_client_last_outcome_unknown (client));
  naccs_client_close (client);
  script_server_free (server);
}

static void
record_reply (const NaccsClientReply *reply, gpointer user_data)
{
  g_string_append_printf (user_data, "%u %s %u %s\n", reply->connection,
                          naccs_client_step_to_string (reply->step),
                          reply->reply_code,
                          naccs_client_action_to_string (reply->action));
}

/* Proves the reply observer sees every step of a session in order. */
static void
test_reply_observer (void)
{
  static const char want[] = "1 connect 0 continue\n"
                             "1 greeting 220 continue\n"
                             "1 helo 250 continue\n"
                             "1 mail 250 continue\n"
                             "1 rcpt 250 continue\n"
                             "1 data 354 continue\n"
                             "1 data-end 250 continue\n"
                             "1 quit 221 continue\n"
                             "2 connect 0 continue\n"
                             "2 greeting 220 continue\n"
                             "2 helo 250 continue\n"
                             "2 mail 451 retry-later\n"
                             "2 rset 250 continue\n"
                             "2 quit 221 continue\n";
  ScriptRule rule = { 2, EVENT_MAIL, 1, FAULT_REPLY, 0, "451 later\r\n" };
  ScriptServer *server = script_server_start (&rule, 1);
  g_autoptr (NaccsClient) client = new_client (2000, NULL);
  g_autoptr (GString) seen = g_string_new (NULL);
  g_autofree char *text = script_message ("m1", 1, 10);
  g_autoptr (GBytes) message = g_bytes_new (text, strlen (text));
  g_autoptr (GError) error = NULL;
  guint16 port = script_server_port (server);

  naccs_client_set_reply_func (client, record_reply, seen);
  CU_ASSERT_EQUAL (drive (client, port, text, NULL), CALL_NONE);
  CU_ASSERT_TRUE (naccs_client_connect (client, "127.0.0.1", port, NULL));
  CU_ASSERT_TRUE (naccs_client_helo (client, HELO_DOMAIN, NULL));
  CU_ASSERT_FALSE (naccs_client_send_message (client, FROM_ADDRESS,
                                              TO_ADDRESS, message, &error));
  CU_ASSERT_EQUAL (naccs_client_get_last_action (client),
                   NACCS_CLIENT_ACTION_RETRY_LATER);
  CU_ASSERT_TRUE (naccs_client_is_connected (client));
  CU_ASSERT_TRUE (naccs_client_rset (client, NULL));
  CU_ASSERT_TRUE (naccs_client_quit (client, NULL));
  CU_ASSERT_STRING_EQUAL (seen->str, want);
  script_server_free (server);
}

/* A session that gives up on its connection after a reply, with what the
 * server must have received and what the caller must see. */
typedef struct {
  const char *label;
  ScriptRule rules[2];
  gsize n_rules;
  Call want_failed;      /* CALL_SEND: the RSET after the send failed */
  const char *want_commands;
  NaccsClientAction want_action;
  guint want_code;       /* the reply code carried by the error */
  const char *want_steps; /* the reply observer's lines after connect */
} GiveUpCase;

#define HELO_LINE "HELO " HELO_DOMAIN "\n"
#define MAIL_RCPT_LINES                                                       \
  "MAIL FROM:<" FROM_ADDRESS ">\nRCPT TO:<" TO_ADDRESS ">\n"

static const GiveUpCase give_up_cases[] = {
  { "greeting 450", { { 1, EVENT_GREETING, 1, FAULT_REPLY, 0,
                        "450 try later\r\n" } }, 1,
    CALL_CONNECT, "QUIT\n", NACCS_CLIENT_ACTION_RECONNECT, 450,
    "1 greeting 450 reconnect\n1 quit 221 continue\n" },
  { "greeting 554", { { 1, EVENT_GREETING, 1, FAULT_REPLY, 0,
                        "554 no service\r\n" } }, 1,
    CALL_CONNECT, "QUIT\n", NACCS_CLIENT_ACTION_GIVE_UP_SESSION, 554,
    "1 greeting 554 give-up-session\n1 quit 221 continue\n" },
  { "HELO 451", { { 1, EVENT_HELO, 1, FAULT_REPLY, 0, "451 later\r\n" } },
    1, CALL_HELO, HELO_LINE "QUIT\n", NACCS_CLIENT_ACTION_RECONNECT, 451,
    "1 greeting 220 continue\n1 helo 451 reconnect\n1 quit 221 continue\n" },
  { "RSET 451", { { 1, EVENT_RCPT, 1, FAULT_REPLY, 0, "550 no\r\n" },
                  { 1, EVENT_RSET, 1, FAULT_REPLY, 0, "451 later\r\n" } },
    2, CALL_SEND, HELO_LINE MAIL_RCPT_LINES "RSET\nQUIT\n",
    NACCS_CLIENT_ACTION_RECONNECT, 451,
    "1 greeting 220 continue\n1 helo 250 continue\n1 mail 250 continue\n"
    "1 rcpt 550 give-up-message\n1 rset 451 reconnect\n"
    "1 quit 221 continue\n" },
  { "RSET 500", { { 1, EVENT_RCPT, 1, FAULT_REPLY, 0, "550 no\r\n" },
                  { 1, EVENT_RSET, 1, FAULT_REPLY, 0, "500 what\r\n" } },
    2, CALL_SEND, HELO_LINE MAIL_RCPT_LINES "RSET\nQUIT\n",
    NACCS_CLIENT_ACTION_RECONNECT, 500,
    "1 greeting 220 continue\n1 helo 250 continue\n1 mail 250 continue\n"
    "1 rcpt 550 give-up-message\n1 rset 500 reconnect\n"
    "1 quit 221 continue\n" },
  { "greeting 450, QUIT 500",
    { { 1, EVENT_GREETING, 1, FAULT_REPLY, 0, "450 try later\r\n" },
      { 1, EVENT_QUIT, 1, FAULT_REPLY, 0, "500 what\r\n" } }, 2,
    CALL_CONNECT, "QUIT\n", NACCS_CLIENT_ACTION_RECONNECT, 450,
    "1 greeting 450 reconnect\n1 quit 500 give-up-message\n" },
  /* The server is closing, the reply does not fit the step, or no reply
   * came: the connection is closed without QUIT. */
  { "greeting 421", { { 1, EVENT_GREETING, 1, FAULT_REPLY, 0,
                        "421 closing\r\n" } }, 1,
    CALL_CONNECT, "", NACCS_CLIENT_ACTION_RECONNECT, 421,
    "1 greeting 421 reconnect\n" },
  { "HELO 421", { { 1, EVENT_HELO, 1, FAULT_REPLY, 0, "421 closing\r\n" } },
    1, CALL_HELO, HELO_LINE, NACCS_CLIENT_ACTION_RECONNECT, 421,
    "1 greeting 220 continue\n1 helo 421 reconnect\n" },
  { "HELO 354", { { 1, EVENT_HELO, 1, FAULT_REPLY, 0, "354 go\r\n" } }, 1,
    CALL_HELO, HELO_LINE, NACCS_CLIENT_ACTION_RECONNECT, 354,
    "1 greeting 220 continue\n1 helo 354 reconnect\n" },
  { "HELO silent", { { 1, EVENT_HELO, 1, FAULT_SILENT, 0, NULL } }, 1,
    CALL_HELO, HELO_LINE, NACCS_CLIENT_ACTION_RECONNECT, 0,
    "1 greeting 220 continue\n1 helo 0 reconnect\n" },
};

static gboolean
text_is (const char *got, const char *want, const char *label)
{
  if (g_strcmp0 (got, want) == 0)
    return TRUE;
  fprintf (stderr, "\n  %s: got \"%s\", want \"%s\"\n", label,
           got ? got : "(null)", want ? want : "(null)");
  return FALSE;
}

/* Runs connect, HELO and one message, and RSET when the message failed
 * with the connection open.  Returns the call that failed last. */
static Call
drive_with_reset (NaccsClient *client, guint16 port, GError **error)
{
  g_autofree char *text = script_message ("m1", 1, 10);
  Call failed = drive (client, port, text, error);

  if (failed == CALL_SEND && naccs_client_is_connected (client))
    {
      g_clear_error (error);
      CU_ASSERT_FALSE (naccs_client_rset (client, error));
    }
  return failed;
}

/* Proves a connection given up after a usable reply ends with QUIT, and
 * after 421, a reply that does not fit or silence closes without it. */
static void
test_quit_before_close (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (give_up_cases); i++)
    {
      const GiveUpCase *c = &give_up_cases[i];
      ScriptServer *server = script_server_start (c->rules, c->n_rules);
      g_autoptr (NaccsClient) client = new_client (300, NULL);
      g_autoptr (GString) seen = g_string_new (NULL);
      g_autoptr (GError) error = NULL;
      const char *commands;
      const char *steps;
      Call failed;

      naccs_client_set_reply_func (client, record_reply, seen);
      failed = drive_with_reset (client, script_server_port (server), &error);
      script_server_stop (server);
      /* Every case runs on connection 1; drop "1 connect 0 continue". */
      steps = strchr (seen->str, '\n') ? strchr (seen->str, '\n') + 1 : "";

      CU_ASSERT_EQUAL (failed, c->want_failed);
      CU_ASSERT_PTR_NOT_NULL (error);
      CU_ASSERT_FALSE (naccs_client_is_connected (client));
      CU_ASSERT_EQUAL (naccs_client_get_last_action (client), c->want_action);
      CU_ASSERT_EQUAL (naccs_client_error_get_reply_code (error),
                       c->want_code);
      if (c->want_code != 0)
        CU_ASSERT_EQUAL (naccs_client_get_last_reply_code (client),
                         c->want_code);
      commands = script_server_commands (server, 1);
      CU_ASSERT_TRUE (text_is (commands, c->want_commands, c->label));
      CU_ASSERT_TRUE (text_is (steps, c->want_steps, c->label));
      script_server_free (server);
    }
}

/* Proves a loaded table changes the action and the connection handling. */
static void
test_loaded_table_applies (void)
{
  static const char table_text[] = "mail:\n  5xx: give-up-session\n"
                                   "rcpt:\n  45x: reconnect\n";
  ScriptRule rules[] = {
    { 1, EVENT_MAIL, 1, FAULT_REPLY, 0, "550 no\r\n" },
    { 2, EVENT_RCPT, 1, FAULT_REPLY, 0, "451 later\r\n" },
  };
  ScriptServer *server = script_server_start (rules, G_N_ELEMENTS (rules));
  g_autofree char *dir = g_dir_make_tmp ("faults-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "table.yaml", NULL);
  g_autoptr (NaccsClientActionTable) table = NULL;
  g_autoptr (NaccsClient) client = new_client (2000, NULL);
  g_autofree char *text = script_message ("m1", 1, 10);
  g_autoptr (GError) first = NULL;
  g_autoptr (GError) second = NULL;

  CU_ASSERT_TRUE_FATAL (g_file_set_contents (path, table_text, -1, NULL));
  table = naccs_client_action_table_load_file (path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (table);
  naccs_client_set_action_table (client, table);

  CU_ASSERT_EQUAL (drive (client, script_server_port (server), text, &first),
                   CALL_SEND);
  CU_ASSERT_EQUAL (naccs_client_get_last_action (client),
                   NACCS_CLIENT_ACTION_GIVE_UP_SESSION);
  CU_ASSERT_TRUE (naccs_client_is_connected (client));
  CU_ASSERT_TRUE (naccs_client_quit (client, NULL));

  CU_ASSERT_EQUAL (drive (client, script_server_port (server), text, &second),
                   CALL_SEND);
  CU_ASSERT_EQUAL (naccs_client_get_last_action (client),
                   NACCS_CLIENT_ACTION_RECONNECT);
  CU_ASSERT_FALSE (naccs_client_is_connected (client));
  CU_ASSERT_EQUAL (naccs_client_error_get_reply_code (second), 451);

  script_server_free (server);
  g_unlink (path);
  g_rmdir (dir);
}

typedef struct {
  GCancellable *cancellable;
  guint delay_ms;
} CancelJob;

static gpointer
cancel_later (gpointer user_data)
{
  CancelJob *job = user_data;

  g_usleep (job->delay_ms * 1000);
  g_cancellable_cancel (job->cancellable);
  return NULL;
}

/* Runs a session with 10-second timeouts against @rule and cancels it
 * from another thread after 100 ms; returns the call that failed. */
static Call
run_cancelled (const ScriptRule *rule, const char *text, GError **error,
               gint64 *elapsed_ms, gboolean *unknown)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (NaccsClient) client = new_client (10000, cancellable);
  ScriptServer *server = script_server_start (rule, 1);
  CancelJob job = { cancellable, 100 };
  GThread *thread = g_thread_new ("cancel", cancel_later, &job);
  gint64 start = g_get_monotonic_time ();
  Call failed;

  failed = drive (client, script_server_port (server), text, error);
  *elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  *unknown = naccs_client_last_outcome_unknown (client);
  CU_ASSERT_FALSE (naccs_client_is_connected (client));
  CU_ASSERT_EQUAL (naccs_client_get_last_action (client),
                   NACCS_CLIENT_ACTION_GIVE_UP_SESSION);
  g_thread_join (thread);
  naccs_client_close (client);
  script_server_free (server);
  return failed;
}

/* Proves a cancel from another thread ends the wait for the reply to "."
 * within a second, with the outcome unknown. */
static void
test_cancel_end_of_data_wait (void)
{
  ScriptRule rule = { 1, EVENT_DOT, 1, FAULT_SILENT, 0, NULL };
  g_autofree char *text = script_message ("m1", 1, 10);
  g_autoptr (GError) error = NULL;
  gint64 elapsed_ms = 0;
  gboolean unknown = FALSE;

  CU_ASSERT_EQUAL (run_cancelled (&rule, text, &error, &elapsed_ms,
                                  &unknown),
                   CALL_SEND);
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_CANCELLED, "cancel"));
  CU_ASSERT_TRUE (elapsed_ms < 1000);
  CU_ASSERT_TRUE (unknown);
}

/* Proves a cancel ends a send blocked by a server that stopped reading. */
static void
test_cancel_blocked_send (void)
{
  ScriptRule rule = { 1, EVENT_BODY, 1, FAULT_STALL, 3000, NULL };
  g_autofree char *text = script_message ("big", 80000, 100);
  g_autoptr (GError) error = NULL;
  gint64 elapsed_ms = 0;
  gboolean unknown = TRUE;

  CU_ASSERT_EQUAL (run_cancelled (&rule, text, &error, &elapsed_ms,
                                  &unknown),
                   CALL_SEND);
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_CANCELLED, "cancel"));
  CU_ASSERT_TRUE (elapsed_ms < 1000);
  CU_ASSERT_FALSE (unknown);
}

/* Proves a cancel seen before a command sends nothing for the message,
 * keeps the connection open, and QUIT still goes out. */
static void
test_cancel_before_command (void)
{
  ScriptServer *server = script_server_start (NULL, 0);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (NaccsClient) client = new_client (2000, cancellable);
  g_autoptr (GString) seen = g_string_new (NULL);
  g_autofree char *text = script_message ("m1", 1, 10);
  g_autoptr (GBytes) message = g_bytes_new (text, strlen (text));
  g_autoptr (GError) error = NULL;

  CU_ASSERT_TRUE (naccs_client_connect (client, "127.0.0.1",
                                        script_server_port (server), NULL));
  CU_ASSERT_TRUE (naccs_client_helo (client, HELO_DOMAIN, NULL));
  naccs_client_set_reply_func (client, record_reply, seen);
  g_cancellable_cancel (cancellable);

  CU_ASSERT_FALSE (naccs_client_send_message (client, FROM_ADDRESS,
                                              TO_ADDRESS, message, &error));
  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_CANCELLED, "cancel"));
  CU_ASSERT_EQUAL (naccs_client_get_last_action (client),
                   NACCS_CLIENT_ACTION_GIVE_UP_SESSION);
  CU_ASSERT_TRUE (naccs_client_is_connected (client));
  CU_ASSERT_EQUAL (seen->len, 0);
  CU_ASSERT_TRUE (naccs_client_quit (client, NULL));
  script_server_stop (server);

  CU_ASSERT_STRING_EQUAL (script_server_commands (server, 1),
                          HELO_LINE "QUIT\n");
  CU_ASSERT_STRING_EQUAL (seen->str, "1 quit 221 continue\n");
  script_server_free (server);
}

/* Proves QUIT after a cancel waits at most 2 s for a silent server, even
 * with a 10 s reply timeout. */
static void
test_quit_after_cancel_bounded (void)
{
  ScriptRule rule = { 1, EVENT_QUIT, 1, FAULT_SILENT, 0, NULL };
  ScriptServer *server = script_server_start (&rule, 1);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (NaccsClient) client = new_client (10000, cancellable);
  g_autoptr (GError) error = NULL;
  gint64 start;
  gint64 elapsed_ms;

  CU_ASSERT_TRUE (naccs_client_connect (client, "127.0.0.1",
                                        script_server_port (server), NULL));
  CU_ASSERT_TRUE (naccs_client_helo (client, HELO_DOMAIN, NULL));
  g_cancellable_cancel (cancellable);
  start = g_get_monotonic_time ();
  CU_ASSERT_FALSE (naccs_client_quit (client, &error));
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  script_server_stop (server);

  CU_ASSERT_TRUE (has_error (error, NACCS_CLIENT_ERROR_TIMED_OUT, "QUIT"));
  CU_ASSERT_TRUE (elapsed_ms >= 1900);
  CU_ASSERT_TRUE (elapsed_ms < 3000);
  CU_ASSERT_FALSE (naccs_client_is_connected (client));
  CU_ASSERT_STRING_EQUAL (script_server_commands (server, 1),
                          HELO_LINE "QUIT\n");
  script_server_free (server);
}

int
main (void)
{
  static const TestEntry reply_tests[] = {
    { "split at every position", test_split_every_position },
    { "multi-line reply split", test_multi_line_split },
    { "drop at every byte", test_drop_at_every_byte },
    { "silent at each step", test_silent_each_step },
    { "421 at each step", test_421_each_step },
  };
  static const TestEntry data_tests[] = {
    { "reset during short data", test_reset_during_short_data },
    { "reset during large data", test_reset_during_large_data },
    { "send stall times out", test_send_stall_times_out },
  };
  static const TestEntry api_tests[] = {
    { "reply observer", test_reply_observer },
    { "loaded table applies", test_loaded_table_applies },
    { "QUIT before close", test_quit_before_close },
    { "cancel end-of-data wait", test_cancel_end_of_data_wait },
    { "cancel blocked send", test_cancel_blocked_send },
    { "cancel before command", test_cancel_before_command },
    { "QUIT after cancel bounded", test_quit_after_cancel_bounded },
  };
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  if (!add_suite ("/client-faults/replies", reply_tests,
                  G_N_ELEMENTS (reply_tests))
      || !add_suite ("/client-faults/data", data_tests,
                     G_N_ELEMENTS (data_tests))
      || !add_suite ("/client-faults/api", api_tests,
                     G_N_ELEMENTS (api_tests)))
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
