/* report-json.c: the JSON report, for programs that read naccs-sim's
 * verdicts.
 *
 * The document is an object with a format name and version and one entry
 * per scenario: id, title, duration, result, counts, and the verdicts with
 * their evidence.  Strings are escaped per RFC 8259 section 7: quote,
 * backslash and control characters escaped, invalid UTF-8 replaced by
 * U+FFFD, and U+2028 and U+2029 escaped too so that the output is also
 * valid JavaScript.  Numbers never follow the locale: JSON needs "." as
 * decimal point.  Status and direction values are stable English words;
 * titles and explanations are in the user's language.
 */
#include "config.h"

#include <string.h>

#include "report-private.h"

static void
append_string (GString *out, const char *text)
{
  const char *p = text != NULL ? text : "";
  const char *end = p + strlen (p);

  g_string_append_c (out, '"');
  while (p < end)
    {
      gunichar c = report_next_char (&p, end);

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029)
            g_string_append_printf (out, "\\u%04X", c);
          else
            g_string_append_unichar (out, c);
        }
    }
  g_string_append_c (out, '"');
}

static void
append_key (GString *out, const char *indent, const char *key)
{
  g_string_append (out, indent);
  append_string (out, key);
  g_string_append (out, ": ");
}

static void
append_evidence (GString *out, const NaccsSimEvidence *item, gboolean last)
{
  g_string_append (out, "            {");
  g_string_append_printf (out, "\"connection\": %u, ", item->connection);
  if (item->event_index == G_MAXUINT)
    g_string_append (out, "\"event\": null, ");
  else
    g_string_append_printf (out, "\"event\": %u, ", item->event_index);
  g_string_append (out, "\"time_seconds\": ");
  report_append_seconds (out, item->at_us);
  g_string_append (out, ", \"direction\": ");
  append_string (out, report_direction_name (item->direction));
  g_string_append (out, ", \"text\": ");
  append_string (out, item->text);
  g_string_append (out, last ? "}\n" : "},\n");
}

static void
append_verdict (GString *out,
                const NaccsSimReportScenario *scenario,
                const NaccsSimVerdict *verdict,
                gboolean last)
{
  NaccsSimOutcome outcome = naccs_sim_report_outcome (scenario, verdict);
  static const char *const outcome_names[] = { "met", "missed", "skipped" };

  g_string_append (out, "        {\n");
  append_key (out, "          ", "id");
  append_string (out, verdict->info->id);
  g_string_append (out, ",\n");
  append_key (out, "          ", "title");
  append_string (out, g_dgettext (GETTEXT_PACKAGE, verdict->info->title));
  g_string_append (out, ",\n");
  append_key (out, "          ", "rule");
  append_string (out, g_dgettext (GETTEXT_PACKAGE, verdict->info->rule));
  g_string_append (out, ",\n");
  append_key (out, "          ", "status");
  append_string (out, naccs_sim_check_status_name (verdict->status));
  g_string_append (out, ",\n");
  append_key (out, "          ", "outcome");
  append_string (out, outcome_names[outcome]);
  g_string_append (out, ",\n");
  append_key (out, "          ", "explanation");
  append_string (out, verdict->explanation);
  g_string_append (out, ",\n");
  append_key (out, "          ", "evidence");
  g_string_append (out, verdict->evidence->len > 0 ? "[\n" : "[]\n");
  for (guint i = 0; i < verdict->evidence->len; i++)
    append_evidence (out, g_ptr_array_index (verdict->evidence, i),
                     i + 1 == verdict->evidence->len);
  if (verdict->evidence->len > 0)
    g_string_append (out, "          ]\n");
  g_string_append (out, last ? "        }\n" : "        },\n");
}

static void
append_scenario (GString *out,
                 const NaccsSimReportScenario *scenario,
                 gboolean last)
{
  guint met = 0, missed = 0, skipped = 0;

  naccs_sim_report_count (scenario, &met, &missed, &skipped);
  g_string_append (out, "    {\n");
  append_key (out, "      ", "id");
  append_string (out, scenario->id);
  g_string_append (out, ",\n");
  append_key (out, "      ", "title");
  if (scenario->title != NULL)
    append_string (out, scenario->title);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\n");
  append_key (out, "      ", "duration_seconds");
  report_append_seconds (out, scenario->duration_us);
  g_string_append (out, ",\n");
  append_key (out, "      ", "result");
  append_string (out, missed == 0 ? "pass" : "fail");
  g_string_append (out, ",\n");
  g_string_append_printf (out, "      \"counts\": {\"met\": %u, \"missed\": %u, "
                          "\"skipped\": %u},\n", met, missed, skipped);
  append_key (out, "      ", "verdicts");
  g_string_append (out, "[\n");
  for (guint i = 0; i < scenario->verdicts->len; i++)
    append_verdict (out, scenario, g_ptr_array_index (scenario->verdicts, i),
                    i + 1 == scenario->verdicts->len);
  g_string_append (out, "      ]\n");
  g_string_append (out, last ? "    }\n" : "    },\n");
}

char *
naccs_sim_report_json (const NaccsSimReportScenario *const *scenarios,
                       guint n_scenarios)
{
  GString *out = g_string_new ("{\n");
  gboolean all_pass = TRUE;

  for (guint i = 0; i < n_scenarios; i++)
    {
      guint met = 0, missed = 0, skipped = 0;

      naccs_sim_report_count (scenarios[i], &met, &missed, &skipped);
      all_pass = all_pass && missed == 0;
    }

  g_string_append (out, "  \"format\": \"naccs-sim-report\",\n");
  g_string_append (out, "  \"version\": 1,\n");
  g_string_append_printf (out, "  \"result\": \"%s\",\n",
                          all_pass ? "pass" : "fail");
  g_string_append (out, "  \"scenarios\": [\n");
  for (guint i = 0; i < n_scenarios; i++)
    append_scenario (out, scenarios[i], i + 1 == n_scenarios);
  g_string_append (out, "  ]\n}\n");
  return g_string_free (out, FALSE);
}
