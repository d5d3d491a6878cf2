/* script-server.h: a scripted SMTP server for the client's fault tests.
 *
 * It runs in a thread of the test, binds 127.0.0.1 on a free port, serves
 * connections one after another and answers like a well-behaved center
 * mail server, except where a rule of the test's script says otherwise:
 * on the n-th occurrence of an event on the m-th connection it replies
 * with other text, cuts the reply after some bytes and closes, resets the
 * connection, stays silent, or splits the reply across two writes.  It
 * records every command line and every message that reached its ".", so
 * a test can prove that nothing was lost or sent twice.  This tests the
 * client only: the server is deliberately simple.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  FAULT_REPLY,  /* reply with @text instead of the default */
  FAULT_CUT,    /* send the first @bytes of the reply, then close */
  FAULT_RESET,  /* reset the connection (RST) instead of replying; for
                 * EVENT_BODY, after reading @bytes of the message */
  FAULT_SILENT, /* never reply; wait until the client closes */
  FAULT_SPLIT,  /* send the reply in two writes split at @bytes */
  FAULT_STALL,  /* for EVENT_BODY: stop reading the message for @bytes
                 * milliseconds, then close */
} FaultKind;

typedef enum {
  EVENT_GREETING,
  EVENT_HELO,
  EVENT_MAIL,
  EVENT_RCPT,
  EVENT_DATA,
  EVENT_BODY, /* the message data, before its "." */
  EVENT_DOT,  /* the final "." */
  EVENT_RSET,
  EVENT_QUIT,
  EVENT_COUNT,
} ScriptEvent;

typedef struct {
  guint connection; /* 1 for the first connection; 0 for every one */
  ScriptEvent event;
  guint occurrence; /* 1 for the first on that connection; 0 for every one */
  FaultKind kind;
  gsize bytes;      /* for CUT, SPLIT and RESET during the body */
  const char *text; /* for REPLY; used as the reply for CUT and SPLIT too
                     * when not NULL */
} ScriptRule;

/* One message that reached its "." on the server. */
typedef struct {
  guint connection;
  char *id;      /* the value of the message's "ID " line */
  gboolean acked; /* a complete 250 was written for it */
  gboolean stored; /* the reply was not an explicit rejection */
} ScriptDelivery;

typedef struct _ScriptServer ScriptServer;

/* Starts a server that follows @rules (@n_rules of them). */
ScriptServer *script_server_start (const ScriptRule *rules, gsize n_rules);

guint16 script_server_port (const ScriptServer *server);

/* Stops the server once the current connection has ended and waits for
 * its thread. */
void script_server_stop (ScriptServer *server);
void script_server_free (ScriptServer *server);

/* After stop: the number of connections served. */
guint script_server_connections (const ScriptServer *server);

/* After stop: the command lines of connection @number (1-based), each
 * ending in "\n"; the message data shows as one line "<data>". */
const char *script_server_commands (const ScriptServer *server, guint number);

/* After stop: the deliveries in order. */
GPtrArray *script_server_deliveries (const ScriptServer *server);

/* After stop: how many deliveries of message @id were stored, and how many
 * of them acknowledged with 250. */
guint script_server_count_stored (const ScriptServer *server, const char *id);
guint script_server_count_acked (const ScriptServer *server, const char *id);

/* Returns the default reply the server sends for @event. */
const char *script_server_default_reply (ScriptEvent event);

/* Returns the message with "ID @id" and @body_lines lines of filler, each
 * @line_len octets long with its CRLF, as a new string. */
char *script_message (const char *id, guint body_lines, gsize line_len);

G_END_DECLS
