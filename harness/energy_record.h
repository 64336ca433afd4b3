/* The record's `energy` object and energy metrics, from the readings of one
 * window gathered at rank 0. Separate from the meter so it can be tested
 * without MPI. docs/results-schema.md documents the fields. */
#ifndef TCB_ENERGY_RECORD_H
#define TCB_ENERGY_RECORD_H

#include "energy.h"

#include <jansson.h>

/* A reading as rank 0 sees it: which rank (on which node) read it, and with
 * which backend. */
typedef struct {
    int rank, node;
    char backend[16];
    tcb_energy_reading r;
} tcb_energy_entry;

/* Sets rec["energy"] from the n readings of one window. window_s is the
 * longest window of any rank; iters the timed iterations it spans. tried
 * (borrowed; may be NULL) is the meter's record of what it tried.
 *
 * Valid readings are summed into joules, split by scope; their sum over the
 * window is avg_watts. Where the record's metrics give the work of one
 * iteration over all ranks (iter_tokens, iter_flops), joules_per_token and
 * gflop_per_joule follow. With every reading valid, metrics joules,
 * avg_watts, joules_per_token and gflop_per_joule are set too, with their
 * sources; with any invalid, the object says complete: false and why, and
 * no metric is set from a partial sum. No valid reading at all: measured
 * false. */
void tcb_energy_record_set(json_t *rec, const tcb_energy_entry *e, int n, double window_s,
                           int iters, const json_t *tried);

/* rec["energy"] = {"measured": false, "why": why, "tried": tried}. */
void tcb_energy_record_unmeasured(json_t *rec, const char *why, const json_t *tried);

#endif
