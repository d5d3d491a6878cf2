/* spool.h: message files and session transcripts, see spool.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NACCS_SIM_SPOOL_ERROR (naccs_sim_spool_error_quark ())
GQuark naccs_sim_spool_error_quark (void);

typedef enum {
  NACCS_SIM_SPOOL_ERROR_DIRECTORY, /* the spool directory is unusable */
  NACCS_SIM_SPOOL_ERROR_WRITE,     /* a file could not be written */
} NaccsSimSpoolError;

typedef struct _NaccsSimSpool NaccsSimSpool;

/* Message files that the spool's worker threads hold open at most, all
 * batches together. */
#define NACCS_SIM_SPOOL_MAX_OPEN_FILES 256

/* Opens the spool directory @dir, which must exist and be writable.
 * Session ids start after the highest one among the "sN..." files already
 * there, whatever their number of digits.  It fails when that id is
 * G_MAXUINT or more.  Call it in the thread whose main context serves the
 * sessions. */
NaccsSimSpool *naccs_sim_spool_new (const char *dir, GError **error);
/* Waits until every message handed to the spool is stored or has
 * failed, then frees it; no commit callback runs any more. */
void naccs_sim_spool_free (NaccsSimSpool *spool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsSimSpool, naccs_sim_spool_free)

const char *naccs_sim_spool_get_dir (const NaccsSimSpool *spool);

/* Returns the highest session id found in the directory at start, 0 if
 * none. */
guint naccs_sim_spool_get_last_session_id (const NaccsSimSpool *spool);

/* Runs in the main context that was the thread default when the spool
 * was made, once the message of naccs_sim_spool_commit_message() is
 * stored: written, fsync'd, renamed into place as "sSSSSSS-mMMMM.msg" and
 * the directory fsync'd.  @path is that file, or NULL with @error set,
 * in which case the commit left no file behind.  A file of that name that
 * exists already is never replaced: the commit fails instead. */
typedef void (*NaccsSimSpoolCommitDone) (gpointer user_data,
                                         const char *path,
                                         const GError *error);

typedef struct _NaccsSimSpoolCommit NaccsSimSpoolCommit;

/* Hands one message to the spool's worker threads, which store it
 * together with the other messages waiting then (group commit: they share
 * one fsync of the directory), and returns at once.  @done runs later,
 * never from inside this call.  The returned handle stays valid until
 * @done has run or naccs_sim_spool_commit_abandon() is called. */
NaccsSimSpoolCommit *naccs_sim_spool_commit_message (NaccsSimSpool *spool,
                                                     guint session_id,
                                                     guint message_seq,
                                                     GBytes *data,
                                                     NaccsSimSpoolCommitDone done,
                                                     gpointer user_data);

/* Stops waiting for @commit: its @done will not run.  The message is still
 * stored, as it would have been had the wait ended a moment later. */
void naccs_sim_spool_commit_abandon (NaccsSimSpoolCommit *commit);

/* The transcript of one session, "sSSSSSS.transcript", appended in
 * batches.  Each entry is one line: the time since connect in seconds
 * with milliseconds, a tag and escaped text.  The first flush creates
 * the file.  When the name exists already, or the file is later replaced
 * or turned into a symbolic link, the transcript logs a warning and drops
 * its entries from then on. */
typedef struct _NaccsSimTranscript NaccsSimTranscript;

NaccsSimTranscript *naccs_sim_transcript_new (NaccsSimSpool *spool,
                                              guint session_id);

/* Adds "  12.345 TAG TEXT".  @text must already be escaped. */
void naccs_sim_transcript_add (NaccsSimTranscript *transcript,
                               gint64 at_us,
                               const char *tag,
                               const char *text);

/* Appends the buffered entries to the file. */
void naccs_sim_transcript_flush (NaccsSimTranscript *transcript);

/* Flushes and frees. */
void naccs_sim_transcript_free (NaccsSimTranscript *transcript);

G_END_DECLS
