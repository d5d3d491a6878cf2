/* reply-parser.h: private incremental parser of SMTP replies.
 *
 * Not installed.  The parser is fed the bytes a server sends, split anywhere,
 * and reports each complete reply's 3-digit code.  See reply-parser.c for the
 * grammar it accepts.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longest reply line kept, line end included.  RFC 5321 section 4.5.3.1.5
 * sets 512 octets; a longer limit tolerates chatty servers while keeping a
 * hostile one from growing the buffer without end. */
#define NACCS_REPLY_LINE_MAX 4096

typedef enum {
  NACCS_REPLY_NEED_MORE, /* every byte consumed, reply not complete yet */
  NACCS_REPLY_COMPLETE,  /* a reply ended; its code is available */
  NACCS_REPLY_INVALID,   /* not an SMTP reply; error set */
} NaccsReplyStatus;

/* Called for each complete line, without its line end, NUL-terminated. */
typedef void (*NaccsReplyLineFunc) (const char *line, gpointer user_data);

typedef struct _NaccsReplyParser NaccsReplyParser;

NaccsReplyParser *naccs_reply_parser_new (void);
void naccs_reply_parser_free (NaccsReplyParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsReplyParser, naccs_reply_parser_free)

void naccs_reply_parser_set_line_func (NaccsReplyParser *parser,
                                       NaccsReplyLineFunc func,
                                       gpointer user_data);

/* Forgets any partial reply, for a new connection. */
void naccs_reply_parser_reset (NaccsReplyParser *parser);

/* Consumes bytes from @data up to the end of the first complete reply and
 * stores in *@consumed how many it took; bytes after a complete reply are
 * left for the next call.  After COMPLETE the parser is ready for the next
 * reply.  After INVALID it must be reset before further use.  The error is in
 * G_IO_ERROR with code G_IO_ERROR_INVALID_DATA and describes the fault. */
NaccsReplyStatus naccs_reply_parser_feed (NaccsReplyParser *parser,
                                          const guint8 *data, gsize len,
                                          gsize *consumed, GError **error);

/* Returns the code of the reply that the last COMPLETE ended. */
guint naccs_reply_parser_get_code (const NaccsReplyParser *parser);

/* Returns the number of lines of the reply that the last COMPLETE ended. */
guint naccs_reply_parser_get_line_count (const NaccsReplyParser *parser);

G_END_DECLS
