/* session-commands.c: the default center, as NACCS table 4-3-13 and
 * figure 4-3-10 describe it, on top of RFC 5321.
 *
 * The commands come from one table: name, handler, and the states in which
 * the command is allowed.  A command outside its states gets 503, an
 * unknown one 500, a malformed argument 501; each handler first replies to
 * what is wrong with its argument, then lets the scenario rule change the
 * reply (naccs_sim_session_respond), and acts only when the reply actually
 * sent has a 2xx or 3xx code.  Default replies: greeting 220, HELO 250
 * with the center's name, MAIL 250, RCPT 250 for the center address and
 * 550 for any other, DATA 354, end of data 250 once the message is
 * spooled, RSET 250 back to the state right after HELO, NOOP 250, QUIT
 * 221 and close.
 *
 * EHLO gets 502 "command not implemented; use HELO".  The NACCS
 * specification lists HELO only, and RFC 5321 sections 3.2 and 4.1.4 let
 * a server without service extensions answer EHLO with 502 (or 500) and
 * stay in its state; a client that opens with EHLO is then expected to
 * fall back to HELO, which is exactly what a user system talking to a
 * HELO-only center must be able to do.  A scenario can still answer EHLO
 * with 250, which then counts as HELO.
 *
 * The recipient must equal the center address (NACCS@EDIFACT.PROD.NACCS6
 * by default) compared without regard to ASCII case in both the local part
 * and the domain: domains are case-insensitive, and the local part of the
 * center's address is written in upper case in the specification while
 * user systems are known to lower-case addresses, so an exact local part
 * would turn a harmless spelling into a rejected message.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include <string.h>

#include "session-private.h"

typedef void (*CommandHandler) (NaccsSimSession *session,
                                const char *verb,
                                const char *argument);

typedef struct {
  const char *name;
  CommandHandler handler;
  guint allowed;           /* bit mask of NaccsSimSessionState */
} Command;

#define IN(state) (1u << NACCS_SIM_STATE_##state)
#define AFTER_GREETING (IN (READY) | IN (HELO) | IN (MAIL) | IN (RCPT))
#define ALWAYS (AFTER_GREETING | IN (NO_SERVICE))

static gboolean
takes_effect (const NaccsSimSession *session, guint code)
{
  return !session->closed && code >= 200 && code < 400;
}

/* Parses "KEYWORD:<address>" (RFC 5321 section 4.1.1.2 and 4.1.1.3), also
 * tolerating spaces after the colon as most servers do.  Returns the
 * address inside the brackets, possibly empty, or NULL when malformed.
 * Parameters after ">" are malformed: without EHLO no extension applies. */
static char *
parse_path (const char *argument, const char *keyword)
{
  gsize keyword_len = strlen (keyword);
  const char *open;
  const char *close;

  if (argument == NULL
      || g_ascii_strncasecmp (argument, keyword, keyword_len) != 0)
    return NULL;
  open = argument + keyword_len;
  while (*open == ' ')
    open++;
  if (*open != '<')
    return NULL;
  close = strchr (open + 1, '>');
  if (close == NULL)
    return NULL;
  for (const char *p = close + 1; *p != '\0'; p++)
    if (*p != ' ')
      return NULL;
  for (const char *p = open + 1; p < close; p++)
    if (*p == '<' || *p == ' ' || (guchar) *p < 0x20)
      return NULL;
  return g_strndup (open + 1, (gsize) (close - open - 1));
}

static void
handle_helo (NaccsSimSession *session, const char *verb,
             const char *argument)
{
  guint code;

  if (argument == NULL)
    {
      naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                 argument, 501, "syntax: HELO domain");
      return;
    }
  code = naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                    argument, 250,
                                    session->env.config->greeting);
  if (takes_effect (session, code))
    naccs_sim_session_set_state (session, NACCS_SIM_STATE_HELO);
}

static void
handle_ehlo (NaccsSimSession *session, const char *verb,
             const char *argument)
{
  guint code = naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND,
                                          verb, argument, 502,
                                          "command not implemented; "
                                          "use HELO");

  if (takes_effect (session, code))
    naccs_sim_session_set_state (session, NACCS_SIM_STATE_HELO);
}

static void
handle_mail (NaccsSimSession *session, const char *verb,
             const char *argument)
{
  g_autofree char *address = parse_path (argument, "FROM:");
  guint code;

  if (address == NULL)
    {
      naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                 argument, 501,
                                 "syntax: MAIL FROM:<address>");
      return;
    }
  code = naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                    argument, 250, "OK");
  if (takes_effect (session, code))
    naccs_sim_session_set_state (session, NACCS_SIM_STATE_MAIL);
}

static void
handle_rcpt (NaccsSimSession *session, const char *verb,
             const char *argument)
{
  g_autofree char *address = parse_path (argument, "TO:");
  g_autofree char *rejection = NULL;
  const char *center = session->env.config->center_address;
  guint code;

  if (address == NULL || address[0] == '\0')
    {
      naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                 argument, 501, "syntax: RCPT TO:<address>");
      return;
    }
  if (g_ascii_strcasecmp (address, center) != 0)
    {
      rejection = g_strdup_printf ("no such recipient; the center accepts "
                                   "only <%s>", center);
      naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                 argument, 550, rejection);
      return;
    }
  code = naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                    argument, 250, "OK");
  if (takes_effect (session, code))
    naccs_sim_session_set_state (session, NACCS_SIM_STATE_RCPT);
}

static void
handle_data (NaccsSimSession *session, const char *verb,
             const char *argument)
{
  guint code;

  if (argument != NULL)
    {
      naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                 argument, 501, "syntax: DATA");
      return;
    }
  code = naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                    argument, 354,
                                    "start mail input; end with "
                                    "<CRLF>.<CRLF>");
  if (!takes_effect (session, code))
    return;
  /* Input handled after this point is message content, even when the
   * reply is still being written. */
  naccs_sim_session_begin_message (session);
  naccs_sim_session_set_state (session, NACCS_SIM_STATE_DATA);
}

static void
handle_rset (NaccsSimSession *session, const char *verb,
             const char *argument)
{
  guint code;

  if (argument != NULL)
    {
      naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                 argument, 501, "syntax: RSET");
      return;
    }
  code = naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                    argument, 250, "OK");
  /* Table 4-3-13: RSET returns to the state right after HELO; before HELO
   * there is no such state, so the session stays where it is. */
  if (takes_effect (session, code)
      && (session->state == NACCS_SIM_STATE_MAIL
          || session->state == NACCS_SIM_STATE_RCPT))
    naccs_sim_session_set_state (session, NACCS_SIM_STATE_HELO);
}

static void
handle_noop (NaccsSimSession *session, const char *verb,
             const char *argument)
{
  naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                             argument, 250, "OK");
}

static void
handle_quit (NaccsSimSession *session, const char *verb,
             const char *argument)
{
  if (argument != NULL)
    {
      naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                 argument, 501, "syntax: QUIT");
      return;
    }
  /* A 221 reply closes the session once it is written. */
  naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                             argument, 221, "closing connection");
}

static const Command commands[] = {
  { "HELO", handle_helo, AFTER_GREETING },
  { "EHLO", handle_ehlo, AFTER_GREETING },
  { "MAIL", handle_mail, IN (HELO) },
  { "RCPT", handle_rcpt, IN (MAIL) | IN (RCPT) },
  { "DATA", handle_data, IN (RCPT) },
  { "RSET", handle_rset, ALWAYS },
  { "NOOP", handle_noop, ALWAYS },
  { "QUIT", handle_quit, ALWAYS },
};

static const Command *
find_command (const char *verb)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_ascii_strcasecmp (commands[i].name, verb) == 0)
      return &commands[i];
  return NULL;
}

/* Returns the text of the 503 reply for a command out of sequence. */
static const char *
out_of_sequence_text (NaccsSimSessionState state)
{
  switch (state)
    {
    case NACCS_SIM_STATE_NO_SERVICE:
      return "no service; only QUIT is accepted";
    case NACCS_SIM_STATE_READY:
      return "bad sequence of commands; send HELO first";
    case NACCS_SIM_STATE_HELO:
      return "bad sequence of commands; send MAIL first";
    case NACCS_SIM_STATE_MAIL:
      return "bad sequence of commands; send RCPT first";
    case NACCS_SIM_STATE_RCPT:
      return "bad sequence of commands; send DATA or RCPT";
    default:
      return "bad sequence of commands";
    }
}

static void
dispatch_command (NaccsSimSession *session, const char *verb,
                  const char *argument)
{
  const Command *command = find_command (verb);

  if (command == NULL)
    {
      naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                 argument, 500,
                                 "syntax error, command unrecognized");
      return;
    }
  if ((command->allowed & (1u << session->state)) == 0)
    {
      naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, verb,
                                 argument, 503,
                                 out_of_sequence_text (session->state));
      return;
    }
  command->handler (session, verb, argument);
}

static NaccsSimEvent *
record_line_in (NaccsSimSession *session, char *text, gint64 at_us,
                gboolean early)
{
  NaccsSimEvent *event = naccs_sim_session_record (session,
                                                   NACCS_SIM_EVENT_LINE_IN,
                                                   at_us, text, 0);

  event->early = early;
  naccs_sim_session_transcribe (session, event);
  NACCS_SIM_DEBUG ("session=%s event=line-in early=%d text=\"%s\"",
                   session->name, early, event->text);
  session->commands++;
  return event;
}

void
naccs_sim_session_handle_line (NaccsSimSession *session,
                               const guint8 *line,
                               gsize len,
                               gint64 at_us,
                               gboolean early)
{
  gsize content_len = len >= 2 && line[len - 2] == '\r' ? len - 2 : len - 1;
  g_autofree char *content = NULL;
  char *space;
  const char *argument = NULL;

  /* A line ended by a bare LF keeps it, escaped, in the event text, so
   * the checks can see it; the command is still understood. */
  record_line_in (session,
                  naccs_sim_escape (line, content_len == len - 2 ? len - 2
                                                                 : len),
                  at_us, early);
  if (session->state == NACCS_SIM_STATE_SILENT)
    return;

  if (memchr (line, '\0', content_len) != NULL)
    {
      naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_COMMAND, "",
                                 NULL, 500, "syntax error, NUL in command");
      return;
    }

  content = g_strndup ((const char *) line, content_len);
  space = strchr (content, ' ');
  if (space != NULL)
    {
      *space = '\0';
      argument = space + 1;
      while (*argument == ' ')
        argument++;
      if (*argument == '\0')
        argument = NULL;
    }
  dispatch_command (session, content, argument);
}

void
naccs_sim_session_handle_long_line (NaccsSimSession *session,
                                    const char *escaped_start,
                                    guint64 octets,
                                    gint64 at_us,
                                    gboolean early)
{
  guint limit = session->env.config->max_line_length;
  NaccsSimEvent *event;

  record_line_in (session, g_strdup (escaped_start), at_us, early);
  g_warning ("session=%s event=limit limit=line-length octets=%"
             G_GUINT64_FORMAT " max=%u", session->name, octets, limit);
  event = naccs_sim_session_record (session, NACCS_SIM_EVENT_LIMIT,
                                    naccs_sim_session_now (session),
                                    g_strdup_printf ("line too long: %"
                                                     G_GUINT64_FORMAT
                                                     " octets, maximum %u; "
                                                     "the command line "
                                                     "shows its start",
                                                     octets, limit), 0);
  event->max_line_octets = (guint) MIN (octets, G_MAXUINT);
  if (session->state == NACCS_SIM_STATE_SILENT)
    return;
  naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_LONG_LINE, NULL,
                             NULL, 500, "line too long");
}

void
naccs_sim_session_greet (NaccsSimSession *session, gboolean turn_away)
{
  const NaccsSimConfig *config = session->env.config;
  g_autofree char *busy = NULL;
  guint code;

  if (turn_away)
    {
      g_warning ("session=%s event=limit limit=max-connections max=%u",
                 session->name, config->max_connections);
      naccs_sim_session_record (session, NACCS_SIM_EVENT_LIMIT, 0,
                                g_strdup_printf ("max-connections %u reached",
                                                 config->max_connections), 0);
      busy = g_strdup_printf ("%s too many connections; try again later",
                              config->greeting);
      naccs_sim_session_set_state (session, NACCS_SIM_STATE_NO_SERVICE);
      naccs_sim_session_reply_action (session, NULL, 421, busy);
      return;
    }

  code = naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_CONNECT, NULL,
                                    NULL, 220, config->greeting);
  naccs_sim_session_set_state (session, code >= 200 && code < 300
                                        ? NACCS_SIM_STATE_READY
                                        : NACCS_SIM_STATE_NO_SERVICE);
}

void
naccs_sim_session_handle_idle (NaccsSimSession *session)
{
  gint64 silent_ms = (naccs_sim_session_now (session)
                      - session->reply_done_us) / 1000;

  g_info ("session=%s event=idle-timeout silent_ms=%" G_GINT64_FORMAT,
          session->name, silent_ms);
  naccs_sim_session_record (session, NACCS_SIM_EVENT_IDLE_TIMEOUT,
                            naccs_sim_session_now (session),
                            g_strdup_printf ("no command for %" G_GINT64_FORMAT
                                             " ms after the last reply",
                                             silent_ms), 0);
  naccs_sim_session_respond (session, NACCS_SIM_TRIGGER_IDLE, NULL, NULL,
                             421, "idle timeout, closing connection");
}
