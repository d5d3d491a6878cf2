/* dot-decoder.h: streaming decoder of the SMTP DATA section (RFC 5321
 * section 4.5.2), see dot-decoder.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Octets over which a line breaks the SMTP line limit of RFC 5321 section
 * 4.5.3.1.6 (1000 octets with the CRLF); NaccsSimEvent.first_long_line
 * uses this fixed value whatever --max-line-length is set to. */
#define NACCS_SIM_SMTP_LINE_LIMIT 1000

typedef enum {
  NACCS_SIM_DOT_LINE_START, /* next byte begins a line */
  NACCS_SIM_DOT_AFTER_DOT,  /* the line began with "."; byte 2 decides */
  NACCS_SIM_DOT_AFTER_DOT_CR, /* the line began with ".\r"; byte 3 decides */
  NACCS_SIM_DOT_BODY,       /* inside a line */
  NACCS_SIM_DOT_DONE,       /* <CRLF>.<CRLF> seen */
} NaccsSimDotState;

/* Decoder state and the statistics of the message so far.  Line numbers
 * are 1-based; 0 means "none". */
typedef struct {
  NaccsSimDotState state;
  gboolean prev_cr;        /* the last byte given was a CR inside a line */
  gboolean line_has_bare;  /* the current line contains a bare CR or LF */
  gboolean line_dummy_dot; /* the current line began with a dummy dot */
  guint64 line_octets;     /* octets of the current line so far */
  guint line_limit;        /* first_over_limit uses this, CRLF included */
  gsize output_limit;      /* decoded octets kept in the output; the rest
                              are counted but dropped */

  guint64 received_octets; /* octets of the message as received, without
                              the final ".\r\n" */
  guint64 decoded_octets;  /* octets after dummy-dot removal */
  guint line_count;
  guint64 max_line_octets;
  guint first_long_line;   /* first line over NACCS_SIM_SMTP_LINE_LIMIT,
                              not counting its dummy dot */
  guint first_over_limit;  /* first line over line_limit, the same way */
  guint first_bare_line;
  guint dot_lines;
} NaccsSimDotDecoder;

/* Prepares @decoder for a new message that starts right after the CRLF of
 * the DATA command.  @line_limit is the maximum line length in octets with
 * the CRLF; @output_limit the maximum number of decoded octets appended to
 * the output. */
void naccs_sim_dot_decoder_init (NaccsSimDotDecoder *decoder,
                                 guint line_limit,
                                 gsize output_limit);

/* Decodes up to @len bytes of DATA content, appending the message without
 * its dummy dots to @output (nullable: count only).  Returns the number of
 * input bytes used: all of them, or fewer when the end of data was found,
 * in which case the ".\r\n" is included and the state is DONE; the bytes
 * after it belong to the next command. */
gsize naccs_sim_dot_decoder_feed (NaccsSimDotDecoder *decoder,
                                  const guint8 *data,
                                  gsize len,
                                  GByteArray *output);

static inline gboolean
naccs_sim_dot_decoder_done (const NaccsSimDotDecoder *decoder)
{
  return decoder->state == NACCS_SIM_DOT_DONE;
}

G_END_DECLS
