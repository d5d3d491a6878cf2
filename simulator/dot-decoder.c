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
 * line ends and bare CRs together, 16 octets at a time with SSE2 (with
 * memchr elsewhere), and copies runs of whole lines, never byte by byte.
 * Only the first two or three bytes of a line that begins with "." go
 * through the small state machine.  It also gathers the statistics of the
 * MESSAGE event (lines, longest line, first long line, first line with a
 * bare CR or LF, dot lines).  Spooling and replies are left to the session.
 */
#include <string.h>

/* The vector scan needs SSE2, which every x86-64 CPU has; defining
 * NACCS_SIM_DOT_PORTABLE selects the memchr scan, so that the tests can
 * run it too. */
#if defined(__SSE2__) && !defined(NACCS_SIM_DOT_PORTABLE)
#define USE_SSE2 1
#include <emmintrin.h>
#endif

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

/* Each find_line_end() returns the offset of the first LF in @p[0, @n), or
 * @n when there is none, and sets *@bare_cr when a CR before that offset
 * is followed by something other than LF.  A CR in the last octet is left
 * alone, because the next piece decides about it. */

#ifdef USE_SSE2
/* Finds the line end and the bare CRs in one pass, 16 octets at a time: a
 * second scan for CR over every line cost the decoder a third of its
 * rate.  In a block, a CR is bare unless the next lane holds an LF; for a
 * CR in the last lane the octet after the block decides.  A plain loop
 * does the last octets. */
static gsize
find_line_end (const guint8 *p, gsize n, gboolean *bare_cr)
{
  const __m128i lf = _mm_set1_epi8 ('\n');
  const __m128i cr = _mm_set1_epi8 ('\r');
  gsize i = 0;

  for (; i + 16 <= n; i += 16)
    {
      __m128i block = _mm_loadu_si128 ((const void *) (p + i));
      unsigned lf_bits = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (block,
                                                                       lf));
      unsigned cr_bits = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (block,
                                                                       cr));
      unsigned lf_lane;
      unsigned bare;

      if ((lf_bits | cr_bits) == 0)
        continue;
      /* Only CRs before the first LF belong to this line. */
      lf_lane = lf_bits != 0 ? (unsigned) __builtin_ctz (lf_bits) : 16;
      bare = cr_bits & ~(lf_bits >> 1) & ((1u << lf_lane) - 1);
      if ((bare & 0x8000) != 0 && (i + 16 == n || p[i + 16] == '\n'))
        bare &= 0x7fff;
      if (bare != 0)
        *bare_cr = TRUE;
      if (lf_lane < 16)
        return i + lf_lane;
    }

  for (; i < n; i++)
    {
      if (p[i] == '\n')
        return i;
      if (p[i] == '\r' && i + 1 < n && p[i + 1] != '\n')
        *bare_cr = TRUE;
    }
  return n;
}
#else
/* Finds the line end with memchr, then any CR before the octet in front of
 * it, which can only be followed by something other than LF. */
static gsize
find_line_end (const guint8 *p, gsize n, gboolean *bare_cr)
{
  const guint8 *lf = memchr (p, '\n', n);
  gsize end = lf != NULL ? (gsize) (lf - p) : n;

  if (end > 1 && memchr (p, '\r', end - 1) != NULL)
    *bare_cr = TRUE;
  return end;
}
#endif

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
      gboolean bare_cr = FALSE;
      gsize lf_at = pos + find_line_end (p + pos, n - pos, &bare_cr);
      const guint8 *lf = lf_at < n ? p + lf_at : NULL;
      gsize end = lf != NULL ? lf_at + 1 : n;
      gboolean crlf;

      /* A CR left at the end of the previous piece is bare unless this
       * piece starts with its LF. */
      if (bare_cr || (decoder->prev_cr && p[pos] != '\n'))
        mark_bare (decoder);
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
