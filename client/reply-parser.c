/* reply-parser.c: incremental parser of SMTP replies (RFC 5321 section 4.2).
 *
 * The grammar it accepts:
 *
 *   Reply      = *( Reply-code "-" [ textstring ] CRLF )
 *                Reply-code [ SP textstring ] CRLF
 *   Reply-code = %x32-35 %x30-35 %x30-39
 *
 * Only the code matters to the NACCS mail method, so the text is passed to an
 * optional line callback and otherwise ignored.  Every line of a multi-line
 * reply must carry the same code.  A bare LF is accepted as a line end and a
 * CR before it is dropped: RFC 5321 asks for CRLF, but a sloppy server's LF
 * is unambiguous in a reply, and rejecting it would only make the client
 * fail on a reply that it can read.  A CR elsewhere stays part of the text.
 * Lines are bounded by NACCS_REPLY_LINE_MAX, and the code is checked as soon
 * as its bytes arrive, so garbage is rejected without waiting for a line end.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-client"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "reply-parser.h"

struct _NaccsReplyParser {
  char line[NACCS_REPLY_LINE_MAX + 1]; /* +1 for the NUL given to callbacks */
  gsize line_len;
  guint code;        /* code of the reply being read, 0 before its first line */
  guint line_count;  /* lines of the reply being read */
  guint done_code;   /* code of the last complete reply */
  guint done_lines;
  NaccsReplyLineFunc line_func;
  gpointer line_data;
};

NaccsReplyParser *
naccs_reply_parser_new (void)
{
  return g_new0 (NaccsReplyParser, 1);
}

void
naccs_reply_parser_free (NaccsReplyParser *parser)
{
  g_free (parser);
}

void
naccs_reply_parser_set_line_func (NaccsReplyParser *parser,
                                  NaccsReplyLineFunc func, gpointer user_data)
{
  parser->line_func = func;
  parser->line_data = user_data;
}

void
naccs_reply_parser_reset (NaccsReplyParser *parser)
{
  parser->line_len = 0;
  parser->code = 0;
  parser->line_count = 0;
}

guint
naccs_reply_parser_get_code (const NaccsReplyParser *parser)
{
  return parser->done_code;
}

guint
naccs_reply_parser_get_line_count (const NaccsReplyParser *parser)
{
  return parser->done_lines;
}

/* Copies at most 40 bytes of @line for an error message, with bytes outside
 * printable ASCII escaped, because the line comes from the peer. */
static char *
quote_line (const char *line, gsize len)
{
  g_autofree char *head = g_strndup (line, MIN (len, 40));

  return g_strescape (head, NULL);
}

static gboolean
fail (GError **error, const char *line, gsize len, const char *reason)
{
  g_autofree char *quoted = quote_line (line, len);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("%s in reply line \"%s\""), reason, quoted);
  return FALSE;
}

/* Checks the bytes of the current line that have arrived so far against
 * Reply-code followed by SP, "-" or the line end, so that garbage fails
 * without waiting for its line end.  @len excludes any line end. */
static gboolean
check_prefix (const char *line, gsize len, gboolean complete, GError **error)
{
  static const char lowest[] = "200";
  static const char highest[] = "559";

  for (gsize i = 0; i < MIN (len, 3); i++)
    {
      if (line[i] < lowest[i] || line[i] > highest[i])
        return fail (error, line, len, _("invalid reply code"));
    }

  if (complete && len < 3)
    return fail (error, line, len, _("reply code shorter than 3 digits"));

  if (len > 3 && line[3] != ' ' && line[3] != '-')
    return fail (error, line, len,
                 _("reply code not followed by a space, \"-\" or the line end"));

  return TRUE;
}

static guint
parse_code (const char *line)
{
  return (guint) (line[0] - '0') * 100 + (guint) (line[1] - '0') * 10
         + (guint) (line[2] - '0');
}

/* Handles one complete line of @len bytes, line end removed.  Returns
 * COMPLETE when it was the last line of a reply. */
static NaccsReplyStatus
finish_line (NaccsReplyParser *parser, gsize len, GError **error)
{
  guint code;
  gboolean last;

  if (!check_prefix (parser->line, len, TRUE, error))
    return NACCS_REPLY_INVALID;

  code = parse_code (parser->line);
  if (parser->code != 0 && code != parser->code)
    {
      fail (error, parser->line, len,
            _("continuation line with a different reply code"));
      return NACCS_REPLY_INVALID;
    }

  parser->line[len] = '\0';
  if (parser->line_func != NULL)
    parser->line_func (parser->line, parser->line_data);

  parser->code = code;
  parser->line_count++;
  parser->line_len = 0;
  last = (len == 3 || parser->line[3] == ' ');
  if (!last)
    return NACCS_REPLY_NEED_MORE;

  parser->done_code = parser->code;
  parser->done_lines = parser->line_count;
  parser->code = 0;
  parser->line_count = 0;
  return NACCS_REPLY_COMPLETE;
}

/* Appends @len bytes to the current line, enforcing the length limit, whose
 * count includes the line end. */
static gboolean
append (NaccsReplyParser *parser, const guint8 *data, gsize len,
        GError **error)
{
  if (len > NACCS_REPLY_LINE_MAX - parser->line_len)
    {
      g_autofree char *reason =
          g_strdup_printf (_("reply line longer than %d octets"),
                           NACCS_REPLY_LINE_MAX);

      return fail (error, parser->line, parser->line_len, reason);
    }

  memcpy (parser->line + parser->line_len, data, len);
  parser->line_len += len;
  return TRUE;
}

NaccsReplyStatus
naccs_reply_parser_feed (NaccsReplyParser *parser, const guint8 *data,
                         gsize len, gsize *consumed, GError **error)
{
  gsize pos = 0;

  g_return_val_if_fail (parser != NULL, NACCS_REPLY_INVALID);
  g_return_val_if_fail (data != NULL || len == 0, NACCS_REPLY_INVALID);
  g_return_val_if_fail (consumed != NULL, NACCS_REPLY_INVALID);

  *consumed = 0;
  while (pos < len)
    {
      const guint8 *lf = memchr (data + pos, '\n', len - pos);
      gsize end = lf != NULL ? (gsize) (lf - data) + 1 : len;
      gsize line_end;
      NaccsReplyStatus status;

      if (!append (parser, data + pos, end - pos, error))
        return NACCS_REPLY_INVALID;
      pos = end;
      *consumed = pos;

      if (lf == NULL)
        {
          /* A CR at the end may be the first half of CRLF: keep it out of
           * the prefix check, which only sees text. */
          gsize text = parser->line_len;

          if (text > 0 && parser->line[text - 1] == '\r')
            text--;
          if (!check_prefix (parser->line, text, FALSE, error))
            return NACCS_REPLY_INVALID;
          break;
        }

      line_end = parser->line_len - 1;
      if (line_end > 0 && parser->line[line_end - 1] == '\r')
        line_end--;
      status = finish_line (parser, line_end, error);
      if (status != NACCS_REPLY_NEED_MORE)
        return status;
    }

  return NACCS_REPLY_NEED_MORE;
}
