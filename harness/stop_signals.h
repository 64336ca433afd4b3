/* SIGTERM, SIGINT and SIGHUP during a run: the launcher sends SIGTERM to
 * every rank when one of them dies (then SIGKILL a moment later), Slurm when
 * a job is cancelled or out of time, a user Ctrl-C. Rank 0 first writes why
 * into run.json (unfinished.h), then every rank dies of the signal as it
 * would have. A signal handler cannot write JSON safely, so the signals are
 * blocked in every thread and taken by one thread with sigwait. */
#ifndef TCB_STOP_SIGNALS_H
#define TCB_STOP_SIGNALS_H

#include "tcb_error.h"
#include "unfinished.h"

/* Blocks the signals in this thread and so in every thread started after
 * it (MPI's included: call it before MPI starts), and starts the thread that
 * takes them. Until a note is attached it re-raises at once. */
tcb_status tcb_stop_signals_start(void);

/* Where the thread says why (NULL: nowhere). */
void tcb_stop_signals_attach(tcb_unfinished *u);

#endif
