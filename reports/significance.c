/* Two-sample significance tests for the regression gate: see significance.h. */
#include "significance.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static tcb_status check_sample(const char *test, const char *name, const double *x, int n,
                               tcb_diag *d)
{
    if (n < 2)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s: sample %s has %d value%s: it needs at least 2", test, name,
                            n, n == 1 ? "" : "s");
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return tcb_diag_set(d, TCB_ERR_CONFIG,
                                "%s: sample %s value %d is %g: every value must be finite",
                                test, name, i, x[i]);
    return TCB_OK;
}

static tcb_status check_samples(const char *test, const double *a, int n_a, const double *b,
                                int n_b, tcb_diag *d)
{
    TCB_CHECK(check_sample(test, "a", a, n_a, d));
    return check_sample(test, "b", b, n_b, d);
}

/* ---- Welch ---- */

tcb_status tcb_signif_welch(const double *a, int n_a, const double *b, int n_b,
                            tcb_signif *out, tcb_diag *d)
{
    memset(out, 0, sizeof *out);
    TCB_CHECK(check_samples("Welch t-test", a, n_a, b, n_b, d));

    /* GSL's running mean of a constant sample is that constant exactly, so
     * a constant sample has a variance of exactly 0 below, not rounding
     * noise that would make any difference look infinitely significant. */
    double mean_a = gsl_stats_mean(a, 1, (size_t)n_a);
    double mean_b = gsl_stats_mean(b, 1, (size_t)n_b);
    double v_a = gsl_stats_variance_m(a, 1, (size_t)n_a, mean_a) / n_a;
    double v_b = gsl_stats_variance_m(b, 1, (size_t)n_b, mean_b) / n_b;
    double se2 = v_a + v_b;

    if (se2 == 0) {
        out->df = n_a + n_b - 2;
        if (mean_a == mean_b) {
            out->p_two_sided = out->p_greater = out->p_less = 1;
            return TCB_OK;
        }
        bool up = mean_b > mean_a;
        out->statistic = up ? INFINITY : -INFINITY;
        out->p_greater = up ? 0 : 1;
        out->p_less = up ? 1 : 0;
        return TCB_OK;
    }

    /* df from the variance shares rather than the variances themselves: the
     * squares of tiny variances (seconds^2 of microsecond kernels) would
     * underflow. */
    double share_a = v_a / se2, share_b = v_b / se2;
    double t = (mean_b - mean_a) / sqrt(se2);
    double df = 1 / (share_a * share_a / (n_a - 1) + share_b * share_b / (n_b - 1));
    out->statistic = t;
    out->df = df;
    out->p_greater = gsl_cdf_tdist_Q(t, df);
    out->p_less = gsl_cdf_tdist_P(t, df);
    out->p_two_sided = 2 * gsl_cdf_tdist_Q(fabs(t), df);
    return TCB_OK;
}

/* ---- Mann-Whitney ---- */

typedef struct {
    double v;
    bool from_b;
} ranked;

static int ranked_cmp(const void *pa, const void *pb)
{
    const ranked *x = pa, *y = pb;
    return (x->v > y->v) - (x->v < y->v);
}

/* P(U >= u) and P(U <= u) for U of b under the null (every ordering of the
 * m values of a and n of b equally likely), u an integer in 0..m n.
 *
 * count[j][u] is the number of orderings of i a's and j b's whose U is u,
 * built up over i. In such an ordering the largest value is either a b, which
 * beats all i a's (the rest: i a's, j - 1 b's, U smaller by i), or an a, which
 * beats no b (the rest: i - 1 a's, j b's, same U):
 *
 *   count_i[j][u] = count_i[j-1][u-i] + count_{i-1}[j][u]
 *
 * Updating in place with j ascending reads row j - 1 already at i and row j
 * still at i - 1. The counts are at most C(40, 20) < 2^53, exact in doubles. */
static tcb_status exact_tails(int m, int n, int u, double *ge, double *le, tcb_diag *d)
{
    int width = m * n + 1;
    double *count = calloc((size_t)(n + 1) * (size_t)width, sizeof *count);
    if (count == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "Mann-Whitney U test: out of memory");
    for (int j = 0; j <= n; j++)
        count[(size_t)j * width] = 1; /* no a's: one ordering, U 0 */
    for (int i = 1; i <= m; i++)
        for (int j = 1; j <= n; j++) {
            double *row = count + (size_t)j * width;
            const double *below = row - width;
            for (int v = i * j; v >= i; v--)
                row[v] += below[v - i];
        }
    const double *last = count + (size_t)n * width;
    double total = 0, at_least = 0, at_most = 0;
    for (int v = 0; v < width; v++) {
        total += last[v];
        at_least += v >= u ? last[v] : 0;
        at_most += v <= u ? last[v] : 0;
    }
    free(count);
    *ge = at_least / total;
    *le = at_most / total;
    return TCB_OK;
}

tcb_status tcb_signif_mann_whitney(const double *a, int n_a, const double *b, int n_b,
                                   tcb_signif *out, tcb_diag *d)
{
    memset(out, 0, sizeof *out);
    TCB_CHECK(check_samples("Mann-Whitney U test", a, n_a, b, n_b, d));

    int N = n_a + n_b;
    ranked *all = malloc((size_t)N * sizeof *all);
    if (all == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "Mann-Whitney U test: out of memory");
    for (int i = 0; i < n_a; i++)
        all[i] = (ranked){a[i], false};
    for (int j = 0; j < n_b; j++)
        all[n_a + j] = (ranked){b[j], true};
    qsort(all, (size_t)N, sizeof *all, ranked_cmp);

    /* Ranks are 1-based; a run of tied values at positions lo..hi-1 all get
     * the mean of ranks lo+1..hi. tie_sum is sum(t^3 - t) over the runs, an
     * integer exact in a double up to N of some 200000. */
    double rank_sum_b = 0, tie_sum = 0;
    for (int lo = 0, hi; lo < N; lo = hi) {
        for (hi = lo + 1; hi < N && all[hi].v == all[lo].v; hi++)
            ;
        double rank = (lo + 1 + hi) / 2.0, t = hi - lo;
        for (int k = lo; k < hi; k++)
            rank_sum_b += all[k].from_b ? rank : 0;
        tie_sum += t * t * t - t;
    }
    free(all);

    double mn = (double)n_a * n_b;
    double u = rank_sum_b - (double)n_b * (n_b + 1) / 2;
    out->statistic = u;

    if (tie_sum == 0 && n_a <= TCB_SIGNIF_EXACT_MAX && n_b <= TCB_SIGNIF_EXACT_MAX) {
        /* Without ties U is a whole number; round away any doubt anyway. */
        TCB_CHECK(exact_tails(n_a, n_b, (int)lround(u), &out->p_greater, &out->p_less, d));
        out->p_two_sided = fmin(1, 2 * fmin(out->p_greater, out->p_less));
        out->exact = true;
        return TCB_OK;
    }

    double n_all = N;
    if (tie_sum == n_all * n_all * n_all - n_all) {
        /* One run of N ties: nothing tells the samples apart. */
        out->p_two_sided = out->p_greater = out->p_less = 1;
        return TCB_OK;
    }
    double mean = mn / 2;
    double sd = sqrt(mn / 12 * ((n_all + 1) - tie_sum / (n_all * (n_all - 1))));
    out->p_greater = gsl_cdf_ugaussian_Q((u - mean - 0.5) / sd);
    out->p_less = gsl_cdf_ugaussian_P((u - mean + 0.5) / sd);
    out->p_two_sided = fmin(1, 2 * gsl_cdf_ugaussian_Q((fabs(u - mean) - 0.5) / sd));
    return TCB_OK;
}
