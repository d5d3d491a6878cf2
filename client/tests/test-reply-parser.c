/* test-reply-parser.c: tests of the incremental SMTP reply parser.
 *
 * Each case of the table is fed whole, one byte at a time and split in two
 * at every position, and must give the same status and code every way.  The
 * parser accepts LF-only line ends (see reply-parser.c), and the table pins
 * that decision down.
 */
#include "config.h"

#include <string.h>

#include <CUnit/Basic.h>
#include <gio/gio.h>

#include "reply-parser.h"
#include "test-registry.h"

typedef struct {
  const char *name;
  const char *input;
  NaccsReplyStatus want_status;
  guint want_code;  /* for COMPLETE */
  guint want_lines; /* for COMPLETE */
} ReplyCase;

static const ReplyCase reply_cases[] = {
  { "single line", "250 OK\r\n", NACCS_REPLY_COMPLETE, 250, 1 },
  { "greeting", "220 EDIFACT.PROD.NACCS6\r\n", NACCS_REPLY_COMPLETE, 220, 1 },
  { "multi-line", "250-first\r\n250-second\r\n250 last\r\n",
    NACCS_REPLY_COMPLETE, 250, 3 },
  { "no text", "250\r\n", NACCS_REPLY_COMPLETE, 250, 1 },
  { "empty continuation text", "250-\r\n250 x\r\n", NACCS_REPLY_COMPLETE,
    250, 2 },
  { "multi-line ending without text", "354-go\r\n354\r\n",
    NACCS_REPLY_COMPLETE, 354, 2 },
  { "Japanese UTF-8 text", "250 電文を受け付けました\r\n",
    NACCS_REPLY_COMPLETE, 250, 1 },
  { "Japanese multi-line", "421-センター側メールサーバ\r\n421 停止中\r\n",
    NACCS_REPLY_COMPLETE, 421, 2 },
  { "LF-only line end", "250 OK\n", NACCS_REPLY_COMPLETE, 250, 1 },
  { "mixed line ends", "250-a\n250 b\r\n", NACCS_REPLY_COMPLETE, 250, 2 },
  { "CR inside text", "250 a\rb\r\n", NACCS_REPLY_COMPLETE, 250, 1 },
  { "highest code", "559 x\r\n", NACCS_REPLY_COMPLETE, 559, 1 },
  { "not a reply", "hello\r\n", NACCS_REPLY_INVALID, 0, 0 },
  { "two digits", "25\r\n", NACCS_REPLY_INVALID, 0, 0 },
  { "four digits", "2500 x\r\n", NACCS_REPLY_INVALID, 0, 0 },
  { "letter after code", "250x\r\n", NACCS_REPLY_INVALID, 0, 0 },
  { "code mismatch", "250-a\r\n251 b\r\n", NACCS_REPLY_INVALID, 0, 0 },
  { "first digit 1", "150 x\r\n", NACCS_REPLY_INVALID, 0, 0 },
  { "first digit 6", "650 x\r\n", NACCS_REPLY_INVALID, 0, 0 },
  { "second digit 6", "260 x\r\n", NACCS_REPLY_INVALID, 0, 0 },
  { "empty line", "\r\n", NACCS_REPLY_INVALID, 0, 0 },
  { "tab after code", "250\tx\r\n", NACCS_REPLY_INVALID, 0, 0 },
  { "leading space", " 250 x\r\n", NACCS_REPLY_INVALID, 0, 0 },
  { "unfinished line", "250 OK", NACCS_REPLY_NEED_MORE, 0, 0 },
  { "unfinished multi-line", "250-a\r\n250-b\r\n", NACCS_REPLY_NEED_MORE, 0,
    0 },
};

typedef struct {
  NaccsReplyStatus status;
  guint code;
  guint lines;
  gsize consumed;
} FeedResult;

/* Feeds @input in pieces ending at the offsets in @cuts (ascending, the last
 * equal to @len) and stops at the first status other than NEED_MORE. */
static FeedResult
feed_pieces (const char *input, gsize len, const gsize *cuts, gsize n_cuts)
{
  g_autoptr (NaccsReplyParser) parser = naccs_reply_parser_new ();
  FeedResult result = { NACCS_REPLY_NEED_MORE, 0, 0, 0 };
  gsize start = 0;

  (void) len;
  for (gsize i = 0; i < n_cuts; i++)
    {
      g_autoptr (GError) error = NULL;
      gsize consumed = 0;

      result.status = naccs_reply_parser_feed (parser,
                                               (const guint8 *) input + start,
                                               cuts[i] - start, &consumed,
                                               &error);
      result.consumed += consumed;
      start = cuts[i];
      if (result.status == NACCS_REPLY_INVALID)
        CU_ASSERT_PTR_NOT_NULL (error);
      if (result.status != NACCS_REPLY_NEED_MORE)
        break;
    }

  if (result.status == NACCS_REPLY_COMPLETE)
    {
      result.code = naccs_reply_parser_get_code (parser);
      result.lines = naccs_reply_parser_get_line_count (parser);
    }
  return result;
}

static gboolean
check_result (const ReplyCase *c, const char *how, FeedResult got)
{
  gboolean ok = got.status == c->want_status;

  if (c->want_status == NACCS_REPLY_COMPLETE)
    ok = ok && got.code == c->want_code && got.lines == c->want_lines
         && got.consumed == strlen (c->input);
  if (!ok)
    fprintf (stderr, "\n  case %s (%s): got status %d code %u lines %u, "
             "want status %d code %u lines %u\n", c->name, how, got.status,
             got.code, got.lines, c->want_status, c->want_code,
             c->want_lines);
  return ok;
}

/* Proves each case's verdict when the reply arrives in one read. */
static void
test_table_whole (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (reply_cases); i++)
    {
      gsize len = strlen (reply_cases[i].input);

      CU_ASSERT_TRUE (check_result (&reply_cases[i], "whole",
                                    feed_pieces (reply_cases[i].input, len,
                                                 &len, 1)));
    }
}

/* Proves each case's verdict when the reply arrives a byte at a time. */
static void
test_table_bytewise (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (reply_cases); i++)
    {
      const char *input = reply_cases[i].input;
      gsize len = strlen (input);
      g_autofree gsize *cuts = g_new (gsize, len);

      for (gsize k = 0; k < len; k++)
        cuts[k] = k + 1;
      CU_ASSERT_TRUE (check_result (&reply_cases[i], "bytewise",
                                    feed_pieces (input, len, cuts, len)));
    }
}

/* Proves each case's verdict when the reply is split at any position. */
static void
test_table_every_split (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (reply_cases); i++)
    {
      const char *input = reply_cases[i].input;
      gsize len = strlen (input);

      for (gsize split = 0; split <= len; split++)
        {
          gsize cuts[] = { split, len };
          g_autofree char *how = g_strdup_printf ("split at %zu", split);

          CU_ASSERT_TRUE (check_result (&reply_cases[i], how,
                                        feed_pieces (input, len, cuts, 2)));
        }
    }
}

static NaccsReplyStatus
feed_all (NaccsReplyParser *parser, const char *input, gsize *consumed,
          GError **error)
{
  return naccs_reply_parser_feed (parser, (const guint8 *) input,
                                  strlen (input), consumed, error);
}

/* Proves garbage is rejected before its line end arrives. */
static void
test_garbage_rejected_early (void)
{
  static const char *const prefixes[] = { "h", "2x", "2500", "25 ", "099" };

  for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_autoptr (NaccsReplyParser) parser = naccs_reply_parser_new ();
      g_autoptr (GError) error = NULL;
      gsize consumed = 0;

      CU_ASSERT_EQUAL (feed_all (parser, prefixes[i], &consumed, &error),
                       NACCS_REPLY_INVALID);
      CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR,
                                       G_IO_ERROR_INVALID_DATA));
    }
}

/* Proves bytes after a complete reply stay for the next reply. */
static void
test_pipelined_replies (void)
{
  g_autoptr (NaccsReplyParser) parser = naccs_reply_parser_new ();
  static const char input[] = "250 a\r\n354 b\r\n";
  gsize consumed = 0;
  gsize second = 0;

  CU_ASSERT_EQUAL (feed_all (parser, input, &consumed, NULL),
                   NACCS_REPLY_COMPLETE);
  CU_ASSERT_EQUAL (consumed, 7);
  CU_ASSERT_EQUAL (naccs_reply_parser_get_code (parser), 250);

  CU_ASSERT_EQUAL (feed_all (parser, input + consumed, &second, NULL),
                   NACCS_REPLY_COMPLETE);
  CU_ASSERT_EQUAL (second, 7);
  CU_ASSERT_EQUAL (naccs_reply_parser_get_code (parser), 354);
}

static char *
make_line (gsize text_len, const char *line_end)
{
  g_autofree char *text = g_strnfill (text_len, 'x');

  return g_strconcat ("250 ", text, line_end, NULL);
}

/* Proves a line at the limit passes and one octet more fails. */
static void
test_line_length_limit (void)
{
  g_autofree char *at_limit = make_line (NACCS_REPLY_LINE_MAX - 6, "\r\n");
  g_autofree char *over = make_line (NACCS_REPLY_LINE_MAX - 5, "\r\n");
  g_autofree char *endless = make_line (100000, "");
  g_autoptr (NaccsReplyParser) parser = naccs_reply_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize consumed = 0;

  CU_ASSERT_EQUAL (strlen (at_limit), NACCS_REPLY_LINE_MAX);
  CU_ASSERT_EQUAL (feed_all (parser, at_limit, &consumed, NULL),
                   NACCS_REPLY_COMPLETE);

  CU_ASSERT_EQUAL (feed_all (parser, over, &consumed, &error),
                   NACCS_REPLY_INVALID);
  CU_ASSERT_PTR_NOT_NULL (error);
  CU_ASSERT_PTR_NOT_NULL (error ? strstr (error->message, "longer than")
                                : NULL);

  naccs_reply_parser_reset (parser);
  g_clear_error (&error);
  CU_ASSERT_EQUAL (feed_all (parser, endless, &consumed, &error),
                   NACCS_REPLY_INVALID);
}

static void
collect_line (const char *line, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup (line));
}

/* Proves the line callback sees each line without its line end. */
static void
test_line_callback (void)
{
  g_autoptr (NaccsReplyParser) parser = naccs_reply_parser_new ();
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  gsize consumed = 0;

  naccs_reply_parser_set_line_func (parser, collect_line, lines);
  CU_ASSERT_EQUAL (feed_all (parser, "250-一行目\r\n250 last\n", &consumed,
                             NULL),
                   NACCS_REPLY_COMPLETE);
  CU_ASSERT_EQUAL_FATAL (lines->len, 2);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (lines, 0), "250-一行目");
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (lines, 1), "250 last");
}

/* Proves reset drops a partial reply, as on a new connection. */
static void
test_reset_drops_partial (void)
{
  g_autoptr (NaccsReplyParser) parser = naccs_reply_parser_new ();
  gsize consumed = 0;

  CU_ASSERT_EQUAL (feed_all (parser, "421-closing\r\n42", &consumed, NULL),
                   NACCS_REPLY_NEED_MORE);
  naccs_reply_parser_reset (parser);
  CU_ASSERT_EQUAL (feed_all (parser, "220 ready\r\n", &consumed, NULL),
                   NACCS_REPLY_COMPLETE);
  CU_ASSERT_EQUAL (naccs_reply_parser_get_code (parser), 220);
  CU_ASSERT_EQUAL (naccs_reply_parser_get_line_count (parser), 1);
}

int
main (void)
{
  static const TestEntry table_tests[] = {
    { "table fed whole", test_table_whole },
    { "table fed bytewise", test_table_bytewise },
    { "table at every split", test_table_every_split },
  };
  static const TestEntry stream_tests[] = {
    { "garbage rejected early", test_garbage_rejected_early },
    { "pipelined replies", test_pipelined_replies },
    { "line length limit", test_line_length_limit },
    { "line callback", test_line_callback },
    { "reset drops partial reply", test_reset_drops_partial },
  };
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  if (!add_suite ("/reply-parser/table", table_tests,
                  G_N_ELEMENTS (table_tests))
      || !add_suite ("/reply-parser/stream", stream_tests,
                     G_N_ELEMENTS (stream_tests)))
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
