/* spool.c: the spool directory, its session ids and session transcripts.
 *
 * The center hands a message to its main processing only after it has
 * received the whole message, so naccs-sim stores an accepted message
 * before it sends 250; spool-commit.c writes the message files.  File names
 * come from the session id and the message sequence number only, never
 * from client input.  Session ids continue after the highest one already in
 * the directory, whatever its number of digits, so a restart picks fresh
 * names.  Files are also created exclusively: spool-commit.c never
 * replaces a message file, and a transcript is created with O_EXCL.  So a
 * name in use (a second naccs-sim process on the same directory, a planted
 * file) costs a 451 or a missing transcript, never an overwritten message.
 *
 * The transcript of a session is buffered in memory and appended to its
 * file when the buffer passes 4 KiB and when the session ends, so an idle
 * session keeps no file open and a busy one opens its transcript once per
 * 4 KiB of entries.  Each later open uses O_NOFOLLOW and must find the
 * same file (device and inode) that the first one created: a transcript
 * is never written through a symbolic link or into a file put in its
 * place, which matters when naccs-sim runs as root.  Transcripts are not
 * fsync'd: they are evidence for a person, and no reply waits for them.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "spool-private.h"

#define TRANSCRIPT_FLUSH_OCTETS 4096

G_DEFINE_QUARK (naccs-sim-spool-error-quark, naccs_sim_spool_error)


struct _NaccsSimTranscript {
  const NaccsSimSpool *spool; /* outlives the transcript */
  char *name;                 /* "s000001.transcript" */
  char *path;                 /* for logs */
  GString *pending;
  gboolean created;           /* the file exists and is ours */
  dev_t dev;                  /* identity of the created file */
  ino_t ino;
  gboolean failed;            /* refused or failed; warned once, and every
                                 later entry is dropped */
};

/* Parses the session id of a spool file name: "sN..." followed by "-" or
 * ".", as in "s000001-m0001.msg", "s1000000.transcript" and the temporary
 * ".s000001-m0001.msg.tmp" that a crash can leave behind.  %06u pads ids
 * below one million to six digits and prints larger ones in full, so the
 * number of digits varies.  Returns FALSE for other names. */
static gboolean
parse_session_id (const char *name, guint64 *id)
{
  const char *digits = name[0] == '.' ? name + 2 : name + 1;
  char *end;

  if (digits[-1] != 's' || !g_ascii_isdigit (digits[0]))
    return FALSE;
  errno = 0;
  *id = g_ascii_strtoull (digits, &end, 10);
  if (errno == ERANGE)
    *id = G_MAXUINT64;
  return *end == '-' || *end == '.';
}

/* Finds the highest session id in @listing.  Fails when it leaves no id
 * to continue with, because wrapping round to 1 would reuse old names. */
static gboolean
scan_session_ids (GDir *listing, const char *dir, guint *last_id,
                  GError **error)
{
  const char *name;
  guint64 id;

  *last_id = 0;
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      if (!parse_session_id (name, &id))
        continue;
      if (id >= G_MAXUINT)
        {
          g_set_error (error, NACCS_SIM_SPOOL_ERROR,
                       NACCS_SIM_SPOOL_ERROR_DIRECTORY,
                       _("spool directory \"%s\" holds \"%s\", whose "
                         "session id leaves no higher one to continue with; "
                         "move the old files away or give another --spool"),
                       dir, name);
          return FALSE;
        }
      *last_id = MAX (*last_id, (guint) id);
    }
  return TRUE;
}

NaccsSimSpool *
naccs_sim_spool_new (const char *dir, GError **error)
{
  g_autoptr (GDir) listing = NULL;
  g_autoptr (GError) local_error = NULL;
  NaccsSimSpool *spool;
  guint last_id;
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
  if (!scan_session_ids (listing, dir, &last_id, error))
    return NULL;

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
  spool->last_session_id = last_id;
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
  if (saved_errno == EEXIST)
    g_set_error (error, NACCS_SIM_SPOOL_ERROR, NACCS_SIM_SPOOL_ERROR_WRITE,
                 _("cannot store \"%s\": the file exists already, and "
                   "naccs-sim never replaces a spool file; give each "
                   "naccs-sim process its own --spool directory"), path);
  else
    g_set_error (error, NACCS_SIM_SPOOL_ERROR, NACCS_SIM_SPOOL_ERROR_WRITE,
                 _("cannot write \"%s\": %s"), path,
                 g_strerror (saved_errno));
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

  transcript->spool = spool;
  transcript->name = g_strdup_printf ("s%06u.transcript", session_id);
  transcript->path = g_build_filename (spool->dir, transcript->name, NULL);
  transcript->pending = g_string_new (NULL);
  return transcript;
}

void
naccs_sim_transcript_add (NaccsSimTranscript *transcript,
                          gint64 at_us,
                          const char *tag,
                          const char *text)
{
  if (transcript->failed)
    return;
  g_string_append_printf (transcript->pending, "%4" G_GINT64_FORMAT
                          ".%03d %s %s\n", at_us / G_USEC_PER_SEC,
                          (int) (at_us % G_USEC_PER_SEC / 1000), tag, text);
  if (transcript->pending->len >= TRANSCRIPT_FLUSH_OCTETS)
    naccs_sim_transcript_flush (transcript);
}

/* Logs why the transcript is given up; later entries are dropped. */
static void
give_up_transcript (NaccsSimTranscript *transcript, const char *reason,
                    int saved_errno)
{
  g_warning ("event=transcript-refused path=%s reason=%s error=\"%s\"",
             transcript->path, reason, g_strerror (saved_errno));
  transcript->failed = TRUE;
}

/* Opens the transcript for appending.  The first open creates it and
 * fails if the name exists at all: a planted file or symbolic link, or a
 * session id in use by another process.  Every later open must find that
 * same regular file.  Returns -1 after give_up_transcript(). */
static int
open_transcript (NaccsSimTranscript *transcript)
{
  int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
  struct stat st;
  int fd;

  if (!transcript->created)
    flags |= O_CREAT | O_EXCL;
  fd = openat (transcript->spool->dir_fd, transcript->name, flags, 0644);
  if (fd < 0)
    {
      int saved_errno = errno;

      give_up_transcript (transcript,
                          saved_errno == EEXIST ? "exists"
                          : saved_errno == ELOOP ? "symlink"
                          : saved_errno == ENOENT ? "removed" : "open-failed",
                          saved_errno);
      return -1;
    }
  if (fstat (fd, &st) != 0)
    {
      give_up_transcript (transcript, "stat-failed", errno);
      close (fd);
      return -1;
    }
  if (!transcript->created)
    {
      transcript->created = TRUE;
      transcript->dev = st.st_dev;
      transcript->ino = st.st_ino;
    }
  else if (!S_ISREG (st.st_mode) || st.st_dev != transcript->dev
           || st.st_ino != transcript->ino)
    {
      give_up_transcript (transcript, "replaced", EEXIST);
      close (fd);
      return -1;
    }
  return fd;
}

void
naccs_sim_transcript_flush (NaccsSimTranscript *transcript)
{
  int fd;

  if (transcript->pending->len == 0 || transcript->failed)
    {
      g_string_truncate (transcript->pending, 0);
      return;
    }
  fd = open_transcript (transcript);
  if (fd >= 0
      && !naccs_sim_spool_write_all (fd,
                                     (const guint8 *) transcript->pending->str,
                                     transcript->pending->len))
    give_up_transcript (transcript, "write-failed", errno);
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
  g_free (transcript->name);
  g_free (transcript->path);
  g_free (transcript);
}
