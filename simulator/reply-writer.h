/* reply-writer.h: writes one reply as a NaccsSimAction asks, see
 * reply-writer.c. */
#pragma once

#include <gio/gio.h>

#include "sim-event.h"

G_BEGIN_DECLS

typedef enum {
  NACCS_SIM_WRITE_DONE,     /* every byte written before the call returned */
  NACCS_SIM_WRITE_PENDING,  /* the rest follows from timers; the done
                               callback reports the end */
  NACCS_SIM_WRITE_FAILED,   /* the socket failed; nothing more is written */
} NaccsSimWriteStatus;

/* Called when a PENDING write ends; @ok is FALSE when the socket failed. */
typedef void (*NaccsSimReplyDoneFunc) (gpointer user_data, gboolean ok);

typedef struct _NaccsSimReplyWriter NaccsSimReplyWriter;

/* Creates a writer whose timers and socket sources run in @context. */
NaccsSimReplyWriter *naccs_sim_reply_writer_new (GSocket *socket,
                                                 GMainContext *context,
                                                 NaccsSimReplyDoneFunc done,
                                                 gpointer user_data);
void naccs_sim_reply_writer_free (NaccsSimReplyWriter *writer);

/* Writes @bytes with the timing of @action (nullable: at once): stall,
 * dribble, split, and partial truncation.  Never calls the done callback
 * from inside this call. */
NaccsSimWriteStatus naccs_sim_reply_writer_start (NaccsSimReplyWriter *writer,
                                                  GBytes *bytes,
                                                  const NaccsSimAction *action);

gboolean naccs_sim_reply_writer_busy (const NaccsSimReplyWriter *writer);

/* Returns the bytes of the last reply that were written. */
gsize naccs_sim_reply_writer_written (const NaccsSimReplyWriter *writer);

/* Stops a pending write; the done callback is not called. */
void naccs_sim_reply_writer_cancel (NaccsSimReplyWriter *writer);

/* Formats a reply: "CODE-line" for each line but the last, "CODE line"
 * for the last, each ended by CRLF; no lines gives "CODE\r\n".  CR and LF
 * inside a line are replaced by spaces so a line cannot forge another. */
GBytes *naccs_sim_reply_format (guint code, const char *const *lines,
                                guint n_lines);

G_END_DECLS
