/* E-divisive change points (reports/changepoint.c): the search against the
 * definition computed the slow way, a hand-worked split, the order and
 * bounds of what is returned, bad input, and detection rates on simulated
 * nightly histories. The rates are logged with cr_log_info (run with
 * --verbose=0 to see them). */
#include "changepoint.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NIGHTS 60
#define TRIALS 200
#define MAX_CP 16

/* The options the gate is expected to use. */
static const tcb_changepoint_opts gate_opts = {
    .permutations = 199, .significance = 0.05, .min_size = 5, .seed = 1};

/* The level of a metric over the nights: 1, times factor[k] from night at[k]
 * on, times (1 + drift x night); each night's value (a median) gets 3%
 * Gaussian noise on top. */
typedef struct {
    int at[2];        /* 0: no step */
    double factor[2];
    double drift;     /* per night */
} shape;

static void history(gsl_rng *rng, const shape *s, double *x, int n)
{
    for (int i = 0; i < n; i++) {
        double level = 1 + s->drift * i;
        for (int k = 0; k < 2; k++)
            if (s->at[k] > 0 && i >= s->at[k])
                level *= s->factor[k];
        x[i] = level * (1 + gsl_ran_gaussian(rng, 0.03));
    }
}

static int find(const double *x, int n, const tcb_changepoint_opts *o, tcb_changepoint *cp)
{
    int found = -1;
    tcb_diag d = {{0}};
    tcb_status st = tcb_changepoint_find(x, n, o, cp, MAX_CP, &found, &d);
    cr_assert_eq(st, TCB_OK, "tcb_changepoint_find: %s", d.msg);
    return found;
}

static bool has_near(const tcb_changepoint *cp, int found, int night, int slack)
{
    for (int i = 0; i < found; i++)
        if (abs(cp[i].index - night) <= slack)
            return true;
    return false;
}

/* ---- the search ---- */

/* Q of X = x[s, tau) against Y = x[tau, kappa) straight from the definition
 * (changepoint.h), every pair summed afresh. */
static double q_direct(const double *x, int s, int tau, int kappa)
{
    int m = tau - s, k = kappa - tau;
    double between = 0, within_x = 0, within_y = 0;
    for (int i = s; i < tau; i++)
        for (int j = tau; j < kappa; j++)
            between += fabs(x[i] - x[j]);
    for (int i = s; i < tau; i++)
        for (int j = i + 1; j < tau; j++)
            within_x += fabs(x[i] - x[j]);
    for (int i = tau; i < kappa; i++)
        for (int j = i + 1; j < kappa; j++)
            within_y += fabs(x[i] - x[j]);
    double e = 2 * between / (m * k) - within_x / (m * (m - 1) / 2.0) -
               within_y / (k * (k - 1) / 2.0);
    return (double)m * k / (m + k) * e;
}

/* The first change point is the best split of the whole series over all
 * (tau, kappa) with both sides at least min_size long: compare its tau and Q
 * against a brute-force O(n^4) search, over series with a step somewhere,
 * noise, and spread. */
Test(changepoint, first_split_matches_definition)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    int compared = 0;
    for (int trial = 0; trial < 20; trial++) {
        int n = 14 + trial, min = 2 + trial % 3, step = min + trial % (n - 2 * min + 1);
        double x[40];
        for (int i = 0; i < n; i++)
            x[i] = (i >= step ? 1.5 : 1.0) + gsl_ran_gaussian(rng, 0.1 + 0.02 * trial);
        double best = -INFINITY;
        int best_tau = -1;
        for (int tau = min; tau <= n - min; tau++)
            for (int kappa = tau + min; kappa <= n; kappa++) {
                double q = q_direct(x, 0, tau, kappa);
                if (q > best + 1e-12) {
                    best = q;
                    best_tau = tau;
                }
            }
        /* Accept the first change point whatever its p-value (p is at most
         * 1, significance just under), and test only once. */
        tcb_changepoint_opts o = {
            .permutations = 1, .significance = 0.999, .min_size = min, .seed = 3};
        tcb_changepoint cp[1];
        int found = -1;
        cr_assert_eq(tcb_changepoint_find(x, n, &o, cp, 1, &found, NULL), TCB_OK);
        if (found == 0)
            continue; /* the one permutation beat it: p = 1; nothing to compare */
        cr_expect_eq(cp[0].index, best_tau, "trial %d (n %d, min %d): tau %d, direct %d",
                     trial, n, min, cp[0].index, best_tau);
        cr_expect(fabs(cp[0].statistic - best) <= 1e-9 * fabs(best),
                  "trial %d: Q %.15g, direct %.15g", trial, cp[0].statistic, best);
        cr_expect_eq(cp[0].pass, 1);
        compared++;
    }
    gsl_rng_free(rng);
    cr_expect(compared >= 15, "only %d of 20 series compared", compared);
}

/* Five 0s then five 1s, min_size 2. The split at 5 with kappa 10: all 25
 * cross pairs differ by 1, no pair within a side does, so E = 2 x 25/25 = 2
 * and Q = 5 x 5 / 10 x 2 = 5. Ending Y earlier loses (kappa 9: 20/9 x 2).
 * A permutation matches Q = 5 only by sorting the values (2 of the 252
 * orderings), so p is small; both halves are then constant, their Q 0 and
 * every permuted Q 0 too, p = 1: exactly one change point. */
Test(changepoint, step_by_hand)
{
    const double x[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
    tcb_changepoint_opts o = gate_opts;
    o.min_size = 2;
    tcb_changepoint cp[MAX_CP];
    int found = find(x, 10, &o, cp);
    cr_assert_eq(found, 1);
    cr_expect_eq(cp[0].index, 5);
    cr_expect(fabs(cp[0].statistic - 5) < 1e-12, "Q %.15g", cp[0].statistic);
    cr_expect(cp[0].p_value >= 1.0 / 200 && cp[0].p_value <= 0.05, "p %g", cp[0].p_value);
}

Test(changepoint, constant_history_has_none)
{
    double x[NIGHTS];
    for (int i = 0; i < NIGHTS; i++)
        x[i] = 3.25;
    tcb_changepoint cp[MAX_CP];
    cr_expect_eq(find(x, NIGHTS, &gate_opts, cp), 0);
}

/* ---- what comes back ---- */

/* A small step at 20 and a big one at 40: the big one is found first, yet
 * the result is sorted by night. Same seed, same answer; max_out caps. */
Test(changepoint, sorted_deterministic_capped)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    shape s = {{20, 40}, {1.15, 1.5}, 0};
    double x[NIGHTS];
    history(rng, &s, x, NIGHTS);
    gsl_rng_free(rng);

    tcb_changepoint cp[MAX_CP], again[MAX_CP];
    int found = find(x, NIGHTS, &gate_opts, cp);
    cr_assert_eq(found, 2);
    cr_expect(abs(cp[0].index - 20) <= 2 && abs(cp[1].index - 40) <= 2, "at %d and %d",
              cp[0].index, cp[1].index);
    cr_expect_eq(cp[0].pass, 2);
    cr_expect_eq(cp[1].pass, 1);
    for (int i = 0; i < found; i++)
        cr_expect(cp[i].p_value >= 1.0 / 200 && cp[i].p_value <= 0.05, "p %g",
                  cp[i].p_value);

    cr_assert_eq(find(x, NIGHTS, &gate_opts, again), found);
    for (int i = 0; i < found; i++)
        cr_expect(cp[i].index == again[i].index && cp[i].p_value == again[i].p_value &&
                      cp[i].statistic == again[i].statistic && cp[i].pass == again[i].pass,
                  "not deterministic at change point %d", i);

    int one = -1;
    cr_assert_eq(tcb_changepoint_find(x, NIGHTS, &gate_opts, again, 1, &one, NULL), TCB_OK);
    cr_expect_eq(one, 1);
    cr_expect_eq(again[0].index, cp[1].index, "max_out 1 keeps the first found");
    cr_assert_eq(tcb_changepoint_find(x, NIGHTS, &gate_opts, NULL, 0, &one, NULL), TCB_OK);
    cr_expect_eq(one, 0);
}

/* Change points never leave a segment shorter than min_size: a step 3
 * nights from the end cannot be placed there. */
Test(changepoint, min_size_respected)
{
    double x[30];
    for (int i = 0; i < 30; i++)
        x[i] = i >= 27 ? 2.0 : 1.0 + 0.001 * (i % 3);
    tcb_changepoint cp[MAX_CP];
    int found = find(x, 30, &gate_opts, cp);
    int prev = 0;
    for (int i = 0; i < found; i++) {
        cr_expect(cp[i].index - prev >= gate_opts.min_size, "segment [%d, %d)", prev,
                  cp[i].index);
        prev = cp[i].index;
    }
    cr_expect(30 - prev >= gate_opts.min_size, "last segment [%d, 30)", prev);
}

/* ---- bad input ---- */

static void expect_refused(const double *x, int n, const tcb_changepoint_opts *o,
                           tcb_changepoint *out, int max_out, const char *says)
{
    tcb_diag d = {{0}};
    int found = 99;
    cr_expect_eq(tcb_changepoint_find(x, n, o, out, max_out, &found, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, says) != NULL, "message \"%s\" does not say \"%s\"", d.msg, says);
    cr_expect_eq(found, 0);
}

Test(changepoint, bad_input)
{
    double x[NIGHTS];
    for (int i = 0; i < NIGHTS; i++)
        x[i] = 1 + 0.01 * (i % 7);
    tcb_changepoint cp[MAX_CP];
    tcb_changepoint_opts o = gate_opts;

    expect_refused(x, 9, &o, cp, MAX_CP, "9 values: need at least 2 x min_size = 10");
    x[17] = NAN;
    expect_refused(x, NIGHTS, &o, cp, MAX_CP, "value 17 is nan");
    x[17] = -INFINITY;
    expect_refused(x, NIGHTS, &o, cp, MAX_CP, "value 17 is -inf");
    x[17] = 1;

    o.min_size = 1;
    expect_refused(x, NIGHTS, &o, cp, MAX_CP, "min_size 1: must be at least 2");
    o = gate_opts;
    o.permutations = 0;
    expect_refused(x, NIGHTS, &o, cp, MAX_CP, "permutations 0");
    o = gate_opts;
    o.significance = 1;
    expect_refused(x, NIGHTS, &o, cp, MAX_CP, "significance 1");
    o.significance = NAN;
    expect_refused(x, NIGHTS, &o, cp, MAX_CP, "significance nan");
    expect_refused(x, NIGHTS, NULL, cp, MAX_CP, "no options");
    expect_refused(x, NIGHTS, &gate_opts, NULL, 3, "somewhere to put them");
    expect_refused(x, NIGHTS, &gate_opts, cp, -1, "max_out >= 0");
}

/* ---- simulated nightly histories ---- */

typedef struct {
    int any;      /* trials with at least one change point */
    int near[2];  /* trials with one within 2 nights of shape.at[k] */
    int both;     /* trials with both */
    int total;    /* change points over all trials */
} tally;

static tally run_trials(const shape *s, int trials, unsigned long data_seed)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, data_seed);
    tally t = {0, {0, 0}, 0, 0};
    for (int trial = 0; trial < trials; trial++) {
        double x[NIGHTS];
        history(rng, s, x, NIGHTS);
        tcb_changepoint_opts o = gate_opts;
        o.seed = 1000 + (unsigned long)trial;
        tcb_changepoint cp[MAX_CP];
        int found = find(x, NIGHTS, &o, cp);
        t.any += found > 0;
        t.total += found;
        bool hit[2] = {false, false};
        for (int k = 0; k < 2; k++) {
            hit[k] = s->at[k] > 0 && has_near(cp, found, s->at[k], 2);
            t.near[k] += hit[k];
        }
        t.both += hit[0] && hit[1];
    }
    gsl_rng_free(rng);
    return t;
}

/* A 10% step is over three noise standard deviations, with 40 nights before
 * it and 20 after. Measured (data seed 101, permutation seeds 1000 + trial):
 * found within 2 nights in 199/200 = 0.995 (207 change points in all: a few
 * trials add a spurious second one). */
Test(changepoint, planted_step_found, .timeout = 60)
{
    shape s = {{40, 0}, {1.10, 1}, 0};
    tally t = run_trials(&s, TRIALS, 101);
    cr_log_info("10%% step at night 40 of 60, 3%% noise: found within 2 nights in %d/%d "
                "(%.3f); %d change points in all",
                t.near[0], TRIALS, (double)t.near[0] / TRIALS, t.total);
    cr_expect(t.near[0] >= 0.95 * TRIALS, "found in %d/%d", t.near[0], TRIALS);
}

/* Measured (data seed 102): a false change point in 8/200 = 0.040, about
 * what a 5% test should give. */
Test(changepoint, pure_noise_false_rate, .timeout = 60)
{
    shape s = {{0, 0}, {1, 1}, 0};
    tally t = run_trials(&s, TRIALS, 102);
    cr_log_info("pure noise, 60 nights, 3%% noise: a false change point in %d/%d (%.3f)",
                t.any, TRIALS, (double)t.any / TRIALS);
    cr_expect(t.any <= 0.10 * TRIALS, "false change points in %d/%d", t.any, TRIALS);
}

/* No night-to-night step at all, but 0.5% a night adds up to 30% over 60
 * nights, ten times the noise. Measured (data seed 103): at least one change
 * point in 200/200 (671 change points in all: a drift is cut into several
 * steps). */
Test(changepoint, slow_drift_found, .timeout = 60)
{
    shape s = {{0, 0}, {1, 1}, 0.005};
    tally t = run_trials(&s, TRIALS, 103);
    cr_log_info("drift 0.5%%/night over 60 nights, 3%% noise: at least one change point in "
                "%d/%d (%.3f); %d change points in all",
                t.any, TRIALS, (double)t.any / TRIALS, t.total);
    cr_expect(t.any >= 0.9 * TRIALS, "change points in %d/%d", t.any, TRIALS);
}

/* Two planted steps, both within 2 nights: a regression at night 20 fixed
 * at night 40 (the middle differs from both ends, which are alike), and a
 * staircase of two 10% steps. Measured (data seeds 104, 105): both found in 48/50 and 50/50. */
Test(changepoint, two_steps_found, .timeout = 60)
{
    const int trials = 50;
    shape there_and_back = {{20, 40}, {1.10, 1 / 1.10}, 0};
    shape staircase = {{20, 40}, {1.10, 1.10}, 0};
    tally a = run_trials(&there_and_back, trials, 104);
    tally b = run_trials(&staircase, trials, 105);
    cr_log_info("10%% up at 20, back down at 40: both found in %d/%d; "
                "10%% up at 20 and again at 40: both found in %d/%d",
                a.both, trials, b.both, trials);
    cr_expect(a.both >= 0.9 * trials, "there and back: both in %d/%d", a.both, trials);
    cr_expect(b.both >= 0.9 * trials, "staircase: both in %d/%d", b.both, trials);
}
