/* scenario.h: YAML scenarios for naccs-sim, their loader and rule matcher.
 *
 * A scenario file is one test case for a user system.  It names the spec
 * rule it exercises and what the client is asked to send.  It may override
 * settings of the default center, list rules per connection that change
 * the center's replies, and state the expected verdicts.  The loader checks the whole
 * file before any socket opens and reports "FILE:LINE:COLUMN: what is
 * wrong; what is allowed".  The format itself is documented for scenario
 * writers in scenarios/README.md.
 *
 * The structures are read-only once loaded; one scenario may serve many
 * sessions at a time from the same main loop.
 */
#pragma once

#include <glib.h>

#include "sim-event.h"

G_BEGIN_DECLS

#define NACCS_SIM_SCENARIO_ERROR (naccs_sim_scenario_error_quark ())
GQuark naccs_sim_scenario_error_quark (void);

typedef enum {
  NACCS_SIM_SCENARIO_ERROR_FILE,     /* cannot read the file, or too large */
  NACCS_SIM_SCENARIO_ERROR_SYNTAX,   /* not UTF-8, not YAML, alias, depth */
  NACCS_SIM_SCENARIO_ERROR_INVALID,  /* valid YAML, but not a valid scenario */
  NACCS_SIM_SCENARIO_ERROR_FIXTURE,  /* a message fixture is missing */
} NaccsSimScenarioError;

/* The events a rule can match (the rule's "on:" key). */
typedef enum {
  NACCS_SIM_TRIGGER_CONNECT,         /* connection accepted; greeting due */
  NACCS_SIM_TRIGGER_COMMAND,         /* a command line; verb and argument */
  NACCS_SIM_TRIGGER_END_OF_MESSAGE,  /* the final "." of DATA */
  NACCS_SIM_TRIGGER_LONG_LINE,       /* a line over the line length limit */
  NACCS_SIM_TRIGGER_OVERSIZE,        /* a message over the size limit */
  NACCS_SIM_TRIGGER_IDLE,            /* the client sent nothing for a time */
} NaccsSimTrigger;

/* What happens to connections beyond those listed in "connections:". */
typedef enum {
  NACCS_SIM_EXTRA_DEFAULT,      /* the default center behaviour */
  NACCS_SIM_EXTRA_REPEAT_LAST,  /* the rules of the last listed connection */
} NaccsSimExtraConnections;

typedef struct {
  NaccsSimTrigger trigger;
  char *verb;              /* COMMAND: upper-case verb such as "RCPT" */
  GPatternSpec *argument;  /* COMMAND, nullable: glob over the argument,
                              compared in ASCII lower case */
  char *argument_text;     /* the glob as written, nullable */
  guint nth;               /* >0: only this occurrence */
  guint from;              /* >0: this occurrence and later ones */
  guint idle_ms;           /* IDLE: silence that fires it; 0 = the center's
                              idle timeout */
  NaccsSimAction *action;
  guint line;              /* where the rule starts in the file */
  guint column;
} NaccsSimRule;

typedef struct {
  GPtrArray *rules;        /* NaccsSimRule *, in file order */
} NaccsSimConnectionSpec;

/* Settings that override the default center; 0 or NULL means not set. */
typedef struct {
  char *address;           /* the center's recipient address */
  char *greeting;          /* text of the 220 greeting and HELO reply */
  guint max_line_length;   /* octets, CRLF included */
  guint max_message_size;  /* octets of the message as received */
  guint idle_timeout_ms;   /* after the last reply, when QUIT never comes */
  guint command_timeout_ms;/* to receive one whole command line */
} NaccsSimCenterSettings;

typedef struct {
  char *helo;              /* domain for HELO */
  char *from;              /* address for MAIL FROM */
  char *to;                /* address for RCPT TO; the center's by default */
  GPtrArray *messages;     /* char *: fixture paths as written */
  GPtrArray *message_files;/* char *: the same, resolved to full paths */
} NaccsSimClientSpec;

typedef struct {
  GPtrArray *pass;         /* char * check ids; NULL: every check that
                              applies must pass */
  GPtrArray *fail;         /* char * check ids that must fail; never NULL */
  GArray *spooled;         /* guint 1-based message numbers */
  GArray *not_spooled;     /* guint 1-based message numbers */
  guint give_up_within_ms; /* 0: no bound */
  guint not_before_ms;     /* 0: no bound */
  guint quit_within_ms;    /* 0: no bound on the delay from the last
                              message's 250 to QUIT */
  gboolean has_exit;
  guint exit_status;       /* when has_exit */
} NaccsSimExpectation;

typedef struct {
  char *path;              /* the file as given to the loader */
  char *id;                /* [a-z0-9-]+ */
  char *title_en;
  char *title_ja;
  char *rule;              /* the spec rule, e.g. "figure 4-3-10" */
  GPtrArray *tags;         /* char *, maybe empty */
  NaccsSimClientSpec client;
  NaccsSimCenterSettings center;
  GPtrArray *connections;  /* NaccsSimConnectionSpec *, maybe empty */
  NaccsSimExtraConnections extra_connections;
  NaccsSimExpectation expect;
} NaccsSimScenario;

/* Loads and validates the scenario at @path.  Message fixtures are
 * resolved relative to @fixtures_dir and must exist.  Returns NULL with
 * @error set in NACCS_SIM_SCENARIO_ERROR on any problem. */
NaccsSimScenario *naccs_sim_scenario_load (const char *path,
                                           const char *fixtures_dir,
                                           GError **error);

NaccsSimScenario *naccs_sim_scenario_ref (NaccsSimScenario *scenario);
void naccs_sim_scenario_unref (NaccsSimScenario *scenario);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsSimScenario, naccs_sim_scenario_unref)

/* Returns the title in Japanese when the first language of the current
 * locale is Japanese, else in English. */
const char *naccs_sim_scenario_get_title (const NaccsSimScenario *scenario);

/* Returns the rules that apply to a connection, or NULL when it gets the
 * default center.  @connection_index is 0-based: 0 is the first connection
 * the client opens. */
const NaccsSimConnectionSpec *
naccs_sim_scenario_get_connection (const NaccsSimScenario *scenario,
                                   guint connection_index);

/* Returns a new action for an event, from the first rule that matches it,
 * or NULL when the default center behaviour applies.
 *
 * @connection_index is 0-based.  @verb and @argument are used for
 * NACCS_SIM_TRIGGER_COMMAND only: @verb as the client sent it (compared
 * case-insensitively), @argument the rest of the line after the verb and
 * its spaces, or NULL.  @occurrence is 1-based and counted by the caller
 * within the connection.  For a command it is how many times this verb has
 * been seen, this one included, whatever the argument.  For other triggers
 * it is how many times this trigger has fired, this one included. */
NaccsSimAction *naccs_sim_scenario_match (const NaccsSimScenario *scenario,
                                          guint connection_index,
                                          NaccsSimTrigger trigger,
                                          const char *verb,
                                          const char *argument,
                                          guint occurrence);

/* Returns how long the client must stay silent before idle event number
 * @occurrence (1-based) of a connection fires, from the first idle rule
 * that would match it; 0 means the center's idle timeout applies. */
guint naccs_sim_scenario_idle_ms (const NaccsSimScenario *scenario,
                                  guint connection_index,
                                  guint occurrence);

/* Returns the name used for @trigger in scenario files ("connect",
 * "end-of-message", ...; "command" for commands). */
const char *naccs_sim_trigger_to_string (NaccsSimTrigger trigger);

G_END_DECLS
