/* The run loop: every case of a suite, one after the other, on every rank. */
#ifndef TCB_RUN_H
#define TCB_RUN_H

#include "energy_meter.h"
#include "facts.h"
#include "results.h"
#include "stats.h"
#include "suite.h"
#include "watchdog.h"
#include "world.h"

#include <stdio.h>

typedef struct {
    const tcb_world *w;
    const char *run_id;
    tcb_results *results;  /* rank 0 only; NULL elsewhere (or to not record) */
    tcb_watchdog *watchdog;
    FILE *table;           /* results tables (rank 0); NULL for none */
    FILE *progress;        /* progress lines (rank 0); NULL for none */
    tcb_facts *facts;      /* what cases leave for later ones (rank 0); may be NULL */
    tcb_energy_meter *energy; /* the window around each case's timed part; NULL: none,
                               * and records get no energy object */
    char table_key[256];   /* the table being printed; a new key starts a new one */
} tcb_run_ctx;

/* Runs one case: setup, untimed warm-up, check, timed iterations, record.
 * Collective over the world. Returns the agreed status of the case (TCB_OK,
 * TCB_ERR_WRONG, TCB_ERR_RUNTIME...), the same on every rank; on rank 0,
 * *check is its index in tcb_check_names, and if stats is not NULL it gets
 * the timing statistics (valid when the case was timed). */
tcb_status tcb_run_case(tcb_run_ctx *ctx, const tcb_case *c, int *check,
                        tcb_stats *stats);

/* Runs every case of suite in order; counts[i] (rank 0) is the number of
 * cases whose check ended as tcb_check_names[i]. Returns the worst status. */
tcb_status tcb_run_suite(tcb_run_ctx *ctx, const tcb_suite *suite, int counts[5]);

#endif
