/* naccs-client.h: reference client for the NACCS mail method.
 *
 * libnaccs-client sends processing-request messages to a NACCS center mail
 * server over SMTP in the order of figure 4-3-10 of the NACCS EDI
 * specification: read 220, HELO, then for each message MAIL FROM, RCPT TO,
 * DATA, the dot-stuffed message and ".", then QUIT.  Calls block, and every
 * phase has its own timeout, because gateways are usually written that way.
 * Only the 3-digit reply code is read; reply text never changes behaviour.
 *
 * Threading: one NaccsClient is used by one thread at a time.  The only call
 * that may come from another thread is g_cancellable_cancel() on the
 * GCancellable given to naccs_client_new().
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Error domain of every GError set by this library.  Errors caused by a reply
 * carry its 3-digit code, see naccs_client_error_get_reply_code(). */
#define NACCS_CLIENT_ERROR (naccs_client_error_quark ())
GQuark naccs_client_error_quark (void);

/* What went wrong, grouped by what the caller can do about it. */
typedef enum {
  NACCS_CLIENT_ERROR_RESOLVE,            /* host name not found: fix the name */
  NACCS_CLIENT_ERROR_CONNECT,            /* TCP connect failed: retry later */
  NACCS_CLIENT_ERROR_TIMED_OUT,          /* a phase timed out; connection closed */
  NACCS_CLIENT_ERROR_CONNECTION_LOST,    /* peer closed or reset the connection */
  NACCS_CLIENT_ERROR_BAD_REPLY,          /* not an SMTP reply; connection closed */
  NACCS_CLIENT_ERROR_SERVICE_CLOSING,    /* 421: connection closed, reconnect later */
  NACCS_CLIENT_ERROR_REJECTED_TEMPORARY, /* other 4xx: RSET and retry later */
  NACCS_CLIENT_ERROR_REJECTED_PERMANENT, /* 5xx: do not resend unchanged */
  NACCS_CLIENT_ERROR_INVALID_MESSAGE,    /* message cannot be sent faithfully */
  NACCS_CLIENT_ERROR_OUTCOME_UNKNOWN,    /* lost after "." before the reply */
  NACCS_CLIENT_ERROR_CANCELLED,          /* the GCancellable was cancelled */
  NACCS_CLIENT_ERROR_STATE,              /* call not allowed in this session state */
  NACCS_CLIENT_ERROR_INVALID_TABLE,      /* action table file rejected */
  NACCS_CLIENT_ERROR_INVALID_ARGUMENT,   /* HELO domain or address rejected
                                          * before anything was sent */
} NaccsClientError;

/* Returns the 3-digit reply code carried by @error, or 0 when @error is not
 * in NACCS_CLIENT_ERROR or was not caused by a reply. */
guint naccs_client_error_get_reply_code (const GError *error);

/* Steps of the sequence, used in errors, timeouts and reports. */
typedef enum {
  NACCS_CLIENT_STEP_CONNECT,
  NACCS_CLIENT_STEP_GREETING,
  NACCS_CLIENT_STEP_HELO,
  NACCS_CLIENT_STEP_MAIL,
  NACCS_CLIENT_STEP_RCPT,
  NACCS_CLIENT_STEP_DATA,
  NACCS_CLIENT_STEP_DATA_END, /* the reply to the final "." */
  NACCS_CLIENT_STEP_RSET,
  NACCS_CLIENT_STEP_QUIT,
} NaccsClientStep;

/* Returns the command name of @step ("HELO", "DATA", "end of data", ...),
 * translated where it is not a command. */
const char *naccs_client_step_name (NaccsClientStep step);

/* Returns the stable ASCII key of @step, as action tables and JSON reports
 * write it: "connect", "greeting", "helo", "mail", "rcpt", "data",
 * "data-end", "rset" or "quit". */
const char *naccs_client_step_to_string (NaccsClientStep step);

/* What the client does after a reply, a timeout or a lost connection. */
typedef enum {
  NACCS_CLIENT_ACTION_CONTINUE,        /* go on with the next step */
  NACCS_CLIENT_ACTION_RETRY_LATER,     /* RSET; send the message again later */
  NACCS_CLIENT_ACTION_RECONNECT,       /* QUIT if usable, close, reconnect, resume */
  NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE, /* RSET; report it, never resend it */
  NACCS_CLIENT_ACTION_GIVE_UP_SESSION, /* QUIT unless closed; stop sending */
} NaccsClientAction;

/* Returns the stable ASCII key of @action: "continue", "retry-later",
 * "reconnect", "give-up-message" or "give-up-session". */
const char *naccs_client_action_to_string (NaccsClientAction action);

/* Action table: maps (step, reply code) to a NaccsClientAction.  Entries are
 * exact codes (421) or classes (4xx, 45x) per step, plus a "default" section
 * for every step.  A lookup takes the first match in this order: the step's
 * exact code, its NNx class, its Nxx class, then the same three in the
 * default section, and finally the RFC 5321 classes (2xx and 3xx continue,
 * 421 reconnect, other 4xx retry-later, 5xx give-up-message).  Two rules
 * hold whatever a table says: the code a step waits for (220, 250, 251 for
 * RCPT, 354 for DATA, 221 for QUIT) continues, and "continue" for any other
 * code, or a code outside 200..599, becomes RECONNECT, because client and
 * server no longer agree on the state.  A table is immutable once built. */
typedef struct _NaccsClientActionTable NaccsClientActionTable;

/* Creates the default table; client/action-table.example.yaml contains
 * the same entries. */
NaccsClientActionTable *naccs_client_action_table_new_default (void);

/* Loads a table from the YAML file @path.  The file's entries replace the
 * default table; the RFC 5321 classes still apply to codes it leaves out.
 * Errors are NACCS_CLIENT_ERROR_INVALID_TABLE, with messages of the form
 * "PATH:LINE:COLUMN: what is wrong; what is allowed". */
NaccsClientActionTable *naccs_client_action_table_load_file (const char *path,
                                                             GError **error);
void naccs_client_action_table_free (NaccsClientActionTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsClientActionTable,
                               naccs_client_action_table_free)

/* Returns the action for reply @code to @step. */
NaccsClientAction naccs_client_action_table_lookup (
    const NaccsClientActionTable *table, NaccsClientStep step, guint code);

/* Timeouts in milliseconds; 0 means wait without limit. */
typedef struct {
  guint connect_ms;   /* TCP connect, per address tried */
  guint greeting_ms;  /* the 220 greeting */
  guint reply_ms;     /* the reply to HELO, MAIL, RCPT, DATA, RSET, QUIT */
  guint data_end_ms;  /* the reply to the final "." */
  guint send_ms;      /* a send that makes no progress (peer not reading) */
} NaccsClientTimeouts;

/* Defaults: connect 30 s, greeting 300 s, reply 300 s, end of data 600 s,
 * after the minimums of RFC 5321 section 4.5.3.2, and a send stall of 180 s,
 * the 3 minutes that section suggests for a data block. */
void naccs_client_timeouts_init_default (NaccsClientTimeouts *timeouts);

typedef struct _NaccsClient NaccsClient;

/* Creates a client.  @cancellable (nullable) aborts any blocking call from
 * another thread. */
NaccsClient *naccs_client_new (const NaccsClientTimeouts *timeouts,
                               GCancellable *cancellable);
void naccs_client_free (NaccsClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsClient, naccs_client_free)

/* Optional observer of every line in and out, for transcripts and
 * --verbose.  @outgoing is TRUE for lines the client sends.  Message body
 * lines are not passed, only a count after the end of data. */
typedef void (*NaccsClientTraceFunc) (gboolean outgoing, const char *line,
                                      gpointer user_data);
void naccs_client_set_trace (NaccsClient *client, NaccsClientTraceFunc func,
                             gpointer user_data);

/* Replaces the action table (a copy is kept; NULL restores the default). */
void naccs_client_set_action_table (NaccsClient *client,
                                    const NaccsClientActionTable *table);

/* One reply, or the failure that stands in for it, and what the client did.
 * @reply_code is 0 when no complete reply came (timeout, lost connection,
 * not a reply, cancelled); @error is NULL when @action is CONTINUE.
 * @elapsed_ms runs from the start of the step (connect, or sending the
 * command or the final ".") to the reply or the failure. */
typedef struct {
  guint connection;         /* 1 for the first connect of this client, ... */
  NaccsClientStep step;
  guint reply_code;
  NaccsClientAction action;
  gint64 elapsed_ms;
  const GError *error;
} NaccsClientReply;

/* Optional observer called once per step outcome, for reports. */
typedef void (*NaccsClientReplyFunc) (const NaccsClientReply *reply,
                                      gpointer user_data);
void naccs_client_set_reply_func (NaccsClient *client,
                                  NaccsClientReplyFunc func,
                                  gpointer user_data);

/* How the calls below act on the action table: each returns TRUE only when
 * the step's action is CONTINUE.  Otherwise the error describes what happened
 * and naccs_client_get_last_action() returns what to do.  The library closes the
 * connection itself for RECONNECT and for a refused greeting, sending QUIT
 * first (RFC 5321 sections 3.8 and 4.1.1.10) and reporting it to the reply
 * observer as a QUIT step.  It closes without QUIT after 421 (the server is
 * closing, so nothing more may be sent), a reply that does not fit the step,
 * a timeout, a lost connection, and a cancel that interrupted a wait or a
 * send.  A cancel seen before a command goes out fails with CANCELLED and
 * GIVE_UP_SESSION and leaves the connection open.  For RETRY_LATER and
 * GIVE_UP_MESSAGE the caller sends RSET; for GIVE_UP_SESSION it sends QUIT if
 * still connected. */

/* Resolves @host (a name or an IPv4/IPv6 literal), connects to @port and
 * reads the greeting.  Succeeds only on 220; after any other complete reply
 * it sends QUIT and closes. */
gboolean naccs_client_connect (NaccsClient *client, const char *host,
                               guint16 port, GError **error);

/* Sends HELO @domain; succeeds on 250.  @domain must pass
 * naccs_client_validate_domain(); otherwise the call fails with
 * NACCS_CLIENT_ERROR_INVALID_ARGUMENT and GIVE_UP_SESSION, sending
 * nothing. */
gboolean naccs_client_helo (NaccsClient *client, const char *domain,
                            GError **error);

/* Checks that @domain is a Domain or an address-literal of RFC 5321
 * section 4.1.2: labels of letters, digits and "-" (not first or last)
 * separated by dots, each at most 63 octets and 255 in all, or
 * [IPv4] or [IPv6:IPv6].  Anything else, above all CR, LF and other control
 * characters that would end the command early, fails with
 * NACCS_CLIENT_ERROR_INVALID_ARGUMENT; the message shows the value with
 * control characters escaped and names the first character not allowed
 * and what is allowed. */
gboolean naccs_client_validate_domain (const char *domain, GError **error);

/* Checks that @address is a Mailbox of RFC 5321 section 4.1.2, as it goes
 * between the angle brackets of MAIL FROM and RCPT TO: a Dot-string local
 * part of at most 64 octets, "@", and a domain as
 * naccs_client_validate_domain() accepts it, 254 octets in all.  Rejected
 * with NACCS_CLIENT_ERROR_INVALID_ARGUMENT: the empty address (the null
 * reverse-path <> is for delivery notifications, which a user system
 * never sends), quoted local parts, source routes, non-ASCII octets,
 * spaces, "<", ">" and control characters. */
gboolean naccs_client_validate_address (const char *address, GError **error);

/* Checks that @message can be sent faithfully: every line within 1000 octets
 * including its CRLF, and no CR or LF outside a CRLF pair.  On failure the
 * error is NACCS_CLIENT_ERROR_INVALID_MESSAGE and names the line number. */
gboolean naccs_client_validate_message (GBytes *message, GError **error);

/* Same check over a file, streamed, without loading it whole. */
gboolean naccs_client_validate_file (GFile *file, GError **error);

/* Sends one message: MAIL FROM:<@from>, RCPT TO:<@to>, DATA, the message
 * with dummy dots added, and ".".  @from and @to are checked with
 * naccs_client_validate_address() and the message is validated before MAIL
 * is sent, so an invalid address (INVALID_ARGUMENT) or message
 * (INVALID_MESSAGE) puts nothing on the wire and gives GIVE_UP_MESSAGE.
 * Succeeds only when the final "." got 250. */
gboolean naccs_client_send_message (NaccsClient *client, const char *from,
                                    const char *to, GBytes *message,
                                    GError **error);

/* Same as naccs_client_send_message() for a file, streamed from disk: the
 * file is read once to validate it and once to send it. */
gboolean naccs_client_send_file (NaccsClient *client, const char *from,
                                 const char *to, GFile *file, GError **error);

/* Sends RSET; succeeds on 250.  The session returns to the state right
 * after HELO. */
gboolean naccs_client_rset (NaccsClient *client, GError **error);

/* Sends QUIT, reads 221 and closes the connection.  After the GCancellable
 * was cancelled, QUIT still goes out and waits at most 2 seconds for its
 * reply (or the reply timeout, if shorter). */
gboolean naccs_client_quit (NaccsClient *client, GError **error);

/* Closes the connection without QUIT.  Safe to call at any time. */
void naccs_client_close (NaccsClient *client);

/* Returns TRUE while a connection is open. */
gboolean naccs_client_is_connected (NaccsClient *client);

/* Returns the code of the last complete reply read, or 0 if none. */
guint naccs_client_get_last_reply_code (NaccsClient *client);

/* Returns the action taken after the last step; CONTINUE before any. */
NaccsClientAction naccs_client_get_last_action (NaccsClient *client);

/* Returns TRUE when the last message sent reached the end of data but its
 * reply never came (timeout or lost connection after the final "."), so the
 * center may or may not have accepted it. */
gboolean naccs_client_last_outcome_unknown (NaccsClient *client);

/* Streaming dot-stuffing encoder.  Feed a message in chunks of any size;
 * @write receives the bytes to put on the wire: every line that begins with
 * "." gets a second "." in front, and naccs_client_dot_encoder_finish() adds
 * a CRLF when the message does not end with one, then ".\r\n".  It keeps
 * only a few bytes of state, so a message of any size streams through.
 * @write gets pieces of at most 2 KiB, so a writer should buffer them. */
typedef gboolean (*NaccsClientWriteFunc) (const guint8 *data, gsize len,
                                          gpointer user_data, GError **error);

typedef struct {
  gboolean at_line_start;
  gboolean last_was_cr;
  gboolean empty;
} NaccsClientDotEncoder;

void naccs_client_dot_encoder_init (NaccsClientDotEncoder *encoder);
gboolean naccs_client_dot_encoder_feed (NaccsClientDotEncoder *encoder,
                                        const guint8 *data, gsize len,
                                        NaccsClientWriteFunc write,
                                        gpointer user_data, GError **error);
gboolean naccs_client_dot_encoder_finish (NaccsClientDotEncoder *encoder,
                                          NaccsClientWriteFunc write,
                                          gpointer user_data, GError **error);

G_END_DECLS
