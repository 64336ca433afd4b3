/* What is compiled in. Adding a workload or a backend is its file plus one
 * line here; nothing else names them. */
#include "comm.h"
#include "compute.h"
#include "workload.h"

#include <string.h>

extern const tcb_workload tcb_workload_collective, tcb_workload_gemm, tcb_workload_membw,
    tcb_workload_transformer, tcb_workload_sleep;

const tcb_workload *const tcb_workloads[] = {
    &tcb_workload_collective,
    &tcb_workload_gemm,
    &tcb_workload_membw,
    &tcb_workload_transformer,
    &tcb_workload_sleep,
    NULL,
};

#ifdef TCB_HAVE_MPI
extern const tcb_comm_backend tcb_comm_mpi;
#endif
#ifdef TCB_HAVE_NCCL
extern const tcb_comm_backend tcb_comm_nccl;
#endif

const tcb_comm_backend *const tcb_comm_backends[] = {
#ifdef TCB_HAVE_MPI
    &tcb_comm_mpi,
#endif
#ifdef TCB_HAVE_NCCL
    &tcb_comm_nccl,
#endif
    NULL,
};

extern const tcb_compute_backend tcb_compute_cpu;
#ifdef TCB_HAVE_CUDA
extern const tcb_compute_backend tcb_compute_cuda;
#endif

const tcb_compute_backend *const tcb_compute_backends[] = {
    &tcb_compute_cpu,
#ifdef TCB_HAVE_CUDA
    &tcb_compute_cuda,
#endif
    NULL,
};

const char *const tcb_redop_names[] = {"sum", "max", "min", NULL};
const char *const tcb_scope_names[] = {"world", "node", "cross", NULL};

const tcb_workload *tcb_workload_find(const char *name)
{
    for (int i = 0; tcb_workloads[i] != NULL; i++)
        if (strcmp(tcb_workloads[i]->name, name) == 0)
            return tcb_workloads[i];
    return NULL;
}

const tcb_compute_backend *tcb_compute_backend_find(const char *name)
{
    for (int i = 0; tcb_compute_backends[i] != NULL; i++)
        if (strcmp(tcb_compute_backends[i]->name, name) == 0)
            return tcb_compute_backends[i];
    return NULL;
}

const tcb_comm_backend *tcb_comm_backend_find(const char *name)
{
    for (int i = 0; tcb_comm_backends[i] != NULL; i++)
        if (strcmp(tcb_comm_backends[i]->name, name) == 0)
            return tcb_comm_backends[i];
    return NULL;
}

int tcb_backend_exists(tcb_backend_kind kind, const char *name)
{
    switch (kind) {
    case TCB_BACKEND_COMM: return tcb_comm_backend_find(name) != NULL;
    case TCB_BACKEND_COMPUTE: return tcb_compute_backend_find(name) != NULL;
    default: return 0;
    }
}

const char *tcb_backend_kind_name(tcb_backend_kind kind)
{
    switch (kind) {
    case TCB_BACKEND_COMM: return "comm";
    case TCB_BACKEND_COMPUTE: return "compute";
    default: return "none";
    }
}
