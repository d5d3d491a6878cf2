/* dot-encoder.c: streaming dot-stuffing of a message for SMTP DATA.
 *
 * RFC 5321 section 4.5.2 and row 6 of table 4-3-13 of the NACCS EDI
 * specification: a line of the message that begins with "." gets a dummy "."
 * in front, so that the server's end-of-data search for <CRLF>.<CRLF> cannot
 * stop inside the message; the center mail server removes the dummy dot.
 * A line begins at the start of the message and after each CRLF; a bare LF
 * does not start a line, as in RFC 5321, and naccs_client_validate_message()
 * rejects bare LFs before a message reaches this encoder anyway.  The end
 * adds a CRLF when the message does not end with one (only an LF when it
 * ends with a CR), then ".\r\n".
 *
 * The encoder scans for LF with memchr and hands on runs of up to 2 KiB, so
 * it costs about as much as a copy.  The state between chunks is the three
 * flags of NaccsClientDotEncoder, which keeps a CRLF split across chunks and
 * a "." at the start of a chunk correct.  The simulator's dot remover is a
 * separate implementation on purpose, so the two cannot share a mistake.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-client"

#include <string.h>

#include "naccs-client.h"

/* Maximum size of a piece handed to the write callback.  Writers copy
 * what they get into a send buffer, and glibc 2.36 on x86-64 copies more
 * than 2,112 octets with "rep movsb" (its rep_movsb_threshold on CPUs
 * with fast short rep movsb).  On the AMD EPYC (family 25) of
 * bench/README.md that path made dot-stuffing with a copying writer run
 * at 0.73 of a memchr-and-copy loop over a message with a "." line every
 * 4,000 octets, and pieces of 2 KiB ran at 0.98 (bench/run-dot.sh).
 * Smaller pieces cost one more callback per 2 KiB, which is little next
 * to the copy. */
#define MAX_WRITE_OCTETS 2048

void
naccs_client_dot_encoder_init (NaccsClientDotEncoder *encoder)
{
  g_return_if_fail (encoder != NULL);

  encoder->at_line_start = TRUE;
  encoder->last_was_cr = FALSE;
  encoder->empty = TRUE;
}

static gboolean
write_run (NaccsClientWriteFunc write, gpointer user_data,
           const guint8 *data, gsize len, GError **error)
{
  while (len > MAX_WRITE_OCTETS)
    {
      if (!write (data, MAX_WRITE_OCTETS, user_data, error))
        return FALSE;
      data += MAX_WRITE_OCTETS;
      len -= MAX_WRITE_OCTETS;
    }
  if (len == 0)
    return TRUE;

  return write (data, len, user_data, error);
}

gboolean
naccs_client_dot_encoder_feed (NaccsClientDotEncoder *encoder,
                               const guint8 *data, gsize len,
                               NaccsClientWriteFunc write, gpointer user_data,
                               GError **error)
{
  static const guint8 dot = '.';
  gsize run_start = 0;
  gsize pos = 0;

  g_return_val_if_fail (encoder != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (write != NULL, FALSE);

  if (len == 0)
    return TRUE;
  encoder->empty = FALSE;

  while (pos < len)
    {
      const guint8 *lf;

      /* The dummy dot goes on the wire before the line's own dot, so the
       * run so far is written first and the line's bytes start a new run. */
      if (encoder->at_line_start && data[pos] == '.')
        {
          if (!write_run (write, user_data, data + run_start, pos - run_start,
                          error)
              || !write (&dot, 1, user_data, error))
            return FALSE;
          run_start = pos;
        }

      lf = memchr (data + pos, '\n', len - pos);
      if (lf == NULL)
        {
          encoder->at_line_start = FALSE;
          encoder->last_was_cr = data[len - 1] == '\r';
          break;
        }

      /* The CR of a CRLF may have ended the previous chunk. */
      encoder->at_line_start = lf > data ? lf[-1] == '\r'
                                         : encoder->last_was_cr;
      encoder->last_was_cr = FALSE;
      pos = (gsize) (lf - data) + 1;
    }

  return write_run (write, user_data, data + run_start, len - run_start,
                    error);
}

gboolean
naccs_client_dot_encoder_finish (NaccsClientDotEncoder *encoder,
                                 NaccsClientWriteFunc write,
                                 gpointer user_data, GError **error)
{
  static const guint8 crlf_dot_crlf[] = "\r\n.\r\n";
  const guint8 *tail = crlf_dot_crlf;
  gsize tail_len = sizeof crlf_dot_crlf - 1;

  g_return_val_if_fail (encoder != NULL, FALSE);
  g_return_val_if_fail (write != NULL, FALSE);

  /* An empty message and one ending in CRLF need only ".\r\n"; one ending
   * in CR needs the LF that completes its CRLF first. */
  if (encoder->empty || encoder->at_line_start)
    {
      tail += 2;
      tail_len -= 2;
    }
  else if (encoder->last_was_cr)
    {
      tail += 1;
      tail_len -= 1;
    }

  naccs_client_dot_encoder_init (encoder);
  return write (tail, tail_len, user_data, error);
}
