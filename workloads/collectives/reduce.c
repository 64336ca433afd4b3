/* reduce: op over all ranks' buffers lands on the root. */
#include "collective.h"

static size_t same(size_t count, int n) { (void)n; return count; }

/* A pipelined reduce moves S through every link once: factor 1. */
static double factor(int n) { (void)n; return 1.0; }

static void init(const tcb_coll_ctx *x, void *send, void *recv, bool in_place)
{
    tcb_coll_fill(x->dtype, in_place ? recv : send, 0, x->count, x->rank, 0);
}

/* Only the root has a defined result. */
static size_t checked(const tcb_coll_ctx *x) { return x->rank == x->root ? x->count : 0; }

static double expected(const tcb_coll_ctx *x, size_t i, double *mag)
{
    return tcb_coll_reduced(x->op, x->n, i, mag);
}

static tcb_status run(const tcb_coll_ctx *x, const void *send, void *recv)
{
    return x->backend->reduce(x->comm, send, recv, x->count, x->dtype, x->op, x->root);
}

const tcb_collective tcb_coll_reduce = {
    .name = "reduce", .takes_op = true, .takes_root = true,
    .send_count = same, .recv_count = same, .busbw_factor = factor,
    .init = init, .checked_count = checked, .expected = expected, .run = run,
};
