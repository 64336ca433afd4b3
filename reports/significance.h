/* Two-sample significance tests for the nightly regression gate.
 *
 * The gate compares tonight's per-iteration times of a case (sample b)
 * against its baseline (sample a). A change counts as a regression only when
 * it is beyond the tolerance AND one of these tests says it is not noise.
 * Two tests, because timings are rarely Gaussian:
 *
 *   tcb_signif_welch         Welch's t-test: compares means, no equal-variance
 *                            assumption. Most powerful for near-Gaussian noise;
 *                            one outlier can move it.
 *   tcb_signif_mann_whitney  Mann-Whitney U (Wilcoxon rank-sum): compares
 *                            ranks, so a stray slow iteration counts once, not
 *                            by its size.
 *
 * Both fill the same tcb_signif, and both orient it the same way: the
 * statistic grows as b lies above a, p_greater is the p-value of "b is
 * greater than a" (for timings: tonight is slower) and p_less that of "b is
 * less than a". Swapping a and b swaps p_greater and p_less.
 *
 * Both demand at least two values per sample, every one finite; otherwise
 * they return TCB_ERR_CONFIG with d (may be NULL) saying which sample and
 * why, and *out zeroed. Neither allocates memory the caller must free.
 * Probabilities come from GSL's CDFs (gsl_cdf_tdist_*, gsl_cdf_ugaussian_*).
 */
#ifndef TCB_SIGNIFICANCE_H
#define TCB_SIGNIFICANCE_H

#include "tcb_error.h"

#include <stdbool.h>

/* Mann-Whitney's p-values are exact when both samples have at most this many
 * values and there are no ties; the normal approximation otherwise. */
#define TCB_SIGNIF_EXACT_MAX 20

typedef struct {
    double statistic;   /* Welch: t = (mean b - mean a) / sqrt(s_a^2/n_a + s_b^2/n_b).
                         * Mann-Whitney: U of b, the number of pairs (a_i, b_j) with
                         * b_j > a_i, ties counting 1/2 (0 .. n_a n_b; n_a n_b / 2
                         * when the samples do not differ) */
    double df;          /* Welch: Welch-Satterthwaite degrees of freedom (not an integer).
                         * Mann-Whitney: 0, it has none */
    double p_two_sided; /* H1: b differs from a */
    double p_greater;   /* H1: b greater than a (mean for Welch, stochastically for U) */
    double p_less;      /* H1: b less than a */
    bool exact;         /* Mann-Whitney: p-values from the exact null distribution
                         * rather than the normal approximation */
} tcb_signif;

/* Welch's t-test of a (n_a >= 2) against b (n_b >= 2); sample variances with
 * n - 1 in the denominator, p-values from Student's t with the
 * Welch-Satterthwaite df
 *
 *   df = (v_a + v_b)^2 / (v_a^2 / (n_a - 1) + v_b^2 / (n_b - 1)),  v = s^2 / n.
 *
 * When both samples are constant there is no noise to weigh the difference
 * against, and the test is decided without it: equal constants are no
 * evidence of anything (t 0 and every p-value 1, so p_greater + p_less is not
 * 1 here), different constants are certain (t +-infinity, p_two_sided 0, the
 * one-sided p-value towards the side b lies on 0 and the other 1). df is then
 * n_a + n_b - 2, for want of a meaningful value. One constant sample and one
 * that varies is an ordinary case. */
tcb_status tcb_signif_welch(const double *a, int n_a, const double *b, int n_b,
                            tcb_signif *out, tcb_diag *d);

/* The Mann-Whitney U test of a (n_a >= 2) against b (n_b >= 2). Tied values
 * get the average of the ranks they span. The p-values are:
 *
 *   - exact (out->exact) when n_a and n_b are both <= TCB_SIGNIF_EXACT_MAX and
 *     no value is tied: P(U >= u) and P(U <= u) under the null, counted by
 *     dynamic programming over the C(n_a + n_b, n_a) orderings; two-sided is
 *     2 min(p_greater, p_less), at most 1;
 *   - otherwise the normal approximation, mean n_a n_b / 2 and variance
 *     n_a n_b / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))) (N = n_a + n_b, t the
 *     size of each group of tied values), with a continuity correction of 1/2
 *     towards the mean; two-sided is at most 1. When every value is tied to
 *     every other the variance is 0: U is n_a n_b / 2 and every p-value 1.
 *
 * Allocates and frees its own scratch memory; TCB_ERR_RUNTIME (d saying so)
 * when that fails. */
tcb_status tcb_signif_mann_whitney(const double *a, int n_a, const double *b, int n_b,
                                   tcb_signif *out, tcb_diag *d);

#endif
