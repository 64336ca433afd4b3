/* The libyaml helpers every YAML reader of tcbench shares: the suite loader,
 * the model zoo and the hardware catalog read their files the same way and
 * word their errors the same way, "FILE:LINE:COLUMN: what is wrong", with
 * positions from libyaml's marks (0-based there, 1-based here).
 *
 * A reader loads one document with tcb_yaml_read_file and tcb_yaml_load,
 * then walks it with the lookups below; every error goes into the caller's
 * tcb_diag and the function returns its status (tcb_error.h). */
#ifndef TCB_YAML_DOC_H
#define TCB_YAML_DOC_H

#include "tcb_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

/* Where YAML came from, for "NAME:LINE:COLUMN: message". */
typedef struct {
    const char *name;      /* the file's path, or "--set KEY=VALUE" */
    int column_offset;     /* added to columns of line 1 (--set: the "KEY=") */
    yaml_document_t *doc;  /* the caller's storage; tcb_yaml_load fills it */
    /* How a repeated key is reported by tcb_yaml_check_map: false points at
     * the first one, "(first given at line L, column C)"; true names the
     * mapping instead, "in WHAT" (the hardware catalog's wording). */
    bool duplicate_names_map;
} tcb_yaml_src;

/* Reads the whole file at path into *text (NUL-terminated; the caller frees
 * it with free()) and its length, without the NUL, into *len. Reads in
 * chunks, so a pipe or /dev/stdin works too. On failure *err (when not NULL)
 * holds the errno that caused it (0 for out of memory), so a caller can tell
 * "no such file" apart; d says "PATH: cannot read: REASON". */
tcb_status tcb_yaml_read_file(const char *path, char **text, size_t *len, int *err,
                              tcb_diag *d);

/* Parses text (len bytes, one YAML document) into *src->doc. what names the
 * document in the "WHAT is one YAML document; remove this second one" error
 * ("a suite"). On success the caller deletes the document with
 * yaml_document_delete; on failure there is nothing to delete. */
tcb_status tcb_yaml_load(const tcb_yaml_src *src, const char *what, const char *text,
                         size_t len, tcb_diag *d);

/* tcb_yaml_read_file of src->name, then tcb_yaml_load of its text: what
 * every reader of a YAML file does first. *err as tcb_yaml_read_file's (may
 * be NULL). On success the caller deletes src->doc with yaml_document_delete. */
tcb_status tcb_yaml_load_file(const tcb_yaml_src *src, const char *what, int *err, tcb_diag *d);

/* Formats "NAME:LINE:COLUMN: message" for node (line 1, column 1 when node is
 * NULL) into d and returns TCB_ERR_CONFIG. */
tcb_status tcb_yaml_error(tcb_diag *d, const tcb_yaml_src *src, const yaml_node_t *node,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "a single value", "a list", "a mapping": for "got ..." in messages. The
 * string is static. */
const char *tcb_yaml_node_kind(const yaml_node_t *node);

/* The text of a scalar node; it belongs to the document. */
const char *tcb_yaml_scalar(const yaml_node_t *node);

/* The value node of key in mapping map, or NULL; it belongs to the document. */
yaml_node_t *tcb_yaml_map_get(const tcb_yaml_src *src, yaml_node_t *map, const char *key);

/* The key node of key in mapping map (for errors at the key), or NULL; it
 * belongs to the document. */
yaml_node_t *tcb_yaml_map_key(const tcb_yaml_src *src, yaml_node_t *map, const char *key);

/* Checks that node is a mapping whose keys are distinct scalars and, when
 * allowed is not NULL, each one of allowed (NULL-terminated; the message
 * lists them). what names the mapping in messages ("the suite", "a range"). */
tcb_status tcb_yaml_check_map(const tcb_yaml_src *src, yaml_node_t *node, const char *what,
                              const char *const *allowed, tcb_diag *d);

/* Checks that v, the value of `sources: {key: v}`, is a citation: a
 * non-empty scalar of at most max characters. TCB_ERR_CONFIG at v otherwise. */
tcb_status tcb_yaml_citation(const tcb_yaml_src *src, const yaml_node_t *v, const char *key,
                             size_t max, tcb_diag *d);

/* Appends word to the ", "-separated list in buf (n bytes, NUL-terminated);
 * a list that does not fit ends in ", ..." (or "..." when even that does
 * not fit), so a message never cuts a name in half. */
void tcb_yaml_list_append(char *buf, size_t n, const char *word);

/* words (NULL-terminated, may be NULL) as a ", "-separated list in buf (n
 * bytes); returns buf, for use as a printf argument. */
const char *tcb_yaml_join(const char *const *words, char *buf, size_t n);

#endif
