/* send-report.c: what naccs-send reports about a run.
 *
 * Prints one line per file on stdout, in the order the files were given,
 * and writes the JSON report of --report json:FILE: every step outcome of
 * every connection (connection number, file, step, reply code, elapsed
 * milliseconds, action taken, error), the final outcome of each file,
 * whether the run was cancelled, and why the session stopped early.
 * Step, action and outcome names in the JSON are the stable ASCII keys of
 * naccs_client_step_to_string(), naccs_client_action_to_string() and
 * send_outcome_to_string(), never translated, so that scripts can read them.
 * The JSON is written by hand because the project depends on no JSON
 * library; strings are made valid UTF-8 and escaped per RFC 8259 section 7.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-send"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "send-plan.h"

#define EXIT_ALL_ACCEPTED 0
#define EXIT_SOME_FAILED 1
#define EXIT_LOCAL_ERROR 2

static gboolean
fail_report_path (GError **error, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static gboolean
fail_report_path (GError **error, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_FILE_ERROR,
                                                G_FILE_ERROR_FAILED, format,
                                                args));
  va_end (args);
  return FALSE;
}

/* Size at which send_report_print() hands its lines to g_print(), which
 * flushes stdout each time: one write per file would cost a system call
 * per message in a run of thousands. */
#define PRINT_BATCH_OCTETS (64 * 1024)

static void
print_file (GString *out, const SendFile *file)
{
  const char *step = naccs_client_step_name (file->step);

  switch (file->outcome)
    {
    case SEND_OUTCOME_ACCEPTED:
      g_string_append_printf (out, _("%s: accepted (reply code %u)\n"),
                              file->path, file->reply_code);
      break;
    case SEND_OUTCOME_REJECTED:
      if (file->reply_code >= 500)
        g_string_append_printf (out, _("%s: rejected permanently (reply "
                                       "code %u to %s)\n"),
                                file->path, file->reply_code, step);
      else
        g_string_append_printf (out, _("%s: rejected temporarily (reply "
                                       "code %u to %s)\n"),
                                file->path, file->reply_code, step);
      break;
    case SEND_OUTCOME_UNKNOWN:
      g_string_append_printf (out, _("%s: outcome unknown: %s\n"),
                              file->path, file->detail);
      break;
    case SEND_OUTCOME_FAILED:
      g_string_append_printf (out, _("%s: not accepted: %s\n"), file->path,
                              file->detail);
      break;
    case SEND_OUTCOME_NOT_ATTEMPTED:
    default:
      g_string_append_printf (out, _("%s: not attempted: %s\n"), file->path,
                              file->detail ? file->detail : "");
      break;
    }
}

void
send_report_print (const SendRun *run)
{
  g_autoptr (GString) out = g_string_sized_new (PRINT_BATCH_OCTETS);

  for (guint i = 0; i < run->n_files; i++)
    {
      print_file (out, &run->files[i]);
      if (out->len >= PRINT_BATCH_OCTETS || i + 1 == run->n_files)
        {
          g_print ("%s", out->str);
          g_string_truncate (out, 0);
        }
    }
}

int
send_report_exit_status (const SendRun *run)
{
  if (run->local_error)
    return EXIT_LOCAL_ERROR;

  for (guint i = 0; i < run->n_files; i++)
    if (run->files[i].outcome != SEND_OUTCOME_ACCEPTED)
      return EXIT_SOME_FAILED;
  return EXIT_ALL_ACCEPTED;
}

/* Appends @text as a JSON string, or null. */
static void
append_string (GString *out, const char *text)
{
  g_autofree char *valid = NULL;

  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  /* File names need not be UTF-8; JSON text must be. */
  valid = g_utf8_make_valid (text, -1);
  g_string_append_c (out, '"');
  for (const char *p = valid; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

/* Appends @code, or null for 0 (no reply). */
static void
append_code (GString *out, guint code)
{
  if (code == 0)
    g_string_append (out, "null");
  else
    g_string_append_printf (out, "%u", code);
}

static void
append_record (GString *out, const SendRun *run, const SendRecord *record)
{
  g_string_append_printf (out, "    {\"connection\": %u, \"file\": ",
                          record->connection);
  append_string (out, record->file >= 0 ? run->files[record->file].path
                                        : NULL);
  g_string_append_printf (out, ", \"step\": \"%s\", \"reply_code\": ",
                          naccs_client_step_to_string (record->step));
  append_code (out, record->reply_code);
  g_string_append_printf (out, ", \"elapsed_ms\": %" G_GINT64_FORMAT
                          ", \"action\": \"%s\", \"error\": ",
                          record->elapsed_ms,
                          naccs_client_action_to_string (record->action));
  append_string (out, record->error);
  g_string_append (out, "}");
}

static void
append_file (GString *out, const SendFile *file)
{
  g_string_append (out, "    {\"path\": ");
  append_string (out, file->path);
  g_string_append_printf (out, ", \"outcome\": \"%s\", \"attempts\": %u, "
                          "\"reply_code\": ",
                          send_outcome_to_string (file->outcome),
                          file->attempts);
  append_code (out, file->reply_code);
  g_string_append (out, ", \"step\": ");
  append_string (out, file->attempts > 0
                          ? naccs_client_step_to_string (file->step)
                          : NULL);
  g_string_append (out, ", \"detail\": ");
  append_string (out, file->detail);
  g_string_append (out, "}");
}

static char *
format_json (const SendRun *run, const SendConfig *config)
{
  GString *out = g_string_new ("{\n  \"server\": ");
  g_autofree char *server = g_strdup_printf ("%s:%u", config->host,
                                             config->port);

  append_string (out, server);
  g_string_append_printf (out, ",\n  \"connections\": %u,\n"
                          "  \"cancelled\": %s,\n"
                          "  \"exit_status\": %d,\n  \"session_error\": ",
                          run->connections,
                          run->cancelled ? "true" : "false",
                          send_report_exit_status (run));
  append_string (out, run->session_error);
  g_string_append (out, ",\n  \"files\": [\n");
  for (guint i = 0; i < run->n_files; i++)
    {
      append_file (out, &run->files[i]);
      g_string_append (out, i + 1 < run->n_files ? ",\n" : "\n");
    }

  g_string_append (out, "  ],\n  \"attempts\": [\n");
  for (guint i = 0; i < run->records->len; i++)
    {
      append_record (out, run,
                     &g_array_index (run->records, SendRecord, i));
      g_string_append (out, i + 1 < run->records->len ? ",\n" : "\n");
    }
  g_string_append (out, "  ]\n}\n");
  return g_string_free (out, FALSE);
}

gboolean
send_report_write_json (const SendRun *run, const SendConfig *config,
                        const char *path, GError **error)
{
  g_autofree char *json = format_json (run, config);
  g_autoptr (GError) write_error = NULL;

  if (g_file_set_contents (path, json, -1, &write_error))
    return TRUE;
  g_set_error (error, G_FILE_ERROR, write_error->code,
               _("cannot write the --report file \"%s\": %s"), path,
               write_error->message);
  return FALSE;
}

/* g_file_set_contents() writes a temporary file in the report's directory
 * and renames it over the report, so what must be writable is the
 * directory, and an existing report must be a regular file: a rename
 * would replace a device or FIFO instead of writing into it. */
gboolean
send_report_check_path (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  GStatBuf st;
  gboolean exists = g_stat (path, &st) == 0;

  if (exists && S_ISDIR (st.st_mode))
    return fail_report_path (error, _("invalid --report \"json:%s\": it is "
                                      "a directory; give a file name in "
                                      "it"), path);
  if (exists && !S_ISREG (st.st_mode))
    return fail_report_path (error, _("invalid --report \"json:%s\": it "
                                      "exists and is not a regular file; "
                                      "give the path of a new or regular "
                                      "file"), path);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return fail_report_path (error, _("invalid --report \"json:%s\": the "
                                      "directory \"%s\" does not exist; "
                                      "create it or give another path"),
                             path, dir);
  if (g_access (dir, W_OK | X_OK) != 0)
    return fail_report_path (error, _("invalid --report \"json:%s\": "
                                      "cannot write in the directory "
                                      "\"%s\": %s; give a path in a "
                                      "writable directory"),
                             path, dir, g_strerror (errno));
  return TRUE;
}
