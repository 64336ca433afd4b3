/* Progress on stderr, from rank 0: case i of N, its parameters, an ETA.
 * On a terminal one live line is rewritten in place; otherwise (CI logs,
 * files) one plain line per case. */
#ifndef TCB_PROGRESS_H
#define TCB_PROGRESS_H

#include "suite.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct {
    FILE *out;
    bool live;       /* out is a terminal */
    int total, done;
    double start;    /* tcb_now() when the first case started */
} tcb_progress;

void tcb_progress_start(tcb_progress *p, FILE *out, int total);
/* Before case c runs. */
void tcb_progress_case(tcb_progress *p, const tcb_case *c);
/* After case c ran, with its check status. */
void tcb_progress_done(tcb_progress *p, const tcb_case *c, const char *status);
/* Ends the live line. */
void tcb_progress_finish(tcb_progress *p);

#endif
