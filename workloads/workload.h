/* Workloads: what is measured. Each workload is one file that fills in one
 * tcb_workload row; workloads/registry.c lists the rows. The run loop
 * (harness/run.c) calls only through the row:
 *
 *   setup -> warm-up (iter, untimed) -> check -> timed iter x iters -> metrics
 *         -> teardown
 *
 * (the energy window: sync, barrier, begin; the timed iterations; sync,
 * barrier, end)
 *
 * Every rank calls every hook; ranks outside a case's scope return at once. */
#ifndef TCB_WORKLOAD_H
#define TCB_WORKLOAD_H

#include "facts.h"
#include "params.h"
#include "stats.h"
#include "suite.h"
#include "tcb_error.h"
#include "world.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

typedef enum {
    TCB_BACKEND_NONE,    /* the workload takes no backend */
    TCB_BACKEND_COMM,    /* names a tcb_comm_backend (mpi, nccl) */
    TCB_BACKEND_COMPUTE, /* names a compute backend (cpu, cuda) */
} tcb_backend_kind;

typedef struct tcb_workload {
    const char *name;
    const char *summary;
    tcb_backend_kind backend_kind;
    const tcb_param_spec *params; /* terminated by a row with name == NULL */

    /* Checks across parameters that the per-value validation cannot see, given
     * the world the case will run in (root < ranks, say). Returns TCB_OK, or
     * TCB_ERR_CONFIG with "what is wrong" (no file position) in d. Optional. */
    tcb_status (*validate)(const tcb_case *c, int world_size, tcb_diag *d);

    /* Allocates and fills what the case needs; *state is the workload's. */
    tcb_status (*setup)(const tcb_world *w, const tcb_case *c, void **state);
    /* Whether the case cannot run as asked (too small a size for the group,
     * say), with the reason in why. A case any rank skips is recorded as
     * "skipped", not measured. Optional. */
    bool (*skip)(void *state, char *why, int n);
    /* One iteration; returns once its work is complete on this rank. */
    tcb_status (*iter)(void *state);
    /* Waits until the device has finished everything this rank queued on
     * it: the energy window opens and closes after it. Optional; NULL for
     * workloads whose iter returns with its work done (the cpu backend). */
    tcb_status (*sync)(void *state);
    /* Why the last iter failed or the check found something wrong, in words
     * for the record's check.detail ("loss is nan at step 7"); rank 0 asks
     * after a failure. Optional; NULL or a hook that writes nothing: a
     * generic detail. */
    void (*failure)(void *state, char *why, int n);
    /* Runs once on freshly initialized data and verifies the output: *wrong is
     * this rank's count of wrong elements. */
    tcb_status (*check)(void *state, long long *wrong);
    /* Adds what the timed iterations came to to the record rec: named
     * metrics with units in the names (tcb_record_metric), and where a
     * workload has them, the source of a figure (tcb_record_source), per-step
     * series (tcb_record_series) and flops_formula. facts holds what earlier
     * cases of the run left, and takes what this one leaves. Rank 0 calls it. */
    void (*metrics)(void *state, const tcb_stats *t, tcb_facts *facts, const tcb_case *c,
                    json_t *rec);
    void (*teardown)(void *state);

    /* Results table on stdout: the header when a table starts, and a row per
     * case. table_key groups cases into one table (same key: same table).
     * table_row gets t == NULL for a case that was not timed (skipped, wrong)
     * and wrong < 0 where nothing was checked. */
    void (*table_key)(const tcb_case *c, char *buf, int n);
    void (*table_header)(FILE *out, const tcb_case *c, void *state);
    void (*table_row)(FILE *out, const tcb_case *c, void *state,
                      const tcb_stats *t, long long wrong);
} tcb_workload;

/* The registry (workloads/registry.c): NULL-terminated lists of what is
 * compiled in, and lookups by name (NULL when absent). */
extern const tcb_workload *const tcb_workloads[];
const tcb_workload *tcb_workload_find(const char *name);

struct tcb_comm_backend;
extern const struct tcb_comm_backend *const tcb_comm_backends[];
const struct tcb_comm_backend *tcb_comm_backend_find(const char *name);

/* Whether a backend of that kind and name is compiled in. */
int tcb_backend_exists(tcb_backend_kind kind, const char *name);
const char *tcb_backend_kind_name(tcb_backend_kind kind);

#endif
