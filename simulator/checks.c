/* checks.c: runs the checks and compares their verdicts with what a
 * scenario expects.
 *
 * Every check of the table (checks-table.c) has one judging function in a
 * checks-*.c file; this file maps ids to those functions and runs them in
 * table order.  A scenario's expectation lists checks that must pass and
 * checks that must fail; without a pass list, every check that applies
 * must pass, which is how a scenario says "a conforming client gets
 * through this".
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "checks-private.h"

typedef NaccsSimVerdict *(*CheckFunc) (const NaccsSimCheckContext *context);

static const struct {
  const char *id;
  CheckFunc run;
} check_functions[] = {
  { "SEQ-GREETING", checks_seq_greeting },
  { "SEQ-HELO", checks_seq_helo },
  { "SEQ-MAIL", checks_seq_mail },
  { "SEQ-RCPT", checks_seq_rcpt },
  { "SEQ-ORDER", checks_seq_order },
  { "SEQ-WAIT", checks_seq_wait },
  { "MSG-DOT", checks_msg_dot },
  { "MSG-COUNT", checks_msg_count },
  { "MSG-LINE-LENGTH", checks_msg_line_length },
  { "MSG-CRLF", checks_msg_crlf },
  { "SES-QUIT", checks_ses_quit },
  { "SES-AFTER-CLOSE", checks_ses_after_close },
  { "SES-CLOSE-421", checks_ses_close_421 },
  { "ERR-ACTION", checks_err_action },
  { "TXT-INDEPENDENT", checks_txt_independent },
  { "TIME-GIVE-UP", checks_time_give_up },
};

NaccsSimVerdict *
naccs_sim_check_run_one (const NaccsSimCheckContext *context, const char *id)
{
  g_return_val_if_fail (context != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (check_functions); i++)
    if (strcmp (check_functions[i].id, id) == 0)
      return check_functions[i].run (context);
  return NULL;
}

GPtrArray *
naccs_sim_checks_run (const NaccsSimCheckContext *context)
{
  gsize n_checks = 0;
  const NaccsSimCheckInfo *table = naccs_sim_check_list (&n_checks);
  GPtrArray *verdicts =
    g_ptr_array_new_with_free_func ((GDestroyNotify) naccs_sim_verdict_free);

  g_return_val_if_fail (context != NULL, verdicts);

  for (gsize i = 0; i < n_checks; i++)
    {
      NaccsSimVerdict *verdict = naccs_sim_check_run_one (context, table[i].id);

      /* Every table entry has a function; a gap is our bug, not the
       * client's, so it must not turn into a verdict. */
      if (verdict == NULL)
        {
          g_critical ("check %s has no judging function", table[i].id);
          continue;
        }
      g_ptr_array_add (verdicts, verdict);
    }
  return verdicts;
}

/* ---- expectations ---- */

static gboolean
id_listed (const char *const *ids, const char *id)
{
  if (ids == NULL)
    return FALSE;
  for (gsize i = 0; ids[i] != NULL; i++)
    if (strcmp (ids[i], id) == 0)
      return TRUE;
  return FALSE;
}

static const NaccsSimVerdict *
find_verdict (const GPtrArray *verdicts, const char *id)
{
  for (guint i = 0; i < verdicts->len; i++)
    {
      const NaccsSimVerdict *verdict = g_ptr_array_index (verdicts, i);

      if (strcmp (verdict->info->id, id) == 0)
        return verdict;
    }
  return NULL;
}

static void
add_miss (GString *why, const char *id, const char *wanted,
          const NaccsSimVerdict *verdict)
{
  const char *got = verdict != NULL
                    ? naccs_sim_check_status_name (verdict->status)
                    : "missing";

  if (why->len > 0)
    g_string_append (why, "; ");
  /* TRANSLATORS: "%s: expected %s, got %s", e.g. "MSG-DOT: expected pass,
   * got fail"; the statuses are stable English names. */
  g_string_append_printf (why, _("%s: expected %s, got %s"), id, wanted, got);
}

/* Checks the ids named in one list for the status they must have. */
static void
check_listed (const GPtrArray *verdicts,
              const char *const *ids,
              NaccsSimCheckStatus wanted,
              GString *why)
{
  if (ids == NULL)
    return;
  for (gsize i = 0; ids[i] != NULL; i++)
    {
      const NaccsSimVerdict *verdict = find_verdict (verdicts, ids[i]);

      if (verdict == NULL || verdict->status != wanted)
        add_miss (why, ids[i], naccs_sim_check_status_name (wanted), verdict);
    }
}

gboolean
naccs_sim_checks_expectation_met (const GPtrArray *verdicts,
                                  const char *const *pass_ids,
                                  const char *const *fail_ids,
                                  char **why)
{
  g_autoptr (GString) misses = g_string_new (NULL);

  g_return_val_if_fail (verdicts != NULL, FALSE);

  check_listed (verdicts, pass_ids, NACCS_SIM_CHECK_PASS, misses);
  check_listed (verdicts, fail_ids, NACCS_SIM_CHECK_FAIL, misses);

  /* By default all checks that apply must pass. */
  if (pass_ids == NULL || pass_ids[0] == NULL)
    for (guint i = 0; i < verdicts->len; i++)
      {
        const NaccsSimVerdict *verdict = g_ptr_array_index (verdicts, i);

        if (verdict->status == NACCS_SIM_CHECK_FAIL
            && !id_listed (fail_ids, verdict->info->id))
          add_miss (misses, verdict->info->id, "pass", verdict);
      }

  if (misses->len == 0)
    return TRUE;
  if (why != NULL)
    *why = g_strdup_printf (_("The scenario's expectation was not met: %s."),
                            misses->str);
  return FALSE;
}
