/* Comm backends: the collectives a workload can call, as one table of function
 * pointers per backend (mpi, nccl).
 *
 * Buffers are device memory of the backend's kind (host memory for mpi).
 * count is in elements of dtype per rank as nccl-tests counts it:
 *   allreduce, broadcast, reduce, sendrecv: send count, recv count
 *   allgather:      send count,   recv count*n
 *   reducescatter:  send count*n, recv count
 *   alltoall:       send count*n, recv count*n (count to each peer)
 * sendbuf == recvbuf asks for the in-place variant, with MPI's layouts unless
 * the backend's in_place flags say otherwise. */
#ifndef TCB_COMM_H
#define TCB_COMM_H

#include "dtype.h"
#include "tcb_error.h"
#include "world.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { TCB_OP_SUM, TCB_OP_MAX, TCB_OP_MIN, TCB_OP_COUNT } tcb_redop;
extern const char *const tcb_redop_names[]; /* NULL-terminated, tcb_redop order */

typedef enum { TCB_SCOPE_WORLD, TCB_SCOPE_NODE, TCB_SCOPE_CROSS } tcb_scope;
extern const char *const tcb_scope_names[]; /* NULL-terminated, tcb_scope order */

/* A communicator of the backend over one scope. Opaque to workloads. */
typedef struct tcb_comm tcb_comm;

typedef struct tcb_comm_backend {
    const char *name;
    const char *summary;

    /* Opens a communicator over scope. *out is NULL on ranks outside the scope
     * (cross: every rank but local rank 0). Collective over the world. */
    tcb_status (*open)(const tcb_world *w, tcb_scope scope, tcb_comm **out);
    void (*close)(tcb_comm *c);
    int (*rank)(const tcb_comm *c);
    int (*size)(const tcb_comm *c);

    /* Memory the collectives can use; zeroed is not promised. The copies move
     * bytes between it and host memory, for filling inputs and checking
     * outputs; a backend whose memory is host memory sets host_memory, and
     * workloads then fill and check its buffers in place, without staging
     * copies that would double the memory of a 1 GiB sweep. */
    bool host_memory;
    void *(*alloc)(size_t bytes);
    void (*free)(void *p);
    tcb_status (*upload)(void *dst, const void *host_src, size_t bytes);
    tcb_status (*download)(void *host_dst, const void *src, size_t bytes);

    tcb_status (*allreduce)(tcb_comm *c, const void *send, void *recv, size_t count,
                            tcb_dtype t, tcb_redop op);
    tcb_status (*allgather)(tcb_comm *c, const void *send, void *recv, size_t count,
                            tcb_dtype t);
    tcb_status (*reducescatter)(tcb_comm *c, const void *send, void *recv,
                                size_t count, tcb_dtype t, tcb_redop op);
    tcb_status (*alltoall)(tcb_comm *c, const void *send, void *recv, size_t count,
                           tcb_dtype t);
    tcb_status (*broadcast)(tcb_comm *c, const void *send, void *recv, size_t count,
                            tcb_dtype t, int root);
    tcb_status (*reduce)(tcb_comm *c, const void *send, void *recv, size_t count,
                         tcb_dtype t, tcb_redop op, int root);
    /* Ring: send to rank+1, receive from rank-1. */
    tcb_status (*sendrecv)(tcb_comm *c, const void *send, void *recv, size_t count,
                           tcb_dtype t);
    /* Waits until the operations issued so far are complete. NULL for a
     * backend whose calls block until done (mpi): nothing to call when timed. */
    tcb_status (*sync)(tcb_comm *c);

    /* Where the backend's in-place forms differ from MPI's; all false for mpi.
     * A backend calls its library's own in-place form, so that nothing but the
     * library is timed, and says here what that form is; the collective
     * workload checks the result where it lies and skips the missing forms. */
    struct {
        bool reducescatter_at_rank; /* the result is block `rank` of recv (NCCL:
                                     * recvbuff == sendbuff + rank * recvcount),
                                     * not at recv's start */
        bool no_alltoall;           /* no in-place alltoall: it is refused */
        bool no_sendrecv;           /* no in-place sendrecv: it is refused */
    } in_place;

    /* The versions of the libraries under the backend, for run.json (a new
     * JSON object: {"nccl": "2.27.7", ...}); NULL where the manifest's own
     * entries say it all (mpi). */
    json_t *(*versions)(void);
} tcb_comm_backend;

#endif
