/* Two-sample significance tests (reports/significance.c): values worked out
 * independently (exact fractions, and mpmath 1.3 for the t and normal tails,
 * in Python; no GSL), the orientation of the one-sided p-values, the
 * degenerate cases, and power and false-positive rate on simulated timings.
 * The rates are logged with cr_log_info (run with --verbose=0 to see them). */
#include "significance.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

#define N_OF(x) ((int)(sizeof(x) / sizeof(x)[0]))

static void expect_near(double got, double want, double tol, const char *what)
{
    cr_expect(fabs(got - want) <= tol, "%s: got %.12g, want %.12g (tol %g)", what, got, want,
              tol);
}

/* ---- Welch: worked values ---- */

/* a = 10..14: mean 12, s^2 = 10/4 = 5/2, v_a = s^2/5 = 1/2.
 * b = 12, 14, 16, 18: mean 15, s^2 = 20/3, v_b = s^2/4 = 5/3.
 * v_a + v_b = 13/6, t = 3 / sqrt(13/6) = sqrt(54/13) = 2.0380986614602724,
 * df = (13/6)^2 / ((1/2)^2/4 + (5/3)^2/3) = (169/36) / (427/432) = 2028/427
 *    = 4.7494145199063232.
 * Student t tail at that df (mpmath: betainc(df/2, 1/2, 0, df/(df+t^2)) / 2):
 * p_greater 0.050041904517503812, p_less 0.94995809548249619,
 * two-sided 0.10008380903500762. */
Test(significance, welch_small_by_hand)
{
    const double a[] = {10, 11, 12, 13, 14}, b[] = {12, 14, 16, 18};
    tcb_signif r;
    cr_assert_eq(tcb_signif_welch(a, N_OF(a), b, N_OF(b), &r, NULL), TCB_OK);
    expect_near(r.statistic, 2.0380986614602724, 1e-12, "t");
    expect_near(r.df, 2028.0 / 427.0, 1e-12, "df");
    expect_near(r.p_greater, 0.050041904517503812, 1e-9, "p_greater");
    expect_near(r.p_less, 0.94995809548249619, 1e-9, "p_less");
    expect_near(r.p_two_sided, 0.10008380903500762, 1e-9, "p_two_sided");
}

/* Two samples of 15 with unequal spreads, b above a. The expected values come
 * from exact fractions and mpmath, not GSL: t = 2.4553563982860051,
 * df = 24.988529290231414, p_greater 0.010689000731433516,
 * two-sided 0.021378001462867032. */
Test(significance, welch_textbook)
{
    const double a[] = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
                        21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
    const double b[] = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
                        24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
    tcb_signif r;
    cr_assert_eq(tcb_signif_welch(a, N_OF(a), b, N_OF(b), &r, NULL), TCB_OK);
    expect_near(r.statistic, 2.4553563982860051, 1e-10, "t");
    expect_near(r.df, 24.988529290231414, 1e-9, "df");
    expect_near(r.p_greater, 0.010689000731433516, 1e-9, "p_greater");
    expect_near(r.p_less, 1 - 0.010689000731433516, 1e-9, "p_less");
    expect_near(r.p_two_sided, 0.021378001462867032, 1e-9, "p_two_sided");
}

/* ---- Mann-Whitney: worked values ---- */

/* b entirely below a, 5 and 5: U of b = 0, the lowest of C(10,5) = 252
 * equally likely orderings, so p_less = 1/252, two-sided 2/252, p_greater 1. */
Test(significance, mann_whitney_separated_exact)
{
    const double a[] = {6, 7, 8, 9, 10}, b[] = {1, 2, 3, 4, 5};
    tcb_signif r;
    cr_assert_eq(tcb_signif_mann_whitney(a, 5, b, 5, &r, NULL), TCB_OK);
    cr_expect(r.exact);
    expect_near(r.statistic, 0, 0, "U");
    expect_near(r.p_less, 1.0 / 252, 1e-15, "p_less");
    expect_near(r.p_two_sided, 2.0 / 252, 1e-15, "p_two_sided");
    expect_near(r.p_greater, 1, 1e-15, "p_greater");
    expect_near(r.df, 0, 0, "df");
}

/* a = {1, 2, 4}, b = {3, 5, 6}: U of b = 2 + 3 + 3 = 8 of 9. Of the C(6,3) = 20
 * orderings one has U 9 (b on top) and one U 8 (swap the middle pair), so
 * p_greater = 2/20, p_less = 19/20, two-sided 4/20. */
Test(significance, mann_whitney_small_exact)
{
    const double a[] = {1, 2, 4}, b[] = {3, 5, 6};
    tcb_signif r;
    cr_assert_eq(tcb_signif_mann_whitney(a, 3, b, 3, &r, NULL), TCB_OK);
    cr_expect(r.exact);
    expect_near(r.statistic, 8, 0, "U");
    expect_near(r.p_greater, 0.1, 1e-15, "p_greater");
    expect_near(r.p_less, 0.95, 1e-15, "p_less");
    expect_near(r.p_two_sided, 0.2, 1e-15, "p_two_sided");
}

/* Unequal sizes, 6 and 7, by enumerating all C(13,6) = 1716 orderings in
 * Python: U of b = 34, P(U >= 34) = 21/572, P(U <= 34) = 38/39. */
Test(significance, mann_whitney_exact_enumerated)
{
    const double a[] = {1.1, 2.3, 3.0, 4.4, 5.2, 7.7};
    const double b[] = {2.9, 4.9, 6.1, 6.6, 8.0, 8.8, 9.5};
    tcb_signif r;
    cr_assert_eq(tcb_signif_mann_whitney(a, N_OF(a), b, N_OF(b), &r, NULL), TCB_OK);
    cr_expect(r.exact);
    expect_near(r.statistic, 34, 0, "U");
    expect_near(r.p_greater, 21.0 / 572, 1e-14, "p_greater");
    expect_near(r.p_less, 38.0 / 39, 1e-14, "p_less");
    expect_near(r.p_two_sided, 42.0 / 572, 1e-14, "p_two_sided");
}

/* The largest exact case, 20 and 20: a = 0..19, b = 6.5..25.5. b_j beats
 * min(20, j + 7) values of a: U = (7 + ... + 20) + 6 x 20 = 189 + 120 = 309.
 * Rank-sum distribution by a separate Python DP over ranks 1..40 (of
 * C(40,20) = 137846528820 subsets): P(U >= 309) = 182138727 / 137846528820
 * = 0.0013213152957796766, P(U <= 309) = 0.9988032332521378. */
Test(significance, mann_whitney_exact_largest)
{
    double a[20], b[20];
    for (int i = 0; i < 20; i++) {
        a[i] = i;
        b[i] = i + 6.5;
    }
    tcb_signif r;
    cr_assert_eq(tcb_signif_mann_whitney(a, 20, b, 20, &r, NULL), TCB_OK);
    cr_expect(r.exact);
    expect_near(r.statistic, 309, 0, "U");
    expect_near(r.p_greater, 182138727.0 / 137846528820.0, 1e-15, "p_greater");
    expect_near(r.p_less, 0.9988032332521378, 1e-13, "p_less");
    expect_near(r.p_two_sided, 2 * 182138727.0 / 137846528820.0, 1e-15, "p_two_sided");
}

/* Ties, so the normal approximation. a = {1, 2, 2, 3}, b = {2, 3, 4, 4, 5}:
 *   sorted 1a 2a 2a 2b 3a 3b 4b 4b 5b, ranks 1, 3 3 3, 5.5 5.5, 7.5 7.5, 9;
 *   R_b = 3 + 5.5 + 7.5 + 7.5 + 9 = 32.5, U = R_b - 5*6/2 = 17.5
 *   (pairwise: 2 + 3.5 + 4 + 4 + 4). Mean m n / 2 = 10.
 *   Ties: 2 (x3) 24, 3 (x2) 6, 4 (x2) 6: sum(t^3 - t) = 36.
 *   var = 20/12 (10 - 36/72) = 15.8333..., sd = 3.9791121287711073.
 *   p_greater = Q((17.5 - 10 - 0.5) / sd) = Q(1.75919...) = 0.039272925475595335
 *   p_less    = P((17.5 - 10 + 0.5) / sd) = P(2.01049...) = 0.97781078632725656
 *   two-sided = 2 Q((|17.5 - 10| - 0.5) / sd)         = 0.078545850951190669
 * (Q from mpmath's erfc.) */
Test(significance, mann_whitney_ties_normal)
{
    const double a[] = {1, 2, 2, 3}, b[] = {2, 3, 4, 4, 5};
    tcb_signif r;
    cr_assert_eq(tcb_signif_mann_whitney(a, N_OF(a), b, N_OF(b), &r, NULL), TCB_OK);
    cr_expect(!r.exact);
    expect_near(r.statistic, 17.5, 0, "U");
    expect_near(r.p_greater, 0.039272925475595335, 1e-12, "p_greater");
    expect_near(r.p_less, 0.97781078632725656, 1e-12, "p_less");
    expect_near(r.p_two_sided, 0.078545850951190669, 1e-12, "p_two_sided");
}

/* One sample over 20 values leaves the exact path even without ties.
 * a = -1..19 (21 values), b = 6.5..25.5 (20): b_j beats min(21, j + 8) values
 * of a, U = (8 + ... + 21) + 6 x 21 = 203 + 126 = 329. No ties: mean 210,
 * var = 21 x 20 x 42 / 12 = 1470. mpmath:
 *   p_greater = Q((329 - 210 - 0.5) / sqrt(1470)) = Q(3.0907...) = 0.00099835863718898
 *   p_less    = P((329 - 210 + 0.5) / sqrt(1470))                 = 0.99908587894840896 */
Test(significance, mann_whitney_large_normal)
{
    double a[21], b[20];
    for (int i = 0; i < 21; i++)
        a[i] = i - 1;
    for (int i = 0; i < 20; i++)
        b[i] = i + 6.5;
    tcb_signif r;
    cr_assert_eq(tcb_signif_mann_whitney(a, 21, b, 20, &r, NULL), TCB_OK);
    cr_expect(!r.exact);
    expect_near(r.statistic, 329, 0, "U");
    expect_near(r.p_greater, 0.00099835863718898, 1e-13, "p_greater");
    expect_near(r.p_less, 0.99908587894840896, 1e-13, "p_less");
    expect_near(r.p_two_sided, 2 * 0.00099835863718898, 1e-13, "p_two_sided");
}

/* ---- orientation and symmetry ---- */

static void expect_swapped(const tcb_signif *ab, const tcb_signif *ba, double u_total)
{
    expect_near(ba->p_greater, ab->p_less, 1e-14, "swapped p_greater");
    expect_near(ba->p_less, ab->p_greater, 1e-14, "swapped p_less");
    expect_near(ba->p_two_sided, ab->p_two_sided, 1e-14, "swapped two-sided");
    if (u_total > 0)
        expect_near(ba->statistic, u_total - ab->statistic, 1e-12, "swapped U");
    else
        expect_near(ba->statistic, -ab->statistic, 1e-12, "swapped t");
}

Test(significance, swap_swaps_one_sided)
{
    const double a[] = {1.00, 1.03, 0.98, 1.01, 0.99, 1.02, 1.04};
    const double b[] = {1.05, 1.025, 1.08, 1.06, 1.07, 1.015}; /* no ties with a */
    const double tied_a[] = {1, 2, 2, 3, 3}, tied_b[] = {2, 3, 3, 4, 5, 5};
    tcb_signif ab, ba;

    cr_assert_eq(tcb_signif_welch(a, N_OF(a), b, N_OF(b), &ab, NULL), TCB_OK);
    cr_assert_eq(tcb_signif_welch(b, N_OF(b), a, N_OF(a), &ba, NULL), TCB_OK);
    cr_expect(ab.statistic > 0 && ab.p_greater < 0.05, "b is slower: t %g p %g", ab.statistic,
              ab.p_greater);
    expect_swapped(&ab, &ba, 0);
    expect_near(ab.df, ba.df, 1e-12, "swapped df");

    cr_assert_eq(tcb_signif_mann_whitney(a, N_OF(a), b, N_OF(b), &ab, NULL), TCB_OK);
    cr_assert_eq(tcb_signif_mann_whitney(b, N_OF(b), a, N_OF(a), &ba, NULL), TCB_OK);
    cr_expect(ab.exact && ab.p_greater < 0.05, "b is slower: U %g p %g", ab.statistic,
              ab.p_greater);
    expect_swapped(&ab, &ba, N_OF(a) * N_OF(b));

    cr_assert_eq(tcb_signif_mann_whitney(tied_a, 5, tied_b, 6, &ab, NULL), TCB_OK);
    cr_assert_eq(tcb_signif_mann_whitney(tied_b, 6, tied_a, 5, &ba, NULL), TCB_OK);
    cr_expect(!ab.exact);
    expect_swapped(&ab, &ba, 30);
}

/* ---- degenerate samples ---- */

Test(significance, welch_constant_samples)
{
    const double c1[] = {2, 2, 2, 2}, c2[] = {3, 3, 3};
    tcb_signif r;

    cr_assert_eq(tcb_signif_welch(c1, 4, c1, 4, &r, NULL), TCB_OK);
    expect_near(r.statistic, 0, 0, "t, same constants");
    expect_near(r.p_two_sided, 1, 0, "two-sided, same constants");
    expect_near(r.p_greater, 1, 0, "p_greater, same constants");
    expect_near(r.p_less, 1, 0, "p_less, same constants");
    expect_near(r.df, 6, 0, "df, same constants");

    cr_assert_eq(tcb_signif_welch(c1, 4, c2, 3, &r, NULL), TCB_OK);
    cr_expect(isinf(r.statistic) && r.statistic > 0, "t %g", r.statistic);
    expect_near(r.p_two_sided, 0, 0, "two-sided, b above");
    expect_near(r.p_greater, 0, 0, "p_greater, b above");
    expect_near(r.p_less, 1, 0, "p_less, b above");

    cr_assert_eq(tcb_signif_welch(c2, 3, c1, 4, &r, NULL), TCB_OK);
    cr_expect(isinf(r.statistic) && r.statistic < 0, "t %g", r.statistic);
    expect_near(r.p_greater, 1, 0, "p_greater, b below");
    expect_near(r.p_less, 0, 0, "p_less, b below");

    /* 0.1 is not exact in binary: a naive sum / n mean leaves a variance of
     * rounding noise, which would make this "significant". */
    const double tenth[] = {0.1, 0.1, 0.1}, tenth_b[] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    cr_assert_eq(tcb_signif_welch(tenth, 3, tenth_b, 7, &r, NULL), TCB_OK);
    expect_near(r.p_two_sided, 1, 0, "two-sided, 0.1 constants");

    /* One constant sample: an ordinary test, df = n - 1 of the other. */
    const double v[] = {2, 3, 4};
    cr_assert_eq(tcb_signif_welch(c1, 4, v, 3, &r, NULL), TCB_OK);
    expect_near(r.df, 2, 1e-12, "df, a constant");
    expect_near(r.statistic, 1 / sqrt(1.0 / 3), 1e-12, "t, a constant");
}

Test(significance, mann_whitney_all_tied)
{
    const double a[] = {5, 5, 5}, b[] = {5, 5, 5, 5};
    tcb_signif r;
    cr_assert_eq(tcb_signif_mann_whitney(a, 3, b, 4, &r, NULL), TCB_OK);
    cr_expect(!r.exact);
    expect_near(r.statistic, 6, 0, "U");
    expect_near(r.p_two_sided, 1, 0, "two-sided");
    expect_near(r.p_greater, 1, 0, "p_greater");
    expect_near(r.p_less, 1, 0, "p_less");
}

/* ---- bad input ---- */

typedef tcb_status (*test_fn)(const double *, int, const double *, int, tcb_signif *,
                              tcb_diag *);

static void expect_refused(test_fn fn, const double *a, int n_a, const double *b, int n_b,
                           const char *says)
{
    tcb_signif r;
    memset(&r, 0xff, sizeof r);
    tcb_diag d = {{0}};
    cr_expect_eq(fn(a, n_a, b, n_b, &r, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, says) != NULL, "message \"%s\" does not say \"%s\"", d.msg, says);
    cr_expect(r.p_two_sided == 0 && r.p_greater == 0 && r.statistic == 0, "out not zeroed");
}

Test(significance, bad_input)
{
    const double ok[] = {1, 2, 3}, nan[] = {1, NAN, 3}, inf[] = {1, 2, INFINITY};
    test_fn fns[] = {tcb_signif_welch, tcb_signif_mann_whitney};
    for (int i = 0; i < 2; i++) {
        expect_refused(fns[i], ok, 1, ok, 3, "sample a has 1 value: it needs at least 2");
        expect_refused(fns[i], ok, 3, ok, 0, "sample b has 0 values");
        expect_refused(fns[i], nan, 3, ok, 3, "sample a value 1 is nan");
        expect_refused(fns[i], ok, 3, inf, 3, "sample b value 2 is inf");
    }
    /* d may be NULL */
    tcb_signif r;
    cr_expect_eq(tcb_signif_welch(nan, 3, ok, 3, &r, NULL), TCB_ERR_CONFIG);
}

/* ---- simulated timings ---- */

/* n per-iteration times of a case whose true time is mean, with Gaussian
 * noise of 3% (coefficient of variation 0.03). */
static void timings(gsl_rng *rng, double mean, double *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = mean * (1 + gsl_ran_gaussian(rng, 0.03));
}

typedef struct {
    int welch, mann_whitney; /* trials where p_greater <= alpha */
} hits;

/* trials seeded trials of 20 baseline samples against 20 tonight, tonight's
 * true time slowdown x the baseline's; counts one-sided (slower) rejections
 * at alpha: the question the gate asks. */
static hits run_trials(double slowdown, int trials, double alpha, unsigned long seed)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    hits h = {0, 0};
    for (int t = 0; t < trials; t++) {
        double a[20], b[20];
        timings(rng, 1.0e-3, a, 20);
        timings(rng, 1.0e-3 * slowdown, b, 20);
        tcb_signif r;
        cr_assert_eq(tcb_signif_welch(a, 20, b, 20, &r, NULL), TCB_OK);
        h.welch += r.p_greater <= alpha;
        cr_assert_eq(tcb_signif_mann_whitney(a, 20, b, 20, &r, NULL), TCB_OK);
        cr_assert(r.exact); /* Gaussian draws do not tie */
        h.mann_whitney += r.p_greater <= alpha;
    }
    gsl_rng_free(rng);
    return h;
}

/* A 10% slowdown under 3% noise is over three standard deviations per
 * iteration; 20 against 20 must catch it essentially always.
 * Measured (seed 20260301): Welch 1000/1000, Mann-Whitney 1000/1000. */
Test(significance, planted_slowdown_detected)
{
    const int trials = 1000;
    hits h = run_trials(1.10, trials, 0.01, 20260301);
    cr_log_info("10%% slowdown, 3%% noise, 20 vs 20, alpha 0.01: detected by Welch in "
                "%d/%d (%.4f), by Mann-Whitney in %d/%d (%.4f)",
                h.welch, trials, (double)h.welch / trials, h.mann_whitney, trials,
                (double)h.mann_whitney / trials);
    cr_expect(h.welch >= 990, "Welch detected %d/%d", h.welch, trials);
    cr_expect(h.mann_whitney >= 990, "Mann-Whitney detected %d/%d", h.mann_whitney, trials);
}

/* No change: the one-sided test at alpha 0.01 should reject about 1% of the
 * time (Mann-Whitney's exact test at most 1% in expectation, its
 * distribution being discrete). The binomial sd of a 1% rate over 2000 trials is 0.22%, so a
 * bound of 2% has room without hiding a broken test.
 * Measured (seed 20260302): Welch 26/2000 = 0.0130, Mann-Whitney 25/2000 =
 * 0.0125. */
Test(significance, no_change_false_positive_rate)
{
    const int trials = 2000;
    hits h = run_trials(1.0, trials, 0.01, 20260302);
    double fw = (double)h.welch / trials, fm = (double)h.mann_whitney / trials;
    cr_log_info("no change, 3%% noise, 20 vs 20, alpha 0.01: false positives Welch %d/%d "
                "(%.4f), Mann-Whitney %d/%d (%.4f)",
                h.welch, trials, fw, h.mann_whitney, trials, fm);
    cr_expect(fw <= 0.02, "Welch false-positive rate %.4f", fw);
    cr_expect(fm <= 0.02, "Mann-Whitney false-positive rate %.4f", fm);
    /* A test that never rejects would pass the bound above: it must reject
     * now and then. */
    cr_expect(h.welch > 0 && h.mann_whitney > 0, "no false positives at all: suspicious");
}
