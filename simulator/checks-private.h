/* checks-private.h: helpers shared by the check files (checks-*.c).
 *
 * Three kinds of helper live here: building a verdict and citing events as
 * evidence; reading a transcript (command verbs, which reply answers which
 * request); and matching a received message with the fixture it stands
 * for.  Nothing here is used outside the checks and their tests.
 */
#pragma once

#include <glib.h>

#include "checks.h"

G_BEGIN_DECLS

/* ---- verdicts ---- */

/* Most failures listed in one explanation; the rest are counted. */
#define CHECKS_MAX_REASONS 5

typedef struct {
  NaccsSimVerdict *verdict;
  GString *reasons;        /* failure sentences, joined by spaces */
  guint n_reasons;
  guint n_passes;          /* units judged and found good */
  char *pass_reason;       /* last pass sentence, used when nothing failed */
} ChecksJudge;

void checks_judge_init (ChecksJudge *judge, const char *id);
/* Records one failure sentence (already translated) and sets FAIL. */
void checks_judge_fail (ChecksJudge *judge, char *sentence);
/* Records that one unit passed, with a sentence shown if nothing fails. */
void checks_judge_pass (ChecksJudge *judge, char *sentence);
/* Finishes the verdict: NOT_APPLICABLE with `na_sentence` when nothing
 * was judged.  Takes ownership of na_sentence. */
NaccsSimVerdict *checks_judge_finish (ChecksJudge *judge, char *na_sentence);

/* Cites event `index` of connection `connection` (1-based) as evidence. */
void checks_cite (ChecksJudge *judge,
                  guint connection,
                  GPtrArray *events,
                  guint index);
/* Adds a note (not a transcript line) as evidence; takes `text`. */
void checks_note (ChecksJudge *judge,
                  guint connection,
                  gint64 at_us,
                  char *text);

/* Formats microseconds as seconds with the locale's separators. */
char *checks_format_seconds (gint64 us);

/* Escapes bytes for evidence: printable ASCII kept, others as \xHH, and
 * cut after `max` input bytes with "...". */
char *checks_escape (const char *data, gsize size, gsize max);

/* ---- transcripts ---- */

typedef enum {
  CHECKS_VERB_NONE,       /* not a LINE_IN */
  CHECKS_VERB_HELO,
  CHECKS_VERB_EHLO,
  CHECKS_VERB_MAIL,
  CHECKS_VERB_RCPT,
  CHECKS_VERB_DATA,
  CHECKS_VERB_RSET,
  CHECKS_VERB_NOOP,
  CHECKS_VERB_QUIT,
  CHECKS_VERB_OTHER,      /* any command outside table 4-3-13 */
} ChecksVerb;

ChecksVerb checks_verb (const NaccsSimEvent *event);

/* The argument after the verb and one space, or "" (never NULL). */
const char *checks_verb_argument (const NaccsSimEvent *event);

/* TRUE for CONNECT, LINE_IN and MESSAGE: the events a reply answers. */
gboolean checks_is_request (const NaccsSimEvent *event);

/* TRUE for the events by which the client leaves: EOF or reset. */
gboolean checks_is_client_close (const NaccsSimEvent *event);

/* Pairs requests with replies in order.  Returns an array as long as
 * `events` of gint: for a request, the index of its reply or -1; for a
 * reply, the index of its request or -1 (unsolicited); -1 otherwise. */
GArray *checks_pair_replies (GPtrArray *events);

/* The step of the conduct model a request stands for; FALSE for requests
 * the model does not cover (NOOP, unknown commands). */
gboolean checks_request_step (const NaccsSimEvent *event, NaccsSimStep *step);

/* The NaccsSimNext bit for what the client did with this event; 0 for an
 * event that is no client action, or an unknown command. */
guint checks_next_bit (const NaccsSimEvent *event);

/* Connection `i` (0-based) of the context. */
GPtrArray *checks_connection (const NaccsSimCheckContext *context, guint i);

/* ---- messages ---- */

/* Returns the index of the expected message a received body stands for:
 * an exact match if there is one (*exact set), else the fixture sharing
 * the most lines at the same positions.  -1 when there is none. */
gint checks_match_message (const NaccsSimCheckContext *context,
                           GBytes *body,
                           gboolean *exact);

/* ---- the checks, one function each ---- */

NaccsSimVerdict *checks_seq_greeting (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_seq_helo (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_seq_mail (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_seq_rcpt (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_seq_order (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_seq_wait (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_msg_dot (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_msg_count (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_msg_line_length (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_msg_crlf (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_ses_quit (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_ses_after_close (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_ses_close_421 (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_err_action (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_txt_independent (const NaccsSimCheckContext *context);
NaccsSimVerdict *checks_time_give_up (const NaccsSimCheckContext *context);

/* ---- dummy-dot diagnosis (checks-diff.c) ---- */

typedef enum {
  CHECKS_DIFF_SAME,
  CHECKS_DIFF_MISSING_DOT,   /* a line beginning with "." lost that dot */
  CHECKS_DIFF_DOUBLED_DOT,   /* a line beginning with "." gained a dot */
  CHECKS_DIFF_MISPLACED_DOT, /* one "." appeared elsewhere in a line */
  CHECKS_DIFF_ENDED_AT_DOT,  /* a line of only "." ended the message */
  CHECKS_DIFF_OTHER,
} ChecksDiffKind;

typedef struct {
  ChecksDiffKind kind;
  guint line;                /* 1-based line of the first difference */
  gsize offset;              /* 0-based byte offset of it in the message */
  guint more_lines;          /* further differing lines of the same kind */
  char *expected_line;       /* escaped, for evidence */
  char *received_line;
} ChecksDiff;

void checks_diff (GBytes *expected, GBytes *received, ChecksDiff *diff);
void checks_diff_clear (ChecksDiff *diff);

G_END_DECLS
