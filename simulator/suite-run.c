/* suite-run.c: plays each scenario of a suite against its own client
 * process.
 *
 * Every scenario gets a fresh server on a free loopback port (127.0.0.1:0)
 * with its own spool directory.  It runs in a worker thread that pushes
 * its own GMainContext, so scenarios run side by side without sharing a
 * port, a spool or a main loop.  Once the server listens, the client
 * command is started with the placeholders filled in, in a process group
 * of its own, so that the whole group can be killed at the time limit.
 * A scenario ends when the client has exited and the server has seen its
 * connections close, or at the time limit, when the group is killed.  The
 * client's exit and the tail of its stderr become the CLIENT-EXIT
 * verdict, which follows the server's own verdicts in every report.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "suite-private.h"

/* After the client exits, how long the server may take to read what the
 * client sent last and the end of its connections before the run stops.
 * The kernel has closed the client's sockets by then, so the server needs
 * only a few main-loop iterations.
 * NOTE: a fixed grace rather than a signal from the server, because the
 * run (scenario-run.c) does not report when its last session has ended. */
#define CLIENT_EXIT_GRACE_MS 250

/* How long to wait for a killed client to be reaped. */
#define REAP_TIMEOUT_MS 5000

/* Lines and octets of the client's stderr kept for the reports. */
#define STDERR_TAIL_LINES 10
#define STDERR_TAIL_OCTETS 2048

static const NaccsSimCheckInfo client_exit_info = {
  NACCS_SIM_SUITE_CLIENT_EXIT,
  N_("Client exits by itself in time"),
  N_("The client under test exits within the suite's time limit, with the "
     "exit status the scenario expects when it names one (expect: exit)."),
};

/* One scenario in progress, owned by its worker thread. */
typedef struct {
  const NaccsSimSuiteEntry *entry;
  const NaccsSimSuiteRunOptions *options;
  NaccsSimSuiteResult *result;
  GMainContext *context;
  char *work_dir;
  gboolean client_started;
  pid_t group;              /* the client's pid and process group */
  GSource *watch;           /* child watch until the client is reaped */
  int wait_status;          /* as from waitpid(), once client_done */
  char *spawn_error;        /* nullable: why the client did not start */
  gint64 client_started_us;
  gint64 client_ended_us;
  gboolean client_done;     /* exited and reaped */
  GSource *grace;
} Job;

/* Process groups of running clients, for SIGINT and SIGTERM. */
static GMutex groups_lock;
static GArray *running_groups;

static void
register_group (pid_t group)
{
  g_mutex_lock (&groups_lock);
  if (running_groups == NULL)
    running_groups = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_array_append_val (running_groups, group);
  g_mutex_unlock (&groups_lock);
}

static void
unregister_group (pid_t group)
{
  g_mutex_lock (&groups_lock);
  for (guint i = 0; running_groups != NULL && i < running_groups->len; i++)
    if (g_array_index (running_groups, pid_t, i) == group)
      {
        g_array_remove_index_fast (running_groups, i);
        break;
      }
  g_mutex_unlock (&groups_lock);
}

void
naccs_sim_suite_kill_clients (void)
{
  g_mutex_lock (&groups_lock);
  for (guint i = 0; running_groups != NULL && i < running_groups->len; i++)
    kill (-g_array_index (running_groups, pid_t, i), SIGKILL);
  g_mutex_unlock (&groups_lock);
}

void
naccs_sim_suite_result_free (NaccsSimSuiteResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->run, naccs_sim_run_result_free);
  g_free (result->error);
  g_clear_pointer (&result->verdicts, g_ptr_array_unref);
  g_strfreev (result->pass_ids);
  g_strfreev (result->fail_ids);
  g_free (result->stderr_tail);
  g_free (result->spool_dir);
  g_free (result);
}

/* Runs in the child between fork and exec, so only async-signal-safe
 * calls.  The new process group lets the suite kill the client and every
 * process it started; SIGPIPE and the signal mask are reset because
 * naccs-sim ignores SIGPIPE and exec keeps both. */
static void
child_setup (gpointer user_data)
{
  struct sigaction default_action;
  sigset_t none;

  (void) user_data;
  setpgid (0, 0);
  memset (&default_action, 0, sizeof default_action);
  default_action.sa_handler = SIG_DFL;
  sigaction (SIGPIPE, &default_action, NULL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

static char **
message_list (const NaccsSimScenario *scenario)
{
  GPtrArray *list = g_ptr_array_new ();
  const GPtrArray *files = scenario->client.message_files;

  for (guint i = 0; files != NULL && i < files->len; i++)
    g_ptr_array_add (list, g_strdup (g_ptr_array_index (files, i)));
  g_ptr_array_add (list, NULL);
  return (char **) g_ptr_array_free (list, FALSE);
}

static const char *
recipient (const NaccsSimScenario *scenario)
{
  if (scenario->client.to != NULL)
    return scenario->client.to;
  if (scenario->center.address != NULL)
    return scenario->center.address;
  return NACCS_SIM_DEFAULT_CENTER_ADDRESS;
}

/* Returns our environment with the NACCS_* variables of @values set. */
static char **
client_environment (const NaccsSimSuiteClientValues *values)
{
  g_auto (GStrv) variables = naccs_sim_suite_command_environment (values);
  char **environment = g_get_environ ();

  for (guint i = 0; variables[i] != NULL; i++)
    {
      char *equals = strchr (variables[i], '=');

      *equals = '\0';
      environment = g_environ_setenv (environment, variables[i], equals + 1,
                                      TRUE);
    }
  return environment;
}

/* Opens @name in the work directory for the client's output. */
static int
open_output (const Job *job, const char *name)
{
  g_autofree char *path = g_build_filename (job->work_dir, name, NULL);

  return g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

static gboolean
on_grace_done (gpointer user_data)
{
  Job *job = user_data;

  job->grace = NULL;
  naccs_sim_run_interrupt ();
  return G_SOURCE_REMOVE;
}

/* Ends the run after the grace period; called once the client is gone or
 * could not start. */
static void
start_grace (Job *job, guint ms)
{
  if (job->grace != NULL)
    return;
  job->grace = g_timeout_source_new (ms);
  g_source_set_callback (job->grace, on_grace_done, job, NULL);
  g_source_attach (job->grace, job->context);
  g_source_unref (job->grace);
}

static void
on_client_exit (GPid pid, gint wait_status, gpointer user_data)
{
  Job *job = user_data;

  g_spawn_close_pid (pid);
  job->client_done = TRUE;
  job->wait_status = wait_status;
  job->client_ended_us = g_get_monotonic_time ();
  g_clear_pointer (&job->watch, g_source_unref);
  g_debug ("scenario=%s event=client-exit pid=%d status=%d",
           job->entry->scenario->id, (int) pid, wait_status);
  start_grace (job, CLIENT_EXIT_GRACE_MS);
}

/* Splits "127.0.0.1:40123" or "[::1]:40123" into host and port. */
static void
split_address (const char *address, char **host, char **port)
{
  const char *colon = strrchr (address, ':');
  const char *start = address;
  gsize length = colon - address;

  if (address[0] == '[' && length >= 2 && colon[-1] == ']')
    {
      start++;
      length -= 2;
    }
  *host = g_strndup (start, length);
  *port = g_strdup (colon + 1);
}

static void
close_if_open (int fd)
{
  if (fd >= 0)
    close (fd);
}

/* Starts @argv with its output in the work directory.  The child is
 * not reaped until its watch fires, so its pid stays valid for kill(). */
static gboolean
start_process (Job *job, char **argv, char **environment, GError **error)
{
  int in = g_open ("/dev/null", O_RDONLY | O_CLOEXEC, 0);
  int out = open_output (job, "client-stdout.txt");
  int err = open_output (job, "client-stderr.txt");
  GPid pid = 0;
  gboolean started = in >= 0 && out >= 0 && err >= 0;

  if (!started)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 _("cannot open the client's input or output files: %s"),
                 g_strerror (errno));
  else
    started = g_spawn_async_with_pipes_and_fds (
      NULL, (const char *const *) argv, (const char *const *) environment,
      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL,
      in, out, err, NULL, NULL, 0, &pid, NULL, NULL, NULL, error);
  close_if_open (in);
  close_if_open (out);
  close_if_open (err);
  if (!started)
    return FALSE;

  job->group = pid;
  job->watch = g_child_watch_source_new (pid);
  g_source_set_callback (job->watch, G_SOURCE_FUNC (on_client_exit), job,
                         NULL);
  g_source_attach (job->watch, job->context);
  return TRUE;
}

static void
spawn_client (Job *job, const char *address)
{
  const NaccsSimScenario *scenario = job->entry->scenario;
  g_autofree char *host = NULL;
  g_autofree char *port = NULL;
  g_auto (GStrv) messages = message_list (scenario);
  g_auto (GStrv) argv = NULL;
  g_auto (GStrv) environment = NULL;
  g_autoptr (GError) error = NULL;
  NaccsSimSuiteClientValues values = { 0 };

  split_address (address, &host, &port);
  values.host = host;
  values.port = port;
  values.helo = scenario->client.helo;
  values.from = scenario->client.from;
  values.to = recipient (scenario);
  values.scenario = scenario->id;
  values.scenario_file = job->entry->path;
  values.messages = (const char *const *) messages;
  argv = naccs_sim_suite_command_expand (job->options->client_argv, &values);
  environment = client_environment (&values);

  job->client_started_us = g_get_monotonic_time ();
  if (!start_process (job, argv, environment, &error))
    {
      g_warning ("scenario=%s event=client-spawn-failed error=\"%s\"",
                 scenario->id, error->message);
      job->spawn_error = g_strdup (error->message);
      start_grace (job, 0);
      return;
    }
  job->client_started = TRUE;
  /* Also set in the parent: a kill before the child's own setpgid would
   * otherwise miss the group.  EACCES after the child's exec is fine. */
  setpgid (job->group, job->group);
  register_group (job->group);
  g_debug ("scenario=%s event=client-start pid=%d address=%s", scenario->id,
           (int) job->group, address);
}

static void
on_listening (const char *address, gpointer user_data)
{
  spawn_client (user_data, address);
}

static gboolean
on_reap_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Kills a client that is still running and waits until it is reaped. */
static void
stop_client (Job *job)
{
  g_autoptr (GSource) timeout = NULL;
  gboolean timed_out = FALSE;

  if (!job->client_started)
    return;
  if (!job->client_done)
    {
      job->result->client_killed = TRUE;
      kill (-job->group, SIGKILL);
      g_message ("scenario=%s event=client-killed pid=%d",
                 job->entry->scenario->id, (int) job->group);
    }
  timeout = g_timeout_source_new (REAP_TIMEOUT_MS);
  g_source_set_callback (timeout, on_reap_timeout, &timed_out, NULL);
  g_source_attach (timeout, job->context);
  while (!job->client_done && !timed_out)
    g_main_context_iteration (job->context, TRUE);
  g_source_destroy (timeout);
  if (!job->client_done)
    {
      g_warning ("scenario=%s event=client-not-reaped pid=%d",
                 job->entry->scenario->id, (int) job->group);
      g_source_destroy (job->watch);
      g_clear_pointer (&job->watch, g_source_unref);
    }
  /* Children the client left behind share its group. */
  kill (-job->group, SIGKILL);
  unregister_group (job->group);
  if (!job->client_done)
    job->client_ended_us = g_get_monotonic_time ();
}

/* Returns the last lines of the client's stderr, valid UTF-8. */
static char *
read_stderr_tail (const char *work_dir)
{
  g_autofree char *path = g_build_filename (work_dir, "client-stderr.txt",
                                            NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;
  const char *start;
  guint lines = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL) || length == 0)
    return NULL;
  while (length > 0 && (contents[length - 1] == '\n'
                        || contents[length - 1] == '\r'))
    length--;
  start = contents + length;
  while (start > contents && contents + length - start < STDERR_TAIL_OCTETS)
    {
      if (start[-1] == '\n' && ++lines == STDERR_TAIL_LINES)
        break;
      start--;
    }
  return g_utf8_make_valid (start, contents + length - start);
}

static void
add_note (NaccsSimVerdict *verdict, gint64 at_us, const char *text)
{
  NaccsSimEvidence *evidence = g_new0 (NaccsSimEvidence, 1);

  evidence->at_us = at_us;
  evidence->direction = NACCS_SIM_EVIDENCE_NOTE;
  evidence->text = g_strdup (text);
  g_ptr_array_add (verdict->evidence, evidence);
}

static void
judge_exit_status (Job *job, NaccsSimVerdict *verdict, gint64 elapsed_us)
{
  const NaccsSimExpectation *expect = &job->entry->scenario->expect;
  NaccsSimSuiteResult *result = job->result;
  double seconds = (double) elapsed_us / G_USEC_PER_SEC;

  if (result->term_signal != 0)
    {
      verdict->status = NACCS_SIM_CHECK_FAIL;
      verdict->explanation =
        g_strdup_printf (_("The client was ended by signal %d (%s) after "
                           "%.3f s."), result->term_signal,
                         g_strsignal (result->term_signal), seconds);
    }
  else if (expect->has_exit
           && (guint) result->exit_status != expect->exit_status)
    {
      verdict->status = NACCS_SIM_CHECK_FAIL;
      verdict->explanation =
        g_strdup_printf (_("The client exited with status %d after %.3f s; "
                           "the scenario expects status %u."),
                         result->exit_status, seconds, expect->exit_status);
    }
  else
    verdict->explanation =
      g_strdup_printf (_("The client exited with status %d after %.3f s."),
                       result->exit_status, seconds);
}

/* Builds the CLIENT-EXIT verdict from how the client ended. */
static NaccsSimVerdict *
judge_client (Job *job)
{
  NaccsSimVerdict *verdict = g_new0 (NaccsSimVerdict, 1);
  NaccsSimSuiteResult *result = job->result;
  gint64 elapsed_us = job->client_ended_us - job->client_started_us;
  g_auto (GStrv) lines = NULL;

  verdict->info = &client_exit_info;
  verdict->status = NACCS_SIM_CHECK_PASS;
  verdict->evidence =
    g_ptr_array_new_with_free_func ((GDestroyNotify) naccs_sim_evidence_free);
  if (!result->client_started)
    {
      verdict->status = NACCS_SIM_CHECK_FAIL;
      verdict->explanation =
        g_strdup_printf (_("The client could not be started: %s."),
                         job->spawn_error != NULL ? job->spawn_error
                                                  : _("the server did not "
                                                      "start"));
      return verdict;
    }
  if (result->client_killed)
    {
      verdict->status = NACCS_SIM_CHECK_FAIL;
      verdict->explanation =
        g_strdup_printf (_("The client was still running at the time limit "
                           "of %.3f s and was killed with its process "
                           "group."),
                         job->options->timeout_ms / 1000.0);
    }
  else
    judge_exit_status (job, verdict, elapsed_us);

  lines = g_strsplit (result->stderr_tail != NULL ? result->stderr_tail : "",
                      "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      {
        g_autofree char *note = g_strdup_printf ("stderr: %s", lines[i]);

        add_note (verdict, elapsed_us, note);
      }
  return verdict;
}

static char **
expectation_ids (const GPtrArray *ids, gboolean add_client_exit)
{
  GPtrArray *list = g_ptr_array_new ();

  for (guint i = 0; ids != NULL && i < ids->len; i++)
    g_ptr_array_add (list, g_strdup (g_ptr_array_index (ids, i)));
  if (add_client_exit)
    g_ptr_array_add (list, g_strdup (NACCS_SIM_SUITE_CLIENT_EXIT));
  g_ptr_array_add (list, NULL);
  return (char **) g_ptr_array_free (list, FALSE);
}

/* Fills in the verdicts, the expectation and the overall result. */
static void
finish_result (Job *job)
{
  NaccsSimSuiteResult *result = job->result;
  const NaccsSimExpectation *expect = &job->entry->scenario->expect;
  NaccsSimVerdict *client_verdict;
  /* With a pass list, a check outside it only informs; CLIENT-EXIT must
   * count whatever the scenario lists. */
  gboolean has_pass_list = expect->pass != NULL && expect->pass->len > 0;

  result->verdicts = result->run != NULL
                       ? g_ptr_array_ref (result->run->verdicts)
                       : g_ptr_array_new_with_free_func (
                           (GDestroyNotify) naccs_sim_verdict_free);
  client_verdict = judge_client (job);
  g_ptr_array_add (result->verdicts, client_verdict);
  result->pass_ids = expectation_ids (expect->pass, has_pass_list);
  result->fail_ids = expectation_ids (expect->fail, FALSE);
  result->passed = result->run != NULL && result->run->met
                   && client_verdict->status == NACCS_SIM_CHECK_PASS;
}

static void
record_exit (Job *job)
{
  NaccsSimSuiteResult *result = job->result;

  result->exit_status = -1;
  if (!job->client_done)
    return;
  if (WIFEXITED (job->wait_status))
    result->exit_status = WEXITSTATUS (job->wait_status);
  else if (WIFSIGNALED (job->wait_status) && !result->client_killed)
    result->term_signal = WTERMSIG (job->wait_status);
}

/* Removes @path and everything under it without following symbolic
 * links. */
static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK)
      || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  if (g_rmdir (path) != 0)
    g_warning ("event=spool-remove-failed path=%s error=\"%s\"", path,
               g_strerror (errno));
}

static char *
make_work_dir (const NaccsSimSuiteEntry *entry,
               const NaccsSimSuiteRunOptions *options, GError **error)
{
  char *dir;

  if (options->keep_spool != NULL)
    {
      dir = g_build_filename (options->keep_spool, entry->scenario->id, NULL);
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                       _("cannot create the spool directory %s: %s"), dir,
                       g_strerror (errno));
          g_free (dir);
          return NULL;
        }
      return dir;
    }
  return g_dir_make_tmp ("naccs-suite-XXXXXX", error);
}

static void
serve_scenario (Job *job)
{
  NaccsSimSuiteResult *result = job->result;
  g_autoptr (GError) error = NULL;
  NaccsSimRunOptions run_options;
  NaccsSimConfig config;

  naccs_sim_config_init (&config);
  g_free (config.listen);
  config.listen = g_strdup ("127.0.0.1:0");
  config.spool_dir = g_strdup (job->work_dir);
  naccs_sim_run_options_init (&run_options);
  run_options.time_limit_ms = job->options->timeout_ms;
  /* The client's exit ends the run, so another connection is awaited for
   * as long as the client lives: a client may retry after a pause. */
  run_options.linger_ms = job->options->timeout_ms;

  result->run = naccs_sim_run_scenario (&config, job->entry->scenario,
                                        &run_options, on_listening, job,
                                        &error);
  result->client_started = job->client_started;
  if (result->run == NULL)
    result->error = g_strdup_printf (_("the run of scenario %s could not be "
                                       "done: %s"), job->entry->scenario->id,
                                     error->message);
  naccs_sim_config_clear (&config);
}

NaccsSimSuiteResult *
naccs_sim_suite_run_one (const NaccsSimSuiteEntry *entry,
                         const NaccsSimSuiteRunOptions *options)
{
  NaccsSimSuiteResult *result = g_new0 (NaccsSimSuiteResult, 1);
  g_autoptr (GError) error = NULL;
  gint64 started_us = g_get_monotonic_time ();
  Job job = { 0 };

  job.entry = entry;
  job.options = options;
  job.result = result;
  job.context = g_main_context_ref_thread_default ();
  result->entry = entry;
  job.work_dir = make_work_dir (entry, options, &error);
  if (job.work_dir == NULL)
    result->error = g_strdup (error->message);
  else
    {
      result->spool_dir = g_strdup (job.work_dir);
      serve_scenario (&job);
      stop_client (&job);
      record_exit (&job);
      result->stderr_tail = read_stderr_tail (job.work_dir);
    }
  if (job.grace != NULL)
    g_source_destroy (job.grace);
  finish_result (&job);
  result->duration_us = g_get_monotonic_time () - started_us;

  if (job.work_dir != NULL && options->keep_spool == NULL)
    remove_tree (job.work_dir);
  g_free (job.spawn_error);
  g_free (job.work_dir);
  g_main_context_unref (job.context);
  return result;
}
