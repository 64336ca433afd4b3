/* How often `tcbench db trend` finds what is there, and what is not: the
 * figures of "What to expect" in docs/nightly.md (ci/bench-trend runs this).
 *
 *   tcb_bench_trend [--series N]
 *
 * Each scenario is N synthetic histories (2 N for pure noise; N defaults to
 * 1000) of NIGHTS nights. Night i's value is
 *
 *     1.0 x (1 + drift i) x (step from night STEP_AT on) x (1 + 0.02 z),
 *     z ~ N(0, 1),
 *
 * the same model as tests/test_trend.c: a time with 2% noise around its
 * level. History s (s = 0, 1, ...) of every scenario draws its noise from a
 * gsl_rng_mt19937 seeded with s + 1, so the scenarios differ only in the
 * level they add: the +3% step has the same noise as the +10% step.
 *
 * Each history is searched the way trend_series in reports/trend.c searches
 * one series, without the database: tcb_changepoint_find on the values in
 * night order, with db trend's default options (reports/db_cmd.c: 199
 * permutations, significance 0.05, min size 5, seed 1, the same seed for
 * every series) and room for nights / min size + 1 change points. A change
 * point is "worse" the way trend's report says it: the median of the
 * segment after it (up to the next change point) against the median of the
 * segment before it (from the previous one), for a time, where lower is
 * better, so a higher median after is worse.
 *
 * Printed: a header line with the settings, then one Markdown table row per
 * scenario: the series with at least one change point; for a step, those
 * with a "worse" change point within +-2 nights of the step; all change
 * points and how many of them are worse; the scenario's wall time. Exit 0
 * done, 2 bad arguments, 3 a failure of tcb_changepoint_find. */
#include "changepoint.h"
#include "tcb_error.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NIGHTS 40
#define NOISE 0.02  /* relative standard deviation of a night's value */
#define STEP_AT 20  /* the first night (0-based) of a step's new level */
#define NEAR 2      /* a step counts as found within this many nights */
#define MIN_SIZE 5
#define MAX_CP (NIGHTS / MIN_SIZE + 1) /* trend_alloc's room for change points */

typedef struct {
    const char *name; /* the table's first column */
    double step;      /* level factor from night STEP_AT on; 1: no step */
    double drift;     /* level grows by this (relative to night 0) each night */
    int times;        /* series: times x N */
} scenario;

static const scenario scenarios[] = {
    {"pure noise", 1.00, 0, 2},
    {"+10% step at night 21", 1.10, 0, 1},
    {"+5% step at night 21", 1.05, 0, 1},
    {"+3% step at night 21", 1.03, 0, 1},
    {"drift of 0.5% a night", 1.00, 0.005, 1},
    {"drift of 0.25% a night", 1.00, 0.0025, 1},
    {"drift of 0.1% a night", 1.00, 0.001, 1},
};

typedef struct {
    int series, with_cp, near_worse, changes, worse;
    double seconds;
} tally;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int by_value(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* The median of x[lo, hi), hi > lo: trend_median of reports/trend.c. */
static double median(const double *x, int lo, int hi)
{
    double s[NIGHTS];
    int n = hi - lo;
    memcpy(s, x + lo, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, by_value);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

static void history(const scenario *sc, unsigned long seed, gsl_rng *rng, double *x)
{
    gsl_rng_set(rng, seed);
    for (int i = 0; i < NIGHTS; i++) {
        double level = 1.0 * (1 + sc->drift * i) * (i >= STEP_AT ? sc->step : 1.0);
        x[i] = level * (1 + gsl_ran_gaussian(rng, NOISE));
    }
}

static tcb_status run_scenario(const scenario *sc, int n_series, gsl_rng *rng, tally *t)
{
    /* db trend's defaults (reports/db_cmd.c, trend_options). */
    const tcb_changepoint_opts opts = {
        .permutations = 199, .significance = 0.05, .min_size = MIN_SIZE, .seed = 1};
    double x[NIGHTS];
    tcb_changepoint cp[MAX_CP];
    *t = (tally){.series = n_series};
    double t0 = now_s();
    for (int s = 0; s < n_series; s++) {
        history(sc, (unsigned long)s + 1, rng, x);
        int found = 0;
        tcb_diag d = {""};
        if (tcb_changepoint_find(x, NIGHTS, &opts, cp, MAX_CP, &found, &d) != TCB_OK) {
            fprintf(stderr, "bench_trend: %s, series %d: %s\n", sc->name, s, d.msg);
            return TCB_ERR_RUNTIME;
        }
        bool near_worse = false;
        for (int c = 0; c < found; c++) {
            /* The segments either side, as trend_print_series bounds them. */
            int lo = c > 0 ? cp[c - 1].index : 0, at = cp[c].index;
            int hi = c + 1 < found ? cp[c + 1].index : NIGHTS;
            bool worse = median(x, at, hi) > median(x, lo, at); /* lower is better */
            t->worse += worse;
            near_worse = near_worse || (worse && abs(at - STEP_AT) <= NEAR);
        }
        t->with_cp += found > 0;
        t->near_worse += near_worse;
        t->changes += found;
    }
    t->seconds = now_s() - t0;
    return TCB_OK;
}

static void print_row(const scenario *sc, const tally *t)
{
    char near[64] = "-";
    if (sc->step != 1.0)
        snprintf(near, sizeof near, "%d (%.1f%%)", t->near_worse,
                 100.0 * t->near_worse / t->series);
    char worse[64] = "-";
    if (t->changes > 0)
        snprintf(worse, sizeof worse, "%d (%.0f%%)", t->worse, 100.0 * t->worse / t->changes);
    printf("| %s | %d | %d (%.1f%%) | %s | %d | %s | %.2f s |\n", sc->name, t->series,
           t->with_cp, 100.0 * t->with_cp / t->series, near, t->changes, worse, t->seconds);
}

static int usage(void)
{
    fputs("usage: tcb_bench_trend [--series N]   (N series per scenario, 2 N of pure "
          "noise; default 1000)\n",
          stderr);
    return TCB_ERR_CONFIG;
}

int main(int argc, char **argv)
{
    long n = 1000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--series") != 0 || i + 1 >= argc)
            return usage();
        char *end;
        errno = 0;
        n = strtol(argv[++i], &end, 10);
        if (errno != 0 || end == argv[i] || *end != '\0' || n < 1 || n > 1000000)
            return usage();
    }

    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (rng == NULL) {
        fputs("bench_trend: out of memory\n", stderr);
        return TCB_ERR_RUNTIME;
    }
    printf("# bench_trend: %d nights, %g%% Gaussian noise on a level of 1.0 (lower is "
           "better), noise seeds 1..N per scenario; E-divisive as db trend runs it: 199 "
           "permutations, significance 0.05, min size %d, seed 1; a step counts as found "
           "with a worse change point within +-%d nights of night %d\n",
           NIGHTS, 100 * NOISE, MIN_SIZE, NEAR, STEP_AT + 1);
    printf("| history | series | with a change point | step found | change points | "
           "worse | time |\n");
    printf("|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    tcb_status st = TCB_OK;
    double total = 0;
    for (size_t k = 0; st == TCB_OK && k < sizeof scenarios / sizeof scenarios[0]; k++) {
        tally t;
        st = run_scenario(&scenarios[k], scenarios[k].times * (int)n, rng, &t);
        if (st == TCB_OK) {
            print_row(&scenarios[k], &t);
            fflush(stdout);
            total += t.seconds;
        }
    }
    if (st == TCB_OK)
        printf("# total %.2f s\n", total);
    gsl_rng_free(rng);
    return st;
}
