#include "watchdog.h"
#include "record.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef TCB_HAVE_MPI
#include <mpi.h>
#endif

struct tcb_watchdog {
    const tcb_world *w;
    tcb_results *results;
    tcb_unfinished *note;
    pthread_t thread;
    bool has_thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;     /* signalled on arm, disarm and stop */
    bool armed, stop;
    struct timespec deadline; /* CLOCK_MONOTONIC */
    int case_index;
    double timeout_s;
    bool self_done;          /* rank 0 finished its part of the armed case */
    json_t *record;          /* the timeout record of the armed case */
};

#ifdef TCB_HAVE_MPI
/* MPI guarantees tags up to 32767. */
static int done_tag(int case_index) { return case_index % 32767; }
#endif

/* Ranks that had not sent their done message for the armed case, as a JSON
 * array, or null when MPI cannot be probed from this thread. */
static json_t *unfinished_ranks(tcb_watchdog *wd)
{
    const tcb_world *w = wd->w;
    if (!w->multiple_threads && w->size > 1)
        return json_null();
    bool *done = calloc((size_t)w->size, sizeof *done);
    if (done == NULL)
        return json_null();
    done[0] = wd->self_done;
#ifdef TCB_HAVE_MPI
    for (;;) {
        int found = 0, payload = 0;
        MPI_Message msg;
        MPI_Status st;
        if (MPI_Improbe(MPI_ANY_SOURCE, done_tag(wd->case_index), w->watchdog_comm,
                        &found, &msg, &st) != MPI_SUCCESS || !found)
            break;
        MPI_Mrecv(&payload, 1, MPI_INT, &msg, MPI_STATUS_IGNORE);
        if (payload == wd->case_index && st.MPI_SOURCE < w->size)
            done[st.MPI_SOURCE] = true;
    }
#endif
    json_t *ranks = json_array();
    for (int r = 0; r < w->size; r++)
        if (!done[r])
            json_array_append_new(ranks, json_integer(r));
    free(done);
    return ranks;
}

/* Called with the lock held; does not return. */
static void fire(tcb_watchdog *wd)
{
    json_t *ranks = unfinished_ranks(wd);
    char list[512] = "unknown (MPI without MPI_THREAD_MULTIPLE)";
    if (json_is_array(ranks)) {
        size_t i, off = 0;
        json_t *r;
        list[0] = '\0';
        json_array_foreach(ranks, i, r) {
            if (off < sizeof list - 16)
                off += (size_t)snprintf(list + off, sizeof list - off, "%s%lld",
                                        i ? "," : "", (long long)json_integer_value(r));
        }
    }
    if (json_is_array(ranks) && json_array_size(ranks) == 0)
        snprintf(list, sizeof list, "none (a rank is stuck in the case's closing agreements)");
    char detail[768];
    snprintf(detail, sizeof detail,
             "case %d exceeded timeout_s=%g; ranks that had not finished: %s%s",
             wd->case_index, wd->timeout_s, list,
             wd->record == NULL ? "; the case's own record was already written" : "");
    tcb_log_error("%s; aborting the job", detail);
    if (wd->record != NULL) {
        tcb_record_set_check(wd->record, "timeout", -1, detail);
        json_object_set(json_object_get(wd->record, "check"), "unfinished_ranks", ranks);
        tcb_results_append(wd->results, wd->record);
    }
    json_decref(ranks);
    tcb_unfinished_say(wd->note, "%s; the watchdog aborted the job", detail);
    tcb_world_abort(wd->w, TCB_ERR_RUNTIME);
}

static void *watch(void *arg)
{
    tcb_watchdog *wd = arg;
    pthread_mutex_lock(&wd->lock);
    while (!wd->stop) {
        if (!wd->armed) {
            pthread_cond_wait(&wd->cond, &wd->lock);
            continue;
        }
        int rc = pthread_cond_timedwait(&wd->cond, &wd->lock, &wd->deadline);
        if (rc == ETIMEDOUT && wd->armed && !wd->stop)
            fire(wd);
    }
    pthread_mutex_unlock(&wd->lock);
    return NULL;
}

tcb_status tcb_watchdog_start(tcb_watchdog **out, const tcb_world *w, tcb_results *results,
                              tcb_unfinished *note)
{
    tcb_watchdog *wd = calloc(1, sizeof *wd);
    TCB_ALLOC_CHECK(wd);
    wd->w = w;
    wd->results = results;
    wd->note = note;
    pthread_mutex_init(&wd->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wd->cond, &attr);
    pthread_condattr_destroy(&attr);
    *out = wd;
    if (w->rank != 0)
        return TCB_OK;
    if (pthread_create(&wd->thread, NULL, watch, wd) != 0)
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "pthread_create",
                               "cannot start the watchdog");
    wd->has_thread = true;
    return TCB_OK;
}

void tcb_watchdog_arm(tcb_watchdog *wd, const tcb_case *c, json_t *record)
{
    if (wd->w->rank != 0) {
        json_decref(record);
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double whole = (double)(long long)c->timeout_s;
    pthread_mutex_lock(&wd->lock);
    wd->deadline.tv_sec = now.tv_sec + (time_t)whole;
    wd->deadline.tv_nsec = now.tv_nsec + (long)((c->timeout_s - whole) * 1e9);
    if (wd->deadline.tv_nsec >= 1000000000L) {
        wd->deadline.tv_sec++;
        wd->deadline.tv_nsec -= 1000000000L;
    }
    wd->case_index = c->index;
    tcb_unfinished_case(wd->note, c->index);
    wd->timeout_s = c->timeout_s;
    wd->self_done = false;
    json_decref(wd->record);
    wd->record = record;
    wd->armed = true;
    pthread_cond_signal(&wd->cond);
    pthread_mutex_unlock(&wd->lock);
}

void tcb_watchdog_rank_done(tcb_watchdog *wd, const tcb_case *c)
{
    if (wd->w->rank == 0) {
        pthread_mutex_lock(&wd->lock);
        wd->self_done = true;
        pthread_mutex_unlock(&wd->lock);
        return;
    }
#ifdef TCB_HAVE_MPI
    int payload = c->index;
    MPI_Send(&payload, 1, MPI_INT, 0, done_tag(c->index), wd->w->watchdog_comm);
#else
    (void)c;
#endif
}

void tcb_watchdog_recorded(tcb_watchdog *wd)
{
    pthread_mutex_lock(&wd->lock);
    json_decref(wd->record);
    wd->record = NULL;
    pthread_mutex_unlock(&wd->lock);
}

void tcb_watchdog_disarm(tcb_watchdog *wd, const tcb_case *c)
{
    if (wd->w->rank != 0)
        return;
    pthread_mutex_lock(&wd->lock);
    wd->armed = false;
    tcb_unfinished_case(wd->note, -1);
    json_decref(wd->record);
    wd->record = NULL;
    pthread_cond_signal(&wd->cond);
    pthread_mutex_unlock(&wd->lock);
#ifdef TCB_HAVE_MPI
    /* Every other rank sent one done message before the agreement that ended
     * the case, so these receives complete without waiting. */
    for (int i = 1; i < wd->w->size; i++) {
        int payload;
        MPI_Recv(&payload, 1, MPI_INT, MPI_ANY_SOURCE, done_tag(c->index),
                 wd->w->watchdog_comm, MPI_STATUS_IGNORE);
    }
#else
    (void)c;
#endif
}

void tcb_watchdog_stop(tcb_watchdog *wd)
{
    if (wd == NULL)
        return;
    if (wd->has_thread) {
        pthread_mutex_lock(&wd->lock);
        wd->stop = true;
        pthread_cond_signal(&wd->cond);
        pthread_mutex_unlock(&wd->lock);
        pthread_join(wd->thread, NULL);
    }
    json_decref(wd->record);
    pthread_cond_destroy(&wd->cond);
    pthread_mutex_destroy(&wd->lock);
    free(wd);
}
