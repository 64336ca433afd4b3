/* Latency-bandwidth fits (reports/fit.c): synthetic curves with known alpha
 * and beta, the clamping and refusal rules, run-directory fixtures under
 * tests/fixtures/fit/, and the prediction helpers. Recovered figures are
 * printed to stderr (run the binary to see them). */
#include "fit.h"

#include <criterion/criterion.h>
#include <unistd.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define FIX TCB_FIXTURES "/fit/"
#define RUN_A "fitfix-20261201T000000Z-aaaa"
#define RUN_B "fitfix-20261202T000000Z-bbbb"

static double rel(double got, double want) { return fabs(got - want) / fabs(want); }

/* 8 B, 32 B, ... 512 MiB by x4, then 1 GiB: 15 sizes. */
static int sweep(double *S)
{
    int n = 0;
    for (double s = 8; s < 1073741824.0; s *= 4)
        S[n++] = s;
    S[n++] = 1073741824.0;
    return n;
}

/* t = alpha + S / beta, times (1 + u), u uniform in [-noise, noise] from a
 * fixed seed, so the test sees the same data every run. */
static int curve(double alpha, double beta, double noise, unsigned long seed, double *S,
                 double *t)
{
    int n = sweep(S);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (int i = 0; i < n; i++)
        t[i] = (alpha + S[i] / beta) * (1 + noise * (2 * gsl_rng_uniform(r) - 1));
    gsl_rng_free(r);
    return n;
}

static void show(const char *what, const tcb_fit *f, double alpha, double beta)
{
    fprintf(stderr,
            "fit %-24s alpha %.6g s (true %.6g, rel err %+.2e)  beta %.6g B/s (true %.6g, "
            "rel err %+.2e)  max rel resid %.3g\n",
            what, f->alpha_s, alpha, (f->alpha_s - alpha) / alpha, f->beta_Bps, beta,
            (f->beta_Bps - beta) / beta, f->max_rel_resid);
}

static const struct {
    const char *name;
    double alpha, beta;
    unsigned long seed;
} truth[] = {
    {"5 us, 10 GB/s", 5e-6, 10e9, 1},
    {"1.5 us, 150 GB/s", 1.5e-6, 150e9, 2},
    {"20 us, 25 GB/s", 20e-6, 25e9, 3},
};

Test(fit, exact_curves_recovered_to_1e9)
{
    for (size_t k = 0; k < sizeof truth / sizeof truth[0]; k++) {
        double S[32], t[32];
        int n = curve(truth[k].alpha, truth[k].beta, 0, truth[k].seed, S, t);
        tcb_fit f;
        tcb_diag d = {{0}};
        cr_assert_eq(tcb_fit_line(S, t, n, &f, &d), TCB_OK, "%s", d.msg);
        show(truth[k].name, &f, truth[k].alpha, truth[k].beta);
        cr_expect_lt(rel(f.alpha_s, truth[k].alpha), 1e-9, "%s alpha %.17g", truth[k].name,
                     f.alpha_s);
        cr_expect_lt(rel(f.beta_Bps, truth[k].beta), 1e-9, "%s beta %.17g", truth[k].name,
                     f.beta_Bps);
        cr_expect_eq(f.flags, 0u);
        cr_expect_eq(f.points, 15);
        cr_expect_eq(f.sizes, 15);
        cr_expect_eq(f.min_bytes, 8.0);
        cr_expect_eq(f.max_bytes, 1073741824.0);
        cr_expect_lt(f.max_rel_resid, 1e-9);
    }
}

Test(fit, noisy_curves_recovered_within_2_percent)
{
    for (size_t k = 0; k < sizeof truth / sizeof truth[0]; k++) {
        double S[32], t[32];
        int n = curve(truth[k].alpha, truth[k].beta, 0.03, truth[k].seed, S, t);
        tcb_fit f;
        tcb_diag d = {{0}};
        cr_assert_eq(tcb_fit_line(S, t, n, &f, &d), TCB_OK, "%s", d.msg);
        show(truth[k].name, &f, truth[k].alpha, truth[k].beta);
        cr_expect_lt(rel(f.alpha_s, truth[k].alpha), 0.02, "%s alpha %g", truth[k].name,
                     f.alpha_s);
        cr_expect_lt(rel(f.beta_Bps, truth[k].beta), 0.02, "%s beta %g", truth[k].name,
                     f.beta_Bps);
        /* The residuals are the noise: at most 3% plus what the fit moved. */
        cr_expect_lt(f.max_rel_resid, 0.06, "%s max rel resid %g", truth[k].name,
                     f.max_rel_resid);
        cr_expect_gt(f.max_rel_resid, 0.005);
    }
}

/* Several repeats of every size (several runs, say) all count. */
Test(fit, repeated_sizes_all_count)
{
    double S[64], t[64];
    int n = curve(5e-6, 10e9, 0.03, 7, S, t);
    n += curve(5e-6, 10e9, 0.03, 8, S + n, t + n);
    tcb_fit f;
    cr_assert_eq(tcb_fit_line(S, t, n, &f, NULL), TCB_OK);
    cr_expect_eq(f.points, 30);
    cr_expect_eq(f.sizes, 15);
    cr_expect_lt(rel(f.alpha_s, 5e-6), 0.02);
    cr_expect_lt(rel(f.beta_Bps, 10e9), 0.02);
}

/* The relative weighting: a line fitted by plain least squares would follow
 * the large sizes and miss the latency; with weights 1/t^2 both ends of a
 * curve noisy by the same fraction are held to it. */
Test(fit, small_sizes_weigh_as_much_as_large)
{
    double S[32], t[32];
    int n = curve(5e-6, 10e9, 0, 1, S, t);
    t[n - 1] *= 1.03; /* 3% off at 1 GiB: 30 ms, some 6000 x alpha */
    tcb_fit f;
    cr_assert_eq(tcb_fit_line(S, t, n, &f, NULL), TCB_OK);
    fprintf(stderr, "one point 3%% off at 1 GiB: alpha %.4g s (true 5e-6), beta %.4g B/s\n",
            f.alpha_s, f.beta_Bps);
    cr_expect_lt(rel(f.alpha_s, 5e-6), 0.02, "alpha %g", f.alpha_s);
}

Test(fit, negative_alpha_clamps_and_flags)
{
    /* t = -0.1 us + S / 1 GB/s over 1 KB..1 MB: a line through a negative
     * intercept (what a pipelined protocol switch can leave behind). */
    double S[4] = {1e3, 1e4, 1e5, 1e6}, t[4];
    for (int i = 0; i < 4; i++)
        t[i] = -1e-7 + S[i] / 1e9;
    tcb_fit f;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_fit_line(S, t, 4, &f, &d), TCB_OK, "%s", d.msg);
    cr_expect_eq(f.alpha_s, 0.0);
    cr_expect(f.flags & TCB_FIT_ALPHA_CLAMPED);
    /* Through the origin with weights 1/t^2: 1/beta = sum(S/t) / sum(S^2/t^2). */
    double num = 0, den = 0;
    for (int i = 0; i < 4; i++) {
        num += S[i] / t[i];
        den += S[i] * S[i] / (t[i] * t[i]);
    }
    cr_expect_lt(rel(f.beta_Bps, den / num), 1e-12, "beta %.17g want %.17g", f.beta_Bps,
                 den / num);
    cr_expect_lt(rel(f.beta_Bps, 1e9), 0.1);
    fprintf(stderr, "negative alpha: clamped to 0, beta through origin %.6g B/s (line's 1e9)\n",
            f.beta_Bps);
    char prov[256];
    tcb_fit_provenance(&f, prov, sizeof prov);
    cr_expect(strstr(prov, "alpha clamped to 0") != NULL, "%s", prov);
}

Test(fit, single_size_refuses)
{
    double S[3] = {1024, 1024, 1024}, t[3] = {1e-6, 1.1e-6, 0.9e-6};
    tcb_fit f;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_fit_line(S, t, 3, &f, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, "only one distinct size") != NULL, "%s", d.msg);
    cr_expect_eq(tcb_fit_line(S, t, 1, &f, &d), TCB_ERR_CONFIG);
    cr_expect_eq(tcb_fit_line(S, t, 0, &f, &d), TCB_ERR_CONFIG);
}

Test(fit, shrinking_time_refuses)
{
    double S[3] = {1e3, 1e5, 1e7}, t[3] = {3e-3, 2e-3, 1e-3};
    tcb_fit f;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_fit_line(S, t, 3, &f, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, "bandwidth is not positive") != NULL, "%s", d.msg);
}

Test(fit, nonpositive_points_refuse)
{
    double S[3] = {1e3, 1e5, 1e7}, t[3] = {1e-6, 0, 1e-3};
    tcb_fit f;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_fit_line(S, t, 3, &f, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, "point 1") != NULL, "%s", d.msg);
}

Test(fit, load_groups_scopes_and_ignores_failed_records)
{
    const char *dirs[] = {FIX "run-a"};
    tcb_fit_set set;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_fit_load(dirs, 1, &set, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(set.n, 2, "node and world allreduce; not the wrong, skipped or gemm records");
    const tcb_fit *node = &set.fits[0], *world = &set.fits[1]; /* sorted: node < world */
    cr_expect_str_eq(node->scope, "node");
    cr_expect_str_eq(world->scope, "world");
    cr_expect_str_eq(world->collective, "allreduce");
    cr_expect_str_eq(world->dtype, "float32");
    cr_expect_str_eq(world->backend, "mpi");
    cr_expect_eq(world->group_ranks, 4);
    cr_expect_eq(node->group_ranks, 2);
    cr_expect_eq(world->points, 3, "the wrong record at 4 MiB is not a point");
    cr_expect_eq(node->points, 3, "the skipped record is not a point");
    show("fixture world n=4", world, 1e-5, 1e9);
    show("fixture node n=2", node, 2e-6, 1e10);
    cr_expect_lt(rel(world->alpha_s, 1e-5), 1e-9);
    cr_expect_lt(rel(world->beta_Bps, 1e9), 1e-9);
    cr_expect_lt(rel(node->alpha_s, 2e-6), 1e-9);
    cr_expect_lt(rel(node->beta_Bps, 1e10), 1e-9);
    cr_expect_lt(rel(world->busbw_Bps, 1e9 * 1.5), 1e-9, "2(n-1)/n at n=4");
    cr_expect_lt(rel(node->busbw_Bps, 1e10 * 1.0), 1e-9, "2(n-1)/n at n=2");
    cr_expect_str_eq(world->runs, RUN_A);
    cr_expect_eq(world->n_runs, 1);
    char prov[256];
    tcb_fit_provenance(world, prov, sizeof prov);
    cr_expect_str_eq(prov, "measured: run " RUN_A ", 3 points, 1 KiB..1 MiB");
    tcb_fit_set_free(&set);
    cr_expect_null(set.fits);
    cr_expect_eq(set.n, 0);
}

Test(fit, load_merges_runs_and_finds_nearest_group)
{
    const char *dirs[] = {FIX "run-a", FIX "run-b"};
    tcb_fit_set set;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_fit_load(dirs, 2, &set, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(set.n, 3, "node n=2, world n=4, world n=8");
    const tcb_fit *w4 = tcb_fit_find(&set, "allreduce", "world", 4);
    cr_assert_not_null(w4);
    cr_expect_eq(w4->group_ranks, 4);
    cr_expect_eq(w4->points, 5);
    cr_expect_eq(w4->sizes, 5);
    cr_expect_lt(rel(w4->alpha_s, 1e-5), 1e-9);
    cr_expect_lt(rel(w4->beta_Bps, 1e9), 1e-9);
    cr_expect_str_eq(w4->runs, RUN_A ", " RUN_B);
    char prov[256];
    tcb_fit_provenance(w4, prov, sizeof prov);
    cr_expect_str_eq(prov, "measured: runs " RUN_A ", " RUN_B ", 5 points, 1 KiB..16 MiB");

    const tcb_fit *w8 = tcb_fit_find(&set, "allreduce", "world", 8);
    cr_assert_not_null(w8);
    cr_expect_eq(w8->group_ranks, 8);
    cr_expect_eq(w8->points, 2, "the timeout record is not a point");
    cr_expect_lt(rel(w8->alpha_s, 2e-5), 1e-9);
    cr_expect_lt(rel(w8->busbw_Bps, 1e9 * 1.75), 1e-9);
    cr_expect_eq(tcb_fit_find(&set, "allreduce", "world", 5), w4, "nearest");
    cr_expect_eq(tcb_fit_find(&set, "allreduce", "world", 6), w8, "a tie goes to the larger");
    cr_expect_eq(tcb_fit_find(&set, "allreduce", "world", 512), w8);
    cr_expect_eq(tcb_fit_find(&set, "allreduce", "world", 0), w8, "any: the largest");
    cr_expect_eq(tcb_fit_find(&set, "allreduce", "node", 0)->group_ranks, 2);
    cr_expect_null(tcb_fit_find(&set, "allgather", "world", 4));
    cr_expect_null(tcb_fit_find(&set, "allreduce", "cross", 0));
    tcb_fit_set_free(&set);
}

Test(fit, malformed_line_names_file_and_line)
{
    const char *dirs[] = {FIX "run-a", FIX "bad"};
    tcb_fit_set set;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_fit_load(dirs, 2, &set, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, FIX "bad/results.jsonl:2: not a result record: ") == d.msg, "%s",
              d.msg);
    cr_expect_null(set.fits);
    cr_expect_eq(set.n, 0);
}

Test(fit, missing_results_file)
{
    const char *dirs[] = {FIX "no-such-run"};
    tcb_fit_set set;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_fit_load(dirs, 1, &set, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, "no-such-run/results.jsonl: cannot open") != NULL, "%s", d.msg);
}

Test(fit, a_run_without_collectives_has_no_fits)
{
    /* A run of other workloads only (here: none at all) is not an error:
     * the set is empty and the cost model falls back to the catalog. */
    char dir[] = "/tmp/tcb_test_fit_XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fclose(f);
    const char *dirs[] = {dir};
    tcb_fit_set set;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_fit_load(dirs, 1, &set, &d), TCB_OK, "%s", d.msg);
    cr_expect_eq(set.n, 0);
    cr_expect_eq(set.unfit, 0);
    cr_expect_null(tcb_fit_find(&set, "allreduce", "node", 8));
    tcb_fit_set_free(&set);
    unlink(path);
    rmdir(dir);
}

Test(fit, unfittable_group_left_out_and_named)
{
    const char *dirs[] = {FIX "one-size"};
    tcb_fit_set set;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_fit_load(dirs, 1, &set, &d), TCB_OK, "%s", d.msg);
    cr_expect_eq(set.n, 0);
    cr_expect_eq(set.unfit, 1);
    cr_expect(strstr(set.unfit_why, "cannot fit allgather scope cross dtype bfloat16 ranks 2 "
                                    "backend mpi (runs fitfix-20261204T000000Z-dddd): only one "
                                    "distinct size") == set.unfit_why,
              "%s", set.unfit_why);
    tcb_fit_set_free(&set);
}

Test(fit, time_is_alpha_plus_size_over_beta)
{
    tcb_fit f = {.alpha_s = 5e-6, .beta_Bps = 10e9};
    cr_expect_float_eq(tcb_fit_time(&f, 0), 5e-6, 1e-20);
    cr_expect_float_eq(tcb_fit_time(&f, 1e9), 5e-6 + 0.1, 1e-15);
    cr_expect_float_eq(tcb_fit_time(&f, 50e3), 10e-6, 1e-18, "the half-bandwidth point");
}

Test(fit, allreduce_time_scales_by_ring_model)
{
    tcb_fit f = {.collective = "allreduce", .group_ranks = 8, .alpha_s = 7e-6,
                 .beta_Bps = 100e9};
    double t;
    bool extra = true;
    /* Same n: exactly the fit, not an extrapolation. */
    cr_assert_eq(tcb_fit_allreduce_time(&f, 1e9, 8, &t, &extra, NULL), TCB_OK);
    cr_expect_float_eq(t, tcb_fit_time(&f, 1e9), 1e-15);
    cr_expect(!extra);
    /* n = 1024: latency x 1023/7; bandwidth x (2*1023/1024) / (2*7/8). */
    cr_assert_eq(tcb_fit_allreduce_time(&f, 1e9, 1024, &t, &extra, NULL), TCB_OK);
    double want = 7e-6 * 1023.0 / 7.0 + 1e9 / 100e9 * (2.0 * 1023 / 1024) / (2.0 * 7 / 8);
    cr_expect_float_eq(t, want, 1e-15, "t %.17g want %.17g", t, want);
    cr_expect(extra);
    fprintf(stderr, "allreduce 1 GB: %.6g s at n=8 (fit), %.6g s at n=1024 (ring model)\n",
            tcb_fit_time(&f, 1e9), t);
    /* n = 2 from a fit at 8: fewer steps, less data per rank. */
    cr_assert_eq(tcb_fit_allreduce_time(&f, 1e6, 2, &t, NULL, NULL), TCB_OK);
    cr_expect_float_eq(t, 1e-6 + 1e6 / 100e9 * 1.0 / 1.75, 1e-18);
    cr_assert_eq(tcb_fit_allreduce_time(&f, 1e6, 1, &t, NULL, NULL), TCB_OK);
    cr_expect_eq(t, 0.0, "one rank moves nothing");
}

Test(fit, allreduce_time_refuses_other_fits)
{
    tcb_fit f = {.collective = "allgather", .scope = "world", .dtype = "float32",
                 .backend = "mpi", .group_ranks = 8, .alpha_s = 7e-6, .beta_Bps = 100e9};
    double t;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_fit_allreduce_time(&f, 1e6, 16, &t, NULL, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, "allgather scope world") != NULL, "%s", d.msg);
    strcpy(f.collective, "allreduce");
    f.group_ranks = 1;
    cr_expect_eq(tcb_fit_allreduce_time(&f, 1e6, 16, &t, NULL, &d), TCB_ERR_CONFIG);
    f.group_ranks = 8;
    cr_expect_eq(tcb_fit_allreduce_time(&f, 1e6, 0, &t, NULL, &d), TCB_ERR_CONFIG);
}
