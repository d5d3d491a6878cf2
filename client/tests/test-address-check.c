/* test-address-check.c: tests of the HELO domain and address checks.
 *
 * Tables of values pin which domains and addresses RFC 5321 section 4.1.2
 * allows and, for each rejected one, a part of the error message: the
 * character named (escaped), its position, or the rule broken.  A session
 * against the scripted server then proves that a rejected value puts
 * nothing on the wire, the injection a tester sent through --from
 * included, and leaves the connection usable.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "naccs-client.h"
#include "script-server.h"

#define HELO_DOMAIN "user.example.invalid"
#define FROM_ADDRESS "user@user.example.invalid"
#define TO_ADDRESS "NACCS@EDIFACT.PROD.NACCS6"

/* The value a tester passed as --from: it closes the path early and
 * smuggles RCPT, DATA and a whole message in behind it. */
#define INJECTED_FROM                                                         \
  "a>\r\nRCPT TO:<NACCS@EDIFACT.PROD.NACCS6>\r\nDATA\r\nSubject: "          \
  "injected\r\n.\r\nMAIL FROM:<b"

typedef struct {
  const char *value;
  const char *want; /* NULL: accepted; else a part of the error message */
} CheckCase;

static const CheckCase domain_cases[] = {
  { "user.example.invalid", NULL },
  { "EDIFACT.PROD.NACCS6", NULL },
  { "localhost", NULL },
  { "a-b.c-d.example", NULL },
  { "123.example", NULL },
  { "[192.0.2.1]", NULL },
  { "[IPv6:2001:db8::1]", NULL },
  { "[ipv6:::1]", NULL },
  { "", "the domain is empty" },
  { "x.example\r\nRSET", "character \"\\r\" at position 10 of "
                         "\"x.example\\r\\nRSET\"" },
  { "x\ny", "character \"\\n\" at position 2" },
  { "x y", "character \" \" at position 2" },
  { "x\ty", "character \"\\t\" at position 2" },
  { "x\001y", "character \"\\x01\" at position 2" },
  { "x\177y", "character \"\\x7F\" at position 2" },
  { "h\xc3\xa9.example", "character \"\\xC3\" at position 2" },
  { "x_y.example", "character \"_\" at position 2" },
  { "x<y>", "character \"<\" at position 2" },
  { "-x.example", "begins or ends with \"-\"" },
  { "x-.example", "begins or ends with \"-\"" },
  { "x..example", "has an empty label" },
  { "x.example.", "has an empty label" },
  { ".x.example", "has an empty label" },
  { "[192.0.2.256]", "is not a valid address literal" },
  { "[192.0.2]", "is not a valid address literal" },
  { "[192.0.2.1", "is not a valid address literal" },
  { "[]", "is not a valid address literal" },
  { "[IPv6:fe80::1%eth0]", "is not a valid address literal" },
  { "[IPv6:192.0.2.1]", "is not a valid address literal" },
  { "[tag:value]", "is not a valid address literal" },
  { "[192.0.2.1\r\n]", "character \"\\r\" at position 11" },
  { "[192.0.2.1] x", "character \"]\" at position 11" },
};

static const CheckCase address_cases[] = {
  { FROM_ADDRESS, NULL },
  { TO_ADDRESS, NULL },
  { "ZZX9A@SYNTH.EXAMPLE.INVALID", NULL },
  { "first.last+tag@example.com", NULL },
  { "!#$%&'*+-/=?^_`{|}~@example.com", NULL },
  { "user@[192.0.2.1]", NULL },
  { "user@[IPv6:2001:db8::1]", NULL },
  { INJECTED_FROM, "character \">\" at position 2 of \"a>\\r\\nRCPT" },
  { "a\r\nDATA@example.com", "character \"\\r\" at position 2" },
  { "a@example.com\r\nDATA", "character \"\\r\" at position 14" },
  { "a@example.com\nDATA", "character \"\\n\" at position 14" },
  { "a b@example.com", "character \" \" at position 2" },
  { "a@example.com>", "character \">\" at position 14" },
  { "<a@example.com", "character \"<\" at position 1" },
  { "a\001@example.com", "character \"\\x01\" at position 2" },
  { "\xe5\xb1\xb1@example.com", "character \"\\xE5\" at position 1" },
  { "a@b@example.com", "character \"@\" at position 4" },
  { "", "the address is empty" },
  { "user", "has no \"@\"" },
  { "user\r\n", "character \"\\r\" at position 5" },
  { "@example.com", "has nothing before the \"@\"" },
  { "@a,@b:user@example.com", "has nothing before the \"@\"" },
  { "user@", "has nothing after the \"@\"" },
  { ".user@example.com", "begins or ends with \".\"" },
  { "user.@example.com", "begins or ends with \".\"" },
  { "us..er@example.com", "has two dots in a row" },
  { "\"quoted user\"@example.com", "is quoted" },
  { "user@-example.com", "begins or ends with \"-\"" },
  { "user@[300.0.0.1]", "is not a valid address literal" },
};

/* Runs @check over @cases; returns FALSE after printing each mismatch. */
static gboolean
check_cases (gboolean (*check) (const char *, GError **),
             const CheckCase *cases, gsize count)
{
  gboolean ok = TRUE;

  for (gsize i = 0; i < count; i++)
    {
      g_autoptr (GError) error = NULL;
      gboolean got = check (cases[i].value, &error);
      g_autofree char *shown = g_strescape (cases[i].value, NULL);

      if (cases[i].want == NULL && !got)
        {
          fprintf (stderr, "\n  \"%s\": got %s, want accepted\n", shown,
                   error->message);
          ok = FALSE;
        }
      else if (cases[i].want != NULL
               && (got || !g_error_matches (error, NACCS_CLIENT_ERROR,
                                            NACCS_CLIENT_ERROR_INVALID_ARGUMENT)
                   || strstr (error->message, cases[i].want) == NULL))
        {
          fprintf (stderr, "\n  \"%s\": got %s, want INVALID_ARGUMENT with "
                   "\"%s\"\n", shown, got ? "accepted" : error->message,
                   cases[i].want);
          ok = FALSE;
        }
    }
  return ok;
}

/* Returns TRUE when @text has no control character, so a message can go
 * to a terminal as it is. */
static gboolean
is_printable (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

/* Proves which HELO domains are accepted and how each fault is named. */
static void
test_domain_table (void)
{
  CU_ASSERT_TRUE (check_cases (naccs_client_validate_domain, domain_cases,
                               G_N_ELEMENTS (domain_cases)));
}

/* Proves which addresses are accepted and how each fault is named. */
static void
test_address_table (void)
{
  CU_ASSERT_TRUE (check_cases (naccs_client_validate_address, address_cases,
                               G_N_ELEMENTS (address_cases)));
}

/* Proves every error message is free of control characters. */
static void
test_messages_escaped (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (address_cases); i++)
    {
      g_autoptr (GError) address_error = NULL;
      g_autoptr (GError) domain_error = NULL;

      naccs_client_validate_address (address_cases[i].value, &address_error);
      naccs_client_validate_domain (address_cases[i].value, &domain_error);
      CU_ASSERT_TRUE (address_error == NULL
                      || is_printable (address_error->message));
      CU_ASSERT_TRUE (domain_error == NULL
                      || is_printable (domain_error->message));
    }
}

/* Proves the RFC 5321 length limits: local part 64, label 63, domain 255,
 * address 254 octets. */
static void
test_length_limits (void)
{
  g_autofree char *local_64 = g_strnfill (64, 'a');
  g_autofree char *local_65 = g_strnfill (65, 'a');
  g_autofree char *label_63 = g_strnfill (63, 'b');
  g_autofree char *label_64 = g_strnfill (64, 'b');
  g_autofree char *ok_local = g_strconcat (local_64, "@example.com", NULL);
  g_autofree char *long_local = g_strconcat (local_65, "@example.com", NULL);
  g_autofree char *ok_label = g_strconcat (label_63, ".example", NULL);
  g_autofree char *long_label = g_strconcat (label_64, ".example", NULL);
  /* 4 labels of 63 and 3 dots: 255 octets; one more label char: 256. */
  g_autofree char *domain_255 = g_strjoin (".", label_63, label_63, label_63,
                                           label_63, NULL);
  g_autofree char *domain_256 = g_strconcat (domain_255, "c", NULL);
  g_autofree char *label_62 = g_strnfill (62, 'c');
  /* 64 + "@" + 63 + "." + 63 + "." + 62: 255 octets. */
  g_autofree char *address_255 = g_strconcat (
      local_64, "@", label_63, ".", label_63, ".", label_62, NULL);
  g_autoptr (GError) error = NULL;

  CU_ASSERT_TRUE (naccs_client_validate_address (ok_local, NULL));
  CU_ASSERT_FALSE (naccs_client_validate_address (long_local, &error));
  CU_ASSERT_PTR_NOT_NULL (error ? strstr (error->message, "has 65 octets")
                                : NULL);
  g_clear_error (&error);

  CU_ASSERT_TRUE (naccs_client_validate_domain (ok_label, NULL));
  CU_ASSERT_FALSE (naccs_client_validate_domain (long_label, &error));
  CU_ASSERT_PTR_NOT_NULL (error ? strstr (error->message, "label of 64")
                                : NULL);
  g_clear_error (&error);

  CU_ASSERT_EQUAL (strlen (domain_255), 255);
  CU_ASSERT_TRUE (naccs_client_validate_domain (domain_255, NULL));
  CU_ASSERT_FALSE (naccs_client_validate_domain (domain_256, &error));
  CU_ASSERT_PTR_NOT_NULL (error ? strstr (error->message, "has 256 octets")
                                : NULL);
  g_clear_error (&error);

  CU_ASSERT_EQUAL (strlen (address_255), 255);
  CU_ASSERT_FALSE (naccs_client_validate_address (address_255, &error));
  CU_ASSERT_PTR_NOT_NULL (error ? strstr (error->message, "has 255 octets")
                                : NULL);
}

static NaccsClient *
new_client (void)
{
  NaccsClientTimeouts timeouts = {
    .connect_ms = 2000,
    .greeting_ms = 2000,
    .reply_ms = 2000,
    .data_end_ms = 2000,
    .send_ms = 2000,
  };

  return naccs_client_new (&timeouts, NULL);
}

/* Proves rejected arguments send nothing and the session carries on. */
static void
test_rejected_arguments_not_sent (void)
{
  ScriptServer *server = script_server_start (NULL, 0);
  g_autoptr (NaccsClient) client = new_client ();
  g_autofree char *text = script_message ("m1", 2, 20);
  g_autoptr (GBytes) message = g_bytes_new (text, strlen (text));
  g_autoptr (GError) helo_error = NULL;
  g_autoptr (GError) from_error = NULL;
  g_autoptr (GError) to_error = NULL;
  const char *commands;

  CU_ASSERT_TRUE_FATAL (naccs_client_connect (
      client, "127.0.0.1", script_server_port (server), NULL));

  CU_ASSERT_FALSE (naccs_client_helo (client, "x.example\r\nRSET",
                                      &helo_error));
  CU_ASSERT_TRUE (g_error_matches (helo_error, NACCS_CLIENT_ERROR,
                                   NACCS_CLIENT_ERROR_INVALID_ARGUMENT));
  CU_ASSERT_EQUAL (naccs_client_get_last_action (client),
                   NACCS_CLIENT_ACTION_GIVE_UP_SESSION);
  CU_ASSERT_TRUE (naccs_client_is_connected (client));
  CU_ASSERT_TRUE (naccs_client_helo (client, HELO_DOMAIN, NULL));

  CU_ASSERT_FALSE (naccs_client_send_message (client, INJECTED_FROM,
                                              TO_ADDRESS, message,
                                              &from_error));
  CU_ASSERT_TRUE (g_error_matches (from_error, NACCS_CLIENT_ERROR,
                                   NACCS_CLIENT_ERROR_INVALID_ARGUMENT));
  CU_ASSERT_EQUAL (naccs_client_get_last_action (client),
                   NACCS_CLIENT_ACTION_GIVE_UP_MESSAGE);
  CU_ASSERT_FALSE (naccs_client_send_message (client, FROM_ADDRESS,
                                              "NACCS@X\r\nDATA", message,
                                              &to_error));
  CU_ASSERT_TRUE (g_error_matches (to_error, NACCS_CLIENT_ERROR,
                                   NACCS_CLIENT_ERROR_INVALID_ARGUMENT));

  CU_ASSERT_TRUE (naccs_client_send_message (client, FROM_ADDRESS,
                                             TO_ADDRESS, message, NULL));
  CU_ASSERT_TRUE (naccs_client_quit (client, NULL));
  script_server_stop (server);

  commands = script_server_commands (server, 1);
  CU_ASSERT_STRING_EQUAL (commands,
                          "HELO " HELO_DOMAIN "\n"
                          "MAIL FROM:<" FROM_ADDRESS ">\n"
                          "RCPT TO:<" TO_ADDRESS ">\n"
                          "DATA\n<data>\n.\nQUIT\n");
  CU_ASSERT_EQUAL (script_server_deliveries (server)->len, 1);
  script_server_free (server);
}

int
main (void)
{
  static const struct {
    const char *name;
    void (*func) (void);
  } tests[] = {
    { "domain table", test_domain_table },
    { "address table", test_address_table },
    { "messages escaped", test_messages_escaped },
    { "length limits", test_length_limits },
    { "rejected arguments not sent", test_rejected_arguments_not_sent },
  };
  CU_pSuite suite;
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  suite = CU_add_suite ("/client/address-check", NULL, NULL);
  for (gsize i = 0; suite != NULL && i < G_N_ELEMENTS (tests); i++)
    if (CU_add_test (suite, tests[i].name, tests[i].func) == NULL)
      suite = NULL;
  if (suite == NULL)
    {
      CU_cleanup_registry ();
      return 2;
    }

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}
