/* Comm backend "mpi": the collectives of comm.h on host memory, straight onto
 * the MPI calls, so what is timed is the MPI library and nothing of ours. */
#include "comm.h"
#include "mpi_dtype.h"
#include "workload.h"
#include "world.h"

#include <stdlib.h>
#include <string.h>

struct tcb_comm {
    MPI_Comm comm;
    int rank, size;
};

static tcb_status mpi_open(const tcb_world *w, tcb_scope scope, tcb_comm **out)
{
    *out = NULL;
    MPI_Comm base = scope == TCB_SCOPE_WORLD ? w->world
                    : scope == TCB_SCOPE_NODE ? w->node_comm
                                              : w->cross_comm;
    if (base == MPI_COMM_NULL)
        return TCB_OK; /* this rank is outside the scope */
    tcb_comm *c = calloc(1, sizeof *c);
    TCB_ALLOC_CHECK(c);
    c->comm = base; /* owned by the world, not duplicated per case */
    MPI_Comm_rank(base, &c->rank);
    MPI_Comm_size(base, &c->size);
    *out = c;
    return TCB_OK;
}

static void mpi_close(tcb_comm *c)
{
    free(c);
}

static int mpi_rank(const tcb_comm *c) { return c->rank; }
static int mpi_size(const tcb_comm *c) { return c->size; }

static void *mpi_alloc(size_t bytes)
{
    /* Page-aligned, as pinned/registered buffers would be. */
    void *p = NULL;
    if (posix_memalign(&p, 4096, bytes ? bytes : 1) != 0)
        return NULL;
    return p;
}

static void mpi_free(void *p) { free(p); }

static tcb_status mpi_copy(void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
    return TCB_OK;
}

/* MPI counts are int: a count past INT_MAX is refused rather than wrapped. */
static tcb_status int_count(size_t count, int *out)
{
    if (count > (size_t)0x7fffffff)
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "int_count",
                               "element count exceeds MPI's int range");
    *out = (int)count;
    return TCB_OK;
}

#define SEND_OR_IN_PLACE(send, recv) ((send) == (recv) ? MPI_IN_PLACE : (send))

static tcb_status mpi_allreduce(tcb_comm *c, const void *send, void *recv,
                                size_t count, tcb_dtype t, tcb_redop op)
{
    int n = 0;
    TCB_CHECK(int_count(count, &n));
    TCB_MPI_CHECK(MPI_Allreduce(SEND_OR_IN_PLACE(send, recv), recv, n,
                                tcb_mpi_datatype(t), tcb_mpi_op(t, op), c->comm));
    return TCB_OK;
}

static tcb_status mpi_allgather(tcb_comm *c, const void *send, void *recv,
                                size_t count, tcb_dtype t)
{
    int n = 0;
    TCB_CHECK(int_count(count, &n));
    /* In place, this rank's block already sits at recv + rank * count. */
    TCB_MPI_CHECK(MPI_Allgather(send == recv ? MPI_IN_PLACE : send, n,
                                tcb_mpi_datatype(t), recv, n, tcb_mpi_datatype(t),
                                c->comm));
    return TCB_OK;
}

static tcb_status mpi_reducescatter(tcb_comm *c, const void *send, void *recv,
                                    size_t count, tcb_dtype t, tcb_redop op)
{
    int n = 0;
    TCB_CHECK(int_count(count, &n));
    /* In place, the full input is in recv and block `rank` ends up at its start. */
    TCB_MPI_CHECK(MPI_Reduce_scatter_block(SEND_OR_IN_PLACE(send, recv), recv, n,
                                           tcb_mpi_datatype(t), tcb_mpi_op(t, op),
                                           c->comm));
    return TCB_OK;
}

static tcb_status mpi_alltoall(tcb_comm *c, const void *send, void *recv,
                               size_t count, tcb_dtype t)
{
    int n = 0;
    TCB_CHECK(int_count(count, &n));
    TCB_MPI_CHECK(MPI_Alltoall(SEND_OR_IN_PLACE(send, recv), n, tcb_mpi_datatype(t),
                               recv, n, tcb_mpi_datatype(t), c->comm));
    return TCB_OK;
}

static tcb_status mpi_broadcast(tcb_comm *c, const void *send, void *recv,
                                size_t count, tcb_dtype t, int root)
{
    int n = 0;
    TCB_CHECK(int_count(count, &n));
    /* MPI_Bcast has one buffer and the root only reads it, so out of place the
     * root sends straight from send; it then copies send to its own recv, as
     * ncclBroadcast leaves the data in every rank's recv buffer. */
    void *buf = c->rank == root ? (void *)send : recv;
    TCB_MPI_CHECK(MPI_Bcast(buf, n, tcb_mpi_datatype(t), root, c->comm));
    if (c->rank == root && send != recv)
        memcpy(recv, send, count * tcb_dtype_size(t));
    return TCB_OK;
}

static tcb_status mpi_reduce(tcb_comm *c, const void *send, void *recv,
                             size_t count, tcb_dtype t, tcb_redop op, int root)
{
    int n = 0;
    TCB_CHECK(int_count(count, &n));
    /* MPI_IN_PLACE is only legal at the root. */
    const void *s = (send == recv && c->rank == root) ? MPI_IN_PLACE : send;
    TCB_MPI_CHECK(MPI_Reduce(s, recv, n, tcb_mpi_datatype(t), tcb_mpi_op(t, op),
                             root, c->comm));
    return TCB_OK;
}

static tcb_status mpi_sendrecv(tcb_comm *c, const void *send, void *recv,
                               size_t count, tcb_dtype t)
{
    int n = 0;
    TCB_CHECK(int_count(count, &n));
    int next = (c->rank + 1) % c->size, prev = (c->rank + c->size - 1) % c->size;
    if (send == recv)
        TCB_MPI_CHECK(MPI_Sendrecv_replace(recv, n, tcb_mpi_datatype(t), next, 0,
                                           prev, 0, c->comm, MPI_STATUS_IGNORE));
    else
        TCB_MPI_CHECK(MPI_Sendrecv(send, n, tcb_mpi_datatype(t), next, 0, recv, n,
                                   tcb_mpi_datatype(t), prev, 0, c->comm,
                                   MPI_STATUS_IGNORE));
    return TCB_OK;
}

const tcb_comm_backend tcb_comm_mpi = {
    .name = "mpi",
    .summary = "MPI collectives on host memory (the library tcbench was built with)",
    .open = mpi_open,
    .close = mpi_close,
    .rank = mpi_rank,
    .size = mpi_size,
    .host_memory = true,
    .alloc = mpi_alloc,
    .free = mpi_free,
    .upload = mpi_copy,
    .download = mpi_copy,
    .allreduce = mpi_allreduce,
    .allgather = mpi_allgather,
    .reducescatter = mpi_reducescatter,
    .alltoall = mpi_alltoall,
    .broadcast = mpi_broadcast,
    .reduce = mpi_reduce,
    .sendrecv = mpi_sendrecv,
    .sync = NULL, /* blocking MPI calls are complete when they return */
};
