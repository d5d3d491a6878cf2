/* report-common.c: what the three report writers share: judging a verdict
 * against its scenario's expectation, counting, the colour decision,
 * decoding text safely and saving a report.
 *
 * Report text mixes our own translated strings with bytes that came from a
 * client or a scenario file.  The checks escape transcript lines already,
 * but titles and explanations may still hold invalid UTF-8, so every
 * writer reads its strings through report_next_char(), which turns each
 * invalid byte into U+FFFD instead of passing it on to a JSON parser or an
 * XML reader that would reject the whole document.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "report-private.h"

static gboolean
listed (const char *const *ids, const char *id)
{
  if (ids == NULL)
    return FALSE;
  for (gsize i = 0; ids[i] != NULL; i++)
    if (strcmp (ids[i], id) == 0)
      return TRUE;
  return FALSE;
}

NaccsSimOutcome
naccs_sim_report_outcome (const NaccsSimReportScenario *scenario,
                          const NaccsSimVerdict *verdict)
{
  const char *id = verdict->info->id;
  gboolean has_pass_list = scenario->pass_ids != NULL
                           && scenario->pass_ids[0] != NULL;

  if (listed (scenario->fail_ids, id))
    return verdict->status == NACCS_SIM_CHECK_FAIL
           ? NACCS_SIM_OUTCOME_MET : NACCS_SIM_OUTCOME_MISSED;
  if (listed (scenario->pass_ids, id))
    return verdict->status == NACCS_SIM_CHECK_PASS
           ? NACCS_SIM_OUTCOME_MET : NACCS_SIM_OUTCOME_MISSED;
  if (verdict->status == NACCS_SIM_CHECK_NOT_APPLICABLE)
    return NACCS_SIM_OUTCOME_SKIPPED;
  /* With a pass list, unlisted checks only inform. */
  if (verdict->status == NACCS_SIM_CHECK_FAIL && !has_pass_list)
    return NACCS_SIM_OUTCOME_MISSED;
  return NACCS_SIM_OUTCOME_MET;
}

void
naccs_sim_report_count (const NaccsSimReportScenario *scenario,
                        guint *met,
                        guint *missed,
                        guint *skipped)
{
  *met = *missed = *skipped = 0;
  for (guint i = 0; i < scenario->verdicts->len; i++)
    switch (naccs_sim_report_outcome (scenario,
                                      g_ptr_array_index (scenario->verdicts, i)))
      {
      case NACCS_SIM_OUTCOME_MET:
        (*met)++;
        break;
      case NACCS_SIM_OUTCOME_MISSED:
        (*missed)++;
        break;
      case NACCS_SIM_OUTCOME_SKIPPED:
        (*skipped)++;
        break;
      }
}

gboolean
naccs_sim_report_colour_wanted (int fd)
{
  const char *no_colour = g_getenv ("NO_COLOR");

  if (no_colour != NULL && *no_colour != '\0')
    return FALSE;
  return isatty (fd) == 1;
}

gunichar
report_next_char (const char **cursor, const char *end)
{
  const char *p = *cursor;
  gunichar c;

  if ((guchar) *p < 0x80)
    {
      *cursor = p + 1;
      return (guchar) *p;
    }
  c = g_utf8_get_char_validated (p, end - p);
  if (c == (gunichar) -1 || c == (gunichar) -2)
    {
      /* One replacement per invalid byte keeps every valid character
       * after it. */
      *cursor = p + 1;
      return REPORT_REPLACEMENT;
    }
  *cursor = g_utf8_next_char (p);
  return c;
}

gboolean
report_is_control (gunichar c)
{
  /* The bidirectional formatting characters would let a client reorder
   * the text a terminal shows around them. */
  return c < 0x20 || (c >= 0x7f && c <= 0x9f)
         || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e)
         || (c >= 0x2066 && c <= 0x2069);
}

void
report_append_seconds (GString *out, gint64 us)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* Machine formats need "." whatever the LC_NUMERIC locale uses. */
  g_string_append (out, g_ascii_formatd (buffer, sizeof buffer, "%.3f",
                                         (double) us / G_USEC_PER_SEC));
}

const char *
report_direction_name (NaccsSimEvidenceDirection direction)
{
  switch (direction)
    {
    case NACCS_SIM_EVIDENCE_IN:
      return "in";
    case NACCS_SIM_EVIDENCE_OUT:
      return "out";
    case NACCS_SIM_EVIDENCE_NOTE:
      return "note";
    }
  return "note";
}

/* Tags as in the session transcript: C for the client, S for the
 * center, -- for notes. */
const char *
report_direction_tag (NaccsSimEvidenceDirection direction)
{
  switch (direction)
    {
    case NACCS_SIM_EVIDENCE_IN:
      return "C:";
    case NACCS_SIM_EVIDENCE_OUT:
      return "S:";
    case NACCS_SIM_EVIDENCE_NOTE:
      return "--";
    }
  return "--";
}

gboolean
naccs_sim_report_save (const char *path, const char *contents, GError **error)
{
  gsize len = strlen (contents);

  g_return_val_if_fail (path != NULL, FALSE);

  if (strcmp (path, "-") != 0)
    return g_file_set_contents (path, contents, (gssize) len, error);

  if (fwrite (contents, 1, len, stdout) != len || fflush (stdout) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO,
                   _("failed to write the report to standard output"));
      return FALSE;
    }
  return TRUE;
}
