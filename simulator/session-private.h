/* session-private.h: the session record shared by session.c (life cycle,
 * events, timers), session-input.c, session-reply.c, session-commands.c
 * (the SMTP state machine) and session-message.c.  Nothing else includes
 * it. */
#pragma once

#include "dot-decoder.h"
#include "reply-writer.h"
#include "session.h"

G_BEGIN_DECLS

typedef enum {
  NACCS_SIM_STATE_GREETING,   /* the greeting is not out yet */
  NACCS_SIM_STATE_NO_SERVICE, /* the greeting was not 2xx: only QUIT works */
  NACCS_SIM_STATE_READY,      /* greeting sent: HELO expected */
  NACCS_SIM_STATE_HELO,       /* after HELO, RSET or a message: MAIL */
  NACCS_SIM_STATE_MAIL,       /* after MAIL: RCPT expected */
  NACCS_SIM_STATE_RCPT,       /* a recipient accepted: RCPT or DATA */
  NACCS_SIM_STATE_DATA,       /* receiving a message */
  NACCS_SIM_STATE_SILENT,     /* a scenario silenced the center */
  NACCS_SIM_STATE_CLOSED,
} NaccsSimSessionState;

#define NACCS_SIM_N_TRIGGERS (NACCS_SIM_TRIGGER_IDLE + 1)

/* When the bytes up to an input offset arrived. */
typedef struct {
  guint64 end;     /* absolute input offset just past the bytes of a read */
  gint64 at_us;    /* since connect */
  guint64 read_seq;
} NaccsSimReadMark;

struct _NaccsSimSession {
  NaccsSimSessionEnv env;
  guint id;
  guint connection_index;
  char *name;                  /* "s000001" */
  char *peer;                  /* "127.0.0.1:40000" */
  GSocket *socket;
  GSource *read_source;        /* NULL while input is paused */
  GSource *deadline;           /* idle and command timeouts; armed at
                                  deadline_us or earlier */
  gint64 deadline_us;          /* monotonic time of the next timeout, -1
                                  for none */
  NaccsSimReplyWriter *writer;
  NaccsSimTranscript *transcript; /* nullable */
  GPtrArray *events;           /* nullable: kept only for the end hook */
  GPtrArray *unkept;           /* without an event list: the events of the
                                  current callback, dropped at the next */
  gint64 connect_us;           /* monotonic time of the accept */
  NaccsSimSessionState state;
  gboolean closed;
  gboolean processing;         /* inside process_input(); no reentry */
  char *shutdown_text;         /* non-NULL once the server shuts down: the
                                  text of the 421 still to send */
  gboolean draining;           /* the 421 is out and the write side shut:
                                  input is read and dropped until EOF */

  /* Input not yet handled is buf[start, len); buf[0] is at absolute
   * offset buf_abs of the connection's input. */
  guint8 *buf;
  gsize cap;
  gsize start;
  gsize len;
  guint64 buf_abs;
  GArray *marks;               /* NaccsSimReadMark, oldest first */
  guint64 read_seq;            /* reads that returned bytes */
  gint64 last_read_us;
  gint64 partial_since_us;     /* first byte of an incomplete command line,
                                  -1 when none */
  gboolean discarding;         /* skipping a command line over the limit */
  guint64 discard_octets;
  char *discard_text;          /* escaped start of that line */

  /* The reply being written and the one before it. */
  GBytes *reply_bytes;
  guint reply_code;
  NaccsSimAfter reply_after;
  gboolean reply_after_scripted;
  guint64 reply_done_seq;      /* read_seq when the last reply was out */
  gint64 reply_done_us;

  GHashTable *verb_counts;     /* upper-case verb -> count, lazily made */
  guint trigger_counts[NACCS_SIM_N_TRIGGERS];

  NaccsSimDotDecoder decoder;
  GByteArray *message;         /* decoded message; NULL outside DATA */
  /* While the spool stores an accepted message, the session reads and
   * handles no input; its reply waits for the commit. */
  NaccsSimSpoolCommit *commit;
  NaccsSimEvent *commit_event; /* the MESSAGE event of that message */
  NaccsSimAction *commit_action; /* the scripted reply to send, nullable */
  guint message_seq;
  guint messages_accepted;
  guint commands;
  guint64 octets_in;
};

/* Debug and info messages are formatted only when some writer could show
 * them (--verbose or G_MESSAGES_DEBUG): formatting the ones GLib then
 * drops cost naccs-sim about 4 % of its CPU time per message. */
#define NACCS_SIM_DEBUG(...)                                   \
  G_STMT_START {                                               \
    if (naccs_sim_session_logs_verbose ())                     \
      g_debug (__VA_ARGS__);                                   \
  } G_STMT_END
#define NACCS_SIM_INFO(...)                                    \
  G_STMT_START {                                               \
    if (naccs_sim_session_logs_verbose ())                     \
      g_info (__VA_ARGS__);                                    \
  } G_STMT_END

/* session.c */
gboolean naccs_sim_session_logs_verbose (void);
gint64 naccs_sim_session_now (const NaccsSimSession *session);
void naccs_sim_session_set_state (NaccsSimSession *session,
                                  NaccsSimSessionState state);
const char *naccs_sim_session_state_name (NaccsSimSessionState state);
NaccsSimEvent *naccs_sim_session_record (NaccsSimSession *session,
                                         NaccsSimEventKind kind,
                                         gint64 at_us,
                                         char *text,
                                         guint reply_code);
void naccs_sim_session_transcribe (NaccsSimSession *session,
                                   const NaccsSimEvent *event);
void naccs_sim_session_drop_unkept_events (NaccsSimSession *session);
void naccs_sim_session_update_deadline (NaccsSimSession *session);
void naccs_sim_session_close_with (NaccsSimSession *session,
                                   NaccsSimEventKind kind,
                                   const char *text,
                                   gboolean reset);

/* session-input.c */
void naccs_sim_session_process_input (NaccsSimSession *session);
void naccs_sim_session_resume_reading (NaccsSimSession *session);
/* Sets *at_us to when the first @len bytes of unhandled input had all
 * arrived, and *early to whether they were read before the last reply had
 * been completely written. */
void naccs_sim_session_input_arrival (const NaccsSimSession *session,
                                      gsize len,
                                      gint64 *at_us,
                                      gboolean *early);
void naccs_sim_session_begin_message (NaccsSimSession *session);
void naccs_sim_session_finish_message_input (NaccsSimSession *session);

/* session-reply.c */
NaccsSimAction *naccs_sim_session_ask_rule (NaccsSimSession *session,
                                            NaccsSimTrigger trigger,
                                            const char *verb,
                                            const char *argument);
guint naccs_sim_action_reply_code (const NaccsSimAction *action,
                                   guint default_code);
guint naccs_sim_session_reply_action (NaccsSimSession *session,
                                      const NaccsSimAction *action,
                                      guint default_code,
                                      const char *default_text);
guint naccs_sim_session_respond (NaccsSimSession *session,
                                 NaccsSimTrigger trigger,
                                 const char *verb,
                                 const char *argument,
                                 guint default_code,
                                 const char *default_text);
void naccs_sim_session_reply_written (gpointer user_data, gboolean ok);
void naccs_sim_session_send_shutdown_reply (NaccsSimSession *session);

/* session-commands.c */
void naccs_sim_session_greet (NaccsSimSession *session, gboolean turn_away);
void naccs_sim_session_handle_line (NaccsSimSession *session,
                                    const guint8 *line,
                                    gsize len,
                                    gint64 at_us,
                                    gboolean early);
void naccs_sim_session_handle_long_line (NaccsSimSession *session,
                                         const char *escaped_start,
                                         guint64 octets,
                                         gint64 at_us,
                                         gboolean early);
void naccs_sim_session_handle_idle (NaccsSimSession *session);

/* session-message.c */
void naccs_sim_session_handle_message_end (NaccsSimSession *session);
void naccs_sim_session_abandon_commit (NaccsSimSession *session);

G_END_DECLS
