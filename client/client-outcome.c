/* client-outcome.c: the action and the error for each way a step can end.
 *
 * A step ends with a reply or with a failed connection operation.  For a
 * reply the action table decides the action (see action-table.c), and the
 * error code follows the reply class of RFC 5321 section 4.2.1, so that a
 * caller can tell a 421 (SERVICE_CLOSING) from another 4xx and from a 5xx.
 * Every failure without a reply closes the connection, because client and
 * server no longer agree on where the session is: a timeout, a lost
 * connection or something that is not a reply leads to RECONNECT, and
 * cancellation to GIVE_UP_SESSION.  After the final "." of a message has
 * gone out, a missing reply leaves the outcome unknown: the center may
 * have accepted the message.  Session state and logging stay in client.c.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-client"

#include <glib/gi18n-lib.h>

#include "client-private.h"

/* Returns what the caller should do next, as advice in an error message. */
static const char *
action_advice (NaccsClientAction action)
{
  switch (action)
    {
    case NACCS_CLIENT_ACTION_RETRY_LATER:
      return _("reset and retry later");
    case NACCS_CLIENT_ACTION_RECONNECT:
      return _("connection closed; reconnect later");
    case NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE:
      return _("do not resend it unchanged");
    case NACCS_CLIENT_ACTION_GIVE_UP_SESSION:
      return _("stop sending in this session");
    case NACCS_CLIENT_ACTION_CONTINUE:
    default:
      return "";
    }
}

NaccsClientAction
naccs_outcome_of_reply (const NaccsClientActionTable *table,
                        NaccsClientStep step, guint code, const char *peer,
                        GError **error)
{
  NaccsClientAction action = naccs_client_action_table_lookup (table, step,
                                                               code);
  const char *step_name = naccs_client_step_name (step);
  const char *advice = action_advice (action);

  if (action == NACCS_CLIENT_ACTION_CONTINUE)
    return action;

  if (code == 421)
    naccs_error_set (error, NACCS_CLIENT_ERROR_SERVICE_CLOSING, code,
                     _("server %s is closing the connection (reply code %u "
                       "to %s): %s"), peer, code, step_name, advice);
  else if (code >= 400 && code < 500)
    naccs_error_set (error, NACCS_CLIENT_ERROR_REJECTED_TEMPORARY, code,
                     _("server %s rejected %s temporarily with reply code "
                       "%u: %s"), peer, step_name, code, advice);
  else if (code >= 500 && code < 600)
    naccs_error_set (error, NACCS_CLIENT_ERROR_REJECTED_PERMANENT, code,
                     _("server %s rejected %s permanently with reply code "
                       "%u: %s"), peer, step_name, code, advice);
  else
    naccs_error_set (error, NACCS_CLIENT_ERROR_BAD_REPLY, code,
                     _("server %s sent unexpected reply code %u to %s; "
                       "connection closed"), peer, code, step_name);
  return action;
}

/* Sets the error for a timeout in @phase of @step. */
static void
set_timeout_error (NaccsClientStep step, NaccsPhase phase, gint64 waited_ms,
                   const char *peer, GError **error)
{
  const char *step_name = naccs_client_step_name (step);
  guint waited = (guint) waited_ms;

  if (phase == NACCS_PHASE_REPLY && step == NACCS_CLIENT_STEP_DATA_END)
    naccs_error_set (error, NACCS_CLIENT_ERROR_TIMED_OUT, 0,
                     _("timed out after %u ms waiting for the reply to %s "
                       "from %s; connection closed: the message may or may "
                       "not have been accepted"), waited, step_name, peer);
  else if (phase == NACCS_PHASE_REPLY)
    naccs_error_set (error, NACCS_CLIENT_ERROR_TIMED_OUT, 0,
                     _("timed out after %u ms waiting for the reply to %s "
                       "from %s; connection closed"), waited, step_name,
                     peer);
  else if (phase == NACCS_PHASE_BODY)
    naccs_error_set (error, NACCS_CLIENT_ERROR_TIMED_OUT, 0,
                     _("timed out after %u ms sending the message data to "
                       "%s; connection closed"), waited, peer);
  else
    naccs_error_set (error, NACCS_CLIENT_ERROR_TIMED_OUT, 0,
                     _("timed out after %u ms sending %s to %s; connection "
                       "closed"), waited, step_name, peer);
}

/* Sets the error for a connection lost in @phase of @step. */
static void
set_lost_error (NaccsClientStep step, NaccsPhase phase, const char *cause,
                const char *peer, GError **error)
{
  if (step == NACCS_CLIENT_STEP_DATA_END && phase == NACCS_PHASE_REPLY)
    naccs_error_set (error, NACCS_CLIENT_ERROR_OUTCOME_UNKNOWN, 0,
                     _("connection to %s lost after the end of data, before "
                       "the reply (%s): the message may or may not have "
                       "been accepted; check before resending"), peer, cause);
  else if (phase == NACCS_PHASE_BODY)
    naccs_error_set (error, NACCS_CLIENT_ERROR_CONNECTION_LOST, 0,
                     _("connection to %s lost while sending the message "
                       "data: %s"), peer, cause);
  else
    naccs_error_set (error, NACCS_CLIENT_ERROR_CONNECTION_LOST, 0,
                     _("connection to %s lost during %s: %s"), peer,
                     naccs_client_step_name (step), cause);
}

NaccsClientAction
naccs_outcome_of_io (NaccsClientStep step, NaccsPhase phase,
                     const NaccsIoResult *result, const char *peer,
                     gboolean *unknown, GError **error)
{
  const char *cause = result->cause ? result->cause->message
                                    : _("closed by the server");

  /* Only a reply that went missing after the whole "." was handed to the
   * kernel leaves the outcome open, whatever the reason it went missing.  A
   * failure while sending the data means the server cannot have seen the
   * end of the message. */
  *unknown = step == NACCS_CLIENT_STEP_DATA_END && phase == NACCS_PHASE_REPLY;

  switch (result->status)
    {
    case NACCS_IO_TIMED_OUT:
      set_timeout_error (step, phase, result->waited_ms, peer, error);
      return NACCS_CLIENT_ACTION_RECONNECT;

    case NACCS_IO_CANCELLED:
      naccs_error_set (error, NACCS_CLIENT_ERROR_CANCELLED, 0,
                       _("%s to %s cancelled; connection closed"),
                       naccs_client_step_name (step), peer);
      return NACCS_CLIENT_ACTION_GIVE_UP_SESSION;

    case NACCS_IO_INVALID:
      naccs_error_set (error, NACCS_CLIENT_ERROR_BAD_REPLY, 0,
                       _("server %s sent an invalid reply to %s: %s; "
                         "connection closed"), peer,
                       naccs_client_step_name (step), cause);
      return NACCS_CLIENT_ACTION_RECONNECT;

    case NACCS_IO_CLOSED:
    case NACCS_IO_FAILED:
    case NACCS_IO_OK:
    default:
      set_lost_error (step, phase, cause, peer, error);
      return NACCS_CLIENT_ACTION_RECONNECT;
    }
}
