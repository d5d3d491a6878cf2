/* suite-command.c: the client command of `naccs-sim suite --client`.
 *
 * The command is split into arguments the way a POSIX shell splits words
 * (g_shell_parse_argv), but no shell runs it: a user who needs one writes
 * `sh -c '...'`.  Placeholders are filled in per argument, so a value with
 * spaces stays one argument.  {host}, {port}, {helo}, {from}, {to} and
 * {scenario} become one value each.  An argument holding {messages} is
 * repeated once per message fixture with the path in its place, so
 * `{messages}` alone becomes N arguments and `--file={messages}` becomes N
 * `--file=` arguments.  "{{" stands for a literal "{", and any other "{"
 * that does not open a known placeholder ({HOST}, {}, an unclosed {host)
 * is an error, because a misspelt placeholder would otherwise reach the
 * client unchanged.  Clients that must be started differently read the
 * same values from NACCS_* environment variables.
 */
#define G_LOG_DOMAIN "naccs-sim"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "suite-private.h"

#define MESSAGES_PLACEHOLDER "messages"

G_DEFINE_QUARK (naccs-sim-suite-error-quark, naccs_sim_suite_error)

/* The placeholders, as the errors list them. */
#define PLACEHOLDER_LIST \
  "{host}, {port}, {helo}, {from}, {to}, {messages}, {scenario}"

/* Returns the length of the name of the placeholder that the "{" before
 * @p opens ("host" in "host}"), or -1 when no "}" closes it.  Any text up
 * to the "}" counts, so that {HOST}, {ho-st} and {} reach is_known() and
 * are refused instead of passing to the client unchanged. */
static gssize
placeholder_length (const char *p)
{
  const char *close = strchr (p, '}');

  return close != NULL ? close - p : -1;
}

static const char *
lookup_value (const NaccsSimSuiteClientValues *values, const char *name,
              gsize length)
{
  const struct {
    const char *name;
    const char *value;
  } table[] = {
    { "host", values->host },
    { "port", values->port },
    { "helo", values->helo },
    { "from", values->from },
    { "to", values->to },
    { "scenario", values->scenario },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (strlen (table[i].name) == length
        && strncmp (table[i].name, name, length) == 0)
      return table[i].value != NULL ? table[i].value : "";
  return NULL;
}

static gboolean
is_known (const char *name, gsize length)
{
  static const NaccsSimSuiteClientValues empty = { 0 };

  return lookup_value (&empty, name, length) != NULL
         || (length == strlen (MESSAGES_PLACEHOLDER)
             && strncmp (name, MESSAGES_PLACEHOLDER, length) == 0);
}

/* Checks the placeholder whose "{" comes before @name in @argument and
 * stores the length of its name in *@length.  Fails on an unclosed "{" and
 * on a name that is not one of PLACEHOLDER_LIST. */
static gboolean
check_placeholder (const char *argument, const char *name, gsize *length,
                   GError **error)
{
  gssize n = placeholder_length (name);

  if (n < 0)
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_COMMAND,
                   _("unclosed \"{\" in argument \"%s\" of --client: use "
                     "%s, and write {{ for a literal \"{\""), argument,
                   PLACEHOLDER_LIST);
      return FALSE;
    }
  if (!is_known (name, (gsize) n))
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_COMMAND,
                   _("unknown placeholder \"{%.*s}\" in argument \"%s\" of "
                     "--client: use %s, and write {{ for a literal \"{\""),
                   (int) n, name, argument, PLACEHOLDER_LIST);
      return FALSE;
    }
  *length = (gsize) n;
  return TRUE;
}

/* Renders @argument into @out with @values (nullable: only check) and
 * @message in place of {messages}.  Counts the {messages} placeholders in
 * *@n_messages.  Fails only on an unknown or unclosed placeholder. */
static gboolean
render (const char *argument, const NaccsSimSuiteClientValues *values,
        const char *message, GString *out, guint *n_messages, GError **error)
{
  *n_messages = 0;
  for (const char *p = argument; *p != '\0'; p++)
    {
      gsize length = 0;

      if (p[0] == '{' && p[1] == '{')
        {
          g_string_append_c (out, '{');
          p++;
          continue;
        }
      if (p[0] != '{')
        {
          g_string_append_c (out, *p);
          continue;
        }
      if (!check_placeholder (argument, p + 1, &length, error))
        return FALSE;
      if (strncmp (p + 1, MESSAGES_PLACEHOLDER, length) == 0)
        {
          (*n_messages)++;
          g_string_append (out, message != NULL ? message : "");
        }
      else if (values != NULL)
        g_string_append (out, lookup_value (values, p + 1, length));
      p += length + 1;
    }
  return TRUE;
}

char **
naccs_sim_suite_command_parse (const char *command, GError **error)
{
  g_auto (GStrv) argv = NULL;
  g_autoptr (GError) shell_error = NULL;

  if (command == NULL || *command == '\0')
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_COMMAND,
                   _("missing --client: give the command that runs the "
                     "client under test, e.g. --client 'naccs-send --server "
                     "{host}:{port} --helo {helo} --from {from} {messages}'"));
      return NULL;
    }
  if (!g_shell_parse_argv (command, NULL, &argv, &shell_error))
    {
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_COMMAND,
                   _("invalid --client \"%s\": %s; quote it as a POSIX shell "
                     "would"), command, shell_error->message);
      return NULL;
    }
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autoptr (GString) ignored = g_string_new (NULL);
      guint n_messages;

      if (!render (argv[i], NULL, NULL, ignored, &n_messages, error))
        return NULL;
      if (n_messages > 1)
        {
          g_set_error (error, NACCS_SIM_SUITE_ERROR,
                       NACCS_SIM_SUITE_ERROR_COMMAND,
                       _("argument \"%s\" of --client holds {messages} more "
                         "than once: use it once per argument"), argv[i]);
          return NULL;
        }
    }
  return g_steal_pointer (&argv);
}

gboolean
naccs_sim_suite_command_check_program (char **argv, GError **error)
{
  g_autofree char *found = NULL;

  if (strchr (argv[0], '/') != NULL)
    {
      if (g_file_test (argv[0], G_FILE_TEST_IS_REGULAR)
          && access (argv[0], X_OK) == 0)
        return TRUE;
      g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_COMMAND,
                   _("client program \"%s\" of --client is not an executable "
                     "file: check the path"), argv[0]);
      return FALSE;
    }
  found = g_find_program_in_path (argv[0]);
  if (found != NULL)
    return TRUE;
  g_set_error (error, NACCS_SIM_SUITE_ERROR, NACCS_SIM_SUITE_ERROR_COMMAND,
               _("client program \"%s\" of --client not found in PATH: give "
                 "its full path or install it"), argv[0]);
  return FALSE;
}

char **
naccs_sim_suite_command_expand (char **argv,
                                const NaccsSimSuiteClientValues *values)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autoptr (GString) first = g_string_new (NULL);
      guint n_messages = 0;

      /* The arguments were checked by naccs_sim_suite_command_parse. */
      render (argv[i], values, NULL, first, &n_messages, NULL);
      if (n_messages == 0)
        {
          g_ptr_array_add (out, g_string_free (g_steal_pointer (&first),
                                               FALSE));
          continue;
        }
      for (guint m = 0; values->messages != NULL
                        && values->messages[m] != NULL; m++)
        {
          GString *one = g_string_new (NULL);

          render (argv[i], values, values->messages[m], one, &n_messages,
                  NULL);
          g_ptr_array_add (out, g_string_free (one, FALSE));
        }
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

char **
naccs_sim_suite_command_environment (const NaccsSimSuiteClientValues *values)
{
  g_autofree char *messages = NULL;
  GPtrArray *env = g_ptr_array_new ();

  messages = values->messages != NULL
               ? g_strjoinv ("\n", (char **) values->messages)
               : g_strdup ("");
  g_ptr_array_add (env, g_strconcat ("NACCS_HOST=", values->host, NULL));
  g_ptr_array_add (env, g_strconcat ("NACCS_PORT=", values->port, NULL));
  g_ptr_array_add (env, g_strconcat ("NACCS_HELO=", values->helo, NULL));
  g_ptr_array_add (env, g_strconcat ("NACCS_FROM=", values->from, NULL));
  g_ptr_array_add (env, g_strconcat ("NACCS_TO=", values->to, NULL));
  g_ptr_array_add (env, g_strconcat ("NACCS_MESSAGES=", messages, NULL));
  g_ptr_array_add (env, g_strconcat ("NACCS_SCENARIO=", values->scenario,
                                     NULL));
  g_ptr_array_add (env, g_strconcat ("NACCS_SCENARIO_FILE=",
                                     values->scenario_file, NULL));
  g_ptr_array_add (env, NULL);
  return (char **) g_ptr_array_free (env, FALSE);
}
