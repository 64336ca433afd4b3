/* Suites: a YAML file of cases, loaded, validated and expanded into the flat
 * list of cases the run loop executes.
 *
 *   name: smoke
 *   defaults: {warmup: 2, iters: 10, timeout_s: 60}
 *   cases:
 *     - workload: collective
 *       backend: mpi
 *       params:
 *         collective: [allreduce, allgather]
 *         size: {from: 8, to: 1MiB, factor: 4}
 *
 * docs/suites.md is the user's reference of this format.
 */
#ifndef TCB_SUITE_H
#define TCB_SUITE_H

#include "params.h"
#include "tcb_error.h"

#include <stdbool.h>

struct tcb_workload;

/* One expanded case: a workload, its backend and one value per parameter. */
typedef struct {
    int index;                           /* 0-based position in the suite */
    const struct tcb_workload *workload;
    const char *backend;                 /* registry name; "" if the workload takes none */
    int warmup;                          /* untimed iterations */
    int iters;                           /* timed iterations, >= 1 */
    double timeout_s;                    /* deadline of the whole case, > 0 */
    tcb_params params;
    int source_line, source_column;      /* 1-based position of the case's entry */
} tcb_case;

#define TCB_SUITE_MAX_ENERGY 8

typedef struct {
    char *path;          /* as given on the command line */
    char *name;          /* the suite's `name:` */
    char *text;          /* the file's bytes, NUL-terminated (for hashing) */
    long text_len;
    tcb_case *cases;
    int ncases;
    /* `energy:` the energy backends every rank opens (docs/energy.md): every
     * one that works here (auto, the default), or exactly the listed ones.
     * The names are the registry's own strings. */
    bool energy_auto;
    int nenergy;
    const char *energy[TCB_SUITE_MAX_ENERGY];
} tcb_suite;

/* Reads, validates and expands the suite at path, then applies the overrides
 * (each "KEY=VALUE" from --set; nsets may be 0). KEY is warmup, iters or
 * timeout_s (overriding every case), energy (the suite's `energy:`) or the
 * name of a parameter (overriding it in
 * every case whose workload declares it; a KEY no case declares is an error).
 * VALUE is YAML, so lists and ranges work there too.
 *
 * On success fills *suite (free it with tcb_suite_free). On failure returns
 * TCB_ERR_CONFIG (bad or unreadable suite, bad override; a usage error) or
 * TCB_ERR_RUNTIME (out of memory) with one message in *diag of the form
 * "FILE:LINE:COLUMN: what is wrong", and *suite holds nothing to free.
 * Prints nothing. */
tcb_status tcb_suite_load(const char *path, const char *const *sets, int nsets,
                          tcb_suite *suite, tcb_diag *diag);

/* Frees everything tcb_suite_load allocated in suite. NULL-safe. */
void tcb_suite_free(tcb_suite *suite);

/* FNV-1a 64-bit hash of the suite's bytes, as 16 hex digits, into out[17]. */
void tcb_suite_hash(const tcb_suite *suite, char out[17]);

/* FNV-1a 64 of what the run will do: the file's text and every case as it
 * expanded, --set values applied (workload, backend, parameters, warmup,
 * iters, timeout). Ranks compare it before measuring: one rank with a stale
 * file or another --set would run other cases and hang the collectives. */
void tcb_suite_plan_hash(const tcb_suite *suite, char out[17]);

/* "collective=allreduce size=1MiB dtype=float32 ..." for progress lines and
 * --dry-run; writes at most n bytes into buf and returns buf. */
char *tcb_case_describe(const tcb_case *c, char *buf, int n);

#endif
