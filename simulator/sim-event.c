/* sim-event.c: memory management of the records declared in sim-event.h,
 * and the escaping rule for the text that events and transcripts carry.
 *
 * Escaping keeps a transcript line one line and plain ASCII whatever the
 * client sent: printable ASCII except the backslash stays as it is, every
 * other byte (controls, the backslash, bytes of 0x80 and above) becomes
 * \xHH with upper-case hex digits, so the escaped form can be decoded
 * without ambiguity.
 */
#include "sim-event.h"

void
naccs_sim_event_free (NaccsSimEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->text);
  g_clear_pointer (&event->body, g_bytes_unref);
  g_free (event->spool_path);
  g_free (event);
}

NaccsSimAction *
naccs_sim_action_new (void)
{
  NaccsSimAction *action = g_new0 (NaccsSimAction, 1);

  action->lines = g_ptr_array_new_with_free_func (g_free);
  return action;
}

NaccsSimAction *
naccs_sim_action_copy (const NaccsSimAction *action)
{
  NaccsSimAction *copy;

  g_return_val_if_fail (action != NULL, NULL);

  copy = g_new0 (NaccsSimAction, 1);
  *copy = *action;
  copy->lines = g_ptr_array_new_with_free_func (g_free);
  if (action->lines != NULL)
    for (guint i = 0; i < action->lines->len; i++)
      g_ptr_array_add (copy->lines, g_strdup (action->lines->pdata[i]));
  copy->raw = g_strdup (action->raw);
  return copy;
}

void
naccs_sim_action_free (NaccsSimAction *action)
{
  if (action == NULL)
    return;
  g_clear_pointer (&action->lines, g_ptr_array_unref);
  g_free (action->raw);
  g_free (action);
}

void
naccs_sim_escape_append (GString *out, const void *bytes, gsize len)
{
  static const char hex[] = "0123456789ABCDEF";
  const guint8 *p = bytes;

  for (gsize i = 0; i < len; i++)
    {
      guint8 c = p[i];

      if (c >= 0x20 && c < 0x7F && c != '\\')
        {
          g_string_append_c (out, (char) c);
          continue;
        }
      g_string_append_c (out, '\\');
      g_string_append_c (out, 'x');
      g_string_append_c (out, hex[c >> 4]);
      g_string_append_c (out, hex[c & 0x0F]);
    }
}

char *
naccs_sim_escape (const void *bytes, gsize len)
{
  GString *out = g_string_sized_new (len + 8);

  naccs_sim_escape_append (out, bytes, len);
  return g_string_free (out, FALSE);
}
