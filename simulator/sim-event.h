/* sim-event.h: what a naccs-sim session records and what a scenario makes
 * it do.
 *
 * Two records tie the parts of naccs-sim together.  A session (session.c)
 * appends a NaccsSimEvent for everything that happens on its connection; the
 * checks (checks.c) judge the client from that list alone, so a verdict can
 * always cite the events that decided it.  A scenario rule (scenario.c)
 * yields a NaccsSimAction, which the session's reply writer carries out in
 * place of the default center reply.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  NACCS_SIM_EVENT_CONNECT,        /* TCP connection accepted */
  NACCS_SIM_EVENT_LINE_IN,        /* one command line from the client */
  NACCS_SIM_EVENT_REPLY,          /* one whole reply, all its lines written */
  NACCS_SIM_EVENT_MESSAGE,        /* end of data seen; the message is decoded */
  NACCS_SIM_EVENT_LIMIT,          /* a limit was hit (line length, size, ...) */
  NACCS_SIM_EVENT_ACTION,         /* a scenario action: stall, drop, silence */
  NACCS_SIM_EVENT_IDLE_TIMEOUT,   /* the server closed an idle connection */
  NACCS_SIM_EVENT_INPUT_AFTER_CLOSE_REPLY, /* bytes after 221 or 421 */
  NACCS_SIM_EVENT_CLIENT_CLOSED,  /* EOF from the client */
  NACCS_SIM_EVENT_CLIENT_RESET,   /* connection reset or other read error */
  NACCS_SIM_EVENT_SERVER_CLOSED,  /* the server closed the connection */
} NaccsSimEventKind;

typedef struct {
  NaccsSimEventKind kind;
  gint64 at_us;          /* microseconds since the connection was accepted;
                            for LINE_IN and INPUT_AFTER_CLOSE_REPLY the
                            time its last byte was received */
  char *text;            /* LINE_IN: the line without CRLF, escaped
                            (non-printable bytes as \xHH);
                            INPUT_AFTER_CLOSE_REPLY: its first 64 bytes
                            or fewer, escaped;
                            REPLY: the reply lines joined by "\n", escaped;
                            others: a short English description for logs */
  guint reply_code;      /* REPLY: the 3-digit code sent */
  gboolean early;        /* LINE_IN, INPUT_AFTER_CLOSE_REPLY: arrived
                            before the previous reply had been completely
                            written */
  /* MESSAGE only: */
  guint message_seq;     /* 1-based sequence number within the session */
  GBytes *body;          /* decoded bytes (dummy dots removed); NULL unless
                            the session keeps bodies (scenario runs) */
  char *spool_path;      /* nullable: where the message was spooled */
  guint line_count;      /* lines in the message as received */
  guint max_line_octets; /* longest line, CRLF included, as received;
                            LIMIT of a command line: that line's octets */
  guint first_long_line; /* 1-based number of the first line over 1000
                            octets with its CRLF, 0 if none; a dummy dot
                            is not counted (RFC 5321 4.5.3.1.6) */
  guint first_bare_line; /* 1-based number of the first line holding a bare
                            CR or LF, 0 if none */
  guint dot_lines;       /* lines that began with "." as received */
} NaccsSimEvent;

void naccs_sim_event_free (NaccsSimEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsSimEvent, naccs_sim_event_free)

/* What to do in place of the default reply.  Fields left at zero keep the
 * default behaviour, so an action that only sets stall_ms delays the usual
 * reply. */
typedef enum {
  NACCS_SIM_AFTER_CONTINUE,  /* keep the session going */
  NACCS_SIM_AFTER_CLOSE,     /* close cleanly (FIN) after the reply */
  NACCS_SIM_AFTER_RESET,     /* abort with RST (SO_LINGER 0) after the reply */
  NACCS_SIM_AFTER_SILENCE,   /* keep the socket open, never reply again */
} NaccsSimAfter;

typedef struct {
  gboolean has_reply;    /* FALSE: send the default center reply */
  gboolean no_reply;     /* TRUE: send nothing at all for this event */
  guint code;            /* 100..599 when has_reply */
  GPtrArray *lines;      /* char *: reply text lines, may be empty; sent as
                            "CODE-line" ... "CODE line"; may hold any UTF-8 */
  char *raw;             /* nullable: exact bytes to send instead of a
                            formatted reply (for malformed replies) */
  guint stall_ms;        /* wait before the first byte */
  guint dribble_bytes;   /* >0: write this many bytes at a time */
  guint dribble_interval_ms;
  guint split_at;        /* >0: write the first split_at bytes, then the rest
                            in a second write after split_interval_ms */
  guint split_interval_ms;
  guint partial_bytes;   /* >0: write only this many bytes of the reply,
                            then behave as after */
  NaccsSimAfter after;
} NaccsSimAction;

NaccsSimAction *naccs_sim_action_new (void);
NaccsSimAction *naccs_sim_action_copy (const NaccsSimAction *action);
void naccs_sim_action_free (NaccsSimAction *action);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsSimAction, naccs_sim_action_free)

/* Escapes @len bytes for NaccsSimEvent.text and transcripts: printable
 * ASCII other than the backslash is kept, every other byte becomes \xHH
 * (upper-case hex).  Returns a new string. */
char *naccs_sim_escape (const void *bytes, gsize len);

/* Appends the escaped form of @len bytes to @out, as naccs_sim_escape(). */
void naccs_sim_escape_append (GString *out, const void *bytes, gsize len);

G_END_DECLS
