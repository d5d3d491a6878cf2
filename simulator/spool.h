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

/* Opens the spool directory @dir, which must exist and be writable.
 * Session ids start after the highest "sNNNNNN" file already there. */
NaccsSimSpool *naccs_sim_spool_new (const char *dir, GError **error);
void naccs_sim_spool_free (NaccsSimSpool *spool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsSimSpool, naccs_sim_spool_free)

const char *naccs_sim_spool_get_dir (const NaccsSimSpool *spool);

/* Returns the highest session id found in the directory at start, 0 if
 * none. */
guint naccs_sim_spool_get_last_session_id (const NaccsSimSpool *spool);

/* Stores one message durably as "sSSSSSS-mMMMM.msg" and returns its path,
 * or NULL with @error set; no file is left behind on failure. */
char *naccs_sim_spool_store_message (NaccsSimSpool *spool,
                                     guint session_id,
                                     guint message_seq,
                                     const void *data,
                                     gsize len,
                                     GError **error);

/* The transcript of one session, "sSSSSSS.transcript", appended in
 * batches.  Each entry is one line: the time since connect in seconds
 * with milliseconds, a tag and escaped text. */
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
