#include "run.h"
#include "deadline.h"
#include "manifest.h"
#include "progress.h"
#include "record.h"
#include "timer.h"
#include "workload.h"

#include <stdlib.h>
#include <string.h>

enum { CHECK_OK, CHECK_WRONG, CHECK_TIMEOUT, CHECK_ERROR, CHECK_SKIPPED };

/* What one case came to on this rank, and what rank 0 reports of it. */
typedef struct {
    tcb_status status;   /* this rank's; agreed across ranks at each step */
    int check;           /* CHECK_* */
    long long wrong;     /* summed over ranks; -1 when not checked */
    char detail[256];
    double *samples;     /* iters seconds, this rank's */
    bool window_open;    /* the energy window is open (on every rank alike) */
    bool timed;
} case_outcome;

/* The timed part: a barrier before each iteration so every rank starts
 * together, then the iteration on this rank's clock. Nothing else in here. */
static tcb_status time_iterations(const tcb_world *w, const tcb_workload *wl, void *state,
                                  int iters, double *samples)
{
    for (int k = 0; k < iters; k++) {
        TCB_CHECK(tcb_world_barrier(w));
        double t0 = tcb_now();
        tcb_status s = wl->iter(state);
        samples[k] = tcb_now() - t0;
        TCB_CHECK(s);
    }
    return TCB_OK;
}

/* What the energy window opens and closes after: this rank's device idle
 * (and, by the agreement that follows, every rank there), so a node's
 * counters see the whole job's work. A rank that failed does not wait on its
 * device. */
static tcb_status settle(const tcb_workload *wl, void *state, tcb_status mine)
{
    if (mine != TCB_OK || wl->sync == NULL)
        return mine;
    return wl->sync(state);
}

/* setup is done and agreed: skip or warm up, check, time. Every rank takes
 * the same branches, because each decision follows an agreement. */
static void measure(const tcb_run_ctx *ctx, const tcb_case *c, void *state,
                    case_outcome *o)
{
    const tcb_world *w = ctx->w;
    const tcb_workload *wl = c->workload;

    char why[256] = "";
    bool skip = wl->skip != NULL && wl->skip(state, why, sizeof why);
    if (tcb_world_sum(w, skip) > 0) {
        o->check = CHECK_SKIPPED;
        snprintf(o->detail, sizeof o->detail, "%s", skip ? why : "skipped on another rank");
        return;
    }

    for (int k = 0; k < c->warmup && o->status == TCB_OK; k++)
        o->status = wl->iter(state);
    if ((o->status = tcb_world_agree(w, o->status)) != TCB_OK)
        return;

    long long wrong = 0;
    o->status = tcb_world_agree(w, wl->check(state, &wrong));
    if (o->status != TCB_OK)
        return;
    o->wrong = tcb_world_sum(w, wrong);
    if (o->wrong > 0) {
        /* A result that failed its check is never timed nor reported. */
        o->check = CHECK_WRONG;
        if (wl->failure != NULL)
            wl->failure(state, o->detail, sizeof o->detail);
        if (o->detail[0] == '\0')
            snprintf(o->detail, sizeof o->detail, "%lld wrong element(s) over all ranks",
                     o->wrong);
        return;
    }

    o->samples = calloc((size_t)c->iters, sizeof *o->samples);
    o->status = tcb_world_agree(w, o->samples != NULL ? TCB_OK : TCB_ERR_RUNTIME);
    bool energy = ctx->energy != NULL && tcb_energy_meter_measures(ctx->energy);
    if (energy && o->status == TCB_OK)
        o->status = tcb_world_agree(w, settle(wl, state, TCB_OK));
    if (o->status != TCB_OK)
        return;

    if (energy) {
        tcb_energy_meter_begin(ctx->energy);
        o->window_open = true;
    }
    o->status = time_iterations(w, wl, state, c->iters, o->samples);
    o->timed = o->status == TCB_OK;
    o->check = CHECK_OK;
}

static const char *not_timed_why(int check)
{
    switch (check) {
    case CHECK_SKIPPED: return "the case was skipped, so nothing was timed";
    case CHECK_WRONG: return "the result failed its check, so nothing was timed";
    default: return "the case failed before its timed part ended";
    }
}

static void print_table(tcb_run_ctx *ctx, const tcb_case *c, void *state,
                        const tcb_stats *t, long long wrong)
{
    char key[sizeof ctx->table_key];
    const tcb_workload *wl = c->workload;
    if (ctx->table == NULL || state == NULL)
        return;
    wl->table_key(c, key, sizeof key);
    if (strcmp(key, ctx->table_key) != 0) {
        wl->table_header(ctx->table, c, state);
        snprintf(ctx->table_key, sizeof ctx->table_key, "%s", key);
    }
    wl->table_row(ctx->table, c, state, t, wrong);
    fflush(ctx->table);
}

tcb_status tcb_run_case(tcb_run_ctx *ctx, const tcb_case *c, int *check,
                        tcb_stats *stats)
{
    const tcb_world *w = ctx->w;
    const tcb_workload *wl = c->workload;
    bool root = w->rank == 0;

    json_t *rec = root ? tcb_record_new(ctx->run_id, c, w->size, w->nodes) : NULL;
    tcb_deadline_set(c->timeout_s); /* for backends that poll a device (nccl) */
    if (ctx->watchdog != NULL) {
        /* What the watchdog writes if the case never ends. */
        json_t *timeout_rec = root ? json_deep_copy(rec) : NULL;
        if (timeout_rec != NULL && ctx->energy != NULL)
            tcb_energy_meter_not_measured(ctx->energy, timeout_rec,
                                          "the case did not end: the watchdog stopped it");
        tcb_watchdog_arm(ctx->watchdog, c, timeout_rec);
    }

    case_outcome o = {.status = TCB_OK, .check = CHECK_ERROR, .wrong = -1};
    void *state = NULL;
    o.status = tcb_world_agree(w, wl->setup(w, c, &state));
    if (o.status == TCB_OK)
        measure(ctx, c, state, &o);
    else
        snprintf(o.detail, sizeof o.detail, "setup failed on at least one rank");

    /* The end of the case for this rank; then every rank agrees on it, and
     * the deadline is off before anything is written, so a case is never
     * recorded twice. */
    if (ctx->watchdog != NULL)
        tcb_watchdog_rank_done(ctx->watchdog, c);
    /* The agreement is the barrier the window closes after; a rank that
     * failed joins it too, so none waits in a collective the others skip. */
    if (o.window_open) {
        o.status = tcb_world_agree(w, settle(wl, state, o.status));
        tcb_energy_meter_end(ctx->energy);
    }
    o.status = tcb_world_agree(w, o.status);
    tcb_deadline_clear();
    if (o.status != TCB_OK) {
        o.check = CHECK_ERROR;
        o.timed = false;
        if (o.detail[0] == '\0' && state != NULL && wl->failure != NULL)
            wl->failure(state, o.detail, sizeof o.detail);
        if (o.detail[0] == '\0')
            snprintf(o.detail, sizeof o.detail, "failed on at least one rank (see its log)");
    }

    tcb_stats t = {0};
    json_t *samples = NULL; /* the slowest rank's time per iteration, in order */
    if (o.timed) {
        double *slowest = root ? calloc((size_t)c->iters, sizeof *slowest) : NULL;
        tcb_status s = root && slowest == NULL ? TCB_ERR_RUNTIME : TCB_OK;
        if (s == TCB_OK)
            s = tcb_world_max_to_root(w, o.samples, slowest, c->iters);
        if (root && s == TCB_OK) {
            samples = tcb_json_numbers(slowest, c->iters); /* before the sort below */
            tcb_stats_compute(slowest, c->iters, &t);
        }
        free(slowest);
        if (tcb_world_agree(w, s) != TCB_OK) {
            o.status = TCB_ERR_RUNTIME;
            o.check = CHECK_ERROR;
            o.timed = false;
        }
    }

    if (root && o.timed) {
        tcb_record_set_time(rec, &t);
        wl->metrics(state, &t, ctx->facts, c, rec);
        /* The samples let a later comparison test for noise (tcbench compare). */
        json_object_set(rec, "samples_s", samples);
    }
    /* After the metrics: joules per token needs the work they give. */
    if (ctx->energy != NULL && o.timed)
        o.status = tcb_status_worst(o.status, tcb_energy_meter_record(ctx->energy, w, rec));
    else if (ctx->energy != NULL && root)
        tcb_energy_meter_not_measured(ctx->energy, rec, not_timed_why(o.check));

    if (root) {
        tcb_record_set_check(rec, tcb_check_names[o.check], o.wrong,
                             o.detail[0] ? o.detail : NULL);
        if (ctx->results != NULL) {
            tcb_status s = tcb_results_append(ctx->results, rec);
            o.status = tcb_status_worst(o.status, s);
        }
        if (ctx->watchdog != NULL)
            tcb_watchdog_recorded(ctx->watchdog);
        print_table(ctx, c, state, o.timed ? &t : NULL, o.wrong);
        *check = o.check;
        if (stats != NULL)
            *stats = t;
    }
    json_decref(rec);
    json_decref(samples);
    if (state != NULL)
        wl->teardown(state);
    free(o.samples);

    /* A failed write on rank 0 is a failure of the run; a wrong result is
     * the case's own verdict. */
    tcb_status agreed = tcb_world_agree(w, o.status);
    /* Only now: every collective of the case (the times, the energy, the
     * agreements) is under its deadline, so a rank stopped in any of them
     * cannot hang the run. */
    if (ctx->watchdog != NULL)
        tcb_watchdog_disarm(ctx->watchdog, c);
    if (agreed == TCB_OK && o.check == CHECK_WRONG)
        agreed = TCB_ERR_WRONG;
    return agreed;
}

tcb_status tcb_run_suite(tcb_run_ctx *ctx, const tcb_suite *suite, int counts[5])
{
    tcb_progress progress;
    memset(counts, 0, 5 * sizeof *counts);
    if (ctx->progress != NULL)
        tcb_progress_start(&progress, ctx->progress, suite->ncases);

    tcb_status worst = TCB_OK;
    for (int i = 0; i < suite->ncases; i++) {
        const tcb_case *c = &suite->cases[i];
        if (ctx->progress != NULL)
            tcb_progress_case(&progress, c);
        int check = CHECK_ERROR;
        worst = tcb_status_worst(worst, tcb_run_case(ctx, c, &check, NULL));
        if (ctx->w->rank == 0)
            counts[check]++;
        if (ctx->progress != NULL)
            tcb_progress_done(&progress, c, tcb_check_names[check]);
    }
    if (ctx->progress != NULL)
        tcb_progress_finish(&progress);
    return worst;
}
