// Reductions shared by the cuda backend's kernels (cuda_*.cu). Each is a
// fixed tree (xor butterflies, then warps in index order), so a result has
// the same bits every run; the butterfly leaves every lane with the same
// value (a + b == b + a in floating point). Every thread of the block must
// call them: the host emulation (tests/cuda_emu) needs that of shuffles, and
// block_reduce has barriers anyway.
#ifndef TCB_CUDA_REDUCE_CUH
#define TCB_CUDA_REDUCE_CUH

#include "cuda_kernels.h"

namespace tcb {

struct Sum {
    template <class T> __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
struct Max {
    __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

// Over the `width` consecutive lanes of a group (width a power of two <= 32).
template <int width, class T, class Op> __device__ __forceinline__ T group_reduce(T v, Op op)
{
#pragma unroll
    for (int o = width / 2; o > 0; o /= 2)
        v = op(v, __shfl_xor_sync(0xffffffffu, v, o, width));
    return v;
}

template <class T, class Op> __device__ __forceinline__ T warp_reduce(T v, Op op)
{
    return group_reduce<32>(v, op);
}

// Over the whole block (blockDim.x a multiple of 32, one dimension); every
// thread gets the result.
template <class T, class Op> __device__ T block_reduce(T v, Op op)
{
    __shared__ T part[32];
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nw = blockDim.x / 32;
    v = warp_reduce(v, op);
    if (lane == 0)
        part[warp] = v;
    __syncthreads();
    T r = part[0];
    for (int w = 1; w < nw; w++)
        r = op(r, part[w]);
    __syncthreads(); // part is free for the next call
    return r;
}

// Blocks for a grid-stride loop over n elements: enough to fill the GPU,
// no more (the loop covers the rest).
static inline unsigned grid_for(size_t n, int threads)
{
    size_t blocks = (n + (size_t)threads - 1) / (size_t)threads;
    const size_t most = 132 * 16; // 16 blocks per SM of an H100/H200
    return (unsigned)(blocks < 1 ? 1 : blocks < most ? blocks : most);
}

} // namespace tcb

#endif
