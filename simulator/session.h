/* session.h: one SMTP session of naccs-sim, and the hooks through which a
 * scenario changes the default center.
 *
 * A session serves one accepted connection as the default center does (see
 * session-commands.c) and records a NaccsSimEvent for everything that
 * happens on it, as sim-event.h describes.  Before every reply it calls
 * the rule hook, which may return an action that replaces the default
 * reply.  When the session ends it passes its events to the end hook.
 *
 * Triggers and the arguments of the rule hook:
 *   CONNECT        the greeting is due; verb and argument NULL.
 *   COMMAND        a complete command line; verb as the client sent it
 *                  (not case-folded, possibly empty), argument the rest of
 *                  the line after the verb and its spaces, or NULL.
 *   END_OF_MESSAGE the final "." of a message within the limits.
 *   LONG_LINE      a command line, or a line of a message, over
 *                  --max-line-length; for a message it fires at the final
 *                  ".", in place of END_OF_MESSAGE.
 *   OVERSIZE       a message over --max-message-size, at its final ".";
 *                  it takes precedence over LONG_LINE.
 *   IDLE           the client sent nothing for the idle time after the last
 *                  reply; the default reply is 421 and a close.
 * occurrence is 1-based and counted within the connection: per verb for
 * COMMAND (compared without regard to ASCII case), per trigger otherwise.
 *
 * How a rule's reply code steers the session: a command takes effect (the
 * state moves on, a message is spooled) only when the reply actually sent
 * has a 2xx or 3xx code; a rule that sets no reply keeps the default code;
 * a raw reply counts by its first three digits, and no reply (no_reply)
 * counts as a refusal.  After a 221 or 421 reply the session closes unless
 * the action's "after" says otherwise.
 *
 * The text of ACTION events, also written to the transcript:
 *   "stall N ms", "dribble N bytes every N ms", "split at N, then N ms",
 *   "partial N bytes", "raw reply", "no reply", and, once the reply is
 *   out, "close after reply", "reset after reply", "silence after reply".
 */
#pragma once

#include <gio/gio.h>

#include "scenario.h"
#include "sim-config.h"
#include "sim-event.h"
#include "spool.h"

G_BEGIN_DECLS

/* Returns a new action to carry out in place of the default reply (the
 * session frees it), or NULL for the default center reply.
 * @connection_index is 0-based, in accept order. */
typedef NaccsSimAction *(*NaccsSimRuleHook) (gpointer user_data,
                                             guint connection_index,
                                             NaccsSimTrigger trigger,
                                             const char *verb,
                                             const char *argument,
                                             guint occurrence);

/* Returns how many milliseconds of silence fire IDLE event number
 * @occurrence of a connection, or 0 for the configured idle timeout. */
typedef guint (*NaccsSimIdleHook) (gpointer user_data,
                                   guint connection_index,
                                   guint occurrence);

/* Receives the events of a session that has ended (transfer full: a
 * GPtrArray of NaccsSimEvent* that frees its elements).  Called once per
 * session, including sessions turned away by --max-connections and
 * sessions closed because the server stops. */
typedef void (*NaccsSimSessionEndHook) (gpointer user_data,
                                        guint session_id,
                                        guint connection_index,
                                        GPtrArray *events);

/* Any hook may be NULL.  Without an end hook the session keeps no event
 * list, so a long session costs no memory for its history. */
typedef struct {
  NaccsSimRuleHook rule;
  NaccsSimIdleHook idle;
  NaccsSimSessionEndHook end;
  gpointer user_data;
} NaccsSimHooks;

typedef struct _NaccsSimSession NaccsSimSession;

/* Called when a session has closed its socket; the owner frees the
 * session later, from the main loop, with naccs_sim_session_free(). */
typedef void (*NaccsSimSessionFinishedFunc) (gpointer owner,
                                             NaccsSimSession *session);

/* What a session shares with its server; it must outlive the session. */
typedef struct {
  GMainContext *context;           /* where the session's sources run */
  const NaccsSimConfig *config;
  NaccsSimSpool *spool;            /* nullable */
  const NaccsSimHooks *hooks;
  NaccsSimSessionFinishedFunc finished;
  gpointer owner;
} NaccsSimSessionEnv;

/* Creates a session for an accepted connection and sends the greeting.
 * With @turn_away the session only sends "421" and closes, because the
 * server is at --max-connections. */
NaccsSimSession *naccs_sim_session_start (const NaccsSimSessionEnv *env,
                                          GSocket *socket,
                                          guint session_id,
                                          guint connection_index,
                                          gboolean turn_away);

/* Closes the session at once (the server is stopping): no reply is sent,
 * a SERVER_CLOSED event is recorded and the end hook called. */
void naccs_sim_session_close (NaccsSimSession *session, const char *reason);

/* Starts an orderly close because the server shuts down (RFC 5321
 * section 3.8).  A session that waits for a command or receives a
 * message sends "421 @text" at once, without blocking.  One that is
 * writing a reply or storing a message sends it once that is done.  One
 * that is silent or has not greeted yet closes at once with no reply.
 * After the 421 the session shuts down its write side and drops input
 * until the client closes, so that unread input does not turn the close
 * into a reset that could destroy the 421 in flight.  The owner bounds
 * the wait and calls naccs_sim_session_close() on what is still open. */
void naccs_sim_session_shut_down (NaccsSimSession *session, const char *text);

void naccs_sim_session_free (NaccsSimSession *session);

guint naccs_sim_session_get_id (const NaccsSimSession *session);
gboolean naccs_sim_session_is_closed (const NaccsSimSession *session);

G_END_DECLS
