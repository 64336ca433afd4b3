/* Tolerances of the regression gate: how far a metric may move from its
 * baseline before the gate asks whether the move is real.
 *
 * A references file lists, per system, rules in the style of per-system
 * reference bounds (ReFrame's `reference` tables): a case pattern, a metric
 * pattern and the lowest and highest relative change allowed.
 *
 *   default_tolerance: 5%        # any case and metric no rule matches: -5% .. +5%
 *   systems:
 *     dgx-a:                     # rules for the system of that name
 *       - case: "collective * size=1073741824*"
 *         metric: busbw_GBps
 *         lower: -3%             # a fall of more than 3% is beyond tolerance
 *         upper: none            # no rise is
 *     "*":                       # rules for every system, after its own
 *       - case: "collective *"
 *         lower: -10%
 *
 * Patterns are fnmatch(3) globs on the case label (tcb_case_label) and the
 * metric name. The first rule that matches wins: the system's own rules in
 * file order, then those of "*". A rule leaves out `lower` or `upper` to take
 * the default on that side. docs/nightly.md has the format. */
#ifndef TCB_REFERENCES_H
#define TCB_REFERENCES_H

#include "tcb_error.h"

#include <stdbool.h>

#define TCB_REF_DEFAULT_TOLERANCE 0.05

typedef struct {
    char system[128]; /* "*": every system */
    char case_glob[512];
    char metric_glob[64];
    double lower; /* <= 0; -INFINITY: no bound */
    double upper; /* >= 0; INFINITY: no bound */
    int line;     /* where the rule starts in its file, for messages */
} tcb_ref_rule;

typedef struct {
    char path[1024]; /* "" when built in (no file) */
    double default_tolerance;
    tcb_ref_rule *rules;
    int n;
} tcb_references;

/* Defaults only: every change beyond +-TCB_REF_DEFAULT_TOLERANCE. */
void tcb_references_default(tcb_references *r);

/* Reads a references file. TCB_ERR_CONFIG with "FILE:LINE:COLUMN: what" in
 * d for anything wrong; out then holds nothing to free. */
tcb_status tcb_references_load(const char *path, tcb_references *out, tcb_diag *d);
void tcb_references_free(tcb_references *r);

/* The bounds for a metric of a case on a system: the first matching rule's,
 * else +-default_tolerance. *rule_line is the rule's line (0: the default). */
void tcb_references_bounds(const tcb_references *r, const char *system, const char *case_label,
                           const char *metric, double *lower, double *upper, int *rule_line);

#endif
