/* Comm backend "nccl": the collectives of comm.h on CUDA device memory, straight
 * onto NCCL on one stream per communicator, so what is timed is NCCL and
 * nothing of ours. Communicators are non-blocking (config.blocking = 0): no
 * NCCL call waits for a peer, so a communicator that is stuck (a peer gone, a
 * case past its deadline) is aborted rather than left to hang its rank.
 *
 * In place, NCCL's own forms are used (allgather: send at recv + rank*count;
 * reducescatter: recv at send + rank*count), so nothing is copied inside a
 * timed call; the table's in_place flags tell the workload where the result
 * lies and which forms NCCL lacks (alltoall, sendrecv). docs/collectives.md. */
#include "comm.h"
#include "cuda_check.h"
#include "cuda_device.h"
#include "deadline.h"
#include "timer.h"
#include "workload.h"
#include "world.h"
#ifdef TCB_HAVE_MPI
#include "mpi_dtype.h" /* TCB_MPI_CHECK */
#endif

#include <cuda_runtime_api.h>
#include <jansson.h>
#include <math.h>
#include <nccl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if NCCL_VERSION_CODE < NCCL_VERSION(2, 14, 0)
#error "the nccl backend needs NCCL 2.14 or later (non-blocking communicators)"
#endif

struct tcb_comm {
    ncclComm_t comm;     /* NULL until ncclCommInitRankConfig has given one */
    cudaStream_t stream; /* every call of this communicator runs on it */
    int rank, size;
    bool aborted; /* ncclCommAbort'ed: comm is gone, close only frees the rest */
};

/* Seconds past the case's deadline before a poll gives up: where the watchdog
 * runs (rank 0, with MPI) it writes the `timeout` record and stops the job
 * first; this is for where it cannot (no MPI, or a rank it cannot reach). */
#define DEADLINE_GRACE_S 1.0
/* Finalizing a healthy communicator takes milliseconds; one whose peer is gone
 * can wait forever, and close may run after the case's deadline is cleared. */
#define FINALIZE_MAX_S 30.0

/* ---- polling ---------------------------------------------------------- */

/* Between two looks at a stream or a communicator: spin for the first 50 us,
 * then sleep 50 us at a time. A collective of a few microseconds ends within
 * the spin, so its time is not rounded up by a sleep (nanosleep wakes tens of
 * microseconds late); one that runs long, or hangs until its deadline, leaves
 * the core to NCCL's proxy thread and to the other ranks of the node. */
static void poll_pause(double since)
{
    if (tcb_now() - since < 50e-6)
        return;
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
}

static void nccl_abort(tcb_comm *c)
{
    if (c->comm != NULL && !c->aborted)
        ncclCommAbort(c->comm); /* blocking by NCCL's rule, even when non-blocking */
    c->aborted = true;
}

/* Logs a failed NCCL call with NCCL's own detail and aborts the communicator:
 * after an error nothing can be assumed of the operations enqueued on it, and
 * finalizing it could wait for peers that will never come. */
static tcb_status nccl_failed(tcb_comm *c, ncclResult_t r, const char *call, const char *file,
                              int line)
{
    char what[1024];
    const char *last = ncclGetLastError(c != NULL && !c->aborted ? c->comm : NULL);
    if (last != NULL && last[0] != '\0')
        snprintf(what, sizeof what, "%s (%s)", ncclGetErrorString(r), last);
    else
        snprintf(what, sizeof what, "%s", ncclGetErrorString(r));
    if (c != NULL)
        nccl_abort(c);
    return tcb_log_failure(TCB_ERR_RUNTIME, file, line, call, what);
}

static tcb_status nccl_timeout(tcb_comm *c)
{
    nccl_abort(c);
    tcb_log_error("nccl: the case passed its timeout of %g s; communicator aborted",
                  tcb_deadline_timeout_s());
    return TCB_ERR_RUNTIME;
}

/* r is what an NCCL call returned. On a non-blocking communicator a call may
 * return ncclInProgress before it has finished (init, finalize, a group or a
 * collective still being enqueued); NCCL requires polling
 * ncclCommGetAsyncError until the state leaves ncclInProgress before the next
 * call. That wait gives up at the case's deadline, or after limit_s. */
static tcb_status nccl_settle(tcb_comm *c, ncclResult_t r, double limit_s, const char *call,
                              const char *file, int line)
{
    if (c != NULL && c->comm != NULL && r == ncclInProgress) {
        double t0 = tcb_now();
        while (r == ncclInProgress) {
            if (tcb_deadline_passed(DEADLINE_GRACE_S))
                return nccl_timeout(c);
            if (tcb_now() - t0 > limit_s) {
                nccl_abort(c);
                tcb_log_error("nccl: %s did not finish in %g s; communicator aborted", call,
                              limit_s);
                return TCB_ERR_RUNTIME;
            }
            poll_pause(t0);
            ncclResult_t q = ncclCommGetAsyncError(c->comm, &r);
            if (q != ncclSuccess)
                r = q;
        }
    }
    return r == ncclSuccess ? TCB_OK : nccl_failed(c, r, call, file, line);
}

/* The one check macro for NCCL: c is the tcb_comm the call works on (its
 * ncclInProgress is waited out, its error detail logged, and it is aborted on
 * failure), or NULL for calls bound to no communicator (ncclGroupStart). */
#define TCB_NCCL_CHECK(c, call)                                                                    \
    TCB_CHECK(nccl_settle((c), (call), INFINITY, #call, __FILE__, __LINE__))

/* A call on a communicator that was aborted would use freed memory. */
static tcb_status usable(const tcb_comm *c)
{
    if (!c->aborted)
        return TCB_OK;
    tcb_log_error("nccl: the communicator was aborted after an earlier failure");
    return TCB_ERR_RUNTIME;
}

/* ---- communicators ---------------------------------------------------- */

/* What each rank of a scope tells the others before NCCL is set up: its status
 * so far and its device, so that one rank's failure, or two ranks on one
 * device (which NCCL refuses), stops every rank with one clear message rather
 * than leaving the others in ncclCommInitRankConfig until the deadline. */
typedef struct {
    int status;
    int node;
    char bus_id[32]; /* "0000:19:00.0" */
} rank_info;

#ifdef TCB_HAVE_MPI
/* Every rank of base learns the others' devices, judges its own (failed, or
 * on the device of a lower rank of its node), and all agree on the worst. */
static tcb_status agree_devices(const tcb_world *w, MPI_Comm base, int rank, int size,
                                const rank_info *me)
{
    rank_info *all = calloc((size_t)size, sizeof *all);
    TCB_ALLOC_CHECK(all);
    int rc = MPI_Allgather(me, (int)sizeof *me, MPI_BYTE, all, (int)sizeof *me, MPI_BYTE, base);
    int mine = me->status;
    for (int r = 0; r < rank && rc == MPI_SUCCESS && mine == TCB_OK; r++) {
        if (all[r].status == TCB_OK && all[r].node == me->node &&
            strcmp(all[r].bus_id, me->bus_id) == 0) {
            const char *visible = getenv("CUDA_VISIBLE_DEVICES");
            tcb_log_error("nccl: ranks %d and %d of the scope share CUDA device %s on %s "
                          "(CUDA_VISIBLE_DEVICES=%s): NCCL needs a device per rank",
                          r, rank, me->bus_id, w->host, visible != NULL ? visible : "unset");
            mine = TCB_ERR_CONFIG;
        }
    }
    free(all);
    TCB_MPI_CHECK(rc);
    int worst = TCB_OK;
    TCB_MPI_CHECK(MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, base));
    return (tcb_status)worst;
}
#endif

static void nccl_close(tcb_comm *c)
{
    if (c == NULL)
        return;
    /* A failed or overdue finalize aborts the communicator itself. */
    if (c->comm != NULL && !c->aborted) {
        ncclResult_t r = ncclCommFinalize(c->comm);
        if (nccl_settle(c, r, FINALIZE_MAX_S, "ncclCommFinalize", __FILE__, __LINE__) == TCB_OK)
            ncclCommDestroy(c->comm); /* after finalize: local and quick */
    }
    if (c->stream != NULL)
        cudaStreamDestroy(c->stream);
    free(c);
}

static tcb_status comm_init(tcb_comm *c, const ncclUniqueId *id)
{
    TCB_CUDA_CHECK(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    TCB_NCCL_CHECK(c, ncclCommInitRankConfig(&c->comm, c->size, *id, c->rank, &config));
    return TCB_OK;
}

static tcb_status nccl_open(const tcb_world *w, tcb_scope scope, tcb_comm **out)
{
    *out = NULL;
    int rank = 0, size = 1; /* a world of one without MPI: every scope is this rank */
#ifdef TCB_HAVE_MPI
    MPI_Comm base = scope == TCB_SCOPE_WORLD  ? w->world
                    : scope == TCB_SCOPE_NODE ? w->node_comm
                                              : w->cross_comm;
    if (base == MPI_COMM_NULL)
        return TCB_OK; /* this rank is outside the scope */
    TCB_MPI_CHECK(MPI_Comm_rank(base, &rank));
    TCB_MPI_CHECK(MPI_Comm_size(base, &size));
#else
    (void)scope;
#endif

    ncclUniqueId id;
    memset(&id, 0, sizeof id);
    rank_info me;
    memset(&me, 0, sizeof me);
    me.node = w->node;
    int device = 0;
    me.status = tcb_cuda_device_pick(w, &device);
    if (me.status == TCB_OK)
        me.status = tcb_cuda_pci_bus_id(device, me.bus_id, (int)sizeof me.bus_id);
    if (me.status == TCB_OK && rank == 0) {
        ncclResult_t r = ncclGetUniqueId(&id);
        if (r != ncclSuccess)
            me.status = nccl_failed(NULL, r, "ncclGetUniqueId(&id)", __FILE__, __LINE__);
    }
#ifdef TCB_HAVE_MPI
    TCB_CHECK(agree_devices(w, base, rank, size, &me));
    /* The unique id travels over the scope's own MPI communicator. */
    TCB_MPI_CHECK(MPI_Bcast(&id, (int)sizeof id, MPI_BYTE, 0, base));
#else
    TCB_CHECK((tcb_status)me.status);
#endif

    tcb_comm *c = calloc(1, sizeof *c);
    TCB_ALLOC_CHECK(c);
    c->rank = rank;
    c->size = size;
    tcb_status st = comm_init(c, &id);
    if (st != TCB_OK) {
        nccl_close(c);
        return st;
    }
    *out = c;
    return TCB_OK;
}

static int nccl_rank(const tcb_comm *c)
{
    return c->rank;
}

static int nccl_size(const tcb_comm *c)
{
    return c->size;
}

/* ---- memory ------------------------------------------------------------- */

/* Device memory of the current device (open made it current). A 0-byte
 * request still gets a real allocation: the workloads treat NULL as failure. */
static void *nccl_alloc(size_t bytes)
{
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, bytes ? bytes : 1);
    if (e != cudaSuccess) {
        tcb_log_error("nccl: cudaMalloc of %zu bytes: %s", bytes, cudaGetErrorString(e));
        return NULL;
    }
    return p;
}

static void nccl_free(void *p)
{
    cudaFree(p);
}

/* cudaMemcpy runs on the legacy default stream, which a non-blocking stream
 * does not wait for, and from pageable memory it may return before the DMA
 * ends; the synchronize makes the data land before any collective reads it.
 * The collective workload copies outside its timed part; the transformer's
 * loss reduction copies a few scalars inside its step, as any DDP loop does. */
static tcb_status nccl_upload(void *dst, const void *host_src, size_t bytes)
{
    TCB_CUDA_CHECK(cudaMemcpy(dst, host_src, bytes, cudaMemcpyHostToDevice));
    TCB_CUDA_CHECK(cudaStreamSynchronize(cudaStreamLegacy));
    return TCB_OK;
}

/* Callers sync the communicator before they read its output (collective.c,
 * transformer.c); a device-to-pageable copy then blocks until it is done. */
static tcb_status nccl_download(void *host_dst, const void *src, size_t bytes)
{
    TCB_CUDA_CHECK(cudaMemcpy(host_dst, src, bytes, cudaMemcpyDeviceToHost));
    return TCB_OK;
}

/* ---- collectives ---------------------------------------------------------- */

static ncclDataType_t nccl_type(tcb_dtype t)
{
    switch (t) {
    case TCB_FLOAT32:
        return ncclFloat32;
    case TCB_FLOAT64:
        return ncclFloat64;
    case TCB_INT32:
        return ncclInt32;
    case TCB_BFLOAT16:
        return ncclBfloat16;
    case TCB_FLOAT16:
        return ncclFloat16;
    default:
        return ncclNumTypes; /* NCCL refuses it: ncclInvalidArgument */
    }
}

static ncclRedOp_t nccl_op(tcb_redop op)
{
    return op == TCB_OP_SUM ? ncclSum : op == TCB_OP_MAX ? ncclMax : ncclMin;
}

/* Block k of a buffer of blocks of count elements of t. */
static const char *block(const void *buf, size_t count, tcb_dtype t, int k)
{
    return (const char *)buf + (size_t)k * count * tcb_dtype_size(t);
}

static tcb_status nccl_allreduce(tcb_comm *c, const void *send, void *recv, size_t count,
                                 tcb_dtype t, tcb_redop op)
{
    TCB_CHECK(usable(c));
    /* In place is NCCL's too: sendbuff == recvbuff. */
    TCB_NCCL_CHECK(c,
                   ncclAllReduce(send, recv, count, nccl_type(t), nccl_op(op), c->comm, c->stream));
    return TCB_OK;
}

static tcb_status nccl_allgather(tcb_comm *c, const void *send, void *recv, size_t count,
                                 tcb_dtype t)
{
    TCB_CHECK(usable(c));
    /* In place, this rank's block already sits at recv + rank * count, which
     * is NCCL's in-place form: sendbuff == recvbuff + rank * sendcount. */
    const void *s = send == recv ? block(recv, count, t, c->rank) : send;
    TCB_NCCL_CHECK(c, ncclAllGather(s, recv, count, nccl_type(t), c->comm, c->stream));
    return TCB_OK;
}

static tcb_status nccl_reducescatter(tcb_comm *c, const void *send, void *recv, size_t count,
                                     tcb_dtype t, tcb_redop op)
{
    TCB_CHECK(usable(c));
    /* In place, the whole input is in recv and NCCL's form leaves block `rank`
     * where it is (recvbuff == sendbuff + rank * recvcount), not at recv's
     * start as MPI does: in_place.reducescatter_at_rank says so. */
    void *r = send == recv ? (void *)block(recv, count, t, c->rank) : recv;
    TCB_NCCL_CHECK(
        c, ncclReduceScatter(send, r, count, nccl_type(t), nccl_op(op), c->comm, c->stream));
    return TCB_OK;
}

/* NCCL has no in-place alltoall or sendrecv: its sends and receives on one
 * buffer would race. The table's in_place flags say so and the collective
 * workload skips those cases; a caller that asks anyway is refused. */
static tcb_status no_in_place(const char *what)
{
    return tcb_log_failure(TCB_ERR_CONFIG, __FILE__, __LINE__, what,
                           "NCCL has no in-place form of it (send == recv)");
}

/* Inside a group a call only records its operation; ncclInProgress there is
 * no failure, the group's end settles it. */
static bool failed(ncclResult_t r)
{
    return r != ncclSuccess && r != ncclInProgress;
}

/* A group of sends and receives, as nccl-tests runs alltoall; ncclGroupEnd
 * closes the group even after a failed call inside it, and its
 * ncclInProgress is waited out like any call's. */
static tcb_status nccl_alltoall(tcb_comm *c, const void *send, void *recv, size_t count,
                                tcb_dtype t)
{
    TCB_CHECK(usable(c));
    if (send == recv)
        return no_in_place("alltoall");
    TCB_NCCL_CHECK(NULL, ncclGroupStart());
    ncclResult_t r = ncclSuccess;
    for (int p = 0; p < c->size && !failed(r); p++) {
        r = ncclSend(block(send, count, t, p), count, nccl_type(t), p, c->comm, c->stream);
        if (!failed(r))
            r = ncclRecv((void *)block(recv, count, t, p), count, nccl_type(t), p, c->comm,
                         c->stream);
    }
    ncclResult_t end = ncclGroupEnd();
    return nccl_settle(c, failed(r) ? r : end, INFINITY,
                       "ncclGroupStart; ncclSend/ncclRecv with every peer; ncclGroupEnd", __FILE__,
                       __LINE__);
}

static tcb_status nccl_broadcast(tcb_comm *c, const void *send, void *recv, size_t count,
                                 tcb_dtype t, int root)
{
    TCB_CHECK(usable(c));
    TCB_NCCL_CHECK(c, ncclBroadcast(send, recv, count, nccl_type(t), root, c->comm, c->stream));
    return TCB_OK;
}

static tcb_status nccl_reduce(tcb_comm *c, const void *send, void *recv, size_t count, tcb_dtype t,
                              tcb_redop op, int root)
{
    TCB_CHECK(usable(c));
    TCB_NCCL_CHECK(
        c, ncclReduce(send, recv, count, nccl_type(t), nccl_op(op), root, c->comm, c->stream));
    return TCB_OK;
}

static tcb_status nccl_sendrecv(tcb_comm *c, const void *send, void *recv, size_t count,
                                tcb_dtype t)
{
    TCB_CHECK(usable(c));
    if (send == recv)
        return no_in_place("sendrecv");
    int next = (c->rank + 1) % c->size, prev = (c->rank + c->size - 1) % c->size;
    TCB_NCCL_CHECK(NULL, ncclGroupStart());
    ncclResult_t r = ncclSend(send, count, nccl_type(t), next, c->comm, c->stream);
    if (!failed(r))
        r = ncclRecv(recv, count, nccl_type(t), prev, c->comm, c->stream);
    ncclResult_t end = ncclGroupEnd();
    return nccl_settle(c, failed(r) ? r : end, INFINITY,
                       "ncclGroupStart; ncclSend to rank+1, ncclRecv from rank-1; ncclGroupEnd",
                       __FILE__, __LINE__);
}

/* Waits for the stream, looking at the communicator between polls: an
 * asynchronous error (a peer gone, a network failure) or the case's deadline
 * aborts it, which also stops its kernels, so no rank waits forever. */
static tcb_status nccl_sync(tcb_comm *c)
{
    TCB_CHECK(usable(c));
    double t0 = tcb_now();
    for (;;) {
        cudaError_t e = cudaStreamQuery(c->stream);
        if (e == cudaSuccess)
            return TCB_OK;
        if (e != cudaErrorNotReady) {
            nccl_abort(c);
            return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__,
                                   "cudaStreamQuery(c->stream)", cudaGetErrorString(e));
        }
        ncclResult_t state = ncclSuccess, q = ncclCommGetAsyncError(c->comm, &state);
        if (q != ncclSuccess)
            state = q;
        if (state != ncclSuccess && state != ncclInProgress)
            return nccl_failed(c, state, "ncclCommGetAsyncError(c->comm, &state)", __FILE__,
                               __LINE__);
        if (tcb_deadline_passed(DEADLINE_GRACE_S))
            return nccl_timeout(c);
        poll_pause(t0);
    }
}

/* ---- versions ------------------------------------------------------------- */

/* NCCL_VERSION_CODE as x.y.z: 2.8 and earlier coded x*1000 + y*100 + z. */
static json_t *nccl_version_string(int code)
{
    char buf[32];
    if (code >= 10000)
        snprintf(buf, sizeof buf, "%d.%d.%d", code / 10000, code % 10000 / 100, code % 100);
    else
        snprintf(buf, sizeof buf, "%d.%d.%d", code / 1000, code % 1000 / 100, code % 100);
    return json_string(buf);
}

/* A new object: the caller's, to json_decref. */
static json_t *nccl_versions(void)
{
    json_t *v = json_object();
    int code = 0;
    ncclResult_t r = ncclGetVersion(&code);
    if (r == ncclSuccess) {
        json_object_set_new(v, "nccl", nccl_version_string(code));
    } else {
        char buf[160];
        snprintf(buf, sizeof buf, "unknown: %s", ncclGetErrorString(r));
        json_object_set_new(v, "nccl", json_string(buf));
    }
    json_object_set_new(v, "nccl_header", nccl_version_string(NCCL_VERSION_CODE));
    tcb_cuda_versions(v);
    return v;
}

const tcb_comm_backend tcb_comm_nccl = {
    .name = "nccl",
    .summary = "NCCL collectives on CUDA device memory, one device per rank "
               "(non-blocking communicators, aborted at the case's timeout)",
    .open = nccl_open,
    .close = nccl_close,
    .rank = nccl_rank,
    .size = nccl_size,
    .host_memory = false,
    .alloc = nccl_alloc,
    .free = nccl_free,
    .upload = nccl_upload,
    .download = nccl_download,
    .allreduce = nccl_allreduce,
    .allgather = nccl_allgather,
    .reducescatter = nccl_reducescatter,
    .alltoall = nccl_alltoall,
    .broadcast = nccl_broadcast,
    .reduce = nccl_reduce,
    .sendrecv = nccl_sendrecv,
    .sync = nccl_sync,
    .in_place = {.reducescatter_at_rank = true, .no_alltoall = true, .no_sendrecv = true},
    .versions = nccl_versions,
};
