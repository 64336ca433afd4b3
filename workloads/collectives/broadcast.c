/* broadcast: the root's buffer reaches every rank. */
#include "collective.h"

static size_t same(size_t count, int n) { (void)n; return count; }

/* A pipelined broadcast moves S through every link once: factor 1. */
static double factor(int n) { (void)n; return 1.0; }

static void init(const tcb_coll_ctx *x, void *send, void *recv, bool in_place)
{
    /* Only the root's data matters; the others keep poisoned recv buffers so a
     * broadcast that delivered nothing is caught, in place as well. */
    if (x->rank == x->root)
        tcb_coll_fill(x->dtype, in_place ? recv : send, 0, x->count, x->rank, 0);
}

static size_t checked(const tcb_coll_ctx *x) { return x->count; }

static double expected(const tcb_coll_ctx *x, size_t i, double *mag)
{
    return tcb_coll_copied(x->root, i, mag);
}

static tcb_status run(const tcb_coll_ctx *x, const void *send, void *recv)
{
    return x->backend->broadcast(x->comm, send, recv, x->count, x->dtype, x->root);
}

const tcb_collective tcb_coll_broadcast = {
    .name = "broadcast", .takes_op = false, .takes_root = true,
    .send_count = same, .recv_count = same, .busbw_factor = factor,
    .init = init, .checked_count = checked, .expected = expected, .run = run,
};
