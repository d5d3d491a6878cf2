/* test-dot-decoder.c: the DATA decoder against a table of edge cases and
 * against every message fixture.
 *
 * Each case is decoded whole, a byte at a time and split in two at every
 * position, so a state kept wrongly across a read boundary shows up.  The
 * fixtures are dot-stuffed by a byte-at-a-time encoder written here on
 * purpose instead of the client library's, so the two sides of the
 * harness cannot share a mistake.
 */
#include <string.h>

#include <CUnit/Basic.h>
#include <glib.h>

#include "dot-decoder.h"
#include "sim-event.h"

#define LINE_LIMIT 1000
#define OUTPUT_LIMIT (64 * 1024 * 1024)

typedef struct {
  GByteArray *output;
  gsize used;
  gboolean done;
  NaccsSimDotDecoder decoder;
} Decoded;

static void
decoded_clear (Decoded *decoded)
{
  g_byte_array_unref (decoded->output);
}

/* Decodes @input in pieces of @piece bytes (0: whole), with the first
 * piece @first bytes long when @first > 0. */
static Decoded
decode_pieces (const guint8 *input, gsize len, gsize first, gsize piece)
{
  Decoded decoded = { g_byte_array_new (), 0, FALSE, { 0 } };
  gsize pos = 0;

  naccs_sim_dot_decoder_init (&decoded.decoder, LINE_LIMIT, OUTPUT_LIMIT);
  while (pos < len && !naccs_sim_dot_decoder_done (&decoded.decoder))
    {
      gsize size = len - pos;
      gsize used;

      if (pos == 0 && first > 0)
        size = MIN (first, size);
      else if (piece > 0)
        size = MIN (piece, size);
      used = naccs_sim_dot_decoder_feed (&decoded.decoder, input + pos, size,
                                         decoded.output);
      pos += used;
      if (used < size)
        break;
    }
  decoded.used = pos;
  decoded.done = naccs_sim_dot_decoder_done (&decoded.decoder);
  return decoded;
}

/* ---- table of edge cases ---- */

typedef struct {
  const char *name;
  const char *input;     /* what follows "DATA\r\n" */
  const char *want;      /* decoded message */
  gboolean want_done;
  gsize want_used;       /* input bytes used, the ".\r\n" included */
  guint want_lines;
  guint want_dot_lines;
  guint want_first_bare;
} DecoderCase;

static const DecoderCase cases[] = {
  { "empty message", ".\r\n", "", TRUE, 3, 0, 0, 0 },
  { "one line", "abc\r\n.\r\n", "abc\r\n", TRUE, 8, 1, 0, 0 },
  { "dot line", "..\r\n.\r\n", ".\r\n", TRUE, 7, 1, 1, 0 },
  { "two dots", "...\r\n.\r\n", "..\r\n", TRUE, 8, 1, 1, 0 },
  { "dot first byte", ".abc\r\n.\r\n", "abc\r\n", TRUE, 9, 1, 1, 0 },
  { "dot inside line", "a.b\r\n.b\r\n.\r\n", "a.b\r\nb\r\n", TRUE, 12, 2, 1,
    0 },
  { "bare LF inside", "a\nb\r\n.\r\n", "a\nb\r\n", TRUE, 8, 1, 0, 1 },
  { "bare CR inside", "a\rb\r\n.\r\n", "a\rb\r\n", TRUE, 8, 1, 0, 1 },
  { "LF dot LF no end", "a\n.\nb\r\n.\r\n", "a\n.\nb\r\n", TRUE, 10, 1, 0,
    1 },
  { "CRLF dot LF no end", "a\r\n.\nb\r\n.\r\n", "a\r\n\nb\r\n", TRUE, 11, 2,
    1, 2 },
  { "LF dot CRLF no end", "a\n.\r\nb\r\n.\r\n", "a\n.\r\nb\r\n", TRUE, 11, 2,
    0, 1 },
  { "dot CR then byte", ".\rx\r\n.\r\n", "\rx\r\n", TRUE, 8, 1, 1, 1 },
  { "dot CR CR LF", ".\r\r\n.\r\n", "\r\r\n", TRUE, 7, 1, 1, 1 },
  { "CR CR LF", "a\r\r\n.\r\n", "a\r\r\n", TRUE, 7, 1, 0, 1 },
  { "bytes after end", "a\r\n.\r\nQUIT\r\n", "a\r\n", TRUE, 6, 1, 0, 0 },
  { "end not complete", "a\r\n.\r", "a\r\n", FALSE, 5, 1, 0, 0 },
  { "dot space line", ". \r\n.\r\n", " \r\n", TRUE, 7, 1, 1, 0 },
  { "NUL bytes kept", "a\0b\r\n.\r\n", "a\0b\r\n", TRUE, 8, 1, 0, 0 },
};

static gsize
case_input_len (const DecoderCase *c)
{
  /* The NUL case needs an explicit length. */
  if (strcmp (c->name, "NUL bytes kept") == 0)
    return 8;
  return strlen (c->input);
}

static gsize
case_want_len (const DecoderCase *c)
{
  if (strcmp (c->name, "NUL bytes kept") == 0)
    return 5;
  return strlen (c->want);
}

static void
check_case (const DecoderCase *c, const Decoded *got, const char *how)
{
  gsize want_len = case_want_len (c);
  /* An empty GByteArray may hold a NULL data pointer, which memcmp must
   * not get even for a length of 0. */
  gboolean same = got->output->len == want_len
                  && (want_len == 0
                      || memcmp (got->output->data, c->want, want_len) == 0);

  if (!same || got->done != c->want_done || got->used != c->want_used
      || got->decoder.line_count != c->want_lines
      || got->decoder.dot_lines != c->want_dot_lines
      || got->decoder.first_bare_line != c->want_first_bare)
    {
      g_autofree char *got_text = naccs_sim_escape (got->output->data,
                                                    got->output->len);

      g_printerr ("case \"%s\" (%s): got output \"%s\" done=%d used=%zu "
                  "lines=%u dot_lines=%u first_bare=%u; want done=%d "
                  "used=%zu lines=%u dot_lines=%u first_bare=%u\n",
                  c->name, how, got_text, got->done, got->used,
                  got->decoder.line_count, got->decoder.dot_lines,
                  got->decoder.first_bare_line, c->want_done, c->want_used,
                  c->want_lines, c->want_dot_lines, c->want_first_bare);
    }
  CU_ASSERT_TRUE (same);
  CU_ASSERT_EQUAL (got->done, c->want_done);
  CU_ASSERT_EQUAL (got->used, c->want_used);
  CU_ASSERT_EQUAL (got->decoder.line_count, c->want_lines);
  CU_ASSERT_EQUAL (got->decoder.dot_lines, c->want_dot_lines);
  CU_ASSERT_EQUAL (got->decoder.first_bare_line, c->want_first_bare);
}

/* Proves each edge case decodes right whole and a byte at a time. */
static void
test_cases_whole_and_bytewise (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const guint8 *input = (const guint8 *) cases[i].input;
      gsize len = case_input_len (&cases[i]);
      Decoded whole = decode_pieces (input, len, 0, 0);
      Decoded bytewise = decode_pieces (input, len, 0, 1);

      check_case (&cases[i], &whole, "whole");
      check_case (&cases[i], &bytewise, "a byte at a time");
      decoded_clear (&whole);
      decoded_clear (&bytewise);
    }
}

/* Proves each edge case decodes right split in two at every position. */
static void
test_cases_split_everywhere (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const guint8 *input = (const guint8 *) cases[i].input;
      gsize len = case_input_len (&cases[i]);

      for (gsize split = 1; split < len; split++)
        {
          Decoded got = decode_pieces (input, len, split, 0);
          g_autofree char *how = g_strdup_printf ("split at %zu", split);

          check_case (&cases[i], &got, how);
          decoded_clear (&got);
        }
    }
}

/* Proves the end of data is found wherever reads split "\r\n.\r\n". */
static void
test_end_split_at_every_position (void)
{
  static const char input[] = "line\r\n.\r\nNEXT";
  gsize len = sizeof input - 1;

  for (gsize a = 1; a < len; a++)
    for (gsize piece = 1; piece <= 5; piece++)
      {
        Decoded got = decode_pieces ((const guint8 *) input, len, a, piece);

        CU_ASSERT_TRUE (got.done);
        CU_ASSERT_EQUAL (got.used, 9);
        CU_ASSERT_EQUAL (got.output->len, 6);
        CU_ASSERT_EQUAL (memcmp (got.output->data, "line\r\n", 6), 0);
        decoded_clear (&got);
      }
}

/* Proves the line statistics: longest line and first line over limits. */
static void
test_line_statistics (void)
{
  GString *input = g_string_new ("short\r\n");
  Decoded got;

  g_string_append_len (input, ".", 1);
  for (int i = 0; i < 1000; i++)
    g_string_append_c (input, 'x');
  g_string_append (input, "\r\n.\r\n");
  got = decode_pieces ((const guint8 *) input->str, input->len, 0, 7);

  CU_ASSERT_TRUE (got.done);
  CU_ASSERT_EQUAL (got.decoder.line_count, 2);
  CU_ASSERT_EQUAL (got.decoder.max_line_octets, 1003);
  CU_ASSERT_EQUAL (got.decoder.first_long_line, 2);
  CU_ASSERT_EQUAL (got.decoder.first_over_limit, 2);
  CU_ASSERT_EQUAL (got.decoder.dot_lines, 1);
  CU_ASSERT_EQUAL (got.decoder.received_octets, input->len - 3);
  CU_ASSERT_EQUAL (got.decoder.decoded_octets, input->len - 4);
  decoded_clear (&got);
  g_string_free (input, TRUE);
}

/* Proves a dummy dot does not count toward the line limit. */
static void
test_dummy_dot_not_counted (void)
{
  GString *input = g_string_new (".");
  Decoded got;

  for (int i = 0; i < 998; i++)
    g_string_append_c (input, 'x');
  g_string_append (input, "\r\n.\r\n");
  got = decode_pieces ((const guint8 *) input->str, input->len, 0, 0);

  CU_ASSERT_TRUE (got.done);
  CU_ASSERT_EQUAL (got.decoder.max_line_octets, 1001);
  CU_ASSERT_EQUAL (got.decoder.first_long_line, 0);
  CU_ASSERT_EQUAL (got.decoder.first_over_limit, 0);
  CU_ASSERT_EQUAL (got.output->len, 1000);
  decoded_clear (&got);
  g_string_free (input, TRUE);
}

/* Proves output past the output limit is counted but not kept. */
static void
test_output_limit (void)
{
  static const char input[] = "0123456789\r\n.\r\n";
  Decoded decoded = { g_byte_array_new (), 0, FALSE, { 0 } };

  naccs_sim_dot_decoder_init (&decoded.decoder, LINE_LIMIT, 4);
  naccs_sim_dot_decoder_feed (&decoded.decoder, (const guint8 *) input,
                              sizeof input - 1, decoded.output);
  CU_ASSERT_TRUE (naccs_sim_dot_decoder_done (&decoded.decoder));
  CU_ASSERT_EQUAL (decoded.output->len, 4);
  CU_ASSERT_EQUAL (decoded.decoder.decoded_octets, 12);
  decoded_clear (&decoded);
}

/* ---- random inputs against a byte-at-a-time reference ---- */

typedef struct {
  GByteArray *output;
  gsize used;
  gboolean done;
  guint lines;
  guint dot_lines;
  guint first_bare;
} Reference;

/* Returns TRUE when a complete line (CRLF included) contains a CR or LF
 * other than its final CRLF. */
static gboolean
line_has_bare (const guint8 *line, gsize len)
{
  for (gsize i = 0; i + 2 < len; i++)
    if (line[i] == '\r' || line[i] == '\n')
      return TRUE;
  return FALSE;
}

/* Decodes as RFC 5321 section 4.5.2 reads, one byte at a time: collect a
 * line up to CRLF, stop at ".\r\n", drop a leading dot. */
static Reference
reference_decode (const guint8 *input, gsize len)
{
  Reference ref = { g_byte_array_new (), 0, FALSE, 0, 0, 0 };
  GByteArray *line = g_byte_array_new ();

  for (gsize i = 0; i < len && !ref.done; i++)
    {
      g_byte_array_append (line, &input[i], 1);
      ref.used = i + 1;
      if (line->len < 2 || line->data[line->len - 2] != '\r'
          || line->data[line->len - 1] != '\n')
        continue;
      if (line->len == 3 && line->data[0] == '.')
        {
          ref.done = TRUE;
          break;
        }
      ref.lines++;
      if (line->data[0] == '.')
        ref.dot_lines++;
      if (ref.first_bare == 0 && line_has_bare (line->data, line->len))
        ref.first_bare = ref.lines;
      g_byte_array_append (ref.output, line->data + (line->data[0] == '.'),
                           line->len - (line->data[0] == '.'));
      g_byte_array_set_size (line, 0);
    }
  /* An unfinished line is output as far as it is known not to be the
   * end: without its leading dot, and nothing while it is "." or ".\r". */
  if (!ref.done && line->len > 0)
    {
      gboolean dot = line->data[0] == '.';
      gboolean undecided = dot && (line->len == 1
                                   || (line->len == 2
                                       && line->data[1] == '\r'));

      if (!undecided)
        g_byte_array_append (ref.output, line->data + dot, line->len - dot);
    }
  g_byte_array_unref (line);
  return ref;
}

/* Decodes @rounds random inputs of 1 to @max_len octets from @alphabet,
 * in random pieces of 1 to @max_piece octets, and returns how many differ
 * from the reference. */
static guint
count_random_mismatches (const guint8 *alphabet, gsize alphabet_len,
                         gsize max_len, gsize max_piece, int rounds,
                         guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint8 *input = g_malloc (max_len);
  guint mismatches = 0;

  for (int round = 0; round < rounds; round++)
    {
      gsize len = (gsize) g_rand_int_range (rand, 1, (gint32) max_len + 1);
      gsize piece = (gsize) g_rand_int_range (rand, 1, (gint32) max_piece + 1);
      Reference ref;
      Decoded got;

      for (gsize i = 0; i < len; i++)
        input[i] = alphabet[g_rand_int_range (rand, 0,
                                              (gint32) alphabet_len)];
      ref = reference_decode (input, len);
      got = decode_pieces (input, len, 0, piece);
      /* The decoder counts a dot line as soon as the next byte shows the
       * dot is a dummy dot, the reference when the line is complete, so
       * dot lines are compared only once the message has ended. */

      if (got.done != ref.done || got.used != ref.used
          || got.output->len != ref.output->len
          || (ref.output->len > 0
              && memcmp (got.output->data, ref.output->data,
                         ref.output->len) != 0)
          || got.decoder.line_count != ref.lines
          || (ref.done && got.decoder.dot_lines != ref.dot_lines)
          || got.decoder.first_bare_line != ref.first_bare)
        {
          g_autofree char *text = naccs_sim_escape (input, len);

          if (mismatches++ < 5)
            g_printerr ("mismatch on \"%s\" in pieces of %zu\n", text,
                        piece);
        }
      decoded_clear (&got);
      g_byte_array_unref (ref.output);
    }
  g_free (input);
  g_rand_free (rand);
  return mismatches;
}

/* Proves the decoder equals the reference on random inputs and reads. */
static void
test_random_against_reference (void)
{
  static const guint8 alphabet[] = { '.', '\r', '\n', 'a', '.', '\r',
                                     '\n' };

  CU_ASSERT_EQUAL (count_random_mismatches (alphabet, sizeof alphabet, 48, 8,
                                            20000, 20240601), 0);
}

/* Proves the same for long lines read in large pieces, where the decoder
 * scans 16 octets at a time and CRs and LFs fall in every lane, at the
 * last lane of a block and at the end of a piece. */
static void
test_random_long_lines (void)
{
  static const guint8 alphabet[] = { '.', '\r', '\n', 'a', 'b', 'c', 'd',
                                     'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l',
                                     'm', 'n', 'o', 'p', 'q', 'r', 's' };

  CU_ASSERT_EQUAL (count_random_mismatches (alphabet, sizeof alphabet, 400,
                                            200, 20000, 20250301), 0);
}

/* ---- fixtures ---- */

/* Dot-stuffs @message one byte at a time (RFC 5321 section 4.5.2) and
 * appends the end of data.  A message without a final CRLF gets one,
 * because SMTP cannot carry an unterminated last line. */
static GByteArray *
reference_encode (const guint8 *message, gsize len, gsize *decoded_len)
{
  GByteArray *out = g_byte_array_new ();
  gboolean line_start = TRUE;

  for (gsize i = 0; i < len; i++)
    {
      if (line_start && message[i] == '.')
        g_byte_array_append (out, (const guint8 *) ".", 1);
      g_byte_array_append (out, &message[i], 1);
      line_start = message[i] == '\n' && i > 0 && message[i - 1] == '\r';
    }
  *decoded_len = len;
  if (len < 2 || message[len - 2] != '\r' || message[len - 1] != '\n')
    {
      g_byte_array_append (out, (const guint8 *) "\r\n", 2);
      *decoded_len += 2;
    }
  g_byte_array_append (out, (const guint8 *) ".\r\n", 3);
  return out;
}

static gboolean
fixture_matches (const Decoded *got, const guint8 *message, gsize len,
                 gsize decoded_len, gsize encoded_len)
{
  if (!got->done || got->used != encoded_len
      || got->output->len != decoded_len)
    return FALSE;
  if (memcmp (got->output->data, message, len) != 0)
    return FALSE;
  return decoded_len == len
         || memcmp (got->output->data + len, "\r\n", 2) == 0;
}

static void
check_fixture (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  gsize decoded_len;
  GByteArray *encoded;
  static const gsize pieces[] = { 1, 2, 3, 7, 4096 };
  guint failures = 0;

  CU_ASSERT_TRUE_FATAL (g_file_get_contents (path, &contents, &len, NULL));
  encoded = reference_encode ((const guint8 *) contents, len, &decoded_len);

  for (gsize i = 0; i < G_N_ELEMENTS (pieces); i++)
    {
      Decoded got = decode_pieces (encoded->data, encoded->len, 0, pieces[i]);

      if (!fixture_matches (&got, (const guint8 *) contents, len,
                            decoded_len, encoded->len))
        {
          g_printerr ("%s: wrong decoding in pieces of %zu bytes\n", path,
                      pieces[i]);
          failures++;
        }
      decoded_clear (&got);
    }
  for (gsize split = 1; split <= 2048 && split < encoded->len; split++)
    {
      Decoded got = decode_pieces (encoded->data, encoded->len, split, 0);

      if (!fixture_matches (&got, (const guint8 *) contents, len,
                            decoded_len, encoded->len))
        {
          g_printerr ("%s: wrong decoding split at %zu\n", path, split);
          failures++;
        }
      decoded_clear (&got);
    }
  CU_ASSERT_EQUAL (failures, 0);
  g_byte_array_unref (encoded);
}

/* Proves every fixture comes back byte for byte in any read pattern. */
static void
test_fixtures_round_trip (void)
{
  const char *dir = g_getenv ("FIXTURES_DIR");
  g_autoptr (GDir) listing = NULL;
  const char *name;
  guint checked = 0;

  if (dir == NULL || (listing = g_dir_open (dir, 0, NULL)) == NULL)
    {
      g_printerr ("SKIP fixtures: FIXTURES_DIR is not set or not readable\n");
      return;
    }
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = NULL;

      if (!g_str_has_suffix (name, ".edi"))
        continue;
      path = g_build_filename (dir, name, NULL);
      check_fixture (path);
      checked++;
    }
  if (checked == 0)
    g_printerr ("SKIP fixtures: no *.edi file in %s\n", dir);
}

int
main (void)
{
  CU_pSuite suite;
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 1;
  suite = CU_add_suite ("/dot-decoder", NULL, NULL);
  CU_add_test (suite, "cases whole and bytewise",
               test_cases_whole_and_bytewise);
  CU_add_test (suite, "cases split everywhere", test_cases_split_everywhere);
  CU_add_test (suite, "end split at every position",
               test_end_split_at_every_position);
  CU_add_test (suite, "line statistics", test_line_statistics);
  CU_add_test (suite, "dummy dot not counted", test_dummy_dot_not_counted);
  CU_add_test (suite, "output limit", test_output_limit);
  CU_add_test (suite, "random against reference",
               test_random_against_reference);
  CU_add_test (suite, "random long lines", test_random_long_lines);
  CU_add_test (suite, "fixtures round trip", test_fixtures_round_trip);

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
