/* client-error.c: the NACCS_CLIENT_ERROR domain and the step names.
 *
 * Errors of libnaccs-client are extended GErrors (GLib 2.68 and later) so that
 * an error caused by a reply carries the reply's 3-digit code beside its
 * message, and a caller acts on the code and not on the text.  The step names
 * here are the words every error message and report uses for the phases of
 * the SMTP sequence of figure 4-3-10 of the NACCS EDI specification.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-client"

#include <glib/gi18n-lib.h>

#include "client-private.h"

typedef struct {
  guint reply_code;
} NaccsClientErrorPrivate;

static void
naccs_client_error_private_init (NaccsClientErrorPrivate *priv)
{
  priv->reply_code = 0;
}

static void
naccs_client_error_private_copy (const NaccsClientErrorPrivate *src,
                                 NaccsClientErrorPrivate *dest)
{
  dest->reply_code = src->reply_code;
}

static void
naccs_client_error_private_clear (NaccsClientErrorPrivate *priv)
{
  priv->reply_code = 0;
}

G_DEFINE_EXTENDED_ERROR (NaccsClientError, naccs_client_error)

guint
naccs_client_error_get_reply_code (const GError *error)
{
  /* The generated getter complains about foreign domains, so check first. */
  if (error == NULL || error->domain != NACCS_CLIENT_ERROR)
    return 0;

  return naccs_client_error_get_private (error)->reply_code;
}

void
naccs_error_set (GError **error, NaccsClientError code, guint reply_code,
                 const char *format, ...)
{
  va_list args;
  GError *new_error;

  if (error == NULL)
    return;

  va_start (args, format);
  new_error = g_error_new_valist (NACCS_CLIENT_ERROR, code, format, args);
  va_end (args);

  naccs_client_error_get_private (new_error)->reply_code = reply_code;
  g_propagate_error (error, new_error);
}

/* Command names stay in English because they are what goes on the wire; the
 * other steps are marked for translation. */
static const char *const step_names[] = {
  [NACCS_CLIENT_STEP_CONNECT] = N_("connect"),
  [NACCS_CLIENT_STEP_GREETING] = N_("greeting"),
  [NACCS_CLIENT_STEP_HELO] = "HELO",
  [NACCS_CLIENT_STEP_MAIL] = "MAIL FROM",
  [NACCS_CLIENT_STEP_RCPT] = "RCPT TO",
  [NACCS_CLIENT_STEP_DATA] = "DATA",
  [NACCS_CLIENT_STEP_DATA_END] = N_("end of data"),
  [NACCS_CLIENT_STEP_RSET] = "RSET",
  [NACCS_CLIENT_STEP_QUIT] = "QUIT",
};

static const char *const step_keys[] = {
  [NACCS_CLIENT_STEP_CONNECT] = "connect",
  [NACCS_CLIENT_STEP_GREETING] = "greeting",
  [NACCS_CLIENT_STEP_HELO] = "helo",
  [NACCS_CLIENT_STEP_MAIL] = "mail",
  [NACCS_CLIENT_STEP_RCPT] = "rcpt",
  [NACCS_CLIENT_STEP_DATA] = "data",
  [NACCS_CLIENT_STEP_DATA_END] = "data-end",
  [NACCS_CLIENT_STEP_RSET] = "rset",
  [NACCS_CLIENT_STEP_QUIT] = "quit",
};

const char *
naccs_client_step_to_string (NaccsClientStep step)
{
  g_return_val_if_fail ((guint) step < G_N_ELEMENTS (step_keys), "?");

  return step_keys[step];
}

const char *
naccs_client_step_name (NaccsClientStep step)
{
  g_return_val_if_fail ((guint) step < G_N_ELEMENTS (step_names), "?");

  return _(step_names[step]);
}
