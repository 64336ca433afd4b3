/* Change points in a metric's nightly history: E-divisive.
 *
 * The regression gate judges one night against a baseline, so a metric that
 * drifts by half a percent a night is never flagged on any night. Looking at
 * the whole history, x[0..n) in night order, finds where its distribution
 * changed instead.
 *
 * The method is E-divisive (Matteson & James 2014, "A nonparametric approach
 * for multiple change point analysis of multivariate data", JASA 109:505),
 * univariate, with alpha = 1, as in R's ecp::e.divisive. For two runs of
 * values X (m of them) and Y (k of them) the energy divergence
 *
 *   E = 2/(m k) sum |X_i - Y_j|  -  1/C(m,2) sum_{i<i'} |X_i - X_i'|
 *                                -  1/C(k,2) sum_{j<j'} |Y_j - Y_j'|
 *
 * is >= 0 in expectation and 0 only when X and Y come from one distribution
 * (any difference: level, spread, shape). Q = m k / (m + k) E scales it with
 * the sample sizes. Within a segment [s, e) the best split is the tau and
 * kappa (s < tau < kappa <= e) maximising Q of X = x[s, tau) against
 * Y = x[tau, kappa): ending Y at kappa rather than e lets a change in the
 * middle of a segment that changes back later still stand out.
 *
 * Change points are found one at a time. Each pass takes the best split over
 * all current segments (each at least 2 min_size long) and tests it: the
 * values of every segment are permuted within the segment `permutations`
 * times (R), the best split is searched for again, and the p-value is
 * (1 + #{permuted Q >= observed Q}) / (R + 1). A p-value <= significance keeps
 * the change point tau, which splits its segment in two for the next pass;
 * the first p-value above it ends the search. With R permutations no p-value
 * is below 1 / (R + 1): R = 199 resolves 0.005.
 *
 * Cost: each pass is O((R + 1) n^2) time and O(n) memory; a few hundred
 * nights with R = 199 take milliseconds a pass. The pass that ends the search
 * stops permuting as soon as its p-value is sure to exceed significance
 * (the decision is the same; that p-value is never reported).
 */
#ifndef TCB_CHANGEPOINT_H
#define TCB_CHANGEPOINT_H

#include "tcb_error.h"

typedef struct {
    int permutations;    /* R >= 1, e.g. 199 */
    double significance; /* in (0, 1): keep a change point whose p-value is <= this,
                          * e.g. 0.05 */
    int min_size;        /* >= 2: the fewest nights a segment (and each side of a
                          * split searched for) may have, e.g. 5 */
    unsigned long seed;  /* seeds the gsl_rng_mt19937 that draws the permutations:
                          * the same history, options and seed give the same result */
} tcb_changepoint_opts;

typedef struct {
    int index;        /* the first night of the new segment: the values changed
                       * between x[index - 1] and x[index] */
    double p_value;   /* the permutation test's p-value when it was found */
    double statistic; /* Q of the split, in the units of x */
    int pass;         /* 1 for the first change point found, 2 for the next... */
} tcb_changepoint;

/* Finds up to max_out change points of x[0..n) and writes them to out, sorted
 * by index ascending, and their number to *n_found. The search stops at the
 * first change point that is not significant, when no segment is long enough
 * to split, or with max_out found (max_out 0 finds none; out may then be NULL).
 * n must be >= 2 min_size and every x finite; bad input or options return
 * TCB_ERR_CONFIG with d (may be NULL) saying why and *n_found 0;
 * TCB_ERR_RUNTIME if scratch memory cannot be had. Allocates and frees its
 * own scratch memory; out belongs to the caller. */
tcb_status tcb_changepoint_find(const double *x, int n, const tcb_changepoint_opts *opts,
                                tcb_changepoint *out, int max_out, int *n_found,
                                tcb_diag *d);

#endif
