/* allgather: rank j's block lands at position j of every rank's recv buffer. */
#include "collective.h"

static size_t send_n(size_t count, int n) { (void)n; return count; }
static size_t recv_n(size_t count, int n) { return count * (size_t)n; }

/* Each rank receives the n-1 blocks it does not have: (n-1)/n of S. */
static double factor(int n) { return (double)(n - 1) / n; }

static void init(const tcb_coll_ctx *x, void *send, void *recv, bool in_place)
{
    if (in_place) /* the own block already in its final place */
        tcb_coll_fill(x->dtype, recv, x->count * (size_t)x->rank, x->count, x->rank, 0);
    else
        tcb_coll_fill(x->dtype, send, 0, x->count, x->rank, 0);
}

static size_t checked(const tcb_coll_ctx *x) { return x->count * (size_t)x->n; }

static double expected(const tcb_coll_ctx *x, size_t i, double *mag)
{
    return tcb_coll_copied((int)(i / x->count), i % x->count, mag);
}

static tcb_status run(const tcb_coll_ctx *x, const void *send, void *recv)
{
    return x->backend->allgather(x->comm, send, recv, x->count, x->dtype);
}

const tcb_collective tcb_coll_allgather = {
    .name = "allgather", .takes_op = false, .takes_root = false,
    .send_count = send_n, .recv_count = recv_n, .busbw_factor = factor,
    .init = init, .checked_count = checked, .expected = expected, .run = run,
};
