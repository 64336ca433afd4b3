/* The cpu compute backend: fp32 on host memory, OpenBLAS for every matrix
 * product, OpenMP for the rest. This file holds the table and the plumbing
 * (open, memory, gemm, STREAM); the decoder ops live in compute_cpu_layers.c
 * and compute_cpu_attention.c, the optimizer in compute_cpu_optim.c.
 *
 * Threads: one count per open device, given to OpenMP (every parallel loop
 * says num_threads(cx->threads), schedule(static)) and to OpenBLAS. Loops
 * that reduce never use atomics or dynamic schedules, so the same inputs and
 * thread count give the same bits. */
#include "compute_cpu_internal.h"
#include "cpu_peak.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static tcb_status cpu_open(const tcb_world *w, int threads, tcb_compute **out)
{
    (void)w; /* every rank opens its own cpuset; nothing to learn from the world */
    *out = NULL;
    if (threads < 0)
        return tcb_log_failure(TCB_ERR_CONFIG, __FILE__, __LINE__, "cpu_open",
                               "negative thread count");
    if (threads == 0)
        threads = omp_get_max_threads(); /* follows OMP_NUM_THREADS and the cpuset */
    tcb_compute *cx = calloc(1, sizeof *cx);
    double *partials = calloc((size_t)threads * TCB_CPU_PAD, sizeof *partials);
    if (cx == NULL || partials == NULL) {
        free(cx);
        free(partials);
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "calloc",
                               "out of memory");
    }
    cx->threads = threads;
    cx->partials = partials;
    /* Set both even for threads == 0: OpenBLAS counts CPUs on its own at load
     * time, which need not be what OpenMP was told. */
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    /* Attention calls sgemm inside OpenMP regions, where only OpenBLAS's
     * OpenMP build runs single-threaded; its pthreads build (what
     * libopenblas.so.0 can resolve to without the build's rpath) then
     * oversubscribes the cores: attention ran 20x slower. Say so. */
    if (openblas_get_parallel() != 2)
        tcb_log_error("cpu backend: OpenBLAS is not its OpenMP build "
                      "(openblas_get_parallel() = %d); attention will oversubscribe the cores",
                      openblas_get_parallel());
    *out = cx;
    return TCB_OK;
}

static void cpu_close(tcb_compute *cx)
{
    if (cx == NULL)
        return;
    free(cx->partials);
    free(cx);
}

static void cpu_describe(tcb_compute *cx, tcb_device_info *out)
{
    tcb_cpu_features f;
    tcb_cpu_features_read(&f);
    tcb_cpu_describe(&f, cx->threads, out);
}

static int cpu_threads(const tcb_compute *cx)
{
    return cx->threads;
}

/* ---- memory --------------------------------------------------------------- */

/* Zeroes p in one contiguous slice per thread, the slices the static
 * schedules of the ops will use: on a NUMA machine the first touch puts each
 * page next to the thread that later streams it. */
static void cpu_zero(tcb_compute *cx, void *p, size_t bytes)
{
    if (bytes < ((size_t)1 << 20)) {
        memset(p, 0, bytes);
        return;
    }
#pragma omp parallel num_threads(cx->threads)
    {
        size_t nt = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
        size_t lo = bytes / nt * t, hi = t + 1 == nt ? bytes : bytes / nt * (t + 1);
        memset((char *)p + lo, 0, hi - lo);
    }
}

static void *cpu_alloc(tcb_compute *cx, size_t bytes)
{
    void *p = NULL;
    /* 64 bytes: a cache line and an AVX-512 vector. */
    if (posix_memalign(&p, 64, bytes > 0 ? bytes : 64) != 0)
        return NULL;
    cpu_zero(cx, p, bytes);
    return p;
}

static void cpu_free(tcb_compute *cx, void *p)
{
    (void)cx;
    free(p);
}

static tcb_status cpu_copy(tcb_compute *cx, void *dst, const void *src, size_t bytes)
{
    (void)cx;
    memcpy(dst, src, bytes);
    return TCB_OK;
}

static tcb_status cpu_sync(tcb_compute *cx)
{
    (void)cx; /* every op has finished when it returns */
    return TCB_OK;
}

/* ---- dense linear algebra, memory bandwidth -------------------------------- */

static void cpu_gemm(tcb_compute *cx, bool trans_a, bool trans_b, int m, int n, int k,
                     float alpha, const float *a, int lda, const float *b, int ldb,
                     float beta, float *c, int ldc)
{
    (void)cx; /* OpenBLAS runs with the threads set at open */
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta,
                c, ldc);
}

static void cpu_stream(tcb_compute *cx, tcb_stream_kernel kernel, float *a, const float *b,
                       const float *c, float s, size_t n)
{
    /* One loop per kernel so each compiles to its own vector loop. */
    switch (kernel) {
    case TCB_STREAM_COPY:
#pragma omp parallel for schedule(static) num_threads(cx->threads)
        for (size_t i = 0; i < n; i++)
            a[i] = b[i];
        break;
    case TCB_STREAM_SCALE:
#pragma omp parallel for schedule(static) num_threads(cx->threads)
        for (size_t i = 0; i < n; i++)
            a[i] = s * b[i];
        break;
    case TCB_STREAM_ADD:
#pragma omp parallel for schedule(static) num_threads(cx->threads)
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] + c[i];
        break;
    case TCB_STREAM_TRIAD:
#pragma omp parallel for schedule(static) num_threads(cx->threads)
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] + s * c[i];
        break;
    }
}

const tcb_compute_backend tcb_compute_cpu = {
    .name = "cpu",
    .summary = "fp32 on the host: OpenBLAS sgemm for matrix products, OpenMP for the rest",
    .open = cpu_open,
    .close = cpu_close,
    .describe = cpu_describe,
    .threads = cpu_threads,

    .host_memory = true,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .zero = cpu_zero,
    .sync = cpu_sync,

    .gemm = cpu_gemm,
    .stream = cpu_stream,

    .encoder_forward = tcb_cpu_encoder_forward,
    .encoder_backward = tcb_cpu_encoder_backward,
    .layernorm_forward = tcb_cpu_layernorm_forward,
    .layernorm_backward = tcb_cpu_layernorm_backward,
    .rmsnorm_forward = tcb_cpu_rmsnorm_forward,
    .rmsnorm_backward = tcb_cpu_rmsnorm_backward,
    .matmul_forward = tcb_cpu_matmul_forward,
    .matmul_backward = tcb_cpu_matmul_backward,
    .rope_forward = tcb_cpu_rope_forward,
    .rope_backward = tcb_cpu_rope_backward,
    .attention_forward = tcb_cpu_attention_forward,
    .attention_backward = tcb_cpu_attention_backward,
    .gelu_forward = tcb_cpu_gelu_forward,
    .gelu_backward = tcb_cpu_gelu_backward,
    .swiglu_forward = tcb_cpu_swiglu_forward,
    .swiglu_backward = tcb_cpu_swiglu_backward,
    .residual_forward = tcb_cpu_residual_forward,
    .residual_backward = tcb_cpu_residual_backward,
    .softmax_xent = tcb_cpu_softmax_xent,

    .sum_squares = tcb_cpu_sum_squares,
    .adamw = tcb_cpu_adamw,
};
