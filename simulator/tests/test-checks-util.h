/* test-checks-util.h: builds event lists for the check and report tests
 * from a compact script, as a broken or conforming client would produce
 * them.
 *
 * Each script line is "<ms> <what> [text]":
 *   connect              CONNECT, starts a new connection
 *   < 250 text           REPLY with code 250 and text "250 text"
 *   > HELO x             LINE_IN "HELO x"
 *   >! MAIL ...          LINE_IN that arrived early
 *   msg F1               MESSAGE whose body is fixture 1 (F1..F3)
 *   msg=bytes            MESSAGE whose body is the bytes after "="
 *   closed | reset | server-closed [text] | idle
 *   action text | limit text | after-close text
 *   after-close! text    INPUT_AFTER_CLOSE_REPLY marked early
 * Line statistics of a MESSAGE are computed from its body.
 */
#pragma once

#include <string.h>

#include <glib.h>

#include "checks.h"

#define FIXTURE_1 "HDR1\r\n.dotline\r\nbody\r\n"
#define FIXTURE_2 "HDR2\r\nplain\r\n"
#define FIXTURE_3 "HDR3\r\n.\r\ntail\r\n"

static const char *const test_fixtures[] = { FIXTURE_1, FIXTURE_2, FIXTURE_3 };

static void
test_message_stats (NaccsSimEvent *event)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (event->body, &size);
  const char *p = data, *end = data + size;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      gsize len = nl != NULL ? (gsize) (nl - p) + 1 : (gsize) (end - p);
      gboolean crlf = nl != NULL && len >= 2 && p[len - 2] == '\r';

      event->line_count++;
      if (len > event->max_line_octets)
        event->max_line_octets = (guint) len;
      if (len > 1000 && event->first_long_line == 0)
        event->first_long_line = event->line_count;
      if ((!crlf || memchr (p, '\r', len - (crlf ? 2 : 0)) != NULL)
          && event->first_bare_line == 0 && nl != NULL)
        event->first_bare_line = event->line_count;
      if (*p == '.')
        event->dot_lines++;
      p += len;
    }
}

/* "msg F1".."msg F3": a fixture; "msg L": a line of 1001 octets with its
 * CRLF; "msg M": a line of exactly 1000; "msg=...": the bytes given. */
static GBytes *
test_message_body (const char *what)
{
  GString *body;

  if (what[3] == '=')
    return g_bytes_new (what + 4, strlen (what + 4));
  if (what[4] == 'F')
    return g_bytes_new_static (test_fixtures[what[5] - '1'],
                               strlen (test_fixtures[what[5] - '1']));
  body = g_string_new ("HDR1\r\n");
  for (guint i = 0; i < (what[4] == 'L' ? 999u : 998u); i++)
    g_string_append_c (body, 'x');
  g_string_append (body, "\r\n");
  return g_string_free_to_bytes (body);
}

static NaccsSimEvent *
test_event_parse (const char *line, guint *message_seq)
{
  NaccsSimEvent *event = g_new0 (NaccsSimEvent, 1);
  char *rest = NULL;
  const char *what;

  event->at_us = (gint64) g_ascii_strtoull (line, &rest, 10) * 1000;
  what = rest + 1;

  if (g_str_has_prefix (what, "connect"))
    event->kind = NACCS_SIM_EVENT_CONNECT;
  else if (g_str_has_prefix (what, "< "))
    {
      event->kind = NACCS_SIM_EVENT_REPLY;
      event->reply_code = (guint) g_ascii_strtoull (what + 2, NULL, 10);
      event->text = g_strdup (what + 2);
    }
  else if (g_str_has_prefix (what, ">! "))
    {
      event->kind = NACCS_SIM_EVENT_LINE_IN;
      event->early = TRUE;
      event->text = g_strdup (what + 3);
    }
  else if (g_str_has_prefix (what, "> "))
    {
      event->kind = NACCS_SIM_EVENT_LINE_IN;
      event->text = g_strdup (what + 2);
    }
  else if (g_str_has_prefix (what, "msg"))
    {
      event->kind = NACCS_SIM_EVENT_MESSAGE;
      event->message_seq = ++*message_seq;
      event->body = test_message_body (what);
      event->text = g_strdup_printf ("message %u", event->message_seq);
      test_message_stats (event);
    }
  else if (g_str_has_prefix (what, "closed"))
    event->kind = NACCS_SIM_EVENT_CLIENT_CLOSED;
  else if (g_str_has_prefix (what, "reset"))
    event->kind = NACCS_SIM_EVENT_CLIENT_RESET;
  else if (g_str_has_prefix (what, "server-closed"))
    {
      event->kind = NACCS_SIM_EVENT_SERVER_CLOSED;
      if (what[13] == ' ')
        event->text = g_strdup (what + 14);
    }
  else if (g_str_has_prefix (what, "idle"))
    event->kind = NACCS_SIM_EVENT_IDLE_TIMEOUT;
  else if (g_str_has_prefix (what, "action "))
    {
      event->kind = NACCS_SIM_EVENT_ACTION;
      event->text = g_strdup (what + 7);
    }
  else if (g_str_has_prefix (what, "limit "))
    {
      event->kind = NACCS_SIM_EVENT_LIMIT;
      event->text = g_strdup (what + 6);
      /* As the session does, a long command line carries its octets. */
      if (g_str_has_prefix (event->text, "line too long: "))
        event->max_line_octets = (guint) g_ascii_strtoull (event->text + 15,
                                                           NULL, 10);
    }
  else if (g_str_has_prefix (what, "after-close "))
    {
      event->kind = NACCS_SIM_EVENT_INPUT_AFTER_CLOSE_REPLY;
      event->text = g_strdup (what + 12);
    }
  else if (g_str_has_prefix (what, "after-close! "))
    {
      event->kind = NACCS_SIM_EVENT_INPUT_AFTER_CLOSE_REPLY;
      event->early = TRUE;
      event->text = g_strdup (what + 13);
    }
  else
    g_error ("bad test script line: %s", line);
  return event;
}

/* Returns a GPtrArray of connections (each a GPtrArray of events) that
 * frees everything when unreffed. */
static GPtrArray *
test_build_connections (const char *const *script)
{
  GPtrArray *connections = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *current = NULL;
  guint message_seq = 0;

  for (gsize i = 0; script[i] != NULL; i++)
    {
      NaccsSimEvent *event = test_event_parse (script[i], &message_seq);

      if (event->kind == NACCS_SIM_EVENT_CONNECT || current == NULL)
        {
          current = g_ptr_array_new_with_free_func ((GDestroyNotify) naccs_sim_event_free);
          g_ptr_array_add (connections, current);
          message_seq = 0;
        }
      g_ptr_array_add (current, event);
    }
  return connections;
}

/* Context with the test's assigned domain and address and `n_fixtures`
 * of the fixtures above.  The connections stay owned by `connections`. */
static NaccsSimCheckContext *
test_build_context (GPtrArray *connections, guint n_fixtures)
{
  NaccsSimCheckContext *context = naccs_sim_check_context_new ();

  context->helo_domain = g_strdup ("user.example.jp");
  context->mail_from = g_strdup ("user@user.example.jp");
  for (guint i = 0; i < n_fixtures; i++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_static (test_fixtures[i],
                                                     strlen (test_fixtures[i]));
      g_autofree char *path = g_strdup_printf ("fixtures/f%u.txt", i + 1);

      g_ptr_array_add (context->messages,
                       naccs_sim_expected_message_new (path, bytes));
    }
  for (guint i = 0; i < connections->len; i++)
    g_ptr_array_add (context->connections, g_ptr_array_index (connections, i));
  return context;
}
