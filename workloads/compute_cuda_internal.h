/* What the cuda backend's files share: the open device and the launchers of
 * the CUDA C kernels (*.cu), which take the stream they run on. Private to
 * workloads/compute_cuda*.c and workloads/cuda_*.cu. */
#ifndef TCB_COMPUTE_CUDA_INTERNAL_H
#define TCB_COMPUTE_CUDA_INTERNAL_H

#include "compute.h"
#include "cuda_kernels.h"

#include <cuda_runtime_api.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tcb_compute {
    int device;
    cudaStream_t stream;     /* every op of this device runs on it, in order */
    void *lt;                /* cublasLtHandle_t (cublasLt.h stays in the .c that uses it) */
    void *workspace;         /* cuBLASLt's, TCB_CUDA_WORKSPACE bytes */
    struct cudaDeviceProp prop;
    tcb_status failed;       /* the first failure since the last sync: ops return nothing */
    struct tcb_cuda_matmul *matmul; /* the linear layers' state (compute_cuda_matmul.c) */
    double used_base, used_peak;    /* device memory in use at open, and the most since */
    cudaEvent_t marks[2];           /* time_begin's and time_end's */
    double *sum_scratch;            /* sum_squares' partial sums; made at first use */
};

/* Hopper's cuBLASLt kernels want 32 MiB of workspace (NVIDIA's cuBLAS
 * documentation, "cublasSetWorkspace"); less rules some of them out. */
#define TCB_CUDA_WORKSPACE ((size_t)32 << 20)

/* Keeps the first failure for the next sync (compute.h: ops return nothing). */
void tcb_cuda_note(tcb_compute *cx, tcb_status st);

/* ---- cuBLASLt (compute_cuda_gemm.c) ---- */
tcb_status tcb_cuda_gemm_open(tcb_compute *cx);  /* handle and workspace */
void tcb_cuda_gemm_close(tcb_compute *cx);
void tcb_cuda_gemm(tcb_compute *cx, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb, float beta, float *c,
                   int ldc);
tcb_status tcb_cuda_gemm_plan(tcb_compute *cx, const tcb_gemm_shape *g, const void *a,
                              const void *b, void *c, tcb_gemm_plan **out, char *why, int n);
void tcb_cuda_gemm_run(tcb_compute *cx, tcb_gemm_plan *p, const void *a, const void *b, void *c);
void tcb_cuda_gemm_plan_describe(const tcb_gemm_plan *p, char *how, int n);
void tcb_cuda_gemm_plan_free(tcb_compute *cx, tcb_gemm_plan *p);

/* ---- linear layers (compute_cuda_matmul.c) ---- */
/* f32 (the default) or bf16 mixed precision for matmul_forward/backward. */
tcb_status tcb_cuda_set_precision(tcb_compute *cx, tcb_gemm_type type);
void tcb_cuda_matmul_forward(tcb_compute *cx, float *out, const float *inp, const float *w,
                             const float *bias, int N, int C, int OC);
void tcb_cuda_matmul_backward(tcb_compute *cx, float *dinp, float *dw, float *dbias,
                              const float *dout, const float *inp, const float *w, int N, int C,
                              int OC);
/* n floats at p were written (adamw): their bf16 copies are stale. */
void tcb_cuda_matmul_params_changed(tcb_compute *cx, const float *p, size_t n);
void tcb_cuda_matmul_close(tcb_compute *cx);

/* ---- kernels: their launchers (STREAM's among them) are in cuda_kernels.h ---- */

/* ---- decoder and optimizer ops (compute_cuda_ops.c), for the table ----
 * compute.h's signatures and semantics; attention_forward/backward are the
 * fused kind, with att and datt of (B,NH,T) (cuda_kernels.h). */
void tcb_cuda_encoder_forward(tcb_compute *cx, float *out, const int32_t *tokens,
                              const float *wte, const float *wpe, int B, int T, int C);
void tcb_cuda_encoder_backward(tcb_compute *cx, float *dwte, float *dwpe, const float *dout,
                               const int32_t *tokens, int B, int T, int C);
void tcb_cuda_layernorm_forward(tcb_compute *cx, float *out, float *mean, float *rstd,
                                const float *inp, const float *w, const float *b, int N, int C,
                                float eps);
void tcb_cuda_layernorm_backward(tcb_compute *cx, float *dinp, float *dw, float *db,
                                 const float *dout, const float *inp, const float *w,
                                 const float *mean, const float *rstd, int N, int C);
void tcb_cuda_rmsnorm_forward(tcb_compute *cx, float *out, float *rstd, const float *inp,
                              const float *w, int N, int C, float eps);
void tcb_cuda_rmsnorm_backward(tcb_compute *cx, float *dinp, float *dw, const float *dout,
                               const float *inp, const float *w, const float *rstd, int N, int C);
void tcb_cuda_rope_forward(tcb_compute *cx, float *x, int B, int T, int heads, int HS,
                           int stride, float theta);
void tcb_cuda_rope_backward(tcb_compute *cx, float *dx, int B, int T, int heads, int HS,
                            int stride, float theta);
void tcb_cuda_attention_forward(tcb_compute *cx, float *out, float *att, const float *qkv, int B,
                                int T, int NH, int KVH, int HS);
void tcb_cuda_attention_backward(tcb_compute *cx, float *dqkv, float *datt, const float *dout,
                                 const float *qkv, const float *att, int B, int T, int NH,
                                 int KVH, int HS);
void tcb_cuda_gelu_forward(tcb_compute *cx, float *out, const float *inp, size_t n);
void tcb_cuda_gelu_backward(tcb_compute *cx, float *dinp, const float *inp, const float *dout,
                            size_t n);
void tcb_cuda_swiglu_forward(tcb_compute *cx, float *out, const float *inp, int N, int F);
void tcb_cuda_swiglu_backward(tcb_compute *cx, float *dinp, const float *dout, const float *inp,
                              int N, int F);
void tcb_cuda_residual_forward(tcb_compute *cx, float *out, const float *a, const float *b,
                               size_t n);
void tcb_cuda_residual_backward(tcb_compute *cx, float *da, float *db, const float *dout,
                                size_t n);
void tcb_cuda_softmax_xent(tcb_compute *cx, float *losses, float *logits, const int32_t *targets,
                           int N, int V, float dloss, bool grad);
/* Waits for the stream (the caller needs the value); NAN after a failure. */
double tcb_cuda_sum_squares(tcb_compute *cx, const float *x, size_t n);
void tcb_cuda_adamw(tcb_compute *cx, float *params, const float *grads, float *m, float *v,
                    size_t n, float lr, float beta1, float beta2, float eps, float weight_decay,
                    int step, float grad_scale);

#ifdef __cplusplus
}
#endif

#endif
