/* The cuda backend's decoder and optimizer ops, as compute.h's table takes
 * them (matrix products aside, compute_cuda_gemm.c): each issues its kernels
 * (cuda_kernels.h) on cx->stream and returns at once. Ops return nothing
 * (compute.h), so a failed launch is kept in cx->failed with its file and
 * line, for the next sync to report. Attention is the fused kind: its att and
 * datt are (B,NH,T), not (B,NH,T,T) (cuda_kernels.h). */
#include "compute_cuda_internal.h"
#include "cuda_check.h"

#include <math.h>

/* Notes a launcher's error as cx's failure. Only the first is logged: after
 * a kernel faults, every later launch of the step fails with it too. */
static void noted(tcb_compute *cx, cudaError_t e, const char *file, int line, const char *call)
{
    if (e == cudaSuccess || cx->failed != TCB_OK)
        return;
    tcb_cuda_note(cx, tcb_log_failure(TCB_ERR_RUNTIME, file, line, call, cudaGetErrorString(e)));
}

#define LAUNCH(call) noted(cx, (call), __FILE__, __LINE__, #call)

void tcb_cuda_encoder_forward(tcb_compute *cx, float *out, const int32_t *tokens,
                              const float *wte, const float *wpe, int B, int T, int C)
{
    LAUNCH(tcb_cuda_encoder_forward_launch(cx->stream, out, tokens, wte, wpe, B, T, C));
}

void tcb_cuda_encoder_backward(tcb_compute *cx, float *dwte, float *dwpe, const float *dout,
                               const int32_t *tokens, int B, int T, int C)
{
    LAUNCH(tcb_cuda_encoder_backward_launch(cx->stream, dwte, dwpe, dout, tokens, B, T, C));
}

void tcb_cuda_layernorm_forward(tcb_compute *cx, float *out, float *mean, float *rstd,
                                const float *inp, const float *w, const float *b, int N, int C,
                                float eps)
{
    LAUNCH(tcb_cuda_layernorm_forward_launch(cx->stream, out, mean, rstd, inp, w, b, N, C, eps));
}

void tcb_cuda_layernorm_backward(tcb_compute *cx, float *dinp, float *dw, float *db,
                                 const float *dout, const float *inp, const float *w,
                                 const float *mean, const float *rstd, int N, int C)
{
    LAUNCH(tcb_cuda_layernorm_backward_launch(cx->stream, dinp, dw, db, dout, inp, w, mean, rstd,
                                              N, C));
}

void tcb_cuda_rmsnorm_forward(tcb_compute *cx, float *out, float *rstd, const float *inp,
                              const float *w, int N, int C, float eps)
{
    LAUNCH(tcb_cuda_rmsnorm_forward_launch(cx->stream, out, rstd, inp, w, N, C, eps));
}

void tcb_cuda_rmsnorm_backward(tcb_compute *cx, float *dinp, float *dw, const float *dout,
                               const float *inp, const float *w, const float *rstd, int N, int C)
{
    LAUNCH(tcb_cuda_rmsnorm_backward_launch(cx->stream, dinp, dw, dout, inp, w, rstd, N, C));
}

void tcb_cuda_rope_forward(tcb_compute *cx, float *x, int B, int T, int heads, int HS,
                           int stride, float theta)
{
    LAUNCH(tcb_cuda_rope_forward_launch(cx->stream, x, B, T, heads, HS, stride, theta));
}

void tcb_cuda_rope_backward(tcb_compute *cx, float *dx, int B, int T, int heads, int HS,
                            int stride, float theta)
{
    LAUNCH(tcb_cuda_rope_backward_launch(cx->stream, dx, B, T, heads, HS, stride, theta));
}

void tcb_cuda_attention_forward(tcb_compute *cx, float *out, float *att, const float *qkv, int B,
                                int T, int NH, int KVH, int HS)
{
    LAUNCH(tcb_cuda_attention_forward_launch(cx->stream, out, att, qkv, B, T, NH, KVH, HS));
}

void tcb_cuda_attention_backward(tcb_compute *cx, float *dqkv, float *datt, const float *dout,
                                 const float *qkv, const float *att, int B, int T, int NH,
                                 int KVH, int HS)
{
    LAUNCH(tcb_cuda_attention_backward_launch(cx->stream, dqkv, datt, dout, qkv, att, B, T, NH,
                                              KVH, HS));
}

void tcb_cuda_gelu_forward(tcb_compute *cx, float *out, const float *inp, size_t n)
{
    LAUNCH(tcb_cuda_gelu_forward_launch(cx->stream, out, inp, n));
}

void tcb_cuda_gelu_backward(tcb_compute *cx, float *dinp, const float *inp, const float *dout,
                            size_t n)
{
    LAUNCH(tcb_cuda_gelu_backward_launch(cx->stream, dinp, inp, dout, n));
}

void tcb_cuda_swiglu_forward(tcb_compute *cx, float *out, const float *inp, int N, int F)
{
    LAUNCH(tcb_cuda_swiglu_forward_launch(cx->stream, out, inp, N, F));
}

void tcb_cuda_swiglu_backward(tcb_compute *cx, float *dinp, const float *dout, const float *inp,
                              int N, int F)
{
    LAUNCH(tcb_cuda_swiglu_backward_launch(cx->stream, dinp, dout, inp, N, F));
}

void tcb_cuda_residual_forward(tcb_compute *cx, float *out, const float *a, const float *b,
                               size_t n)
{
    LAUNCH(tcb_cuda_residual_forward_launch(cx->stream, out, a, b, n));
}

void tcb_cuda_residual_backward(tcb_compute *cx, float *da, float *db, const float *dout,
                                size_t n)
{
    LAUNCH(tcb_cuda_residual_backward_launch(cx->stream, da, db, dout, n));
}

void tcb_cuda_softmax_xent(tcb_compute *cx, float *losses, float *logits, const int32_t *targets,
                           int N, int V, float dloss, bool grad)
{
    LAUNCH(tcb_cuda_softmax_xent_launch(cx->stream, losses, logits, targets, N, V, dloss, grad));
}

void tcb_cuda_adamw(tcb_compute *cx, float *params, const float *grads, float *m, float *v,
                    size_t n, float lr, float beta1, float beta2, float eps, float weight_decay,
                    int step, float grad_scale)
{
    LAUNCH(tcb_cuda_adamw_launch(cx->stream, params, grads, m, v, n, lr, beta1, beta2, eps,
                                 weight_decay, step, grad_scale));
}

/* ---- sum of squares: a result the host waits for ---------------------------- */

static tcb_status sum_squares_run(tcb_compute *cx, const float *x, size_t n, double *total)
{
    /* Global-norm clipping asks every step: the scratch is made once (a
     * cudaMalloc synchronizes the device, which a step must not do). */
    if (cx->sum_scratch == NULL)
        TCB_CUDA_CHECK(cudaMalloc((void **)&cx->sum_scratch,
                                  TCB_CUDA_SUM_SQUARES_SCRATCH * sizeof(double)));
    TCB_CUDA_CHECK(tcb_cuda_sum_squares_launch(cx->stream, cx->sum_scratch, x, n));
    TCB_CUDA_CHECK(cudaMemcpyAsync(total, cx->sum_scratch, sizeof *total,
                                   cudaMemcpyDeviceToHost, cx->stream));
    TCB_CUDA_CHECK(cudaStreamSynchronize(cx->stream));
    return TCB_OK;
}

/* Waits for the stream: its caller (global-norm clipping) needs the value
 * now. A failure is noted and gives NAN. */
double tcb_cuda_sum_squares(tcb_compute *cx, const float *x, size_t n)
{
    double total = NAN;
    tcb_status st = sum_squares_run(cx, x, n, &total);
    if (st != TCB_OK) {
        tcb_cuda_note(cx, st);
        return NAN;
    }
    return total;
}
