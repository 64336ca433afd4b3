// Fused causal self-attention with grouped kv heads (GQA), flash-attention
// style: the (T,T) scores are never stored. Contract (att holds the per-row
// log-sum-exp, datt the backward's D) in cuda_kernels.h. Key: B batch,
// T sequence, NH query heads, KVH kv heads, G = NH/KVH query heads per kv
// head, HS head dim, QKV = (NH + 2*KVH) * HS the packed row of qkv.
//
//   s_ij = q_i . k_j / sqrt(HS) (j <= i)     P = softmax_j(s)   out_i = sum_j P_ij v_j
//   dP_ij = dout_i . v_j    D_i = dout_i . out_i    dS_ij = P_ij (dP_ij - D_i)
//   dv_j += sum_i P_ij dout_i    dk_j += sum_i dS_ij q_i / sqrt(HS)    dq_i += sum_j dS_ij k_j / sqrt(HS)
//
// Every kernel takes TILE query rows or keys per block of 128 threads, the
// tiles of q, k, v (and dout) in shared memory, fp32 throughout:
//   forward  block = (query tile, b*NH+h); loops over the key tiles up to the
//            diagonal with the online softmax (running max m, sum l), and
//            writes out and lse = m + log(l).
//   D        the forward's kernel again, recomputing out (the op is not
//            given it) and writing D_i = dout_i . out_i instead.
//   dk, dv   block = (key tile, b*KVH+kvh); loops over the G query heads in
//            order and, for each, over the query tiles from the diagonal on,
//            recomputing P from lse; accumulates in registers, adds once.
//   dq       block = (query tile, b*NH+h); loops over the key tiles up to the
//            diagonal, recomputing P and dS.
// No atomics: every sum runs in a fixed order (determinism). The price is
// recomputed scores (the forward's work three more times), not memory.
//
// Shared memory: four tiles of TILE x HSMAX floats, TILE = 32, 16, 8 for
// HSMAX = 64, 128, 256 (33 KiB each way), within the 48 KiB of static shared
// memory. A thread owns one row (query or key) of a tile and DPT of its HS
// dimensions, d = part + k * TPR: its TPR threads are consecutive lanes of one
// warp, so row statistics reduce with shuffles within them.
#include "cuda_reduce.cuh"

#include <math.h>

namespace {

constexpr int NT = 128; // threads per block

template <int HSMAX> struct Tiles {
    static constexpr int TILE = HSMAX <= 64 ? 32 : HSMAX <= 128 ? 16 : 8;
    static constexpr int TPR = NT / TILE;     // threads per tile row
    static constexpr int DPT = HSMAX / TPR;   // head dims per thread
    static constexpr int LD = HSMAX + 1;      // padded row: no bank conflicts down a column
    static_assert(NT % TILE == 0 && HSMAX % TPR == 0 && TPR <= 32, "tile shape");
};

// Where one head's pieces of the packed qkv start, for batch b, and its stride.
struct Heads {
    const float *q, *k, *v; // row 0 of this batch
    size_t ld;              // QKV
};

__device__ __forceinline__ Heads heads_of(const float *qkv, int b, int h, int T, int NH, int KVH,
                                          int HS)
{
    size_t ld = (size_t)(NH + 2 * KVH) * HS;
    int kvh = h / (NH / KVH);
    const float *row0 = qkv + (size_t)b * T * ld;
    return Heads{row0 + (size_t)h * HS, row0 + (size_t)(NH + kvh) * HS,
                 row0 + (size_t)(NH + KVH + kvh) * HS, ld};
}

// tile[r][d] = src[(t0 + r) * ld + d], zero past T or HS.
template <int HSMAX>
__device__ __forceinline__ void load_tile(float (*tile)[Tiles<HSMAX>::LD], const float *src,
                                          size_t ld, int t0, int T, int HS)
{
    constexpr int TILE = Tiles<HSMAX>::TILE;
    for (int e = threadIdx.x; e < TILE * HSMAX; e += NT) {
        int r = e / HSMAX, d = e % HSMAX, t = t0 + r;
        tile[r][d] = t < T && d < HS ? src[(size_t)t * ld + d] : 0.0f;
    }
}

template <int HSMAX>
__device__ __forceinline__ float dot(const float *a, const float *b, int HS)
{
    float s = 0.0f;
    for (int d = 0; d < HS; d++)
        s += a[d] * b[d];
    return s;
}

// Forward (D_MODE false): out and lse. D_MODE: the same out, recomputed, then
// D_i = dout_i . out_i into D; out and lse are not written.
template <int HSMAX, bool D_MODE>
__global__ void __launch_bounds__(NT)
    attn_fwd(float *out, float *lse, float *D, const float *dout, const float *qkv, int T, int NH,
             int KVH, int HS, float scale)
{
    using Tl = Tiles<HSMAX>;
    constexpr int TILE = Tl::TILE, TPR = Tl::TPR, DPT = Tl::DPT;
    __shared__ float Qs[TILE][Tl::LD], Ks[TILE][Tl::LD], Vs[TILE][Tl::LD], S[TILE][TILE + 1];

    int r = threadIdx.x / TPR, part = threadIdx.x % TPR;
    int b = blockIdx.y / NH, h = blockIdx.y % NH, q0 = blockIdx.x * TILE, i = q0 + r;
    Heads hd = heads_of(qkv, b, h, T, NH, KVH, HS);
    load_tile<HSMAX>(Qs, hd.q, hd.ld, q0, T, HS);

    float o[DPT];
#pragma unroll
    for (int k = 0; k < DPT; k++)
        o[k] = 0.0f;
    // Key 0 is in every row's first tile (rows past T included: they see
    // the keys below T), so m is finite after it and exp(m - m_new) never
    // meets inf - inf.
    float m = -INFINITY, l = 0.0f;
    int kend = min(T, q0 + TILE); // keys [0, kend) reach this tile's rows
    for (int k0 = 0; k0 < kend; k0 += TILE) {
        __syncthreads(); // the previous tile's readers are done
        load_tile<HSMAX>(Ks, hd.k, hd.ld, k0, T, HS);
        load_tile<HSMAX>(Vs, hd.v, hd.ld, k0, T, HS);
        __syncthreads();
        for (int e = threadIdx.x; e < TILE * TILE; e += NT) {
            int rr = e / TILE, c = e % TILE, j = k0 + c;
            S[rr][c] = j <= q0 + rr && j < T ? dot<HSMAX>(Qs[rr], Ks[c], HS) * scale : -INFINITY;
        }
        __syncthreads();
        // Online softmax on this thread's columns c = part + n * TPR of row r.
        float mx = -INFINITY;
        for (int c = part; c < TILE; c += TPR)
            mx = fmaxf(mx, S[r][c]);
        float m_new = fmaxf(m, tcb::group_reduce<TPR>(mx, tcb::Max()));
        float ls = 0.0f;
        for (int c = part; c < TILE; c += TPR) {
            float p = expf(S[r][c] - m_new); // masked: exp(-inf) = 0
            S[r][c] = p;
            ls += p;
        }
        float alpha = expf(m - m_new);
        l = l * alpha + tcb::group_reduce<TPR>(ls, tcb::Sum());
        m = m_new;
        __syncthreads(); // the whole row of P is written
#pragma unroll
        for (int k = 0; k < DPT; k++)
            o[k] *= alpha;
        for (int c = 0; c < TILE; c++) {
            float p = S[r][c];
#pragma unroll
            for (int k = 0; k < DPT; k++)
                o[k] += p * Vs[c][part + k * TPR];
        }
    }

    float inv = 1.0f / l;
    size_t orow = ((size_t)b * T + (i < T ? i : 0)) * NH * HS + (size_t)h * HS;
    if (!D_MODE) {
        if (i >= T)
            return;
#pragma unroll
        for (int k = 0; k < DPT; k++) {
            int d = part + k * TPR;
            if (d < HS)
                out[orow + d] = o[k] * inv;
        }
        if (part == 0)
            lse[((size_t)b * NH + h) * T + i] = m + logf(l);
    } else {
        float s = 0.0f;
#pragma unroll
        for (int k = 0; k < DPT; k++) {
            int d = part + k * TPR;
            if (d < HS && i < T)
                s += o[k] * inv * dout[orow + d];
        }
        s = tcb::group_reduce<TPR>(s, tcb::Sum()); // every thread: shuffles
        if (part == 0 && i < T)
            D[((size_t)b * NH + h) * T + i] = s;
    }
}

// P_ij and dS_ij of a (query tile, key tile) pair into P and dS; zero where
// masked (j > i) or past T.
template <int HSMAX>
__device__ __forceinline__ void probs_and_dscores(
    float (*P)[Tiles<HSMAX>::TILE + 1], float (*dS)[Tiles<HSMAX>::TILE + 1],
    float (*Qs)[Tiles<HSMAX>::LD], float (*dOs)[Tiles<HSMAX>::LD],
    float (*Ks)[Tiles<HSMAX>::LD], float (*Vs)[Tiles<HSMAX>::LD], const float *lse_s,
    const float *D_s, int i0, int j0, int T, int HS, float scale)
{
    constexpr int TILE = Tiles<HSMAX>::TILE;
    for (int e = threadIdx.x; e < TILE * TILE; e += NT) {
        int rr = e / TILE, c = e % TILE, i = i0 + rr, j = j0 + c;
        float p = 0.0f, ds = 0.0f;
        if (i < T && j <= i) {
            p = expf(dot<HSMAX>(Qs[rr], Ks[c], HS) * scale - lse_s[rr]);
            ds = p * (dot<HSMAX>(dOs[rr], Vs[c], HS) - D_s[rr]);
        }
        P[rr][c] = p;
        dS[rr][c] = ds;
    }
}

// Loads the query-side tiles of head h: q, dout, lse and D of rows [i0, i0+TILE).
template <int HSMAX>
__device__ __forceinline__ void load_query_side(float (*Qs)[Tiles<HSMAX>::LD],
                                                float (*dOs)[Tiles<HSMAX>::LD], float *lse_s,
                                                float *D_s, const Heads &hd, const float *dout,
                                                const float *lse, const float *D, int b, int h,
                                                int i0, int T, int NH, int HS)
{
    constexpr int TILE = Tiles<HSMAX>::TILE;
    load_tile<HSMAX>(Qs, hd.q, hd.ld, i0, T, HS);
    load_tile<HSMAX>(dOs, dout + (size_t)b * T * NH * HS + (size_t)h * HS, (size_t)NH * HS, i0,
                     T, HS);
    for (int rr = threadIdx.x; rr < TILE; rr += NT) {
        int i = i0 + rr;
        size_t at = ((size_t)b * NH + h) * T + i;
        lse_s[rr] = i < T ? lse[at] : 0.0f;
        D_s[rr] = i < T ? D[at] : 0.0f;
    }
}

template <int HSMAX>
__global__ void __launch_bounds__(NT)
    attn_bwd_kv(float *dqkv, const float *dout, const float *qkv, const float *lse,
                const float *D, int T, int NH, int KVH, int HS, float scale)
{
    using Tl = Tiles<HSMAX>;
    constexpr int TILE = Tl::TILE, TPR = Tl::TPR, DPT = Tl::DPT;
    __shared__ float Qs[TILE][Tl::LD], dOs[TILE][Tl::LD], Ks[TILE][Tl::LD], Vs[TILE][Tl::LD];
    __shared__ float P[TILE][TILE + 1], dS[TILE][TILE + 1], lse_s[TILE], D_s[TILE];

    int c = threadIdx.x / TPR, part = threadIdx.x % TPR; // this thread's key and dims
    int G = NH / KVH, b = blockIdx.y / KVH, kvh = blockIdx.y % KVH;
    int j0 = blockIdx.x * TILE, j = j0 + c;
    Heads kv = heads_of(qkv, b, kvh * G, T, NH, KVH, HS);
    load_tile<HSMAX>(Ks, kv.k, kv.ld, j0, T, HS);
    load_tile<HSMAX>(Vs, kv.v, kv.ld, j0, T, HS);

    float dk[DPT], dv[DPT];
#pragma unroll
    for (int k = 0; k < DPT; k++)
        dk[k] = dv[k] = 0.0f;
    for (int h = kvh * G; h < (kvh + 1) * G; h++) { // the group's heads, in order
        Heads hd = heads_of(qkv, b, h, T, NH, KVH, HS);
        for (int i0 = j0; i0 < T; i0 += TILE) { // queries i >= j only
            __syncthreads();
            load_query_side<HSMAX>(Qs, dOs, lse_s, D_s, hd, dout, lse, D, b, h, i0, T, NH, HS);
            __syncthreads();
            probs_and_dscores<HSMAX>(P, dS, Qs, dOs, Ks, Vs, lse_s, D_s, i0, j0, T, HS, scale);
            __syncthreads();
            for (int rr = 0; rr < TILE; rr++) {
                float p = P[rr][c], ds = dS[rr][c];
#pragma unroll
                for (int k = 0; k < DPT; k++) {
                    dv[k] += p * dOs[rr][part + k * TPR];
                    dk[k] += ds * Qs[rr][part + k * TPR];
                }
            }
        }
    }
    if (j >= T)
        return;
    float *dk_row = dqkv + ((size_t)b * T + j) * kv.ld + (size_t)(NH + kvh) * HS;
    float *dv_row = dk_row + (size_t)KVH * HS;
#pragma unroll
    for (int k = 0; k < DPT; k++) {
        int d = part + k * TPR;
        if (d < HS) {
            dk_row[d] += dk[k] * scale;
            dv_row[d] += dv[k];
        }
    }
}

template <int HSMAX>
__global__ void __launch_bounds__(NT)
    attn_bwd_q(float *dqkv, const float *dout, const float *qkv, const float *lse,
               const float *D, int T, int NH, int KVH, int HS, float scale)
{
    using Tl = Tiles<HSMAX>;
    constexpr int TILE = Tl::TILE, TPR = Tl::TPR, DPT = Tl::DPT;
    __shared__ float Qs[TILE][Tl::LD], dOs[TILE][Tl::LD], Ks[TILE][Tl::LD], Vs[TILE][Tl::LD];
    __shared__ float P[TILE][TILE + 1], dS[TILE][TILE + 1], lse_s[TILE], D_s[TILE];

    int r = threadIdx.x / TPR, part = threadIdx.x % TPR;
    int b = blockIdx.y / NH, h = blockIdx.y % NH, i0 = blockIdx.x * TILE, i = i0 + r;
    Heads hd = heads_of(qkv, b, h, T, NH, KVH, HS);
    load_query_side<HSMAX>(Qs, dOs, lse_s, D_s, hd, dout, lse, D, b, h, i0, T, NH, HS);

    float dq[DPT];
#pragma unroll
    for (int k = 0; k < DPT; k++)
        dq[k] = 0.0f;
    int kend = min(T, i0 + TILE);
    for (int k0 = 0; k0 < kend; k0 += TILE) {
        __syncthreads();
        load_tile<HSMAX>(Ks, hd.k, hd.ld, k0, T, HS);
        load_tile<HSMAX>(Vs, hd.v, hd.ld, k0, T, HS);
        __syncthreads();
        probs_and_dscores<HSMAX>(P, dS, Qs, dOs, Ks, Vs, lse_s, D_s, i0, k0, T, HS, scale);
        __syncthreads();
        for (int c = 0; c < TILE; c++) {
            float ds = dS[r][c];
#pragma unroll
            for (int k = 0; k < DPT; k++)
                dq[k] += ds * Ks[c][part + k * TPR];
        }
    }
    if (i >= T)
        return;
    float *dq_row = dqkv + ((size_t)b * T + i) * hd.ld + (size_t)h * HS;
#pragma unroll
    for (int k = 0; k < DPT; k++) {
        int d = part + k * TPR;
        if (d < HS)
            dq_row[d] += dq[k] * scale;
    }
}

template <int HSMAX>
void forward(cudaStream_t st, float *out, float *lse, float *D, const float *dout,
             const float *qkv, int B, int T, int NH, int KVH, int HS)
{
    constexpr int TILE = Tiles<HSMAX>::TILE;
    dim3 grid((unsigned)((T + TILE - 1) / TILE), (unsigned)(B * NH));
    float scale = 1.0f / sqrtf((float)HS);
    if (D == nullptr) {
        auto *k = attn_fwd<HSMAX, false>;
        TCB_LAUNCH(k, grid, NT, 0, st, out, lse, D, dout, qkv, T, NH, KVH, HS, scale);
    } else {
        auto *k = attn_fwd<HSMAX, true>;
        TCB_LAUNCH(k, grid, NT, 0, st, out, lse, D, dout, qkv, T, NH, KVH, HS, scale);
    }
}

template <int HSMAX>
void backward(cudaStream_t st, float *dqkv, float *D, const float *dout, const float *qkv,
              const float *lse, int B, int T, int NH, int KVH, int HS)
{
    constexpr int TILE = Tiles<HSMAX>::TILE;
    unsigned tiles = (unsigned)((T + TILE - 1) / TILE);
    float scale = 1.0f / sqrtf((float)HS);
    forward<HSMAX>(st, nullptr, nullptr, D, dout, qkv, B, T, NH, KVH, HS);
    TCB_LAUNCH(attn_bwd_kv<HSMAX>, dim3(tiles, (unsigned)(B * KVH)), NT, 0, st, dqkv, dout, qkv,
               lse, D, T, NH, KVH, HS, scale);
    TCB_LAUNCH(attn_bwd_q<HSMAX>, dim3(tiles, (unsigned)(B * NH)), NT, 0, st, dqkv, dout, qkv,
               lse, D, T, NH, KVH, HS, scale);
}

bool shape_ok(int B, int T, int NH, int KVH, int HS)
{
    return B >= 0 && T >= 0 && KVH > 0 && NH % KVH == 0 && HS >= 2 && HS <= 256;
}

} // namespace

extern "C" cudaError_t tcb_cuda_attention_forward_launch(cudaStream_t st, float *out, float *att,
                                                         const float *qkv, int B, int T, int NH,
                                                         int KVH, int HS)
{
    if (!shape_ok(B, T, NH, KVH, HS))
        return cudaErrorInvalidValue;
    if (B == 0 || T == 0 || NH == 0)
        return cudaGetLastError();
    if (HS <= 32)
        forward<32>(st, out, att, nullptr, nullptr, qkv, B, T, NH, KVH, HS);
    else if (HS <= 64)
        forward<64>(st, out, att, nullptr, nullptr, qkv, B, T, NH, KVH, HS);
    else if (HS <= 128)
        forward<128>(st, out, att, nullptr, nullptr, qkv, B, T, NH, KVH, HS);
    else
        forward<256>(st, out, att, nullptr, nullptr, qkv, B, T, NH, KVH, HS);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_attention_backward_launch(cudaStream_t st, float *dqkv,
                                                          float *datt, const float *dout,
                                                          const float *qkv, const float *att,
                                                          int B, int T, int NH, int KVH, int HS)
{
    if (!shape_ok(B, T, NH, KVH, HS))
        return cudaErrorInvalidValue;
    if (B == 0 || T == 0 || NH == 0)
        return cudaGetLastError();
    if (HS <= 32)
        backward<32>(st, dqkv, datt, dout, qkv, att, B, T, NH, KVH, HS);
    else if (HS <= 64)
        backward<64>(st, dqkv, datt, dout, qkv, att, B, T, NH, KVH, HS);
    else if (HS <= 128)
        backward<128>(st, dqkv, datt, dout, qkv, att, B, T, NH, KVH, HS);
    else
        backward<256>(st, dqkv, datt, dout, qkv, att, B, T, NH, KVH, HS);
    return cudaGetLastError();
}
