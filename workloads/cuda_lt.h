/* One row-major product as cuBLASLt sees it, shared by the gemm workload's
 * planned products (compute_cuda_gemm.c, which explains the row-major to
 * column-major swap) and the linear layers (compute_cuda_matmul.c). Private
 * to the cuda backend. */
#ifndef TCB_CUDA_LT_H
#define TCB_CUDA_LT_H

#include "compute_cuda_internal.h"

#include <cublasLt.h>

/* c (m,n) = op(a) @ op(b) (+ bias), row-major; a and b of type `in`, c of
 * `out`; trans_a: a stored (k,m); trans_b: b stored (n,k). */
typedef struct {
    cudaDataType_t in, out;
    cublasComputeType_t compute;
    bool trans_a, trans_b;
    int m, n, k, lda, ldb, ldc;
    cublasLtEpilogue_t epilogue; /* CUBLASLT_EPILOGUE_DEFAULT, or _BIAS */
} tcb_cuda_lt_shape;

/* Its descriptors: cuBLASLt's A is our b, its B our a, C = D is c. */
typedef struct {
    cublasLtMatmulDesc_t desc;
    cublasLtMatrixLayout_t la, lb, lc;
} tcb_cuda_lt;

/* Creates d for s; on failure d holds nothing to destroy. */
tcb_status tcb_cuda_lt_describe(tcb_cuda_lt *d, const tcb_cuda_lt_shape *s);
void tcb_cuda_lt_destroy(tcb_cuda_lt *d);

/* Up to max algorithms the heuristic offers for d within the backend's
 * workspace, in its order; *count 0 where it has none (not a failure). */
tcb_status tcb_cuda_lt_heuristics(tcb_compute *cx, const tcb_cuda_lt *d,
                                  cublasLtMatmulHeuristicResult_t *res, int max, int *count);

/* c = alpha op(a) @ op(b) + beta c on the backend's stream. */
tcb_status tcb_cuda_lt_matmul(tcb_compute *cx, const tcb_cuda_lt *d,
                              const cublasLtMatmulAlgo_t *algo, float alpha, const void *a,
                              const void *b, float beta, void *c);

#endif
