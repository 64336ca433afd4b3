/* Private to the cpu compute backend (workloads/compute_cpu*.c): the open
 * device and the ops each file contributes to the table in compute_cpu.c.
 * Shapes and semantics of every op are those of compute.h; its letter key
 * applies here too. */
#ifndef TCB_COMPUTE_CPU_INTERNAL_H
#define TCB_COMPUTE_CPU_INTERNAL_H

#include "compute.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcb_compute {
    int threads; /* OpenMP and OpenBLAS threads of every op */
    /* One padded double per thread for sum_squares, so its reduction needs no
     * allocation per call and no atomics (determinism). */
    double *partials; /* (threads * TCB_CPU_PAD) */
};

/* Doubles per partial: one 64-byte cache line each, no false sharing. */
#define TCB_CPU_PAD 8

/* Column-blocked reductions over rows (layernorm dw, matmul dbias, encoder
 * dwte) hand each thread whole blocks of this many columns and sum the rows
 * in order: deterministic whatever the thread count, and no scratch. */
#define TCB_CPU_COLS 64

static inline int tcb_cpu_min(int a, int b)
{
    return a < b ? a : b;
}

/* For the few loops where exp dominates (the loss, the attention softmax):
 * built twice, for x86-64-v3 (AVX2, FMA) and for the baseline, the better one
 * picked at load time. The build targets baseline x86-64 (SSE2), where the
 * exp loop ran 3x slower (softmax_xent at N=1024, V=50257: 98 ms, now 35).
 * The helpers below are always_inline so that each clone compiles them with
 * its own instruction set (GCC will not inline them into a clone otherwise).
 * Same machine, same clone: the bits stay reproducible. */
#if defined(__GNUC__) && __GNUC__ >= 11 && !defined(__clang__) && defined(__x86_64__)
#define TCB_CPU_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TCB_CPU_CLONES
#endif

/* max of x[0..n), n >= 1 (NaN ignored). Eight running maxima, a vector's
 * worth: GCC keeps an `omp simd reduction(max)` accumulator on the stack
 * (0.8 ns an element), and fmaxf is a libm call (4.7 ns); this runs at
 * ~0.07 ns from cache. */
static inline __attribute__((always_inline)) float tcb_cpu_max(const float *x, int n)
{
    float m[8];
    for (int k = 0; k < 8; k++)
        m[k] = x[0];
    int j = 0;
    for (; j + 8 <= n; j += 8) {
#pragma omp simd
        for (int k = 0; k < 8; k++)
            m[k] = x[j + k] > m[k] ? x[j + k] : m[k];
    }
    float r = m[0];
    for (int k = 1; k < 8; k++)
        r = m[k] > r ? m[k] : r;
    for (; j < n; j++)
        r = x[j] > r ? x[j] : r;
    return r;
}

/* A float's bits. */
typedef union {
    float f;
    int32_t i;
} tcb_cpu_bits;

/* exp(x) in fp32 with no libm call, so that the loops of softmax, GELU and
 * SiLU vectorize (glibc's expf is a scalar call unless -ffast-math; in the
 * attention softmax it cost more than the matrix products). Cephes' expf:
 * x = n ln2 + r, |r| <= ln2/2, exp(r) by its degree-7 polynomial, 2^n put
 * in the exponent bits; within a few ulp of expf.
 *
 * x is first clamped to [-87, 88] (exp(-87) ~ 1.6e-38 stands for 0, and
 * -inf gives it too; 88 and +inf give 1.65e38), and NaN is passed through.
 * All of it in integer arithmetic on the bits: under GCC's default
 * -ftrapping-math a float compare in a loop stays a branch, and a branch
 * stops the vectorizer. */
static inline __attribute__((always_inline)) float tcb_cpu_expf(float x)
{
    tcb_cpu_bits in = {.f = x};
    /* As signed integers, these keys order the floats the way the floats
     * order (a negative float's magnitude bits flipped). */
    const int32_t key_lo = -1118699521; /* key of -87.0f, bits 0xc2ae0000 */
    const int32_t key_hi = 1118830592;  /* key of 88.0f, bits 0x42b00000 */
    int32_t key = in.i ^ ((in.i >> 31) & 0x7fffffff);
    key = key < key_lo ? key_lo : key;
    key = key > key_hi ? key_hi : key;
    tcb_cpu_bits c = {.i = key ^ ((key >> 31) & 0x7fffffff)};
    x = c.f;

    /* round(x / ln2) by adding 1.5 * 2^23: rintf is a call below SSE4.1. */
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f; /* ln2 in two parts */
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    tcb_cpu_bits two_n = {.i = ((int32_t)n + 127) << 23}; /* n in [-126, 127] */
    tcb_cpu_bits out = {.f = p * two_n.f};

    int32_t nan = (0x7f800000 - (in.i & 0x7fffffff)) >> 31; /* all ones for NaN */
    out.i = (in.i & nan) | (out.i & ~nan);
    return out.f;
}

/* compute_cpu_layers.c */
void tcb_cpu_encoder_forward(tcb_compute *cx, float *out, const int32_t *tokens,
                             const float *wte, const float *wpe, int B, int T, int C);
void tcb_cpu_encoder_backward(tcb_compute *cx, float *dwte, float *dwpe, const float *dout,
                              const int32_t *tokens, int B, int T, int C);
void tcb_cpu_layernorm_forward(tcb_compute *cx, float *out, float *mean, float *rstd,
                               const float *inp, const float *w, const float *b, int N,
                               int C, float eps);
void tcb_cpu_layernorm_backward(tcb_compute *cx, float *dinp, float *dw, float *db,
                                const float *dout, const float *inp, const float *w,
                                const float *mean, const float *rstd, int N, int C);
void tcb_cpu_rmsnorm_forward(tcb_compute *cx, float *out, float *rstd, const float *inp,
                             const float *w, int N, int C, float eps);
void tcb_cpu_rmsnorm_backward(tcb_compute *cx, float *dinp, float *dw, const float *dout,
                              const float *inp, const float *w, const float *rstd, int N,
                              int C);
void tcb_cpu_matmul_forward(tcb_compute *cx, float *out, const float *inp, const float *w,
                            const float *bias, int N, int C, int OC);
void tcb_cpu_matmul_backward(tcb_compute *cx, float *dinp, float *dw, float *dbias,
                             const float *dout, const float *inp, const float *w, int N,
                             int C, int OC);
void tcb_cpu_rope_forward(tcb_compute *cx, float *x, int B, int T, int heads, int HS,
                          int stride, float theta);
void tcb_cpu_rope_backward(tcb_compute *cx, float *dx, int B, int T, int heads, int HS,
                           int stride, float theta);
void tcb_cpu_gelu_forward(tcb_compute *cx, float *out, const float *inp, size_t n);
void tcb_cpu_gelu_backward(tcb_compute *cx, float *dinp, const float *inp,
                           const float *dout, size_t n);
void tcb_cpu_swiglu_forward(tcb_compute *cx, float *out, const float *inp, int N, int F);
void tcb_cpu_swiglu_backward(tcb_compute *cx, float *dinp, const float *dout,
                             const float *inp, int N, int F);
void tcb_cpu_residual_forward(tcb_compute *cx, float *out, const float *a, const float *b,
                              size_t n);
void tcb_cpu_residual_backward(tcb_compute *cx, float *da, float *db, const float *dout,
                               size_t n);
void tcb_cpu_softmax_xent(tcb_compute *cx, float *losses, float *logits,
                          const int32_t *targets, int N, int V, float dloss, bool grad);

/* compute_cpu_attention.c */
void tcb_cpu_attention_forward(tcb_compute *cx, float *out, float *att, const float *qkv,
                               int B, int T, int NH, int KVH, int HS);
void tcb_cpu_attention_backward(tcb_compute *cx, float *dqkv, float *datt,
                                const float *dout, const float *qkv, const float *att,
                                int B, int T, int NH, int KVH, int HS);

/* compute_cpu_optim.c */
double tcb_cpu_sum_squares(tcb_compute *cx, const float *x, size_t n);
void tcb_cpu_adamw(tcb_compute *cx, float *params, const float *grads, float *m, float *v,
                   size_t n, float lr, float beta1, float beta2, float eps,
                   float weight_decay, int step, float grad_scale);

#endif
