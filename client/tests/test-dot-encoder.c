/* test-dot-encoder.c: tests of the streaming dot-stuffing encoder.
 *
 * A table of small cases checks the exact bytes on the wire, fed whole, in
 * chunks of 1, 2, 3 and 7 bytes and split at every position.  Then every
 * fixture message is encoded and decoded again with a reference decoder
 * written here, byte by byte and on purpose unlike the encoder, the way a
 * server reads DATA: it stops at the first line that is only ".", and must
 * find exactly the message there.
 */
#include "config.h"

#include <string.h>

#include <CUnit/Basic.h>

#include "naccs-client.h"
#include "test-registry.h"

static const gsize chunk_sizes[] = { 1, 2, 3, 7, 4096 };

static gboolean
append_output (const guint8 *data, gsize len, gpointer user_data,
               GError **error)
{
  (void) error;
  g_byte_array_append (user_data, data, (guint) len);
  return TRUE;
}

/* Encodes @len bytes of @input fed in pieces of @chunk bytes. */
static GByteArray *
encode_chunked (const guint8 *input, gsize len, gsize chunk)
{
  GByteArray *out = g_byte_array_new ();
  NaccsClientDotEncoder encoder;
  gboolean ok = TRUE;

  naccs_client_dot_encoder_init (&encoder);
  for (gsize pos = 0; pos < len; pos += chunk)
    ok = naccs_client_dot_encoder_feed (&encoder, input + pos,
                                        MIN (chunk, len - pos),
                                        append_output, out, NULL) && ok;
  ok = naccs_client_dot_encoder_finish (&encoder, append_output, out, NULL)
       && ok;
  CU_ASSERT_TRUE (ok);
  return out;
}

/* Encodes @input fed as two pieces split at @split. */
static GByteArray *
encode_split (const guint8 *input, gsize len, gsize split)
{
  GByteArray *out = g_byte_array_new ();
  NaccsClientDotEncoder encoder;
  gboolean ok;

  naccs_client_dot_encoder_init (&encoder);
  ok = naccs_client_dot_encoder_feed (&encoder, input, split, append_output,
                                      out, NULL)
       && naccs_client_dot_encoder_feed (&encoder, input + split, len - split,
                                         append_output, out, NULL)
       && naccs_client_dot_encoder_finish (&encoder, append_output, out,
                                           NULL);
  CU_ASSERT_TRUE (ok);
  return out;
}

static gboolean
bytes_equal (const GByteArray *got, const char *want, gsize want_len)
{
  return got->len == want_len && memcmp (got->data, want, want_len) == 0;
}

static void
report_mismatch (const char *name, const char *how, const GByteArray *got,
                 const char *want, gsize want_len)
{
  g_autofree char *got_text = g_strndup ((const char *) got->data, got->len);
  g_autofree char *want_text = g_strndup (want, want_len);
  g_autofree char *got_quoted = g_strescape (got_text, NULL);
  g_autofree char *want_quoted = g_strescape (want_text, NULL);

  fprintf (stderr, "\n  case %s (%s): got \"%s\", want \"%s\"\n", name, how,
           got_quoted, want_quoted);
}

typedef struct {
  const char *name;
  const char *input;
  const char *want;
} EncodeCase;

/* Inputs are NUL-free, so strlen gives their length. */
static const EncodeCase encode_cases[] = {
  { "empty message", "", ".\r\n" },
  { "one line", "a\r\n", "a\r\n.\r\n" },
  { "no final CRLF", "a", "a\r\n.\r\n" },
  { "final CR only", "a\r", "a\r\n.\r\n" },
  { "empty lines", "\r\n\r\n", "\r\n\r\n.\r\n" },
  { "dot line", ".\r\n", "..\r\n.\r\n" },
  { "two-dot line", "..\r\n", "...\r\n.\r\n" },
  { "dot as first byte", ".abc\r\n", "..abc\r\n.\r\n" },
  { "dot after CRLF", "a\r\n.b\r\n", "a\r\n..b\r\n.\r\n" },
  { "dot after empty line", "\r\n.\r\n", "\r\n..\r\n.\r\n" },
  { "end marker inside", "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n" },
  { "dot line without CRLF", "x\r\n.", "x\r\n..\r\n.\r\n" },
  { "dot alone without CRLF", ".", "..\r\n.\r\n" },
  { "dot in mid-line", "a.b.\r\n", "a.b.\r\n.\r\n" },
  { "space before dot", " .\r\n", " .\r\n.\r\n" },
  { "dot after bare LF", "a\n.b\r\n", "a\n.b\r\n.\r\n" },
  { "dot after bare CR", "a\r.b\r\n", "a\r.b\r\n.\r\n" },
  { "CR CR LF", "a\r\r\n.\r\n", "a\r\r\n..\r\n.\r\n" },
  { "many dot lines", ".\r\n.\r\n.\r\n", "..\r\n..\r\n..\r\n.\r\n" },
};

static gboolean
check_case (const EncodeCase *c, const char *how, GByteArray *got)
{
  gboolean ok = bytes_equal (got, c->want, strlen (c->want));

  if (!ok)
    report_mismatch (c->name, how, got, c->want, strlen (c->want));
  g_byte_array_unref (got);
  return ok;
}

/* Proves the table's exact wire bytes for every chunk size. */
static void
test_table_chunked (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (encode_cases); i++)
    for (gsize k = 0; k < G_N_ELEMENTS (chunk_sizes); k++)
      {
        const EncodeCase *c = &encode_cases[i];
        g_autofree char *how = g_strdup_printf ("chunks of %zu",
                                                chunk_sizes[k]);
        GByteArray *got = encode_chunked ((const guint8 *) c->input,
                                          strlen (c->input), chunk_sizes[k]);

        CU_ASSERT_TRUE (check_case (c, how, got));
      }
}

/* Proves the table's exact wire bytes at every split position. */
static void
test_table_every_split (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (encode_cases); i++)
    {
      const EncodeCase *c = &encode_cases[i];
      gsize len = strlen (c->input);

      for (gsize split = 0; split <= len; split++)
        {
          g_autofree char *how = g_strdup_printf ("split at %zu", split);
          GByteArray *got = encode_split ((const guint8 *) c->input, len,
                                          split);

          CU_ASSERT_TRUE (check_case (c, how, got));
        }
    }
}

/* Proves an encoder reused after finish starts a fresh message. */
static void
test_reuse_after_finish (void)
{
  static const char first_want[] = "a\r\n.\r\n";
  static const char second_want[] = "..\r\n.\r\n";
  GByteArray *out = g_byte_array_new ();
  NaccsClientDotEncoder encoder;

  naccs_client_dot_encoder_init (&encoder);
  CU_ASSERT_TRUE (naccs_client_dot_encoder_feed (&encoder,
                                                 (const guint8 *) "a\r", 2,
                                                 append_output, out, NULL));
  CU_ASSERT_TRUE (naccs_client_dot_encoder_finish (&encoder, append_output,
                                                   out, NULL));
  CU_ASSERT_TRUE (bytes_equal (out, first_want, sizeof first_want - 1));

  g_byte_array_set_size (out, 0);
  CU_ASSERT_TRUE (naccs_client_dot_encoder_feed (&encoder,
                                                 (const guint8 *) ".\r\n", 3,
                                                 append_output, out, NULL));
  CU_ASSERT_TRUE (naccs_client_dot_encoder_finish (&encoder, append_output,
                                                   out, NULL));
  CU_ASSERT_TRUE (bytes_equal (out, second_want, sizeof second_want - 1));
  g_byte_array_unref (out);
}

static gboolean
fail_output (const guint8 *data, gsize len, gpointer user_data,
             GError **error)
{
  (void) data;
  (void) len;
  (void) user_data;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "broken");
  return FALSE;
}

/* Proves a failing write stops the encoder and passes its error on. */
static void
test_write_error_propagates (void)
{
  NaccsClientDotEncoder encoder;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) finish_error = NULL;

  naccs_client_dot_encoder_init (&encoder);
  CU_ASSERT_FALSE (naccs_client_dot_encoder_feed (&encoder,
                                                  (const guint8 *) ".x\r\n",
                                                  4, fail_output, NULL,
                                                  &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR,
                                   G_IO_ERROR_BROKEN_PIPE));
  CU_ASSERT_FALSE (naccs_client_dot_encoder_finish (&encoder, fail_output,
                                                    NULL, &finish_error));
  CU_ASSERT_TRUE (g_error_matches (finish_error, G_IO_ERROR,
                                   G_IO_ERROR_BROKEN_PIPE));
}

/* Reference decoder: reads @wire line by line as a server does, one byte at
 * a time, removes the dummy dot from each line that begins with ".", and
 * stops at the first line that is exactly ".".  Returns the message, or NULL
 * when the terminating line is missing or bytes follow it. */
static GByteArray *
reference_decode (const GByteArray *wire)
{
  g_autoptr (GByteArray) message = g_byte_array_new ();
  gsize line_start = 0;

  for (gsize i = 0; i < wire->len; i++)
    {
      gsize line_len;

      if (!(wire->data[i] == '\n' && i > line_start
            && wire->data[i - 1] == '\r'))
        continue;

      line_len = i + 1 - line_start;
      if (line_len == 3 && wire->data[line_start] == '.')
        return i + 1 == wire->len ? g_steal_pointer (&message) : NULL;

      if (wire->data[line_start] == '.')
        g_byte_array_append (message, wire->data + line_start + 1,
                             (guint) line_len - 1);
      else
        g_byte_array_append (message, wire->data + line_start,
                             (guint) line_len);
      line_start = i + 1;
    }
  return NULL;
}

static gboolean
ends_with_end_marker (const GByteArray *wire)
{
  static const char marker[] = "\r\n.\r\n";
  gsize n = sizeof marker - 1;

  return wire->len >= n && memcmp (wire->data + wire->len - n, marker, n) == 0;
}

/* Checks that @wire decodes to @input, with CRLF appended when @input does
 * not end with one. */
static gboolean
decodes_to (const GByteArray *wire, GBytes *input)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (input, &len);
  g_autoptr (GByteArray) want = g_byte_array_new ();
  g_autoptr (GByteArray) got = reference_decode (wire);

  g_byte_array_append (want, data, (guint) len);
  if (len < 2 || data[len - 2] != '\r' || data[len - 1] != '\n')
    g_byte_array_append (want, (const guint8 *) "\r\n", 2);

  return got != NULL && got->len == want->len
         && memcmp (got->data, want->data, want->len) == 0;
}

static GPtrArray *
list_fixture_messages (void)
{
  const char *fixtures = g_getenv ("FIXTURES_DIR");
  g_autofree char *dir_path = NULL;
  g_autoptr (GDir) dir = NULL;
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (fixtures == NULL)
    return paths;
  dir_path = g_build_filename (fixtures, "messages", NULL);
  dir = g_dir_open (dir_path, 0, NULL);
  if (dir == NULL)
    return paths;

  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".edi"))
      g_ptr_array_add (paths, g_build_filename (dir_path, name, NULL));
  return paths;
}

static GBytes *
load_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, &error))
    {
      fprintf (stderr, "\n  cannot read %s: %s\n", path, error->message);
      return NULL;
    }
  return g_bytes_new_take (data, len);
}

/* Checks one fixture: every chunk size decodes back to the file, and every
 * split of the first 2 KiB gives the same bytes as the whole. */
static void
check_fixture (const char *path)
{
  g_autoptr (GBytes) input = load_file (path);
  g_autoptr (GByteArray) whole = NULL;
  const guint8 *data;
  gsize len;

  CU_ASSERT_PTR_NOT_NULL_FATAL (input);
  data = g_bytes_get_data (input, &len);

  whole = encode_chunked (data, len, MAX (len, 1));
  CU_ASSERT_TRUE (ends_with_end_marker (whole));
  if (!decodes_to (whole, input))
    fprintf (stderr, "\n  %s: does not decode back to the file\n", path);
  CU_ASSERT_TRUE (decodes_to (whole, input));

  for (gsize k = 0; k < G_N_ELEMENTS (chunk_sizes); k++)
    {
      g_autoptr (GByteArray) got = encode_chunked (data, len, chunk_sizes[k]);

      CU_ASSERT_TRUE (got->len == whole->len
                      && memcmp (got->data, whole->data, got->len) == 0);
      CU_ASSERT_TRUE (decodes_to (got, input));
    }

  /* The decoder already vouched for the whole encoding, so each split only
   * needs to reproduce it. */
  for (gsize split = 0; split <= MIN (len, 2048); split++)
    {
      g_autoptr (GByteArray) got = encode_split (data, len, split);
      gboolean same = got->len == whole->len
                      && memcmp (got->data, whole->data, got->len) == 0;

      if (!same)
        fprintf (stderr, "\n  %s: split at %zu differs\n", path, split);
      CU_ASSERT_TRUE (same);
    }
}

/* Proves every fixture message survives encoding and a server's decoding. */
static void
test_fixture_messages (void)
{
  g_autoptr (GPtrArray) paths = list_fixture_messages ();

  if (paths->len == 0)
    {
      fprintf (stderr, "\n  SKIP: no fixtures/messages/*.edi found "
               "(FIXTURES_DIR=%s)\n", g_getenv ("FIXTURES_DIR"));
      return;
    }

  for (guint i = 0; i < paths->len; i++)
    check_fixture (g_ptr_array_index (paths, i));
}

int
main (void)
{
  static const TestEntry table_tests[] = {
    { "table in chunks", test_table_chunked },
    { "table at every split", test_table_every_split },
    { "reuse after finish", test_reuse_after_finish },
    { "write error propagates", test_write_error_propagates },
  };
  static const TestEntry fixture_tests[] = {
    { "fixture messages round trip", test_fixture_messages },
  };
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  if (!add_suite ("/dot-encoder/table", table_tests,
                  G_N_ELEMENTS (table_tests))
      || !add_suite ("/dot-encoder/fixtures", fixture_tests,
                     G_N_ELEMENTS (fixture_tests)))
    {
      CU_cleanup_registry ();
      return 2;
    }

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
