/* The nightly regression gate: tonight's records against the baseline's.
 *
 * Cases are matched by their key (tcb_case_key): the same workload, backend,
 * world and parameters. For each judged metric (directions.h) of a matched
 * case the gate takes the change
 *
 *   change = (current - baseline) / |baseline|
 *
 * where current is tonight's value and baseline the median of the value
 * over the baseline runs, and the bounds (lower, upper) the references give
 * (references.h). A change outside them on the worse side is a regression
 * only when a significance test on the per-iteration times (samples_s;
 * tonight's against the baseline runs' pooled) also says tonight is slower
 * at level alpha: every judged metric is a function of the iteration time,
 * so one test per case serves them all. Outside on the better side and
 * significant is an improvement; outside but not significant is noise.
 * docs/nightly.md has the rules with their reasons. */
#ifndef TCB_COMPARE_H
#define TCB_COMPARE_H

#include "gate.h"
#include "references.h"
#include "tcb_error.h"

#include <jansson.h>
#include <stdbool.h>

typedef enum { TCB_TEST_MANN_WHITNEY, TCB_TEST_WELCH } tcb_compare_test;

typedef struct {
    const tcb_references *refs; /* NULL: the default tolerance */
    const char *system;         /* picks the references' rules */
    tcb_compare_test test;
    double alpha; /* in (0, 1) */
} tcb_compare_opts;

/* "mann-whitney", "welch". */
const char *tcb_compare_test_name(tcb_compare_test t);

/* Fills out->items, out->n, out->test and out->alpha (the caller sets the
 * report's other fields) from tonight's records (current, in run order) and
 * the baseline runs' records (baseline, any order; several runs' records of
 * one case are pooled). Items come in tonight's case order, each case's
 * metrics in the order of tcb_directions, then the cases only the baseline
 * has. A record whose check is not ok gives one item for the metric "check":
 * failed (wrong, error, timeout), or for a skipped case missing (the
 * baseline measured it) or new. Free the items with tcb_compare_free.
 * TCB_ERR_RUNTIME when memory runs out. */
tcb_status tcb_compare(json_t *const *current, int n_current, json_t *const *baseline,
                       int n_baseline, const tcb_compare_opts *o, tcb_gate_report *out,
                       tcb_diag *d);
void tcb_compare_free(tcb_gate_report *r);

#endif
