/* action-table.c: what the client does after each reply code at each step.
 *
 * Table 4-3-14 of the NACCS EDI specification maps reply codes to the
 * action the user system must take, but it is not in our copy of the
 * specification.  So the mapping is data: a default built from the meaning
 * of the reply classes in RFC 5321 section 4.2.1, replaceable by a YAML file
 * (see action-table-yaml.c).  The default is: 2xx and 3xx continue; 421 means
 * the server is closing the channel, so the client reconnects; other 4xx are
 * transient, so the client resets and retries the message later; 5xx are
 * permanent, so the message is reported and never resent unchanged.  Before
 * HELO has been accepted there is no transaction to reset, so the greeting
 * and HELO steps reconnect on 4xx and give up the session on 5xx (RFC 5321
 * section 3.1: 554 as greeting refuses service); a failed RSET leaves the
 * server state unknown, so it reconnects.
 *
 * Lookup order: the step's exact code, NNx class, Nxx class, then the same
 * in the default section, then the RFC 5321 classes above.  The code a step
 * waits for always continues, and "continue" for any other code becomes
 * "reconnect", because the client would otherwise go on out of step with
 * the server.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-client"

#include <string.h>

#include "client-private.h"

struct _NaccsClientActionTable {
  NaccsActionSection sections[NACCS_ACTION_SECTION_COUNT];
};

static const char *const action_keys[] = {
  [NACCS_CLIENT_ACTION_CONTINUE] = "continue",
  [NACCS_CLIENT_ACTION_RETRY_LATER] = "retry-later",
  [NACCS_CLIENT_ACTION_RECONNECT] = "reconnect",
  [NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE] = "give-up-message",
  [NACCS_CLIENT_ACTION_GIVE_UP_SESSION] = "give-up-session",
};

/* Keys of the sections; NULL for CONNECT, which has no reply code. */
static const char *const section_keys[NACCS_ACTION_SECTION_COUNT] = {
  [NACCS_CLIENT_STEP_CONNECT] = NULL,
  [NACCS_CLIENT_STEP_GREETING] = "greeting",
  [NACCS_CLIENT_STEP_HELO] = "helo",
  [NACCS_CLIENT_STEP_MAIL] = "mail",
  [NACCS_CLIENT_STEP_RCPT] = "rcpt",
  [NACCS_CLIENT_STEP_DATA] = "data",
  [NACCS_CLIENT_STEP_DATA_END] = "data-end",
  [NACCS_CLIENT_STEP_RSET] = "rset",
  [NACCS_CLIENT_STEP_QUIT] = "quit",
  [NACCS_ACTION_SECTION_DEFAULT] = "default",
};

/* Reply codes that continue each step.  RFC 5321 section 4.2.2 allows 251
 * ("user not local; will forward") for RCPT TO. */
static const guint expected_codes[][2] = {
  [NACCS_CLIENT_STEP_CONNECT] = { 0, 0 },
  [NACCS_CLIENT_STEP_GREETING] = { 220, 0 },
  [NACCS_CLIENT_STEP_HELO] = { 250, 0 },
  [NACCS_CLIENT_STEP_MAIL] = { 250, 0 },
  [NACCS_CLIENT_STEP_RCPT] = { 250, 251 },
  [NACCS_CLIENT_STEP_DATA] = { 354, 0 },
  [NACCS_CLIENT_STEP_DATA_END] = { 250, 0 },
  [NACCS_CLIENT_STEP_RSET] = { 250, 0 },
  [NACCS_CLIENT_STEP_QUIT] = { 221, 0 },
};

/* The default table, entry by entry; action-table.example.yaml contains
 * the same entries. */
static const struct {
  guint section;
  const char *pattern;
  NaccsClientAction action;
} default_entries[] = {
  { NACCS_ACTION_SECTION_DEFAULT, "2xx", NACCS_CLIENT_ACTION_CONTINUE },
  { NACCS_ACTION_SECTION_DEFAULT, "3xx", NACCS_CLIENT_ACTION_CONTINUE },
  { NACCS_ACTION_SECTION_DEFAULT, "421", NACCS_CLIENT_ACTION_RECONNECT },
  { NACCS_ACTION_SECTION_DEFAULT, "4xx", NACCS_CLIENT_ACTION_RETRY_LATER },
  { NACCS_ACTION_SECTION_DEFAULT, "5xx", NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE },
  { NACCS_CLIENT_STEP_GREETING, "4xx", NACCS_CLIENT_ACTION_RECONNECT },
  { NACCS_CLIENT_STEP_GREETING, "5xx", NACCS_CLIENT_ACTION_GIVE_UP_SESSION },
  { NACCS_CLIENT_STEP_HELO, "4xx", NACCS_CLIENT_ACTION_RECONNECT },
  { NACCS_CLIENT_STEP_HELO, "5xx", NACCS_CLIENT_ACTION_GIVE_UP_SESSION },
  { NACCS_CLIENT_STEP_RSET, "4xx", NACCS_CLIENT_ACTION_RECONNECT },
  { NACCS_CLIENT_STEP_RSET, "5xx", NACCS_CLIENT_ACTION_RECONNECT },
};

const char *
naccs_client_action_to_string (NaccsClientAction action)
{
  g_return_val_if_fail ((guint) action < G_N_ELEMENTS (action_keys), "?");

  return action_keys[action];
}

gboolean
naccs_action_from_string (const char *key, NaccsClientAction *action)
{
  for (guint i = 0; i < G_N_ELEMENTS (action_keys); i++)
    if (strcmp (key, action_keys[i]) == 0)
      {
        *action = (NaccsClientAction) i;
        return TRUE;
      }
  return FALSE;
}

const char *
naccs_action_section_key (guint section)
{
  g_return_val_if_fail (section < NACCS_ACTION_SECTION_COUNT, "?");

  return section_keys[section];
}

gboolean
naccs_action_section_from_string (const char *key, guint *section)
{
  for (guint i = 0; i < NACCS_ACTION_SECTION_COUNT; i++)
    if (section_keys[i] != NULL && strcmp (key, section_keys[i]) == 0)
      {
        *section = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
naccs_action_step_expects (NaccsClientStep step, guint code)
{
  g_return_val_if_fail ((guint) step < G_N_ELEMENTS (expected_codes), FALSE);

  return code != 0
         && (code == expected_codes[step][0]
             || code == expected_codes[step][1]);
}

/* Parses "421", "4xx" or "45x".  Returns FALSE for any other form; a code
 * outside 200..599 parses, so that the caller can say what is wrong. */
gboolean
naccs_action_pattern_parse (const char *text, NaccsActionPattern *pattern)
{
  if (strlen (text) != 3 || !g_ascii_isdigit (text[0]))
    return FALSE;

  if (g_ascii_isdigit (text[1]) && g_ascii_isdigit (text[2]))
    {
      pattern->kind = NACCS_ACTION_PATTERN_CODE;
      pattern->value = (guint) g_ascii_strtoull (text, NULL, 10);
      return TRUE;
    }
  if (g_ascii_isdigit (text[1]) && text[2] == 'x')
    {
      pattern->kind = NACCS_ACTION_PATTERN_TENS;
      pattern->value = (guint) ((text[0] - '0') * 10 + (text[1] - '0'));
      return TRUE;
    }
  if (text[1] == 'x' && text[2] == 'x')
    {
      pattern->kind = NACCS_ACTION_PATTERN_HUNDREDS;
      pattern->value = (guint) (text[0] - '0');
      return TRUE;
    }
  return FALSE;
}

/* Returns the lowest code @pattern covers, to check it against 200..599. */
guint
naccs_action_pattern_first_code (const NaccsActionPattern *pattern)
{
  switch (pattern->kind)
    {
    case NACCS_ACTION_PATTERN_TENS:
      return pattern->value * 10;
    case NACCS_ACTION_PATTERN_HUNDREDS:
      return pattern->value * 100;
    case NACCS_ACTION_PATTERN_CODE:
    default:
      return pattern->value;
    }
}

/* Returns the slot of @pattern in @section; the pattern must be within
 * 200..599. */
static gint8 *
section_slot (NaccsActionSection *section, const NaccsActionPattern *pattern)
{
  switch (pattern->kind)
    {
    case NACCS_ACTION_PATTERN_TENS:
      return &section->tens[pattern->value - NACCS_ACTION_CODE_MIN / 10];
    case NACCS_ACTION_PATTERN_HUNDREDS:
      return &section->hundreds[pattern->value - NACCS_ACTION_CODE_MIN / 100];
    case NACCS_ACTION_PATTERN_CODE:
    default:
      return &section->exact[pattern->value - NACCS_ACTION_CODE_MIN];
    }
}

NaccsClientActionTable *
naccs_action_table_new_empty (void)
{
  NaccsClientActionTable *table = g_new (NaccsClientActionTable, 1);

  /* -1 in every slot: no entry. */
  memset (table->sections, 0xff, sizeof table->sections);
  return table;
}

gboolean
naccs_action_table_has (const NaccsClientActionTable *table, guint section,
                        const NaccsActionPattern *pattern)
{
  NaccsActionSection *mutable_section =
      (NaccsActionSection *) &table->sections[section];

  return *section_slot (mutable_section, pattern) >= 0;
}

void
naccs_action_table_set (NaccsClientActionTable *table, guint section,
                        const NaccsActionPattern *pattern,
                        NaccsClientAction action)
{
  g_return_if_fail (section < NACCS_ACTION_SECTION_COUNT);

  *section_slot (&table->sections[section], pattern) = (gint8) action;
}

NaccsClientActionTable *
naccs_client_action_table_new_default (void)
{
  NaccsClientActionTable *table = naccs_action_table_new_empty ();

  for (guint i = 0; i < G_N_ELEMENTS (default_entries); i++)
    {
      NaccsActionPattern pattern;

      naccs_action_pattern_parse (default_entries[i].pattern, &pattern);
      naccs_action_table_set (table, default_entries[i].section, &pattern,
                              default_entries[i].action);
    }
  return table;
}

NaccsClientActionTable *
naccs_action_table_copy (const NaccsClientActionTable *table)
{
  return g_memdup2 (table, sizeof *table);
}

void
naccs_client_action_table_free (NaccsClientActionTable *table)
{
  g_free (table);
}

/* Returns the section's action for @code, or -1 when no entry covers it. */
static gint
section_lookup (const NaccsActionSection *section, guint code)
{
  guint offset = code - NACCS_ACTION_CODE_MIN;

  if (section->exact[offset] >= 0)
    return section->exact[offset];
  if (section->tens[offset / 10] >= 0)
    return section->tens[offset / 10];
  return section->hundreds[offset / 100];
}

/* The RFC 5321 reply classes, for codes no entry covers. */
static NaccsClientAction
class_action (guint code)
{
  if (code < 400)
    return NACCS_CLIENT_ACTION_CONTINUE;
  if (code == 421)
    return NACCS_CLIENT_ACTION_RECONNECT;
  if (code < 500)
    return NACCS_CLIENT_ACTION_RETRY_LATER;
  return NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE;
}

NaccsClientAction
naccs_client_action_table_lookup (const NaccsClientActionTable *table,
                                  NaccsClientStep step, guint code)
{
  NaccsClientAction action;
  gint found;

  g_return_val_if_fail (table != NULL, NACCS_CLIENT_ACTION_RECONNECT);
  g_return_val_if_fail ((guint) step < NACCS_ACTION_SECTION_DEFAULT,
                        NACCS_CLIENT_ACTION_RECONNECT);

  if (naccs_action_step_expects (step, code))
    return NACCS_CLIENT_ACTION_CONTINUE;
  /* Not a reply code RFC 5321 section 4.2 defines for these commands. */
  if (code < NACCS_ACTION_CODE_MIN || code > NACCS_ACTION_CODE_MAX)
    return NACCS_CLIENT_ACTION_RECONNECT;

  found = section_lookup (&table->sections[step], code);
  if (found < 0)
    found = section_lookup (&table->sections[NACCS_ACTION_SECTION_DEFAULT],
                            code);
  action = found >= 0 ? (NaccsClientAction) found : class_action (code);

  if (action == NACCS_CLIENT_ACTION_CONTINUE)
    return NACCS_CLIENT_ACTION_RECONNECT;
  return action;
}
