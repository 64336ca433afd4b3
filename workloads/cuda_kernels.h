/* The launchers of the cuda backend's CUDA C kernels (workloads/cuda_*.cu):
 * C-callable, each taking the stream it issues on first, then the arguments
 * of its compute.h op (without the tcb_compute), and returning the launch's
 * error (cudaGetLastError()); the work itself runs asynchronously on the
 * stream. Pointers are device memory. Shapes, letters and semantics are
 * compute.h's (every backward adds, +=, into its gradients) except where a
 * launcher below says otherwise (attention's att and datt).
 *
 * The same sources also compile as plain C++ on the host, where
 * tests/cuda_emu/cuda_emu.h runs every launch on the CPU with CUDA's
 * semantics (TCB_CUDA_EMULATE, tests/test_cuda_emu.c): pointers are then host
 * memory. That is why every launch goes through TCB_LAUNCH below.
 *
 * Determinism: no kernel here uses atomics; every reduction (norm weight
 * gradients, embedding scatter, dk/dv over query heads, sum of squares) runs
 * in a fixed order, so the same inputs on the same GPU give the same bits. */
#ifndef TCB_CUDA_KERNELS_H
#define TCB_CUDA_KERNELS_H

#include "compute.h" /* tcb_stream_kernel */

#ifdef TCB_CUDA_EMULATE
#include "cuda_emu.h" /* host stand-ins for the runtime and the device built-ins */
#else
#include <cuda_runtime_api.h>
#ifdef __CUDACC__
#include <cuda_bf16.h>
#endif
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* k<<<grid, block, smem, stream>>>(args) under nvcc, the emulator's runner
 * under TCB_CUDA_EMULATE. kernel must be one macro argument: a template
 * kernel whose arguments hold a comma goes through a pointer first
 * (`auto *k = attn_fwd<64, 32>; TCB_LAUNCH(k, ...)`). Dynamic shared memory
 * has no emulation: smem must be 0 (size shared arrays with templates). */
#if defined(TCB_CUDA_EMULATE)
#define TCB_LAUNCH(kernel, grid, block, smem, stream, ...)                                         \
    tcb_emu_launch((grid), (block), (smem), (stream), kernel, __VA_ARGS__)
#elif defined(__CUDACC__)
#define TCB_LAUNCH(kernel, grid, block, smem, stream, ...)                                         \
    kernel<<<(grid), (block), (smem), (stream)>>>(__VA_ARGS__)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- STREAM (cuda_stream.cu) ---- */
/* compute.h's STREAM kernels; sms sizes the grid (blocks = 8 per SM at most). */
cudaError_t tcb_cuda_stream_launch(cudaStream_t st, int sms, tcb_stream_kernel kernel, float *a,
                                   const float *b, const float *c, float s, size_t n);

/* ---- embeddings, norms, rotary positions, activations, loss (cuda_layers.cu) ---- */
cudaError_t tcb_cuda_encoder_forward_launch(cudaStream_t st, float *out, const int32_t *tokens,
                                            const float *wte, const float *wpe, int B, int T,
                                            int C);
/* dwte's scatter (a token may repeat) without atomics: thread (column c,
 * slice s) adds the rows whose token is s modulo the slices, in row order, so
 * every element sums its rows in the cpu backend's order. */
cudaError_t tcb_cuda_encoder_backward_launch(cudaStream_t st, float *dwte, float *dwpe,
                                             const float *dout, const int32_t *tokens, int B,
                                             int T, int C);
cudaError_t tcb_cuda_layernorm_forward_launch(cudaStream_t st, float *out, float *mean,
                                              float *rstd, const float *inp, const float *w,
                                              const float *b, int N, int C, float eps);
cudaError_t tcb_cuda_layernorm_backward_launch(cudaStream_t st, float *dinp, float *dw,
                                               float *db, const float *dout, const float *inp,
                                               const float *w, const float *mean,
                                               const float *rstd, int N, int C);
cudaError_t tcb_cuda_rmsnorm_forward_launch(cudaStream_t st, float *out, float *rstd,
                                            const float *inp, const float *w, int N, int C,
                                            float eps);
cudaError_t tcb_cuda_rmsnorm_backward_launch(cudaStream_t st, float *dinp, float *dw,
                                             const float *dout, const float *inp, const float *w,
                                             const float *rstd, int N, int C);
cudaError_t tcb_cuda_rope_forward_launch(cudaStream_t st, float *x, int B, int T, int heads,
                                         int HS, int stride, float theta);
cudaError_t tcb_cuda_rope_backward_launch(cudaStream_t st, float *dx, int B, int T, int heads,
                                          int HS, int stride, float theta);
cudaError_t tcb_cuda_gelu_forward_launch(cudaStream_t st, float *out, const float *inp,
                                         size_t n);
cudaError_t tcb_cuda_gelu_backward_launch(cudaStream_t st, float *dinp, const float *inp,
                                          const float *dout, size_t n);
cudaError_t tcb_cuda_swiglu_forward_launch(cudaStream_t st, float *out, const float *inp, int N,
                                           int F);
cudaError_t tcb_cuda_swiglu_backward_launch(cudaStream_t st, float *dinp, const float *dout,
                                            const float *inp, int N, int F);
cudaError_t tcb_cuda_residual_forward_launch(cudaStream_t st, float *out, const float *a,
                                             const float *b, size_t n);
cudaError_t tcb_cuda_residual_backward_launch(cudaStream_t st, float *da, float *db,
                                              const float *dout, size_t n);
cudaError_t tcb_cuda_softmax_xent_launch(cudaStream_t st, float *losses, float *logits,
                                         const int32_t *targets, int N, int V, float dloss,
                                         bool grad);

/* Bias helpers for the matrix products (compute_cuda_gemm.c):
 *   bias_broadcast: every row of out (N,OC) = bias (OC), for a product
 *                   then added on with beta = 1 (the cpu backend's order);
 *   bias_add:       out (N,OC) += bias (OC) on every row;
 *   bias_backward:  dbias (OC) += column sums of dout (N,OC), in double. */
cudaError_t tcb_cuda_bias_broadcast_launch(cudaStream_t st, float *out, const float *bias, int N,
                                           int OC);
cudaError_t tcb_cuda_bias_add_launch(cudaStream_t st, float *out, const float *bias, int N,
                                     int OC);
cudaError_t tcb_cuda_bias_backward_launch(cudaStream_t st, float *dbias, const float *dout,
                                          int N, int OC);

/* ---- attention (cuda_attention.cu) ----
 * Fused (flash-attention style) causal attention with grouped kv heads; the
 * (T,T) matrix is never stored. qkv (B,T,QKV), out and dout (B,T,NH*HS),
 * dqkv (B,T,QKV) as in compute.h; HS even, 2 <= HS <= 256; any T >= 1.
 * What differs from compute.h's attention_forward/backward:
 *   att  is (B,NH,T) floats, not (B,NH,T,T): the forward writes, for every
 *        query row (b,h,t), lse = max_j s_tj + log(sum_{j<=t} exp(s_tj - max)),
 *        s_tj = q_t . k_j / sqrt(HS), the row's log-sum-exp; the backward
 *        reads it (P_tj = exp(s_tj - lse_t)).
 *   datt is (B,NH,T) floats of scratch, not (B,NH,T,T): the backward first
 *        writes D_t = sum_d dout_t[d] * out_t[d] there (out recomputed from
 *        q, k, v and lse, since the op is not given it), then reads it.
 * The backward adds into dq, dk and dv of dqkv (+=). dk and dv sum over the
 * NH/KVH query heads of their kv head in head order and over query blocks in
 * order (one thread block per kv head and key block), dq over key blocks in
 * order: deterministic, no atomics. */
cudaError_t tcb_cuda_attention_forward_launch(cudaStream_t st, float *out, float *att,
                                              const float *qkv, int B, int T, int NH, int KVH,
                                              int HS);
cudaError_t tcb_cuda_attention_backward_launch(cudaStream_t st, float *dqkv, float *datt,
                                               const float *dout, const float *qkv,
                                               const float *att, int B, int T, int NH, int KVH,
                                               int HS);

/* ---- optimizer, conversions (cuda_optim.cu) ---- */
/* Doubles of device scratch sum_squares needs: the result in scratch[0],
 * per-block partial sums after it. */
#define TCB_CUDA_SUM_SQUARES_BLOCKS 264 /* fixed: 2 per SM of an H100/H200 (132 SMs) */
#define TCB_CUDA_SUM_SQUARES_SCRATCH (1 + TCB_CUDA_SUM_SQUARES_BLOCKS)
/* scratch[0] = sum of x[i]^2 in double, in a fixed order: a fixed grid, each
 * thread a grid-stride slice, each block's partial by a fixed tree, then one
 * block adds the partials in a fixed tree. Same n, same bits. */
cudaError_t tcb_cuda_sum_squares_launch(cudaStream_t st, double *scratch, const float *x,
                                        size_t n);
/* compute.h's AdamW; the bias corrections are computed here in double, as the
 * cpu backend does. */
cudaError_t tcb_cuda_adamw_launch(cudaStream_t st, float *params, const float *grads, float *m,
                                  float *v, size_t n, float lr, float beta1, float beta2,
                                  float eps, float weight_decay, int step, float grad_scale);
/* out (n) bf16 (__nv_bfloat16, void * for C callers) = in (n) fp32, rounded
 * to nearest even; from_bf16 widens back exactly. */
cudaError_t tcb_cuda_to_bf16(cudaStream_t st, void *out, const float *in, size_t n);
cudaError_t tcb_cuda_from_bf16(cudaStream_t st, float *out, const void *in, size_t n);

#ifdef __cplusplus
}
#endif

#endif
