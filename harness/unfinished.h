/* Why a run ended before it finished, in run.json (`unfinished_why`). The
 * manifest is written with a reason that holds until a better one is known
 * (rank 0 killed outright cannot say more); the watchdog and the stop-signal
 * thread replace it as the run is ended, and a run that finishes removes it.
 * Several threads may say why: the first one wins, and none writes run.json
 * once the run has finished normally. */
#ifndef TCB_UNFINISHED_H
#define TCB_UNFINISHED_H

#include <jansson.h>

typedef struct tcb_unfinished tcb_unfinished;

/* What run.json says while the run goes on, and after it was killed. */
#define TCB_UNFINISHED_DEFAULT                                                                  \
    "not finished: still running, or ended without a word (rank 0 killed by SIGKILL, its node " \
    "lost, or the machine down)"

/* Rank 0: manifest is the document written to dir/run.json (borrowed until
 * tcb_unfinished_end). Other ranks: pass NULL; saying does nothing there.
 * NULL when out of memory (every call takes NULL). */
tcb_unfinished *tcb_unfinished_new(json_t *manifest, const char *dir);

/* The case running now (-1: between cases), for the reasons below. Called
 * by the watchdog, which knows. */
void tcb_unfinished_case(tcb_unfinished *u, int case_index);
int tcb_unfinished_current_case(const tcb_unfinished *u);

/* The run is ending early, for this reason (printf format): rank 0 sets
 * unfinished_why and rewrites run.json. Safe from any thread. */
void tcb_unfinished_say(tcb_unfinished *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The run ended through its normal path: nothing more is said, and the
 * caller may finish and write the manifest. Waits for a say in progress. */
void tcb_unfinished_end(tcb_unfinished *u);
void tcb_unfinished_free(tcb_unfinished *u);

#endif
