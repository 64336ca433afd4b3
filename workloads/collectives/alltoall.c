/* alltoall: block j of rank r's send buffer lands as block r on rank j. */
#include "collective.h"

static size_t all_n(size_t count, int n) { return count * (size_t)n; }

/* Each rank sends n-1 of its n blocks away: (n-1)/n of S. */
static double factor(int n) { return (double)(n - 1) / n; }

static void init(const tcb_coll_ctx *x, void *send, void *recv, bool in_place)
{
    tcb_coll_fill(x->dtype, in_place ? recv : send, 0, x->count * (size_t)x->n,
                  x->rank, 0);
}

static size_t checked(const tcb_coll_ctx *x) { return x->count * (size_t)x->n; }

static double expected(const tcb_coll_ctx *x, size_t i, double *mag)
{
    size_t from = i / x->count, k = i % x->count;
    return tcb_coll_copied((int)from, x->count * (size_t)x->rank + k, mag);
}

static tcb_status run(const tcb_coll_ctx *x, const void *send, void *recv)
{
    return x->backend->alltoall(x->comm, send, recv, x->count, x->dtype);
}

/* NCCL has no in-place alltoall. */
static bool in_place(const tcb_coll_ctx *x, size_t *result_at)
{
    *result_at = 0;
    return !x->backend->in_place.no_alltoall;
}

const tcb_collective tcb_coll_alltoall = {
    .name = "alltoall", .takes_op = false, .takes_root = false,
    .send_count = all_n, .recv_count = all_n, .busbw_factor = factor,
    .init = init, .checked_count = checked, .expected = expected, .run = run,
    .in_place = in_place,
};
