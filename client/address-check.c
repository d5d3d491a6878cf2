/* address-check.c: checks the HELO domain and the MAIL FROM and RCPT TO
 * addresses before they go on the wire.
 *
 * A command is one line ending in CRLF, so a CR or LF inside an argument
 * would end the command early and let the rest of the value run as
 * commands of its own (SMTP command injection).  The library therefore
 * sends an argument only when it matches the grammar of RFC 5321 section
 * 4.1.2, which has no room for control characters, spaces or angle
 * brackets:
 *
 *   Mailbox        = Local-part "@" ( Domain / address-literal )
 *   Local-part     = Dot-string / Quoted-string
 *   Dot-string     = Atom *("." Atom)
 *   Atom           = 1*atext    ; letters, digits, !#$%&'*+-/=?^_`{|}~
 *   Domain         = sub-domain *("." sub-domain)
 *   sub-domain     = Let-dig [Ldh-str]   ; no "-" first or last
 *   address-literal = "[" ( IPv4-address-literal /
 *                           IPv6-address-literal /
 *                           General-address-literal ) "]"
 *
 * Quoted-string local parts and General-address-literals are rejected:
 * a quoted local part may contain spaces and angle brackets, and no NACCS
 * address needs either form.  The lengths are those of RFC 5321 section
 * 4.5.3.1 (local part 64 octets, domain 255, path 256 with its angle
 * brackets, so 254 for the address) and RFC 1035 section 2.3.4 (label 63).
 * A NUL cannot be checked here, because it ends the C string; a caller's
 * value is never longer than its first NUL.
 */
#include "config.h"

#define G_LOG_DOMAIN "naccs-client"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "client-private.h"

#define LOCAL_PART_MAX 64
#define DOMAIN_MAX 255
#define LABEL_MAX 63
#define ADDRESS_MAX 254

/* Octets of a value that an error message shows; the rest is cut to "...". */
#define SHOWN_MAX 80

/* Appends @c to @out as a C-like escape when it is not printable ASCII,
 * so that an error never writes a control character to a terminal. */
static void
append_escaped (GString *out, guchar c)
{
  if (c == '\r')
    g_string_append (out, "\\r");
  else if (c == '\n')
    g_string_append (out, "\\n");
  else if (c == '\t')
    g_string_append (out, "\\t");
  else if (c == '"' || c == '\\')
    g_string_append_printf (out, "\\%c", c);
  else if (c < 0x20 || c >= 0x7f)
    g_string_append_printf (out, "\\x%02X", c);
  else
    g_string_append_c (out, (char) c);
}

/* Returns @text escaped for an error message, cut after SHOWN_MAX octets. */
static char *
escape_value (const char *text)
{
  GString *out = g_string_new (NULL);
  gsize i;

  for (i = 0; text[i] != '\0' && i < SHOWN_MAX; i++)
    append_escaped (out, (guchar) text[i]);
  if (text[i] != '\0')
    g_string_append (out, "...");
  return g_string_free (out, FALSE);
}

static char *
escape_char (char c)
{
  GString *out = g_string_new (NULL);

  append_escaped (out, (guchar) c);
  return g_string_free (out, FALSE);
}

static gboolean
fail (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  naccs_error_set (error, NACCS_CLIENT_ERROR_INVALID_ARGUMENT, 0, "%s",
                   message);
  return FALSE;
}

static gboolean
is_let_dig (char c)
{
  return g_ascii_isalnum (c);
}

/* atext of RFC 5322 section 3.2.3, which RFC 5321 uses for Atom. */
static gboolean
is_atext (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-/=?^_`{|}~",
                                                      c) != NULL);
}

/* dcontent of RFC 5321: printable ASCII except "[", "\" and "]". */
static gboolean
is_dcontent (char c)
{
  return c >= 33 && c <= 126 && c != '[' && c != '\\' && c != ']';
}

/* Fails on character @offset of @whole, which is not allowed in a domain. */
static gboolean
fail_domain_char (const char *whole, gsize offset, GError **error)
{
  g_autofree char *escaped = escape_value (whole);
  g_autofree char *c = escape_char (whole[offset]);

  return fail (error, _("character \"%s\" at position %u of \"%s\" is not "
                        "allowed in a domain; give letters, digits, \"-\" "
                        "and \".\", or an address literal such as "
                        "[192.0.2.1]"),
               c, (guint) offset + 1, escaped);
}

static gboolean
fail_literal (const char *literal, GError **error)
{
  g_autofree char *escaped = escape_value (literal);

  return fail (error, _("\"%s\" is not a valid address literal; give "
                        "[IPv4], such as [192.0.2.1], or [IPv6:address], "
                        "such as [IPv6:2001:db8::1]"), escaped);
}

/* IPv4-address-literal = Snum 3("." Snum), Snum = 1*3DIGIT up to 255. */
static gboolean
is_ipv4_literal (const char *text, gsize len)
{
  guint parts = 0;
  gsize i = 0;

  while (i < len)
    {
      guint value = 0;
      gsize digits = 0;

      while (i < len && g_ascii_isdigit (text[i]) && digits < 3)
        {
          value = value * 10 + (guint) (text[i] - '0');
          digits++;
          i++;
        }
      if (digits == 0 || value > 255)
        return FALSE;
      parts++;
      if (i == len)
        break;
      if (text[i++] != '.' || i == len)
        return FALSE;
    }
  return parts == 4;
}

/* IPv6-address-literal = "IPv6:" IPv6-addr.  Only hex digits, ":" and "."
 * may follow the tag, so a zone index ("%eth0") is rejected before the
 * address parser sees it. */
static gboolean
is_ipv6_literal (const char *text, gsize len)
{
  g_autofree char *address = NULL;
  g_autoptr (GInetAddress) parsed = NULL;

  if (len <= 5 || g_ascii_strncasecmp (text, "IPv6:", 5) != 0)
    return FALSE;
  for (gsize i = 5; i < len; i++)
    if (!g_ascii_isxdigit (text[i]) && text[i] != ':' && text[i] != '.')
      return FALSE;

  address = g_strndup (text + 5, len - 5);
  parsed = g_inet_address_new_from_string (address);
  return parsed != NULL
         && g_inet_address_get_family (parsed) == G_SOCKET_FAMILY_IPV6;
}

/* Checks the address literal that starts at @offset of @whole. */
static gboolean
check_literal (const char *whole, gsize offset, GError **error)
{
  const char *literal = whole + offset;
  gsize len = strlen (literal);

  for (gsize i = 1; i + 1 < len; i++)
    if (!is_dcontent (literal[i]))
      return fail_domain_char (whole, offset + i, error);
  if (len < 3 || literal[len - 1] != ']')
    return fail_literal (literal, error);
  if (!is_ipv4_literal (literal + 1, len - 2)
      && !is_ipv6_literal (literal + 1, len - 2))
    return fail_literal (literal, error);
  return TRUE;
}

/* Checks the labels of @domain, whose characters are already allowed. */
static gboolean
check_labels (const char *domain, GError **error)
{
  g_autofree char *escaped = escape_value (domain);
  const char *label = domain;

  for (;;)
    {
      const char *dot = strchr (label, '.');
      gsize len = dot ? (gsize) (dot - label) : strlen (label);

      if (len == 0 || !is_let_dig (label[0]) || !is_let_dig (label[len - 1]))
        return fail (error, _("domain \"%s\" has an empty label, or a label "
                              "that begins or ends with \"-\"; each part "
                              "between dots must begin and end with a "
                              "letter or digit"), escaped);
      if (len > LABEL_MAX)
        return fail (error, _("domain \"%s\" has a label of %u octets; "
                              "a label may have at most 63"),
                     escaped, (guint) len);
      if (dot == NULL)
        return TRUE;
      label = dot + 1;
    }
}

/* Checks the Domain or address-literal at @offset of @whole, which is the
 * HELO argument or a whole address; positions in errors count in @whole. */
static gboolean
check_domain_at (const char *whole, gsize offset, GError **error)
{
  const char *domain = whole + offset;
  gsize len = strlen (domain);

  if (domain[0] == '[')
    return check_literal (whole, offset, error);

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (domain[i]) && domain[i] != '-' && domain[i] != '.')
      return fail_domain_char (whole, offset + i, error);

  if (len > DOMAIN_MAX)
    {
      g_autofree char *escaped = escape_value (domain);

      return fail (error, _("domain \"%s\" has %u octets; RFC 5321 allows "
                            "at most 255"), escaped, (guint) len);
    }
  return check_labels (domain, error);
}

gboolean
naccs_client_validate_domain (const char *domain, GError **error)
{
  g_return_val_if_fail (domain != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (domain[0] == '\0')
    return fail (error, _("the domain is empty; give a domain name or an "
                          "address literal such as [192.0.2.1]"));
  return check_domain_at (domain, 0, error);
}

/* Checks the characters of the local part, @len octets of @address. */
static gboolean
check_local_chars (const char *address, gsize len, GError **error)
{
  g_autofree char *escaped = escape_value (address);

  if (address[0] == '"')
    return fail (error, _("the local part of \"%s\" is quoted; quoted "
                          "local parts are not supported, so give one "
                          "without quotes"), escaped);

  for (gsize i = 0; i < len; i++)
    if (!is_atext (address[i]) && address[i] != '.')
      {
        g_autofree char *c = escape_char (address[i]);

        return fail (error, _("character \"%s\" at position %u of \"%s\" is "
                              "not allowed before the \"@\"; the local part "
                              "may contain letters, digits, dots and "
                              "!#$%%&'*+-/=?^_`{|}~"),
                     c, (guint) i + 1, escaped);
      }
  return TRUE;
}

/* Checks the Dot-string structure and length of the local part. */
static gboolean
check_local_part (const char *address, gsize len, GError **error)
{
  g_autofree char *escaped = escape_value (address);

  if (len == 0)
    return fail (error, _("\"%s\" has nothing before the \"@\"; give "
                          "local-part@domain"), escaped);
  if (address[0] == '.' || address[len - 1] == '.'
      || g_strstr_len (address, (gssize) len, "..") != NULL)
    return fail (error, _("the local part of \"%s\" begins or ends with "
                          "\".\" or has two dots in a row; put each dot "
                          "between other characters"), escaped);
  if (len > LOCAL_PART_MAX)
    return fail (error, _("the local part of \"%s\" has %u octets; RFC 5321 "
                          "allows at most 64"), escaped, (guint) len);
  return TRUE;
}

gboolean
naccs_client_validate_address (const char *address, GError **error)
{
  g_autofree char *escaped = NULL;
  const char *at;
  gsize local_len;

  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (address[0] == '\0')
    return fail (error, _("the address is empty; give local-part@domain "
                          "(the null reverse-path <> is not supported)"));

  /* Characters first, so that a line break is named as such even where
   * the "@" is missing too. */
  at = strchr (address, '@');
  local_len = at ? (gsize) (at - address) : strlen (address);
  if (!check_local_chars (address, local_len, error))
    return FALSE;

  escaped = escape_value (address);
  if (at == NULL)
    return fail (error, _("\"%s\" has no \"@\"; give an address of the "
                          "form local-part@domain"), escaped);
  if (!check_local_part (address, local_len, error))
    return FALSE;
  if (at[1] == '\0')
    return fail (error, _("\"%s\" has nothing after the \"@\"; give "
                          "local-part@domain"), escaped);
  if (!check_domain_at (address, local_len + 1, error))
    return FALSE;
  if (strlen (address) > ADDRESS_MAX)
    return fail (error, _("\"%s\" has %u octets; RFC 5321 allows at most "
                          "254 in an address"),
                 escaped, (guint) strlen (address));
  return TRUE;
}
