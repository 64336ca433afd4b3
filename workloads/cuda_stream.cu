// STREAM's four kernels on the GPU (compute.h: copy, scale, add, triad).
// Grid-stride loops over float4 where the arrays allow it: 16-byte loads and
// stores are what it takes to approach the memory's bandwidth; the scalar
// loop handles a tail and unaligned arrays. Enough blocks to fill every SM
// several times over, and no more: the loop covers the rest.
#include "cuda_kernels.h"

#include <stdint.h>

namespace {

__device__ __forceinline__ float4 op4(int kernel, float4 b, float4 c, float s)
{
    switch (kernel) {
    case TCB_STREAM_COPY: return b;
    case TCB_STREAM_SCALE: return make_float4(s * b.x, s * b.y, s * b.z, s * b.w);
    case TCB_STREAM_ADD: return make_float4(b.x + c.x, b.y + c.y, b.z + c.z, b.w + c.w);
    default: return make_float4(b.x + s * c.x, b.y + s * c.y, b.z + s * c.z, b.w + s * c.w);
    }
}

__device__ __forceinline__ float op1(int kernel, float b, float c, float s)
{
    switch (kernel) {
    case TCB_STREAM_COPY: return b;
    case TCB_STREAM_SCALE: return s * b;
    case TCB_STREAM_ADD: return b + c;
    default: return b + s * c;
    }
}

// kernel is a template argument so that each kernel reads only the arrays it
// uses: copy and scale never touch c.
template <int K>
__global__ void stream_vec4(float4 *__restrict__ a, const float4 *__restrict__ b,
                            const float4 *__restrict__ c, float s, size_t n4)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += stride) {
        float4 cv = K == TCB_STREAM_ADD || K == TCB_STREAM_TRIAD ? c[i] : make_float4(0, 0, 0, 0);
        a[i] = op4(K, b[i], cv, s);
    }
}

template <int K>
__global__ void stream_scalar(float *__restrict__ a, const float *__restrict__ b,
                              const float *__restrict__ c, float s, size_t from, size_t n)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = from + (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float cv = K == TCB_STREAM_ADD || K == TCB_STREAM_TRIAD ? c[i] : 0.0f;
        a[i] = op1(K, b[i], cv, s);
    }
}

template <int K>
void launch(cudaStream_t st, int sms, float *a, const float *b, const float *c, float s,
            size_t n)
{
    const int threads = 256;
    bool aligned = ((uintptr_t)a | (uintptr_t)b | (uintptr_t)(c != nullptr ? c : b)) % 16 == 0;
    size_t n4 = aligned ? n / 4 : 0;
    size_t blocks_max = (size_t)sms * 8; // 8 x 256 threads fill an SM's 2048 slots
    if (n4 > 0) {
        size_t blocks = (n4 + threads - 1) / threads;
        TCB_LAUNCH(stream_vec4<K>, (unsigned)(blocks < blocks_max ? blocks : blocks_max),
                   threads, 0, st, (float4 *)a, (const float4 *)b, (const float4 *)c, s, n4);
    }
    size_t rest = n - n4 * 4;
    if (rest > 0) {
        size_t blocks = (rest + threads - 1) / threads;
        TCB_LAUNCH(stream_scalar<K>, (unsigned)(blocks < blocks_max ? blocks : blocks_max),
                   threads, 0, st, a, b, c, s, n4 * 4, n);
    }
}

} // namespace

extern "C" cudaError_t tcb_cuda_stream_launch(cudaStream_t st, int sms, tcb_stream_kernel kernel,
                                              float *a, const float *b, const float *c, float s,
                                              size_t n)
{
    if (sms < 1)
        sms = 1;
    switch (kernel) {
    case TCB_STREAM_COPY: launch<TCB_STREAM_COPY>(st, sms, a, b, c, s, n); break;
    case TCB_STREAM_SCALE: launch<TCB_STREAM_SCALE>(st, sms, a, b, c, s, n); break;
    case TCB_STREAM_ADD: launch<TCB_STREAM_ADD>(st, sms, a, b, c, s, n); break;
    case TCB_STREAM_TRIAD: launch<TCB_STREAM_TRIAD>(st, sms, a, b, c, s, n); break;
    }
    return cudaGetLastError();
}
