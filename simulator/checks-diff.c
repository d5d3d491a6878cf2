/* checks-diff.c: compares a received message with its fixture and names
 * the dummy-dot fault that explains the difference.
 *
 * Table 4-3-13 (row 6) of the NACCS mail-method specification has the user
 * system put a dummy "." in front of every message line that begins with
 * ".", and the center delete it (RFC 5321 section 4.5.2).  Each client
 * fault leaves its own trace in what the center keeps, line by line:
 *
 *   fixture ".x", kept "x"    no dummy dot was sent (missing);
 *   fixture ".x", kept "..x"  two dummy dots were sent (doubled);
 *   one extra "." elsewhere   a dummy dot in the wrong place (misplaced);
 *   kept text ends where the fixture has a line of only "."
 *                             that line went unstuffed and ended the
 *                             message early.
 *
 * Anything else is reported as another difference at its first byte.
 * Lines are split at LF and compared with their CR, so a bare LF or a
 * lost CR shows as another difference.
 */
#include "config.h"

#include <string.h>

#include "checks-private.h"

/* Maximum number of bytes of a line copied into evidence. */
#define EVIDENCE_LINE_MAX 120

typedef struct {
  const char *data;    /* start of the line */
  gsize len;           /* without its LF */
  gboolean present;
} Line;

static Line
next_line (const char **cursor, const char *end)
{
  Line line = { *cursor, 0, *cursor < end };
  const char *nl;

  if (!line.present)
    return line;
  nl = memchr (*cursor, '\n', (gsize) (end - *cursor));
  line.len = nl != NULL ? (gsize) (nl - *cursor) : (gsize) (end - *cursor);
  *cursor += nl != NULL ? line.len + 1 : line.len;
  return line;
}

static gboolean
line_is (const Line *line, const char *data, gsize len)
{
  return line->len == len && memcmp (line->data, data, len) == 0;
}

/* A line of only "." (before its CR, if any). */
static gboolean
line_is_lone_dot (const Line *line)
{
  return line_is (line, ".", 1) || line_is (line, ".\r", 2);
}

static gsize
first_difference (const Line *a, const Line *b)
{
  gsize n = MIN (a->len, b->len);
  gsize i = 0;

  while (i < n && a->data[i] == b->data[i])
    i++;
  return i;
}

/* Classifies two differing lines; *column gets the 0-based position in
 * the received line where they part. */
static ChecksDiffKind
classify (const Line *expected, const Line *received, gsize *column)
{
  gsize k = first_difference (expected, received);

  /* A missing or doubled dummy dot is a fault at the start of its line. */
  *column = 0;
  if (expected->len > 0 && expected->data[0] == '.')
    {
      if (received->len + 1 == expected->len
          && memcmp (received->data, expected->data + 1, received->len) == 0)
        return CHECKS_DIFF_MISSING_DOT;
      if (received->len == expected->len + 1 && received->data[0] == '.'
          && memcmp (received->data + 1, expected->data, expected->len) == 0)
        return CHECKS_DIFF_DOUBLED_DOT;
    }
  *column = k;
  if (received->len == expected->len + 1 && received->data[k] == '.'
      && memcmp (received->data + k + 1, expected->data + k,
                 expected->len - k) == 0)
    return CHECKS_DIFF_MISPLACED_DOT;
  return CHECKS_DIFF_OTHER;
}

static void
record (ChecksDiff *diff,
        ChecksDiffKind kind,
        guint line_number,
        gsize offset,
        const Line *expected,
        const Line *received)
{
  if (diff->kind != CHECKS_DIFF_SAME)
    {
      if (kind == diff->kind)
        diff->more_lines++;
      return;
    }
  diff->kind = kind;
  diff->line = line_number;
  diff->offset = offset;
  diff->expected_line = expected->present
                        ? checks_escape (expected->data, expected->len,
                                         EVIDENCE_LINE_MAX)
                        : NULL;
  diff->received_line = received->present
                        ? checks_escape (received->data, received->len,
                                         EVIDENCE_LINE_MAX)
                        : NULL;
}

void
checks_diff (GBytes *expected, GBytes *received, ChecksDiff *diff)
{
  gsize size_e = 0, size_r = 0;
  const char *start_e = g_bytes_get_data (expected, &size_e);
  const char *start_r = g_bytes_get_data (received, &size_r);
  const char *pe = start_e, *pr = start_r;
  const char *end_e = start_e + size_e, *end_r = start_r + size_r;

  memset (diff, 0, sizeof *diff);
  diff->kind = CHECKS_DIFF_SAME;

  for (guint n = 1; pe < end_e || pr < end_r; n++)
    {
      Line e = next_line (&pe, end_e);
      Line r = next_line (&pr, end_r);
      gsize offset = (gsize) (r.data - start_r);
      gsize column = 0;
      ChecksDiffKind kind;

      if (e.present && r.present && line_is (&e, r.data, r.len))
        continue;

      /* A missing or extra line shifts every line after it, so nothing
       * after it can be classified. */
      if (!r.present)
        {
          record (diff, line_is_lone_dot (&e) ? CHECKS_DIFF_ENDED_AT_DOT
                                              : CHECKS_DIFF_OTHER,
                  n, size_r, &e, &r);
          return;
        }
      if (!e.present)
        {
          record (diff, CHECKS_DIFF_OTHER, n, offset, &e, &r);
          return;
        }

      kind = classify (&e, &r, &column);
      record (diff, kind, n, offset + column, &e, &r);
      if (kind == CHECKS_DIFF_OTHER)
        return;
    }
}

void
checks_diff_clear (ChecksDiff *diff)
{
  g_clear_pointer (&diff->expected_line, g_free);
  g_clear_pointer (&diff->received_line, g_free);
}
