/* session-input.c: how a session reads and frames its input.
 *
 * The socket is read without blocking.  Command lines end at LF and are
 * at most --max-line-length octets, so in command mode the input buffer of
 * a session never grows past that; a longer line is skipped up to its LF
 * and answered with 500.  Message content goes to the dot decoder in
 * pieces of 64 KiB.  Input that arrives while a reply is being written (a
 * stall, a dribble) waits in the buffer, and reading pauses when the
 * buffer is full.  Each line keeps the time its last byte arrived and
 * whether it came before the previous reply was complete ("early").
 */
#define G_LOG_DOMAIN "naccs-sim"

#include <string.h>

#include "session-private.h"

/* Message content is read in pieces of this size and decoded at once, so
 * a session in DATA buffers one piece, not the message as received. */
#define DATA_READ_OCTETS 65536

/* Read times kept for lines not yet handled.  Beyond this number the
 * newest times are merged, which blurs only the arrival times of a client
 * that sends many small pieces during a stall. */
#define MAX_READ_MARKS 32

/* Escaped octets of a command line over the limit kept for its LINE_IN. */
#define LONG_LINE_KEPT_OCTETS 128

static void
add_read_mark (NaccsSimSession *session, gint64 at_us)
{
  NaccsSimReadMark mark = {
    session->buf_abs + session->len, at_us, session->read_seq,
  };

  if (session->marks->len >= MAX_READ_MARKS)
    g_array_index (session->marks, NaccsSimReadMark,
                   session->marks->len - 1) = mark;
  else
    g_array_append_val (session->marks, mark);
}

/* Finds when the byte before absolute offset @end arrived. */
static const NaccsSimReadMark *
find_read_mark (const NaccsSimSession *session, guint64 end)
{
  for (guint i = 0; i < session->marks->len; i++)
    {
      const NaccsSimReadMark *mark = &g_array_index (session->marks,
                                                     NaccsSimReadMark, i);
      if (mark->end >= end)
        return mark;
    }
  return &g_array_index (session->marks, NaccsSimReadMark,
                         session->marks->len - 1);
}

void
naccs_sim_session_input_arrival (const NaccsSimSession *session,
                                 gsize len,
                                 gint64 *at_us,
                                 gboolean *early)
{
  const NaccsSimReadMark *mark = find_read_mark (session, session->buf_abs
                                                          + session->start
                                                          + len);

  *at_us = mark->at_us;
  *early = mark->read_seq <= session->reply_done_seq;
}

/* Drops the marks of input that has been handled. */
static void
trim_read_marks (NaccsSimSession *session)
{
  guint64 handled = session->buf_abs + session->start;
  guint drop = 0;

  while (drop + 1 < session->marks->len
         && g_array_index (session->marks, NaccsSimReadMark, drop).end
            <= handled)
    drop++;
  if (drop > 0)
    g_array_remove_range (session->marks, 0, drop);
}

/* Moves unhandled input to the front of the buffer. */
static void
compact_buffer (NaccsSimSession *session)
{
  if (session->start == 0)
    return;
  memmove (session->buf, session->buf + session->start,
           session->len - session->start);
  session->buf_abs += session->start;
  session->len -= session->start;
  session->start = 0;
}

static void
resize_buffer (NaccsSimSession *session, gsize cap)
{
  compact_buffer (session);
  if (cap < session->len || cap == session->cap)
    return;
  session->buf = g_realloc (session->buf, cap);
  session->cap = cap;
}

void
naccs_sim_session_begin_message (NaccsSimSession *session)
{
  const NaccsSimConfig *config = session->env.config;

  naccs_sim_dot_decoder_init (&session->decoder, config->max_line_length,
                              config->max_message_size);
  session->message = g_byte_array_new ();
  resize_buffer (session, DATA_READ_OCTETS);
}

void
naccs_sim_session_finish_message_input (NaccsSimSession *session)
{
  g_clear_pointer (&session->message, g_byte_array_unref);
  resize_buffer (session, session->env.config->max_line_length);
}

/* Handles one complete command line of buf[start, start + len). */
static void
take_line (NaccsSimSession *session, gsize len)
{
  const guint8 *line = session->buf + session->start;
  guint64 end = session->buf_abs + session->start + len;
  const NaccsSimReadMark *mark = find_read_mark (session, end);
  gboolean early = mark->read_seq <= session->reply_done_seq;
  gint64 at_us = mark->at_us;

  session->start += len;
  trim_read_marks (session);
  if (len > session->env.config->max_line_length)
    {
      g_autofree char *kept = naccs_sim_escape (line, MIN (len,
                                                         LONG_LINE_KEPT_OCTETS));

      naccs_sim_session_handle_long_line (session, kept, len, at_us, early);
      return;
    }
  naccs_sim_session_handle_line (session, line, len, at_us, early);
}

/* Skips a command line over the limit up to its LF. */
static void
discard_long_line (NaccsSimSession *session, const guint8 *lf)
{
  const guint8 *p = session->buf + session->start;
  guint64 end;
  const NaccsSimReadMark *mark;
  g_autofree char *kept = NULL;

  if (lf == NULL)
    {
      session->discard_octets += session->len - session->start;
      session->start = session->len;
      trim_read_marks (session);
      return;
    }

  session->discard_octets += (gsize) (lf - p) + 1;
  session->start += (gsize) (lf - p) + 1;
  end = session->buf_abs + session->start;
  mark = find_read_mark (session, end);
  trim_read_marks (session);
  session->discarding = FALSE;
  kept = g_steal_pointer (&session->discard_text);
  naccs_sim_session_handle_long_line (session, kept, session->discard_octets,
                                      mark->at_us,
                                      mark->read_seq <= session->reply_done_seq);
}

/* Feeds message content to the decoder. */
static void
take_data (NaccsSimSession *session)
{
  gsize used = naccs_sim_dot_decoder_feed (&session->decoder,
                                           session->buf + session->start,
                                           session->len - session->start,
                                           session->message);

  session->start += used;
  trim_read_marks (session);
  if (naccs_sim_dot_decoder_done (&session->decoder))
    naccs_sim_session_handle_message_end (session);
}

/* Handles one piece of input; returns FALSE when more input is needed. */
static gboolean
process_step (NaccsSimSession *session)
{
  const guint8 *p = session->buf + session->start;
  gsize n = session->len - session->start;
  const guint8 *lf;

  if (session->state == NACCS_SIM_STATE_DATA)
    {
      take_data (session);
      return session->state != NACCS_SIM_STATE_DATA;
    }

  lf = memchr (p, '\n', n);
  if (session->discarding)
    {
      discard_long_line (session, lf);
      return lf != NULL;
    }
  if (lf != NULL)
    {
      take_line (session, (gsize) (lf - p) + 1);
      return TRUE;
    }
  if (n >= session->env.config->max_line_length)
    {
      /* No LF within the limit: the line is too long whatever follows. */
      session->discarding = TRUE;
      session->discard_octets = 0;
      session->discard_text = naccs_sim_escape (p, MIN (n,
                                                LONG_LINE_KEPT_OCTETS));
      discard_long_line (session, NULL);
    }
  return FALSE;
}

/* Handles buffered input while no reply is being written. */
void
naccs_sim_session_process_input (NaccsSimSession *session)
{
  if (session->processing)
    return;
  /* Once the server shuts down, no command is handled any more: the 421
   * is the last reply, and what follows it is dropped. */
  if (session->draining)
    session->start = session->len;
  session->processing = TRUE;
  while (!session->closed && session->shutdown_text == NULL
         && !naccs_sim_reply_writer_busy (session->writer)
         && session->commit == NULL
         && session->start < session->len)
    {
      if (!process_step (session))
        break;
    }
  session->processing = FALSE;
  if (session->closed)
    return;

  if (session->start == session->len)
    {
      session->buf_abs += session->len;
      session->start = session->len = 0;
      session->partial_since_us = -1;
    }
  else if (session->partial_since_us < 0)
    session->partial_since_us = naccs_sim_session_now (session);
  if (session->state == NACCS_SIM_STATE_DATA)
    {
      session->partial_since_us = -1;
      return;
    }

  /* Back in command mode, return to the small buffer once the input left
   * after a message fits in it. */
  if (session->cap > session->env.config->max_line_length)
    resize_buffer (session, session->env.config->max_line_length);
}

static gboolean on_readable (GSocket *socket, GIOCondition condition,
                             gpointer user_data);

void
naccs_sim_session_resume_reading (NaccsSimSession *session)
{
  if (session->closed || session->read_source != NULL
      || session->commit != NULL)
    return;
  compact_buffer (session);
  if (session->len == session->cap)
    return;
  session->read_source = g_socket_create_source (session->socket,
                                                 G_IO_IN | G_IO_HUP
                                                 | G_IO_ERR, NULL);
  g_source_set_callback (session->read_source,
                         (GSourceFunc) (void (*) (void)) on_readable,
                         session, NULL);
  /* GLib blocks a source that may not recurse for each dispatch, by
   * removing its poll record and adding it back, and each change wakes
   * the main loop up: two eventfd writes per command (GLib 2.74).  No
   * session callback iterates the main context, so on_readable() never
   * runs inside itself; process_input() would also refuse to. */
  g_source_set_can_recurse (session->read_source, TRUE);
  g_source_attach (session->read_source, session->env.context);
}

static void
pause_reading (NaccsSimSession *session)
{
  NACCS_SIM_DEBUG ("session=%s event=input-paused buffered=%"
                   G_GSIZE_FORMAT, session->name,
                   session->len - session->start);
  g_source_destroy (session->read_source);
  g_clear_pointer (&session->read_source, g_source_unref);
}

/* Reads once; returns FALSE when reading stopped (closed or paused). */
static gboolean
read_some (NaccsSimSession *session)
{
  g_autoptr (GError) error = NULL;
  gssize n;

  compact_buffer (session);
  if (session->len == session->cap)
    {
      /* A receive of 0 bytes would look like EOF; wait for the input to
       * be handled instead. */
      pause_reading (session);
      return FALSE;
    }
  n = g_socket_receive_with_blocking (session->socket,
                                      (char *) session->buf + session->len,
                                      session->cap - session->len, FALSE,
                                      NULL, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return TRUE;
  if (n < 0)
    {
      g_autofree char *text = g_strdup_printf ("connection reset: %s",
                                               error->message);

      naccs_sim_session_close_with (session, NACCS_SIM_EVENT_CLIENT_RESET,
                                    text, FALSE);
      return FALSE;
    }
  /* After the shutdown 421 the server has only shut its write side, so
   * EOF here is the client's own close.  The server's close when its
   * bound expires is recorded by naccs_sim_session_close(). */
  if (n == 0 && session->draining)
    {
      naccs_sim_session_close_with (session, NACCS_SIM_EVENT_CLIENT_CLOSED,
                                    "client closed the connection after "
                                    "the shutdown reply", FALSE);
      return FALSE;
    }
  if (n == 0)
    {
      naccs_sim_session_close_with (session, NACCS_SIM_EVENT_CLIENT_CLOSED,
                                    "client closed the connection", FALSE);
      return FALSE;
    }

  session->len += (gsize) n;
  session->octets_in += (guint64) n;
  session->read_seq++;
  session->last_read_us = naccs_sim_session_now (session);
  add_read_mark (session, session->last_read_us);
  return TRUE;
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  NaccsSimSession *session = user_data;

  (void) socket;
  (void) condition;
  naccs_sim_session_drop_unkept_events (session);
  if (!read_some (session))
    return G_SOURCE_REMOVE;

  naccs_sim_session_process_input (session);
  if (session->closed)
    return G_SOURCE_REMOVE;

  /* A message being stored: read nothing until its reply is out. */
  compact_buffer (session);
  if (session->len == session->cap || session->commit != NULL)
    {
      pause_reading (session);
      naccs_sim_session_update_deadline (session);
      return G_SOURCE_REMOVE;
    }
  naccs_sim_session_update_deadline (session);
  return G_SOURCE_CONTINUE;
}
