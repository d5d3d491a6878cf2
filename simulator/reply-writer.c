/* reply-writer.c: the one place where naccs-sim writes replies.
 *
 * Every reply, default or scripted, goes through here so that a scenario
 * can change how it reaches the client: a stall before the first byte, a
 * dribble of a few bytes per write, a split into two writes, or only the
 * first bytes of it (partial).  Waiting is done with GLib timer sources and
 * a socket source for G_IO_OUT, never with sleep, so a long stall costs one
 * timer.  What happens after the reply (close, reset, silence) is the
 * session's business; the writer only reports when the last byte left.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "reply-writer.h"

struct _NaccsSimReplyWriter {
  GSocket *socket;
  GMainContext *context;
  NaccsSimReplyDoneFunc done;
  gpointer user_data;

  GBytes *bytes;
  gsize end;              /* bytes to write, after partial truncation */
  gsize offset;           /* bytes written so far */
  gsize step_end;         /* end of the current write step */
  gsize dribble_bytes;
  guint dribble_interval_ms;
  gsize split_at;
  guint split_interval_ms;

  GSource *timer;
  GSource *writable;
  gboolean busy;
};

NaccsSimReplyWriter *
naccs_sim_reply_writer_new (GSocket *socket,
                            GMainContext *context,
                            NaccsSimReplyDoneFunc done,
                            gpointer user_data)
{
  NaccsSimReplyWriter *writer = g_new0 (NaccsSimReplyWriter, 1);

  writer->socket = g_object_ref (socket);
  writer->context = context;
  writer->done = done;
  writer->user_data = user_data;
  return writer;
}

static void
clear_sources (NaccsSimReplyWriter *writer)
{
  if (writer->timer != NULL)
    {
      g_source_destroy (writer->timer);
      g_clear_pointer (&writer->timer, g_source_unref);
    }
  if (writer->writable != NULL)
    {
      g_source_destroy (writer->writable);
      g_clear_pointer (&writer->writable, g_source_unref);
    }
}

void
naccs_sim_reply_writer_cancel (NaccsSimReplyWriter *writer)
{
  clear_sources (writer);
  g_clear_pointer (&writer->bytes, g_bytes_unref);
  writer->busy = FALSE;
}

void
naccs_sim_reply_writer_free (NaccsSimReplyWriter *writer)
{
  if (writer == NULL)
    return;
  naccs_sim_reply_writer_cancel (writer);
  g_object_unref (writer->socket);
  g_free (writer);
}

gboolean
naccs_sim_reply_writer_busy (const NaccsSimReplyWriter *writer)
{
  return writer->busy;
}

gsize
naccs_sim_reply_writer_written (const NaccsSimReplyWriter *writer)
{
  return writer->offset;
}

/* Returns where the write step that starts at the current offset ends. */
static gsize
next_step_end (const NaccsSimReplyWriter *writer)
{
  if (writer->dribble_bytes > 0)
    return MIN (writer->offset + writer->dribble_bytes, writer->end);
  if (writer->split_at > 0 && writer->offset < writer->split_at)
    return MIN (writer->split_at, writer->end);
  return writer->end;
}

/* Returns the pause before the step that starts at the current offset. */
static guint
pause_before_next_step (const NaccsSimReplyWriter *writer)
{
  if (writer->dribble_bytes > 0)
    return writer->dribble_interval_ms;
  if (writer->split_at > 0 && writer->offset == MIN (writer->split_at,
                                                     writer->end))
    return writer->split_interval_ms;
  return 0;
}

static NaccsSimWriteStatus pump (NaccsSimReplyWriter *writer);

static void
finish_async (NaccsSimReplyWriter *writer, NaccsSimWriteStatus status)
{
  if (status == NACCS_SIM_WRITE_PENDING)
    return;
  writer->busy = FALSE;
  g_clear_pointer (&writer->bytes, g_bytes_unref);
  writer->done (writer->user_data, status == NACCS_SIM_WRITE_DONE);
}

static gboolean
on_timer (gpointer user_data)
{
  NaccsSimReplyWriter *writer = user_data;

  g_clear_pointer (&writer->timer, g_source_unref);
  writer->step_end = next_step_end (writer);
  finish_async (writer, pump (writer));
  return G_SOURCE_REMOVE;
}

static gboolean
on_writable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  NaccsSimReplyWriter *writer = user_data;

  (void) socket;
  (void) condition;
  g_clear_pointer (&writer->writable, g_source_unref);
  finish_async (writer, pump (writer));
  return G_SOURCE_REMOVE;
}

static void
start_timer (NaccsSimReplyWriter *writer, guint ms)
{
  writer->timer = g_timeout_source_new (ms);
  g_source_set_callback (writer->timer, on_timer, writer, NULL);
  g_source_attach (writer->timer, writer->context);
}

static void
wait_writable (NaccsSimReplyWriter *writer)
{
  writer->writable = g_socket_create_source (writer->socket, G_IO_OUT, NULL);
  g_source_set_callback (writer->writable, (GSourceFunc) (void (*) (void))
                         on_writable, writer, NULL);
  g_source_attach (writer->writable, writer->context);
}

/* Writes until the reply is done, the socket would block, or a step pause
 * begins. */
static NaccsSimWriteStatus
pump (NaccsSimReplyWriter *writer)
{
  const guint8 *data = g_bytes_get_data (writer->bytes, NULL);

  while (writer->offset < writer->end)
    {
      g_autoptr (GError) error = NULL;
      gssize n;

      if (writer->offset == writer->step_end)
        {
          guint pause = pause_before_next_step (writer);

          if (pause > 0)
            {
              start_timer (writer, pause);
              return NACCS_SIM_WRITE_PENDING;
            }
          writer->step_end = next_step_end (writer);
        }

      n = g_socket_send_with_blocking (writer->socket,
                                       (const char *) data + writer->offset,
                                       writer->step_end - writer->offset,
                                       FALSE, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          wait_writable (writer);
          return NACCS_SIM_WRITE_PENDING;
        }
      if (n < 0)
        {
          g_debug ("event=write-failed error=\"%s\"", error->message);
          return NACCS_SIM_WRITE_FAILED;
        }
      writer->offset += (gsize) n;
    }
  return NACCS_SIM_WRITE_DONE;
}

NaccsSimWriteStatus
naccs_sim_reply_writer_start (NaccsSimReplyWriter *writer,
                              GBytes *bytes,
                              const NaccsSimAction *action)
{
  NaccsSimWriteStatus status;

  g_return_val_if_fail (!writer->busy, NACCS_SIM_WRITE_FAILED);

  writer->bytes = g_bytes_ref (bytes);
  writer->end = g_bytes_get_size (bytes);
  writer->offset = 0;
  writer->dribble_bytes = 0;
  writer->split_at = 0;
  if (action != NULL)
    {
      if (action->partial_bytes > 0)
        writer->end = MIN (writer->end, action->partial_bytes);
      writer->dribble_bytes = action->dribble_bytes;
      writer->dribble_interval_ms = action->dribble_interval_ms;
      writer->split_at = action->split_at;
      writer->split_interval_ms = action->split_interval_ms;
    }
  writer->busy = TRUE;

  if (action != NULL && action->stall_ms > 0)
    {
      start_timer (writer, action->stall_ms);
      return NACCS_SIM_WRITE_PENDING;
    }

  writer->step_end = next_step_end (writer);
  status = pump (writer);
  if (status != NACCS_SIM_WRITE_PENDING)
    {
      writer->busy = FALSE;
      g_clear_pointer (&writer->bytes, g_bytes_unref);
    }
  return status;
}

GBytes *
naccs_sim_reply_format (guint code, const char *const *lines, guint n_lines)
{
  GString *out = g_string_sized_new (64);

  if (n_lines == 0)
    g_string_append_printf (out, "%03u\r\n", code);
  for (guint i = 0; i < n_lines; i++)
    {
      gsize start;

      g_string_append_printf (out, "%03u%c", code,
                              i + 1 < n_lines ? '-' : ' ');
      start = out->len;
      g_string_append (out, lines[i]);
      for (gsize j = start; j < out->len; j++)
        if (out->str[j] == '\r' || out->str[j] == '\n')
          out->str[j] = ' ';
      g_string_append (out, "\r\n");
    }
  return g_string_free_to_bytes (out);
}
