/* A host emulation of the parts of CUDA the cuda backend's kernels use, so
 * that the same .cu sources compile as C++ (g++ -fopenmp -DTCB_CUDA_EMULATE)
 * and their launches run on the CPU in the tests, where there is no GPU.
 * workloads/cuda_kernels.h includes it in place of the CUDA headers.
 *
 * Execution model (CUDA's, as far as a correct kernel can tell):
 *   - A launch (TCB_LAUNCH -> tcb_emu_launch) runs its blocks one after
 *     another, in blockIdx order x, then y, then z.
 *   - The threads of a block are an OpenMP team of exactly blockDim threads;
 *     threadIdx comes from omp_get_thread_num(), __syncthreads() is an OpenMP
 *     barrier.
 *   - __shared__ is `static`: one instance per kernel (per template
 *     instance) that the team shares. Right because blocks run one at a time
 *     and kernels neither recurse nor run concurrently. No dynamic shared
 *     memory (extern __shared__): a launch with smem > 0 fails.
 *   - Warp shuffles go through a per-block scratch array and a barrier.
 *     Restriction: EVERY thread of the block must call a shuffle together
 *     (same call, same order), not only the threads of one warp, and a
 *     shuffle under divergent control flow deadlocks. Lane = thread index
 *     mod 32 within warps of 32 consecutive threads, as on the GPU.
 *   - atomicAdd is an OpenMP atomic.
 *   - The runtime API works on host memory, synchronously; streams are
 *     opaque values nothing looks at.
 * What it does not catch: races that happen to be benign in a sequential
 * schedule, out-of-bounds shared memory (unless ASan sees it), warp-level
 * assumptions without shuffles (implicit warp synchrony). */
#ifndef TCB_CUDA_EMU_H
#define TCB_CUDA_EMU_H

#include <stddef.h>

/* ---- the part C callers see (the launchers' prototypes) -------------------- */

typedef enum {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
} cudaError_t;

typedef struct tcb_emu_stream *cudaStream_t;

#ifdef __cplusplus

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <omp.h>
#include <tuple>
#include <utility>

/* ---- qualifiers ---------------------------------------------------------- */
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

/* ---- vector types, built-in variables -------------------------------------- */
struct uint3 {
    unsigned x, y, z;
};
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(16) float4 {
    float x, y, z, w;
};
static inline float4 make_float4(float x, float y, float z, float w)
{
    return float4{x, y, z, w};
}

/* One block runs at a time: blockIdx, blockDim and gridDim are per launch
 * and block; threadIdx is per thread. */
inline uint3 tcb_emu_block_idx;
inline dim3 tcb_emu_block_dim;
inline dim3 tcb_emu_grid_dim;
inline thread_local uint3 tcb_emu_thread_idx;
#define threadIdx tcb_emu_thread_idx
#define blockIdx tcb_emu_block_idx
#define blockDim tcb_emu_block_dim
#define gridDim tcb_emu_grid_dim
#define warpSize 32

/* ---- synchronization ------------------------------------------------------ */
static inline void __syncthreads(void)
{
#pragma omp barrier
}

/* A block's shuffle scratch: two banks of one 8-byte slot per thread, used
 * by turns. Every thread posts v in this shuffle's bank, all wait, each reads
 * its source lane. One barrier is enough: a thread can only write this bank
 * again two shuffles later, after the barrier of the next shuffle, which no
 * thread passes before every thread has read this one. The turn is per
 * thread, reset at each block (all threads make the same calls). */
alignas(8) inline unsigned char tcb_emu_shfl_buf[2][1024 * 8];
inline thread_local unsigned tcb_emu_shfl_turn;

template <class T> static inline T tcb_emu_shfl(T v, unsigned src_tid)
{
    static_assert(sizeof(T) <= 8, "shuffle of a type wider than 8 bytes");
    unsigned me = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    unsigned char *bank = tcb_emu_shfl_buf[tcb_emu_shfl_turn++ & 1];
    std::memcpy(bank + 8 * me, &v, sizeof v);
#pragma omp barrier
    T r;
    std::memcpy(&r, bank + 8 * src_tid, sizeof r);
    return r;
}

static inline unsigned tcb_emu_linear_tid(void)
{
    return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
}

template <class T> static inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32)
{
    (void)mask;
    unsigned me = tcb_emu_linear_tid(), lane = me % 32;
    unsigned src = lane ^ (unsigned)lane_mask;
    /* A source lane outside the caller's width segment reads the caller's own. */
    if (src / (unsigned)width != lane / (unsigned)width)
        src = lane;
    return tcb_emu_shfl(v, me - lane + src);
}

template <class T> static inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32)
{
    (void)mask;
    unsigned me = tcb_emu_linear_tid(), lane = me % 32;
    unsigned src = lane % (unsigned)width + delta < (unsigned)width ? lane + delta : lane;
    return tcb_emu_shfl(v, me - lane + src);
}

template <class T> static inline T __shfl_sync(unsigned mask, T v, int src_lane, int width = 32)
{
    (void)mask;
    unsigned me = tcb_emu_linear_tid(), lane = me % 32;
    unsigned src = lane / (unsigned)width * (unsigned)width + (unsigned)src_lane % (unsigned)width;
    return tcb_emu_shfl(v, me - lane + src);
}

template <class T> static inline T atomicAdd(T *p, T v)
{
    T old;
#pragma omp atomic capture
    {
        old = *p;
        *p += v;
    }
    return old;
}

/* ---- math ------------------------------------------------------------------ */
/* Macros: glibc declares its own __expf and __logf. */
#define __expf(x) expf(x)
#define __logf(x) logf(x)
static inline float rsqrtf(float x)
{
    return 1.0f / sqrtf(x);
}
/* CUDA's integer min and max of device code. */
static inline int min(int a, int b)
{
    return a < b ? a : b;
}
static inline int max(int a, int b)
{
    return a > b ? a : b;
}
static inline float __fdividef(float a, float b)
{
    return a / b;
}

/* ---- bf16 ------------------------------------------------------------------ */
struct __nv_bfloat16 {
    unsigned short x;
};
/* Round to nearest even; NaN stays a (quiet) NaN. */
static inline __nv_bfloat16 __float2bfloat16(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return __nv_bfloat16{(unsigned short)((u >> 16) | 0x40u)};
    u += 0x7fffu + ((u >> 16) & 1u);
    return __nv_bfloat16{(unsigned short)(u >> 16)};
}
static inline float __bfloat162float(__nv_bfloat16 h)
{
    uint32_t u = (uint32_t)h.x << 16;
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- runtime API on host memory --------------------------------------------- */
inline cudaError_t tcb_emu_last_error = cudaSuccess;

enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault = 4
};

static inline cudaError_t cudaGetLastError(void)
{
    cudaError_t e = tcb_emu_last_error;
    tcb_emu_last_error = cudaSuccess;
    return e;
}
static inline cudaError_t cudaPeekAtLastError(void)
{
    return tcb_emu_last_error;
}
static inline const char *cudaGetErrorString(cudaError_t e)
{
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    }
    return "unknown error";
}
template <class T> static inline cudaError_t cudaMalloc(T **p, size_t bytes)
{
    *p = (T *)std::calloc(1, bytes > 0 ? bytes : 1);
    return *p != nullptr ? cudaSuccess : cudaErrorMemoryAllocation;
}
static inline cudaError_t cudaFree(void *p)
{
    std::free(p);
    return cudaSuccess;
}
static inline cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind)
{
    std::memmove(dst, src, bytes);
    return cudaSuccess;
}
static inline cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes,
                                          cudaMemcpyKind kind, cudaStream_t = nullptr)
{
    return cudaMemcpy(dst, src, bytes, kind);
}
static inline cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t = nullptr)
{
    std::memset(p, value, bytes);
    return cudaSuccess;
}
static inline cudaError_t cudaStreamSynchronize(cudaStream_t)
{
    return cudaSuccess;
}
static inline cudaError_t cudaDeviceSynchronize(void)
{
    return cudaSuccess;
}

/* ---- launches ---------------------------------------------------------------- */
/* Runs k(args...) over grid x block. The arguments are converted to the
 * kernel's parameter types once, as a launch copies them. A bad
 * configuration is the launch's error (cudaGetLastError), as on the GPU. */
template <class... P, class... A>
static inline void tcb_emu_launch(dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
                                  void (*k)(P...), A &&...args)
{
    (void)stream;
    unsigned nt = block.x * block.y * block.z;
    if (nt == 0 || nt > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
        grid.y > 65535 || grid.z > 65535 || smem > 0) {
        tcb_emu_last_error = cudaErrorInvalidConfiguration;
        return;
    }
    std::tuple<P...> a(std::forward<A>(args)...);
    tcb_emu_grid_dim = grid;
    tcb_emu_block_dim = block;
    omp_set_dynamic(0);
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                tcb_emu_block_idx = uint3{x, y, z};
#pragma omp parallel num_threads(nt)
                {
                    if ((unsigned)omp_get_num_threads() != nt) {
                        std::fprintf(stderr, "cuda_emu: OpenMP gave %d threads for a block of %u\n",
                                     omp_get_num_threads(), nt);
                        std::abort();
                    }
                    unsigned t = (unsigned)omp_get_thread_num();
                    tcb_emu_thread_idx = uint3{t % block.x, t / block.x % block.y,
                                               t / (block.x * block.y)};
                    tcb_emu_shfl_turn = 0;
                    std::apply(k, a);
                }
            }
}

#endif /* __cplusplus */

#endif
