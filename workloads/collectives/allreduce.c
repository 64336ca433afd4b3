/* allreduce: every rank ends with op over all ranks' buffers. */
#include "collective.h"

static size_t same(size_t count, int n) { (void)n; return count; }

/* Each rank sends and receives (n-1)/n of the data twice (reduce-scatter then
 * all-gather in the optimal algorithm): factor 2(n-1)/n. */
static double factor(int n) { return 2.0 * (n - 1) / n; }

static void init(const tcb_coll_ctx *x, void *send, void *recv, bool in_place)
{
    tcb_coll_fill(x->dtype, in_place ? recv : send, 0, x->count, x->rank, 0);
}

static size_t checked(const tcb_coll_ctx *x) { return x->count; }

static double expected(const tcb_coll_ctx *x, size_t i, double *mag)
{
    return tcb_coll_reduced(x->op, x->n, i, mag);
}

static tcb_status run(const tcb_coll_ctx *x, const void *send, void *recv)
{
    return x->backend->allreduce(x->comm, send, recv, x->count, x->dtype, x->op);
}

const tcb_collective tcb_coll_allreduce = {
    .name = "allreduce", .takes_op = true, .takes_root = false,
    .send_count = same, .recv_count = same, .busbw_factor = factor,
    .init = init, .checked_count = checked, .expected = expected, .run = run,
};
