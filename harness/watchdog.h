/* The watchdog: every case has a deadline (timeout_s). Past it, rank 0
 * writes a `timeout` record naming the case and the ranks that had not
 * finished it, and aborts the job with exit status 3. A nightly run never
 * hangs, whichever rank is stuck and wherever.
 *
 * Rank 0 runs a thread that sleeps until the deadline of the armed case. The
 * other ranks tell rank 0 when they finish a case with a small message on the
 * watchdog communicator; when the deadline passes, the thread collects those
 * messages (MPI_THREAD_MULTIPLE lets it while the main thread is blocked in a
 * collective) to name the ranks that had not finished. */
#ifndef TCB_WATCHDOG_H
#define TCB_WATCHDOG_H

#include "results.h"
#include "suite.h"
#include "unfinished.h"
#include "world.h"

#include <jansson.h>

typedef struct tcb_watchdog tcb_watchdog;

/* On every rank; rank 0 starts the thread, writes timeout records to
 * results and says in run.json why the run ended (note; may be NULL). Free
 * with tcb_watchdog_stop. */
tcb_status tcb_watchdog_start(tcb_watchdog **out, const tcb_world *w, tcb_results *results,
                              tcb_unfinished *note);

/* Rank 0: case c starts now; record is what to write if it times out (the
 * watchdog fills in its check and takes the reference). Other ranks: no-op
 * (pass NULL). */
void tcb_watchdog_arm(tcb_watchdog *wd, const tcb_case *c, json_t *record);

/* Every rank, once per case, when its part of the case is done. */
void tcb_watchdog_rank_done(tcb_watchdog *wd, const tcb_case *c);

/* Rank 0: the case's own record is written, so a timeout from here on
 * writes none (it still aborts the job and says why in run.json). */
void tcb_watchdog_recorded(tcb_watchdog *wd);

/* Rank 0, after the case's last collective: cancels the deadline and
 * collects the other ranks' done messages. */
void tcb_watchdog_disarm(tcb_watchdog *wd, const tcb_case *c);

void tcb_watchdog_stop(tcb_watchdog *wd);

#endif
