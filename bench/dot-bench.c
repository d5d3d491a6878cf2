/* dot-bench.c: throughput of dot-stuffing and dot-removal against a plain
 * memchr-and-copy loop over the same message.
 *
 * The design asks two codecs to run at 0.8 times or more of the speed of a
 * loop that finds every line end with memchr and copies the line, over a
 * 700,000-byte message.  They are the client's encoder
 * (naccs_client_dot_encoder_* in libnaccs-client) and the simulator's
 * decoder (simulator/dot-decoder.c).
 * The message has 80-octet CRLF lines and one line in DOT_INTERVAL begins
 * with ".", as NACCS EDI messages are laid out.  The encoder and the
 * decoder are fed 64 KiB chunks, the read size of naccs-send and of
 * naccs-sim.  Each measurement is repeated RUNS times, codec and baseline
 * in turn so that clock drift hits both, and the median is printed.  The
 * program first checks that the decoder restores the message the encoder
 * stuffed, so a fast but wrong codec cannot pass.
 *
 * Usage: dot-bench [RUNS [DOT_INTERVAL]]; it prints key=value lines that
 * bench/run-dot.sh reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "naccs-client.h"
#include "dot-decoder.h"

#define MESSAGE_OCTETS 700000
#define LINE_OCTETS 80
#define CHUNK_OCTETS (64 * 1024)
/* Repetitions inside one timed run: about 1.4 GB per run, long enough
 * (0.1 s and more) that timer resolution and page faults do not matter. */
#define PASSES 2000

typedef struct {
  guint8 *data;
  gsize len;
} Buffer;

static double
now_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Fills MESSAGE_OCTETS of 78 printable octets and CRLF per line; every
 * @dot_interval-th line begins with ".". */
static Buffer
make_message (guint dot_interval)
{
  Buffer message = { g_malloc (MESSAGE_OCTETS), MESSAGE_OCTETS };
  gsize line = 0;

  for (gsize pos = 0; pos < MESSAGE_OCTETS; pos += LINE_OCTETS, line++)
    {
      gsize len = MIN (LINE_OCTETS, MESSAGE_OCTETS - pos);

      for (gsize i = 0; i < len; i++)
        message.data[pos + i] = (guint8) ('A' + (pos + i) % 26);
      if (dot_interval > 0 && line % dot_interval == 0)
        message.data[pos] = '.';
      message.data[pos + len - 2] = '\r';
      message.data[pos + len - 1] = '\n';
    }
  return message;
}

static gboolean
append_output (const guint8 *data, gsize len, gpointer user_data,
               GError **error)
{
  Buffer *out = user_data;

  (void) error;
  memcpy (out->data + out->len, data, len);
  out->len += len;
  return TRUE;
}

/* Dot-stuffs @in into @out in 64 KiB chunks, as naccs-send does. */
static void
encode (const Buffer *in, Buffer *out)
{
  NaccsClientDotEncoder encoder;

  out->len = 0;
  naccs_client_dot_encoder_init (&encoder);
  for (gsize pos = 0; pos < in->len; pos += CHUNK_OCTETS)
    naccs_client_dot_encoder_feed (&encoder, in->data + pos,
                                   MIN (CHUNK_OCTETS, in->len - pos),
                                   append_output, out, NULL);
  naccs_client_dot_encoder_finish (&encoder, append_output, out, NULL);
}

/* Removes dummy dots from @in (DATA content ending in ".\r\n") into
 * @output in 64 KiB chunks, as naccs-sim reads them. */
static void
decode (const Buffer *in, GByteArray *output)
{
  NaccsSimDotDecoder decoder;

  g_byte_array_set_size (output, 0);
  naccs_sim_dot_decoder_init (&decoder, 1000, MESSAGE_OCTETS + 1024);
  for (gsize pos = 0; pos < in->len && !naccs_sim_dot_decoder_done (&decoder);)
    pos += naccs_sim_dot_decoder_feed (&decoder, in->data + pos,
                                       MIN (CHUNK_OCTETS, in->len - pos),
                                       output);
}

/* The anchor: find each line end with memchr and copy the line. */
static void
memchr_copy (const Buffer *in, Buffer *out)
{
  const guint8 *p = in->data;
  const guint8 *end = in->data + in->len;

  out->len = 0;
  while (p < end)
    {
      const guint8 *lf = memchr (p, '\n', (gsize) (end - p));
      gsize n = lf != NULL ? (gsize) (lf - p) + 1 : (gsize) (end - p);

      memcpy (out->data + out->len, p, n);
      out->len += n;
      p += n;
    }
}

typedef enum { KIND_ENCODE, KIND_DECODE, KIND_COPY } Kind;

/* Returns the rate in GB/s (1e9 octets of input per second) of PASSES
 * passes of @kind over @in. */
static double
time_passes (Kind kind, const Buffer *in, Buffer *out, GByteArray *output)
{
  double start = now_seconds ();

  for (int i = 0; i < PASSES; i++)
    {
      if (kind == KIND_ENCODE)
        encode (in, out);
      else if (kind == KIND_DECODE)
        decode (in, output);
      else
        memchr_copy (in, out);
      /* Keep the compiler from dropping passes whose result is unused. */
      __asm__ volatile ("" : : "r" (out->data), "r" (output->data)
                        : "memory");
    }
  return (double) in->len * PASSES / (now_seconds () - start) / 1e9;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *values, int count)
{
  qsort (values, (size_t) count, sizeof *values, compare_double);
  return count % 2 == 1 ? values[count / 2]
                        : (values[count / 2 - 1] + values[count / 2]) / 2;
}

/* Times @kind against the memchr-and-copy anchor over the same input,
 * alternating runs, and prints the medians and their ratio. */
static void
report (const char *name, Kind kind, const Buffer *in, Buffer *out,
        GByteArray *output, int runs)
{
  double *codec = g_new (double, runs);
  double *anchor = g_new (double, runs);

  for (int r = 0; r < runs; r++)
    {
      codec[r] = time_passes (kind, in, out, output);
      anchor[r] = time_passes (KIND_COPY, in, out, output);
    }
  double codec_rate = median (codec, runs);
  double anchor_rate = median (anchor, runs);

  printf ("%s_gbps=%.2f %s_anchor_gbps=%.2f %s_ratio=%.2f "
          "%s_codec_min_max=%.2f-%.2f\n",
          name, codec_rate, name, anchor_rate, name,
          codec_rate / anchor_rate, name, codec[0], codec[runs - 1]);
  g_free (codec);
  g_free (anchor);
}

int
main (int argc, char **argv)
{
  int runs = argc > 1 ? atoi (argv[1]) : 7;
  guint dot_interval = argc > 2 ? (guint) atoi (argv[2]) : 50;
  Buffer message = make_message (dot_interval);
  Buffer stuffed = { g_malloc (2 * MESSAGE_OCTETS + 16), 0 };
  Buffer scratch = { g_malloc (2 * MESSAGE_OCTETS + 16), 0 };
  GByteArray *output = g_byte_array_sized_new (MESSAGE_OCTETS + 1024);

  if (runs < 1)
    {
      fprintf (stderr, "invalid RUNS \"%s\": give a number from 1 up\n",
               argv[1]);
      return 2;
    }

  /* Round trip first: the decoder must give back the original message. */
  encode (&message, &stuffed);
  decode (&stuffed, output);
  if (output->len != message.len
      || memcmp (output->data, message.data, message.len) != 0)
    {
      fprintf (stderr, "dot-bench: decode(encode(message)) differs from "
               "the message; the codecs are wrong, not slow\n");
      return 1;
    }

  printf ("message_octets=%zu stuffed_octets=%zu dot_lines=%zu runs=%d "
          "passes=%d\n", message.len, stuffed.len,
          stuffed.len - message.len - 3, runs, PASSES);
  report ("encode", KIND_ENCODE, &message, &scratch, output, runs);
  report ("decode", KIND_DECODE, &stuffed, &scratch, output, runs);

  g_byte_array_unref (output);
  g_free (message.data);
  g_free (stuffed.data);
  g_free (scratch.data);
  return 0;
}
