/* message-file.h: reading naccs-send's message files.
 *
 * Not installed.  naccs-send checks every file before it connects and
 * keeps the checked contents within a budget.  send-plan.c loads a file
 * again just before sending it when its contents were not kept.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MESSAGE_FILE_ERROR (message_file_error_quark ())
GQuark message_file_error_quark (void);

typedef enum {
  MESSAGE_FILE_ERROR_READ,        /* open or read failed; the message is the
                                   * system's reason */
  MESSAGE_FILE_ERROR_NOT_REGULAR, /* a directory, FIFO, device, ... */
  MESSAGE_FILE_ERROR_EMPTY,       /* the file has no octets */
  MESSAGE_FILE_ERROR_INVALID,     /* not a message that can be sent
                                   * faithfully; the message gives the
                                   * reason */
} MessageFileError;

/* Reads the file named by the command-line argument @arg (a path or a
 * file: URI) and checks that it is a non-empty regular file holding a
 * message that naccs_client_validate_message() accepts.  The file is
 * opened once.  When the check passes and the file has at most
 * @keep_max octets, *@contents receives the checked octets; otherwise it
 * stays NULL. */
gboolean message_file_check (const char *arg, gsize keep_max,
                             GBytes **contents, GError **error);

/* Reads the regular file named by @arg whole, for sending.  The contents
 * are not checked: naccs_client_send_message() validates them again in
 * memory, so a file that changed since message_file_check() cannot put an
 * invalid message on the wire. */
GBytes *message_file_load (const char *arg, GError **error);

G_END_DECLS
