/* The cuda backend's linear layers (compute.h's matmul_forward and
 * matmul_backward) on cuBLASLt, in fp32 or in bf16 mixed precision.
 *
 * In bf16 (the transformer's dtype bf16), the products read bf16 copies of
 * their operands and accumulate in fp32 into fp32 outputs; the master
 * weights, the gradients and AdamW's state stay fp32, as in mixed-precision
 * training. The bf16 copy of a weight is made once per optimizer step: it
 * is kept, keyed by the weight's address, until adamw writes into that
 * weight. Activations are fp32 in the table (compute.h), so each product
 * converts its activation operand into a scratch buffer first: the price of
 * one fp32 read and one bf16 write of that operand, which docs/cuda.md
 * measures against the product.
 *
 * The bias of the forward pass is cuBLASLt's BIAS epilogue, fused into the
 * product; the bias gradient is a column-sum kernel, since the BGRAD
 * epilogues overwrite where compute.h accumulates.
 *
 * Plans (descriptors and the heuristic's first algorithm) are cached per
 * shape: a training step calls the same few shapes every layer, and asking
 * the heuristic costs more than a small product. */
#include "compute_cuda_internal.h"
#include "cuda_check.h"
#include "cuda_kernels.h"
#include "cuda_lt.h"

#include <stdlib.h>
#include <string.h>

/* One cached product: its key and its descriptors. */
typedef struct {
    int bf16, ta, tb, m, n, k, lda, ldb, ldc, bias;
    tcb_cuda_lt lt;
    cublasLtMatmulAlgo_t algo;
} lt_plan;

/* A weight's bf16 copy, valid until adamw writes the weight. */
typedef struct {
    const float *w;
    size_t n;
    void *copy;
    bool fresh;
} shadow;

struct tcb_cuda_matmul {
    bool bf16;
    lt_plan *plans;
    int nplans, cap_plans;
    shadow *shadows;
    int nshadows, cap_shadows;
    void *scratch[2]; /* bf16 activations: the operands of one product */
    size_t scratch_n[2];
};

void tcb_cuda_matmul_close(tcb_compute *cx)
{
    struct tcb_cuda_matmul *mm = cx->matmul;
    if (mm == NULL)
        return;
    for (int i = 0; i < mm->nplans; i++)
        tcb_cuda_lt_destroy(&mm->plans[i].lt);
    for (int i = 0; i < mm->nshadows; i++)
        cudaFree(mm->shadows[i].copy);
    for (int i = 0; i < 2; i++)
        cudaFree(mm->scratch[i]);
    free(mm->plans);
    free(mm->shadows);
    free(mm);
    cx->matmul = NULL;
}

tcb_status tcb_cuda_set_precision(tcb_compute *cx, tcb_gemm_type type)
{
    if (type != TCB_GEMM_F32 && type != TCB_GEMM_BF16)
        return tcb_log_failure(TCB_ERR_CONFIG, __FILE__, __LINE__, "tcb_cuda_set_precision",
                               "the cuda backend trains in f32 or bf16");
    if (cx->matmul == NULL) {
        cx->matmul = calloc(1, sizeof *cx->matmul);
        TCB_ALLOC_CHECK(cx->matmul);
    }
    cx->matmul->bf16 = type == TCB_GEMM_BF16;
    return TCB_OK;
}

/* The plan for this key, made and cached on first use. */
static tcb_status find_plan(tcb_compute *cx, const lt_plan *key, lt_plan **out)
{
    struct tcb_cuda_matmul *mm = cx->matmul;
    for (int i = 0; i < mm->nplans; i++) {
        lt_plan *p = &mm->plans[i];
        if (p->bf16 == key->bf16 && p->ta == key->ta && p->tb == key->tb && p->m == key->m &&
            p->n == key->n && p->k == key->k && p->lda == key->lda && p->ldb == key->ldb &&
            p->ldc == key->ldc && p->bias == key->bias) {
            *out = p;
            return TCB_OK;
        }
    }
    if (mm->nplans == mm->cap_plans) {
        int cap = mm->cap_plans ? 2 * mm->cap_plans : 16;
        lt_plan *grown = realloc(mm->plans, (size_t)cap * sizeof *grown);
        TCB_ALLOC_CHECK(grown);
        mm->plans = grown;
        mm->cap_plans = cap;
    }
    lt_plan *p = &mm->plans[mm->nplans];
    *p = *key;
    cudaDataType_t in = key->bf16 ? CUDA_R_16BF : CUDA_R_32F;
    tcb_cuda_lt_shape shape = {
        .in = in, .out = CUDA_R_32F, .compute = CUBLAS_COMPUTE_32F, .trans_a = key->ta,
        .trans_b = key->tb, .m = key->m, .n = key->n, .k = key->k, .lda = key->lda,
        .ldb = key->ldb, .ldc = key->ldc,
        .epilogue = key->bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT};
    cublasLtMatmulHeuristicResult_t res;
    int count = 0;
    TCB_CHECK(tcb_cuda_lt_describe(&p->lt, &shape));
    tcb_status st = tcb_cuda_lt_heuristics(cx, &p->lt, &res, 1, &count);
    if (st == TCB_OK && count == 0)
        st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "cublasLtMatmulAlgoGetHeuristic",
                             "no algorithm for a linear layer's product");
    if (st != TCB_OK) {
        tcb_cuda_lt_destroy(&p->lt);
        return st;
    }
    p->algo = res.algo;
    mm->nplans++;
    *out = p;
    return TCB_OK;
}

/* c (m,n) = op(a) @ op(b) + beta c (+ bias per column of c), row-major. */
static tcb_status product(tcb_compute *cx, bool ta, bool tb, int m, int n, int k, const void *a,
                          int lda, const void *b, int ldb, float beta, float *c,
                          const float *bias)
{
    lt_plan key = {.bf16 = cx->matmul->bf16, .ta = ta, .tb = tb, .m = m, .n = n, .k = k,
                   .lda = lda, .ldb = ldb, .ldc = n, .bias = bias != NULL};
    lt_plan *p = NULL;
    TCB_CHECK(find_plan(cx, &key, &p));
    if (bias != NULL)
        TCB_CUBLASLT_CHECK(cublasLtMatmulDescSetAttribute(
            p->lt.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias));
    return tcb_cuda_lt_matmul(cx, &p->lt, &p->algo, 1.0f, a, b, beta, c);
}

/* x (n floats) as bf16 in scratch slot `slot`, grown as needed. */
static tcb_status to_scratch(tcb_compute *cx, int slot, const float *x, size_t n, void **out)
{
    struct tcb_cuda_matmul *mm = cx->matmul;
    if (mm->scratch_n[slot] < n) {
        if (mm->scratch[slot] != NULL) {
            TCB_CUDA_CHECK(cudaStreamSynchronize(cx->stream)); /* no kernel still reads it */
            TCB_CUDA_CHECK(cudaFree(mm->scratch[slot]));
            mm->scratch[slot] = NULL;
            mm->scratch_n[slot] = 0;
        }
        TCB_CUDA_CHECK(cudaMalloc(&mm->scratch[slot], n * 2));
        mm->scratch_n[slot] = n;
    }
    TCB_CUDA_CHECK(tcb_cuda_to_bf16(cx->stream, mm->scratch[slot], x, n));
    *out = mm->scratch[slot];
    return TCB_OK;
}

/* The bf16 copy of weight w (n floats), made if missing or stale. */
static tcb_status weight_copy(tcb_compute *cx, const float *w, size_t n, void **out)
{
    struct tcb_cuda_matmul *mm = cx->matmul;
    shadow *sh = NULL;
    for (int i = 0; i < mm->nshadows && sh == NULL; i++)
        if (mm->shadows[i].w == w && mm->shadows[i].n == n)
            sh = &mm->shadows[i];
    if (sh == NULL) {
        if (mm->nshadows == mm->cap_shadows) {
            int cap = mm->cap_shadows ? 2 * mm->cap_shadows : 64;
            shadow *grown = realloc(mm->shadows, (size_t)cap * sizeof *grown);
            TCB_ALLOC_CHECK(grown);
            mm->shadows = grown;
            mm->cap_shadows = cap;
        }
        sh = &mm->shadows[mm->nshadows];
        *sh = (shadow){.w = w, .n = n};
        TCB_CUDA_CHECK(cudaMalloc(&sh->copy, n * 2));
        mm->nshadows++;
    }
    if (!sh->fresh) {
        TCB_CUDA_CHECK(tcb_cuda_to_bf16(cx->stream, sh->copy, w, n));
        sh->fresh = true;
    }
    *out = sh->copy;
    return TCB_OK;
}

void tcb_cuda_matmul_params_changed(tcb_compute *cx, const float *p, size_t n)
{
    struct tcb_cuda_matmul *mm = cx->matmul;
    if (mm == NULL)
        return;
    for (int i = 0; i < mm->nshadows; i++) {
        shadow *sh = &mm->shadows[i];
        if (sh->w < p + n && p < sh->w + sh->n)
            sh->fresh = false;
    }
}

static tcb_status ensure(tcb_compute *cx)
{
    return cx->matmul != NULL ? TCB_OK : tcb_cuda_set_precision(cx, TCB_GEMM_F32);
}

static tcb_status forward(tcb_compute *cx, float *out, const float *inp, const float *w,
                          const float *bias, int N, int C, int OC)
{
    TCB_CHECK(ensure(cx));
    const void *a = inp, *b = w;
    if (cx->matmul->bf16) {
        void *ab, *wb;
        TCB_CHECK(to_scratch(cx, 0, inp, (size_t)N * C, &ab));
        TCB_CHECK(weight_copy(cx, w, (size_t)OC * C, &wb));
        a = ab;
        b = wb;
    }
    /* out (N,OC) = inp (N,C) @ w^T: trans nt. */
    return product(cx, false, true, N, OC, C, a, C, b, C, 0.0f, out, bias);
}

static tcb_status backward(tcb_compute *cx, float *dinp, float *dw, float *dbias,
                           const float *dout, const float *inp, const float *w, int N, int C,
                           int OC)
{
    TCB_CHECK(ensure(cx));
    const void *d = dout, *x = inp, *wt = w;
    if (cx->matmul->bf16) {
        void *db_, *xb, *wb;
        TCB_CHECK(to_scratch(cx, 0, dout, (size_t)N * OC, &db_));
        TCB_CHECK(to_scratch(cx, 1, inp, (size_t)N * C, &xb));
        d = db_;
        x = xb;
        if (dinp != NULL) {
            TCB_CHECK(weight_copy(cx, w, (size_t)OC * C, &wb));
            wt = wb;
        }
    }
    /* dinp (N,C) += dout (N,OC) @ w (OC,C): nn. */
    if (dinp != NULL)
        TCB_CHECK(product(cx, false, false, N, C, OC, d, OC, wt, C, 1.0f, dinp, NULL));
    /* dw (OC,C) += dout^T @ inp: a = dout stored (N,OC) = (k,m): tn. */
    TCB_CHECK(product(cx, true, false, OC, C, N, d, OC, x, C, 1.0f, dw, NULL));
    if (dbias != NULL)
        TCB_CUDA_CHECK(tcb_cuda_bias_backward_launch(cx->stream, dbias, dout, N, OC));
    return TCB_OK;
}

void tcb_cuda_matmul_forward(tcb_compute *cx, float *out, const float *inp, const float *w,
                             const float *bias, int N, int C, int OC)
{
    tcb_cuda_note(cx, forward(cx, out, inp, w, bias, N, C, OC));
}

void tcb_cuda_matmul_backward(tcb_compute *cx, float *dinp, float *dw, float *dbias,
                              const float *dout, const float *inp, const float *w, int N, int C,
                              int OC)
{
    tcb_cuda_note(cx, backward(cx, dinp, dw, dbias, dout, inp, w, N, C, OC));
}
