/* Collectives of the `collective` workload: one file per collective fills in
 * one tcb_collective row; workloads/collective.c is the driver and never
 * learns their names. Buffer layouts are those of comm.h.
 *
 * Verification data: rank r contributes tcb_coll_value(r, g) at global index g,
 * small integers in [-2, 2], so sums over ranks are exact in every dtype up to
 * 128 ranks (bfloat16) and checkable within a rounding bound beyond. Receive
 * buffers start as poison (NaN, or INT32_MIN for int32), so an element the
 * collective never wrote is caught too. */
#ifndef TCB_COLLECTIVE_H
#define TCB_COLLECTIVE_H

#include "comm.h"

#include <stdbool.h>
#include <stddef.h>

/* What a row needs to know of the case it runs. */
typedef struct {
    const tcb_comm_backend *backend;
    tcb_comm *comm;
    int rank, n;     /* in the case's communicator */
    size_t count;    /* elements per peer, as comm.h counts them */
    tcb_dtype dtype;
    tcb_redop op;
    int root;
} tcb_coll_ctx;

typedef struct tcb_collective {
    const char *name;
    bool takes_op;   /* a reduction: `op` applies */
    bool takes_root; /* rooted: `root` applies */
    /* Elements of the send and recv buffers per rank. */
    size_t (*send_count)(size_t count, int n);
    size_t (*recv_count)(size_t count, int n);
    /* busbw = algbw x factor (DESIGN.md; the nccl-tests factors). */
    double (*busbw_factor)(int n);
    /* Fills host copies of the buffers before the check run; recv is already
     * poisoned. In place (send == recv) the input goes where the collective
     * reads it from. */
    void (*init)(const tcb_coll_ctx *x, void *send, void *recv, bool in_place);
    /* How many leading elements of recv hold a defined result on this rank
     * (0 where there is none: the non-roots of reduce). */
    size_t (*checked_count)(const tcb_coll_ctx *x);
    /* The correct value of recv element i on this rank, and the sum of the
     * magnitudes that went into it (for the rounding bound). */
    double (*expected)(const tcb_coll_ctx *x, size_t i, double *magnitude);
    tcb_status (*run)(const tcb_coll_ctx *x, const void *send, void *recv);
    /* In place, what the backend's form is (its in_place flags): false where
     * it has none (the case is skipped), else true with the element of recv
     * where the checked result starts. NULL: every backend has the form, with
     * the result at element 0. */
    bool (*in_place)(const tcb_coll_ctx *x, size_t *result_at);
} tcb_collective;

/* NULL-terminated list of the rows compiled in (workloads/collective.c). */
extern const tcb_collective *const tcb_collectives[];

/* The value rank r contributes at global index g: a hash, so a block delivered
 * to the wrong place or from the wrong rank is seen, not a repeating pattern. */
static inline double tcb_coll_value(int r, size_t g)
{
    unsigned long long z = (unsigned long long)g * 0x9e3779b97f4a7c15ull
                           + (unsigned long long)r * 0xbf58476d1ce4e5b9ull + 1;
    z ^= z >> 31;
    z *= 0x94d049bb133111ebull;
    z ^= z >> 29;
    return (double)(long long)(z % 5) - 2.0;
}

/* The expected value of an element copied from one rank (no reduction):
 * the value itself, and its magnitude for the rounding bound. */
static inline double tcb_coll_copied(int r, size_t g, double *magnitude)
{
    double v = tcb_coll_value(r, g);
    *magnitude = v < 0 ? -v : v;
    return v;
}

/* op applied to tcb_coll_value(r, g) over r = 0..n-1, and the sum of magnitudes. */
double tcb_coll_reduced(tcb_redop op, int n, size_t g, double *magnitude);

/* Writes tcb_coll_value(r, first + i) for i < count into element offset + i. */
void tcb_coll_fill(tcb_dtype t, void *buf, size_t offset, size_t count, int r,
                   size_t first);

#endif
