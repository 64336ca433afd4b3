/* What suite.c (reading, validation, --set) and suite_expand.c (parameter
 * values, ranges, the cross product) share. Private to those two files. */
#ifndef TCB_SUITE_INTERNAL_H
#define TCB_SUITE_INTERNAL_H

#include "params.h"
#include "suite.h"
#include "tcb_error.h"
#include "yaml_doc.h"

#include <stdbool.h>

/* No suite may expand to more cases than this: a typo such as factor 1.0001
 * would otherwise allocate until the node falls over. */
#define TCB_SUITE_MAX_CASES 1000000

/* The values one parameter takes in one entry: one for a scalar, one per
 * item of a list, one per member of a range. */
typedef struct {
    tcb_param *values; /* malloc'd; suite.c frees it with its entry */
    int count;
} tcb_suite_values;

/* One entry of `cases:` before expansion. */
typedef struct {
    const struct tcb_workload *workload;
    char *backend;             /* malloc'd; NULL when the workload takes none */
    int warmup, iters;
    double timeout_s;
    int nparams;               /* rows of workload->params */
    tcb_suite_values *params;  /* nparams, in spec order; count 0: not given */
    int line, column;          /* 1-based position of the entry */
} tcb_suite_entry;

/* Parses node (a scalar, a list of scalars or a range mapping) as values of
 * spec into *out, validating each one. On success out->values is malloc'd and
 * the caller frees it; on failure *out is empty and d says why. */
tcb_status tcb_suite_values_parse(const tcb_yaml_src *src, yaml_node_t *node,
                                  const tcb_param_spec *spec,
                                  tcb_suite_values *out, tcb_diag *d);

/* Gives every parameter an entry did not set its spec's default; a required
 * one (def == NULL) missing is an error at the entry's position. */
tcb_status tcb_suite_fill_defaults(const char *path, tcb_suite_entry *entries, int n,
                                   tcb_diag *d);

/* Expands entries (every parameter filled) into suite->cases and
 * suite->ncases, entries in order, the last parameter of the spec varying
 * fastest. path names the file in the too-many-cases message. suite->cases
 * is one allocation (cases, then their parameter items, then the backend
 * names) that tcb_suite_free releases with free(). */
tcb_status tcb_suite_expand(const char *path, const tcb_suite_entry *entries,
                            int nentries, tcb_suite *suite, tcb_diag *d);

#endif
