/* test-send-queue.c: tests of the queue of files naccs-send has to send.
 *
 * The queue must pick files in exactly the order of the scan it replaced:
 * the earliest not_before_us, the lowest index among equals.  Each case of
 * the table plays a run of picks on a few files, moving some files to a
 * later time and finishing others the way send-plan.c does, and compares
 * every pick with that scan.  A long random run does the same at a size
 * where a wrong sift would show.
 */
#include "config.h"

#include <stdio.h>

#include <CUnit/Basic.h>

#include "send-queue.h"

/* The pick of the former linear scan, the reference order. */
static gint
scan_next (const SendRun *run)
{
  gint next = -1;

  for (guint i = 0; i < run->n_files; i++)
    {
      const SendFile *file = &run->files[i];

      if (file->done)
        continue;
      if (next < 0 || file->not_before_us < run->files[next].not_before_us)
        next = (gint) i;
    }
  return next;
}

static void
run_init (SendRun *run, guint n_files)
{
  *run = (SendRun) { 0 };
  run->n_files = n_files;
  run->files = g_new0 (SendFile, n_files);
}

/* What happens to the file picked: done, moved to a later time, or put
 * back unchanged (a reconnect). */
typedef enum { PICK_DONE, PICK_LATER, PICK_KEEP } PickOutcome;

typedef struct {
  const char *name;
  guint n_files;
  const PickOutcome *outcomes; /* for picks 1, 2, ...; PICK_DONE after */
  gsize n_outcomes;
  const gint *want; /* the file picked each time, until none is left */
  gsize n_want;
} QueueCase;

/* Plays @c: picks, applies each outcome, and checks every pick against
 * the table and against the scan. */
static void
play_case (const QueueCase *c)
{
  SendRun run;
  SendQueue queue;
  gint64 clock = 1000;
  gsize pick = 0;

  run_init (&run, c->n_files);
  send_queue_init (&queue, &run);
  for (;;)
    {
      gint got = send_queue_peek (&queue);
      gint want = pick < c->n_want ? c->want[pick] : -1;
      gint scanned = scan_next (&run);
      PickOutcome outcome = pick < c->n_outcomes ? c->outcomes[pick]
                                                 : PICK_DONE;

      if (got != want || got != scanned)
        fprintf (stderr, "\n  %s: pick %zu: got %d, want %d, scan %d\n",
                 c->name, pick + 1, got, want, scanned);
      CU_ASSERT_EQUAL (got, want);
      CU_ASSERT_EQUAL (got, scanned);
      if (got < 0 || got != want)
        break;

      CU_ASSERT_EQUAL (send_queue_pop (&queue), got);
      if (outcome == PICK_DONE)
        run.files[got].done = TRUE;
      else if (outcome == PICK_LATER)
        run.files[got].not_before_us = clock++;
      if (!run.files[got].done)
        send_queue_push (&queue, (guint) got);
      pick++;
    }
  CU_ASSERT_EQUAL (pick, c->n_want);
  send_queue_clear (&queue);
  g_free (run.files);
}

/* Proves the queue picks in the scan's order in each table case. */
static void
test_table_cases (void)
{
  static const PickOutcome all_done[] = { PICK_DONE };
  static const gint in_order[] = { 0, 1, 2, 3 };
  static const PickOutcome first_later[] = { PICK_LATER };
  static const gint first_last[] = { 0, 1, 2, 0 };
  static const PickOutcome first_kept[] = { PICK_KEEP, PICK_KEEP };
  static const gint first_again[] = { 0, 0, 0, 1, 2 };
  static const PickOutcome two_later[] = { PICK_LATER, PICK_LATER };
  static const gint later_in_turn[] = { 0, 1, 2, 0, 1 };
  static const PickOutcome retry_twice[] = { PICK_LATER, PICK_DONE,
                                             PICK_LATER };
  static const gint retry_twice_order[] = { 0, 1, 0, 0 };
  const QueueCase cases[] = {
    { "fresh run in order", 4, all_done, 1, in_order, 4 },
    { "retry-later goes last", 3, first_later, 1, first_last, 4 },
    { "reconnect keeps place", 3, first_kept, 2, first_again, 5 },
    { "back-offs end in turn", 3, two_later, 2, later_in_turn, 5 },
    { "one file retried twice", 2, retry_twice, 3, retry_twice_order, 4 },
    { "empty run", 0, NULL, 0, NULL, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    play_case (&cases[i]);
}

/* Proves files already done are left out of a new queue. */
static void
test_done_files_left_out (void)
{
  SendRun run;
  SendQueue queue;

  run_init (&run, 3);
  run.files[0].done = TRUE;
  run.files[2].done = TRUE;
  send_queue_init (&queue, &run);
  CU_ASSERT_EQUAL (send_queue_pop (&queue), 1);
  CU_ASSERT_EQUAL (send_queue_pop (&queue), -1);
  CU_ASSERT_EQUAL (send_queue_peek (&queue), -1);
  send_queue_clear (&queue);
  g_free (run.files);
}

/* Proves a long random run of picks, back-offs of random length, keeps
 * and finishes matches the scan at every pick, also for a queue built
 * from files with times set already. */
static void
test_random_run_matches_scan (void)
{
  GRand *rand = g_rand_new_with_seed (20240611);
  SendRun run;
  SendQueue queue;
  guint picks = 0;
  guint mismatches = 0;

  run_init (&run, 500);
  for (guint i = 0; i < run.n_files; i += 3)
    run.files[i].not_before_us = g_rand_int_range (rand, 0, 50);
  send_queue_init (&queue, &run);
  for (gint got = send_queue_peek (&queue); got >= 0;
       got = send_queue_peek (&queue))
    {
      gint32 roll = g_rand_int_range (rand, 0, 10);

      if (got != scan_next (&run))
        mismatches++;
      send_queue_pop (&queue);
      if (roll < 5)
        run.files[got].done = TRUE;
      else if (roll < 8)
        run.files[got].not_before_us += g_rand_int_range (rand, 0, 100);
      if (!run.files[got].done)
        send_queue_push (&queue, (guint) got);
      picks++;
    }
  CU_ASSERT_EQUAL (mismatches, 0);
  CU_ASSERT_TRUE (picks >= run.n_files);
  CU_ASSERT_EQUAL (scan_next (&run), -1);
  send_queue_clear (&queue);
  g_free (run.files);
  g_rand_free (rand);
}

int
main (void)
{
  CU_pSuite suite;
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  suite = CU_add_suite ("/send-queue/order", NULL, NULL);
  if (suite == NULL
      || CU_add_test (suite, "table cases", test_table_cases) == NULL
      || CU_add_test (suite, "done files left out",
                      test_done_files_left_out) == NULL
      || CU_add_test (suite, "random run matches scan",
                      test_random_run_matches_scan) == NULL)
    {
      CU_cleanup_registry ();
      return 2;
    }

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
