#include "stop_signals.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>

/* The note is used under the lock, so tcb_stop_signals_attach(NULL) returns
 * only once the thread is done with the old one, which may then be freed. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static tcb_unfinished *note;

static void stop_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

static void *take_signals(void *arg)
{
    (void)arg;
    sigset_t set;
    stop_set(&set);
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    pthread_mutex_lock(&lock);
    tcb_unfinished *u = note;
    int c = tcb_unfinished_current_case(u);
    char during[48] = "between cases";
    if (c >= 0)
        snprintf(during, sizeof during, "during case %d", c);
    tcb_unfinished_say(u,
                       "stopped by SIG%s %s: the launcher sends SIGTERM to every rank when one "
                       "rank dies or the job is cancelled (its own message says which), "
                       "SIGINT is an interrupt",
                       sig == SIGTERM ? "TERM" : sig == SIGINT ? "INT" : "HUP", during);
    pthread_mutex_unlock(&lock);
    /* Die of the signal, as without this thread: the launcher and the shell
     * see the same status. */
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    return NULL;
}

tcb_status tcb_stop_signals_start(void)
{
    sigset_t set;
    stop_set(&set);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "pthread_sigmask",
                               "cannot block the stop signals");
    pthread_t t;
    if (pthread_create(&t, NULL, take_signals, NULL) != 0) {
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "pthread_create",
                               "cannot start the stop-signal thread");
    }
    pthread_detach(t);
    return TCB_OK;
}

void tcb_stop_signals_attach(tcb_unfinished *u)
{
    pthread_mutex_lock(&lock);
    note = u;
    pthread_mutex_unlock(&lock);
}
