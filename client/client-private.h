/* client-private.h: internals shared by the files of libnaccs-client.
 *
 * Not installed.  The connection layer (client-io.c) moves bytes with
 * timeouts and reports what happened as a NaccsIoStatus; the session
 * (client.c) turns that into the NACCS_CLIENT_ERROR a caller sees, because
 * only the session knows which step was running.
 */
#pragma once

#include "naccs-client.h"
#include "reply-parser.h"

G_BEGIN_DECLS

/* Sets @error in NACCS_CLIENT_ERROR carrying @reply_code (0 for none). */
void naccs_error_set (GError **error, NaccsClientError code, guint reply_code,
                      const char *format, ...) G_GNUC_PRINTF (4, 5);

/* Sets an INVALID_MESSAGE error for @file that could not be read. */
void naccs_error_set_file (GError **error, GFile *file, const GError *cause);

/* Streaming message check; see message-check.c for the rules. */
typedef struct {
  guint line;          /* 1-based number of the line being read */
  gsize line_len;      /* octets of that line so far, CR included */
  guint64 total;       /* octets fed */
  gboolean pending_cr; /* the last octet fed was a CR */
} NaccsMessageCheck;

void naccs_message_check_init (NaccsMessageCheck *check);
gboolean naccs_message_check_feed (NaccsMessageCheck *check,
                                   const guint8 *data, gsize len,
                                   GError **error);
gboolean naccs_message_check_finish (NaccsMessageCheck *check, GError **error);

/* Action tables (action-table.c, action-table-yaml.c).  Sections are
 * indexed by NaccsClientStep, plus one for the "default" section.  Each slot
 * holds a NaccsClientAction, or -1 when no entry covers it. */
#define NACCS_ACTION_SECTION_DEFAULT (NACCS_CLIENT_STEP_QUIT + 1)
#define NACCS_ACTION_SECTION_COUNT (NACCS_ACTION_SECTION_DEFAULT + 1)
#define NACCS_ACTION_CODE_MIN 200
#define NACCS_ACTION_CODE_MAX 599

typedef struct {
  gint8 exact[NACCS_ACTION_CODE_MAX - NACCS_ACTION_CODE_MIN + 1];
  gint8 tens[(NACCS_ACTION_CODE_MAX - NACCS_ACTION_CODE_MIN + 1) / 10];
  gint8 hundreds[(NACCS_ACTION_CODE_MAX - NACCS_ACTION_CODE_MIN + 1) / 100];
} NaccsActionSection;

typedef enum {
  NACCS_ACTION_PATTERN_CODE,     /* 421 */
  NACCS_ACTION_PATTERN_TENS,     /* 45x: value 45 */
  NACCS_ACTION_PATTERN_HUNDREDS, /* 4xx: value 4 */
} NaccsActionPatternKind;

typedef struct {
  NaccsActionPatternKind kind;
  guint value;
} NaccsActionPattern;

gboolean naccs_action_from_string (const char *key, NaccsClientAction *action);
const char *naccs_action_section_key (guint section);
gboolean naccs_action_section_from_string (const char *key, guint *section);
gboolean naccs_action_step_expects (NaccsClientStep step, guint code);
gboolean naccs_action_pattern_parse (const char *text,
                                     NaccsActionPattern *pattern);
guint naccs_action_pattern_first_code (const NaccsActionPattern *pattern);
NaccsClientActionTable *naccs_action_table_new_empty (void);
NaccsClientActionTable *naccs_action_table_copy (
    const NaccsClientActionTable *table);
gboolean naccs_action_table_has (const NaccsClientActionTable *table,
                                 guint section,
                                 const NaccsActionPattern *pattern);
void naccs_action_table_set (NaccsClientActionTable *table, guint section,
                             const NaccsActionPattern *pattern,
                             NaccsClientAction action);

/* Loads a table from @data (@len bytes); @name starts every error message,
 * as "NAME:LINE:COLUMN: ...". */
NaccsClientActionTable *naccs_action_table_load_data (const char *name,
                                                      const char *data,
                                                      gsize len,
                                                      GError **error);

/* What a connection operation ended with. */
typedef enum {
  NACCS_IO_OK,
  NACCS_IO_TIMED_OUT, /* the deadline passed; waited_ms is the time waited */
  NACCS_IO_CLOSED,    /* the peer closed or reset the connection */
  NACCS_IO_CANCELLED, /* the GCancellable was cancelled */
  NACCS_IO_INVALID,   /* the peer sent something that is not a reply */
  NACCS_IO_FAILED,    /* any other local or network failure */
} NaccsIoStatus;

typedef struct _NaccsConnection NaccsConnection;

/* Result of a connection operation: the status, the time waited before a
 * timeout, and the underlying error for CLOSED, INVALID and FAILED. */
typedef struct {
  NaccsIoStatus status;
  gint64 waited_ms;
  GError *cause;
} NaccsIoResult;

void naccs_io_result_clear (NaccsIoResult *result);

/* Resolves @host and connects to the first address of it that accepts.  On
 * failure returns NULL and fills @result; RESOLVE and CONNECT failures are
 * reported through @resolve_failed and FAILED. */
NaccsConnection *naccs_connection_open (const char *host, guint16 port,
                                        guint connect_ms,
                                        GCancellable *cancellable,
                                        guint session_id,
                                        gboolean *resolve_failed,
                                        NaccsIoResult *result);
void naccs_connection_free (NaccsConnection *connection);

/* Returns "host:port", or "[v6]:port", of the peer, for messages. */
const char *naccs_connection_get_peer (const NaccsConnection *connection);

/* Replaces the GCancellable that wakes every wait (NULL: none), so that a
 * session can still send QUIT after its caller cancelled it. */
void naccs_connection_set_cancellable (NaccsConnection *connection,
                                       GCancellable *cancellable);

/* Appends @len bytes to the send buffer, sending it whenever it is full.
 * A send that cannot progress for @timeout_ms (0: no limit) times out. */
gboolean naccs_connection_write (NaccsConnection *connection,
                                 const guint8 *data, gsize len,
                                 guint timeout_ms, NaccsIoResult *result);

/* Sends everything buffered. */
gboolean naccs_connection_flush (NaccsConnection *connection,
                                 guint timeout_ms, NaccsIoResult *result);

/* Reads one complete reply with @parser within @timeout_ms (0: no limit)
 * and returns its code in *@code. */
gboolean naccs_connection_read_reply (NaccsConnection *connection,
                                      NaccsReplyParser *parser,
                                      guint timeout_ms, guint *code,
                                      NaccsIoResult *result);

/* What the client was doing when a connection operation failed. */
typedef enum {
  NACCS_PHASE_SEND,  /* sending a command */
  NACCS_PHASE_BODY,  /* sending the message data */
  NACCS_PHASE_REPLY, /* waiting for the reply to the step */
} NaccsPhase;

/* Returns the action for reply @code to @step from @table; unless it is
 * CONTINUE, sets @error (with the code) naming @peer and the step. */
NaccsClientAction naccs_outcome_of_reply (const NaccsClientActionTable *table,
                                          NaccsClientStep step, guint code,
                                          const char *peer, GError **error);

/* Returns the action for a failed connection operation and sets @error.
 * *@unknown is set to TRUE when the message's outcome is unknown. */
NaccsClientAction naccs_outcome_of_io (NaccsClientStep step, NaccsPhase phase,
                                       const NaccsIoResult *result,
                                       const char *peer, gboolean *unknown,
                                       GError **error);

G_END_DECLS
