/* suite-report.c: what `naccs-sim suite` prints and writes at the end.
 *
 * On standard output: a table with one row per scenario (checks met and
 * missed, wall time, result), then every check that missed its scenario's
 * expectation with its explanation and evidence, then a count.  Reports
 * asked for with --report FORMAT:FILE reuse the writers of report.h for
 * text, json and junit, which take all scenarios at once (JUnit: one
 * testsuite per scenario, one testcase per check).  tsv writes one line
 * per verdict for comparing runs, and cert the certification record
 * (suite-cert.c).  The CLIENT-EXIT verdict rides in each scenario's
 * verdict list, so every format shows how the client ended.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "report-private.h"
#include "report.h"
#include "suite-private.h"

#define COLOUR_RED "\033[31m"
#define COLOUR_GREEN "\033[32m"
#define COLOUR_OFF "\033[0m"

static const char *const report_formats[] = {
  "text", "json", "junit", "tsv", "cert", NULL,
};

/* Splits "FORMAT:FILE"; FALSE when the format is unknown or FILE empty. */
static gboolean
split_report (const char *value, char **format, char **path)
{
  const char *colon = strchr (value, ':');
  g_autofree char *name = NULL;

  if (colon == NULL || colon[1] == '\0')
    return FALSE;
  name = g_strndup (value, colon - value);
  if (!g_strv_contains (report_formats, name))
    return FALSE;
  *format = g_steal_pointer (&name);
  *path = g_strdup (colon + 1);
  return TRUE;
}

/* Checks that @path can be written at the end of the run: it is not a
 * directory, and its directory exists and is writable.  A run of several
 * minutes must not end in a report that cannot be written. */
static gboolean
check_report_path (const char *value, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (strcmp (path, "-") == 0)
    return TRUE;
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_USAGE,
                   _("invalid --report \"%s\": %s is a directory; give a "
                     "file name"), value, path);
      return FALSE;
    }
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_USAGE,
                   _("invalid --report \"%s\": directory %s does not "
                     "exist; create it or give another path"), value, dir);
      return FALSE;
    }
  if (access (dir, W_OK | X_OK) != 0)
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_USAGE,
                   _("invalid --report \"%s\": directory %s is not "
                     "writable (%s); give another path"), value, dir,
                   g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
naccs_sim_suite_reports_check (char **values, GError **error)
{
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      g_autofree char *format = NULL;
      g_autofree char *path = NULL;

      if (!split_report (values[i], &format, &path))
        {
          g_set_error (error, NACCS_SIM_SUITE_ERROR,
                       NACCS_SIM_SUITE_ERROR_USAGE,
                       _("invalid --report \"%s\": write FORMAT:FILE with "
                         "FORMAT text, json, junit, tsv or cert, e.g. "
                         "junit:report.xml"), values[i]);
          return FALSE;
        }
      if (!check_report_path (values[i], path, error))
        return FALSE;
    }
  return TRUE;
}

/* Appends @text with control characters shown as U+FFFD, so that bytes
 * from a client cannot drive the terminal. */
static void
append_safe (GString *out, const char *text)
{
  const char *p = text != NULL ? text : "";
  const char *end = p + strlen (p);

  while (p < end)
    {
      gunichar c = report_next_char (&p, end);

      g_string_append_unichar (out, report_is_control (c)
                                    ? REPORT_REPLACEMENT : c);
    }
}

static NaccsSimReportScenario
record_of (const NaccsSimSuiteResult *result)
{
  NaccsSimReportScenario record = {
    .id = result->entry->scenario->id,
    .title = naccs_sim_scenario_get_title (result->entry->scenario),
    .duration_us = result->duration_us,
    .verdicts = result->verdicts,
    .pass_ids = (const char *const *) result->pass_ids,
    .fail_ids = (const char *const *) result->fail_ids,
  };

  return record;
}

/* Returns the terminal columns @text takes: East Asian wide characters
 * such as those of a Japanese heading take two. */
static guint
columns_of (const char *text)
{
  guint columns = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    columns += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return columns;
}

/* Appends @text padded with spaces to @width columns, on the left when
 * @right_align. */
static void
append_cell (GString *out, const char *text, guint width,
             gboolean right_align)
{
  guint columns = columns_of (text);

  if (!right_align)
    g_string_append (out, text);
  for (; columns < width; columns++)
    g_string_append_c (out, ' ');
  if (right_align)
    g_string_append (out, text);
}

static guint
max_id_width (GPtrArray *results)
{
  guint width = columns_of (_("Scenario"));

  for (guint i = 0; i < results->len; i++)
    {
      const NaccsSimSuiteResult *result = g_ptr_array_index (results, i);

      width = MAX (width, columns_of (result->entry->scenario->id));
    }
  return width;
}

static void
append_table (GString *out, GPtrArray *results, gboolean colour)
{
  guint width = max_id_width (results);

  /* TRANSLATORS: headings of the suite's summary table; the columns are
   * the scenario id, checks met, checks missed, time and result. */
  append_cell (out, _("Scenario"), width, FALSE);
  append_cell (out, _("Met"), 7, TRUE);
  append_cell (out, _("Missed"), 7, TRUE);
  append_cell (out, _("Time"), 11, TRUE);
  g_string_append (out, "  ");
  g_string_append (out, _("Result"));
  g_string_append_c (out, '\n');
  for (guint i = 0; i < results->len; i++)
    {
      const NaccsSimSuiteResult *result = g_ptr_array_index (results, i);
      NaccsSimReportScenario record = record_of (result);
      guint met, missed, skipped;

      naccs_sim_report_count (&record, &met, &missed, &skipped);
      /* Padded by columns like the headings, not by bytes as %-*s does. */
      append_cell (out, record.id, width, FALSE);
      g_string_append_printf (out, " %6u %6u %8.3f s  %s%s%s\n",
                              met, missed,
                              (double) result->duration_us / G_USEC_PER_SEC,
                              colour ? (result->passed ? COLOUR_GREEN
                                                       : COLOUR_RED) : "",
                              result->passed ? _("PASS") : _("FAIL"),
                              colour ? COLOUR_OFF : "");
    }
}

/* Appends one evidence line per line of the item's text, so that a
 * multi-line reply shows as it came over the wire instead of as lines
 * joined by U+FFFD; the CR of each CRLF is dropped. */
static void
append_evidence_item (GString *out, const NaccsSimEvidence *evidence)
{
  g_auto (GStrv) lines =
    g_strsplit (evidence->text != NULL ? evidence->text : "", "\n", -1);
  guint n = g_strv_length (lines);

  if (n > 1 && lines[n - 1][0] == '\0')
    n--;
  for (guint l = 0; l < MAX (n, 1); l++)
    {
      gsize len = strlen (lines[l]);

      if (len > 0 && lines[l][len - 1] == '\r')
        lines[l][len - 1] = '\0';
      g_string_append (out, "        ");
      if (evidence->connection > 0)
        g_string_append_printf (out, _("conn %u "), evidence->connection);
      g_string_append_printf (out, "%8.3f %s ",
                              (double) evidence->at_us / G_USEC_PER_SEC,
                              report_direction_tag (evidence->direction));
      append_safe (out, lines[l]);
      g_string_append_c (out, '\n');
    }
}

static void
append_evidence (GString *out, const NaccsSimVerdict *verdict)
{
  for (guint e = 0; e < verdict->evidence->len; e++)
    append_evidence_item (out, g_ptr_array_index (verdict->evidence, e));
}

/* Appends the checks of one scenario that missed its expectation. */
static void
append_misses (GString *out, const NaccsSimSuiteResult *result)
{
  NaccsSimReportScenario record = record_of (result);

  g_string_append_printf (out, "\n%s: ", record.id);
  append_safe (out, record.title);
  g_string_append_c (out, '\n');
  if (result->error != NULL)
    {
      g_string_append (out, "    ");
      append_safe (out, result->error);
      g_string_append_c (out, '\n');
    }
  else if (result->run != NULL && result->run->why != NULL)
    {
      g_string_append (out, "    ");
      append_safe (out, result->run->why);
      g_string_append_c (out, '\n');
    }
  for (guint i = 0; i < result->verdicts->len; i++)
    {
      const NaccsSimVerdict *verdict = g_ptr_array_index (result->verdicts, i);

      if (naccs_sim_report_outcome (&record, verdict)
          != NACCS_SIM_OUTCOME_MISSED)
        continue;
      g_string_append_printf (out, "  %-16s %s (%s)\n", verdict->info->id,
                              _(verdict->info->title),
                              naccs_sim_check_status_name (verdict->status));
      g_string_append (out, "      ");
      append_safe (out, verdict->explanation);
      g_string_append_c (out, '\n');
      append_evidence (out, verdict);
    }
}

void
naccs_sim_suite_print_summary (GPtrArray *results, FILE *out,
                               gboolean colour)
{
  g_autoptr (GString) text = g_string_new (NULL);
  guint passed = 0;

  append_table (text, results, colour);
  for (guint i = 0; i < results->len; i++)
    if (((NaccsSimSuiteResult *) g_ptr_array_index (results, i))->passed)
      passed++;
  if (passed < results->len)
    {
      g_string_append_c (text, '\n');
      g_string_append (text, _("Checks not as expected, with their "
                               "evidence:"));
      g_string_append_c (text, '\n');
    }
  for (guint i = 0; i < results->len; i++)
    {
      const NaccsSimSuiteResult *result = g_ptr_array_index (results, i);

      if (!result->passed)
        append_misses (text, result);
    }
  g_string_append_c (text, '\n');
  g_string_append_printf (text,
                          ngettext ("%u of %u scenario passed.\n",
                                    "%u of %u scenarios passed.\n",
                                    results->len),
                          passed, results->len);
  fputs (text->str, out);
  fflush (out);
}

char *
naccs_sim_suite_verdicts_tsv (GPtrArray *results)
{
  GString *out = g_string_new ("scenario\tcheck\tstatus\n");

  for (guint i = 0; i < results->len; i++)
    {
      const NaccsSimSuiteResult *result = g_ptr_array_index (results, i);

      for (guint v = 0; v < result->verdicts->len; v++)
        {
          const NaccsSimVerdict *verdict =
            g_ptr_array_index (result->verdicts, v);

          g_string_append_printf (out, "%s\t%s\t%s\n",
                                  result->entry->scenario->id,
                                  verdict->info->id,
                                  naccs_sim_check_status_name (
                                    verdict->status));
        }
    }
  return g_string_free (out, FALSE);
}

static char *
render (const char *format, GPtrArray *results,
        const NaccsSimSuiteRunInfo *info)
{
  g_autofree NaccsSimReportScenario *records =
    g_new0 (NaccsSimReportScenario, results->len);
  g_autofree const NaccsSimReportScenario **pointers =
    g_new0 (const NaccsSimReportScenario *, results->len);

  if (strcmp (format, "tsv") == 0)
    return naccs_sim_suite_verdicts_tsv (results);
  if (strcmp (format, "cert") == 0)
    return naccs_sim_suite_cert_json (results, info);
  for (guint i = 0; i < results->len; i++)
    {
      records[i] = record_of (g_ptr_array_index (results, i));
      pointers[i] = &records[i];
    }
  if (strcmp (format, "json") == 0)
    return naccs_sim_report_json (pointers, results->len);
  if (strcmp (format, "junit") == 0)
    return naccs_sim_report_junit (pointers, results->len);
  return naccs_sim_report_text (pointers, results->len, FALSE);
}

/* Returns why a report could not be saved, without the temporary file
 * name that g_file_set_contents() puts in its messages. */
static const char *
save_reason (const GError *error)
{
  static const struct {
    GFileError code;
    int errno_value;
  } table[] = {
    { G_FILE_ERROR_NOENT, ENOENT }, { G_FILE_ERROR_ACCES, EACCES },
    { G_FILE_ERROR_PERM, EPERM },   { G_FILE_ERROR_NOSPC, ENOSPC },
    { G_FILE_ERROR_ROFS, EROFS },   { G_FILE_ERROR_ISDIR, EISDIR },
    { G_FILE_ERROR_NOTDIR, ENOTDIR }, { G_FILE_ERROR_IO, EIO },
    { G_FILE_ERROR_NAMETOOLONG, ENAMETOOLONG },
  };

  if (error->domain != G_FILE_ERROR)
    return error->message;
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if ((gint) table[i].code == error->code)
      return g_strerror (table[i].errno_value);
  return _("write error");
}

gboolean
naccs_sim_suite_write_reports (char **values, GPtrArray *results,
                               const NaccsSimSuiteRunInfo *info)
{
  gboolean ok = TRUE;

  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      g_autofree char *format = NULL;
      g_autofree char *path = NULL;
      g_autofree char *contents = NULL;
      g_autoptr (GError) error = NULL;

      if (!split_report (values[i], &format, &path))
        continue;
      contents = render (format, results, info);
      if (!naccs_sim_report_save (path, contents, &error))
        {
          /* The message of g_file_set_contents() names its temporary
           * file, so the path given to --report is named instead. */
          g_printerr ("naccs-sim suite: ");
          g_printerr (_("failed to write the %s report to %s (--report "
                        "\"%s\"): %s; check the disk and the directory"),
                      format, path, values[i], save_reason (error));
          g_printerr ("\n");
          ok = FALSE;
        }
    }
  return ok;
}
