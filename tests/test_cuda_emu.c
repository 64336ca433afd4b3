/* The cuda backend's kernels, run on the CPU: the launchers of cuda_kernels.h
 * compiled from the same .cu sources as plain C++ against the host emulation
 * of tests/cuda_emu/cuda_emu.h (TCB_CUDA_EMULATE; pointers are host memory),
 * each compared with the cpu backend's op of compute.h on random inputs.
 *
 * Every backward starts from random, non-zero gradients, so an op that
 * overwrites instead of adding (+=) fails. Shapes are odd on purpose: rows
 * not a multiple of a block's rows, widths not a multiple of 32, T not a
 * multiple of the attention tile.
 *
 * Tolerances (on |got - want| <= tol * max|want|, unless said otherwise):
 * both sides are fp32 and differ in the order of their sums (warp trees here,
 * vectorized loops there) and in exp (expf here, the cpu backend's own
 * tcb_cpu_expf, within a few ulp). A float sum of n terms then differs by at
 * most ~n * 6e-8 relative to the largest magnitude it passes through, so
 * 1e-5 covers the O(100)-term sums below with margin; where the cpu backend
 * and the kernel add in the same order (embedding gradients, residuals)
 * the results must be equal. */
#include "compute.h"
#include "cuda_kernels.h"
#include "test_buffers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern const tcb_compute_backend tcb_compute_cpu;
static const tcb_compute_backend *cpu = &tcb_compute_cpu;
static tcb_compute *cx;

#define OK(call) cr_assert_eq((call), cudaSuccess, "%s failed", #call)

/* ---- setup (buffers and random inputs: test_buffers.h), comparisons ---- */

static void setup(void)
{
    test_buffers_begin(0xc0da5eedULL);
    cr_assert_eq(cpu->open(NULL, 2, &cx), TCB_OK);
}

static void teardown(void)
{
    test_buffers_end();
    cpu->close(cx);
}

TestSuite(cuda_emu, .init = setup, .fini = teardown, .timeout = 120);

/* Every |got - want| <= rtol * max|want| (+ a denormal's worth). */
static void expect_close(const float *got, const float *want, size_t n, double rtol,
                         const char *what)
{
    double mx = 0.0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs(want[i]));
    double tol = rtol * mx + 1e-30;
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= tol))
            cr_assert_fail("%s[%zu] = %.9g, cpu backend %.9g (tolerance %.3g)", what, i, got[i],
                           want[i], tol);
}

static void expect_equal(const float *got, const float *want, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&got[i], &want[i], sizeof got[i]) != 0)
            cr_assert_fail("%s[%zu] = %.9g, cpu backend %.9g (same order: must be equal)",
                           what, i, got[i], want[i]);
}

/* ---- STREAM ---------------------------------------------------------------- */

/* Copy and the adds are one rounding each, as on the cpu; scale and triad
 * too, but a compiler may contract b + s*c into an fma: 1e-6. n = 1003
 * leaves a scalar tail after the float4 loop; a+1 (unaligned) takes the
 * scalar kernel for everything. */
Test(cuda_emu, stream_kernels_match_the_cpu_backend)
{
    size_t n = 1003;
    for (int k = TCB_STREAM_COPY; k <= TCB_STREAM_TRIAD; k++)
        for (int shift = 0; shift < 2; shift++) {
            float *b = frand(n + 1, -1, 1), *c = frand(n + 1, -1, 1);
            float *a = frand(n + 1, -1, 1), *want = fcopy(a, n + 1);
            OK(tcb_cuda_stream_launch(NULL, 1, (tcb_stream_kernel)k, a + shift, b + shift,
                                      c + shift, 0.37f, n));
            cpu->stream(cx, (tcb_stream_kernel)k, want + shift, b + shift, c + shift, 0.37f, n);
            expect_close(a, want, n + 1, 1e-6, "stream");
        }
}

/* ---- encoder ---------------------------------------------------------------- */

/* Both sides add each element's rows in row order: equal bits. Few token
 * ids (7) so that they repeat, across slices and within one. */
Test(cuda_emu, encoder_matches_and_adds_in_the_cpu_order)
{
    int B = 2, T = 5, C = 37, V = 40;
    int32_t *tok = irand((size_t)B * T, 7);
    tok[3] = 39; /* one id past the first slice (32) */
    float *wte = frand((size_t)V * C, -1, 1), *wpe = frand((size_t)T * C, -1, 1);
    for (int with_wpe = 0; with_wpe < 2; with_wpe++) {
        const float *p = with_wpe ? wpe : NULL;
        float *out = frand((size_t)B * T * C, -1, 1), *want = fcopy(out, (size_t)B * T * C);
        OK(tcb_cuda_encoder_forward_launch(NULL, out, tok, wte, p, B, T, C));
        cpu->encoder_forward(cx, want, tok, wte, p, B, T, C);
        expect_equal(out, want, (size_t)B * T * C, "encoder out");

        float *dout = frand((size_t)B * T * C, -1, 1);
        float *dwte = frand((size_t)V * C, -1, 1), *dwte_want = fcopy(dwte, (size_t)V * C);
        float *dwpe = with_wpe ? frand((size_t)T * C, -1, 1) : NULL;
        float *dwpe_want = with_wpe ? fcopy(dwpe, (size_t)T * C) : NULL;
        OK(tcb_cuda_encoder_backward_launch(NULL, dwte, dwpe, dout, tok, B, T, C));
        cpu->encoder_backward(cx, dwte_want, dwpe_want, dout, tok, B, T, C);
        expect_equal(dwte, dwte_want, (size_t)V * C, "dwte");
        if (with_wpe)
            expect_equal(dwpe, dwpe_want, (size_t)T * C, "dwpe");
    }
}

/* ---- norms ---------------------------------------------------------------- */

/* N = 7 rows: the last block of 4 has a row past N. C = 45 and 300: lanes
 * with one and with several columns. Sums of C terms in float: 1e-5. */
Test(cuda_emu, layernorm_forward_and_backward)
{
    int N = 7, Cs[] = {45, 300};
    for (int ci = 0; ci < 2; ci++)
        for (int with_b = 0; with_b < 2; with_b++) {
            int C = Cs[ci];
            size_t NC = (size_t)N * C;
            float *inp = frand(NC, -2, 3), *w = frand(C, 0.5, 1.5);
            float *b = with_b ? frand(C, -1, 1) : NULL;
            float *out = tmem(NC * 4), *mean = tmem(N * 4), *rstd = tmem(N * 4);
            float *out_w = tmem(NC * 4), *mean_w = tmem(N * 4), *rstd_w = tmem(N * 4);
            OK(tcb_cuda_layernorm_forward_launch(NULL, out, mean, rstd, inp, w, b, N, C, 1e-5f));
            cpu->layernorm_forward(cx, out_w, mean_w, rstd_w, inp, w, b, N, C, 1e-5f);
            expect_close(out, out_w, NC, 1e-5, "layernorm out");
            expect_close(mean, mean_w, N, 1e-5, "layernorm mean");
            expect_close(rstd, rstd_w, N, 1e-5, "layernorm rstd");

            float *dout = frand(NC, -1, 1), *dinp = frand(NC, -1, 1), *dw = frand(C, -1, 1);
            float *db = with_b ? frand(C, -1, 1) : NULL; /* NULL: no bias gradient */
            float *dinp_w = fcopy(dinp, NC), *dw_w = fcopy(dw, C);
            float *db_w = with_b ? fcopy(db, C) : NULL;
            OK(tcb_cuda_layernorm_backward_launch(NULL, dinp, dw, db, dout, inp, w, mean_w,
                                                  rstd_w, N, C));
            cpu->layernorm_backward(cx, dinp_w, dw_w, db_w, dout, inp, w, mean_w, rstd_w, N, C);
            expect_close(dinp, dinp_w, NC, 1e-5, "layernorm dinp");
            expect_close(dw, dw_w, C, 1e-5, "layernorm dw");
            if (with_b)
                expect_close(db, db_w, C, 1e-5, "layernorm db");
        }
}

Test(cuda_emu, rmsnorm_forward_and_backward)
{
    int N = 9, Cs[] = {45, 300};
    for (int ci = 0; ci < 2; ci++) {
        int C = Cs[ci];
        size_t NC = (size_t)N * C;
        float *inp = frand(NC, -2, 3), *w = frand(C, 0.5, 1.5);
        float *out = tmem(NC * 4), *rstd = tmem(N * 4);
        float *out_w = tmem(NC * 4), *rstd_w = tmem(N * 4);
        OK(tcb_cuda_rmsnorm_forward_launch(NULL, out, rstd, inp, w, N, C, 1e-6f));
        cpu->rmsnorm_forward(cx, out_w, rstd_w, inp, w, N, C, 1e-6f);
        expect_close(out, out_w, NC, 1e-5, "rmsnorm out");
        expect_close(rstd, rstd_w, N, 1e-5, "rmsnorm rstd");

        float *dout = frand(NC, -1, 1), *dinp = frand(NC, -1, 1), *dw = frand(C, -1, 1);
        float *dinp_w = fcopy(dinp, NC), *dw_w = fcopy(dw, C);
        OK(tcb_cuda_rmsnorm_backward_launch(NULL, dinp, dw, dout, inp, w, rstd_w, N, C));
        cpu->rmsnorm_backward(cx, dinp_w, dw_w, dout, inp, w, rstd_w, N, C);
        expect_close(dinp, dinp_w, NC, 1e-5, "rmsnorm dinp");
        expect_close(dw, dw_w, C, 1e-5, "rmsnorm dw");
    }
}

/* ---- bias helpers ------------------------------------------------------------ */

/* Against plain loops; the backward's sums are in double on both sides. */
Test(cuda_emu, bias_helpers)
{
    int N = 21, OC = 70;
    size_t n = (size_t)N * OC;
    float *bias = frand(OC, -1, 1), *out = frand(n, -1, 1), *want = fcopy(out, n);
    OK(tcb_cuda_bias_add_launch(NULL, out, bias, N, OC));
    for (size_t i = 0; i < n; i++)
        want[i] += bias[i % OC];
    expect_equal(out, want, n, "bias_add");
    OK(tcb_cuda_bias_broadcast_launch(NULL, out, bias, N, OC));
    for (size_t i = 0; i < n; i++)
        want[i] = bias[i % OC];
    expect_equal(out, want, n, "bias_broadcast");

    float *dout = frand(n, -1, 1), *db = frand(OC, -1, 1), *db_w = fcopy(db, OC);
    OK(tcb_cuda_bias_backward_launch(NULL, db, dout, N, OC));
    for (int o = 0; o < OC; o++) {
        double s = 0.0;
        for (int r = 0; r < N; r++)
            s += dout[(size_t)r * OC + o];
        db_w[o] += (float)s;
    }
    expect_close(db, db_w, OC, 1e-6, "dbias");
}

/* ---- rotary positions ------------------------------------------------------------ */

/* Angles, cos and sin in double on both sides: a few float roundings, 1e-6.
 * stride > heads * HS: the gap of each row must stay untouched. */
Test(cuda_emu, rope_turns_like_the_cpu_backend_and_back)
{
    int B = 2, T = 9, heads = 3, HS = 16, stride = 3 * 16 + 5;
    size_t n = (size_t)B * T * stride;
    float *x = frand(n, -1, 1), *orig = fcopy(x, n), *want = fcopy(x, n);
    OK(tcb_cuda_rope_forward_launch(NULL, x, B, T, heads, HS, stride, 10000.0f));
    cpu->rope_forward(cx, want, B, T, heads, HS, stride, 10000.0f);
    expect_close(x, want, n, 1e-6, "rope forward");
    OK(tcb_cuda_rope_backward_launch(NULL, x, B, T, heads, HS, stride, 10000.0f));
    cpu->rope_backward(cx, want, B, T, heads, HS, stride, 10000.0f);
    expect_close(x, want, n, 1e-6, "rope backward");
    expect_close(x, orig, n, 1e-6, "rope there and back");
}

/* ---- activations, residual ------------------------------------------------------------ */

/* Elementwise: expf against tcb_cpu_expf (a few ulp), through a few more
 * roundings: 1e-6 of the largest value. */
Test(cuda_emu, gelu_and_swiglu)
{
    size_t n = 1001;
    float *inp = frand(n, -5, 5), *out = tmem(n * 4), *want = tmem(n * 4);
    OK(tcb_cuda_gelu_forward_launch(NULL, out, inp, n));
    cpu->gelu_forward(cx, want, inp, n);
    expect_close(out, want, n, 1e-6, "gelu out");
    float *dout = frand(n, -1, 1), *dinp = frand(n, -1, 1), *dinp_w = fcopy(dinp, n);
    OK(tcb_cuda_gelu_backward_launch(NULL, dinp, inp, dout, n));
    cpu->gelu_backward(cx, dinp_w, inp, dout, n);
    expect_close(dinp, dinp_w, n, 1e-6, "gelu dinp");

    int N = 3, F = 37;
    float *sin_ = frand((size_t)N * 2 * F, -5, 5);
    float *sout = tmem((size_t)N * F * 4), *sout_w = tmem((size_t)N * F * 4);
    OK(tcb_cuda_swiglu_forward_launch(NULL, sout, sin_, N, F));
    cpu->swiglu_forward(cx, sout_w, sin_, N, F);
    expect_close(sout, sout_w, (size_t)N * F, 1e-6, "swiglu out");
    float *sd = frand((size_t)N * F, -1, 1), *sdi = frand((size_t)N * 2 * F, -1, 1);
    float *sdi_w = fcopy(sdi, (size_t)N * 2 * F);
    OK(tcb_cuda_swiglu_backward_launch(NULL, sdi, sd, sin_, N, F));
    cpu->swiglu_backward(cx, sdi_w, sd, sin_, N, F);
    expect_close(sdi, sdi_w, (size_t)N * 2 * F, 1e-6, "swiglu dinp");
}

Test(cuda_emu, residual_adds_into_both_gradients)
{
    size_t n = 777;
    float *a = frand(n, -1, 1), *b = frand(n, -1, 1), *out = tmem(n * 4), *want = tmem(n * 4);
    OK(tcb_cuda_residual_forward_launch(NULL, out, a, b, n));
    cpu->residual_forward(cx, want, a, b, n);
    expect_equal(out, want, n, "residual out");
    float *dout = frand(n, -1, 1), *da_w = fcopy(a, n), *db_w = fcopy(b, n);
    OK(tcb_cuda_residual_backward_launch(NULL, a, b, dout, n));
    cpu->residual_backward(cx, da_w, db_w, dout, n);
    expect_equal(a, da_w, n, "da");
    expect_equal(b, db_w, n, "db");
}

/* ---- loss ---------------------------------------------------------------------------- */

/* V = 1000: not a multiple of the block (512). Losses are log of a double
 * sum plus O(1) terms, the exps differing by a few ulp: 1e-6 relative. */
Test(cuda_emu, softmax_xent_with_and_without_grad)
{
    int N = 5, V = 1000;
    size_t n = (size_t)N * V;
    int32_t *tg = irand(N, V);
    tg[0] = V - 1;
    float *logits = frand(n, -4, 4), *orig = fcopy(logits, n), *want = fcopy(logits, n);
    float *loss = tmem(N * 4), *loss_w = tmem(N * 4);

    OK(tcb_cuda_softmax_xent_launch(NULL, loss, logits, tg, N, V, 1.0f / N, false));
    cpu->softmax_xent(cx, loss_w, want, tg, N, V, 1.0f / N, false);
    cr_assert(memcmp(logits, orig, n * 4) == 0, "grad false changed the logits");
    expect_close(loss, loss_w, N, 1e-6, "loss");

    OK(tcb_cuda_softmax_xent_launch(NULL, loss, logits, tg, N, V, 1.0f / N, true));
    cpu->softmax_xent(cx, loss_w, want, tg, N, V, 1.0f / N, true);
    expect_close(loss, loss_w, N, 1e-6, "loss (grad)");
    expect_close(logits, want, n, 1e-6, "dlogits");
}

/* ---- optimizer, conversions ----------------------------------------------------------------- */

/* Each x^2 is exact in double (24-bit mantissas), so only the additions
 * round: n * 1.1e-16 relative at worst, ~1e-11 for n = 100003; the reference
 * is a long double sum. Run twice: the same bits. n below the grid's thread
 * count and n = 0 too. */
Test(cuda_emu, sum_squares_is_exact_ish_and_deterministic)
{
    size_t ns[] = {100003, 5, 0};
    for (int k = 0; k < 3; k++) {
        size_t n = ns[k];
        float *x = frand(n, -3, 3);
        double *scratch = tmem(TCB_CUDA_SUM_SQUARES_SCRATCH * sizeof(double));
        OK(tcb_cuda_sum_squares_launch(NULL, scratch, x, n));
        double got = scratch[0];
        long double want = 0.0L;
        for (size_t i = 0; i < n; i++)
            want += (long double)x[i] * x[i];
        cr_assert(fabs(got - (double)want) <= 1e-12 * (double)want, "n=%zu: %.17g, want %.17Lg",
                  n, got, want);
        if (k > 0) /* each launch takes seconds here (264 blocks of 256 threads) */
            continue;
        OK(tcb_cuda_sum_squares_launch(NULL, scratch, x, n));
        cr_assert(memcmp(&got, &scratch[0], sizeof got) == 0, "a second run differs");
        cr_assert(fabs(got - cpu->sum_squares(cx, x, n)) <= 1e-12 * got);
    }
}

/* Five steps, with weight decay and a grad_scale: elementwise with the same
 * formula, a compiler's fma contraction apart: 1e-6 relative, per step. */
Test(cuda_emu, adamw_over_several_steps)
{
    size_t n = 1003;
    float *p = frand(n, -1, 1), *m = tmem(n * 4), *v = tmem(n * 4);
    float *pw = fcopy(p, n), *mw = tmem(n * 4), *vw = tmem(n * 4);
    for (int step = 1; step <= 5; step++) {
        float *g = frand(n, -2, 2);
        OK(tcb_cuda_adamw_launch(NULL, p, g, m, v, n, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, step,
                                 0.5f));
        cpu->adamw(cx, pw, g, mw, vw, n, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, step, 0.5f);
        expect_close(p, pw, n, 1e-6, "params");
        expect_close(m, mw, n, 1e-6, "m");
        expect_close(v, vw, n, 1e-6, "v");
    }
}

/* Round to nearest, ties to even, on the bits; widening back is exact. */
Test(cuda_emu, bf16_rounds_to_nearest_even)
{
    float in[] = {1.0f, 1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, -2.5f, 1.0f + 0x1p-8f + 0x1p-20f,
                  INFINITY, NAN, 0x1p-130f};
    uint16_t want[] = {0x3f80, 0x3f80, 0x3f82, 0xc020, 0x3f81, 0x7f80, 0, 0x0008};
    int n = (int)(sizeof in / sizeof in[0]);
    uint16_t out[8];
    float back[8];
    OK(tcb_cuda_to_bf16(NULL, out, in, (size_t)n));
    OK(tcb_cuda_from_bf16(NULL, back, out, (size_t)n));
    for (int i = 0; i < n; i++) {
        if (isnan(in[i])) {
            cr_assert(isnan(back[i]), "NaN became %g", back[i]);
            continue;
        }
        cr_assert_eq(out[i], want[i], "bf16(%a) = 0x%04x, want 0x%04x", in[i], out[i], want[i]);
        uint32_t u = (uint32_t)want[i] << 16;
        float f;
        memcpy(&f, &u, sizeof f);
        cr_assert(memcmp(&back[i], &f, sizeof f) == 0, "widened 0x%04x to %a", want[i], back[i]);
    }
}

/* ---- attention --------------------------------------------------------------------------- */

/* got - pre against want - pre (what each op added), within rtol of the
 * largest such want; the pre-filled values' own rounding (|pre| <= 1, a few
 * ulp of 1) is allowed on top. */
static void expect_added(const float *got, const float *want, const float *pre, size_t n,
                         double rtol, const char *what)
{
    double mx = 0.0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs((double)want[i] - pre[i]));
    cr_assert(mx > 1e-3, "%s: the gradient is ~0 (%g), a useless test", what, mx);
    double tol = rtol * mx + 5e-7;
    for (size_t i = 0; i < n; i++) {
        double g = (double)got[i] - pre[i], w = (double)want[i] - pre[i];
        if (!(fabs(g - w) <= tol))
            cr_assert_fail("%s[%zu]: added %.9g, cpu backend %.9g (tolerance %.3g)", what, i, g,
                           w, tol);
    }
}

typedef struct {
    int B, T, NH, KVH, HS;
} att_case;

/* Against the cpu backend, which materializes the (T,T) probabilities:
 *   out: sums of T products of probabilities (from scores of HS-term dot
 *        products) with values in [-1, 1]: 1e-5 of the largest;
 *   lse: against a double reference computed here, 1e-5 relative;
 *   dqkv: three chained sums (dP, dS with its D_i, dq/dk/dv) of at most
 *        T + HS terms each, over G heads for dk, dv: 5e-5.
 * T runs past a tile (37, 70) or stays inside one (1, 11); HS 16, 48 (not a
 * power of two), 64, 128, 256 take every tile shape; KVH 2 and 1 share kv
 * heads among 2 and 4 query heads. */
static void check_attention(att_case a)
{
    int B = a.B, T = a.T, NH = a.NH, KVH = a.KVH, HS = a.HS;
    int QKV = (NH + 2 * KVH) * HS, OW = NH * HS;
    size_t nqkv = (size_t)B * T * QKV, nout = (size_t)B * T * OW, nrow = (size_t)B * NH * T;
    float *qkv = frand(nqkv, -1, 1);
    float *out = tmem(nout * 4), *lse = tmem(nrow * 4);
    float *out_w = tmem(nout * 4), *att_w = tmem(nrow * T * 4);
    OK(tcb_cuda_attention_forward_launch(NULL, out, lse, qkv, B, T, NH, KVH, HS));
    cpu->attention_forward(cx, out_w, att_w, qkv, B, T, NH, KVH, HS);
    expect_close(out, out_w, nout, 1e-5, "attention out");

    float *lse_w = tmem(nrow * 4);
    double scale = 1.0 / sqrt((double)HS);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * QKV + (size_t)h * HS;
                double s[128], mx = -INFINITY, sum = 0.0;
                cr_assert(T <= 128);
                for (int j = 0; j <= t; j++) {
                    const float *k = qkv + ((size_t)b * T + j) * QKV +
                                     (size_t)(NH + h / (NH / KVH)) * HS;
                    s[j] = 0.0;
                    for (int d = 0; d < HS; d++)
                        s[j] += (double)q[d] * k[d];
                    s[j] *= scale;
                    mx = fmax(mx, s[j]);
                }
                for (int j = 0; j <= t; j++)
                    sum += exp(s[j] - mx);
                lse_w[((size_t)b * NH + h) * T + t] = (float)(mx + log(sum));
            }
    expect_close(lse, lse_w, nrow, 1e-5, "attention lse");

    float *dout = frand(nout, -1, 1), *pre = frand(nqkv, -1, 1);
    float *dqkv = fcopy(pre, nqkv), *dqkv_w = fcopy(pre, nqkv);
    float *D = tmem(nrow * 4), *datt_w = tmem(nrow * T * 4);
    OK(tcb_cuda_attention_backward_launch(NULL, dqkv, D, dout, qkv, lse, B, T, NH, KVH, HS));
    cpu->attention_backward(cx, dqkv_w, datt_w, dout, qkv, att_w, B, T, NH, KVH, HS);
    expect_added(dqkv, dqkv_w, pre, nqkv, 5e-5, "attention dqkv");

    /* D is rowsum(dout * out). */
    for (size_t r = 0; r < nrow; r++) {
        size_t b = r / ((size_t)NH * T), h = r / T % NH, t = r % T;
        double want = 0.0;
        for (int d = 0; d < HS; d++) {
            size_t at = (b * T + t) * OW + h * HS + d;
            want += (double)dout[at] * out_w[at];
        }
        cr_assert(fabs(D[r] - want) <= 1e-5 * (1.0 + fabs(want)), "D[%zu] = %g, want %g", r,
                  D[r], want);
    }
}

Test(cuda_emu, attention_gqa_odd_t_head_size_16)
{
    check_attention((att_case){.B = 2, .T = 37, .NH = 4, .KVH = 2, .HS = 16});
}

Test(cuda_emu, attention_one_kv_head_head_size_64)
{
    check_attention((att_case){.B = 1, .T = 70, .NH = 4, .KVH = 1, .HS = 64});
}

Test(cuda_emu, attention_other_head_sizes)
{
    check_attention((att_case){.B = 1, .T = 20, .NH = 2, .KVH = 2, .HS = 48});
    check_attention((att_case){.B = 1, .T = 19, .NH = 2, .KVH = 1, .HS = 128});
    check_attention((att_case){.B = 1, .T = 11, .NH = 2, .KVH = 2, .HS = 256});
    check_attention((att_case){.B = 2, .T = 1, .NH = 4, .KVH = 2, .HS = 16});
}

/* Same inputs, same bits: no atomics, fixed orders. */
Test(cuda_emu, attention_backward_is_deterministic)
{
    int B = 1, T = 33, NH = 4, KVH = 2, HS = 16, QKV = (NH + 2 * KVH) * HS;
    size_t nqkv = (size_t)B * T * QKV, nout = (size_t)B * T * NH * HS, nrow = (size_t)NH * T;
    float *qkv = frand(nqkv, -1, 1), *out = tmem(nout * 4), *lse = tmem(nrow * 4);
    OK(tcb_cuda_attention_forward_launch(NULL, out, lse, qkv, B, T, NH, KVH, HS));
    float *dout = frand(nout, -1, 1), *pre = frand(nqkv, -1, 1), *D = tmem(nrow * 4);
    float *d1 = fcopy(pre, nqkv), *d2 = fcopy(pre, nqkv);
    OK(tcb_cuda_attention_backward_launch(NULL, d1, D, dout, qkv, lse, B, T, NH, KVH, HS));
    OK(tcb_cuda_attention_backward_launch(NULL, d2, D, dout, qkv, lse, B, T, NH, KVH, HS));
    cr_assert(memcmp(d1, d2, nqkv * 4) == 0, "two runs of the backward differ");
}
