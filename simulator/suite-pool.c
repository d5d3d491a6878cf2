/* suite-pool.c: runs the scenarios of a suite side by side.
 *
 * A GThreadPool of --jobs worker threads takes the scenarios in order;
 * each worker pushes a GMainContext of its own as the thread default
 * before it plays a scenario (suite-run.c), because the server, the
 * timers and the client watch of a run attach to the thread-default
 * context.  The main thread runs the default main loop meanwhile: it
 * collects the finished scenarios, redraws the progress line when stderr
 * is a terminal, and on SIGINT or SIGTERM kills the running clients and
 * starts no further scenario.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "config.h"

#include <signal.h>
#include <stdio.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "suite-private.h"

typedef struct {
  GPtrArray *entries;
  const NaccsSimSuiteRunOptions *options;
  GPtrArray *results;       /* by entry index; NULL until finished */
  GMainLoop *loop;
  guint done;
  guint failed;
  gint stopped;             /* atomic: a signal stopped the suite */
} Pool;

typedef struct {
  Pool *pool;
  guint index;
  NaccsSimSuiteResult *result;
} Finished;

static void
show_progress (const Pool *pool)
{
  if (!pool->options->progress)
    return;
  /* \r and "erase line" redraw the one progress line in place. */
  g_printerr ("\r\033[K");
  g_printerr (ngettext ("%u of %u scenario run, %u failed",
                        "%u of %u scenarios run, %u failed",
                        pool->entries->len),
              pool->done, pool->entries->len, pool->failed);
  if (pool->done == pool->entries->len)
    g_printerr ("\r\033[K");
}

/* Runs in the main thread for each finished scenario. */
static gboolean
on_finished (gpointer user_data)
{
  Finished *finished = user_data;
  Pool *pool = finished->pool;

  g_ptr_array_index (pool->results, finished->index) = finished->result;
  pool->done++;
  if (finished->result == NULL || !finished->result->passed)
    pool->failed++;
  show_progress (pool);
  if (pool->done == pool->entries->len)
    g_main_loop_quit (pool->loop);
  g_free (finished);
  return G_SOURCE_REMOVE;
}

static void
run_in_worker (gpointer data, gpointer user_data)
{
  Pool *pool = user_data;
  Finished *finished = g_new0 (Finished, 1);

  finished->pool = pool;
  finished->index = GPOINTER_TO_UINT (data) - 1;
  if (!g_atomic_int_get (&pool->stopped))
    {
      GMainContext *context = g_main_context_new ();

      g_main_context_push_thread_default (context);
      finished->result = naccs_sim_suite_run_one (
        g_ptr_array_index (pool->entries, finished->index), pool->options);
      g_main_context_pop_thread_default (context);
      g_main_context_unref (context);
    }
  g_main_context_invoke (NULL, on_finished, finished);
}

static gboolean
on_stop_signal (gpointer user_data)
{
  Pool *pool = user_data;

  if (!g_atomic_int_get (&pool->stopped))
    g_printerr (_("\nStopping: killing the running clients; no further "
                  "scenario starts.\n"));
  g_message ("event=signal action=stop-suite");
  g_atomic_int_set (&pool->stopped, 1);
  naccs_sim_suite_kill_clients ();
  return G_SOURCE_CONTINUE;
}

static void
free_results (GPtrArray *results)
{
  for (guint i = 0; i < results->len; i++)
    naccs_sim_suite_result_free (g_ptr_array_index (results, i));
  g_ptr_array_free (results, TRUE);
}

GPtrArray *
naccs_sim_suite_run_all (GPtrArray *entries,
                         const NaccsSimSuiteRunOptions *options,
                         GError **error)
{
  Pool pool = { 0 };
  GThreadPool *threads;
  guint sigint, sigterm;

  pool.entries = entries;
  pool.options = options;
  pool.results = g_ptr_array_sized_new (entries->len);
  g_ptr_array_set_size (pool.results, entries->len);
  pool.loop = g_main_loop_new (NULL, FALSE);
  threads = g_thread_pool_new (run_in_worker, &pool,
                               (gint) MIN (options->jobs, entries->len), TRUE,
                               NULL);
  for (guint i = 0; i < entries->len; i++)
    g_thread_pool_push (threads, GUINT_TO_POINTER (i + 1), NULL);

  sigint = g_unix_signal_add (SIGINT, on_stop_signal, &pool);
  sigterm = g_unix_signal_add (SIGTERM, on_stop_signal, &pool);
  show_progress (&pool);
  g_main_loop_run (pool.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_thread_pool_free (threads, FALSE, TRUE);
  g_main_loop_unref (pool.loop);

  if (g_atomic_int_get (&pool.stopped))
    {
      free_results (pool.results);
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_RUN,
                   _("the suite was stopped by a signal; no report was "
                     "written"));
      return NULL;
    }
  return pool.results;
}
