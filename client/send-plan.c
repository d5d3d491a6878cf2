/* send-plan.c: sends naccs-send's files, reconnecting and retrying within
 * limits, and decides each file's final outcome.
 *
 * The client library reports after every step the action that the action
 * table selects (see action-table.c).  This file carries the action out
 * across messages and connections:
 *
 * - continue: the next step, or the next file after a 250 to ".";
 * - retry-later: RSET, and the file waits for a back-off delay while the
 *   other files go on;
 * - reconnect: the library has closed the connection, with QUIT when it
 *   was still usable and without it after 421, a timeout, a lost
 *   connection or a bad reply.  The next connection resumes with the
 *   first file not yet done, after a back-off delay;
 * - give-up-message: RSET, and the file is final (rejected or failed);
 * - give-up-session: QUIT if the connection is still open, and stop.
 *
 * A cancel of config->cancellable (naccs-send cancels it on SIGINT and
 * SIGTERM) stops the run: QUIT if the connection is usable, files never
 * tried stay not attempted.
 *
 * Three rules keep files from being lost or duplicated.  A file whose end
 * of data got 250 is done and never sent again.  A file is reported as
 * accepted only after that 250.  A file whose "." went out without a reply
 * is unknown, and is sent again only with resend_unknown, because the
 * center may already have it.  Each file gets at most max_attempts MAIL
 * FROMs and the session at most max_attempts failed connects in a row, so
 * the run always ends.  QUIT follows as soon as every file is done, but
 * never after 421, where the library has already closed the connection.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-send"

#include <math.h>
#include <stdio.h>

#include <glib/gi18n.h>

#include "message-file.h"
#include "send-plan.h"
#include "send-queue.h"

typedef struct {
  const SendConfig *config;
  SendRun *run;
  NaccsClient *client;
  SendQueue queue;           /* the files not done, next attempt first */
  gint current_file;         /* file being sent, or -1 */
  guint connect_failures;    /* failed connects and HELOs in a row */
  guint failed_connections;  /* connections lost in a row without a 250 */
  gboolean stop;             /* give up the session */
} Plan;

static const char *const outcome_keys[] = {
  [SEND_OUTCOME_NOT_ATTEMPTED] = "not-attempted",
  [SEND_OUTCOME_ACCEPTED] = "accepted",
  [SEND_OUTCOME_REJECTED] = "rejected",
  [SEND_OUTCOME_FAILED] = "failed",
  [SEND_OUTCOME_UNKNOWN] = "unknown",
};

const char *
send_outcome_to_string (SendOutcome outcome)
{
  g_return_val_if_fail ((guint) outcome < G_N_ELEMENTS (outcome_keys), "?");

  return outcome_keys[outcome];
}

void
send_config_init (SendConfig *config)
{
  *config = (SendConfig) { 0 };
  naccs_client_timeouts_init_default (&config->timeouts);
  config->port = 25;
  config->max_attempts = 3;
  config->retry_delay_ms = 5 * 1000;
  config->max_retry_delay_ms = 60 * 1000;
  config->backoff_factor = 2.0;
}

void
send_run_init (SendRun *run, char **paths)
{
  *run = (SendRun) { 0 };
  run->n_files = g_strv_length (paths);
  run->files = g_new0 (SendFile, run->n_files);
  for (guint i = 0; i < run->n_files; i++)
    run->files[i].path = g_strdup (paths[i]);
  run->records = g_array_new (FALSE, TRUE, sizeof (SendRecord));
}

void
send_run_clear (SendRun *run)
{
  for (guint i = 0; i < run->n_files; i++)
    {
      g_free (run->files[i].path);
      g_free (run->files[i].detail);
      g_clear_pointer (&run->files[i].contents, g_bytes_unref);
    }
  g_free (run->files);
  for (guint i = 0; run->records != NULL && i < run->records->len; i++)
    g_free (g_array_index (run->records, SendRecord, i).error);
  g_clear_pointer (&run->records, g_array_unref);
  g_clear_pointer (&run->session_error, g_free);
}

guint
send_plan_backoff_ms (const SendConfig *config, guint retry)
{
  double delay = config->retry_delay_ms;

  for (guint i = 1; i < retry && delay < config->max_retry_delay_ms; i++)
    delay *= config->backoff_factor;
  return (guint) MIN (delay, (double) config->max_retry_delay_ms);
}

/* Waits @ms milliseconds, or less when the run is cancelled.  A signal
 * interrupts poll() before the cancel arrives from the signal thread, so
 * the wait goes on until its deadline or the cancel. */
static void
wait_ms (const SendConfig *config, guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  GPollFD pollfd;
  gint64 left_us;

  if (ms == 0)
    return;
  if (config->cancellable == NULL
      || !g_cancellable_make_pollfd (config->cancellable, &pollfd))
    {
      g_usleep ((gulong) ms * 1000);
      return;
    }

  while (!g_cancellable_is_cancelled (config->cancellable)
         && (left_us = deadline - g_get_monotonic_time ()) > 0)
    g_poll (&pollfd, 1, (gint) ((left_us + 999) / 1000));
  g_cancellable_release_fd (config->cancellable);
}

static gboolean
is_cancelled (const Plan *plan)
{
  return g_cancellable_is_cancelled (plan->config->cancellable);
}

/* Records each step outcome the library reports, and shows it with
 * --verbose. */
static void
on_reply (const NaccsClientReply *reply, gpointer user_data)
{
  Plan *plan = user_data;
  SendRecord record = {
    .connection = reply->connection,
    .file = plan->current_file,
    .step = reply->step,
    .reply_code = reply->reply_code,
    .action = reply->action,
    .elapsed_ms = reply->elapsed_ms,
    .error = reply->error ? g_strdup (reply->error->message) : NULL,
  };

  g_array_append_val (plan->run->records, record);
  if (plan->config->verbose && reply->action != NACCS_CLIENT_ACTION_CONTINUE)
    g_printerr (_("naccs-send: connection %u: %s: reply code %u after %u "
                  "ms: %s\n"), reply->connection,
                naccs_client_step_name (reply->step), reply->reply_code,
                (guint) reply->elapsed_ms,
                naccs_client_action_to_string (reply->action));
}

static void
on_trace (gboolean outgoing, const char *line, gpointer user_data)
{
  const Plan *plan = user_data;

  if (plan->config->verbose)
    g_printerr ("%s %s\n", outgoing ? "C:" : "S:", line);
}

static void
stop_session (Plan *plan, const char *reason)
{
  plan->stop = TRUE;
  if (plan->run->session_error == NULL)
    plan->run->session_error = g_strdup (reason);
}

/* Connects and sends HELO, after a back-off when earlier connections
 * failed.  Returns FALSE when this connection failed. */
static gboolean
open_session (Plan *plan)
{
  const SendConfig *config = plan->config;
  guint retry = MAX (plan->connect_failures, plan->failed_connections);
  g_autoptr (GError) error = NULL;

  if (retry > 0)
    {
      guint delay = send_plan_backoff_ms (config, retry);

      g_info ("event=reconnect retry=%u delay_ms=%u", retry, delay);
      wait_ms (config, delay);
      /* A cancel ends the wait early; no new connection after it. */
      if (is_cancelled (plan))
        {
          stop_session (plan, _("cancelled"));
          return FALSE;
        }
    }

  plan->current_file = -1;
  plan->run->connections++;
  if (naccs_client_connect (plan->client, config->host, config->port, &error)
      && naccs_client_helo (plan->client, config->helo, &error))
    {
      plan->connect_failures = 0;
      return TRUE;
    }

  g_printerr (_("naccs-send: %s\n"), error->message);
  plan->connect_failures++;
  /* A rejected HELO leaves the connection open but unusable for messages:
   * end it properly, unless giving up below sends QUIT anyway. */
  if (naccs_client_is_connected (plan->client)
      && naccs_client_get_last_action (plan->client)
             != NACCS_CLIENT_ACTION_GIVE_UP_SESSION)
    naccs_client_quit (plan->client, NULL);
  if (g_error_matches (error, NACCS_CLIENT_ERROR, NACCS_CLIENT_ERROR_RESOLVE))
    plan->run->local_error = TRUE;
  if (naccs_client_get_last_action (plan->client)
      == NACCS_CLIENT_ACTION_GIVE_UP_SESSION)
    stop_session (plan, error->message);
  else if (plan->connect_failures >= config->max_attempts)
    stop_session (plan, error->message);
  return FALSE;
}

/* Returns the outcome a file gets when its attempts end after @error. */
static SendOutcome
failure_outcome (const SendFile *file, const GError *error)
{
  if (file->unknown_seen)
    return SEND_OUTCOME_UNKNOWN;
  if (naccs_client_error_get_reply_code (error) >= 400)
    return SEND_OUTCOME_REJECTED;
  return SEND_OUTCOME_FAILED;
}

static void
finish_file (SendFile *file, SendOutcome outcome)
{
  file->outcome = outcome;
  file->done = TRUE;
  g_clear_pointer (&file->contents, g_bytes_unref);
}

/* Decides what becomes of @file after a failed attempt with @action. */
static void
settle_file (Plan *plan, SendFile *file, NaccsClientAction action,
             const GError *error)
{
  const SendConfig *config = plan->config;
  SendOutcome outcome = failure_outcome (file, error);

  if (file->unknown_seen && !config->resend_unknown)
    finish_file (file, SEND_OUTCOME_UNKNOWN);
  else if (action == NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE
           || action == NACCS_CLIENT_ACTION_GIVE_UP_SESSION
           || file->attempts >= config->max_attempts)
    finish_file (file, outcome);
  else if (action == NACCS_CLIENT_ACTION_RETRY_LATER)
    file->not_before_us = g_get_monotonic_time ()
                          + (gint64) send_plan_backoff_ms (config,
                                                           file->attempts)
                                * 1000;
  /* RECONNECT: the file leads the next connection, after its back-off. */

  if (!file->done)
    g_info ("event=retry file=\"%s\" attempt=%u action=%s", file->path,
            file->attempts, naccs_client_action_to_string (action));
}

/* Resets the transaction after a rejected step.  A failed RSET either has
 * closed the connection or returns give-up-session, and the caller checks
 * both. */
static void
reset_transaction (Plan *plan)
{
  g_autoptr (GError) error = NULL;

  if (naccs_client_rset (plan->client, &error))
    return;

  g_printerr (_("naccs-send: %s\n"), error->message);
  if (naccs_client_get_last_action (plan->client)
      == NACCS_CLIENT_ACTION_GIVE_UP_SESSION)
    stop_session (plan, error->message);
}

/* Carries out the connection part of @action after a failed attempt;
 * @sent is TRUE when any command went out for it. */
static void
follow_action (Plan *plan, NaccsClientAction action, gboolean sent,
               const GError *error)
{
  if (action == NACCS_CLIENT_ACTION_GIVE_UP_SESSION)
    stop_session (plan, error->message);

  if (!naccs_client_is_connected (plan->client))
    {
      plan->failed_connections++;
      return;
    }
  if (sent && (action == NACCS_CLIENT_ACTION_RETRY_LATER
               || action == NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE))
    reset_transaction (plan);
  if (!naccs_client_is_connected (plan->client))
    plan->failed_connections++;
}

/* Returns the step of the first record from @from on that did not
 * continue: the step that ended the attempt, not the QUIT that may have
 * followed it.  MAIL when there is none, because then the file itself
 * stopped the attempt before MAIL FROM. */
static NaccsClientStep
failed_step (const SendRun *run, guint from)
{
  for (guint i = from; i < run->records->len; i++)
    {
      const SendRecord *record = &g_array_index (run->records, SendRecord, i);

      if (record->action != NACCS_CLIENT_ACTION_CONTINUE)
        return record->step;
    }
  return NACCS_CLIENT_STEP_MAIL;
}

/* Handles a cancel seen before MAIL FROM went out for @file: the file
 * keeps no attempt, so it is reported as not attempted. */
static void
stop_before_file (Plan *plan, SendFile *file, const GError *error)
{
  file->attempts--;
  stop_session (plan, error->message);
  plan->current_file = -1;
}

/* Sends @file once: the octets kept from naccs-send's check, or else the
 * file read again now.  naccs_client_send_message() validates them before
 * MAIL FROM.  A file that cannot be read any more fails as an invalid
 * message does, with give-up-message and nothing on the wire.  Otherwise
 * *@action is the library's last action. */
static gboolean
send_file_once (Plan *plan, const SendFile *file, NaccsClientAction *action,
                GError **error)
{
  const SendConfig *config = plan->config;
  g_autoptr (GBytes) contents = NULL;
  g_autoptr (GError) read_error = NULL;

  if (file->contents != NULL)
    contents = g_bytes_ref (file->contents);
  else
    contents = message_file_load (file->path, &read_error);
  if (contents == NULL)
    {
      g_set_error (error, NACCS_CLIENT_ERROR,
                   NACCS_CLIENT_ERROR_INVALID_MESSAGE,
                   _("cannot read \"%s\": %s"), file->path,
                   read_error->message);
      *action = NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE;
      return FALSE;
    }

  if (naccs_client_send_message (plan->client, config->from, config->to,
                                 contents, error))
    return TRUE;
  *action = naccs_client_get_last_action (plan->client);
  return FALSE;
}

/* Sends file @index once on the open connection. */
static void
attempt_file (Plan *plan, guint index)
{
  SendFile *file = &plan->run->files[index];
  g_autoptr (GError) error = NULL;
  guint records_before = plan->run->records->len;
  NaccsClientAction action = NACCS_CLIENT_ACTION_CONTINUE;
  gboolean sent;

  plan->current_file = (gint) index;
  file->attempts++;
  if (send_file_once (plan, file, &action, &error))
    {
      file->reply_code = naccs_client_get_last_reply_code (plan->client);
      file->step = NACCS_CLIENT_STEP_DATA_END;
      g_clear_pointer (&file->detail, g_free);
      finish_file (file, SEND_OUTCOME_ACCEPTED);
      plan->failed_connections = 0;
      plan->current_file = -1;
      return;
    }

  /* No record means nothing went out: the file itself was at fault, or the
   * run was cancelled, before MAIL FROM. */
  sent = plan->run->records->len > records_before;
  if (!sent && g_error_matches (error, NACCS_CLIENT_ERROR,
                                NACCS_CLIENT_ERROR_CANCELLED))
    {
      stop_before_file (plan, file, error);
      return;
    }
  file->reply_code = naccs_client_error_get_reply_code (error);
  file->step = failed_step (plan->run, records_before);
  g_free (file->detail);
  file->detail = g_strdup (error->message);
  /* The flag is stale when nothing went out for this file. */
  if (sent && naccs_client_last_outcome_unknown (plan->client))
    file->unknown_seen = TRUE;

  settle_file (plan, file, action, error);
  follow_action (plan, action, sent, error);
  plan->current_file = -1;
}

/* Gives every file not done its final outcome when the session ends. */
static void
finish_remaining (SendRun *run)
{
  const char *reason = run->session_error ? run->session_error
                                          : _("the session ended");

  for (guint i = 0; i < run->n_files; i++)
    {
      SendFile *file = &run->files[i];

      if (file->done)
        continue;
      if (file->attempts == 0)
        {
          g_free (file->detail);
          file->detail = g_strdup (reason);
          file->outcome = SEND_OUTCOME_NOT_ATTEMPTED;
        }
      else
        file->outcome = file->unknown_seen ? SEND_OUTCOME_UNKNOWN
                        : file->reply_code >= 400 ? SEND_OUTCOME_REJECTED
                                                  : SEND_OUTCOME_FAILED;
      file->done = TRUE;
    }
}

/* Sends QUIT when the connection is still open: at the end, also after
 * failures, because the center otherwise keeps the connection open for
 * an hour.  The outcome of every file is already decided. */
static void
quit_session (Plan *plan)
{
  g_autoptr (GError) error = NULL;

  plan->current_file = -1;
  if (naccs_client_is_connected (plan->client)
      && !naccs_client_quit (plan->client, &error))
    g_printerr (_("naccs-send: %s\n"), error->message);
}

/* Runs one round of the loop: connects if needed, waits for a file's
 * back-off, or sends a file.  Returns FALSE when the run is over. */
static gboolean
step_plan (Plan *plan)
{
  gint index = send_queue_peek (&plan->queue);
  gint64 wait_us;

  if (index < 0 || plan->stop)
    return FALSE;
  if (is_cancelled (plan))
    {
      stop_session (plan, _("cancelled"));
      return FALSE;
    }

  if (!naccs_client_is_connected (plan->client))
    {
      open_session (plan);
      return !plan->stop;
    }

  /* NOTE: the connection stays open during a retry-later back-off.  A
   * server whose idle timeout is shorter closes it, and the next attempt
   * then reconnects. */
  wait_us = plan->run->files[index].not_before_us - g_get_monotonic_time ();
  if (wait_us > 0)
    {
      wait_ms (plan->config, (guint) ((wait_us + 999) / 1000));
      return TRUE;
    }

  /* The attempt may move the file's next attempt, so it leaves the queue
   * meanwhile, and goes back unless it is done. */
  send_queue_pop (&plan->queue);
  attempt_file (plan, (guint) index);
  if (!plan->run->files[index].done)
    send_queue_push (&plan->queue, (guint) index);
  return !plan->stop;
}

void
send_plan_execute (const SendConfig *config, SendRun *run)
{
  Plan plan = { .config = config, .run = run, .current_file = -1 };

  send_queue_init (&plan.queue, run);
  plan.client = naccs_client_new (&config->timeouts, config->cancellable);
  if (config->table != NULL)
    naccs_client_set_action_table (plan.client, config->table);
  naccs_client_set_trace (plan.client, on_trace, &plan);
  naccs_client_set_reply_func (plan.client, on_reply, &plan);

  g_info ("event=start files=%u host=%s port=%u max_attempts=%u",
          run->n_files, config->host, config->port, config->max_attempts);
  while (step_plan (&plan))
    ;
  /* Whatever the cancel interrupted, its file is not accepted and the
   * files after it are not attempted, so the exit status is 1 anyway. */
  run->cancelled = is_cancelled (&plan);

  quit_session (&plan);
  finish_remaining (run);
  naccs_client_free (plan.client);
  send_queue_clear (&plan.queue);
  g_info ("event=finished files=%u connections=%u", run->n_files,
          run->connections);
}
