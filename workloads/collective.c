/* Workload "collective": one collective of the comm backend over a scope,
 * verified once on predictable data, then timed. The collectives themselves
 * are rows (workloads/collectives/); this file only drives them. */
#include "collective.h"
#include "comm.h"
#include "dtype.h"
#include "workload.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the rows: adding a collective is its file plus one line here ---- */
extern const tcb_collective tcb_coll_allreduce, tcb_coll_allgather,
    tcb_coll_reducescatter, tcb_coll_alltoall, tcb_coll_broadcast, tcb_coll_reduce,
    tcb_coll_sendrecv;

const tcb_collective *const tcb_collectives[] = {
    &tcb_coll_allreduce, &tcb_coll_allgather, &tcb_coll_reducescatter,
    &tcb_coll_alltoall,  &tcb_coll_broadcast, &tcb_coll_reduce,
    &tcb_coll_sendrecv,  NULL,
};

double tcb_coll_reduced(tcb_redop op, int n, size_t g, double *magnitude)
{
    double acc = tcb_coll_value(0, g), mag = fabs(acc);
    for (int r = 1; r < n; r++) {
        double v = tcb_coll_value(r, g);
        mag += fabs(v);
        acc = op == TCB_OP_SUM ? acc + v : op == TCB_OP_MAX ? fmax(acc, v) : fmin(acc, v);
    }
    *magnitude = op == TCB_OP_SUM ? mag : fabs(acc);
    return acc;
}

void tcb_coll_fill(tcb_dtype t, void *buf, size_t offset, size_t count, int r,
                   size_t first)
{
    for (size_t i = 0; i < count; i++)
        tcb_dtype_set(t, buf, offset + i, tcb_coll_value(r, first + i));
}

#define MAX_COLLECTIVES 32
static const char *collective_names[MAX_COLLECTIVES + 1];

/* The `collective` parameter's choices are the rows' names, in row order. */
__attribute__((constructor)) static void collective_names_init(void)
{
    for (int i = 0; tcb_collectives[i] != NULL && i < MAX_COLLECTIVES; i++)
        collective_names[i] = tcb_collectives[i]->name;
}

/* Order matters: cases expand with the last parameter varying fastest, so
 * a suite's sweep reads like nccl-tests, one table per collective and scope
 * with sizes as rows. */
static const tcb_param_spec collective_params[] = {
    {"collective", TCB_PARAM_ENUM, NULL, 0, collective_names, "the collective to run"},
    {"scope", TCB_PARAM_ENUM, "world", 0, tcb_scope_names,
     "world: all ranks; node: the ranks of each node; cross: one rank per node"},
    {"dtype", TCB_PARAM_ENUM, "float32", 0, tcb_dtype_names, "element type"},
    {"op", TCB_PARAM_ENUM, "sum", 0, tcb_redop_names, "reduction operator (reductions only)"},
    {"root", TCB_PARAM_INT, "0", 0, NULL, "root rank (broadcast, reduce)"},
    {"inplace", TCB_PARAM_BOOL, "false", 0, NULL, "send buffer == recv buffer"},
    {"corrupt", TCB_PARAM_INT, "0", 0, NULL,
     "elements world rank 0 alters before the check: a self-test of the verifier"},
    {"size", TCB_PARAM_SIZE, "1MiB", 1, NULL,
     "bytes per rank, S = max(send, recv) as nccl-tests counts it"},
    {NULL, 0, NULL, 0, NULL, NULL},
};

typedef struct {
    const tcb_collective *coll;
    tcb_coll_ctx x;          /* x.comm == NULL: this rank is outside the scope */
    bool in_place;
    bool no_in_place;        /* in place, but the backend has no such form */
    size_t result_at;        /* element of recv where the checked result starts */
    long long corrupt;       /* elements to alter before checking (world rank 0) */
    void *send, *recv;       /* backend memory; send == recv in place */
    void *host_send, *host_recv; /* host copies; the same as send, recv when
                                  * the backend's memory is host memory */
    size_t send_bytes, recv_bytes;
    size_t bytes;            /* S = max(send, recv) per rank, what bandwidth counts */
} coll_state;

static tcb_status coll_validate(const tcb_case *c, int world_size, tcb_diag *d)
{
    long long root = tcb_params_int(&c->params, "root");
    if (root >= world_size)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "root %lld is not a rank: the run has %d rank(s)", root,
                            world_size);
    return TCB_OK;
}

static void free_buffers(coll_state *s)
{
    if (s->x.backend != NULL) {
        if (s->send != s->recv)
            s->x.backend->free(s->send);
        s->x.backend->free(s->recv);
    }
    if (s->host_send != s->send)
        free(s->host_send);
    if (s->host_recv != s->recv)
        free(s->host_recv);
}

static void coll_teardown(void *state)
{
    coll_state *s = state;
    if (s == NULL)
        return;
    free_buffers(s);
    if (s->x.comm != NULL)
        s->x.backend->close(s->x.comm);
    free(s);
}

static tcb_status coll_setup(const tcb_world *w, const tcb_case *c, void **state)
{
    coll_state *s = calloc(1, sizeof *s);
    TCB_ALLOC_CHECK(s);
    *state = s;
    s->coll = tcb_collectives[tcb_params_choice(&c->params, "collective")];
    s->x.backend = tcb_comm_backend_find(c->backend);
    s->x.dtype = (tcb_dtype)tcb_params_choice(&c->params, "dtype");
    s->x.op = (tcb_redop)tcb_params_choice(&c->params, "op");
    s->x.root = (int)tcb_params_int(&c->params, "root");
    s->in_place = tcb_params_bool(&c->params, "inplace");
    s->corrupt = w->rank == 0 ? tcb_params_int(&c->params, "corrupt") : 0;

    tcb_scope scope = (tcb_scope)tcb_params_choice(&c->params, "scope");
    TCB_CHECK(s->x.backend->open(w, scope, &s->x.comm));
    if (s->x.comm == NULL)
        return TCB_OK; /* outside the scope: every hook below is a no-op */
    s->x.rank = s->x.backend->rank(s->x.comm);
    s->x.n = s->x.backend->size(s->x.comm);
    if (s->x.root >= s->x.n) {
        tcb_log_error("root %d is not a rank of the %s scope (%d ranks)", s->x.root,
                      tcb_scope_names[scope], s->x.n);
        return TCB_ERR_CONFIG;
    }

    /* count per peer from S: the larger buffer is send or recv x n. */
    size_t es = tcb_dtype_size(s->x.dtype);
    size_t per_max = s->coll->send_count(1, s->x.n) > s->coll->recv_count(1, s->x.n)
                         ? s->coll->send_count(1, s->x.n)
                         : s->coll->recv_count(1, s->x.n);
    s->x.count = (size_t)tcb_params_int(&c->params, "size") / es / per_max;
    s->send_bytes = s->coll->send_count(s->x.count, s->x.n) * es;
    s->recv_bytes = s->coll->recv_count(s->x.count, s->x.n) * es;
    s->bytes = s->send_bytes > s->recv_bytes ? s->send_bytes : s->recv_bytes;
    if (s->in_place && s->coll->in_place != NULL)
        s->no_in_place = !s->coll->in_place(&s->x, &s->result_at);
    if (s->in_place) /* one buffer holds the input and the output: the larger */
        s->recv_bytes = s->send_bytes = s->bytes;

    s->recv = s->x.backend->alloc(s->recv_bytes);
    s->send = s->in_place ? s->recv : s->x.backend->alloc(s->send_bytes);
    if (s->x.backend->host_memory) {
        s->host_recv = s->recv;
        s->host_send = s->send;
    } else {
        s->host_recv = malloc(s->recv_bytes ? s->recv_bytes : 1);
        s->host_send = malloc(s->send_bytes ? s->send_bytes : 1);
    }
    TCB_ALLOC_CHECK(s->recv);
    TCB_ALLOC_CHECK(s->send);
    TCB_ALLOC_CHECK(s->host_recv);
    TCB_ALLOC_CHECK(s->host_send);
    return TCB_OK;
}

static bool coll_skip(void *state, char *why, int n)
{
    coll_state *s = state;
    if (s->x.comm == NULL)
        return false;
    if (s->no_in_place) {
        snprintf(why, (size_t)n, "the %s backend has no in-place %s", s->x.backend->name,
                 s->coll->name);
        return true;
    }
    if (s->x.count > 0)
        return false;
    snprintf(why, (size_t)n,
             "size is less than one %s element per rank of the %d-rank group",
             tcb_dtype_names[s->x.dtype], s->x.n);
    return true;
}

static tcb_status coll_iter(void *state)
{
    coll_state *s = state;
    if (s->x.comm == NULL || s->x.count == 0)
        return TCB_OK;
    TCB_CHECK(s->coll->run(&s->x, s->send, s->recv));
    /* Blocking backends complete in the call and need no sync. */
    return s->x.backend->sync != NULL ? s->x.backend->sync(s->x.comm) : TCB_OK;
}

/* Poison: a value no correct result can hold. */
static void poison(tcb_dtype t, void *buf, size_t count)
{
    if (t == TCB_INT32) {
        for (size_t i = 0; i < count; i++)
            ((int32_t *)buf)[i] = INT32_MIN;
    } else {
        for (size_t i = 0; i < count; i++)
            tcb_dtype_set(t, buf, i, NAN);
    }
}

static tcb_status coll_check(void *state, long long *wrong)
{
    coll_state *s = state;
    *wrong = 0;
    if (s->x.comm == NULL || s->x.count == 0)
        return TCB_OK;
    const tcb_coll_ctx *x = &s->x;
    size_t es = tcb_dtype_size(x->dtype);
    size_t nrecv = s->recv_bytes / es;

    bool staged = !x->backend->host_memory;

    poison(x->dtype, s->host_recv, nrecv);
    if (!s->in_place)
        poison(x->dtype, s->host_send, s->send_bytes / es);
    s->coll->init(x, s->host_send, s->host_recv, s->in_place);
    if (staged) {
        TCB_CHECK(x->backend->upload(s->recv, s->host_recv, s->recv_bytes));
        if (!s->in_place)
            TCB_CHECK(x->backend->upload(s->send, s->host_send, s->send_bytes));
    }

    TCB_CHECK(coll_iter(s));
    if (staged)
        TCB_CHECK(x->backend->download(s->host_recv, s->recv, s->recv_bytes));

    /* The result starts where the backend's in-place form leaves it. */
    char *result = (char *)s->host_recv + s->result_at * es;
    size_t nchecked = s->coll->checked_count(x);
    /* The self-test: alter min(corrupt, nchecked) distinct elements, spread
     * over the buffer, to a value that differs from the right one. */
    size_t ncorrupt = (size_t)s->corrupt < nchecked ? (size_t)s->corrupt : nchecked;
    for (size_t k = 0; k < ncorrupt; k++) {
        size_t i = k * (nchecked / ncorrupt);
        double mag;
        tcb_dtype_set(x->dtype, result, i, -s->coll->expected(x, i, &mag) - 3);
    }

    /* Small integers reduce exactly; the bound covers rounding of partial sums
     * in the 16-bit types when many ranks push sums past their mantissa. */
    double eps = tcb_dtype_epsilon(x->dtype);
    for (size_t i = 0; i < nchecked; i++) {
        double mag = 0;
        double want = s->coll->expected(x, i, &mag);
        double got = tcb_dtype_get(x->dtype, result, i);
        double tol = eps * (x->n > 1 ? x->n - 1 : 1) * mag;
        if (!(fabs(got - want) <= tol)) /* NaN (an unwritten element) is wrong too */
            (*wrong)++;
    }
    return TCB_OK;
}

static void coll_metrics(void *state, const tcb_stats *t, tcb_facts *facts,
                         const tcb_case *c, json_t *rec)
{
    (void)facts;
    (void)c;
    coll_state *s = state;
    json_t *m = json_object_get(rec, "metrics");
    /* Rank 0 is in every scope, so its view of the sizes is the case's. */
    double algbw = t->median > 0 ? (double)s->bytes / t->median / 1e9 : 0;
    json_object_set_new(m, "bytes", json_integer((json_int_t)s->bytes));
    json_object_set_new(m, "count", json_integer((json_int_t)s->x.count));
    json_object_set_new(m, "group_ranks", json_integer(s->x.n));
    json_object_set_new(m, "algbw_GBps", json_real(algbw));
    json_object_set_new(m, "busbw_GBps", json_real(algbw * s->coll->busbw_factor(s->x.n)));
}

static void coll_table_key(const tcb_case *c, char *buf, int n)
{
    snprintf(buf, (size_t)n, "%s/%s/%s", tcb_params_enum(&c->params, "collective"),
             tcb_params_enum(&c->params, "scope"), c->backend);
}

static void coll_table_header(FILE *out, const tcb_case *c, void *state)
{
    coll_state *s = state;
    fprintf(out, "\n# %s  backend %s  scope %s  ranks %d\n",
            s->coll->name, c->backend, tcb_params_enum(&c->params, "scope"), s->x.n);
    fprintf(out, "#%11s %12s %8s %6s %5s %5s %10s %11s %11s %8s\n", "size(B)", "count",
            "type", "redop", "root", "place", "time(us)", "algbw(GB/s)",
            "busbw(GB/s)", "#wrong");
}

static void coll_table_row(FILE *out, const tcb_case *c, void *state,
                           const tcb_stats *t, long long wrong)
{
    coll_state *s = state;
    char root[16] = "-", time[16] = "-", alg[16] = "-", bus[16] = "-", nwrong[24] = "-";
    if (s->coll->takes_root)
        snprintf(root, sizeof root, "%d", s->x.root);
    if (t != NULL) { /* timed: the check passed */
        double algbw = t->median > 0 ? (double)s->bytes / t->median / 1e9 : 0;
        snprintf(time, sizeof time, "%.2f", t->median * 1e6);
        snprintf(alg, sizeof alg, "%.3f", algbw);
        snprintf(bus, sizeof bus, "%.3f", algbw * s->coll->busbw_factor(s->x.n));
    }
    if (wrong >= 0)
        snprintf(nwrong, sizeof nwrong, "%lld", wrong);
    fprintf(out, " %11zu %12zu %8s %6s %5s %5s %10s %11s %11s %8s\n", s->bytes, s->x.count,
            tcb_params_enum(&c->params, "dtype"),
            s->coll->takes_op ? tcb_params_enum(&c->params, "op") : "none", root,
            s->in_place ? "in" : "out", time, alg, bus, nwrong);
}

const tcb_workload tcb_workload_collective = {
    .name = "collective",
    .summary = "collectives of a comm backend, verified, with algbw and busbw",
    .backend_kind = TCB_BACKEND_COMM,
    .params = collective_params,
    .validate = coll_validate,
    .setup = coll_setup,
    .skip = coll_skip,
    .iter = coll_iter,
    .check = coll_check,
    .metrics = coll_metrics,
    .teardown = coll_teardown,
    .table_key = coll_table_key,
    .table_header = coll_table_header,
    .table_row = coll_table_row,
};
