/* The cuda compute backend: one NVIDIA GPU per local rank (cuda_device.h),
 * every op issued in order on one stream of that device, matrix products
 * through cuBLASLt (compute_cuda_gemm.c), the other ops as CUDA C kernels
 * (cuda_*.cu). This file holds the table and the plumbing: open, memory,
 * sync, describe.
 *
 * Ops return nothing (compute.h): a failed launch or library call is kept in
 * cx->failed and reported by the next sync, which workloads call once per
 * step and before reading a result. */
#include "compute_cuda_internal.h"
#include "cuda_check.h"
#include "cuda_device.h"
#include "hardware.h"

#include <cublasLt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tcb_cuda_note(tcb_compute *cx, tcb_status st)
{
    if (cx->failed == TCB_OK)
        cx->failed = st;
}

static void cuda_close(tcb_compute *cx)
{
    if (cx == NULL)
        return;
    cudaSetDevice(cx->device);
    if (cx->stream != NULL)
        cudaStreamSynchronize(cx->stream);
    tcb_cuda_matmul_close(cx);
    tcb_cuda_gemm_close(cx);
    cudaFree(cx->sum_scratch);
    for (int i = 0; i < 2; i++)
        if (cx->marks[i] != NULL)
            cudaEventDestroy(cx->marks[i]);
    if (cx->stream != NULL)
        cudaStreamDestroy(cx->stream);
    free(cx);
}

/* Device memory in use by every process (cudaMemGetInfo: total - free). */
static double memory_in_use(void)
{
    size_t free_b = 0, total = 0;
    if (cudaMemGetInfo(&free_b, &total) != cudaSuccess)
        return 0;
    return (double)(total - free_b);
}

static tcb_status open_device(const tcb_world *w, tcb_compute *cx)
{
    TCB_CHECK(tcb_cuda_device_pick(w, &cx->device));
    TCB_CUDA_CHECK(cudaGetDeviceProperties(&cx->prop, cx->device));
    if (cx->prop.major < 8) {
        tcb_log_error("cuda backend: %s is compute capability %d.%d; bf16 needs 8.0 (Ampere) "
                      "or later",
                      cx->prop.name, cx->prop.major, cx->prop.minor);
        return TCB_ERR_CONFIG;
    }
    /* Non-blocking: the legacy default stream, which other libraries may
     * use, never serializes against it. */
    TCB_CUDA_CHECK(cudaStreamCreateWithFlags(&cx->stream, cudaStreamNonBlocking));
    cx->used_base = cx->used_peak = memory_in_use();
    TCB_CUDA_CHECK(cudaEventCreate(&cx->marks[0]));
    TCB_CUDA_CHECK(cudaEventCreate(&cx->marks[1]));
    return tcb_cuda_gemm_open(cx);
}

static tcb_status cuda_open(const tcb_world *w, int threads, tcb_compute **out)
{
    (void)threads; /* one stream per device; host threads do not apply */
    tcb_compute *cx = calloc(1, sizeof *cx);
    TCB_ALLOC_CHECK(cx);
    tcb_status st = open_device(w, cx);
    if (st != TCB_OK) {
        cuda_close(cx);
        *out = NULL;
        return st;
    }
    *out = cx;
    return TCB_OK;
}

static void cuda_describe(tcb_compute *cx, tcb_device_info *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%.100s", cx->prop.name);
    out->memory_bytes = (double)cx->prop.totalGlobalMem;
    out->peak_tflops_f32 = tcb_hardware_device_peak(cx->prop.name, "fp32", out->peak_source,
                                                    sizeof out->peak_source);
}

static int cuda_threads(const tcb_compute *cx)
{
    (void)cx;
    return 1;
}

/* ---- memory --------------------------------------------------------------- */

static void *cuda_alloc(tcb_compute *cx, size_t bytes)
{
    void *p = NULL;
    if (cudaMalloc(&p, bytes ? bytes : 1) != cudaSuccess)
        return NULL;
    /* compute.h promises zeroed memory; zeroing on the stream keeps it in
     * order with the ops that follow. */
    if (cudaMemsetAsync(p, 0, bytes, cx->stream) != cudaSuccess) {
        cudaFree(p);
        return NULL;
    }
    return p;
}

static void cuda_free(tcb_compute *cx, void *p)
{
    /* cudaFree waits for the device; the stream's work on p is done first. */
    cudaStreamSynchronize(cx->stream);
    cudaFree(p);
}

/* Copies on the stream, then waits: in order with every op issued before. */
static tcb_status cuda_copy(tcb_compute *cx, void *dst, const void *src, size_t bytes)
{
    TCB_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, cx->stream));
    TCB_CUDA_CHECK(cudaStreamSynchronize(cx->stream));
    return TCB_OK;
}

static tcb_status cuda_upload(tcb_compute *cx, void *dst, const void *host_src, size_t bytes)
{
    return cuda_copy(cx, dst, host_src, bytes);
}

static tcb_status cuda_download(tcb_compute *cx, void *host_dst, const void *src, size_t bytes)
{
    return cuda_copy(cx, host_dst, src, bytes);
}

static tcb_status zero_async(tcb_compute *cx, void *p, size_t bytes)
{
    TCB_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, cx->stream));
    return TCB_OK;
}

static void cuda_zero(tcb_compute *cx, void *p, size_t bytes)
{
    tcb_cuda_note(cx, zero_async(cx, p, bytes));
}

static tcb_status stream_sync(tcb_compute *cx)
{
    TCB_CUDA_CHECK(cudaStreamSynchronize(cx->stream));
    TCB_CUDA_CHECK(cudaGetLastError()); /* a launch that failed without running */
    return TCB_OK;
}

static tcb_status cuda_sync(tcb_compute *cx)
{
    tcb_status st = tcb_status_worst(stream_sync(cx), cx->failed);
    cx->failed = TCB_OK;
    /* Workloads sync once per step, after its last kernel: the step's
     * tensors are all allocated then, so the peak is seen. */
    double used = memory_in_use();
    if (used > cx->used_peak)
        cx->used_peak = used;
    return st;
}

static double cuda_memory_peak(tcb_compute *cx, char *source, int n)
{
    snprintf(source, (size_t)n,
             "the most device memory in use at a sync (cudaMemGetInfo: total - free, every "
             "process and the CUDA context included; %.0f bytes in use when the backend opened)",
             cx->used_base);
    return cx->used_peak;
}

/* ---- the device's clock ----------------------------------------------------- */

static tcb_status cuda_time_begin(tcb_compute *cx)
{
    TCB_CUDA_CHECK(cudaEventRecord(cx->marks[0], cx->stream));
    return TCB_OK;
}

static tcb_status cuda_time_end(tcb_compute *cx, double *seconds)
{
    float ms = 0;
    TCB_CUDA_CHECK(cudaEventRecord(cx->marks[1], cx->stream));
    TCB_CUDA_CHECK(cudaEventSynchronize(cx->marks[1]));
    TCB_CUDA_CHECK(cudaEventElapsedTime(&ms, cx->marks[0], cx->marks[1]));
    *seconds = ms * 1e-3;
    return TCB_OK;
}

/* ---- STREAM --------------------------------------------------------------- */

static tcb_status stream_launch(tcb_compute *cx, tcb_stream_kernel kernel, float *a,
                                const float *b, const float *c, float s, size_t n)
{
    TCB_CUDA_CHECK(tcb_cuda_stream_launch(cx->stream, cx->prop.multiProcessorCount, kernel, a,
                                          b, c, s, n));
    return TCB_OK;
}

static void cuda_stream(tcb_compute *cx, tcb_stream_kernel kernel, float *a, const float *b,
                        const float *c, float s, size_t n)
{
    tcb_cuda_note(cx, stream_launch(cx, kernel, a, b, c, s, n));
}

/* ---- optimizer ------------------------------------------------------------ */

/* AdamW writes the master weights: their bf16 copies are stale after it. */
static void cuda_adamw(tcb_compute *cx, float *params, const float *grads, float *m, float *v,
                       size_t n, float lr, float beta1, float beta2, float eps,
                       float weight_decay, int step, float grad_scale)
{
    tcb_cuda_adamw(cx, params, grads, m, v, n, lr, beta1, beta2, eps, weight_decay, step,
                   grad_scale);
    tcb_cuda_matmul_params_changed(cx, params, n);
}

/* ---- provenance ----------------------------------------------------------- */

static json_t *cuda_versions(void)
{
    json_t *o = json_object();
    tcb_cuda_versions(o);
    size_t lt = cublasLtGetVersion();
    json_object_set_new(o, "cublaslt", json_sprintf("%zu.%zu.%zu", lt / 10000, lt / 100 % 100,
                                                    lt % 100));
    return o;
}

const tcb_compute_backend tcb_compute_cuda = {
    .name = "cuda",
    .summary = "one NVIDIA GPU per local rank: cuBLASLt products (f32, tf32, bf16, f16, fp8), "
               "CUDA C kernels for the rest",
    .open = cuda_open,
    .close = cuda_close,
    .describe = cuda_describe,
    .threads = cuda_threads,

    .host_memory = false,
    .alloc = cuda_alloc,
    .free = cuda_free,
    .upload = cuda_upload,
    .download = cuda_download,
    .zero = cuda_zero,
    .sync = cuda_sync,

    .gemm = tcb_cuda_gemm,
    .stream = cuda_stream,
    .gemm_plan = tcb_cuda_gemm_plan,
    .gemm_run = tcb_cuda_gemm_run,
    .gemm_plan_describe = tcb_cuda_gemm_plan_describe,
    .gemm_plan_free = tcb_cuda_gemm_plan_free,

    .set_precision = tcb_cuda_set_precision,
    .memory_peak = cuda_memory_peak,
    .time_begin = cuda_time_begin,
    .time_end = cuda_time_end,
    .fused_attention = true,

    .encoder_forward = tcb_cuda_encoder_forward,
    .encoder_backward = tcb_cuda_encoder_backward,
    .layernorm_forward = tcb_cuda_layernorm_forward,
    .layernorm_backward = tcb_cuda_layernorm_backward,
    .rmsnorm_forward = tcb_cuda_rmsnorm_forward,
    .rmsnorm_backward = tcb_cuda_rmsnorm_backward,
    .matmul_forward = tcb_cuda_matmul_forward,
    .matmul_backward = tcb_cuda_matmul_backward,
    .rope_forward = tcb_cuda_rope_forward,
    .rope_backward = tcb_cuda_rope_backward,
    .attention_forward = tcb_cuda_attention_forward,
    .attention_backward = tcb_cuda_attention_backward,
    .gelu_forward = tcb_cuda_gelu_forward,
    .gelu_backward = tcb_cuda_gelu_backward,
    .swiglu_forward = tcb_cuda_swiglu_forward,
    .swiglu_backward = tcb_cuda_swiglu_backward,
    .residual_forward = tcb_cuda_residual_forward,
    .residual_backward = tcb_cuda_residual_backward,
    .softmax_xent = tcb_cuda_softmax_xent,

    .sum_squares = tcb_cuda_sum_squares,
    .adamw = cuda_adamw,

    .versions = cuda_versions,
};
