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

/* Returns the command name of @step ("HELO", "DATA", "end of data", ...). */
const char *naccs_client_step_name (NaccsClientStep step);

/* Timeouts in milliseconds; 0 means wait without limit. */
typedef struct {
  guint connect_ms;   /* TCP connect, per address tried */
  guint greeting_ms;  /* the 220 greeting */
  guint reply_ms;     /* the reply to HELO, MAIL, RCPT, DATA, RSET, QUIT */
  guint data_end_ms;  /* the reply to the final "." */
} NaccsClientTimeouts;

/* Defaults: connect 30 s, greeting 300 s, reply 300 s, end of data 600 s,
 * after the minimums of RFC 5321 section 4.5.3.2. */
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

/* Resolves @host (a name or an IPv4/IPv6 literal), connects to @port and
 * reads the greeting.  Succeeds only on 220. */
gboolean naccs_client_connect (NaccsClient *client, const char *host,
                               guint16 port, GError **error);

/* Sends HELO @domain; succeeds on 250. */
gboolean naccs_client_helo (NaccsClient *client, const char *domain,
                            GError **error);

/* Checks that @message can be sent faithfully: every line within 1000 octets
 * including its CRLF, and no CR or LF outside a CRLF pair.  On failure the
 * error is NACCS_CLIENT_ERROR_INVALID_MESSAGE and names the line number. */
gboolean naccs_client_validate_message (GBytes *message, GError **error);

/* Same check over a file, streamed, without loading it whole. */
gboolean naccs_client_validate_file (GFile *file, GError **error);

/* Sends one message: MAIL FROM:<@from>, RCPT TO:<@to>, DATA, the message
 * with dummy dots added, and ".".  The message is validated before MAIL is
 * sent, so an invalid message puts nothing on the wire.  Succeeds only when
 * the final "." got 250. */
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

/* Sends QUIT, reads 221 and closes the connection. */
gboolean naccs_client_quit (NaccsClient *client, GError **error);

/* Closes the connection without QUIT.  Safe to call at any time. */
void naccs_client_close (NaccsClient *client);

/* Returns TRUE while a connection is open. */
gboolean naccs_client_is_connected (NaccsClient *client);

/* Returns the code of the last complete reply read, or 0 if none. */
guint naccs_client_get_last_reply_code (NaccsClient *client);

/* Streaming dot-stuffing encoder.  Feed a message in chunks of any size;
 * @write receives the bytes to put on the wire: every line that begins with
 * "." gets a second "." in front, and naccs_client_dot_encoder_finish() adds
 * a CRLF when the message does not end with one, then ".\r\n".  It keeps
 * only a few bytes of state, so a message of any size streams through. */
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
