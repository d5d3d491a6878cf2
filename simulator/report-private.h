/* report-private.h: helpers shared by the report writers (report-*.c). */
#pragma once

#include <glib.h>

#include "report.h"

G_BEGIN_DECLS

#define REPORT_REPLACEMENT 0xFFFDu

/* Decodes one character at *cursor (before `end`) and advances; an
 * invalid byte decodes as U+FFFD and advances by one. */
gunichar report_next_char (const char **cursor, const char *end);

/* C0 and C1 control characters, DEL included, and the Unicode
 * bidirectional formatting characters. */
gboolean report_is_control (gunichar c);

/* Appends microseconds as seconds with "." and three decimals. */
void report_append_seconds (GString *out, gint64 us);

const char *report_direction_name (NaccsSimEvidenceDirection direction);
const char *report_direction_tag (NaccsSimEvidenceDirection direction);

G_END_DECLS
