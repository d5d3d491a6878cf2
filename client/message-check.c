/* message-check.c: checks that a message can be sent faithfully over SMTP.
 *
 * RFC 5321 section 4.5.3.1.6 limits a text line to 1000 octets including its
 * CRLF, and section 2.3.8 forbids CR and LF outside a CRLF pair.  Row 6 of
 * table 4-3-13 of the NACCS EDI specification relies on messages keeping a
 * CRLF within every 1000 bytes.  A message that breaks either rule would be
 * changed or rejected on the way, so the client rejects it before MAIL FROM
 * is sent.  An empty message is rejected too, because a processing-request
 * message always has at least its protocol header.  A last line without a
 * CRLF is accepted: the dot encoder appends one.
 *
 * The checker is streamed with memchr over chunks of any size, so a file is
 * checked without loading it whole.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-client"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "client-private.h"

/* RFC 5321 section 4.5.3.1.6: text line length, CRLF included. */
#define LINE_MAX_OCTETS 1000

/* Read size of naccs_client_validate_file(). */
#define FILE_CHUNK_SIZE (64 * 1024)

void
naccs_message_check_init (NaccsMessageCheck *check)
{
  check->line = 1;
  check->line_len = 0;
  check->total = 0;
  check->pending_cr = FALSE;
}

static gboolean
fail_bare_cr (const NaccsMessageCheck *check, gsize offset, GError **error)
{
  naccs_error_set (error, NACCS_CLIENT_ERROR_INVALID_MESSAGE, 0,
                   _("line %u has a CR without LF at octet %zu: end every "
                     "line with CRLF and remove other CRs"),
                   check->line, offset);
  return FALSE;
}

static gboolean
fail_bare_lf (const NaccsMessageCheck *check, gsize offset, GError **error)
{
  naccs_error_set (error, NACCS_CLIENT_ERROR_INVALID_MESSAGE, 0,
                   _("line %u ends with a LF without CR at octet %zu: end "
                     "every line with CRLF"),
                   check->line, offset);
  return FALSE;
}

static gboolean
fail_too_long (const NaccsMessageCheck *check, gsize octets, GError **error)
{
  naccs_error_set (error, NACCS_CLIENT_ERROR_INVALID_MESSAGE, 0,
                   _("line %u is %zu octets long including its CRLF, over "
                     "the SMTP limit of %d: break the line with CRLF"),
                   check->line, octets, LINE_MAX_OCTETS);
  return FALSE;
}

/* Checks the bytes [@start, @end) of @data, which hold no LF: a CR is allowed
 * only as their last byte, where it may be the first half of a CRLF. */
static gboolean
check_run (NaccsMessageCheck *check, const guint8 *data, gsize start,
           gsize end, GError **error)
{
  const guint8 *cr;

  if (check->pending_cr && start < end)
    return fail_bare_cr (check, check->line_len, error);

  cr = memchr (data + start, '\r', end - start);
  if (cr != NULL && cr != data + end - 1)
    return fail_bare_cr (check, check->line_len + (gsize) (cr - data - start)
                                    + 1, error);

  check->line_len += end - start;
  if (end > start)
    check->pending_cr = data[end - 1] == '\r';
  return TRUE;
}

gboolean
naccs_message_check_feed (NaccsMessageCheck *check, const guint8 *data,
                          gsize len, GError **error)
{
  gsize pos = 0;

  check->total += len;
  while (pos < len)
    {
      const guint8 *lf = memchr (data + pos, '\n', len - pos);
      gsize end = lf != NULL ? (gsize) (lf - data) : len;

      if (!check_run (check, data, pos, end, error))
        return FALSE;
      if (lf == NULL)
        break;

      check->line_len++;
      if (!check->pending_cr)
        return fail_bare_lf (check, check->line_len, error);
      if (check->line_len > LINE_MAX_OCTETS)
        return fail_too_long (check, check->line_len, error);

      check->line++;
      check->line_len = 0;
      check->pending_cr = FALSE;
      pos = end + 1;
    }

  return TRUE;
}

gboolean
naccs_message_check_finish (NaccsMessageCheck *check, GError **error)
{
  if (check->total == 0)
    {
      naccs_error_set (error, NACCS_CLIENT_ERROR_INVALID_MESSAGE, 0,
                       _("the message is empty: a processing-request message "
                         "needs at least its protocol header"));
      return FALSE;
    }

  if (check->pending_cr)
    return fail_bare_cr (check, check->line_len, error);

  /* The encoder will append a CRLF to a last line without one. */
  if (check->line_len > 0 && check->line_len + 2 > LINE_MAX_OCTETS)
    return fail_too_long (check, check->line_len + 2, error);

  return TRUE;
}

gboolean
naccs_client_validate_message (GBytes *message, GError **error)
{
  NaccsMessageCheck check;
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = g_bytes_get_data (message, &len);
  naccs_message_check_init (&check);
  return naccs_message_check_feed (&check, data, len, error)
         && naccs_message_check_finish (&check, error);
}

/* Sets a NACCS_CLIENT_ERROR_INVALID_MESSAGE error for a file that cannot be
 * read, because a message that cannot be read cannot be sent faithfully
 * either, and callers handle one error domain. */
void
naccs_error_set_file (GError **error, GFile *file, const GError *cause)
{
  g_autofree char *name = g_file_get_parse_name (file);

  naccs_error_set (error, NACCS_CLIENT_ERROR_INVALID_MESSAGE, 0,
                   _("cannot read \"%s\": %s"), name, cause->message);
}

gboolean
naccs_client_validate_file (GFile *file, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GFileInputStream) stream = NULL;
  g_autofree guint8 *buffer = NULL;
  NaccsMessageCheck check;

  g_return_val_if_fail (G_IS_FILE (file), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stream = g_file_read (file, NULL, &local_error);
  if (stream == NULL)
    {
      naccs_error_set_file (error, file, local_error);
      return FALSE;
    }

  buffer = g_malloc (FILE_CHUNK_SIZE);
  naccs_message_check_init (&check);
  for (;;)
    {
      gssize got = g_input_stream_read (G_INPUT_STREAM (stream), buffer,
                                        FILE_CHUNK_SIZE, NULL, &local_error);

      if (got < 0)
        {
          naccs_error_set_file (error, file, local_error);
          return FALSE;
        }
      if (got == 0)
        break;
      if (!naccs_message_check_feed (&check, buffer, (gsize) got, error))
        return FALSE;
    }

  return naccs_message_check_finish (&check, error);
}
