/* E-divisive change points of a nightly history: see changepoint.h. */
#include "changepoint.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The search's working arrays; each n + 1 long, indexed by tau or kappa
 * local to the segment being searched. */
typedef struct {
    double *between;  /* [tau] sum |X_i - Y_j| for Y ending at the current kappa */
    double *within_y; /* [tau] sum over pairs of Y, same Y */
    double *within_x; /* [tau] sum over pairs of X = y[0, tau) */
    double *row;      /* [i] sum over i' < i of |y[kappa-1] - y[i']| */
    double *inv;      /* [k] 1 / k, so the inner loop multiplies */
} scratch;

typedef struct {
    double q; /* -INFINITY when nothing could be split */
    int tau;
} split;

/* The best split of y[0, len) with each side at least min long: X = y[0, tau)
 * against Y = y[tau, kappa), tau and kappa over every allowed pair.
 *
 * kappa grows by one value at a time. The new value y[q] joins Y of every
 * tau <= q, adding its distances to X (row[tau]) to between[tau] and its
 * distances to the rest of Y (row[q] - row[tau]) to within_y[tau]; row[q] is
 * also what it adds to the pairs of y[0, q + 1), within_x[q + 1]. So every
 * (tau, kappa) costs O(1) and the segment O(len^2). */
static split best_split(const double *y, int len, int min, const scratch *w)
{
    split best = {-INFINITY, -1};
    if (len < 2 * min)
        return best;
    double *between = w->between, *within_y = w->within_y, *within_x = w->within_x;
    double *row = w->row;
    const double *inv = w->inv;
    memset(between, 0, (size_t)(len + 1) * sizeof *between);
    memset(within_y, 0, (size_t)(len + 1) * sizeof *within_y);
    within_x[0] = 0;
    for (int q = 0; q < len; q++) {
        row[0] = 0;
        for (int i = 0; i < q; i++)
            row[i + 1] = row[i] + fabs(y[q] - y[i]);
        double all = row[q];
        within_x[q + 1] = within_x[q] + all;

        int kappa = q + 1;
        int last = q < len - min ? q : len - min; /* taus that can still be scored */
        int scored = kappa - min;                 /* taus whose Y is long enough now */
        double scale = 2 * inv[kappa];
        for (int tau = min; tau <= last; tau++) {
            between[tau] += row[tau];
            within_y[tau] += all - row[tau];
        }
        for (int tau = min; tau <= scored && tau <= last; tau++) {
            /* Q = m k / (m + k) E, E = 2B/(m k) - 2 W_X/(m (m-1)) - 2 W_Y/(k (k-1)),
             * multiplied out so that no term divides. */
            int m = tau, k = kappa - tau;
            double q_stat = scale * (between[tau] - within_x[tau] * k * inv[m - 1] -
                                     within_y[tau] * m * inv[k - 1]);
            if (q_stat > best.q) {
                best.q = q_stat;
                best.tau = tau;
            }
        }
    }
    return best;
}

/* The best split of v over every segment between consecutive cuts
 * (cuts[0] = 0, cuts[ncuts - 1] = n); tau is an index into v. */
static split best_of_segments(const double *v, const int *cuts, int ncuts, int min,
                              const scratch *w)
{
    split best = {-INFINITY, -1};
    for (int c = 0; c + 1 < ncuts; c++) {
        split s = best_split(v + cuts[c], cuts[c + 1] - cuts[c], min, w);
        if (s.q > best.q) {
            best.q = s.q;
            best.tau = cuts[c] + s.tau;
        }
    }
    return best;
}

/* The permutation p-value of the observed best split: the null is that each
 * current segment is one distribution, under which its values may come in any
 * order, so each segment is shuffled on its own.
 *
 * It stops early once the p-value is sure to exceed significance, returning
 * a p-value that does: the decision is the one all the permutations would
 * give, and the p-value of a split that is not kept is never reported. Most
 * searches end with such a split, so this halves their time. */
static double permutation_p(const double *x, double *shuffled, const int *cuts, int ncuts,
                            int min, double observed, const tcb_changepoint_opts *o,
                            gsl_rng *rng, const scratch *w)
{
    int n = cuts[ncuts - 1], as_large = 0;
    double runs = o->permutations + 1.0;
    for (int r = 0; r < o->permutations && (1 + as_large) / runs <= o->significance; r++) {
        memcpy(shuffled, x, (size_t)n * sizeof *shuffled);
        for (int c = 0; c + 1 < ncuts; c++) {
            int len = cuts[c + 1] - cuts[c];
            if (len >= 2 * min) /* shorter ones are never split: leave them */
                gsl_ran_shuffle(rng, shuffled + cuts[c], (size_t)len, sizeof *shuffled);
        }
        as_large += best_of_segments(shuffled, cuts, ncuts, min, w).q >= observed;
    }
    return (1 + as_large) / runs; /* the expression the loop tests, so the same decision */
}

static tcb_status check_input(const double *x, int n, const tcb_changepoint_opts *o,
                              const tcb_changepoint *out, int max_out, tcb_diag *d)
{
    const char *what = "change points";
    if (o == NULL)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s: no options given", what);
    if (o->min_size < 2)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s: min_size %d: must be at least 2 (a segment's spread "
                            "needs a pair of values)", what, o->min_size);
    if (o->permutations < 1)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s: permutations %d: must be at least 1",
                            what, o->permutations);
    if (!(o->significance > 0 && o->significance < 1))
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s: significance %g: must lie strictly between 0 and 1", what,
                            o->significance);
    if (max_out < 0 || (max_out > 0 && out == NULL))
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s: room for %d change points at %p: need max_out >= 0 and "
                            "somewhere to put them", what, max_out, (const void *)out);
    if (n < 2 * o->min_size)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s: %d values: need at least 2 x min_size = %d to split once",
                            what, n, 2 * o->min_size);
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return tcb_diag_set(d, TCB_ERR_CONFIG,
                                "%s: value %d is %g: every value must be finite", what, i,
                                x[i]);
    return TCB_OK;
}

static int by_index(const void *pa, const void *pb)
{
    const tcb_changepoint *a = pa, *b = pb;
    return (a->index > b->index) - (a->index < b->index);
}

tcb_status tcb_changepoint_find(const double *x, int n, const tcb_changepoint_opts *opts,
                                tcb_changepoint *out, int max_out, int *n_found,
                                tcb_diag *d)
{
    *n_found = 0;
    TCB_CHECK(check_input(x, n, opts, out, max_out, d));
    int min = opts->min_size;

    /* One block of doubles: five scratch arrays of n + 1, then the shuffled
     * copy of x (n). Cuts: 0, each change point found, n. */
    size_t len = (size_t)n + 1;
    double *block = malloc((5 * len + (size_t)n) * sizeof *block);
    int *cuts = malloc(((size_t)n + 2) * sizeof *cuts);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (block == NULL || cuts == NULL || rng == NULL) {
        free(block);
        free(cuts);
        if (rng != NULL)
            gsl_rng_free(rng);
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "change points: out of memory");
    }
    scratch w = {block, block + len, block + 2 * len, block + 3 * len, block + 4 * len};
    double *shuffled = block + 5 * len;
    w.inv[0] = 0; /* never read: sizes start at 1 */
    for (int k = 1; k <= n; k++)
        w.inv[k] = 1.0 / k;
    gsl_rng_set(rng, opts->seed);
    cuts[0] = 0;
    cuts[1] = n;

    int found = 0;
    while (found < max_out) {
        int ncuts = found + 2;
        split best = best_of_segments(x, cuts, ncuts, min, &w);
        if (best.tau < 0)
            break; /* every segment shorter than 2 min_size */
        double p = permutation_p(x, shuffled, cuts, ncuts, min, best.q, opts, rng, &w);
        if (p > opts->significance)
            break;
        out[found] = (tcb_changepoint){best.tau, p, best.q, found + 1};
        int at = ncuts; /* insert into the sorted cuts */
        while (cuts[at - 1] > best.tau) {
            cuts[at] = cuts[at - 1];
            at--;
        }
        cuts[at] = best.tau;
        found++;
    }

    free(block);
    free(cuts);
    gsl_rng_free(rng);
    if (found > 1)
        qsort(out, (size_t)found, sizeof *out, by_index);
    *n_found = found;
    return TCB_OK;
}
