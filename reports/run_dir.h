/* A run directory read whole, as the history database and the regression
 * gate take it: run.json (the manifest) and every record of results.jsonl,
 * each checked to be a tcbench.result/1 record of that run. */
#ifndef TCB_RUN_DIR_H
#define TCB_RUN_DIR_H

#include "tcb_error.h"

#include <jansson.h>
#include <stddef.h>

typedef struct {
    const char *dir;      /* as given; not owned */
    json_t *manifest;     /* run.json */
    const char *run_id;   /* the manifest's; lives as long as it */
    json_t **records;     /* results.jsonl in file order, n of them */
    int n;
    char hash[17];        /* FNV-1a 64 of run.json's and results.jsonl's bytes */
} tcb_run_dir;

/* Reads dir into out. TCB_ERR_CONFIG with one message naming the file (and
 * line) in d: a missing or unreadable file, a line that is not JSON, not a
 * tcbench.result/1 record, or of another run_id. On failure out holds
 * nothing to free. */
tcb_status tcb_run_dir_read(const char *dir, tcb_run_dir *out, tcb_diag *d);
void tcb_run_dir_free(tcb_run_dir *r);

/* The run's node host names, comma-separated, into buf (size bytes; a
 * list that does not fit stops at the last whole name). */
void tcb_run_dir_hosts(const tcb_run_dir *run, char *buf, size_t size);

/* The system a run stands for when none is named: its first node's host
 * name ("unknown" without one). `db import` and `compare` both default to
 * it, so tonight's run meets the nights imported before it. */
const char *tcb_run_dir_system(const tcb_run_dir *run);

/* The identity of a case across runs (nights): workload, backend, ranks,
 * nodes and the parameters with sorted keys, e.g.
 * `collective mpi ranks=2 nodes=1 {"collective":"allreduce",...,"size":1024}`.
 * Two runs' cases with the same key measured the same thing. malloc'd;
 * NULL when out of memory. */
char *tcb_case_key(json_t *record);

/* The same identity for people to read and for references files to match:
 * `collective mpi ranks=2 nodes=1 collective=allreduce ... size=1024`, the
 * parameters with sorted keys as key=value, text values unquoted. malloc'd;
 * NULL when out of memory. */
char *tcb_case_label(json_t *record);

#endif
