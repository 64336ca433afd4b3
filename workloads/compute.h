/* Compute backends: the operations a decoder training step needs, forward and
 * backward, as one table of function pointers per backend (cpu now; cuda fills
 * in the same table later). Workloads (gemm, membw, transformer) call only
 * through the table; adding a backend is one file plus one registry line.
 *
 * Key to the letters (llm.c's):
 *   B batch, T sequence length, C model width (d), N = B*T rows,
 *   NH query heads, KVH key/value heads (GQA: NH % KVH == 0), HS head dim,
 *   QKV = (NH + 2*KVH) * HS, the packed width of the q, k, v projection,
 *   F FFN hidden width, V vocabulary (of this device's shard), OC output channels.
 *
 * Conventions:
 *   - Row-major everywhere. A weight (OC, C) maps C inputs to OC outputs, as
 *     PyTorch's nn.Linear stores it: out = inp @ w^T + bias.
 *   - Arguments in the order outputs, inputs, weights, sizes.
 *   - Pointers are memory of the backend's kind (host memory for cpu, where
 *     host_memory is set); the element type is float (fp32) for every tensor
 *     except token ids (int32).
 *   - Every backward op ACCUMULATES (+=) into every gradient it writes, input
 *     and parameter gradients alike, so a tensor used twice (a residual, a
 *     tied embedding) collects both contributions. The caller zeroes them.
 *     Two exceptions, named at the ops: rope_backward turns its gradient in
 *     place, and softmax_xent overwrites the logits with theirs.
 *   - A gradient output may be NULL only where the op says so.
 *   - Bits are reproducible for the same inputs, machine and thread count;
 *     not across machines (FMA contraction and vector width differ).
 *   - The cpu backend's thread count is process-wide (OpenMP's and
 *     OpenBLAS's): the most recent open() sets it.
 *   - Ops return nothing; an asynchronous backend reports its first failure at
 *     the next sync(), which workloads call once per step.
 *
 * docs/transformer.md gives the formula behind every op. */
#ifndef TCB_COMPUTE_H
#define TCB_COMPUTE_H

#include "tcb_error.h"
#include "world.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A backend's open device (with its thread pool, streams, handles). */
typedef struct tcb_compute tcb_compute;

/* What a workload needs to know of the device it ran on, for MFU. */
typedef struct {
    char name[128];         /* "AMD EPYC 7B13 (2 threads)", "NVIDIA H200" */
    double peak_tflops_f32; /* dense fp32 peak of the part this rank uses; 0 unknown */
    char peak_source[256];  /* "derived: ...", "catalog: ...": where the peak came from */
    double memory_bytes;    /* device memory (host RAM for cpu); 0 unknown */
} tcb_device_info;

/* STREAM's four kernels, for the membw workload. s is the scalar. */
typedef enum {
    TCB_STREAM_COPY,  /* a = b         reads 1 array, writes 1 */
    TCB_STREAM_SCALE, /* a = s * b     reads 1, writes 1 */
    TCB_STREAM_ADD,   /* a = b + c     reads 2, writes 1 */
    TCB_STREAM_TRIAD, /* a = b + s * c reads 2, writes 1 */
} tcb_stream_kernel;

/* Element types of a planned product (gemm_plan below), as the gemm
 * workload names them. a and b hold elements of the input type, c of the
 * output type (tcb_gemm_type_info). tf32 stores fp32 and multiplies with
 * tensor cores' 10-bit mantissas; fp8 is e4m3 in, bf16 out. */
typedef enum { TCB_GEMM_F32, TCB_GEMM_TF32, TCB_GEMM_BF16, TCB_GEMM_F16, TCB_GEMM_FP8,
               TCB_GEMM_NTYPES } tcb_gemm_type;
extern const char *const tcb_gemm_type_names[]; /* NULL-terminated, in tcb_gemm_type order */

/* One product's shape, row-major as the gemm op below: c (m,n) =
 * op(a) @ op(b); trans_a means a is stored (k,m), trans_b b stored (n,k);
 * leading dimensions are the stored rows' lengths. */
typedef struct {
    tcb_gemm_type type;
    bool trans_a, trans_b;
    int m, n, k;
} tcb_gemm_shape;

/* A product planned for one shape: the library's algorithm chosen, its
 * workspace held. Opaque to workloads. */
typedef struct tcb_gemm_plan tcb_gemm_plan;

typedef struct tcb_compute_backend {
    const char *name;
    const char *summary;

    /* Opens the device this rank uses. threads: host threads for the cpu
     * backend (0: as many as this rank's cpuset allows); ignored elsewhere. */
    tcb_status (*open)(const tcb_world *w, int threads, tcb_compute **out);
    void (*close)(tcb_compute *cx);
    void (*describe)(tcb_compute *cx, tcb_device_info *out);
    /* Threads the backend really runs with (cpu); 1 elsewhere. */
    int (*threads)(const tcb_compute *cx);

    /* ---- memory --------------------------------------------------------- */
    bool host_memory;
    void *(*alloc)(tcb_compute *cx, size_t bytes); /* zeroed; NULL on failure */
    void (*free)(tcb_compute *cx, void *p);
    tcb_status (*upload)(tcb_compute *cx, void *dst, const void *host_src, size_t bytes);
    tcb_status (*download)(tcb_compute *cx, void *host_dst, const void *src, size_t bytes);
    void (*zero)(tcb_compute *cx, void *p, size_t bytes);
    /* Waits for everything issued; returns the first failure since the last
     * sync (TCB_OK for a synchronous backend). */
    tcb_status (*sync)(tcb_compute *cx);

    /* ---- dense linear algebra, memory bandwidth ------------------------- */
    /* c (m,n) = alpha * op(a) @ op(b) + beta * c, row-major; op(a) is (m,k),
     * op(b) is (k,n); trans_a means a is stored (k,m) with leading dim lda. */
    void (*gemm)(tcb_compute *cx, bool trans_a, bool trans_b, int m, int n, int k,
                 float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc);
    void (*stream)(tcb_compute *cx, tcb_stream_kernel kernel, float *a, const float *b,
                   const float *c, float s, size_t n);

    /* Planned products of any tcb_gemm_type; all three NULL for a backend
     * with only the fp32 gemm above (cpu). gemm_plan searches the library's
     * algorithms for the shape, timing each on a, b, c (backend memory, as
     * gemm_run will get), and keeps the fastest; it is untimed set-up. A
     * type or layout the device cannot multiply gives TCB_ERR_CONFIG with
     * the reason in why (a case the workload then skips). how gets n bytes
     * saying what was chosen ("cuBLASLt algorithm 2 of 8 ..."). */
    tcb_status (*gemm_plan)(tcb_compute *cx, const tcb_gemm_shape *g, const void *a,
                            const void *b, void *c, tcb_gemm_plan **out, char *why, int n);
    void (*gemm_run)(tcb_compute *cx, tcb_gemm_plan *p, const void *a, const void *b, void *c);
    void (*gemm_plan_describe)(const tcb_gemm_plan *p, char *how, int n);
    void (*gemm_plan_free)(tcb_compute *cx, tcb_gemm_plan *p);
    /* The type of matmul_forward/backward's products: f32 (every backend's
     * default) or bf16 mixed precision (bf16 operands, fp32 accumulation,
     * outputs and master weights). NULL for a backend with f32 only. */
    tcb_status (*set_precision)(tcb_compute *cx, tcb_gemm_type type);
    /* The device's own clock (CUDA events): time_begin marks the stream;
     * time_end marks it again, waits for it and gives the seconds between
     * the marks as the device measured them, without the host's launch and
     * synchronization. NULL where the host clock is the device's (cpu). */
    tcb_status (*time_begin)(tcb_compute *cx);
    tcb_status (*time_end)(tcb_compute *cx, double *seconds);
    /* The most device memory seen in use since open (bytes), with how it
     * was measured in source; NULL where device memory is host memory. */
    double (*memory_peak)(tcb_compute *cx, char *source, int n);

    /* ---- decoder ops ---------------------------------------------------- */
    /* out (B,T,C) = wte[tokens[b,t]] + wpe[t]; wpe (T,C) NULL without learned
     * positions. tokens (B,T) int32, each in [0, V). dwpe may be NULL. */
    void (*encoder_forward)(tcb_compute *cx, float *out, const int32_t *tokens,
                            const float *wte, const float *wpe, int B, int T, int C);
    void (*encoder_backward)(tcb_compute *cx, float *dwte, float *dwpe, const float *dout,
                             const int32_t *tokens, int B, int T, int C);

    /* out (N,C) = (inp - mean) * rstd * w + b; mean, rstd (N) saved for the
     * backward pass; b NULL for no bias. eps inside the square root. */
    void (*layernorm_forward)(tcb_compute *cx, float *out, float *mean, float *rstd,
                              const float *inp, const float *w, const float *b, int N,
                              int C, float eps);
    /* db NULL where the forward had no bias. */
    void (*layernorm_backward)(tcb_compute *cx, float *dinp, float *dw, float *db,
                               const float *dout, const float *inp, const float *w,
                               const float *mean, const float *rstd, int N, int C);
    /* out (N,C) = inp * rstd * w, rstd = 1 / sqrt(mean(inp^2) + eps). */
    void (*rmsnorm_forward)(tcb_compute *cx, float *out, float *rstd, const float *inp,
                            const float *w, int N, int C, float eps);
    void (*rmsnorm_backward)(tcb_compute *cx, float *dinp, float *dw, const float *dout,
                             const float *inp, const float *w, const float *rstd, int N,
                             int C);

    /* out (N,OC) = inp (N,C) @ w^T (w is (OC,C)) + bias (OC, NULL for none). */
    void (*matmul_forward)(tcb_compute *cx, float *out, const float *inp, const float *w,
                           const float *bias, int N, int C, int OC);
    /* dinp (N,C) += dout @ w; dw (OC,C) += dout^T @ inp; dbias (OC) += column
     * sums of dout. dinp may be NULL (nothing upstream); dbias NULL for none. */
    void (*matmul_backward)(tcb_compute *cx, float *dinp, float *dw, float *dbias,
                            const float *dout, const float *inp, const float *w, int N,
                            int C, int OC);

    /* Rotary positions, in place, on `heads` heads of HS in each row of x:
     * row (b,t) starts at x + (b*T + t) * stride, head h at + h*HS. Pairs
     * (2i, 2i+1) turn by angle t * theta^(-2i/HS). The backward pass is the
     * same rotation by the opposite angle, applied to the gradient in place.
     * HS is even; positions start at 0 in every sequence. */
    void (*rope_forward)(tcb_compute *cx, float *x, int B, int T, int heads, int HS,
                         int stride, float theta);
    void (*rope_backward)(tcb_compute *cx, float *dx, int B, int T, int heads, int HS,
                          int stride, float theta);

    /* Causal self-attention with grouped kv heads. qkv (B,T,QKV) packs per row
     * q (NH*HS) then k (KVH*HS) then v (KVH*HS); query head h reads kv head
     * h / (NH/KVH). att (B,NH,T,T) gets the softmax probabilities (zero above
     * the diagonal), kept for the backward pass; out (B,T,NH*HS). Scores are
     * scaled by 1/sqrt(HS). */
    void (*attention_forward)(tcb_compute *cx, float *out, float *att, const float *qkv,
                              int B, int T, int NH, int KVH, int HS);
    /* dqkv (B,T,QKV) += the gradient; datt (B,NH,T,T) is scratch the op may
     * overwrite (only its lower triangle is used).
     *
     * A backend that sets fused_attention never stores the (T,T) matrix
     * (flash attention): att is then (B,NH,T), the log-sum-exp of each
     * query row's scaled scores, written by the forward and read by the
     * backward, and datt is (B,NH,T) scratch. */
    bool fused_attention;
    void (*attention_backward)(tcb_compute *cx, float *dqkv, float *datt,
                               const float *dout, const float *qkv, const float *att,
                               int B, int T, int NH, int KVH, int HS);

    /* GELU, tanh approximation (GPT-2): out = 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))). */
    void (*gelu_forward)(tcb_compute *cx, float *out, const float *inp, size_t n);
    void (*gelu_backward)(tcb_compute *cx, float *dinp, const float *inp,
                          const float *dout, size_t n);
    /* SwiGLU: inp (N,2F) packs per row gate (F) then up (F);
     * out (N,F) = silu(gate) * up, silu(x) = x / (1 + exp(-x)). */
    void (*swiglu_forward)(tcb_compute *cx, float *out, const float *inp, int N, int F);
    void (*swiglu_backward)(tcb_compute *cx, float *dinp, const float *dout,
                            const float *inp, int N, int F);

    /* out = a + b over n; backward: da += dout, db += dout. */
    void (*residual_forward)(tcb_compute *cx, float *out, const float *a, const float *b,
                             size_t n);
    void (*residual_backward)(tcb_compute *cx, float *da, float *db, const float *dout,
                              size_t n);

    /* Fused softmax cross-entropy over logits (N,V) with targets (N):
     * losses[i] = logsumexp(logits[i]) - logits[i][targets[i]]. With grad, the
     * logits are overwritten by their gradient (softmax - onehot) * dloss,
     * dloss being d(total loss)/d(losses[i]) (1/N for a mean); without, the
     * logits are left as they were. Targets are in [0, V); there is no
     * ignore index. */
    void (*softmax_xent)(tcb_compute *cx, float *losses, float *logits,
                         const int32_t *targets, int N, int V, float dloss, bool grad);

    /* ---- optimizer ------------------------------------------------------ */
    /* Sum of squares of x (n), accumulated in double, in a fixed order (the
     * same bits for the same thread count): the global-norm clipping input. */
    double (*sum_squares)(tcb_compute *cx, const float *x, size_t n);
    /* AdamW on fp32 master weights params (n), with g = grads * grad_scale
     * (grad_scale folds the data-parallel mean and global-norm clipping into
     * one pass): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * params -= lr * (m/(1-b1^step) / (sqrt(v/(1-b2^step)) + eps) + wd * params).
     * step counts from 1. Decay applies to every element passed: callers
     * pass norms and biases separately with weight_decay 0. */
    void (*adamw)(tcb_compute *cx, float *params, const float *grads, float *m, float *v,
                  size_t n, float lr, float beta1, float beta2, float eps,
                  float weight_decay, int step, float grad_scale);

    /* ---- provenance ----------------------------------------------------- */
    /* The versions of the libraries and driver under the backend, for
     * run.json (a new JSON object); NULL for none beyond the manifest's. */
    json_t *(*versions)(void);
} tcb_compute_backend;

/* The registry (workloads/registry.c): NULL-terminated list, lookup by name. */
extern const tcb_compute_backend *const tcb_compute_backends[];
const tcb_compute_backend *tcb_compute_backend_find(const char *name);

#endif
