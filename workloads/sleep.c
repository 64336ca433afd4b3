/* Workload "sleep": ranks idle for a set time. It measures the harness's own
 * floor (barrier plus timer) and gives the watchdog and progress reporting a
 * case of known length: `rank` makes one rank the straggler. */
#include "record.h"
#include "workload.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

static const tcb_param_spec sleep_params[] = {
    {"seconds", TCB_PARAM_FLOAT, "0.01", 0, NULL, "time each iteration sleeps"},
    {"rank", TCB_PARAM_INT, "-1", -1, NULL, "-1: every rank sleeps; else only this rank"},
    {NULL, 0, NULL, 0, NULL, NULL},
};

typedef struct {
    double seconds; /* 0 on ranks that do not sleep */
} sleep_state;

static tcb_status sleep_validate(const tcb_case *c, int world_size, tcb_diag *d)
{
    long long rank = tcb_params_int(&c->params, "rank");
    if (rank >= world_size)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "rank %lld is not a rank: the run has %d",
                            rank, world_size);
    return TCB_OK;
}

static tcb_status sleep_setup(const tcb_world *w, const tcb_case *c, void **state)
{
    sleep_state *s = calloc(1, sizeof *s);
    TCB_ALLOC_CHECK(s);
    long long rank = tcb_params_int(&c->params, "rank");
    s->seconds = (rank < 0 || rank == w->rank) ? tcb_params_float(&c->params, "seconds")
                                               : 0;
    *state = s;
    return TCB_OK;
}

static tcb_status sleep_iter(void *state)
{
    const sleep_state *s = state;
    if (s->seconds <= 0)
        return TCB_OK;
    struct timespec left = {(time_t)s->seconds,
                            (long)((s->seconds - (double)(time_t)s->seconds) * 1e9)};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ; /* a signal does not shorten the sleep */
    return TCB_OK;
}

static tcb_status sleep_check(void *state, long long *wrong)
{
    (void)state;
    *wrong = 0; /* nothing computed, nothing to be wrong */
    return TCB_OK;
}

static void sleep_metrics(void *state, const tcb_stats *t, tcb_facts *facts,
                          const tcb_case *c, json_t *rec)
{
    (void)facts;
    (void)c;
    const sleep_state *s = state;
    /* How far the measured time lies above the asked one: the harness floor. */
    tcb_record_metric(rec, "overhead_us", (t->median - s->seconds) * 1e6);
}

static void sleep_table_key(const tcb_case *c, char *buf, int n)
{
    (void)c;
    snprintf(buf, (size_t)n, "sleep");
}

static void sleep_table_header(FILE *out, const tcb_case *c, void *state)
{
    (void)c;
    (void)state;
    fprintf(out, "\n# sleep\n#%11s %6s %12s %12s\n", "seconds", "rank", "median(s)",
            "overhead(us)");
}

static void sleep_table_row(FILE *out, const tcb_case *c, void *state,
                            const tcb_stats *t, long long wrong)
{
    (void)state;
    (void)wrong;
    double asked = tcb_params_float(&c->params, "seconds");
    if (t == NULL) {
        fprintf(out, " %11.4f %6lld %12s %12s\n", asked, tcb_params_int(&c->params, "rank"),
                "-", "-");
        return;
    }
    fprintf(out, " %11.4f %6lld %12.6f %12.1f\n", asked, tcb_params_int(&c->params, "rank"),
            t->median, (t->median - asked) * 1e6);
}

const tcb_workload tcb_workload_sleep = {
    .name = "sleep",
    .summary = "ranks idle for a set time: the harness floor, a straggler for the watchdog",
    .backend_kind = TCB_BACKEND_NONE,
    .params = sleep_params,
    .validate = sleep_validate,
    .setup = sleep_setup,
    .iter = sleep_iter,
    .check = sleep_check,
    .metrics = sleep_metrics,
    .teardown = free,
    .table_key = sleep_table_key,
    .table_header = sleep_table_header,
    .table_row = sleep_table_row,
};
