/* The check macros of the CUDA libraries, one per library, in the style of
 * tcb_error.h: a failed call is logged with its file, line, call text and the
 * library's own message, and the function returns TCB_ERR_RUNTIME. NCCL's
 * macro lives with its only user, comm_nccl.c. */
#ifndef TCB_CUDA_CHECK_H
#define TCB_CUDA_CHECK_H

#include "tcb_error.h"

#include <cuda_runtime_api.h>

#define TCB_CUDA_CHECK(call)                                                                       \
    do {                                                                                           \
        cudaError_t tcb_ce_ = (call);                                                              \
        if (tcb_ce_ != cudaSuccess)                                                                \
            return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, #call,                     \
                                   cudaGetErrorString(tcb_ce_));                                   \
    } while (0)

/* cuBLASLt's status, with its message (cublasLtGetStatusString). */
#define TCB_CUBLASLT_CHECK(call)                                                                   \
    do {                                                                                           \
        cublasStatus_t tcb_bs_ = (call);                                                           \
        if (tcb_bs_ != CUBLAS_STATUS_SUCCESS)                                                      \
            return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, #call,                     \
                                   cublasLtGetStatusString(tcb_bs_));                              \
    } while (0)

#endif
