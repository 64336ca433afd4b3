/* The cuda backend's matrix products, all through cuBLASLt.
 *
 * tcbench is row-major and cuBLASLt column-major. A row-major c (m,n) is
 * the column-major c^T (n,m), and c^T = op(b)^T @ op(a)^T, so cuBLASLt's A is
 * our b and its B our a, each read with the same transposition flag: b
 * stored (k,n) row-major is (n,k) column-major, which is op(b)^T as it
 * stands (N); b stored (n,k) is (k,n) column-major and needs T. Likewise
 * for a. Hopper's fp8 kernels take only A transposed and B not ("TN"),
 * which is trans_b && !trans_a: our "nt", a linear layer's forward.
 *
 * A plan (gemm_plan) asks cuBLASLt's heuristic for up to
 * TCB_CUDA_ALGOS algorithms, times each on the real buffers (one warm-up,
 * then the best of ALGO_RUNS timed with CUDA events) and keeps the
 * fastest: the heuristic's first choice is not always the fastest, and a
 * peak finder should not be limited by a guess. The plain fp32 gemm op
 * (compute.h) takes the heuristic's first choice per call. */
#include "compute_cuda_internal.h"
#include "cuda_check.h"
#include "cuda_lt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TCB_CUDA_ALGOS 8
#define ALGO_RUNS 3

struct tcb_gemm_plan {
    tcb_gemm_shape shape;
    tcb_cuda_lt lt;
    cublasLtMatmulAlgo_t algo;
    int chosen, candidates;            /* index in the heuristic's list; its length */
    float best_ms;                     /* the chosen algorithm's best timed run */
};

tcb_status tcb_cuda_gemm_open(tcb_compute *cx)
{
    cublasLtHandle_t lt = NULL;
    TCB_CUBLASLT_CHECK(cublasLtCreate(&lt));
    cx->lt = lt;
    TCB_CUDA_CHECK(cudaMalloc(&cx->workspace, TCB_CUDA_WORKSPACE));
    return TCB_OK;
}

void tcb_cuda_gemm_close(tcb_compute *cx)
{
    if (cx->workspace != NULL)
        cudaFree(cx->workspace);
    if (cx->lt != NULL)
        cublasLtDestroy((cublasLtHandle_t)cx->lt);
    cx->workspace = cx->lt = NULL;
}

void tcb_cuda_lt_destroy(tcb_cuda_lt *d)
{
    if (d->lc != NULL)
        cublasLtMatrixLayoutDestroy(d->lc);
    if (d->lb != NULL)
        cublasLtMatrixLayoutDestroy(d->lb);
    if (d->la != NULL)
        cublasLtMatrixLayoutDestroy(d->la);
    if (d->desc != NULL)
        cublasLtMatmulDescDestroy(d->desc);
    *d = (tcb_cuda_lt){0};
}

static tcb_status describe(tcb_cuda_lt *d, const tcb_cuda_lt_shape *s)
{
    cublasOperation_t ta = s->trans_b ? CUBLAS_OP_T : CUBLAS_OP_N; /* cuBLASLt's A is our b */
    cublasOperation_t tb = s->trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    TCB_CUBLASLT_CHECK(cublasLtMatmulDescCreate(&d->desc, s->compute, CUDA_R_32F));
    TCB_CUBLASLT_CHECK(cublasLtMatmulDescSetAttribute(d->desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta,
                                                      sizeof ta));
    TCB_CUBLASLT_CHECK(cublasLtMatmulDescSetAttribute(d->desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb,
                                                      sizeof tb));
    TCB_CUBLASLT_CHECK(cublasLtMatmulDescSetAttribute(d->desc, CUBLASLT_MATMUL_DESC_EPILOGUE,
                                                      &s->epilogue, sizeof s->epilogue));
    /* Column-major shapes as stored: (rows, cols, ld). */
    TCB_CUBLASLT_CHECK(cublasLtMatrixLayoutCreate(&d->la, s->in, s->trans_b ? s->k : s->n,
                                                  s->trans_b ? s->n : s->k, s->ldb));
    TCB_CUBLASLT_CHECK(cublasLtMatrixLayoutCreate(&d->lb, s->in, s->trans_a ? s->m : s->k,
                                                  s->trans_a ? s->k : s->m, s->lda));
    TCB_CUBLASLT_CHECK(cublasLtMatrixLayoutCreate(&d->lc, s->out, s->n, s->m, s->ldc));
    return TCB_OK;
}

tcb_status tcb_cuda_lt_describe(tcb_cuda_lt *d, const tcb_cuda_lt_shape *s)
{
    *d = (tcb_cuda_lt){0};
    tcb_status st = describe(d, s);
    if (st != TCB_OK)
        tcb_cuda_lt_destroy(d);
    return st;
}

tcb_status tcb_cuda_lt_heuristics(tcb_compute *cx, const tcb_cuda_lt *d,
                                  cublasLtMatmulHeuristicResult_t *res, int max, int *count)
{
    cublasLtMatmulPreference_t pref = NULL;
    size_t ws = TCB_CUDA_WORKSPACE;
    *count = 0;
    TCB_CUBLASLT_CHECK(cublasLtMatmulPreferenceCreate(&pref));
    cublasStatus_t s = cublasLtMatmulPreferenceSetAttribute(
        pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatmulAlgoGetHeuristic((cublasLtHandle_t)cx->lt, d->desc, d->la, d->lb,
                                           d->lc, d->lc, pref, max, res, count);
    cublasLtMatmulPreferenceDestroy(pref);
    /* No algorithm for this type and layout is an answer, not a failure. */
    if (s == CUBLAS_STATUS_NOT_SUPPORTED)
        *count = 0;
    else
        TCB_CUBLASLT_CHECK(s);
    return TCB_OK;
}

tcb_status tcb_cuda_lt_matmul(tcb_compute *cx, const tcb_cuda_lt *d,
                              const cublasLtMatmulAlgo_t *algo, float alpha, const void *a,
                              const void *b, float beta, void *c)
{
    TCB_CUBLASLT_CHECK(cublasLtMatmul((cublasLtHandle_t)cx->lt, d->desc, &alpha, b, d->la, a,
                                      d->lb, &beta, c, d->lc, c, d->lc, algo, cx->workspace,
                                      TCB_CUDA_WORKSPACE, cx->stream));
    return TCB_OK;
}

/* The cuBLASLt shape of one of tcbench's products, with leading dimensions. */
static tcb_cuda_lt_shape lt_shape(const tcb_gemm_shape *g, int lda, int ldb, int ldc)
{
    tcb_cuda_lt_shape s = {.in = CUDA_R_32F, .out = CUDA_R_32F, .compute = CUBLAS_COMPUTE_32F,
                           .trans_a = g->trans_a, .trans_b = g->trans_b, .m = g->m, .n = g->n,
                           .k = g->k, .lda = lda, .ldb = ldb, .ldc = ldc,
                           .epilogue = CUBLASLT_EPILOGUE_DEFAULT};
    switch (g->type) {
    case TCB_GEMM_TF32: s.compute = CUBLAS_COMPUTE_32F_FAST_TF32; break;
    case TCB_GEMM_BF16: s.in = s.out = CUDA_R_16BF; break;
    case TCB_GEMM_F16: s.in = s.out = CUDA_R_16F; break;
    case TCB_GEMM_FP8:
        s.in = CUDA_R_8F_E4M3;
        s.out = CUDA_R_16BF;
        break;
    default: break;
    }
    return s;
}

static void plan_release(tcb_gemm_plan *p)
{
    tcb_cuda_lt_destroy(&p->lt);
    free(p);
}

/* The best of ALGO_RUNS timed runs of one algorithm, after one untimed; a
 * negative time where the algorithm fails to run (it is then not chosen). */
static tcb_status time_algo(tcb_compute *cx, const tcb_gemm_plan *p,
                            const cublasLtMatmulAlgo_t *algo, const void *a, const void *b,
                            void *c, float *best_ms)
{
    cudaEvent_t ev[2];
    *best_ms = -1;
    if (tcb_cuda_lt_matmul(cx, &p->lt, algo, 1.0f, a, b, 0.0f, c) != TCB_OK)
        return cudaStreamSynchronize(cx->stream) == cudaSuccess ? TCB_OK : TCB_ERR_RUNTIME;
    TCB_CUDA_CHECK(cudaEventCreate(&ev[0]));
    TCB_CUDA_CHECK(cudaEventCreate(&ev[1]));
    tcb_status st = TCB_OK;
    for (int r = 0; r < ALGO_RUNS && st == TCB_OK; r++) {
        float ms = 0;
        cudaEventRecord(ev[0], cx->stream);
        st = tcb_cuda_lt_matmul(cx, &p->lt, algo, 1.0f, a, b, 0.0f, c);
        cudaEventRecord(ev[1], cx->stream);
        if (st == TCB_OK && cudaEventSynchronize(ev[1]) == cudaSuccess &&
            cudaEventElapsedTime(&ms, ev[0], ev[1]) == cudaSuccess &&
            (*best_ms < 0 || ms < *best_ms))
            *best_ms = ms;
    }
    cudaEventDestroy(ev[0]);
    cudaEventDestroy(ev[1]);
    TCB_CUDA_CHECK(cudaStreamSynchronize(cx->stream));
    return TCB_OK;
}

/* Why the device cannot multiply g, or NULL when it can (as far as known
 * before asking cuBLASLt). */
static const char *unsupported(const tcb_compute *cx, const tcb_gemm_shape *g, char *why, int n)
{
    int cc = cx->prop.major * 10 + cx->prop.minor;
    if (g->type == TCB_GEMM_FP8 && cc < 89) {
        snprintf(why, (size_t)n,
                 "fp8 (e4m3) needs compute capability 8.9 or later; %.100s is %d.%d",
                 cx->prop.name, cx->prop.major, cx->prop.minor);
        return why;
    }
    if (g->type == TCB_GEMM_FP8 && !(g->trans_b && !g->trans_a)) {
        snprintf(why, (size_t)n, "cuBLASLt multiplies fp8 only with trans nt (a (M,K), b (N,K))");
        return why;
    }
    if (g->type == TCB_GEMM_FP8 && (g->m % 16 || g->n % 16 || g->k % 16)) {
        snprintf(why, (size_t)n, "cuBLASLt's fp8 products need m, n and k multiples of 16");
        return why;
    }
    return NULL;
}

tcb_status tcb_cuda_gemm_plan(tcb_compute *cx, const tcb_gemm_shape *g, const void *a,
                              const void *b, void *c, tcb_gemm_plan **out, char *why, int n)
{
    *out = NULL;
    if (unsupported(cx, g, why, n) != NULL)
        return TCB_ERR_CONFIG;
    tcb_gemm_plan *p = calloc(1, sizeof *p);
    TCB_ALLOC_CHECK(p);
    cublasLtMatmulHeuristicResult_t res[TCB_CUDA_ALGOS];
    p->shape = *g;
    tcb_cuda_lt_shape shape = lt_shape(g, g->trans_a ? g->m : g->k, g->trans_b ? g->k : g->n,
                                       g->n);
    tcb_status st = tcb_cuda_lt_describe(&p->lt, &shape);
    if (st == TCB_OK)
        st = tcb_cuda_lt_heuristics(cx, &p->lt, res, TCB_CUDA_ALGOS, &p->candidates);
    if (st == TCB_OK && p->candidates == 0) {
        snprintf(why, (size_t)n, "cuBLASLt offers no algorithm for %s %dx%dx%d on %.100s",
                 tcb_gemm_type_names[g->type], g->m, g->n, g->k, cx->prop.name);
        st = TCB_ERR_CONFIG;
    }
    p->chosen = -1;
    for (int i = 0; st == TCB_OK && i < p->candidates; i++) {
        float ms;
        if (res[i].state != CUBLAS_STATUS_SUCCESS)
            continue;
        st = time_algo(cx, p, &res[i].algo, a, b, c, &ms);
        if (st == TCB_OK && ms >= 0 && (p->chosen < 0 || ms < p->best_ms)) {
            p->chosen = i;
            p->best_ms = ms;
            p->algo = res[i].algo;
        }
    }
    if (st == TCB_OK && p->chosen < 0) {
        snprintf(why, (size_t)n, "none of cuBLASLt's %d algorithms ran", p->candidates);
        st = TCB_ERR_RUNTIME;
    }
    if (st != TCB_OK) {
        plan_release(p);
        return st;
    }
    *out = p;
    return TCB_OK;
}

void tcb_cuda_gemm_run(tcb_compute *cx, tcb_gemm_plan *p, const void *a, const void *b, void *c)
{
    tcb_cuda_note(cx, tcb_cuda_lt_matmul(cx, &p->lt, &p->algo, 1.0f, a, b, 0.0f, c));
}

void tcb_cuda_gemm_plan_describe(const tcb_gemm_plan *p, char *how, int n)
{
    snprintf(how, (size_t)n,
             "cuBLASLt: heuristic's algorithm %d of %d, the fastest of them in %d timed runs "
             "each (%.3f ms), %zu MiB workspace",
             p->chosen + 1, p->candidates, ALGO_RUNS, (double)p->best_ms,
             TCB_CUDA_WORKSPACE >> 20);
}

void tcb_cuda_gemm_plan_free(tcb_compute *cx, tcb_gemm_plan *p)
{
    (void)cx;
    if (p != NULL)
        plan_release(p);
}

/* compute.h's fp32 gemm, with alpha and beta: the heuristic's first choice. */
static tcb_status gemm_f32(tcb_compute *cx, bool trans_a, bool trans_b, int m, int n, int k,
                           float alpha, const float *a, int lda, const float *b, int ldb,
                           float beta, float *c, int ldc)
{
    tcb_gemm_shape g = {TCB_GEMM_F32, trans_a, trans_b, m, n, k};
    tcb_gemm_plan *p = calloc(1, sizeof *p);
    TCB_ALLOC_CHECK(p);
    cublasLtMatmulHeuristicResult_t res[1];
    int count = 0;
    tcb_cuda_lt_shape shape = lt_shape(&g, lda, ldb, ldc);
    tcb_status st = tcb_cuda_lt_describe(&p->lt, &shape);
    if (st == TCB_OK)
        st = tcb_cuda_lt_heuristics(cx, &p->lt, res, 1, &count);
    if (st == TCB_OK && count == 0)
        st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "cublasLtMatmulAlgoGetHeuristic",
                             "no fp32 algorithm for this product");
    if (st == TCB_OK)
        st = tcb_cuda_lt_matmul(cx, &p->lt, &res[0].algo, alpha, a, b, beta, c);
    plan_release(p);
    return st;
}

void tcb_cuda_gemm(tcb_compute *cx, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb, float beta, float *c,
                   int ldc)
{
    tcb_cuda_note(cx, gemm_f32(cx, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                               ldc));
}
