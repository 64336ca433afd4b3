/* results.jsonl: one record per finished case, durable as soon as it is
 * written. Rank 0 owns the file. */
#ifndef TCB_RESULTS_H
#define TCB_RESULTS_H

#include "tcb_error.h"

#include <jansson.h>

typedef struct tcb_results tcb_results;

/* Opens DIR/results.jsonl for appending (creating it). *out is freed by
 * tcb_results_close. */
tcb_status tcb_results_open(const char *dir, tcb_results **out);

/* Appends the record as one line in one write(), then fsync()s, so a crash or
 * a SIGKILL at any moment leaves only whole lines. Safe to call from the
 * watchdog thread while the main thread also appends. */
tcb_status tcb_results_append(tcb_results *r, const json_t *record);

void tcb_results_close(tcb_results *r);

/* Writes text to DIR/NAME atomically: a temporary file in DIR, fsync, rename
 * over NAME, fsync DIR. A reader sees the old file or the new one, never a
 * torn one. */
tcb_status tcb_file_write_atomic(const char *dir, const char *name, const char *text);

#endif
