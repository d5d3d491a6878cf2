/* spool-private.h: the spool record shared by spool.c (directory, session
 * ids, transcripts) and spool-commit.c (message files, written by worker
 * threads).  Nothing else includes it. */
#pragma once

#include "spool.h"

G_BEGIN_DECLS

typedef struct _NaccsSimSpoolCommitter NaccsSimSpoolCommitter;

struct _NaccsSimSpool {
  char *dir;
  int dir_fd;                  /* open for the whole life of the spool, so
                                  that each message costs no open of it */
  guint last_session_id;
  GMainContext *context;       /* where commit callbacks run */
  NaccsSimSpoolCommitter *committer; /* NULL until the first message */
};

/* spool.c */
gboolean naccs_sim_spool_set_write_error (GError **error,
                                          const char *path,
                                          int saved_errno);
gboolean naccs_sim_spool_write_all (int fd, const guint8 *data, gsize len);

/* spool-commit.c */
void naccs_sim_spool_committer_free (NaccsSimSpoolCommitter *committer);

G_END_DECLS
