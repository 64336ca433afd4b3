/* The cpu compute backend, op by op, through its table (compute.h).
 *
 * Each forward is checked against a plain double-precision reference
 * (test_ops_ref.c) and each backward against the central-difference
 * gradient of L = sum(w * y) through that reference, w being the dout given
 * to the backward op. Gradient buffers start with random values, so an op
 * that overwrites instead of adding (+=) fails. Tiny shapes; a few larger
 * ones where the code takes another path (several column or row blocks). */
#include "compute.h"
#include "compute_cpu_internal.h" /* tcb_cpu_expf, tcb_cpu_max */
#include "test_buffers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- test_ops_ref.c ---- */
typedef void (*ref_fwd)(const void *ctx, double *const *in, double *out);
void ref_encoder(double *out, const int32_t *tokens, const double *wte, const double *wpe,
                 int B, int T, int C);
void ref_layernorm(double *out, double *mean, double *rstd, const double *inp,
                   const double *w, const double *b, int N, int C, double eps);
void ref_rmsnorm(double *out, double *rstd, const double *inp, const double *w, int N, int C,
                 double eps);
void ref_matmul(double *out, const double *inp, const double *w, const double *bias, int N,
                int C, int OC);
void ref_rope(double *x, int B, int T, int heads, int HS, int stride, double theta);
void ref_attention(double *out, double *att, const double *qkv, int B, int T, int NH,
                   int KVH, int HS);
void ref_gelu(double *out, const double *inp, size_t n);
void ref_swiglu(double *out, const double *inp, int N, int F);
void ref_xent(double *losses, const double *logits, const int32_t *targets, int N, int V);
void ref_fd_grad(ref_fwd fwd, const void *ctx, double *const *in, int k, size_t len,
                 size_t n_out, const double *w, double *grad);

extern const tcb_compute_backend tcb_compute_cpu;
static const tcb_compute_backend *be = &tcb_compute_cpu;
static tcb_compute *cx;

/* ---- setup (buffers and random inputs: test_buffers.h), comparisons ---- */

static void setup(void)
{
    test_buffers_begin(0x7cb5eedULL);
    cr_assert_eq(be->open(NULL, 2, &cx), TCB_OK);
}

static void teardown(void)
{
    test_buffers_end();
    be->close(cx);
}

TestSuite(ops, .init = setup, .fini = teardown);

/* The exact double of each float, so the reference sees the same inputs. */
static double *dup_d(const float *x, size_t n)
{
    if (x == NULL)
        return NULL;
    double *y = tmem(n * sizeof *y);
    for (size_t i = 0; i < n; i++)
        y[i] = x[i];
    return y;
}

static double *dmem(size_t n)
{
    return tmem(n * sizeof(double));
}

static double max_abs(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(x[i]));
    return m;
}

/* Every |got - want| <= rtol * max|want| + atol. */
static void expect_close(const float *got, const double *want, size_t n, double rtol,
                         double atol, const char *what)
{
    double tol = rtol * max_abs(want, n) + atol;
    for (size_t i = 0; i < n; i++)
        if (!(fabs(got[i] - want[i]) <= tol))
            cr_assert_fail("%s[%zu] = %.9g, want %.9g (tolerance %.3g)", what, i, got[i],
                           want[i], tol);
}

/* A backward op's output: got held pre before the op, so got - pre must be
 * the finite-difference gradient fd. The gradient must be far from zero, or
 * the comparison would prove nothing. */
static void expect_grad(const float *got, const float *pre, const double *fd, size_t n,
                        const char *what)
{
    double mx = max_abs(fd, n);
    cr_assert(mx > 1e-2, "%s: the reference gradient is ~0 (%g), a useless test", what, mx);
    double tol = 1e-4 * mx + 1e-5;
    for (size_t i = 0; i < n; i++) {
        double g = (double)got[i] - (pre != NULL ? pre[i] : 0.0);
        if (!(fabs(g - fd[i]) <= tol))
            cr_assert_fail("%s[%zu]: added %.9g, finite differences say %.9g (tol %.3g)",
                           what, i, g, fd[i], tol);
    }
}

/* d sum(w * fwd(in)) / d in[k], as a fresh buffer. */
static double *fd_grad(ref_fwd fwd, const void *ctx, double **in, int k, size_t len,
                       size_t n_out, const float *w)
{
    double *g = dmem(len);
    ref_fd_grad(fwd, ctx, in, k, len, n_out, dup_d(w, n_out), g);
    return g;
}

/* ---- the backend's own exp -------------------------------------------------- */

Test(ops, expf_matches_libm_and_handles_the_edges)
{
    for (double xd = -87.0; xd <= 88.0; xd += 0.00731) {
        float x = (float)xd;
        double want = exp((double)x), got = tcb_cpu_expf(x);
        cr_assert(fabs(got - want) <= 4e-7 * want, "exp(%.9g) = %.9g, want %.9g", x, got,
                  want);
    }
    cr_assert_eq(tcb_cpu_expf(0.0f), 1.0f);
    /* Clamped: far below, a stand-in for 0; far above, large but finite. */
    float tiny[] = {-87.5f, -200.0f, -1e30f, -INFINITY};
    for (int i = 0; i < 4; i++)
        cr_assert(tcb_cpu_expf(tiny[i]) >= 0.0f && tcb_cpu_expf(tiny[i]) < 2e-38f,
                  "exp(%g) = %g", tiny[i], tcb_cpu_expf(tiny[i]));
    float huge[] = {88.5f, 200.0f, 1e30f, INFINITY};
    for (int i = 0; i < 4; i++)
        cr_assert(tcb_cpu_expf(huge[i]) > 1e38f && isfinite(tcb_cpu_expf(huge[i])),
                  "exp(%g) = %g", huge[i], tcb_cpu_expf(huge[i]));
    cr_assert(isnan(tcb_cpu_expf(NAN)) && isnan(tcb_cpu_expf(-NAN)));
}

/* Softmax is blind to a wrong max (any shift gives the same result), so the
 * max is checked on its own: every length around the 8 lanes, the largest
 * element at every position, lanes and tail alike. */
Test(ops, max_finds_the_largest_at_every_position)
{
    float x[40];
    for (int n = 1; n <= 40; n++)
        for (int at = 0; at < n; at++) {
            for (int j = 0; j < n; j++)
                x[j] = -1000.0f - (float)urand(0, 1); /* below any made-up start */
            x[at] = -999.5f;
            cr_assert_eq(tcb_cpu_max(x, n), -999.5f, "n %d, max at %d", n, at);
        }
}

/* ---- device plumbing, gemm, stream ------------------------------------------ */

Test(ops, open_reports_threads_and_memory_is_zeroed_aligned)
{
    cr_assert_str_eq(be->name, "cpu");
    cr_assert_eq(be->threads(cx), 2);
    cr_assert(be->host_memory);
    size_t n = 3u << 20; /* big enough for the threaded zeroing */
    unsigned char *p = be->alloc(cx, n);
    cr_assert_not_null(p);
    cr_assert_eq((uintptr_t)p % 64, 0, "alloc must be 64-byte aligned");
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            cr_assert_fail("alloc: byte %zu not zero", i);
    float src[5] = {1, 2, 3, 4, 5}, back[5] = {0};
    cr_assert_eq(be->upload(cx, p, src, sizeof src), TCB_OK);
    cr_assert_eq(be->download(cx, back, p, sizeof back), TCB_OK);
    cr_assert_arr_eq(back, src, sizeof src);
    memset(p, 0xab, n);
    be->zero(cx, p, n);
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            cr_assert_fail("zero: byte %zu not zero", i);
    cr_assert_eq(be->sync(cx), TCB_OK);
    be->free(cx, p);

    tcb_compute *cx0;
    cr_assert_eq(be->open(NULL, 0, &cx0), TCB_OK);
    cr_assert_geq(be->threads(cx0), 1, "threads 0 means as many as the cpuset allows");
    be->close(cx0);
}

Test(ops, describe_names_the_device)
{
    tcb_device_info info;
    memset(&info, 0, sizeof info);
    be->describe(cx, &info);
    cr_assert_neq(info.name[0], '\0');
    cr_assert_geq(info.peak_tflops_f32, 0.0);
}

Test(ops, gemm_matches_naive_for_every_transpose)
{
    int m = 7, n = 5, k = 6;
    float alpha = 0.7f, beta = 0.3f;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            /* Leading dimensions wider than the matrices, to catch a mix-up. */
            int ar = ta ? k : m, ac = ta ? m : k, lda = ac + 3;
            int br = tb ? n : k, bc = tb ? k : n, ldb = bc + 2;
            int ldc = n + 4;
            float *a = frand((size_t)ar * lda, -1, 1), *b = frand((size_t)br * ldb, -1, 1);
            float *c = frand((size_t)m * ldc, -1, 1), *c0 = fcopy(c, (size_t)m * ldc);
            be->gemm(cx, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < ldc; j++) {
                    float got = c[i * ldc + j];
                    if (j >= n) { /* padding: not to be touched */
                        cr_assert_eq(got, c0[i * ldc + j]);
                        continue;
                    }
                    double s = 0.0;
                    for (int p = 0; p < k; p++)
                        s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) *
                             (tb ? b[j * ldb + p] : b[p * ldb + j]);
                    double want = alpha * s + beta * (double)c0[i * ldc + j];
                    cr_assert(fabs(got - want) <= 1e-5 * (1 + fabs(want)),
                              "trans_a %d trans_b %d: c[%d][%d] = %g, want %g", ta, tb, i, j,
                              got, want);
                }
        }
}

Test(ops, stream_kernels)
{
    size_t n = 100003;
    float s = 3.0f;
    float *b = frand(n, -1, 1), *c = frand(n, -1, 1);
    for (int kernel = TCB_STREAM_COPY; kernel <= TCB_STREAM_TRIAD; kernel++) {
        float *a = ffill(n + 1, -7.0f); /* a[n]: must stay */
        be->stream(cx, (tcb_stream_kernel)kernel, a, b, c, s, n);
        for (size_t i = 0; i < n; i++) {
            double want = kernel == TCB_STREAM_COPY    ? b[i]
                          : kernel == TCB_STREAM_SCALE ? (double)s * b[i]
                          : kernel == TCB_STREAM_ADD   ? (double)b[i] + c[i]
                                                       : (double)b[i] + (double)s * c[i];
            if (!(fabs(a[i] - want) <= 1e-6 * (1 + fabs(want))))
                cr_assert_fail("kernel %d: a[%zu] = %g, want %g", kernel, i, a[i], want);
        }
        cr_assert_eq(a[n], -7.0f, "kernel %d wrote past n", kernel);
    }
}

/* ---- encoder --------------------------------------------------------------------- */

typedef struct {
    const int32_t *tokens;
    int B, T, C;
} enc_ctx;

static void enc_fwd(const void *ctx, double *const *in, double *out)
{
    const enc_ctx *e = ctx;
    ref_encoder(out, e->tokens, in[0], in[1], e->B, e->T, e->C);
}

static void check_encoder(bool with_wpe)
{
    int B = 2, T = 5, C = 8, V = 11;
    size_t n = (size_t)B * T * C;
    static const int32_t tokens[10] = {2, 7, 2, 0, 10, 7, 7, 3, 2, 5}; /* repeats */
    enc_ctx e = {tokens, B, T, C};
    float *wte = frand((size_t)V * C, -1, 1);
    float *wpe = with_wpe ? frand((size_t)T * C, -1, 1) : NULL;
    double *in[2] = {dup_d(wte, (size_t)V * C), dup_d(wpe, (size_t)T * C)};

    float *out = ffill(n, NAN);
    be->encoder_forward(cx, out, tokens, wte, wpe, B, T, C);
    double *want = dmem(n);
    enc_fwd(&e, in, want);
    expect_close(out, want, n, 1e-6, 0, "encoder out");

    float *dout = frand(n, -1, 1);
    float *dwte = frand((size_t)V * C, -1, 1), *dwte0 = fcopy(dwte, (size_t)V * C);
    float *dwpe = with_wpe ? frand((size_t)T * C, -1, 1) : NULL;
    float *dwpe0 = with_wpe ? fcopy(dwpe, (size_t)T * C) : NULL;
    be->encoder_backward(cx, dwte, dwpe, dout, tokens, B, T, C);
    expect_grad(dwte, dwte0, fd_grad(enc_fwd, &e, in, 0, (size_t)V * C, n, dout),
                (size_t)V * C, "dwte");
    if (with_wpe)
        expect_grad(dwpe, dwpe0, fd_grad(enc_fwd, &e, in, 1, (size_t)T * C, n, dout),
                    (size_t)T * C, "dwpe");
}

Test(ops, encoder_with_positions_repeated_tokens)
{
    check_encoder(true);
}

Test(ops, encoder_without_positions)
{
    check_encoder(false);
}

/* ---- layernorm, rmsnorm ------------------------------------------------------------ */

typedef struct {
    int N, C;
    double *mean, *rstd; /* scratch of the reference */
} norm_ctx;

static void ln_fwd(const void *ctx, double *const *in, double *out)
{
    const norm_ctx *c = ctx;
    ref_layernorm(out, c->mean, c->rstd, in[0], in[1], in[2], c->N, c->C, 1e-5);
}

static void rms_fwd(const void *ctx, double *const *in, double *out)
{
    const norm_ctx *c = ctx;
    ref_rmsnorm(out, c->rstd, in[0], in[1], c->N, c->C, 1e-5);
}

/* Rows with an offset each, so the mean matters. */
static float *norm_input(int N, int C)
{
    float *x = frand((size_t)N * C, -1, 1);
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            x[n * C + c] += (float)(0.3 * n - 1.0);
    return x;
}

static void check_layernorm(int N, int C, bool with_bias)
{
    size_t nc = (size_t)N * C;
    norm_ctx nx = {N, C, dmem(N), dmem(N)};
    float *inp = norm_input(N, C), *w = frand(C, 0.5, 1.5);
    float *b = with_bias ? frand(C, -0.5, 0.5) : NULL;
    double *in[3] = {dup_d(inp, nc), dup_d(w, C), dup_d(b, C)};

    float *out = ffill(nc, NAN), *mean = ffill(N, NAN), *rstd = ffill(N, NAN);
    be->layernorm_forward(cx, out, mean, rstd, inp, w, b, N, C, 1e-5f);
    double *want = dmem(nc);
    ln_fwd(&nx, in, want);
    expect_close(out, want, nc, 1e-5, 1e-6, "layernorm out");
    expect_close(mean, nx.mean, N, 1e-5, 1e-6, "mean");
    expect_close(rstd, nx.rstd, N, 1e-5, 1e-6, "rstd");

    float *dout = frand(nc, -1, 1);
    float *dinp = frand(nc, -1, 1), *dinp0 = fcopy(dinp, nc);
    float *dw = frand(C, -1, 1), *dw0 = fcopy(dw, C);
    float *db = with_bias ? frand(C, -1, 1) : NULL, *db0 = with_bias ? fcopy(db, C) : NULL;
    be->layernorm_backward(cx, dinp, dw, db, dout, inp, w, mean, rstd, N, C);
    expect_grad(dinp, dinp0, fd_grad(ln_fwd, &nx, in, 0, nc, nc, dout), nc, "dinp");
    expect_grad(dw, dw0, fd_grad(ln_fwd, &nx, in, 1, C, nc, dout), C, "dw");
    if (with_bias)
        expect_grad(db, db0, fd_grad(ln_fwd, &nx, in, 2, C, nc, dout), C, "db");
}

Test(ops, layernorm_with_bias)
{
    check_layernorm(10, 8, true);
}

Test(ops, layernorm_without_bias)
{
    check_layernorm(10, 8, false);
}

Test(ops, layernorm_wide_rows_several_column_blocks)
{
    check_layernorm(6, 70, true);
}

static void check_rmsnorm(int N, int C)
{
    size_t nc = (size_t)N * C;
    norm_ctx nx = {N, C, NULL, dmem(N)};
    float *inp = norm_input(N, C), *w = frand(C, 0.5, 1.5);
    double *in[2] = {dup_d(inp, nc), dup_d(w, C)};

    float *out = ffill(nc, NAN), *rstd = ffill(N, NAN);
    be->rmsnorm_forward(cx, out, rstd, inp, w, N, C, 1e-5f);
    double *want = dmem(nc);
    rms_fwd(&nx, in, want);
    expect_close(out, want, nc, 1e-5, 1e-6, "rmsnorm out");
    expect_close(rstd, nx.rstd, N, 1e-5, 1e-6, "rstd");

    float *dout = frand(nc, -1, 1);
    float *dinp = frand(nc, -1, 1), *dinp0 = fcopy(dinp, nc);
    float *dw = frand(C, -1, 1), *dw0 = fcopy(dw, C);
    be->rmsnorm_backward(cx, dinp, dw, dout, inp, w, rstd, N, C);
    expect_grad(dinp, dinp0, fd_grad(rms_fwd, &nx, in, 0, nc, nc, dout), nc, "dinp");
    expect_grad(dw, dw0, fd_grad(rms_fwd, &nx, in, 1, C, nc, dout), C, "dw");
}

Test(ops, rmsnorm)
{
    check_rmsnorm(10, 8);
    check_rmsnorm(6, 70);
}

/* ---- matmul ------------------------------------------------------------------------ */

typedef struct {
    int N, C, OC;
} mm_ctx;

static void mm_fwd(const void *ctx, double *const *in, double *out)
{
    const mm_ctx *m = ctx;
    ref_matmul(out, in[0], in[1], in[2], m->N, m->C, m->OC);
}

static void check_matmul(int N, int C, int OC, bool with_bias, bool with_dinp)
{
    mm_ctx mx = {N, C, OC};
    size_t ni = (size_t)N * C, nw = (size_t)OC * C, no = (size_t)N * OC;
    float *inp = frand(ni, -1, 1), *w = frand(nw, -1, 1);
    float *bias = with_bias ? frand(OC, -1, 1) : NULL;
    double *in[3] = {dup_d(inp, ni), dup_d(w, nw), dup_d(bias, OC)};

    float *out = ffill(no, NAN);
    be->matmul_forward(cx, out, inp, w, bias, N, C, OC);
    double *want = dmem(no);
    mm_fwd(&mx, in, want);
    expect_close(out, want, no, 1e-5, 1e-6, "matmul out");

    float *dout = frand(no, -1, 1);
    float *dinp = with_dinp ? frand(ni, -1, 1) : NULL, *dinp0 = with_dinp ? fcopy(dinp, ni) : NULL;
    float *dw = frand(nw, -1, 1), *dw0 = fcopy(dw, nw);
    float *db = with_bias ? frand(OC, -1, 1) : NULL, *db0 = with_bias ? fcopy(db, OC) : NULL;
    be->matmul_backward(cx, dinp, dw, db, dout, inp, w, N, C, OC);
    if (with_dinp)
        expect_grad(dinp, dinp0, fd_grad(mm_fwd, &mx, in, 0, ni, no, dout), ni, "dinp");
    expect_grad(dw, dw0, fd_grad(mm_fwd, &mx, in, 1, nw, no, dout), nw, "dw");
    if (with_bias)
        expect_grad(db, db0, fd_grad(mm_fwd, &mx, in, 2, OC, no, dout), OC, "dbias");
}

Test(ops, matmul_with_bias)
{
    check_matmul(10, 8, 70, true, true); /* 70 outputs: two column blocks of dbias */
}

Test(ops, matmul_without_bias_without_dinp)
{
    check_matmul(10, 8, 6, false, false);
    check_matmul(10, 8, 6, false, true);
}

/* ---- rotary positions ---------------------------------------------------------------- */

typedef struct {
    int B, T, heads, HS, stride;
} rope_ctx;

static void rope_fwd(const void *ctx, double *const *in, double *out)
{
    const rope_ctx *r = ctx;
    memcpy(out, in[0], (size_t)r->B * r->T * r->stride * sizeof *out);
    ref_rope(out, r->B, r->T, r->heads, r->HS, r->stride, 10000.0);
}

/* 3 heads of 8 in rows of 29: the 5 trailing elements must stay as they are. */
static const rope_ctx rope_shape = {2, 5, 3, 8, 29};

Test(ops, rope_forward_is_the_rotation)
{
    rope_ctx r = rope_shape;
    size_t n = (size_t)r.B * r.T * r.stride;
    float *x = frand(n, -1, 1), *x0 = fcopy(x, n);
    be->rope_forward(cx, x, r.B, r.T, r.heads, r.HS, r.stride, 10000.0f);
    double *in[1] = {dup_d(x0, n)}, *want = dmem(n);
    rope_fwd(&r, in, want);
    expect_close(x, want, n, 1e-6, 1e-7, "rope x");
    for (size_t row = 0; row < (size_t)r.B * r.T; row++)
        for (int c = r.heads * r.HS; c < r.stride; c++)
            cr_assert_eq(x[row * r.stride + c], x0[row * r.stride + c],
                         "rope touched element %d of row %zu, outside the heads", c, row);
    /* Position 0 does not turn; a later one does. */
    cr_assert_arr_eq(x, x0, (size_t)r.stride * sizeof *x);
    cr_assert_neq(x[r.stride], x0[r.stride]);
}

Test(ops, rope_backward_is_the_gradient)
{
    rope_ctx r = rope_shape;
    size_t n = (size_t)r.B * r.T * r.stride;
    float *x = frand(n, -1, 1), *dout = frand(n, -1, 1);
    double *in[1] = {dup_d(x, n)};
    float *dx = fcopy(dout, n);
    be->rope_backward(cx, dx, r.B, r.T, r.heads, r.HS, r.stride, 10000.0f);
    expect_grad(dx, NULL, fd_grad(rope_fwd, &r, in, 0, n, n, dout), n, "rope dx");
}

Test(ops, rope_backward_undoes_forward)
{
    int B = 2, T = 300, heads = 2, HS = 16, stride = 32;
    size_t n = (size_t)B * T * stride;
    float *x = frand(n, -1, 1), *x0 = fcopy(x, n);
    be->rope_forward(cx, x, B, T, heads, HS, stride, 10000.0f);
    be->rope_backward(cx, x, B, T, heads, HS, stride, 10000.0f);
    expect_close(x, dup_d(x0, n), n, 1e-6, 1e-6, "rope round trip");
}

/* ---- attention ----------------------------------------------------------------------- */

typedef struct {
    int B, T, NH, KVH, HS;
    double *att; /* scratch of the reference */
} att_ctx;

static void att_fwd(const void *ctx, double *const *in, double *out)
{
    const att_ctx *a = ctx;
    ref_attention(out, a->att, in[0], a->B, a->T, a->NH, a->KVH, a->HS);
}

static void check_attention(int B, int T, int NH, int KVH, int HS)
{
    int QKV = (NH + 2 * KVH) * HS;
    size_t nq = (size_t)B * T * QKV, no = (size_t)B * T * NH * HS;
    size_t na = (size_t)B * NH * T * T;
    att_ctx ax = {B, T, NH, KVH, HS, dmem(na)};
    float *qkv = frand(nq, -1.5, 1.5);
    double *in[1] = {dup_d(qkv, nq)};

    /* NaN everywhere first: whatever the op leaves unwritten shows up. */
    float *out = ffill(no, NAN), *att = ffill(na, NAN);
    be->attention_forward(cx, out, att, qkv, B, T, NH, KVH, HS);
    double *want = dmem(no);
    att_fwd(&ax, in, want);
    expect_close(out, want, no, 1e-5, 1e-6, "attention out");
    expect_close(att, ax.att, na, 1e-5, 1e-6, "att");
    for (size_t bh = 0; bh < (size_t)B * NH; bh++)
        for (int t = 0; t < T; t++)
            for (int j = t + 1; j < T; j++)
                cr_assert_eq(att[(bh * T + t) * T + j], 0.0f, "att above the diagonal");

    float *dout = frand(no, -1, 1);
    float *dqkv = frand(nq, -1, 1), *dqkv0 = fcopy(dqkv, nq);
    float *datt = ffill(na, NAN); /* scratch: the op must not read what it did not write */
    be->attention_backward(cx, dqkv, datt, dout, qkv, att, B, T, NH, KVH, HS);
    expect_grad(dqkv, dqkv0, fd_grad(att_fwd, &ax, in, 0, nq, no, dout), nq, "dqkv");
}

Test(ops, attention_multi_head)
{
    check_attention(2, 5, 4, 4, 4);
}

Test(ops, attention_grouped_kv_heads)
{
    check_attention(2, 5, 4, 2, 4);
}

Test(ops, attention_one_kv_head)
{
    check_attention(2, 5, 4, 1, 4);
}

Test(ops, attention_long_sequence_several_row_blocks, .timeout = 60)
{
    check_attention(1, 100, 2, 1, 4); /* 100 rows: a full and a partial block of 64 */
}

Test(ops, attention_is_causal)
{
    int B = 2, T = 6, NH = 4, KVH = 2, HS = 4, QKV = (NH + 2 * KVH) * HS, tf = 4;
    size_t nq = (size_t)B * T * QKV, no = (size_t)B * T * NH * HS;
    float *qkv = frand(nq, -1, 1), *att = tmem((size_t)B * NH * T * T * sizeof(float));
    float *out1 = tmem(no * sizeof(float)), *out2 = tmem(no * sizeof(float));
    be->attention_forward(cx, out1, att, qkv, B, T, NH, KVH, HS);
    /* A future token's keys and values, in batch 0. */
    for (int i = NH * HS; i < QKV; i++)
        qkv[(size_t)tf * QKV + i] += 0.5f;
    be->attention_forward(cx, out2, att, qkv, B, T, NH, KVH, HS);
    size_t row = (size_t)NH * HS;
    cr_assert_arr_eq(out1, out2, tf * row * sizeof(float), "an earlier position saw the future");
    cr_assert(memcmp(out1 + tf * row, out2 + tf * row, row * sizeof(float)) != 0,
              "the changed position itself must change");
    cr_assert_arr_eq(out1 + (size_t)T * row, out2 + (size_t)T * row,
                     (size_t)T * row * sizeof(float), "batch 1 must not change");
}

Test(ops, attention_backward_is_deterministic)
{
    int B = 2, T = 80, NH = 4, KVH = 2, HS = 16, QKV = (NH + 2 * KVH) * HS;
    size_t nq = (size_t)B * T * QKV, no = (size_t)B * T * NH * HS;
    size_t na = (size_t)B * NH * T * T;
    float *qkv = frand(nq, -1, 1), *dout = frand(no, -1, 1);
    float *out = tmem(no * sizeof(float)), *att = tmem(na * sizeof(float));
    float *datt = tmem(na * sizeof(float));
    float *d1 = tmem(nq * sizeof(float)), *d2 = tmem(nq * sizeof(float));
    be->attention_forward(cx, out, att, qkv, B, T, NH, KVH, HS);
    be->attention_backward(cx, d1, datt, dout, qkv, att, B, T, NH, KVH, HS);
    be->attention_backward(cx, d2, datt, dout, qkv, att, B, T, NH, KVH, HS);
    cr_assert(max_abs(dup_d(d1, nq), nq) > 0.0);
    cr_assert_arr_eq(d1, d2, nq * sizeof(float), "two runs, different bits");
}

/* ---- activations, residual ------------------------------------------------------------- */

typedef struct {
    size_t n;
    int N, F;
} act_ctx;

static void gelu_fwd(const void *ctx, double *const *in, double *out)
{
    ref_gelu(out, in[0], ((const act_ctx *)ctx)->n);
}

static void swiglu_fwd(const void *ctx, double *const *in, double *out)
{
    const act_ctx *a = ctx;
    ref_swiglu(out, in[0], a->N, a->F);
}

static void residual_fwd(const void *ctx, double *const *in, double *out)
{
    for (size_t i = 0; i < ((const act_ctx *)ctx)->n; i++)
        out[i] = in[0][i] + in[1][i];
}

Test(ops, gelu)
{
    act_ctx a = {.n = 40};
    float *inp = frand(a.n, -4, 4);
    double *in[1] = {dup_d(inp, a.n)}, *want = dmem(a.n);
    float *out = ffill(a.n, NAN);
    be->gelu_forward(cx, out, inp, a.n);
    gelu_fwd(&a, in, want);
    expect_close(out, want, a.n, 1e-6, 1e-6, "gelu out");

    float *dout = frand(a.n, -1, 1), *dinp = frand(a.n, -1, 1), *dinp0 = fcopy(dinp, a.n);
    be->gelu_backward(cx, dinp, inp, dout, a.n);
    expect_grad(dinp, dinp0, fd_grad(gelu_fwd, &a, in, 0, a.n, a.n, dout), a.n, "gelu dinp");
}

Test(ops, swiglu)
{
    act_ctx a = {.N = 10, .F = 12};
    size_t ni = (size_t)a.N * 2 * a.F, no = (size_t)a.N * a.F;
    float *inp = frand(ni, -3, 3);
    double *in[1] = {dup_d(inp, ni)}, *want = dmem(no);
    float *out = ffill(no, NAN);
    be->swiglu_forward(cx, out, inp, a.N, a.F);
    swiglu_fwd(&a, in, want);
    expect_close(out, want, no, 1e-6, 1e-6, "swiglu out");

    float *dout = frand(no, -1, 1), *dinp = frand(ni, -1, 1), *dinp0 = fcopy(dinp, ni);
    be->swiglu_backward(cx, dinp, dout, inp, a.N, a.F);
    expect_grad(dinp, dinp0, fd_grad(swiglu_fwd, &a, in, 0, ni, no, dout), ni, "swiglu dinp");
}

Test(ops, residual)
{
    act_ctx r = {.n = 40};
    float *a = frand(r.n, -1, 1), *b = frand(r.n, -1, 1);
    double *in[2] = {dup_d(a, r.n), dup_d(b, r.n)}, *want = dmem(r.n);
    float *out = ffill(r.n, NAN);
    be->residual_forward(cx, out, a, b, r.n);
    residual_fwd(&r, in, want);
    expect_close(out, want, r.n, 1e-7, 0, "residual out");

    float *dout = frand(r.n, -1, 1);
    float *da = frand(r.n, -1, 1), *da0 = fcopy(da, r.n);
    float *db = frand(r.n, -1, 1), *db0 = fcopy(db, r.n);
    be->residual_backward(cx, da, db, dout, r.n);
    expect_grad(da, da0, fd_grad(residual_fwd, &r, in, 0, r.n, r.n, dout), r.n, "da");
    expect_grad(db, db0, fd_grad(residual_fwd, &r, in, 1, r.n, r.n, dout), r.n, "db");
}

/* ---- softmax cross-entropy -------------------------------------------------------------- */

typedef struct {
    const int32_t *targets;
    int N, V;
} xent_ctx;

static void xent_fwd(const void *ctx, double *const *in, double *out)
{
    const xent_ctx *x = ctx;
    ref_xent(out, in[0], x->targets, x->N, x->V);
}

static void check_xent(float offset)
{
    int N = 10, V = 11;
    size_t n = (size_t)N * V;
    int32_t targets[10];
    for (int i = 0; i < N; i++)
        targets[i] = (int32_t)urand(0, V);
    xent_ctx xc = {targets, N, V};
    float *logits = frand(n, -3, 3);
    for (size_t i = 0; i < n; i++)
        logits[i] += offset; /* a large offset overflows exp without the max */
    float *logits0 = fcopy(logits, n);
    double *in[1] = {dup_d(logits, n)}, *want = dmem(N);
    xent_fwd(&xc, in, want);

    float *losses = ffill(N, NAN);
    be->softmax_xent(cx, losses, logits, targets, N, V, 0.0f, false);
    expect_close(losses, want, N, 1e-5, 1e-6, "losses without grad");
    cr_assert_arr_eq(logits, logits0, n * sizeof(float), "grad=false changed the logits");

    float dloss = 0.37f;
    float *w = ffill(N, dloss); /* L = dloss * sum(losses) */
    losses = ffill(N, NAN);
    be->softmax_xent(cx, losses, logits, targets, N, V, dloss, true);
    expect_close(losses, want, N, 1e-5, 1e-6, "losses with grad");
    expect_grad(logits, NULL, fd_grad(xent_fwd, &xc, in, 0, n, N, w), n, "dlogits");
}

Test(ops, softmax_xent)
{
    check_xent(0.0f);
}

Test(ops, softmax_xent_is_stable_at_large_logits)
{
    check_xent(100.0f);
}

/* ---- optimizer -------------------------------------------------------------------------- */

Test(ops, sum_squares_in_double_and_deterministic)
{
    size_t n = 100003;
    float *x = frand(n, -1, 1);
    double want = 0.0; /* each square is exact in double; only the order differs */
    for (size_t i = 0; i < n; i++)
        want += (double)x[i] * x[i];
    double got = be->sum_squares(cx, x, n);
    cr_assert(fabs(got - want) <= 1e-12 * want, "sum_squares %.17g, want %.17g", got, want);
    double again = be->sum_squares(cx, x, n);
    cr_assert_arr_eq(&got, &again, sizeof got, "two runs, different bits");
    cr_assert_eq(be->sum_squares(cx, x, 1), (double)x[0] * x[0]);
    cr_assert_eq(be->sum_squares(cx, x, 0), 0.0);
}

Test(ops, adamw_one_and_two_steps)
{
    size_t n = 37;
    float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.1f, scale = 0.5f;
    float *p = frand(n, -1, 1), *m = ffill(n, 0), *v = ffill(n, 0);
    double *pd = dup_d(p, n), *md = dmem(n), *vd = dmem(n);
    for (int step = 1; step <= 2; step++) {
        float *g = frand(n, -1, 1), *before = fcopy(p, n);
        be->adamw(cx, p, g, m, v, n, lr, b1, b2, eps, wd, step, scale);
        /* The first step moves every parameter by ~lr (m/sqrt(v) is the sign
         * of g): the comparisons below have signal. */
        for (size_t i = 0; step == 1 && i < n; i++)
            cr_assert(fabs(p[i] - before[i]) > 0.005, "params[%zu] barely moved", i);
        /* The formula of compute.h, in double, on the same float settings. */
        double bc1 = 1.0 - pow(b1, step), bc2 = 1.0 - pow(b2, step);
        for (size_t i = 0; i < n; i++) {
            double gi = (double)g[i] * scale;
            md[i] = b1 * md[i] + (1.0 - (double)b1) * gi;
            vd[i] = b2 * vd[i] + (1.0 - (double)b2) * gi * gi;
            pd[i] -= lr * (md[i] / bc1 / (sqrt(vd[i] / bc2) + eps) + wd * pd[i]);
        }
        expect_close(m, md, n, 1e-6, 1e-7, "m");
        expect_close(v, vd, n, 1e-6, 1e-9, "v");
        expect_close(p, pd, n, 1e-6, 1e-6, "params");
    }
}
