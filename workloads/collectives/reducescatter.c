/* reducescatter: block j of the reduction over all ranks lands on rank j. */
#include "collective.h"

static size_t send_n(size_t count, int n) { return count * (size_t)n; }
static size_t recv_n(size_t count, int n) { (void)n; return count; }

/* Each rank sends the n-1 blocks it does not keep: (n-1)/n of S. */
static double factor(int n) { return (double)(n - 1) / n; }

static void init(const tcb_coll_ctx *x, void *send, void *recv, bool in_place)
{
    /* In place, recv holds the whole input (MPI_Reduce_scatter_block). */
    tcb_coll_fill(x->dtype, in_place ? recv : send, 0, x->count * (size_t)x->n,
                  x->rank, 0);
}

static size_t checked(const tcb_coll_ctx *x) { return x->count; }

static double expected(const tcb_coll_ctx *x, size_t i, double *mag)
{
    return tcb_coll_reduced(x->op, x->n, x->count * (size_t)x->rank + i, mag);
}

static tcb_status run(const tcb_coll_ctx *x, const void *send, void *recv)
{
    return x->backend->reducescatter(x->comm, send, recv, x->count, x->dtype, x->op);
}

/* MPI leaves the result at recv's start; NCCL's in-place form, block `rank`. */
static bool in_place(const tcb_coll_ctx *x, size_t *result_at)
{
    *result_at = x->backend->in_place.reducescatter_at_rank ? x->count * (size_t)x->rank : 0;
    return true;
}

const tcb_collective tcb_coll_reducescatter = {
    .name = "reducescatter", .takes_op = true, .takes_root = false,
    .send_count = send_n, .recv_count = recv_n, .busbw_factor = factor,
    .init = init, .checked_count = checked, .expected = expected, .run = run,
    .in_place = in_place,
};
