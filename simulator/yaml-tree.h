/* yaml-tree.h: a small YAML document tree with source positions.
 *
 * The scenario loader reads YAML through libyaml's event API and keeps only
 * what a scenario needs: mappings, sequences and scalars, each with the
 * line and column where it starts, so every later error can point at the
 * exact spot.  Anchors, aliases and tags are rejected while reading, so
 * an alias bomb never expands.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Limits applied while reading; a file beyond them is rejected with a
 * position, before any node is built past the limit. */
#define NACCS_YAML_MAX_FILE_BYTES (1024 * 1024)
#define NACCS_YAML_MAX_DEPTH 32

typedef enum {
  NACCS_YAML_SCALAR,
  NACCS_YAML_SEQUENCE,
  NACCS_YAML_MAPPING,
} NaccsYamlKind;

typedef struct _NaccsYamlNode NaccsYamlNode;

struct _NaccsYamlNode {
  NaccsYamlKind kind;
  guint line;          /* 1-based */
  guint column;        /* 1-based, in characters */
  char *value;         /* SCALAR: the text, UTF-8 */
  gboolean plain;      /* SCALAR: written without quotes or block style */
  GPtrArray *items;    /* SEQUENCE: NaccsYamlNode *;
                          MAPPING: alternating key, value nodes */
};

/* Parses @text (@length bytes, a whole file named @path for messages) into
 * a tree.  An empty document yields a NULL tree with no error.  Errors use
 * NACCS_SIM_SCENARIO_ERROR and read "PATH:LINE:COLUMN: problem; fix". */
gboolean naccs_yaml_parse (const char *path,
                           const char *text,
                           gsize length,
                           NaccsYamlNode **out_root,
                           GError **error);

void naccs_yaml_node_free (NaccsYamlNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsYamlNode, naccs_yaml_node_free)

/* Number of key/value pairs in a MAPPING node. */
guint naccs_yaml_mapping_size (const NaccsYamlNode *mapping);
NaccsYamlNode *naccs_yaml_mapping_key (const NaccsYamlNode *mapping, guint i);
NaccsYamlNode *naccs_yaml_mapping_value (const NaccsYamlNode *mapping,
                                         guint i);
/* Returns the value stored under @key, or NULL. */
NaccsYamlNode *naccs_yaml_mapping_lookup (const NaccsYamlNode *mapping,
                                          const char *key);

/* TRUE for a plain scalar that YAML reads as null: empty, "~" or "null". */
gboolean naccs_yaml_node_is_null (const NaccsYamlNode *node);

G_END_DECLS
