/* scenario-private.h: helpers shared by the scenario loader's files.
 *
 * The loader is split by concern:
 *   yaml-tree.c        reads YAML into nodes with positions;
 *   scenario-values.c  turns one node into a typed value or an error;
 *   scenario-rule.c    reads the rules and their actions;
 *   scenario-expect.c  reads the expectation;
 *   scenario.c         reads the rest of the file;
 *   scenario-match.c   picks a rule for an event.
 */
#pragma once

#include "scenario.h"
#include "yaml-tree.h"

G_BEGIN_DECLS

/* The upper bound for every duration in a scenario, so that a typo such
 * as "5000h" is caught instead of stalling a test run for months. */
#define NACCS_SIM_MAX_DURATION_MS (24u * 60u * 60u * 1000u)

typedef struct {
  const char *path;          /* the scenario file, for messages */
  const char *fixtures_dir;  /* message fixtures are resolved here */
} NaccsSimLoadContext;

/* Sets @error to "PATH:LINE:COLUMN: MESSAGE". */
void naccs_sim_scenario_error_at (GError **error,
                                  NaccsSimScenarioError code,
                                  const char *path,
                                  guint line,
                                  guint column,
                                  const char *format,
                                  ...) G_GNUC_PRINTF (6, 7);

/* Same, at @node's position, with code INVALID. */
void naccs_sim_node_error (const NaccsSimLoadContext *ctx,
                           const NaccsYamlNode *node,
                           GError **error,
                           const char *format,
                           ...) G_GNUC_PRINTF (4, 5);

/* Each checker below returns FALSE with @error set when @node is not of
 * the kind it names; @what names the key for the message. */
gboolean naccs_sim_expect_mapping (const NaccsSimLoadContext *ctx,
                                   const NaccsYamlNode *node,
                                   const char *what,
                                   GError **error);
gboolean naccs_sim_expect_sequence (const NaccsSimLoadContext *ctx,
                                    const NaccsYamlNode *node,
                                    const char *what,
                                    GError **error);

/* Rejects any key of @mapping that is not in the NULL-terminated
 * @allowed list, naming the allowed keys. */
gboolean naccs_sim_check_keys (const NaccsSimLoadContext *ctx,
                               const NaccsYamlNode *mapping,
                               const char *const *allowed,
                               GError **error);

/* Rejects @mapping when it lacks @key, pointing at the mapping. */
gboolean naccs_sim_require_key (const NaccsSimLoadContext *ctx,
                                const NaccsYamlNode *mapping,
                                const char *key,
                                GError **error);

/* A non-empty single-line text (no CR or LF). */
gboolean naccs_sim_read_text (const NaccsSimLoadContext *ctx,
                              const NaccsYamlNode *node,
                              const char *what,
                              char **out,
                              GError **error);

/* An identifier made of a-z, 0-9 and "-", 1 to 64 characters. */
gboolean naccs_sim_read_id (const NaccsSimLoadContext *ctx,
                            const NaccsYamlNode *node,
                            const char *what,
                            char **out,
                            GError **error);

/* A mail address or domain: 1 to 255 printable ASCII characters without
 * spaces or angle brackets. */
gboolean naccs_sim_read_address (const NaccsSimLoadContext *ctx,
                                 const NaccsYamlNode *node,
                                 const char *what,
                                 char **out,
                                 GError **error);

/* A decimal whole number from @min to @max. */
gboolean naccs_sim_read_uint (const NaccsSimLoadContext *ctx,
                              const NaccsYamlNode *node,
                              const char *what,
                              guint min,
                              guint max,
                              guint *out,
                              GError **error);

/* "true" or "false". */
gboolean naccs_sim_read_bool (const NaccsSimLoadContext *ctx,
                              const NaccsYamlNode *node,
                              const char *what,
                              gboolean *out,
                              GError **error);

/* A duration with a unit ("500ms", "2s", "1.5m", "1h"), in whole
 * milliseconds from @min_ms to NACCS_SIM_MAX_DURATION_MS. */
gboolean naccs_sim_read_duration (const NaccsSimLoadContext *ctx,
                                  const NaccsYamlNode *node,
                                  const char *what,
                                  guint min_ms,
                                  guint *out_ms,
                                  GError **error);

/* Parses a duration string; returns FALSE with a reason (no position)
 * when it is not one.  Exposed for the tests. */
gboolean naccs_sim_parse_duration (const char *text,
                                   guint *out_ms,
                                   char **out_reason);

/* Expands the escapes of a "raw:" value: \r \n \t \\ and \xHH. */
gboolean naccs_sim_read_raw_bytes (const NaccsSimLoadContext *ctx,
                                   const NaccsYamlNode *node,
                                   char **out,
                                   GError **error);

/* scenario-rule.c */
NaccsSimRule *naccs_sim_rule_read (const NaccsSimLoadContext *ctx,
                                   const NaccsYamlNode *node,
                                   GError **error);
void naccs_sim_rule_free (NaccsSimRule *rule);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsSimRule, naccs_sim_rule_free)

/* scenario-expect.c */
gboolean naccs_sim_expect_read (const NaccsSimLoadContext *ctx,
                                const NaccsYamlNode *node,
                                const NaccsSimClientSpec *client,
                                NaccsSimExpectation *out,
                                GError **error);
void naccs_sim_expect_clear (NaccsSimExpectation *expect);

G_END_DECLS
