/* suite-cert.c: the certification record of a suite run (--report
 * cert:FILE).
 *
 * A vendor hands this JSON document to a customer or an auditor to show
 * exactly what was tested: the naccs-sim version, the client command, the
 * date in ISO 8601 UTC, the host's operating system as uname(2) reports it
 * (the host name is left out), and for each scenario its file with the
 * SHA-256 digest of the file and of each message fixture, how the client
 * ended, and every verdict.  Anyone holding the same scenario files can
 * compare the digests and rerun the same suite.  Strings are escaped for
 * JSON (RFC 8259) after invalid UTF-8 is replaced, because client stderr
 * and check explanations may quote arbitrary bytes.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "config.h"

#include <string.h>
#include <sys/utsname.h>

#include "report.h"
#include "suite-private.h"

#define CERT_FORMAT_VERSION 1

static void
append_string (GString *out, const char *text)
{
  g_autofree char *valid = NULL;

  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  valid = g_utf8_make_valid (text, -1);
  g_string_append_c (out, '"');
  for (const char *p = valid; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
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
append_seconds (GString *out, gint64 us)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* "." whatever LC_NUMERIC says. */
  g_string_append (out, g_ascii_formatd (buffer, sizeof buffer, "%.3f",
                                         (double) us / G_USEC_PER_SEC));
}

static char *
iso8601_utc (gint64 real_us)
{
  g_autoptr (GDateTime) when =
    g_date_time_new_from_unix_utc (real_us / G_USEC_PER_SEC);

  return g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ");
}

static void
append_host (GString *out)
{
  struct utsname names;

  g_string_append (out, "  \"host\": ");
  if (uname (&names) != 0)
    {
      g_string_append (out, "null,\n");
      return;
    }
  g_string_append (out, "{\"sysname\": ");
  append_string (out, names.sysname);
  g_string_append (out, ", \"release\": ");
  append_string (out, names.release);
  g_string_append (out, ", \"version\": ");
  append_string (out, names.version);
  g_string_append (out, ", \"machine\": ");
  append_string (out, names.machine);
  g_string_append (out, "},\n");
}

static char *
file_sha256 (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                      (const guchar *) contents, length);
}

static void
append_messages (GString *out, const NaccsSimScenario *scenario)
{
  const NaccsSimClientSpec *client = &scenario->client;

  g_string_append (out, "      \"messages\": [");
  for (guint i = 0; i < client->messages->len; i++)
    {
      g_autofree char *digest =
        file_sha256 (g_ptr_array_index (client->message_files, i));

      g_string_append (out, i > 0 ? ",\n        " : "\n        ");
      g_string_append (out, "{\"path\": ");
      append_string (out, g_ptr_array_index (client->messages, i));
      g_string_append (out, ", \"sha256\": ");
      append_string (out, digest);
      g_string_append_c (out, '}');
    }
  g_string_append (out, client->messages->len > 0 ? "\n      ],\n" : "],\n");
}

static const char *
outcome_name (NaccsSimOutcome outcome)
{
  switch (outcome)
    {
    case NACCS_SIM_OUTCOME_MET:
      return "met";
    case NACCS_SIM_OUTCOME_MISSED:
      return "missed";
    case NACCS_SIM_OUTCOME_SKIPPED:
      return "skipped";
    }
  return "missed";
}

static void
append_client (GString *out, const NaccsSimSuiteResult *result)
{
  g_string_append (out, "      \"client\": {\"started\": ");
  g_string_append (out, result->client_started ? "true" : "false");
  g_string_append (out, ", \"exit_status\": ");
  if (result->exit_status >= 0)
    g_string_append_printf (out, "%d", result->exit_status);
  else
    g_string_append (out, "null");
  g_string_append (out, ", \"signal\": ");
  if (result->term_signal != 0)
    g_string_append_printf (out, "%d", result->term_signal);
  else
    g_string_append (out, "null");
  g_string_append (out, ", \"killed_at_time_limit\": ");
  g_string_append (out, result->client_killed ? "true" : "false");
  g_string_append (out, ", \"stderr_tail\": ");
  append_string (out, result->stderr_tail);
  g_string_append (out, "},\n");
}

static void
append_verdicts (GString *out, const NaccsSimSuiteResult *result)
{
  NaccsSimReportScenario record = {
    .id = result->entry->scenario->id,
    .verdicts = result->verdicts,
    .pass_ids = (const char *const *) result->pass_ids,
    .fail_ids = (const char *const *) result->fail_ids,
  };

  g_string_append (out, "      \"verdicts\": [");
  for (guint i = 0; i < result->verdicts->len; i++)
    {
      const NaccsSimVerdict *verdict = g_ptr_array_index (result->verdicts, i);

      g_string_append (out, i > 0 ? ",\n        " : "\n        ");
      g_string_append (out, "{\"id\": ");
      append_string (out, verdict->info->id);
      g_string_append (out, ", \"status\": ");
      append_string (out, naccs_sim_check_status_name (verdict->status));
      g_string_append (out, ", \"outcome\": ");
      append_string (out,
                     outcome_name (naccs_sim_report_outcome (&record,
                                                             verdict)));
      g_string_append (out, ", \"explanation\": ");
      append_string (out, verdict->explanation);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "\n      ]\n");
}

static void
append_scenario (GString *out, const NaccsSimSuiteResult *result)
{
  const NaccsSimSuiteEntry *entry = result->entry;
  const NaccsSimScenario *scenario = entry->scenario;

  g_string_append (out, "    {\n");
  append_key (out, "      ", "id");
  append_string (out, scenario->id);
  g_string_append (out, ",\n      \"title\": {\"en\": ");
  append_string (out, scenario->title_en);
  g_string_append (out, ", \"ja\": ");
  append_string (out, scenario->title_ja);
  g_string_append (out, "},\n");
  append_key (out, "      ", "rule");
  append_string (out, scenario->rule);
  g_string_append (out, ",\n");
  append_key (out, "      ", "file");
  append_string (out, entry->path);
  g_string_append (out, ",\n");
  append_key (out, "      ", "sha256");
  append_string (out, entry->sha256);
  g_string_append (out, ",\n");
  append_messages (out, scenario);
  append_key (out, "      ", "result");
  append_string (out, result->passed ? "pass" : "fail");
  g_string_append (out, ",\n");
  append_key (out, "      ", "error");
  append_string (out, result->error);
  g_string_append (out, ",\n");
  append_key (out, "      ", "duration_seconds");
  append_seconds (out, result->duration_us);
  g_string_append (out, ",\n");
  append_client (out, result);
  append_verdicts (out, result);
  g_string_append (out, "    }");
}

static void
append_header (GString *out, GPtrArray *results,
               const NaccsSimSuiteRunInfo *info)
{
  g_autofree char *date = iso8601_utc (info->started_us);
  guint passed = 0;

  for (guint i = 0; i < results->len; i++)
    if (((NaccsSimSuiteResult *) g_ptr_array_index (results, i))->passed)
      passed++;
  g_string_append_printf (out, "{\n  \"format\": \"naccs-sim-certification\",\n"
                          "  \"format_version\": %d,\n", CERT_FORMAT_VERSION);
  g_string_append (out, "  \"tool\": {\"name\": \"naccs-sim\", "
                        "\"version\": ");
  append_string (out, PACKAGE_VERSION);
  g_string_append (out, "},\n");
  append_key (out, "  ", "date");
  append_string (out, date);
  g_string_append (out, ",\n");
  append_key (out, "  ", "duration_seconds");
  append_seconds (out, info->duration_us);
  g_string_append (out, ",\n");
  append_host (out);
  g_string_append (out, "  \"client\": {\"command\": ");
  append_string (out, info->command);
  g_string_append (out, ", \"timeout_seconds\": ");
  append_seconds (out, (gint64) info->timeout_ms * 1000);
  g_string_append_printf (out, ", \"jobs\": %u},\n", info->jobs);
  append_key (out, "  ", "result");
  append_string (out, passed == results->len ? "pass" : "fail");
  g_string_append_printf (out, ",\n  \"counts\": {\"scenarios\": %u, "
                          "\"passed\": %u, \"failed\": %u},\n", results->len,
                          passed, results->len - passed);
}

char *
naccs_sim_suite_cert_json (GPtrArray *results,
                           const NaccsSimSuiteRunInfo *info)
{
  GString *out = g_string_new (NULL);

  append_header (out, results, info);
  g_string_append (out, "  \"scenarios\": [\n");
  for (guint i = 0; i < results->len; i++)
    {
      if (i > 0)
        g_string_append (out, ",\n");
      append_scenario (out, g_ptr_array_index (results, i));
    }
  g_string_append (out, "\n  ]\n}\n");
  return g_string_free (out, FALSE);
}
