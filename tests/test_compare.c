/* reports/compare.c and the baseline of reports/db_baseline.c: the nightly
 * regression gate. Records are built the way `tcbench run` writes them, with
 * per-iteration samples drawn from a seeded generator, so the statistical
 * claims (a planted 10% step is caught, noise of the same spread is not) are
 * measured over many seeds, not asserted on one. */
#include "compare.h"
#include "db.h"
#include "directions.h"
#include "stats.h"

#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* An allreduce record of `size` bytes whose n samples are level * (1 + noise
 * * z): time_s from them as the harness computes it, busbw and algbw as
 * bytes over the median. */
static json_t *record(const char *run_id, int index, long size, double level, double noise,
                      int n, gsl_rng *rng)
{
    double *s = malloc((size_t)n * sizeof *s), *sorted = malloc((size_t)n * sizeof *s);
    cr_assert(s && sorted);
    json_t *samples = json_array();
    for (int i = 0; i < n; i++) {
        s[i] = level * (1 + noise * gsl_ran_gaussian(rng, 1));
        sorted[i] = s[i];
        json_array_append_new(samples, json_real(s[i]));
    }
    tcb_stats st;
    tcb_stats_compute(sorted, n, &st);
    double bw = (double)size / st.median / 1e9;
    json_t *r = json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s, s:I}, s:i, s:i, s:{s:f, s:f}, "
                          "s:{s:I, s:f, s:f}, s:{s:s}, s:o}",
                          "schema", "tcbench.result/1", "run_id", run_id, "case", index,
                          "workload", "collective", "backend", "mpi", "params", "collective",
                          "allreduce", "size", (json_int_t)size, "ranks", 2, "nodes", 1, "time_s",
                          "median", st.median, "mean", st.mean, "metrics", "bytes",
                          (json_int_t)size, "busbw_GBps", bw, "algbw_GBps", bw, "check",
                          "status", "ok", "samples_s", samples);
    cr_assert_not_null(r);
    free(s);
    free(sorted);
    return r;
}

static tcb_compare_opts defaults(void)
{
    return (tcb_compare_opts){.system = "box", .test = TCB_TEST_MANN_WHITNEY, .alpha = 0.01};
}

static const tcb_gate_item *find(const tcb_gate_report *r, const char *metric, long size)
{
    char needle[64];
    snprintf(needle, sizeof needle, "size=%ld", size);
    for (int i = 0; i < r->n; i++) {
        const char *at = strstr(r->items[i].case_id, needle);
        if (strcmp(r->items[i].metric, metric) == 0 && at != NULL &&
            (at[strlen(needle)] == '\0' || at[strlen(needle)] == ' '))
            return &r->items[i];
    }
    return NULL;
}

static void free_records(json_t **r, int n)
{
    for (int i = 0; i < n; i++)
        json_decref(r[i]);
}

/* ---- the verdicts ------------------------------------------------------------ */

/* One case, baseline at 1 ms, tonight at `level` ms, 3% noise, 20 samples
 * each side; the verdict on time_s and on busbw_GBps. */
static void one_case(double level, const tcb_compare_opts *o, tcb_gate_verdict *time_v,
                     tcb_gate_verdict *bw_v, unsigned long seed)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    json_t *base = record("a", 0, 1 << 20, 1e-3, 0.03, 20, rng);
    json_t *now = record("b", 0, 1 << 20, level * 1e-3, 0.03, 20, rng);
    tcb_gate_report r;
    cr_assert_eq(tcb_compare(&now, 1, &base, 1, o, &r, NULL), TCB_OK);
    const tcb_gate_item *t = find(&r, "time_s", 1 << 20), *b = find(&r, "busbw_GBps", 1 << 20);
    cr_assert(t && b);
    *time_v = t->verdict;
    *bw_v = b->verdict;
    tcb_compare_free(&r);
    json_decref(base);
    json_decref(now);
    gsl_rng_free(rng);
}

Test(compare, slower_is_a_regression_of_time_and_bandwidth)
{
    tcb_compare_opts o = defaults();
    tcb_gate_verdict t, b;
    one_case(1.10, &o, &t, &b, 1);
    cr_expect_eq(t, TCB_GATE_REGRESSION, "time_s: %s", tcb_gate_verdict_name(t));
    cr_expect_eq(b, TCB_GATE_REGRESSION, "busbw (higher is better): %s",
                 tcb_gate_verdict_name(b));
    one_case(0.90, &o, &t, &b, 2);
    cr_expect_eq(t, TCB_GATE_IMPROVEMENT);
    cr_expect_eq(b, TCB_GATE_IMPROVEMENT);
    one_case(1.02, &o, &t, &b, 3); /* within the default 5% */
    cr_expect_eq(t, TCB_GATE_OK);
    cr_expect_eq(b, TCB_GATE_OK);
}

/* Beyond the bounds but not significant: two samples a side with 40% noise
 * move the median a lot and prove nothing. */
Test(compare, beyond_bounds_without_significance_is_noise)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    tcb_compare_opts o = defaults();
    int noise = 0, tried = 0;
    for (unsigned long seed = 1; seed <= 200; seed++) {
        gsl_rng_set(rng, seed);
        json_t *base = record("a", 0, 4096, 1e-3, 0.4, 3, rng);
        json_t *now = record("b", 0, 4096, 1e-3, 0.4, 3, rng);
        tcb_gate_report r;
        cr_assert_eq(tcb_compare(&now, 1, &base, 1, &o, &r, NULL), TCB_OK);
        const tcb_gate_item *t = find(&r, "time_s", 4096);
        if (fabs(t->change) > 0.05) {
            tried++;
            /* Mann-Whitney with 3 + 3 values cannot go below p = 0.05. */
            cr_expect_eq(t->verdict, TCB_GATE_NOISE, "change %g p %g", t->change, t->p_value);
            noise += t->verdict == TCB_GATE_NOISE;
        }
        tcb_compare_free(&r);
        json_decref(base);
        json_decref(now);
    }
    cr_expect_gt(tried, 100, "the spread should move the median beyond 5%% most times");
    gsl_rng_free(rng);
}

/* The gate's error rates, measured: the numbers docs/nightly.md states.
 * A history of nights, each with its own level (1% night-to-night spread)
 * and 3% noise per iteration, 20 iterations a night; the baseline is the
 * last night. Planted: tonight 10% slower. */
static double rate(double step, double bounds, int trials)
{
    tcb_references refs;
    tcb_references_default(&refs);
    refs.default_tolerance = bounds;
    tcb_compare_opts o = defaults();
    o.refs = &refs;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int flagged = 0;
    for (int seed = 1; seed <= trials; seed++) {
        gsl_rng_set(rng, (unsigned long)seed);
        double then = 1e-3 * (1 + 0.01 * gsl_ran_gaussian(rng, 1));
        double now = 1e-3 * (1 + 0.01 * gsl_ran_gaussian(rng, 1)) * step;
        json_t *base = record("a", 0, 1 << 20, then, 0.03, 20, rng);
        json_t *cur = record("b", 0, 1 << 20, now, 0.03, 20, rng);
        tcb_gate_report r;
        cr_assert_eq(tcb_compare(&cur, 1, &base, 1, &o, &r, NULL), TCB_OK);
        flagged += find(&r, "time_s", 1 << 20)->verdict == TCB_GATE_REGRESSION;
        tcb_compare_free(&r);
        json_decref(base);
        json_decref(cur);
    }
    gsl_rng_free(rng);
    return (double)flagged / trials;
}

Test(compare, planted_step_caught_noise_not, .timeout = 60)
{
    const int trials = 1000;
    double caught = rate(1.10, 0.05, trials), false_alarms = rate(1.0, 0.05, trials);
    double test_alone = rate(1.0, 0.0, trials);
    printf("gate over %d seeds: 10%% step caught %.1f%%, noise flagged %.2f%% (bounds 5%%, "
           "alpha 0.01); with no bounds the test alone flags %.1f%%\n",
           trials, 100 * caught, 100 * false_alarms, 100 * test_alone);
    cr_expect_geq(caught, 0.99, "a 10%% step caught in %.1f%%", 100 * caught);
    cr_expect_leq(false_alarms, 0.005, "noise flagged in %.2f%%", 100 * false_alarms);
    /* The night-to-night spread is real, so the test alone (bounds 0) flags
     * far more than alpha: the bounds are what keep the gate quiet. */
    cr_expect_gt(test_alone, 0.05, "test alone %.3f", test_alone);
}

/* Without night-to-night spread the test alone errs at about alpha. */
Test(compare, test_alone_errs_at_alpha, .timeout = 60)
{
    tcb_references refs;
    tcb_references_default(&refs);
    refs.default_tolerance = 1e-9;
    tcb_compare_opts o = defaults();
    o.refs = &refs;
    o.alpha = 0.05;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int flagged = 0, trials = 2000;
    for (int seed = 1; seed <= trials; seed++) {
        gsl_rng_set(rng, (unsigned long)seed);
        json_t *base = record("a", 0, 1024, 1e-3, 0.03, 15, rng);
        json_t *cur = record("b", 0, 1024, 1e-3, 0.03, 15, rng);
        tcb_gate_report r;
        cr_assert_eq(tcb_compare(&cur, 1, &base, 1, &o, &r, NULL), TCB_OK);
        flagged += find(&r, "time_s", 1024)->verdict == TCB_GATE_REGRESSION;
        tcb_compare_free(&r);
        json_decref(base);
        json_decref(cur);
    }
    gsl_rng_free(rng);
    /* One-sided at 0.05: about 5% of the trials, binomial sd 0.5%. */
    double p = (double)flagged / trials;
    cr_expect(p > 0.03 && p < 0.07, "flagged %.3f at alpha 0.05", p);
}

Test(compare, welch_sees_the_step_too)
{
    tcb_compare_opts o = defaults();
    o.test = TCB_TEST_WELCH;
    tcb_gate_verdict t, b;
    one_case(1.10, &o, &t, &b, 7);
    cr_expect_eq(t, TCB_GATE_REGRESSION);
    tcb_gate_report r;
    json_t *x = json_pack("{s:s}", "schema", "x");
    cr_assert_eq(tcb_compare(&x, 0, NULL, 0, &o, &r, NULL), TCB_OK);
    cr_expect_str_eq(r.test, "welch");
    cr_expect_eq(r.n, 0);
    json_decref(x);
}

/* ---- cases on one side, failed checks ---------------------------------------- */

static json_t *with_status(json_t *r, const char *status, const char *detail)
{
    json_object_set_new(r, "check", json_pack("{s:s, s:s}", "status", status, "detail", detail));
    json_object_set_new(r, "time_s", json_null());
    json_object_set_new(r, "metrics", json_object());
    json_object_del(r, "samples_s");
    return r;
}

Test(compare, new_missing_failed_and_skipped)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    json_t *base[4] = {record("a", 0, 1024, 1e-3, 0.01, 10, rng),
                       record("a", 1, 2048, 1e-3, 0.01, 10, rng),
                       record("a", 2, 4096, 1e-3, 0.01, 10, rng),
                       record("a", 3, 8192, 1e-3, 0.01, 10, rng)};
    json_t *now[4] = {with_status(record("b", 0, 1024, 1e-3, 0.01, 10, rng), "wrong", "3 wrong"),
                      with_status(record("b", 1, 2048, 1e-3, 0.01, 10, rng), "skipped", "no"),
                      record("b", 2, 4096, 1e-3, 0.01, 10, rng),
                      record("b", 3, 16384, 1e-3, 0.01, 10, rng)};
    tcb_compare_opts o = defaults();
    tcb_gate_report r;
    cr_assert_eq(tcb_compare(now, 4, base, 4, &o, &r, NULL), TCB_OK);
    const tcb_gate_item *it = find(&r, "check", 1024);
    cr_assert_not_null(it);
    cr_expect_eq(it->verdict, TCB_GATE_FAILED);
    cr_expect_str_eq(it->detail, "wrong: 3 wrong");
    it = find(&r, "check", 2048);
    cr_assert_not_null(it);
    cr_expect_eq(it->verdict, TCB_GATE_MISSING, "skipped tonight, measured before");
    cr_expect_eq(find(&r, "time_s", 4096)->verdict, TCB_GATE_OK);
    it = find(&r, "busbw_GBps", 16384);
    cr_assert_not_null(it);
    cr_expect_eq(it->verdict, TCB_GATE_NEW);
    cr_expect(isnan(it->baseline) && isfinite(it->current));
    it = find(&r, "busbw_GBps", 8192);
    cr_assert_not_null(it);
    cr_expect_eq(it->verdict, TCB_GATE_MISSING);
    cr_expect(isfinite(it->baseline) && isnan(it->current));
    /* Tonight's order first, the baseline-only case last. */
    cr_expect_str_eq(r.items[r.n - 1].metric, "algbw_GBps");
    cr_expect_not_null(strstr(r.items[r.n - 1].case_id, "size=8192"));
    int c[TCB_GATE_NVERDICTS];
    tcb_gate_count(&r, c);
    cr_expect_eq(c[TCB_GATE_FAILED], 1);
    cr_expect_eq(c[TCB_GATE_NEW], 3);     /* time_s, busbw, algbw of 16384 */
    cr_expect_eq(c[TCB_GATE_MISSING], 4); /* the skipped check + 3 metrics of 8192 */
    tcb_compare_free(&r);
    free_records(base, 4);
    free_records(now, 4);
    gsl_rng_free(rng);
}

/* Several baseline runs pool: the baseline value is the median of the runs'
 * values, and the test sees every run's samples. */
Test(compare, pooled_baseline_takes_the_median_of_runs)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    json_t *base[3] = {record("a", 0, 1024, 1.0e-3, 0.001, 10, rng),
                       record("b", 0, 1024, 1.3e-3, 0.001, 10, rng),
                       record("c", 0, 1024, 1.1e-3, 0.001, 10, rng)};
    json_t *now = record("d", 0, 1024, 1.1e-3, 0.001, 10, rng);
    tcb_compare_opts o = defaults();
    tcb_gate_report r;
    cr_assert_eq(tcb_compare(&now, 1, base, 3, &o, &r, NULL), TCB_OK);
    const tcb_gate_item *t = find(&r, "time_s", 1024);
    double mid = tcb_direction_value(base[2], "time_s");
    cr_expect_eq(t->baseline, mid, "%g vs the middle run's %g", t->baseline, mid);
    cr_expect_eq(t->n_baseline, 30);
    cr_expect_eq(t->verdict, TCB_GATE_OK);
    tcb_compare_free(&r);
    free_records(base, 3);
    json_decref(now);
    gsl_rng_free(rng);
}

/* A case timed once has no samples to test: the bounds alone decide, and
 * the detail says so. */
Test(compare, too_few_samples_bounds_alone)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    json_t *base = record("a", 0, 1024, 1e-3, 0, 1, rng);
    json_t *now = record("b", 0, 1024, 1.2e-3, 0, 1, rng);
    tcb_compare_opts o = defaults();
    tcb_gate_report r;
    cr_assert_eq(tcb_compare(&now, 1, &base, 1, &o, &r, NULL), TCB_OK);
    const tcb_gate_item *t = find(&r, "time_s", 1024);
    cr_expect_eq(t->verdict, TCB_GATE_REGRESSION);
    cr_expect(isnan(t->p_value));
    cr_expect_not_null(strstr(t->detail, "no test"), "%s", t->detail);
    tcb_compare_free(&r);
    json_decref(base);
    json_decref(now);
    gsl_rng_free(rng);
}

/* The references' bounds decide what is beyond: asymmetric, per metric. */
Test(compare, references_bounds_apply)
{
    char path[] = "/tmp/tcb_refs_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *text = "default_tolerance: 2%\n"
                       "systems:\n"
                       "  box:\n"
                       "    - case: \"collective * size=1048576\"\n"
                       "      metric: time_s\n"
                       "      upper: 20%\n"
                       "  \"*\":\n"
                       "    - metric: busbw_GBps\n"
                       "      lower: none\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    tcb_references refs;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_references_load(path, &refs, &d), TCB_OK, "%s", d.msg);
    unlink(path);
    tcb_compare_opts o = defaults();
    o.refs = &refs;
    tcb_gate_verdict t, b;
    one_case(1.10, &o, &t, &b, 5);
    cr_expect_eq(t, TCB_GATE_OK, "10%% slower is within the rule's +20%%");
    cr_expect_eq(b, TCB_GATE_OK, "busbw has no lower bound on any system");
    o.system = "other";
    one_case(1.10, &o, &t, &b, 5);
    cr_expect_eq(t, TCB_GATE_REGRESSION, "the box rule is not other's: 2%% default");
    cr_expect_eq(b, TCB_GATE_OK);
    tcb_references_free(&refs);
}

/* ---- the baseline from the database --------------------------------------------- */

static char dir[64];

static void import_run(tcb_db *db, const char *id, const char *system, const char *start,
                       bool finished, double level)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    tcb_run_dir run = {.dir = id, .run_id = id, .n = 1};
    run.manifest = json_pack("{s:s, s:s, s:s, s:b, s:[{s:s}]}", "schema", "tcbench.run/1",
                             "run_id", id, "start_utc", start, "finished", finished, "nodes",
                             "hostname", "n01");
    json_t *rec = record(id, 0, 1024, level, 0.01, 5, rng);
    run.records = &rec;
    snprintf(run.hash, sizeof run.hash, "%016lx", (unsigned long)(level * 1e9));
    tcb_db_outcome outcome;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_db_import(db, &run, system, &outcome, &d), TCB_OK, "%s", d.msg);
    json_decref(rec);
    json_decref(run.manifest);
    gsl_rng_free(rng);
}

static void baseline_of(tcb_db *db, const char *spec, const char *before, int want_n,
                        double want_level, const char *want_description)
{
    json_t **recs;
    int n;
    char description[256];
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_db_baseline(db, spec, "box", "tonight", before, &recs, &n, description,
                                 sizeof description, &d),
                 TCB_OK, "%s: %s", spec, d.msg);
    cr_expect_eq(n, want_n, "%s: %d records", spec, n);
    if (n > 0)
        cr_expect(fabs(tcb_direction_value(recs[n - 1], "time_s") / want_level - 1) < 0.05,
                  "%s: the newest record is of the run expected", spec);
    cr_expect_str_eq(description, want_description);
    free_records(recs, n);
    free(recs);
}

Test(compare, baseline_chosen_from_the_database)
{
    snprintf(dir, sizeof dir, "/tmp/tcb_test_cmp_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/h.db", dir);
    tcb_db db;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_db_open(path, true, &db, &d), TCB_OK, "%s", d.msg);
    import_run(&db, "n1", "box", "2026-11-01T00:00:00Z", true, 1e-3);
    import_run(&db, "n2", "box", "2026-11-02T00:00:00Z", true, 2e-3);
    import_run(&db, "n3", "box", "2026-11-03T00:00:00Z", false, 3e-3); /* unfinished */
    import_run(&db, "o1", "other", "2026-11-03T00:00:00Z", true, 4e-3); /* other system */
    import_run(&db, "tonight", "box", "2026-11-04T00:00:00Z", true, 5e-3);
    import_run(&db, "later", "box", "2026-11-05T00:00:00Z", true, 6e-3);

    baseline_of(&db, "last", "2026-11-04T00:00:00Z", 1, 2e-3, "run n2");
    baseline_of(&db, "2-runs", "2026-11-04T00:00:00Z", 2, 2e-3, "2 runs of box: n1 .. n2");
    baseline_of(&db, "9-runs", "2026-11-04T00:00:00Z", 2, 2e-3,
                "2 runs of box (all there are): n1 .. n2");
    baseline_of(&db, "last", NULL, 1, 6e-3, "run later"); /* no start time: any */
    baseline_of(&db, "o1", NULL, 1, 4e-3, "run o1");      /* named: any system */
    baseline_of(&db, "last", "2026-11-01T00:00:00Z", 0, 0,
                "none: no earlier finished run of box");

    json_t **recs;
    int n;
    char description[256];
    cr_expect_eq(tcb_db_baseline(&db, "nope-1", "box", "tonight", NULL, &recs, &n, description,
                                 sizeof description, &d),
                 TCB_ERR_CONFIG);
    cr_expect_not_null(strstr(d.msg, "no run 'nope-1'"), "%s", d.msg);
    cr_expect_eq(tcb_db_baseline(&db, "0-runs", "box", "tonight", NULL, &recs, &n, description,
                                 sizeof description, &d),
                 TCB_ERR_CONFIG);
    cr_expect_not_null(strstr(d.msg, "'N-runs'"), "%s", d.msg);
    tcb_db_close(&db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
