/* send-queue.c: a binary min-heap of the files naccs-send has still to
 * send, keyed by (not_before_us, index).
 *
 * send-plan.c picks the file with the earliest next attempt before every
 * message.  A scan of all files for each pick made a run cost O(n²) in
 * the number of files.  The heap makes each pick O(1) and each re-queue
 * O(log n).  The index breaks ties, so the order is the one the scan gave:
 * files never tried (not_before_us 0) go out in command-line order, a file
 * to resume after a reconnect keeps its place, and files waiting for a
 * retry-later back-off follow in the order their back-offs end.
 */
#include "config.h"

#include "send-queue.h"

/* A file in the heap with its key.  The key is a copy, so a sift reads
 * the heap array only, not the file records it would otherwise visit in
 * random order. */
typedef struct {
  gint64 not_before_us;
  guint index;
} SendQueueEntry;

static SendQueueEntry *
entry_at (const SendQueue *queue, guint slot)
{
  return &g_array_index (queue->heap, SendQueueEntry, slot);
}

/* TRUE when the entry in @slot_a goes before the one in @slot_b. */
static gboolean
goes_before (const SendQueue *queue, guint slot_a, guint slot_b)
{
  const SendQueueEntry *a = entry_at (queue, slot_a);
  const SendQueueEntry *b = entry_at (queue, slot_b);

  return a->not_before_us < b->not_before_us
         || (a->not_before_us == b->not_before_us && a->index < b->index);
}

static void
heap_swap (SendQueue *queue, guint slot_a, guint slot_b)
{
  SendQueueEntry a = *entry_at (queue, slot_a);

  *entry_at (queue, slot_a) = *entry_at (queue, slot_b);
  *entry_at (queue, slot_b) = a;
}

static void
sift_up (SendQueue *queue, guint slot)
{
  while (slot > 0)
    {
      guint parent = (slot - 1) / 2;

      if (!goes_before (queue, slot, parent))
        return;
      heap_swap (queue, slot, parent);
      slot = parent;
    }
}

static void
sift_down (SendQueue *queue, guint slot)
{
  guint len = queue->heap->len;

  for (;;)
    {
      guint left = 2 * slot + 1;
      guint first = slot;

      if (left < len && goes_before (queue, left, first))
        first = left;
      if (left + 1 < len && goes_before (queue, left + 1, first))
        first = left + 1;
      if (first == slot)
        return;
      heap_swap (queue, slot, first);
      slot = first;
    }
}

static void
append_entry (SendQueue *queue, guint index)
{
  SendQueueEntry entry = { queue->files[index].not_before_us, index };

  g_array_append_val (queue->heap, entry);
}

void
send_queue_init (SendQueue *queue, const SendRun *run)
{
  queue->files = run->files;
  queue->heap = g_array_sized_new (FALSE, FALSE, sizeof (SendQueueEntry),
                                   run->n_files);
  for (guint i = 0; i < run->n_files; i++)
    if (!run->files[i].done)
      append_entry (queue, i);

  /* Bottom-up heap construction, O(n).  A fresh run, where every file has
   * not_before_us 0, is already in heap order and nothing moves. */
  for (guint slot = queue->heap->len / 2; slot > 0; slot--)
    sift_down (queue, slot - 1);
}

void
send_queue_clear (SendQueue *queue)
{
  g_clear_pointer (&queue->heap, g_array_unref);
  queue->files = NULL;
}

gint
send_queue_peek (const SendQueue *queue)
{
  if (queue->heap->len == 0)
    return -1;
  return (gint) entry_at (queue, 0)->index;
}

gint
send_queue_pop (SendQueue *queue)
{
  gint head = send_queue_peek (queue);
  guint last = queue->heap->len - 1;

  if (head < 0)
    return -1;

  heap_swap (queue, 0, last);
  g_array_set_size (queue->heap, last);
  sift_down (queue, 0);
  return head;
}

void
send_queue_push (SendQueue *queue, guint index)
{
  append_entry (queue, index);
  sift_up (queue, queue->heap->len - 1);
}
