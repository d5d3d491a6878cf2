/* spool.c: the spool directory, its session ids and session transcripts.
 *
 * The center hands a message to its main processing only after it has
 * received the whole message, so naccs-sim stores an accepted message
 * before it sends 250; spool-commit.c writes the message files.  File names
 * come from the session id and the message sequence number only, never
 * from client input.  Session ids continue after the highest one already in
 * the directory, so a restart never overwrites the files of an earlier run.
 * NOTE: two naccs-sim processes must not share a spool directory, because
 * they would pick the same ids.
 *
 * The transcript of a session is buffered in memory and appended to its
 * file when the buffer passes 4 KiB and when the session ends, so an idle
 * session keeps no file open and a busy one opens its transcript once per
 * 4 KiB of entries.  Transcripts are not fsync'd: they are evidence for a
 * person, and no reply waits for them.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "spool-private.h"

#define TRANSCRIPT_FLUSH_OCTETS 4096

G_DEFINE_QUARK (naccs-sim-spool-error-quark, naccs_sim_spool_error)


struct _NaccsSimTranscript {
  char *path;
  GString *pending;
  gboolean failed;          /* a write failed; warn once, then drop */
};

/* Returns the session id of a spool file name "sNNNNNN..." or 0. */
static guint
session_id_of_name (const char *name)
{
  guint64 id;
  char *end;

  if (name[0] != 's' || !g_ascii_isdigit (name[1]))
    return 0;
  id = g_ascii_strtoull (name + 1, &end, 10);
  if (end - name != 7 || id > G_MAXUINT)
    return 0;
  return (guint) id;
}

NaccsSimSpool *
naccs_sim_spool_new (const char *dir, GError **error)
{
  g_autoptr (GDir) listing = NULL;
  g_autoptr (GError) local_error = NULL;
  NaccsSimSpool *spool;
  const char *name;
  int dir_fd;

  listing = g_dir_open (dir, 0, &local_error);
  if (listing == NULL)
    {
      g_set_error (error, NACCS_SIM_SPOOL_ERROR,
                   NACCS_SIM_SPOOL_ERROR_DIRECTORY,
                   _("cannot open spool directory \"%s\": %s; create it or "
                     "give another --spool"), dir, local_error->message);
      return NULL;
    }
  if (g_access (dir, W_OK) != 0)
    {
      g_set_error (error, NACCS_SIM_SPOOL_ERROR,
                   NACCS_SIM_SPOOL_ERROR_DIRECTORY,
                   _("spool directory \"%s\" is not writable: %s"),
                   dir, g_strerror (errno));
      return NULL;
    }

  dir_fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir_fd < 0)
    {
      g_set_error (error, NACCS_SIM_SPOOL_ERROR,
                   NACCS_SIM_SPOOL_ERROR_DIRECTORY,
                   _("cannot open spool directory \"%s\": %s; create it or "
                     "give another --spool"), dir, g_strerror (errno));
      return NULL;
    }

  spool = g_new0 (NaccsSimSpool, 1);
  spool->dir = g_strdup (dir);
  spool->dir_fd = dir_fd;
  spool->context = g_main_context_ref_thread_default ();
  while ((name = g_dir_read_name (listing)) != NULL)
    spool->last_session_id = MAX (spool->last_session_id,
                                  session_id_of_name (name));
  return spool;
}

void
naccs_sim_spool_free (NaccsSimSpool *spool)
{
  if (spool == NULL)
    return;
  /* The committer finishes the messages handed to it first, so that a
   * stop leaves no partly written file. */
  g_clear_pointer (&spool->committer, naccs_sim_spool_committer_free);
  close (spool->dir_fd);
  g_main_context_unref (spool->context);
  g_free (spool->dir);
  g_free (spool);
}

const char *
naccs_sim_spool_get_dir (const NaccsSimSpool *spool)
{
  return spool->dir;
}

guint
naccs_sim_spool_get_last_session_id (const NaccsSimSpool *spool)
{
  return spool->last_session_id;
}

gboolean
naccs_sim_spool_set_write_error (GError **error, const char *path,
                                 int saved_errno)
{
  g_set_error (error, NACCS_SIM_SPOOL_ERROR, NACCS_SIM_SPOOL_ERROR_WRITE,
               _("cannot write \"%s\": %s"), path, g_strerror (saved_errno));
  return FALSE;
}

gboolean
naccs_sim_spool_write_all (int fd, const guint8 *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

NaccsSimTranscript *
naccs_sim_transcript_new (NaccsSimSpool *spool, guint session_id)
{
  NaccsSimTranscript *transcript = g_new0 (NaccsSimTranscript, 1);
  g_autofree char *name = g_strdup_printf ("s%06u.transcript", session_id);

  transcript->path = g_build_filename (spool->dir, name, NULL);
  transcript->pending = g_string_new (NULL);
  return transcript;
}

void
naccs_sim_transcript_add (NaccsSimTranscript *transcript,
                          gint64 at_us,
                          const char *tag,
                          const char *text)
{
  g_string_append_printf (transcript->pending, "%4" G_GINT64_FORMAT
                          ".%03d %s %s\n", at_us / G_USEC_PER_SEC,
                          (int) (at_us % G_USEC_PER_SEC / 1000), tag, text);
  if (transcript->pending->len >= TRANSCRIPT_FLUSH_OCTETS)
    naccs_sim_transcript_flush (transcript);
}

void
naccs_sim_transcript_flush (NaccsSimTranscript *transcript)
{
  int fd;
  gboolean ok;

  if (transcript->pending->len == 0)
    return;
  fd = g_open (transcript->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
               0644);
  ok = fd >= 0
       && naccs_sim_spool_write_all (fd, (const guint8 *) transcript->pending->str,
                                     transcript->pending->len);
  if (!ok && !transcript->failed)
    g_warning ("event=transcript-write-failed path=%s error=\"%s\"",
               transcript->path, g_strerror (errno));
  transcript->failed |= !ok;
  if (fd >= 0)
    close (fd);
  g_string_truncate (transcript->pending, 0);
}

void
naccs_sim_transcript_free (NaccsSimTranscript *transcript)
{
  if (transcript == NULL)
    return;
  naccs_sim_transcript_flush (transcript);
  g_string_free (transcript->pending, TRUE);
  g_free (transcript->path);
  g_free (transcript);
}
