/* report-text.c: the readable report naccs-sim prints after a run.
 *
 * One block per scenario: its id and title, one line per check with its
 * status, id and title, the explanation below it, and for a check that
 * missed the expectation the evidence lines, tagged like the session
 * transcript (C: client, S: center, --: note) with the time since that
 * connection was accepted.  A last line sums up.  Colour marks the status
 * only, and only when the caller asks (naccs_sim_report_colour_wanted).
 * Words and numbers follow the user's locale.  Text that came from the
 * wire or a scenario file passes through the same UTF-8 repair as the
 * other reports, and control characters are shown as U+FFFD so that
 * they cannot drive the terminal; the lines of a multi-line reply are
 * shown one evidence line each, never joined.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "checks-private.h"
#include "report-private.h"

#define COLOUR_RED "\033[31m"
#define COLOUR_GREEN "\033[32m"
#define COLOUR_DIM "\033[2m"
#define COLOUR_BOLD "\033[1m"
#define COLOUR_OFF "\033[0m"

/* Appends text with controls other than newline replaced. */
static void
append_safe (GString *out, const char *text)
{
  const char *p = text != NULL ? text : "";
  const char *end = p + strlen (p);

  while (p < end)
    {
      gunichar c = report_next_char (&p, end);

      g_string_append_unichar (out, c != '\n' && report_is_control (c)
                                    ? REPORT_REPLACEMENT : c);
    }
}

static const char *
status_label (NaccsSimCheckStatus status)
{
  switch (status)
    {
    case NACCS_SIM_CHECK_PASS:
      /* TRANSLATORS: status column of the text report; keep it short. */
      return _("PASS");
    case NACCS_SIM_CHECK_FAIL:
      return _("FAIL");
    case NACCS_SIM_CHECK_NOT_APPLICABLE:
      return _("N/A");
    }
  return "?";
}

/* Returns the terminal columns @text takes; East Asian wide characters
 * take two, as 合格 does in the Japanese report. */
static guint
columns_of (const char *text)
{
  guint columns = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    columns += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return columns;
}

/* Appends `label` padded to `width` terminal columns. */
static void
append_padded (GString *out, const char *label, guint width)
{
  guint columns = columns_of (label);

  g_string_append (out, label);
  while (columns++ < width)
    g_string_append_c (out, ' ');
}

/* Returns the columns the widest status label takes, at least 6, so
 * that a longer translation still lines up the check ids. */
static guint
status_width (void)
{
  static const NaccsSimCheckStatus all[] = {
    NACCS_SIM_CHECK_PASS, NACCS_SIM_CHECK_FAIL,
    NACCS_SIM_CHECK_NOT_APPLICABLE,
  };
  guint width = 6;

  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    width = MAX (width, columns_of (status_label (all[i])));
  return width;
}

static const char *
status_colour (NaccsSimOutcome outcome, NaccsSimCheckStatus status)
{
  if (outcome == NACCS_SIM_OUTCOME_MISSED)
    return COLOUR_RED;
  if (status == NACCS_SIM_CHECK_NOT_APPLICABLE)
    return COLOUR_DIM;
  return COLOUR_GREEN;
}

/* Appends one evidence item as one line per line of its text: a
 * multi-line reply ("451-...\n451 ...") shows as it came over the wire,
 * each line with the connection, time and direction of the item.  A CR
 * before each line end is the wire's CRLF, not part of the text. */
static void
append_evidence_item (GString *out, const NaccsSimEvidence *item)
{
  g_autofree char *when = checks_format_seconds (item->at_us);
  g_auto (GStrv) lines = g_strsplit (item->text != NULL ? item->text : "",
                                     "\n", -1);
  guint n = g_strv_length (lines);

  /* A final line end leaves an empty last piece, which is no line. */
  if (n > 1 && lines[n - 1][0] == '\0')
    n--;
  for (guint l = 0; l < MAX (n, 1); l++)
    {
      gsize len = strlen (lines[l]);

      if (len > 0 && lines[l][len - 1] == '\r')
        lines[l][len - 1] = '\0';
      g_string_append_printf (out, "        #%u %10s s  %s ",
                              item->connection, when,
                              report_direction_tag (item->direction));
      append_safe (out, lines[l]);
      g_string_append_c (out, '\n');
    }
}

static void
append_evidence (GString *out, const NaccsSimVerdict *verdict)
{
  for (guint i = 0; i < verdict->evidence->len; i++)
    append_evidence_item (out, g_ptr_array_index (verdict->evidence, i));
}

static void
append_verdict (GString *out,
                const NaccsSimReportScenario *scenario,
                const NaccsSimVerdict *verdict,
                gboolean colour)
{
  NaccsSimOutcome outcome = naccs_sim_report_outcome (scenario, verdict);
  const char *label = status_label (verdict->status);

  g_string_append (out, "  ");
  if (colour)
    g_string_append (out, status_colour (outcome, verdict->status));
  append_padded (out, label, status_width ());
  g_string_append_c (out, ' ');
  if (colour)
    g_string_append (out, COLOUR_OFF);
  g_string_append_printf (out, "%-16s %s", verdict->info->id,
                          _(verdict->info->title));
  if (outcome == NACCS_SIM_OUTCOME_MET && verdict->status == NACCS_SIM_CHECK_FAIL)
    g_string_append_printf (out, " %s", _("(expected by the scenario)"));
  else if (outcome == NACCS_SIM_OUTCOME_MISSED
           && verdict->status != NACCS_SIM_CHECK_FAIL)
    g_string_append_printf (out, " %s", _("(the scenario required another "
                                          "result)"));
  g_string_append (out, "\n        ");
  append_safe (out, verdict->explanation);
  g_string_append_c (out, '\n');
  if (outcome == NACCS_SIM_OUTCOME_MISSED)
    append_evidence (out, verdict);
}

static void
append_scenario (GString *out,
                 const NaccsSimReportScenario *scenario,
                 gboolean colour)
{
  g_autofree char *duration = checks_format_seconds (scenario->duration_us);
  guint met = 0, missed = 0, skipped = 0;

  naccs_sim_report_count (scenario, &met, &missed, &skipped);
  if (colour)
    g_string_append (out, COLOUR_BOLD);
  g_string_append (out, _("Scenario"));
  g_string_append_c (out, ' ');
  append_safe (out, scenario->id);
  if (scenario->title != NULL)
    {
      g_string_append (out, ": ");
      append_safe (out, scenario->title);
    }
  if (colour)
    g_string_append (out, COLOUR_OFF);
  g_string_append_c (out, '\n');

  for (guint i = 0; i < scenario->verdicts->len; i++)
    append_verdict (out, scenario, g_ptr_array_index (scenario->verdicts, i),
                    colour);

  if (colour)
    g_string_append (out, missed == 0 ? COLOUR_GREEN : COLOUR_RED);
  /* TRANSLATORS: the scenario's summary line. */
  g_string_append_printf (out, _("  %s: %u as expected, %u not as expected, "
                                 "%u not applicable, in %s s"),
                          missed == 0 ? _("Result: passed")
                                      : _("Result: FAILED"),
                          met, missed, skipped, duration);
  if (colour)
    g_string_append (out, COLOUR_OFF);
  g_string_append (out, "\n\n");
}

char *
naccs_sim_report_text (const NaccsSimReportScenario *const *scenarios,
                       guint n_scenarios,
                       gboolean colour)
{
  GString *out = g_string_new (NULL);
  guint failed = 0;

  for (guint i = 0; i < n_scenarios; i++)
    {
      guint met = 0, missed = 0, skipped = 0;

      append_scenario (out, scenarios[i], colour);
      naccs_sim_report_count (scenarios[i], &met, &missed, &skipped);
      if (missed > 0)
        failed++;
    }
  if (n_scenarios > 1)
    g_string_append_printf (out,
                            ngettext ("%u of %u scenario failed.\n",
                                      "%u of %u scenarios failed.\n",
                                      n_scenarios),
                            failed, n_scenarios);
  return g_string_free (out, FALSE);
}
