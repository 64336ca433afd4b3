/* Double-precision reference forwards of the compute ops, for test_ops.c,
 * written as plainly as the formulas of compute.h (naive loops, no
 * blocking, no threads), and the central-difference gradient that checks
 * every backward op against them. Shapes: see the key of compute.h. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* A forward pass as the finite differences see it: in[] are its
 * differentiable inputs, out its one output. ctx carries sizes and the rest. */
typedef void (*ref_fwd)(const void *ctx, double *const *in, double *out);

void ref_encoder(double *out, const int32_t *tokens, const double *wte, const double *wpe,
                 int B, int T, int C)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int c = 0; c < C; c++)
                out[(b * T + t) * C + c] = wte[tokens[b * T + t] * C + c] +
                                           (wpe != NULL ? wpe[t * C + c] : 0.0);
}

void ref_layernorm(double *out, double *mean, double *rstd, const double *inp,
                   const double *w, const double *b, int N, int C, double eps)
{
    for (int n = 0; n < N; n++) {
        const double *x = inp + n * C;
        double m = 0.0, v = 0.0;
        for (int c = 0; c < C; c++)
            m += x[c];
        m /= C;
        for (int c = 0; c < C; c++)
            v += (x[c] - m) * (x[c] - m);
        v /= C;
        double r = 1.0 / sqrt(v + eps);
        for (int c = 0; c < C; c++)
            out[n * C + c] = (x[c] - m) * r * w[c] + (b != NULL ? b[c] : 0.0);
        mean[n] = m;
        rstd[n] = r;
    }
}

void ref_rmsnorm(double *out, double *rstd, const double *inp, const double *w, int N, int C,
                 double eps)
{
    for (int n = 0; n < N; n++) {
        const double *x = inp + n * C;
        double ss = 0.0;
        for (int c = 0; c < C; c++)
            ss += x[c] * x[c];
        double r = 1.0 / sqrt(ss / C + eps);
        for (int c = 0; c < C; c++)
            out[n * C + c] = x[c] * r * w[c];
        rstd[n] = r;
    }
}

void ref_matmul(double *out, const double *inp, const double *w, const double *bias, int N,
                int C, int OC)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double s = bias != NULL ? bias[o] : 0.0;
            for (int c = 0; c < C; c++)
                s += inp[n * C + c] * w[o * C + c];
            out[n * OC + o] = s;
        }
}

void ref_rope(double *x, int B, int T, int heads, int HS, int stride, double theta)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < heads; h++) {
                double *p = x + (b * T + t) * stride + h * HS;
                for (int i = 0; i < HS / 2; i++) {
                    double a = t * pow(theta, -2.0 * i / HS);
                    double x0 = p[2 * i], x1 = p[2 * i + 1];
                    p[2 * i] = x0 * cos(a) - x1 * sin(a);
                    p[2 * i + 1] = x0 * sin(a) + x1 * cos(a);
                }
            }
}

void ref_attention(double *out, double *att, const double *qkv, int B, int T, int NH,
                   int KVH, int HS)
{
    int QKV = (NH + 2 * KVH) * HS;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            int kvh = h / (NH / KVH);
            for (int t = 0; t < T; t++) {
                const double *q = qkv + (b * T + t) * QKV + h * HS;
                double *a = att + ((b * NH + h) * T + t) * T;
                double mx = -INFINITY;
                for (int j = 0; j < T; j++) {
                    a[j] = 0.0;
                    if (j > t)
                        continue;
                    const double *k = qkv + (b * T + j) * QKV + (NH + kvh) * HS;
                    for (int i = 0; i < HS; i++)
                        a[j] += q[i] * k[i];
                    a[j] /= sqrt((double)HS);
                    mx = fmax(mx, a[j]);
                }
                double sum = 0.0;
                for (int j = 0; j <= t; j++) {
                    a[j] = exp(a[j] - mx);
                    sum += a[j];
                }
                for (int j = 0; j <= t; j++)
                    a[j] /= sum;
                double *o = out + (b * T + t) * NH * HS + h * HS;
                for (int i = 0; i < HS; i++) {
                    o[i] = 0.0;
                    for (int j = 0; j <= t; j++)
                        o[i] += a[j] * qkv[(b * T + j) * QKV + (NH + KVH + kvh) * HS + i];
                }
            }
        }
}

void ref_gelu(double *out, const double *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = inp[i];
        out[i] = 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    }
}

void ref_swiglu(double *out, const double *inp, int N, int F)
{
    for (int n = 0; n < N; n++)
        for (int f = 0; f < F; f++) {
            double g = inp[n * 2 * F + f], u = inp[n * 2 * F + F + f];
            out[n * F + f] = g / (1.0 + exp(-g)) * u;
        }
}

void ref_xent(double *losses, const double *logits, const int32_t *targets, int N, int V)
{
    for (int n = 0; n < N; n++) {
        const double *x = logits + n * V;
        double mx = -INFINITY, sum = 0.0;
        for (int j = 0; j < V; j++)
            mx = fmax(mx, x[j]);
        for (int j = 0; j < V; j++)
            sum += exp(x[j] - mx);
        losses[n] = log(sum) + mx - x[targets[n]];
    }
}

/* grad (len) = d/d in[k] of L = sum_i w[i] * out[i], by central differences.
 * In double with h = 1e-6 the error is ~1e-10 of the gradient, far below
 * the fp32 backward being checked. */
void ref_fd_grad(ref_fwd fwd, const void *ctx, double *const *in, int k, size_t len,
                 size_t n_out, const double *w, double *grad)
{
    const double h = 1e-6;
    double *y = malloc(n_out * sizeof *y);
    for (size_t i = 0; i < len; i++) {
        double x0 = in[k][i], l[2];
        for (int s = 0; s < 2; s++) {
            in[k][i] = x0 + (s == 0 ? h : -h);
            fwd(ctx, in, y);
            l[s] = 0.0;
            for (size_t j = 0; j < n_out; j++)
                l[s] += w[j] * y[j];
        }
        in[k][i] = x0;
        grad[i] = (l[0] - l[1]) / (2.0 * h);
    }
    free(y);
}
