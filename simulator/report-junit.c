/* report-junit.c: the JUnit XML report, for CI servers.
 *
 * Jenkins, GitLab and GitHub Actions read the same shape: <testsuites>
 * holding one <testsuite> per scenario, one <testcase> per check with
 * classname set to the scenario id and name "CHECK-ID: title".  A check
 * that misses the scenario's expectation gets <failure> with the
 * explanation as message and the evidence lines as text; a check that did
 * not apply gets <skipped/>.  Text is escaped for XML 1.0 whatever bytes
 * it holds: markup characters become entities, invalid UTF-8 and the
 * characters XML 1.0 forbids (controls, surrogates, U+FFFE, U+FFFF)
 * become U+FFFD, and in attributes tab, CR and LF become character
 * references so that attribute normalisation keeps them.
 */
#include "config.h"

#include <string.h>

#include "report-private.h"

/* XML 1.0 section 2.2 Char, minus the C1 controls and DEL, which are
 * legal but unreadable. */
static gboolean
xml_char_ok (gunichar c)
{
  if (c == '\t' || c == '\n' || c == '\r')
    return TRUE;
  if (report_is_control (c))
    return FALSE;
  if (c >= 0xD800 && c <= 0xDFFF)
    return FALSE;
  return c != 0xFFFE && c != 0xFFFF && c <= 0x10FFFF;
}

static void
append_escaped (GString *out, const char *text, gboolean attribute)
{
  const char *p = text != NULL ? text : "";
  const char *end = p + strlen (p);

  while (p < end)
    {
      gunichar c = report_next_char (&p, end);

      if (!xml_char_ok (c))
        c = REPORT_REPLACEMENT;
      switch (c)
        {
        case '&':
          g_string_append (out, "&amp;");
          break;
        case '<':
          g_string_append (out, "&lt;");
          break;
        case '>':
          g_string_append (out, "&gt;");
          break;
        case '"':
          g_string_append (out, attribute ? "&quot;" : "\"");
          break;
        case '\t':
        case '\n':
        case '\r':
          if (attribute)
            g_string_append_printf (out, "&#%u;", c);
          else
            g_string_append_c (out, (char) c);
          break;
        default:
          g_string_append_unichar (out, c);
        }
    }
}

static void
append_attribute (GString *out, const char *name, const char *value)
{
  g_string_append_printf (out, " %s=\"", name);
  append_escaped (out, value, TRUE);
  g_string_append_c (out, '"');
}

static void
append_seconds_attribute (GString *out, const char *name, gint64 us)
{
  g_string_append_printf (out, " %s=\"", name);
  report_append_seconds (out, us);
  g_string_append_c (out, '"');
}

static void
append_evidence_text (GString *out, const NaccsSimVerdict *verdict)
{
  for (guint i = 0; i < verdict->evidence->len; i++)
    {
      const NaccsSimEvidence *item = g_ptr_array_index (verdict->evidence, i);
      g_autoptr (GString) line = g_string_new (NULL);

      g_string_append_printf (line, "#%u ", item->connection);
      report_append_seconds (line, item->at_us);
      g_string_append_printf (line, " s %s %s\n",
                              report_direction_tag (item->direction),
                              item->text);
      append_escaped (out, line->str, FALSE);
    }
}

static void
append_testcase (GString *out,
                 const NaccsSimReportScenario *scenario,
                 const NaccsSimVerdict *verdict)
{
  g_autofree char *name =
    g_strdup_printf ("%s: %s", verdict->info->id,
                     g_dgettext (GETTEXT_PACKAGE, verdict->info->title));

  g_string_append (out, "    <testcase");
  append_attribute (out, "classname", scenario->id);
  append_attribute (out, "name", name);
  g_string_append (out, " time=\"0.000\">\n");

  switch (naccs_sim_report_outcome (scenario, verdict))
    {
    case NACCS_SIM_OUTCOME_MISSED:
      g_string_append (out, "      <failure");
      append_attribute (out, "message", verdict->explanation);
      append_attribute (out, "type", naccs_sim_check_status_name (verdict->status));
      g_string_append (out, ">");
      append_evidence_text (out, verdict);
      g_string_append (out, "</failure>\n");
      break;
    case NACCS_SIM_OUTCOME_SKIPPED:
      g_string_append (out, "      <skipped");
      append_attribute (out, "message", verdict->explanation);
      g_string_append (out, "/>\n");
      break;
    case NACCS_SIM_OUTCOME_MET:
      /* The explanation still shows how the check passed, or that the
       * scenario expected this failure. */
      g_string_append (out, "      <system-out>");
      append_escaped (out, verdict->explanation, FALSE);
      g_string_append (out, "</system-out>\n");
      break;
    }
  g_string_append (out, "    </testcase>\n");
}

static void
append_testsuite (GString *out, const NaccsSimReportScenario *scenario)
{
  guint met = 0, missed = 0, skipped = 0;

  naccs_sim_report_count (scenario, &met, &missed, &skipped);
  g_string_append (out, "  <testsuite");
  append_attribute (out, "name", scenario->id);
  g_string_append_printf (out, " tests=\"%u\" failures=\"%u\" errors=\"0\" "
                          "skipped=\"%u\"", scenario->verdicts->len, missed,
                          skipped);
  append_seconds_attribute (out, "time", scenario->duration_us);
  g_string_append (out, ">\n");
  if (scenario->title != NULL)
    {
      g_string_append (out, "    <properties>\n      <property name=\"title\"");
      append_attribute (out, "value", scenario->title);
      g_string_append (out, "/>\n    </properties>\n");
    }
  for (guint i = 0; i < scenario->verdicts->len; i++)
    append_testcase (out, scenario, g_ptr_array_index (scenario->verdicts, i));
  g_string_append (out, "  </testsuite>\n");
}

char *
naccs_sim_report_junit (const NaccsSimReportScenario *const *scenarios,
                        guint n_scenarios)
{
  GString *out = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  guint tests = 0, failures = 0, skipped_total = 0;
  gint64 time_us = 0;

  for (guint i = 0; i < n_scenarios; i++)
    {
      guint met = 0, missed = 0, skipped = 0;

      naccs_sim_report_count (scenarios[i], &met, &missed, &skipped);
      tests += scenarios[i]->verdicts->len;
      failures += missed;
      skipped_total += skipped;
      time_us += scenarios[i]->duration_us;
    }

  g_string_append_printf (out, "<testsuites name=\"naccs-sim\" tests=\"%u\" "
                          "failures=\"%u\" errors=\"0\" skipped=\"%u\"",
                          tests, failures, skipped_total);
  append_seconds_attribute (out, "time", time_us);
  g_string_append (out, ">\n");
  for (guint i = 0; i < n_scenarios; i++)
    append_testsuite (out, scenarios[i]);
  g_string_append (out, "</testsuites>\n");
  return g_string_free (out, FALSE);
}
