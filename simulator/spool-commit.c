/* spool-commit.c: durable message files, written by worker threads with
 * group commit.
 *
 * A message that got 250 must be on disk, so naccs-sim writes each accepted
 * message under a temporary name, fsyncs it, renames it into place and
 * fsyncs the directory before it sends 250; after a crash a message file is
 * either complete or absent.  The rename never replaces a file of the
 * final name (another process on the same directory, a planted file): the
 * message then fails and gets 451, and the stored one stays as it was.  Creating the file and the fsyncs took about
 * a millisecond per message on the ext4 virtio disk of bench/README.md, so
 * they run in worker threads and never block the main loop: the session
 * hands its message over and waits, reading nothing, until its callback
 * runs in the main context.
 * A worker takes every message that is waiting when it wakes (up to
 * MAX_BATCH) as one batch: it writes all of them, fsyncs each, renames
 * each and then fsyncs the directory once for the whole batch, so sessions
 * that finish their messages close together share one directory fsync.
 * The workers start with the first message.  Freeing the spool lets them
 * finish the queue first, so a stop (SIGTERM) leaves no temporary file
 * behind.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>  /* renameat2 */
#include <unistd.h>

#include "spool-private.h"

/* Messages stored per batch; each keeps a file open until its fsync. */
#define MAX_BATCH 64

/* Worker threads per spool.  Batches of concurrent workers can share ext4
 * journal commits: in two consecutive runs of bench/run-spool.py on the
 * ext4 virtio disk of bench/README.md, 4 workers stored 1,127 1 KB
 * messages a second and one worker 1,019. */
#define WORKERS 4

G_STATIC_ASSERT (WORKERS * MAX_BATCH == NACCS_SIM_SPOOL_MAX_OPEN_FILES);

struct _NaccsSimSpoolCommit {
  guint session_id;
  guint message_seq;
  GBytes *data;
  int fd;                      /* the temporary file while the batch runs */
  char *path;                  /* the stored file, once stored */
  GError *error;
  NaccsSimSpoolCommitDone done; /* NULL once abandoned */
  gpointer user_data;
};

struct _NaccsSimSpoolCommitter {
  NaccsSimSpool *spool;
  GMutex lock;
  GCond wake;
  GQueue queued;               /* NaccsSimSpoolCommit, for the worker */
  GQueue finished;             /* NaccsSimSpoolCommit, for the main context */
  gboolean stopping;
  GThread *threads[WORKERS];
  GSource *notify;             /* made ready by the worker after a batch */
};

static void
commit_free (NaccsSimSpoolCommit *commit)
{
  g_bytes_unref (commit->data);
  g_free (commit->path);
  g_clear_error (&commit->error);
  g_free (commit);
}

/* ---- the worker threads ---- */

static char *
message_name (const NaccsSimSpoolCommit *commit, gboolean temporary)
{
  if (temporary)
    return g_strdup_printf (".s%06u-m%04u.msg.tmp", commit->session_id,
                            commit->message_seq);
  return g_strdup_printf ("s%06u-m%04u.msg", commit->session_id,
                          commit->message_seq);
}

static void
fail (NaccsSimSpool *spool, NaccsSimSpoolCommit *commit, const char *name,
      int saved_errno)
{
  g_autofree char *path = g_build_filename (spool->dir, name, NULL);

  if (commit->error == NULL)
    naccs_sim_spool_set_write_error (&commit->error, path, saved_errno);
}

/* Creates the temporary file and writes the message into it. */
static void
write_temporary (NaccsSimSpool *spool, NaccsSimSpoolCommit *commit)
{
  g_autofree char *temp_name = message_name (commit, TRUE);
  gsize len;
  const guint8 *data = g_bytes_get_data (commit->data, &len);

  commit->fd = openat (spool->dir_fd, temp_name,
                       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (commit->fd < 0)
    {
      fail (spool, commit, temp_name, errno);
      return;
    }
  if (!naccs_sim_spool_write_all (commit->fd, data, len))
    fail (spool, commit, temp_name, errno);
}

/* Renames @from to @to unless @to exists (EEXIST).  File systems without
 * RENAME_NOREPLACE (Linux before 3.15, some network file systems) return
 * EINVAL; link() never replaces a name either, so it does the same there
 * in two steps. */
static int
rename_no_replace (int dir_fd, const char *from, const char *to)
{
  if (renameat2 (dir_fd, from, dir_fd, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return -1;
  if (linkat (dir_fd, from, dir_fd, to, 0) != 0)
    return -1;
  unlinkat (dir_fd, from, 0);
  return 0;
}

/* Fsyncs and closes the temporary file and moves it into place. */
static void
sync_and_rename (NaccsSimSpool *spool, NaccsSimSpoolCommit *commit)
{
  g_autofree char *temp_name = message_name (commit, TRUE);
  g_autofree char *name = message_name (commit, FALSE);

  if (commit->error == NULL && fsync (commit->fd) != 0)
    fail (spool, commit, temp_name, errno);
  if (commit->fd >= 0 && close (commit->fd) != 0)
    fail (spool, commit, temp_name, errno);
  commit->fd = -1;
  if (commit->error == NULL
      && rename_no_replace (spool->dir_fd, temp_name, name) != 0)
    fail (spool, commit, name, errno);
  if (commit->error != NULL)
    unlinkat (spool->dir_fd, temp_name, 0);
}

/* Stores a batch: a rename is durable only once the directory is fsync'd,
 * and one fsync covers every rename before it. */
static void
commit_batch (NaccsSimSpool *spool, GPtrArray *batch)
{
  int dir_errno = 0;

  for (guint i = 0; i < batch->len; i++)
    write_temporary (spool, batch->pdata[i]);
  for (guint i = 0; i < batch->len; i++)
    sync_and_rename (spool, batch->pdata[i]);
  if (fsync (spool->dir_fd) != 0)
    dir_errno = errno;

  for (guint i = 0; i < batch->len; i++)
    {
      NaccsSimSpoolCommit *commit = batch->pdata[i];
      g_autofree char *name = message_name (commit, FALSE);

      if (commit->error != NULL)
        continue;
      if (dir_errno != 0)
        {
          fail (spool, commit, ".", dir_errno);
          unlinkat (spool->dir_fd, name, 0);
          continue;
        }
      commit->path = g_build_filename (spool->dir, name, NULL);
    }
}

/* Waits for messages and takes up to MAX_BATCH of them; returns FALSE
 * when the spool is being freed and nothing is left to store. */
static gboolean
take_batch (NaccsSimSpoolCommitter *committer, GPtrArray *batch)
{
  g_mutex_lock (&committer->lock);
  while (committer->queued.length == 0 && !committer->stopping)
    g_cond_wait (&committer->wake, &committer->lock);
  while (committer->queued.length > 0 && batch->len < MAX_BATCH)
    g_ptr_array_add (batch, g_queue_pop_head (&committer->queued));
  g_mutex_unlock (&committer->lock);
  return batch->len > 0;
}

static gpointer
run_worker (gpointer user_data)
{
  NaccsSimSpoolCommitter *committer = user_data;
  g_autoptr (GPtrArray) batch = g_ptr_array_new ();

  while (take_batch (committer, batch))
    {
      commit_batch (committer->spool, batch);

      g_mutex_lock (&committer->lock);
      for (guint i = 0; i < batch->len; i++)
        g_queue_push_tail (&committer->finished, batch->pdata[i]);
      g_mutex_unlock (&committer->lock);
      /* Thread-safe: it wakes the main context up. */
      g_source_set_ready_time (committer->notify, 0);
      g_ptr_array_set_size (batch, 0);
    }
  return NULL;
}

/* ---- the main context ---- */

static gboolean
dispatch_finished (GSource *source, GSourceFunc callback, gpointer user_data)
{
  NaccsSimSpoolCommitter *committer = user_data;
  GQueue finished;

  (void) callback;
  /* Disarmed before taking the queue: a batch that finishes after this
   * point arms the source again. */
  g_source_set_ready_time (source, -1);
  g_mutex_lock (&committer->lock);
  finished = committer->finished;
  g_queue_init (&committer->finished);
  g_mutex_unlock (&committer->lock);

  for (GList *l = finished.head; l != NULL; l = l->next)
    {
      NaccsSimSpoolCommit *commit = l->data;

      if (commit->done != NULL)
        commit->done (commit->user_data, commit->path, commit->error);
      else if (commit->path != NULL)
        g_debug ("event=spooled-unawaited path=%s", commit->path);
      commit_free (commit);
    }
  g_queue_clear (&finished);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs notify_funcs = {
  .dispatch = dispatch_finished,
};

static NaccsSimSpoolCommitter *
committer_new (NaccsSimSpool *spool)
{
  NaccsSimSpoolCommitter *committer = g_new0 (NaccsSimSpoolCommitter, 1);

  committer->spool = spool;
  g_mutex_init (&committer->lock);
  g_cond_init (&committer->wake);
  g_queue_init (&committer->queued);
  g_queue_init (&committer->finished);
  committer->notify = g_source_new (&notify_funcs, sizeof (GSource));
  g_source_set_callback (committer->notify, NULL, committer, NULL);
  g_source_attach (committer->notify, spool->context);
  for (guint i = 0; i < WORKERS; i++)
    committer->threads[i] = g_thread_new ("naccs-sim-spool", run_worker,
                                          committer);
  return committer;
}

void
naccs_sim_spool_committer_free (NaccsSimSpoolCommitter *committer)
{
  g_mutex_lock (&committer->lock);
  committer->stopping = TRUE;
  g_cond_broadcast (&committer->wake);
  g_mutex_unlock (&committer->lock);
  for (guint i = 0; i < WORKERS; i++)
    g_thread_join (committer->threads[i]);

  /* No callback is due any more, because the sessions close, and so
   * abandon their commits, before their server frees the spool. */
  g_source_destroy (committer->notify);
  g_source_unref (committer->notify);
  g_queue_clear_full (&committer->finished, (GDestroyNotify) commit_free);
  g_mutex_clear (&committer->lock);
  g_cond_clear (&committer->wake);
  g_free (committer);
}

NaccsSimSpoolCommit *
naccs_sim_spool_commit_message (NaccsSimSpool *spool,
                                guint session_id,
                                guint message_seq,
                                GBytes *data,
                                NaccsSimSpoolCommitDone done,
                                gpointer user_data)
{
  NaccsSimSpoolCommit *commit = g_new0 (NaccsSimSpoolCommit, 1);
  NaccsSimSpoolCommitter *committer;

  commit->session_id = session_id;
  commit->message_seq = message_seq;
  commit->data = g_bytes_ref (data);
  commit->fd = -1;
  commit->done = done;
  commit->user_data = user_data;

  if (spool->committer == NULL)
    spool->committer = committer_new (spool);
  committer = spool->committer;
  g_mutex_lock (&committer->lock);
  g_queue_push_tail (&committer->queued, commit);
  g_cond_signal (&committer->wake);
  g_mutex_unlock (&committer->lock);
  return commit;
}

void
naccs_sim_spool_commit_abandon (NaccsSimSpoolCommit *commit)
{
  commit->done = NULL;
}
