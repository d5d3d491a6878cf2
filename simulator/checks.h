/* checks.h: the checks that judge a client's conduct from the events of its
 * sessions, and the verdicts they return.
 *
 * Each check has a stable id (SEQ-HELO, MSG-DOT, ...), an English title and
 * the rule of the NACCS mail-method specification (figure 4-3-10, table
 * 4-3-13 and the notes on replies) that it enforces.  The scenario loader
 * validates check ids with naccs_sim_check_find().  The checks read only
 * the NaccsSimEvent lists of sim-event.h and the expectations gathered in a
 * NaccsSimCheckContext, so every verdict cites the events that decided it.
 *
 * Assumptions about the event lists: LINE_IN events are command lines only
 * (message content appears only as the MESSAGE event), every request
 * (connect, command, end of data) gets at most one REPLY, in order, and a
 * MESSAGE body contains the decoded message including the CRLF of its last
 * line, that is everything before the terminating ".<CRLF>".
 */
#pragma once

#include <glib.h>

#include "sim-event.h"

G_BEGIN_DECLS

typedef enum {
  NACCS_SIM_CHECK_PASS,
  NACCS_SIM_CHECK_FAIL,
  NACCS_SIM_CHECK_NOT_APPLICABLE,
} NaccsSimCheckStatus;

/* One entry of the check table.  title and rule are marked with N_() and
 * are translated when shown. */
typedef struct {
  const char *id;
  const char *title;
  const char *rule;
} NaccsSimCheckInfo;

/* Returns the check with this id (exact, upper case), or NULL. */
const NaccsSimCheckInfo *naccs_sim_check_find (const char *id);

/* Returns the whole check table, in report order; *n_checks gets its size. */
const NaccsSimCheckInfo *naccs_sim_check_list (gsize *n_checks);

/* Stable English name of a status: "pass", "fail", "not-applicable". */
const char *naccs_sim_check_status_name (NaccsSimCheckStatus status);

/* ---- input ---- */

/* What the scenario requires of one asked message. */
typedef enum {
  NACCS_SIM_SPOOL_DEFAULT,   /* accepted exactly once, unless the center
                                rejected it with 5xx */
  NACCS_SIM_SPOOL_REQUIRED,  /* accepted (250 after end of data) exactly once */
  NACCS_SIM_SPOOL_FORBIDDEN, /* never accepted */
} NaccsSimSpoolExpectation;

typedef struct {
  char *path;                        /* fixture path, for reports */
  GBytes *bytes;                     /* the message as the client must
                                        deliver it, final CRLF included */
  NaccsSimSpoolExpectation spool;
} NaccsSimExpectedMessage;

/* Takes a fixture as read from disk.  A fixture that does not end with
 * CRLF is expected with one CRLF appended, because SMTP cannot carry a
 * message whose last line is unterminated. */
NaccsSimExpectedMessage *naccs_sim_expected_message_new (const char *path,
                                                         GBytes *fixture);
void naccs_sim_expected_message_free (NaccsSimExpectedMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsSimExpectedMessage,
                               naccs_sim_expected_message_free)

typedef struct {
  char *helo_domain;        /* nullable: any non-empty domain passes */
  char *mail_from;          /* nullable: any syntactically valid address */
  char *center_address;     /* NACCS@EDIFACT.PROD.NACCS6 unless set */
  GPtrArray *messages;      /* NaccsSimExpectedMessage*, in the order the
                               client is asked to send them */
  GPtrArray *connections;   /* GPtrArray* of NaccsSimEvent*, one per
                               connection in accept order; the inner arrays
                               are borrowed, not freed with the context */
  gint64 give_up_within_us; /* -1: no upper bound on waiting for a stalled
                               or silent center */
  gint64 give_up_not_before_us; /* -1: no lower bound */
  gint64 quit_within_us;    /* -1: QUIT may come any time after the last
                               message; its delay is reported either way */
  gboolean nondefault_reply_text; /* the scenario's replies carry text other
                                     than the default center text */
} NaccsSimCheckContext;

/* Returns a context with the default center address, empty lists and no
 * time bounds. */
NaccsSimCheckContext *naccs_sim_check_context_new (void);
void naccs_sim_check_context_free (NaccsSimCheckContext *context);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsSimCheckContext,
                               naccs_sim_check_context_free)

/* ---- output ---- */

typedef enum {
  NACCS_SIM_EVIDENCE_IN,    /* from the client: a command, a message, EOF */
  NACCS_SIM_EVIDENCE_OUT,   /* from the center: a reply, a close */
  NACCS_SIM_EVIDENCE_NOTE,  /* neither: an action, a limit, a comparison */
} NaccsSimEvidenceDirection;

/* One transcript line that decided a verdict. */
typedef struct {
  guint connection;         /* 1-based connection number; 0 for none */
  guint event_index;        /* 0-based index in that connection's events */
  gint64 at_us;             /* time since that connection was accepted */
  NaccsSimEvidenceDirection direction;
  char *text;               /* escaped as in NaccsSimEvent.text */
} NaccsSimEvidence;

void naccs_sim_evidence_free (NaccsSimEvidence *evidence);

typedef struct {
  const NaccsSimCheckInfo *info;
  NaccsSimCheckStatus status;
  char *explanation;        /* in the user's language, with the numbers */
  GPtrArray *evidence;      /* NaccsSimEvidence* */
} NaccsSimVerdict;

void naccs_sim_verdict_free (NaccsSimVerdict *verdict);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsSimVerdict, naccs_sim_verdict_free)

/* Runs every check of the table on the context and returns one verdict per
 * check, in table order (NaccsSimVerdict*, freed with the array). */
GPtrArray *naccs_sim_checks_run (const NaccsSimCheckContext *context);

/* Runs one check; NULL for an unknown id. */
NaccsSimVerdict *naccs_sim_check_run_one (const NaccsSimCheckContext *context,
                                          const char *id);

/* ---- conduct model ---- */

/* The step of the sequence that a reply responds to. */
typedef enum {
  NACCS_SIM_STEP_GREETING,  /* the connection itself */
  NACCS_SIM_STEP_HELO,
  NACCS_SIM_STEP_MAIL,
  NACCS_SIM_STEP_RCPT,
  NACCS_SIM_STEP_DATA,
  NACCS_SIM_STEP_MESSAGE,   /* end of data */
  NACCS_SIM_STEP_RSET,
  NACCS_SIM_STEP_QUIT,
} NaccsSimStep;

/* What a client may do next; a set of these is a guint bit mask. */
typedef enum {
  NACCS_SIM_NEXT_HELO = 1 << 0,
  NACCS_SIM_NEXT_MAIL = 1 << 1,
  NACCS_SIM_NEXT_RCPT = 1 << 2,
  NACCS_SIM_NEXT_DATA = 1 << 3,
  NACCS_SIM_NEXT_BODY = 1 << 4,   /* the message content after 354 */
  NACCS_SIM_NEXT_RSET = 1 << 5,
  NACCS_SIM_NEXT_NOOP = 1 << 6,
  NACCS_SIM_NEXT_QUIT = 1 << 7,
  NACCS_SIM_NEXT_CLOSE = 1 << 8,  /* close the connection */
} NaccsSimNext;

/* Returns the mask of what a conforming client may do after the reply
 * `reply_code` to `step`.  more_to_send is TRUE while the client still has
 * messages to deliver: after a success it must then go on, not quit.  The
 * model uses reply codes only, never reply text. */
guint naccs_sim_conduct_allowed (NaccsSimStep step,
                                 guint reply_code,
                                 gboolean more_to_send);

/* ---- expectations ---- */

/* Compares the verdicts with a scenario's expectation.  pass_ids and
 * fail_ids are NULL-terminated lists or NULL.  Each id in fail_ids must
 * have failed and each in pass_ids must have passed.  Without pass_ids
 * (NULL or empty),
 * every check that applies and is not in fail_ids must pass.  Returns TRUE
 * when the scenario is met; otherwise *why (if given) gets a translated
 * sentence naming the checks that missed. */
gboolean naccs_sim_checks_expectation_met (const GPtrArray *verdicts,
                                           const char *const *pass_ids,
                                           const char *const *fail_ids,
                                           char **why);

G_END_DECLS
