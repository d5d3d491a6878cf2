/* send-queue.h: the files of a naccs-send run that are not done yet,
 * ordered by their next attempt.
 *
 * Not installed.  send-plan.c takes the head before each attempt, so the
 * queue must give the same order as a scan for the earliest
 * not_before_us, lowest index first, in O(log n) per file.
 */
#pragma once

#include "send-plan.h"

G_BEGIN_DECLS

typedef struct {
  const SendFile *files; /* the run's files, read for not_before_us */
  GArray *heap;          /* SendQueueEntry, a binary min-heap */
} SendQueue;

/* Fills @queue with every file of @run that is not done. */
void send_queue_init (SendQueue *queue, const SendRun *run);
void send_queue_clear (SendQueue *queue);

/* Returns the index of the file with the earliest not_before_us, the
 * lowest index among equals, or -1 when the queue is empty. */
gint send_queue_peek (const SendQueue *queue);

/* Removes and returns the head as send_queue_peek() finds it, or -1. */
gint send_queue_pop (SendQueue *queue);

/* Adds file @index, placed by its current not_before_us.  The queue keeps
 * a copy of that time, so a later change counts only once the file is
 * popped and pushed again. */
void send_queue_push (SendQueue *queue, guint index);

G_END_DECLS
