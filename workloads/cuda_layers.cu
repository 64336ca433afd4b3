// The cuda backend's decoder ops other than attention and the matrix
// products: embeddings, norms, rotary positions, activations, residuals, the
// loss and the bias helpers. fp32 throughout; the launchers and their
// contracts are in cuda_kernels.h, the ops' semantics in compute.h. Key:
// B batch, T sequence, C width, N = B*T rows, OC output channels, F FFN
// hidden width, V vocabulary, HS head dim.
//
// Row ops (norms, loss) give a row to a warp or a block and reduce with the
// fixed trees of cuda_reduce.cuh. Sums over rows (dw, db, dbias, dwpe, dwte)
// give each thread columns and add the rows in a fixed order, in double where
// the cpu backend does: deterministic, no atomics.
#include "cuda_reduce.cuh"

namespace {

using tcb::grid_for;

constexpr int THREADS = 256; // elementwise kernels
constexpr int ROWS = 4;      // rows per block for the warp-per-row kernels

// ---- encoder ----------------------------------------------------------------------

__global__ void encoder_fwd(float *out, const int32_t *tokens, const float *wte,
                            const float *wpe, int T, int C, size_t total)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        size_t bt = i / (size_t)C;
        int c = (int)(i % (size_t)C), t = (int)(bt % (size_t)T);
        float e = wte[(size_t)tokens[bt] * C + c];
        out[i] = wpe != nullptr ? e + wpe[(size_t)t * C + c] : e;
    }
}

// Slices of the token ids for dwte's scatter: thread (c, s) owns the rows of
// tokens with id % SLICES == s, so no two threads add into one element.
constexpr int SLICES = 32;

__global__ void encoder_bwd_wte(float *dwte, const float *dout, const int32_t *tokens, int BT,
                                int C)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    int s = blockIdx.y;
    if (c >= C)
        return;
    for (int bt = 0; bt < BT; bt++) {
        int tok = tokens[bt]; // the same for the whole warp: one broadcast load
        if (tok % SLICES == s)
            dwte[(size_t)tok * C + c] += dout[(size_t)bt * C + c];
    }
}

__global__ void encoder_bwd_wpe(float *dwpe, const float *dout, int B, int T, int C)
{
    size_t total = (size_t)T * C, stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        float p = dwpe[i];
        for (int b = 0; b < B; b++) // batches in order, as the cpu backend
            p += dout[(size_t)b * total + i];
        dwpe[i] = p;
    }
}

// ---- layernorm, rmsnorm: a warp per row ---------------------------------------------

__global__ void layernorm_fwd(float *out, float *mean, float *rstd, const float *inp,
                              const float *w, const float *b, int N, int C, float eps)
{
    int lane = threadIdx.x % 32, n = blockIdx.x * ROWS + threadIdx.x / 32;
    bool ok = n < N; // no early return: every thread reaches the shuffles
    const float *x = inp + (size_t)(ok ? n : 0) * C;
    float s = 0.0f;
    for (int c = lane; c < C; c += 32)
        s += x[c];
    float m = tcb::warp_reduce(s, tcb::Sum()) / (float)C;
    float v = 0.0f; // two passes: no cancellation (see the cpu backend)
    for (int c = lane; c < C; c += 32)
        v += (x[c] - m) * (x[c] - m);
    float r = 1.0f / sqrtf(tcb::warp_reduce(v, tcb::Sum()) / (float)C + eps);
    if (!ok)
        return;
    float *o = out + (size_t)n * C;
    for (int c = lane; c < C; c += 32)
        o[c] = (x[c] - m) * r * w[c] + (b != nullptr ? b[c] : 0.0f);
    if (lane == 0) {
        mean[n] = m;
        rstd[n] = r;
    }
}

// dx += (dnorm - mean(dnorm) - norm * mean(dnorm * norm)) * rstd,
// norm = (x - mean) * rstd, dnorm = dout * w.
__global__ void layernorm_bwd_dx(float *dinp, const float *dout, const float *inp,
                                 const float *w, const float *mean, const float *rstd, int N,
                                 int C)
{
    int lane = threadIdx.x % 32, n = blockIdx.x * ROWS + threadIdx.x / 32;
    bool ok = n < N;
    size_t row = (size_t)(ok ? n : 0) * C;
    const float *x = inp + row, *d = dout + row;
    float m = mean[ok ? n : 0], r = rstd[ok ? n : 0];
    float sd = 0.0f, sdn = 0.0f;
    for (int c = lane; c < C; c += 32) {
        float dnorm = d[c] * w[c];
        sd += dnorm;
        sdn += dnorm * (x[c] - m) * r;
    }
    sd = tcb::warp_reduce(sd, tcb::Sum()) / (float)C;
    sdn = tcb::warp_reduce(sdn, tcb::Sum()) / (float)C;
    if (!ok)
        return;
    float *dx = dinp + row;
    for (int c = lane; c < C; c += 32)
        dx[c] += (d[c] * w[c] - sd - (x[c] - m) * r * sdn) * r;
}

__global__ void rmsnorm_fwd(float *out, float *rstd, const float *inp, const float *w, int N,
                            int C, float eps)
{
    int lane = threadIdx.x % 32, n = blockIdx.x * ROWS + threadIdx.x / 32;
    bool ok = n < N;
    const float *x = inp + (size_t)(ok ? n : 0) * C;
    float ss = 0.0f;
    for (int c = lane; c < C; c += 32)
        ss += x[c] * x[c];
    float r = 1.0f / sqrtf(tcb::warp_reduce(ss, tcb::Sum()) / (float)C + eps);
    if (!ok)
        return;
    float *o = out + (size_t)n * C;
    for (int c = lane; c < C; c += 32)
        o[c] = x[c] * r * w[c];
    if (lane == 0)
        rstd[n] = r;
}

// dx += (dnorm - norm * mean(dnorm * norm)) * rstd, norm = x * rstd.
__global__ void rmsnorm_bwd_dx(float *dinp, const float *dout, const float *inp, const float *w,
                               const float *rstd, int N, int C)
{
    int lane = threadIdx.x % 32, n = blockIdx.x * ROWS + threadIdx.x / 32;
    bool ok = n < N;
    size_t row = (size_t)(ok ? n : 0) * C;
    const float *x = inp + row, *d = dout + row;
    float r = rstd[ok ? n : 0];
    float sdn = 0.0f;
    for (int c = lane; c < C; c += 32)
        sdn += d[c] * w[c] * x[c] * r;
    sdn = tcb::warp_reduce(sdn, tcb::Sum()) / (float)C;
    if (!ok)
        return;
    float *dx = dinp + row;
    for (int c = lane; c < C; c += 32)
        dx[c] += (d[c] * w[c] - x[c] * r * sdn) * r;
}

// ---- sums over rows: norm weights, bias ---------------------------------------------

// What a column sum adds per row.
enum ColSum { COLS_LAYERNORM, COLS_RMSNORM, COLS_BIAS };

// Block (32 columns, 16 row groups): group g sums rows g, g+16, ... in
// double; the 16 partials are then added in group order. Threads of a warp
// read 32 consecutive floats of a row.
constexpr int COL_X = 32, COL_Y = 16;

template <int MODE>
__global__ void col_sums(float *dw, float *db, const float *dout, const float *inp,
                         const float *mean, const float *rstd, int N, int C)
{
    __shared__ double pw[COL_Y][COL_X], pb[COL_Y][COL_X];
    int tx = threadIdx.x, ty = threadIdx.y, c = blockIdx.x * COL_X + tx;
    double aw = 0.0, ab = 0.0;
    if (c < C) {
        for (int n = ty; n < N; n += COL_Y) {
            float d = dout[(size_t)n * C + c];
            if (MODE == COLS_LAYERNORM) {
                float x = inp[(size_t)n * C + c];
                aw += d * ((x - mean[n]) * rstd[n]);
                ab += d;
            } else if (MODE == COLS_RMSNORM) {
                aw += d * (inp[(size_t)n * C + c] * rstd[n]);
            } else {
                aw += d;
            }
        }
    }
    pw[ty][tx] = aw;
    pb[ty][tx] = ab;
    __syncthreads();
    if (ty != 0 || c >= C)
        return;
    for (int g = 1; g < COL_Y; g++) {
        aw += pw[g][tx];
        ab += pb[g][tx];
    }
    if (MODE == COLS_LAYERNORM && db != nullptr)
        db[c] += (float)ab;
    dw[c] += (float)aw;
}

template <int MODE>
void launch_col_sums(cudaStream_t st, float *dw, float *db, const float *dout, const float *inp,
                     const float *mean, const float *rstd, int N, int C)
{
    dim3 block(COL_X, COL_Y), grid((unsigned)((C + COL_X - 1) / COL_X));
    TCB_LAUNCH(col_sums<MODE>, grid, block, 0, st, dw, db, dout, inp, mean, rstd, N, C);
}

__global__ void bias_fill(float *out, const float *bias, int OC, size_t total, bool add)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride)
        out[i] = add ? out[i] + bias[i % (size_t)OC] : bias[i % (size_t)OC];
}

// ---- rotary positions ------------------------------------------------------------------

// One thread per pair (b, t, h, i), turned by sign * t * theta^(-2i/HS). The
// angle, cos and sin in double, as the cpu backend (t * freq reaches 1e4
// radians at long contexts, where a float angle is off by ~1e-3).
__global__ void rope_turn(float *x, int B, int T, int heads, int HS, int stride, float theta,
                          double sign)
{
    int pairs = HS / 2;
    size_t total = (size_t)B * T * heads * pairs, step = (size_t)gridDim.x * blockDim.x;
    for (size_t e = (size_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += step) {
        int i = (int)(e % (size_t)pairs);
        size_t r = e / (size_t)pairs;
        int h = (int)(r % (size_t)heads);
        size_t bt = r / (size_t)heads;
        int t = (int)(bt % (size_t)T);
        double angle = sign * t * pow((double)theta, -2.0 * i / HS);
        float cs = (float)cos(angle), sn = (float)sin(angle);
        float *p = x + bt * (size_t)stride + (size_t)h * HS;
        float x0 = p[2 * i], x1 = p[2 * i + 1];
        p[2 * i] = x0 * cs - x1 * sn;
        p[2 * i + 1] = x0 * sn + x1 * cs;
    }
}

// ---- activations, residual ---------------------------------------------------------------

constexpr float GELU_K = 0.7978845608028654f; // sqrt(2/pi)
constexpr float GELU_C = 0.044715f;

// 0.5 x (1 + tanh(u)) computed as x * sigmoid(2u), the same function, as the
// cpu backend does.
__global__ void gelu_fwd(float *out, const float *inp, size_t n)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float x = inp[i];
        float u = GELU_K * (x + GELU_C * x * x * x);
        out[i] = x / (1.0f + expf(-2.0f * u));
    }
}

__global__ void gelu_bwd(float *dinp, const float *inp, const float *dout, size_t n)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float x = inp[i];
        float u = GELU_K * (x + GELU_C * x * x * x);
        float s = 1.0f / (1.0f + expf(-2.0f * u));
        float du = GELU_K * (1.0f + 3.0f * GELU_C * x * x);
        dinp[i] += (s + 2.0f * x * s * (1.0f - s) * du) * dout[i];
    }
}

__global__ void swiglu_fwd(float *out, const float *inp, int F, size_t total)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        size_t n = i / (size_t)F, f = i % (size_t)F;
        float g = inp[n * 2 * F + f], u = inp[n * 2 * F + F + f];
        out[i] = g / (1.0f + expf(-g)) * u;
    }
}

// silu'(g) = s (1 + g (1 - s)), s = sigmoid(g).
__global__ void swiglu_bwd(float *dinp, const float *dout, const float *inp, int F, size_t total)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        size_t n = i / (size_t)F, f = i % (size_t)F;
        size_t gi = n * 2 * F + f, ui = gi + F;
        float g = inp[gi], u = inp[ui], d = dout[i];
        float s = 1.0f / (1.0f + expf(-g));
        dinp[gi] += d * u * s * (1.0f + g * (1.0f - s));
        dinp[ui] += d * g * s;
    }
}

__global__ void residual_fwd(float *out, const float *a, const float *b, size_t n)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        out[i] = a[i] + b[i];
}

__global__ void residual_bwd(float *da, float *db, const float *dout, size_t n)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}

// ---- softmax cross-entropy: a block per row ---------------------------------------------

constexpr int XENT_THREADS = 512;

// The sum of exp(x - max) in double (V is large, 50257: a float sum drops the
// small terms), as the cpu backend. With grad, a third pass writes
// (softmax - onehot) * dloss over the row.
__global__ void softmax_xent_rows(float *losses, float *logits, const int32_t *targets, int V,
                                  float dloss, bool grad)
{
    float *x = logits + (size_t)blockIdx.x * V;
    int target = targets[blockIdx.x];
    float xt = x[target]; // read before any thread overwrites the row
    float mx = -INFINITY;
    for (int j = threadIdx.x; j < V; j += blockDim.x)
        mx = fmaxf(mx, x[j]);
    mx = tcb::block_reduce(mx, tcb::Max());
    double sum = 0.0;
    for (int j = threadIdx.x; j < V; j += blockDim.x)
        sum += expf(x[j] - mx);
    sum = tcb::block_reduce(sum, tcb::Sum());
    if (threadIdx.x == 0)
        losses[blockIdx.x] = (float)(log(sum) + mx - xt);
    if (!grad)
        return;
    float scale = (float)(dloss / sum);
    for (int j = threadIdx.x; j < V; j += blockDim.x) {
        float g = expf(x[j] - mx) * scale;
        x[j] = j == target ? g - dloss : g;
    }
}

} // namespace

// ---- launchers ------------------------------------------------------------------------------

extern "C" cudaError_t tcb_cuda_encoder_forward_launch(cudaStream_t st, float *out,
                                                       const int32_t *tokens, const float *wte,
                                                       const float *wpe, int B, int T, int C)
{
    size_t total = (size_t)B * T * C;
    TCB_LAUNCH(encoder_fwd, grid_for(total, THREADS), THREADS, 0, st, out, tokens, wte, wpe, T, C,
               total);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_encoder_backward_launch(cudaStream_t st, float *dwte,
                                                        float *dwpe, const float *dout,
                                                        const int32_t *tokens, int B, int T,
                                                        int C)
{
    if (B * T == 0 || C == 0) // an empty grid is a launch error
        return cudaGetLastError();
    const int threads = 128;
    dim3 grid((unsigned)((C + threads - 1) / threads), SLICES);
    TCB_LAUNCH(encoder_bwd_wte, grid, threads, 0, st, dwte, dout, tokens, B * T, C);
    if (dwpe != nullptr)
        TCB_LAUNCH(encoder_bwd_wpe, grid_for((size_t)T * C, THREADS), THREADS, 0, st, dwpe, dout,
                   B, T, C);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_layernorm_forward_launch(cudaStream_t st, float *out,
                                                         float *mean, float *rstd,
                                                         const float *inp, const float *w,
                                                         const float *b, int N, int C,
                                                         float eps)
{
    if (N == 0 || C == 0) // an empty grid is a launch error
        return cudaGetLastError();
    TCB_LAUNCH(layernorm_fwd, (unsigned)((N + ROWS - 1) / ROWS), ROWS * 32, 0, st, out, mean,
               rstd, inp, w, b, N, C, eps);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_layernorm_backward_launch(cudaStream_t st, float *dinp,
                                                          float *dw, float *db,
                                                          const float *dout, const float *inp,
                                                          const float *w, const float *mean,
                                                          const float *rstd, int N, int C)
{
    if (N == 0 || C == 0) // an empty grid is a launch error
        return cudaGetLastError();
    TCB_LAUNCH(layernorm_bwd_dx, (unsigned)((N + ROWS - 1) / ROWS), ROWS * 32, 0, st, dinp, dout,
               inp, w, mean, rstd, N, C);
    launch_col_sums<COLS_LAYERNORM>(st, dw, db, dout, inp, mean, rstd, N, C);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_rmsnorm_forward_launch(cudaStream_t st, float *out, float *rstd,
                                                       const float *inp, const float *w, int N,
                                                       int C, float eps)
{
    if (N == 0 || C == 0) // an empty grid is a launch error
        return cudaGetLastError();
    TCB_LAUNCH(rmsnorm_fwd, (unsigned)((N + ROWS - 1) / ROWS), ROWS * 32, 0, st, out, rstd, inp,
               w, N, C, eps);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_rmsnorm_backward_launch(cudaStream_t st, float *dinp, float *dw,
                                                        const float *dout, const float *inp,
                                                        const float *w, const float *rstd, int N,
                                                        int C)
{
    if (N == 0 || C == 0) // an empty grid is a launch error
        return cudaGetLastError();
    TCB_LAUNCH(rmsnorm_bwd_dx, (unsigned)((N + ROWS - 1) / ROWS), ROWS * 32, 0, st, dinp, dout,
               inp, w, rstd, N, C);
    launch_col_sums<COLS_RMSNORM>(st, dw, nullptr, dout, inp, nullptr, rstd, N, C);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_bias_broadcast_launch(cudaStream_t st, float *out,
                                                      const float *bias, int N, int OC)
{
    size_t total = (size_t)N * OC;
    TCB_LAUNCH(bias_fill, grid_for(total, THREADS), THREADS, 0, st, out, bias, OC, total, false);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_bias_add_launch(cudaStream_t st, float *out, const float *bias,
                                                int N, int OC)
{
    size_t total = (size_t)N * OC;
    TCB_LAUNCH(bias_fill, grid_for(total, THREADS), THREADS, 0, st, out, bias, OC, total, true);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_bias_backward_launch(cudaStream_t st, float *dbias,
                                                     const float *dout, int N, int OC)
{
    if (N == 0 || OC == 0) // an empty grid is a launch error
        return cudaGetLastError();
    launch_col_sums<COLS_BIAS>(st, dbias, nullptr, dout, nullptr, nullptr, nullptr, N, OC);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_rope_forward_launch(cudaStream_t st, float *x, int B, int T,
                                                    int heads, int HS, int stride, float theta)
{
    size_t total = (size_t)B * T * heads * (HS / 2);
    TCB_LAUNCH(rope_turn, grid_for(total, THREADS), THREADS, 0, st, x, B, T, heads, HS, stride,
               theta, 1.0);
    return cudaGetLastError();
}

// A rotation's gradient is its transpose: the turn by the opposite angle.
extern "C" cudaError_t tcb_cuda_rope_backward_launch(cudaStream_t st, float *dx, int B, int T,
                                                     int heads, int HS, int stride, float theta)
{
    size_t total = (size_t)B * T * heads * (HS / 2);
    TCB_LAUNCH(rope_turn, grid_for(total, THREADS), THREADS, 0, st, dx, B, T, heads, HS, stride,
               theta, -1.0);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_gelu_forward_launch(cudaStream_t st, float *out,
                                                    const float *inp, size_t n)
{
    TCB_LAUNCH(gelu_fwd, grid_for(n, THREADS), THREADS, 0, st, out, inp, n);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_gelu_backward_launch(cudaStream_t st, float *dinp,
                                                     const float *inp, const float *dout,
                                                     size_t n)
{
    TCB_LAUNCH(gelu_bwd, grid_for(n, THREADS), THREADS, 0, st, dinp, inp, dout, n);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_swiglu_forward_launch(cudaStream_t st, float *out,
                                                      const float *inp, int N, int F)
{
    size_t total = (size_t)N * F;
    TCB_LAUNCH(swiglu_fwd, grid_for(total, THREADS), THREADS, 0, st, out, inp, F, total);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_swiglu_backward_launch(cudaStream_t st, float *dinp,
                                                       const float *dout, const float *inp,
                                                       int N, int F)
{
    size_t total = (size_t)N * F;
    TCB_LAUNCH(swiglu_bwd, grid_for(total, THREADS), THREADS, 0, st, dinp, dout, inp, F, total);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_residual_forward_launch(cudaStream_t st, float *out,
                                                        const float *a, const float *b, size_t n)
{
    TCB_LAUNCH(residual_fwd, grid_for(n, THREADS), THREADS, 0, st, out, a, b, n);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_residual_backward_launch(cudaStream_t st, float *da, float *db,
                                                         const float *dout, size_t n)
{
    TCB_LAUNCH(residual_bwd, grid_for(n, THREADS), THREADS, 0, st, da, db, dout, n);
    return cudaGetLastError();
}

extern "C" cudaError_t tcb_cuda_softmax_xent_launch(cudaStream_t st, float *losses,
                                                    float *logits, const int32_t *targets, int N,
                                                    int V, float dloss, bool grad)
{
    if (N == 0) // an empty grid is a launch error
        return cudaGetLastError();
    TCB_LAUNCH(softmax_xent_rows, (unsigned)N, XENT_THREADS, 0, st, losses, logits, targets, V,
               dloss, grad);
    return cudaGetLastError();
}
