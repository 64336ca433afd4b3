/* sendrecv: a ring; every rank sends to rank+1 and receives from rank-1. */
#include "collective.h"

static size_t same(size_t count, int n) { (void)n; return count; }

/* Each link carries S once: factor 1. */
static double factor(int n) { (void)n; return 1.0; }

static void init(const tcb_coll_ctx *x, void *send, void *recv, bool in_place)
{
    tcb_coll_fill(x->dtype, in_place ? recv : send, 0, x->count, x->rank, 0);
}

static size_t checked(const tcb_coll_ctx *x) { return x->count; }

static double expected(const tcb_coll_ctx *x, size_t i, double *mag)
{
    return tcb_coll_copied((x->rank + x->n - 1) % x->n, i, mag);
}

static tcb_status run(const tcb_coll_ctx *x, const void *send, void *recv)
{
    return x->backend->sendrecv(x->comm, send, recv, x->count, x->dtype);
}

/* NCCL has no in-place sendrecv. */
static bool in_place(const tcb_coll_ctx *x, size_t *result_at)
{
    *result_at = 0;
    return !x->backend->in_place.no_sendrecv;
}

const tcb_collective tcb_coll_sendrecv = {
    .name = "sendrecv", .takes_op = false, .takes_root = false,
    .send_count = same, .recv_count = same, .busbw_factor = factor,
    .init = init, .checked_count = checked, .expected = expected, .run = run,
    .in_place = in_place,
};
