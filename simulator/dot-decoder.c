/* dot-decoder.c: the end-of-data and dummy-dot rules of SMTP DATA.
 *
 * RFC 5321 section 4.5.2 and the notes to row 6 of NACCS table 4-3-13: a
 * message ends at <CRLF>.<CRLF>, where the first CRLF may be the one that
 * ended the DATA command, so "." right after DATA is an empty message; a
 * line that begins with "." has that first "." (the dummy dot) removed.
 * Lines end at CRLF only: a bare LF or a bare CR is part of the line, never
 * ends the message and never starts a new line.  The decoder is fed
 * whatever a read returned and keeps its state between calls, so the
 * result does not depend on where reads split the input.  It scans for
 * line ends with memchr and copies runs of whole lines, never byte by
 * byte.  Only the first two or three bytes of a line that begins with "."
 * go through the small state machine.  It also gathers the statistics of the
 * MESSAGE event (lines, longest line, first long line, first line with a
 * bare CR or LF, dot lines).  Spooling and replies are left to the session.
 */
#include <string.h>

#include "dot-decoder.h"

void
naccs_sim_dot_decoder_init (NaccsSimDotDecoder *decoder,
                            guint line_limit,
                            gsize output_limit)
{
  memset (decoder, 0, sizeof *decoder);
  decoder->state = NACCS_SIM_DOT_LINE_START;
  decoder->line_limit = line_limit;
  decoder->output_limit = output_limit;
}

static void
emit (NaccsSimDotDecoder *decoder,
      GByteArray *output,
      const guint8 *bytes,
      gsize len)
{
  decoder->decoded_octets += len;
  if (output == NULL || output->len >= decoder->output_limit)
    return;
  g_byte_array_append (output, bytes,
                       (guint) MIN (len, decoder->output_limit - output->len));
}

static void
mark_bare (NaccsSimDotDecoder *decoder)
{
  decoder->line_has_bare = TRUE;
}

/* Closes the current line at its CRLF and updates the statistics. */
static void
end_line (NaccsSimDotDecoder *decoder)
{
  guint number = ++decoder->line_count;
  /* RFC 5321 section 4.5.3.1.6: the 1000-octet limit does not count the
   * leading dot duplicated for transparency. */
  guint64 counted = decoder->line_octets - (decoder->line_dummy_dot ? 1 : 0);

  if (decoder->line_octets > decoder->max_line_octets)
    decoder->max_line_octets = decoder->line_octets;
  if (counted > NACCS_SIM_SMTP_LINE_LIMIT && decoder->first_long_line == 0)
    decoder->first_long_line = number;
  if (counted > decoder->line_limit && decoder->first_over_limit == 0)
    decoder->first_over_limit = number;
  if (decoder->line_has_bare && decoder->first_bare_line == 0)
    decoder->first_bare_line = number;

  decoder->line_octets = 0;
  decoder->line_has_bare = FALSE;
  decoder->line_dummy_dot = FALSE;
  decoder->prev_cr = FALSE;
  decoder->state = NACCS_SIM_DOT_LINE_START;
}

/* Marks the line bare if the piece @p[0, @len) contains a bare CR.  The
 * piece ends in an LF (@lf) or at the end of the input.  Every CR is bare
 * except the one just before the LF; without an LF, the next piece
 * decides about a CR in the last byte. */
static void
check_bare_cr (NaccsSimDotDecoder *decoder, const guint8 *p, gsize len,
               gboolean lf)
{
  gsize scan;

  /* A CR left at the end of the previous piece is bare unless this piece
   * starts with its LF. */
  if (decoder->prev_cr && p[0] != '\n')
    mark_bare (decoder);
  if (lf)
    scan = len >= 2 ? len - 2 : 0;
  else
    scan = len - 1;
  if (scan > 0 && memchr (p, '\r', scan) != NULL)
    mark_bare (decoder);
}

/* Takes whole lines, and the start of the next one, until a line that
 * begins with "." (which the state machine must see) or the end of the
 * input, and copies them to the output in one piece.  Returns how many
 * bytes it took. */
static gsize
decode_body (NaccsSimDotDecoder *decoder,
             const guint8 *p,
             gsize n,
             GByteArray *output)
{
  gsize pos = 0;

  while (pos < n)
    {
      const guint8 *lf = memchr (p + pos, '\n', n - pos);
      gsize end = lf != NULL ? (gsize) (lf - p) + 1 : n;
      gboolean crlf;

      check_bare_cr (decoder, p + pos, end - pos, lf != NULL);
      decoder->line_octets += end - pos;
      if (lf == NULL)
        {
          decoder->prev_cr = p[n - 1] == '\r';
          pos = n;
          break;
        }

      crlf = end - pos >= 2 ? p[end - 2] == '\r' : decoder->prev_cr;
      decoder->prev_cr = FALSE;
      pos = end;
      if (!crlf)
        {
          /* A bare LF: the line goes on. */
          mark_bare (decoder);
          continue;
        }
      end_line (decoder);
      if (pos < n && p[pos] == '.')
        break;
      if (pos < n)
        decoder->state = NACCS_SIM_DOT_BODY;
    }

  emit (decoder, output, p, pos);
  decoder->received_octets += pos;
  return pos;
}

/* The line began with "." and the next byte shows it is not the end of
 * data: the dot was a dummy dot, dropped from the output. */
static void
resolve_dot_line (NaccsSimDotDecoder *decoder, guint octets_held)
{
  decoder->dot_lines++;
  decoder->line_dummy_dot = TRUE;
  decoder->received_octets += octets_held;
  decoder->line_octets = octets_held;
  decoder->state = NACCS_SIM_DOT_BODY;
}

gsize
naccs_sim_dot_decoder_feed (NaccsSimDotDecoder *decoder,
                            const guint8 *data,
                            gsize len,
                            GByteArray *output)
{
  static const guint8 cr = '\r';
  gsize pos = 0;

  while (pos < len && decoder->state != NACCS_SIM_DOT_DONE)
    {
      switch (decoder->state)
        {
        case NACCS_SIM_DOT_LINE_START:
          if (data[pos] == '.')
            {
              decoder->state = NACCS_SIM_DOT_AFTER_DOT;
              pos++;
            }
          else
            decoder->state = NACCS_SIM_DOT_BODY;
          break;

        case NACCS_SIM_DOT_AFTER_DOT:
          if (data[pos] == '\r')
            {
              decoder->state = NACCS_SIM_DOT_AFTER_DOT_CR;
              pos++;
            }
          else
            resolve_dot_line (decoder, 1);
          break;

        case NACCS_SIM_DOT_AFTER_DOT_CR:
          if (data[pos] == '\n')
            {
              decoder->state = NACCS_SIM_DOT_DONE;
              pos++;
              break;
            }
          /* ".\r" not followed by LF: the CR is bare and part of the line. */
          resolve_dot_line (decoder, 2);
          emit (decoder, output, &cr, 1);
          mark_bare (decoder);
          break;

        case NACCS_SIM_DOT_BODY:
          pos += decode_body (decoder, data + pos, len - pos, output);
          break;

        case NACCS_SIM_DOT_DONE:
          break;
        }
    }
  return pos;
}
