/* The cpu backend's decoder ops other than attention: embeddings, norms,
 * linear layers, rotary positions, activations, residuals and the loss.
 * fp32, one OpenMP loop per op (static schedule), OpenBLAS for the matrix
 * products. compute.h gives each op's contract; the key to the letters:
 *   B batch, T sequence, C width, N = B*T rows, OC output channels,
 *   F FFN hidden width, V vocabulary, HS head dim.
 *
 * Every backward op adds into its gradients (+=). Gradients that sum over
 * rows (dw, db, dbias, dwte, dwpe) are computed by column blocks, each block
 * walking the rows in order: no two threads write one element, the order of
 * the additions is fixed, and no scratch is needed. */
#include "compute_cpu_internal.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/* ---- encoder ---------------------------------------------------------------- */

void tcb_cpu_encoder_forward(tcb_compute *cx, float *out, const int32_t *tokens,
                             const float *wte, const float *wpe, int B, int T, int C)
{
    // out (B,T,C), tokens (B,T), wte (V,C), wpe (T,C) or NULL
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int bt = 0; bt < B * T; bt++) {
        float *o = out + (size_t)bt * C;
        const float *e = wte + (size_t)tokens[bt] * C;
        if (wpe != NULL) {
            const float *p = wpe + (size_t)(bt % T) * C;
            for (int c = 0; c < C; c++)
                o[c] = e[c] + p[c];
        } else {
            memcpy(o, e, (size_t)C * sizeof *o);
        }
    }
}

void tcb_cpu_encoder_backward(tcb_compute *cx, float *dwte, float *dwpe, const float *dout,
                              const int32_t *tokens, int B, int T, int C)
{
    // dwte (V,C), dwpe (T,C) or NULL, dout (B,T,C), tokens (B,T)
    /* A token may repeat: by column blocks, rows in order (see the top). */
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int c0 = 0; c0 < C; c0 += TCB_CPU_COLS) {
        int c1 = tcb_cpu_min(c0 + TCB_CPU_COLS, C);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                const float *d = dout + ((size_t)b * T + t) * C;
                float *e = dwte + (size_t)tokens[b * T + t] * C;
                for (int c = c0; c < c1; c++)
                    e[c] += d[c];
                if (dwpe != NULL) {
                    float *p = dwpe + (size_t)t * C;
                    for (int c = c0; c < c1; c++)
                        p[c] += d[c];
                }
            }
        }
    }
}

/* ---- layernorm, rmsnorm -------------------------------------------------------- */

void tcb_cpu_layernorm_forward(tcb_compute *cx, float *out, float *mean, float *rstd,
                               const float *inp, const float *w, const float *b, int N,
                               int C, float eps)
{
    // out (N,C), mean (N), rstd (N), inp (N,C), w (C), b (C) or NULL
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (int c = 0; c < C; c++)
            s += x[c];
        float m = s / (float)C;
        /* Two passes: sum (x - m)^2 does not cancel the way E[x^2] - m^2 does. */
        float v = 0.0f;
#pragma omp simd reduction(+ : v)
        for (int c = 0; c < C; c++)
            v += (x[c] - m) * (x[c] - m);
        float r = 1.0f / sqrtf(v / (float)C + eps);
        for (int c = 0; c < C; c++)
            o[c] = (x[c] - m) * r * w[c] + (b != NULL ? b[c] : 0.0f);
        mean[n] = m;
        rstd[n] = r;
    }
}

void tcb_cpu_layernorm_backward(tcb_compute *cx, float *dinp, float *dw, float *db,
                                const float *dout, const float *inp, const float *w,
                                const float *mean, const float *rstd, int N, int C)
{
    // dinp (N,C), dw (C), db (C) or NULL, dout (N,C), inp (N,C), w (C),
    // mean (N), rstd (N)
    /* dinp, by rows: with norm = (x - mean) * rstd and dnorm = dout * w,
     * dx = (dnorm - mean(dnorm) - norm * mean(dnorm * norm)) * rstd. */
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
        float *dx = dinp + (size_t)n * C;
        float m = mean[n], r = rstd[n];
        float sd = 0.0f, sdn = 0.0f;
#pragma omp simd reduction(+ : sd, sdn)
        for (int c = 0; c < C; c++) {
            float dnorm = d[c] * w[c];
            sd += dnorm;
            sdn += dnorm * (x[c] - m) * r;
        }
        sd /= (float)C;
        sdn /= (float)C;
        for (int c = 0; c < C; c++) {
            float norm = (x[c] - m) * r;
            dx[c] += (d[c] * w[c] - sd - norm * sdn) * r;
        }
    }
    /* dw += sum over rows of dout * norm, db += sum of dout: column blocks,
     * summed in double so N rows lose nothing. */
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int c0 = 0; c0 < C; c0 += TCB_CPU_COLS) {
        int c1 = tcb_cpu_min(c0 + TCB_CPU_COLS, C);
        double aw[TCB_CPU_COLS] = {0}, ab[TCB_CPU_COLS] = {0};
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
            for (int c = c0; c < c1; c++) {
                aw[c - c0] += d[c] * ((x[c] - mean[n]) * rstd[n]);
                ab[c - c0] += d[c];
            }
        }
        for (int c = c0; c < c1; c++) {
            dw[c] += (float)aw[c - c0];
            if (db != NULL)
                db[c] += (float)ab[c - c0];
        }
    }
}

void tcb_cpu_rmsnorm_forward(tcb_compute *cx, float *out, float *rstd, const float *inp,
                             const float *w, int N, int C, float eps)
{
    // out (N,C), rstd (N), inp (N,C), w (C)
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
        for (int c = 0; c < C; c++)
            ss += x[c] * x[c];
        float r = 1.0f / sqrtf(ss / (float)C + eps);
        for (int c = 0; c < C; c++)
            o[c] = x[c] * r * w[c];
        rstd[n] = r;
    }
}

void tcb_cpu_rmsnorm_backward(tcb_compute *cx, float *dinp, float *dw, const float *dout,
                              const float *inp, const float *w, const float *rstd, int N,
                              int C)
{
    // dinp (N,C), dw (C), dout (N,C), inp (N,C), w (C), rstd (N)
    /* norm = x * rstd, dnorm = dout * w: dx = (dnorm - norm * mean(dnorm * norm)) * rstd
     * (layernorm's formula without the mean terms). */
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
        float *dx = dinp + (size_t)n * C;
        float r = rstd[n];
        float sdn = 0.0f;
#pragma omp simd reduction(+ : sdn)
        for (int c = 0; c < C; c++)
            sdn += d[c] * w[c] * x[c] * r;
        sdn /= (float)C;
        for (int c = 0; c < C; c++)
            dx[c] += (d[c] * w[c] - x[c] * r * sdn) * r;
    }
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int c0 = 0; c0 < C; c0 += TCB_CPU_COLS) {
        int c1 = tcb_cpu_min(c0 + TCB_CPU_COLS, C);
        double aw[TCB_CPU_COLS] = {0};
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
            for (int c = c0; c < c1; c++)
                aw[c - c0] += d[c] * (x[c] * rstd[n]);
        }
        for (int c = c0; c < c1; c++)
            dw[c] += (float)aw[c - c0];
    }
}

/* ---- matmul --------------------------------------------------------------------- */

void tcb_cpu_matmul_forward(tcb_compute *cx, float *out, const float *inp, const float *w,
                            const float *bias, int N, int C, int OC)
{
    // out (N,OC), inp (N,C), w (OC,C), bias (OC) or NULL
    /* The bias goes in first and sgemm adds onto it (beta = 1): one pass
     * over out instead of two. */
    if (bias != NULL) {
#pragma omp parallel for schedule(static) num_threads(cx->threads)
        for (int n = 0; n < N; n++)
            memcpy(out + (size_t)n * OC, bias, (size_t)OC * sizeof *out);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, inp, C, w, C,
                bias != NULL ? 1.0f : 0.0f, out, OC);
}

void tcb_cpu_matmul_backward(tcb_compute *cx, float *dinp, float *dw, float *dbias,
                             const float *dout, const float *inp, const float *w, int N,
                             int C, int OC)
{
    // dinp (N,C) or NULL, dw (OC,C), dbias (OC) or NULL, dout (N,OC),
    // inp (N,C), w (OC,C)
    if (dinp != NULL) // dinp += dout @ w
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f, dout, OC,
                    w, C, 1.0f, dinp, C);
    // dw += dout^T @ inp
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dout, OC, inp, C,
                1.0f, dw, C);
    if (dbias == NULL)
        return;
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int o0 = 0; o0 < OC; o0 += TCB_CPU_COLS) {
        int o1 = tcb_cpu_min(o0 + TCB_CPU_COLS, OC);
        double acc[TCB_CPU_COLS] = {0};
        for (int n = 0; n < N; n++) {
            const float *d = dout + (size_t)n * OC;
            for (int o = o0; o < o1; o++)
                acc[o - o0] += d[o];
        }
        for (int o = o0; o < o1; o++)
            dbias[o] += (float)acc[o - o0];
    }
}

/* ---- rotary positions -------------------------------------------------------------- */

/* Pairs handled per batch of cos/sin values (kept on the stack). */
#define ROPE_PAIRS 64

/* Turns the pairs (2i, 2i+1) of `heads` heads in every row by sign * angle,
 * angle = t * theta^(-2i/HS). The cos and sin depend on (t, i) only, so
 * each is computed once per call for all batches and heads: T * HS/2 of
 * them, in double (t * freq reaches 1e4 radians at long contexts, where a
 * float angle would be off by ~1e-3). */
static void rope_turn(tcb_compute *cx, float *x, int B, int T, int heads, int HS, int stride,
                      float theta, double sign)
{
    // x: row (b,t) at x + (b*T + t) * stride, head h at + h*HS
    int pairs = HS / 2;
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int t = 0; t < T; t++) {
        float cs[ROPE_PAIRS], sn[ROPE_PAIRS];
        for (int i0 = 0; i0 < pairs; i0 += ROPE_PAIRS) {
            int i1 = tcb_cpu_min(i0 + ROPE_PAIRS, pairs);
            for (int i = i0; i < i1; i++) {
                double angle = sign * t * pow((double)theta, -2.0 * i / HS);
                cs[i - i0] = (float)cos(angle);
                sn[i - i0] = (float)sin(angle);
            }
            for (int b = 0; b < B; b++) {
                float *row = x + ((size_t)b * T + t) * stride;
                for (int h = 0; h < heads; h++) {
                    float *p = row + (size_t)h * HS;
                    for (int i = i0; i < i1; i++) {
                        float x0 = p[2 * i], x1 = p[2 * i + 1];
                        p[2 * i] = x0 * cs[i - i0] - x1 * sn[i - i0];
                        p[2 * i + 1] = x0 * sn[i - i0] + x1 * cs[i - i0];
                    }
                }
            }
        }
    }
}

void tcb_cpu_rope_forward(tcb_compute *cx, float *x, int B, int T, int heads, int HS,
                          int stride, float theta)
{
    rope_turn(cx, x, B, T, heads, HS, stride, theta, 1.0);
}

void tcb_cpu_rope_backward(tcb_compute *cx, float *dx, int B, int T, int heads, int HS,
                           int stride, float theta)
{
    /* A rotation's gradient is its transpose: the turn by the opposite angle. */
    rope_turn(cx, dx, B, T, heads, HS, stride, theta, -1.0);
}

/* ---- activations, residual ------------------------------------------------------------ */

#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_C 0.044715f

/* compute.h's GELU, 0.5 x (1 + tanh(u)) with u = GELU_K (x + GELU_C x^3), is
 * computed as x * sigmoid(2u), the same function (1 + tanh(u) = 2 sigmoid(2u)),
 * because an exp vectorizes (tcb_cpu_expf) where tanhf is a libm call: 30 ns
 * an element before. */
void tcb_cpu_gelu_forward(tcb_compute *cx, float *out, const float *inp, size_t n)
{
#pragma omp parallel for simd schedule(static) num_threads(cx->threads)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_K * (x + GELU_C * x * x * x);
        out[i] = x / (1.0f + tcb_cpu_expf(-2.0f * u));
    }
}

void tcb_cpu_gelu_backward(tcb_compute *cx, float *dinp, const float *inp,
                           const float *dout, size_t n)
{
    /* d/dx [x s(2u)] = s + 2 x s (1 - s) u', s = sigmoid(2u) (0.5 (1 - tanh^2) = 2 s (1 - s)). */
#pragma omp parallel for simd schedule(static) num_threads(cx->threads)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_K * (x + GELU_C * x * x * x);
        float s = 1.0f / (1.0f + tcb_cpu_expf(-2.0f * u));
        float du = GELU_K * (1.0f + 3.0f * GELU_C * x * x);
        dinp[i] += (s + 2.0f * x * s * (1.0f - s) * du) * dout[i];
    }
}

void tcb_cpu_swiglu_forward(tcb_compute *cx, float *out, const float *inp, int N, int F)
{
    // out (N,F), inp (N,2F): gate then up
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int n = 0; n < N; n++) {
        const float *g = inp + (size_t)n * 2 * F, *u = g + F;
        float *o = out + (size_t)n * F;
#pragma omp simd
        for (int f = 0; f < F; f++)
            o[f] = g[f] / (1.0f + tcb_cpu_expf(-g[f])) * u[f];
    }
}

void tcb_cpu_swiglu_backward(tcb_compute *cx, float *dinp, const float *dout,
                             const float *inp, int N, int F)
{
    // dinp (N,2F), dout (N,F), inp (N,2F)
    /* silu'(g) = s (1 + g (1 - s)), s = sigmoid(g). */
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int n = 0; n < N; n++) {
        const float *g = inp + (size_t)n * 2 * F, *u = g + F, *d = dout + (size_t)n * F;
        float *dg = dinp + (size_t)n * 2 * F, *du = dg + F;
#pragma omp simd
        for (int f = 0; f < F; f++) {
            float s = 1.0f / (1.0f + tcb_cpu_expf(-g[f]));
            dg[f] += d[f] * u[f] * s * (1.0f + g[f] * (1.0f - s));
            du[f] += d[f] * g[f] * s;
        }
    }
}

void tcb_cpu_residual_forward(tcb_compute *cx, float *out, const float *a, const float *b,
                              size_t n)
{
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

void tcb_cpu_residual_backward(tcb_compute *cx, float *da, float *db, const float *dout,
                               size_t n)
{
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (size_t i = 0; i < n; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}

/* ---- softmax cross-entropy ---------------------------------------------------------- */

/* One row of logits: returns its loss; with grad, x becomes its gradient. */
TCB_CPU_CLONES static float xent_row(float *x, int target, int V, float dloss, bool grad)
{
    float mx = tcb_cpu_max(x, V);
    float xt = x[target];
    /* exp(x - max) <= 1: no overflow. The sum is in double because V is
     * large (50257) and a float sum would drop the small terms. */
    double sum = 0.0;
    if (grad) {
        /* Each exp stays in place: the gradient is then one more pass, not
         * a second exp. */
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < V; j++) {
            x[j] = tcb_cpu_expf(x[j] - mx);
            sum += x[j];
        }
        float scale = (float)(dloss / sum);
#pragma omp simd
        for (int j = 0; j < V; j++)
            x[j] *= scale;
        x[target] -= dloss;
    } else {
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < V; j++)
            sum += tcb_cpu_expf(x[j] - mx);
    }
    return (float)(log(sum) + mx - xt);
}

void tcb_cpu_softmax_xent(tcb_compute *cx, float *losses, float *logits,
                          const int32_t *targets, int N, int V, float dloss, bool grad)
{
    // losses (N), logits (N,V), targets (N)
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int n = 0; n < N; n++)
        losses[n] = xent_row(logits + (size_t)n * V, targets[n], V, dloss, grad);
}
