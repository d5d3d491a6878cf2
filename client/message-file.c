/* message-file.c: opens, reads and checks naccs-send's message files.
 *
 * naccs-send must reject every file that cannot be sent before its first
 * byte goes out.  Here a file is opened once, read whole into memory and
 * checked with naccs_client_validate_message(), where a stat, a streamed
 * check and a streamed send used to open it three times.  naccs-send keeps the checked octets
 * of as many files as fit its budget and sends exactly those octets; a
 * file beyond the budget is read once more just before it is sent, and
 * naccs_client_send_message() validates that copy in memory before MAIL
 * FROM, so a file changed in between is rejected, not sent unchecked.
 * Reading whole files is affordable because a NACCS message is at most
 * 700,000 octets; a larger file still works, at the cost of its size in
 * memory while it is checked or sent.
 *
 * A file is opened with O_NONBLOCK and checked with fstat() before any
 * read, so a FIFO or a device named by mistake is rejected at once
 * instead of blocking the run.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-send"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "message-file.h"
#include "naccs-client.h"

G_DEFINE_QUARK (message-file-error-quark, message_file_error)

static gboolean
fail_errno (GError **error, int saved_errno)
{
  g_set_error_literal (error, MESSAGE_FILE_ERROR, MESSAGE_FILE_ERROR_READ,
                       g_strerror (saved_errno));
  return FALSE;
}

/* Returns the local path named by @arg: @arg itself, or the path of a
 * file: URI, as g_file_new_for_commandline_arg() reads arguments.  The
 * file is opened relative to the working directory, so a relative path
 * needs no conversion. */
static char *
local_path (const char *arg, GError **error)
{
  g_autoptr (GFile) file = NULL;
  char *path;

  if (g_uri_peek_scheme (arg) == NULL)
    return g_strdup (arg);

  file = g_file_new_for_commandline_arg (arg);
  path = g_file_get_path (file);
  if (path == NULL)
    g_set_error_literal (error, MESSAGE_FILE_ERROR, MESSAGE_FILE_ERROR_READ,
                         _("not a local file: give a path or a file: URI"));
  return path;
}

/* Opens @arg for reading and fills @st.  Returns the descriptor, or -1
 * with @error set when it cannot be opened or is not a regular file. */
static int
open_regular (const char *arg, struct stat *st, GError **error)
{
  g_autofree char *path = local_path (arg, error);
  int fd;

  if (path == NULL)
    return -1;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    {
      fail_errno (error, errno);
      return -1;
    }
  if (fstat (fd, st) != 0)
    {
      fail_errno (error, errno);
      close (fd);
      return -1;
    }
  if (!S_ISREG (st->st_mode))
    {
      g_set_error_literal (error, MESSAGE_FILE_ERROR,
                           MESSAGE_FILE_ERROR_NOT_REGULAR,
                           _("not a regular file"));
      close (fd);
      return -1;
    }
  return fd;
}

/* Reads @fd to its end.  @size_hint is the size fstat() gave, and the
 * buffer has one octet more, so a read that reaches @size_hint without
 * filling the buffer has met the end: the usual file takes one read, not
 * a second one that returns 0.  A file that grew meanwhile fills the
 * buffer and is read on, so it is not cut inside a line.  A short read
 * before @size_hint means reading on. */
static GBytes *
read_to_end (int fd, gsize size_hint, GError **error)
{
  gsize capacity = size_hint + 1;
  g_autofree guint8 *data = g_malloc (capacity);
  gsize len = 0;

  for (;;)
    {
      gsize want;
      gssize got;

      if (len == capacity)
        {
          capacity *= 2;
          data = g_realloc (data, capacity);
        }
      want = capacity - len;
      got = read (fd, data + len, want);
      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          fail_errno (error, errno);
          return NULL;
        }
      len += (gsize) got;
      if (got == 0 || (len >= size_hint && (gsize) got < want))
        break;
    }

  return g_bytes_new_take (g_steal_pointer (&data), len);
}

/* Reads the regular file @arg whole; @size receives its size at open. */
static GBytes *
read_regular (const char *arg, goffset *size, GError **error)
{
  struct stat st;
  GBytes *contents;
  int fd = open_regular (arg, &st, error);

  if (fd < 0)
    return NULL;

  *size = st.st_size;
  contents = st.st_size == 0 ? g_bytes_new (NULL, 0)
                             : read_to_end (fd, (gsize) st.st_size, error);
  close (fd);
  return contents;
}

gboolean
message_file_check (const char *arg, gsize keep_max, GBytes **contents,
                    GError **error)
{
  g_autoptr (GBytes) read = NULL;
  g_autoptr (GError) invalid = NULL;
  goffset size = 0;

  g_return_val_if_fail (contents != NULL && *contents == NULL, FALSE);

  read = read_regular (arg, &size, error);
  if (read == NULL)
    return FALSE;
  if (size == 0)
    {
      g_set_error_literal (error, MESSAGE_FILE_ERROR, MESSAGE_FILE_ERROR_EMPTY,
                           _("the file is empty"));
      return FALSE;
    }
  if (!naccs_client_validate_message (read, &invalid))
    {
      g_set_error_literal (error, MESSAGE_FILE_ERROR,
                           MESSAGE_FILE_ERROR_INVALID, invalid->message);
      return FALSE;
    }

  if (g_bytes_get_size (read) <= keep_max)
    *contents = g_steal_pointer (&read);
  return TRUE;
}

GBytes *
message_file_load (const char *arg, GError **error)
{
  goffset size = 0;

  return read_regular (arg, &size, error);
}
