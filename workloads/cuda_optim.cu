// The cuda backend's optimizer kernels (the sum of squares behind
// global-norm clipping, AdamW on fp32 master weights) and the fp32 <-> bf16
// conversions the matrix products use. Contracts in cuda_kernels.h.
#include "cuda_reduce.cuh"

#include <math.h>

namespace {

using tcb::grid_for;

constexpr int THREADS = 256;

// Pass 1: block b sums x[i]^2 in double over its grid-stride slice (the grid
// is TCB_CUDA_SUM_SQUARES_BLOCKS whatever the GPU, so the slices, hence the
// bits, depend on n only) into partials[b].
__global__ void sum_squares_blocks(double *partials, const float *x, size_t n)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    double s = 0.0;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        s += (double)x[i] * x[i];
    s = tcb::block_reduce(s, tcb::Sum());
    if (threadIdx.x == 0)
        partials[blockIdx.x] = s;
}

// Pass 2: one block adds the partials (a fixed tree) into *out.
__global__ void sum_squares_total(double *out, const double *partials, int nparts)
{
    double s = 0.0;
    for (int i = threadIdx.x; i < nparts; i += blockDim.x)
        s += partials[i];
    s = tcb::block_reduce(s, tcb::Sum());
    if (threadIdx.x == 0)
        *out = s;
}

// compute.h's formula, term for term as the cpu backend writes it.
__global__ void adamw_kernel(float *params, const float *grads, float *m, float *v, size_t n,
                             float lr, float beta1, float beta2, float eps, float weight_decay,
                             float bc1, float bc2, float grad_scale)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float g = grads[i] * grad_scale;
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] -= lr * (mi / bc1 / (sqrtf(vi / bc2) + eps) + weight_decay * params[i]);
    }
}

__global__ void to_bf16_kernel(__nv_bfloat16 *out, const float *in, size_t n)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        out[i] = __float2bfloat16(in[i]);
}

__global__ void from_bf16_kernel(float *out, const __nv_bfloat16 *in, size_t n)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        out[i] = __bfloat162float(in[i]);
}

} // namespace

extern "C" cudaError_t tcb_cuda_sum_squares_launch(cudaStream_t st, double *scratch,
                                                   const float *x, size_t n)
{
    TCB_LAUNCH(sum_squares_blocks, TCB_CUDA_SUM_SQUARES_BLOCKS, THREADS, 0, st, scratch + 1, x, n);
    TCB_LAUNCH(sum_squares_total, 1, THREADS, 0, st, scratch, scratch + 1,
               TCB_CUDA_SUM_SQUARES_BLOCKS);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_adamw_launch(cudaStream_t st, float *params, const float *grads,
                                             float *m, float *v, size_t n, float lr, float beta1,
                                             float beta2, float eps, float weight_decay, int step,
                                             float grad_scale)
{
    // In double: 1 - 0.999^step loses half its digits in float at small step.
    float bc1 = (float)(1.0 - pow((double)beta1, step));
    float bc2 = (float)(1.0 - pow((double)beta2, step));
    TCB_LAUNCH(adamw_kernel, grid_for(n, THREADS), THREADS, 0, st, params, grads, m, v, n, lr,
               beta1, beta2, eps, weight_decay, bc1, bc2, grad_scale);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_to_bf16(cudaStream_t st, void *out, const float *in, size_t n)
{
    TCB_LAUNCH(to_bf16_kernel, grid_for(n, THREADS), THREADS, 0, st, (__nv_bfloat16 *)out, in, n);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_from_bf16(cudaStream_t st, float *out, const void *in, size_t n)
{
    TCB_LAUNCH(from_bf16_kernel, grid_for(n, THREADS), THREADS, 0, st, out,
               (const __nv_bfloat16 *)in, n);
    return cudaGetLastError();
}
