/* send-plan.h: naccs-send's retry logic and the records its reports read.
 *
 * Not installed.  send-plan.c sends a list of files over as many
 * connections as it takes, within the limits of SendConfig; send-report.c
 * prints and writes what happened.  Tests link both to drive them in the
 * same process as a scripted server.
 */
#pragma once

#include "naccs-client.h"

G_BEGIN_DECLS

/* Final outcome of one file. */
typedef enum {
  SEND_OUTCOME_NOT_ATTEMPTED, /* no MAIL FROM was ever sent for it */
  SEND_OUTCOME_ACCEPTED,      /* its end of data got 250 */
  SEND_OUTCOME_REJECTED,      /* a 4xx or 5xx reply ended its attempts */
  SEND_OUTCOME_FAILED,        /* attempts ended without a deciding reply */
  SEND_OUTCOME_UNKNOWN,       /* "." went out and no reply came back */
} SendOutcome;

/* Returns "accepted", "rejected", "failed", "unknown" or "not-attempted". */
const char *send_outcome_to_string (SendOutcome outcome);

typedef struct {
  char *host;
  guint16 port;
  const char *helo;
  const char *from;
  const char *to;
  NaccsClientTimeouts timeouts;
  const NaccsClientActionTable *table; /* NULL: the default table */
  guint max_attempts;       /* per file, and connections in a row */
  guint retry_delay_ms;     /* first back-off delay */
  guint max_retry_delay_ms; /* upper bound of any back-off delay */
  double backoff_factor;    /* each further delay is this many times longer */
  gboolean resend_unknown;  /* send again a file whose outcome is unknown */
  gboolean verbose;         /* print every line and action on stderr */
  GCancellable *cancellable;
} SendConfig;

/* Fills @config with the defaults documented in naccs-send --help. */
void send_config_init (SendConfig *config);

typedef struct {
  char *path;
  SendOutcome outcome;
  guint attempts;        /* MAIL FROM sent for it */
  guint reply_code;      /* the last reply that decided its outcome, or 0 */
  NaccsClientStep step;  /* the step of that reply or failure */
  char *detail;          /* why it is not accepted; NULL when accepted */
  gboolean unknown_seen; /* some attempt ended with the outcome unknown */
  gboolean done;         /* the outcome is final */
  gint64 not_before_us;  /* monotonic time of the earliest next attempt */
  GBytes *contents;      /* the checked octets to send, or NULL to read the
                          * file just before each attempt; freed once the
                          * file is done */
} SendFile;

/* One step outcome, as NaccsClientReply reports it, for the JSON report. */
typedef struct {
  guint connection;
  gint file; /* index in SendRun.files, or -1 outside a message */
  NaccsClientStep step;
  guint reply_code;
  NaccsClientAction action;
  gint64 elapsed_ms;
  char *error;
} SendRecord;

typedef struct {
  SendFile *files;
  guint n_files;
  GArray *records;      /* SendRecord */
  guint connections;    /* connections tried */
  gboolean local_error; /* the run stopped on a local fault, such as a
                         * host name that does not resolve */
  gboolean cancelled;   /* the run was cancelled before it ended */
  char *session_error;  /* why the session stopped early, or NULL */
} SendRun;

void send_run_init (SendRun *run, char **paths);
void send_run_clear (SendRun *run);

/* Sends every file of @run, retrying within @config's limits, and fills
 * each file's outcome and the records. */
void send_plan_execute (const SendConfig *config, SendRun *run);

/* Returns the back-off delay before retry number @retry (1 for the first
 * retry): retry_delay_ms * backoff_factor^(retry-1), at most
 * max_retry_delay_ms. */
guint send_plan_backoff_ms (const SendConfig *config, guint retry);

/* Prints one line per file on stdout. */
void send_report_print (const SendRun *run);

/* Writes the JSON report of @run to @path; the error names --report and
 * @path. */
gboolean send_report_write_json (const SendRun *run, const SendConfig *config,
                                 const char *path, GError **error);

/* Checks, before the run connects, that the JSON report can be written to
 * @path: its directory exists and is writable, and @path is not a
 * directory or another kind of file that is not regular.  The error names
 * --report and @path. */
gboolean send_report_check_path (const char *path, GError **error);

/* Returns the exit status: 0 when every file was accepted, 1 when some
 * were not, 2 when the run stopped on a local fault. */
int send_report_exit_status (const SendRun *run);

G_END_DECLS
