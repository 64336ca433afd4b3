/* reports/trend.c: `tcbench db trend`. Real SQLite files in a temporary
 * directory, filled by tcb_db_import with synthetic nights built in memory:
 * allreduce cases whose time_s.median (and busbw_GBps, its inverse) follow
 * a planted history with Gaussian noise from a seeded gsl_rng. The
 * detection figures are logged with cr_log_info (--verbose=0 shows them). */
#include "commands.h"
#include "db.h"
#include "trend.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/redirect.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOISE 0.02   /* a night's median wanders 2% */
#define MAX_CASES 64
#define MAX_LINES 256

static char dir[64], db_path[128];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/tcb_test_trend_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/h.db", dir);
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(trend, .init = make_dir, .fini = remove_dir, .timeout = 60);

/* The options `tcbench db trend` defaults to. */
static tcb_trend_opts defaults(void)
{
    return (tcb_trend_opts){
        .cp = {.permutations = 199, .significance = 0.05, .min_size = 5, .seed = 1}};
}

/* ---- synthetic nights ---------------------------------------------------------- */

/* One case of a night: the record `tcbench run` would write for an
 * allreduce of `size` bytes taking `seconds`, with check status `status`. */
static json_t *record_new(const char *run_id, int index, int size, double seconds,
                          const char *status)
{
    json_t *r = json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s, s:i}, s:i, s:i, s:{s:f}, "
                          "s:{s:f}, s:{s:s}, s:[f]}",
                          "schema", "tcbench.result/1", "run_id", run_id, "case", index,
                          "workload", "collective", "backend", "mpi", "params", "collective",
                          "allreduce", "size", size, "ranks", 2, "nodes", 1, "time_s", "median",
                          seconds, "metrics", "busbw_GBps", size / seconds / 1e9, "check",
                          "status", status, "samples_s", seconds);
    cr_assert_not_null(r);
    return r;
}

/* Night `night` of `system`: run id SYSTEM-NNN starting NIGHT days after
 * 2026-01-01, with ncases cases; case c is an allreduce of 1024 (c + 1) bytes
 * taking seconds[c], status[c] ("ok" when status is NULL). */
static void night_import(tcb_db *db, const char *system, int night, bool finished, int ncases,
                         const double *seconds, const char *const *status)
{
    char run_id[64], start[32];
    snprintf(run_id, sizeof run_id, "%s-%03d%s", system, night, finished ? "" : "-unfinished");
    time_t when = 1767225600 + (time_t)night * 86400; /* 2026-01-01T00:00:00Z */
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", &tm);

    tcb_run_dir run = {.dir = "(memory)"};
    run.manifest = json_pack("{s:s, s:s, s:s, s:b, s:[{s:s}], s:{s:s}}", "schema",
                             "tcbench.run/1", "run_id", run_id, "start_utc", start, "finished",
                             finished, "nodes", "hostname", "n01", "suite", "name", "nightly");
    cr_assert_not_null(run.manifest);
    run.run_id = json_string_value(json_object_get(run.manifest, "run_id"));
    run.records = calloc((size_t)ncases, sizeof *run.records);
    cr_assert_not_null(run.records);
    for (int c = 0; c < ncases; c++)
        run.records[run.n++] = record_new(run_id, c, 1024 * (c + 1), seconds[c],
                                          status != NULL ? status[c] : "ok");
    snprintf(run.hash, sizeof run.hash, "%016x", (unsigned)(night * 2 + finished));
    tcb_diag d = {{0}};
    tcb_db_outcome outcome;
    cr_assert_eq(tcb_db_import(db, &run, system, &outcome, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(outcome, TCB_DB_ADDED);
    tcb_run_dir_free(&run);
}

/* A planted history: case c's time on night i is 1 ms x (1 + drift i)
 * x (step from night step_at on) x (back from night back_at on)
 * x (1 + NOISE N(0, 1)). */
typedef struct {
    int nights, ncases;
    int step_at, back_at; /* 0: no step */
    double step, back;    /* factors */
    double drift;         /* per night */
    unsigned long seed; /* of the noise */
    bool reverse;       /* import the newest night first */
} history;

static void history_import(tcb_db *db, const char *system, const history *h)
{
    cr_assert_leq(h->ncases, MAX_CASES);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, h->seed);
    double *t = malloc((size_t)h->nights * MAX_CASES * sizeof *t);
    cr_assert_not_null(t);
    for (int i = 0; i < h->nights; i++)
        for (int c = 0; c < h->ncases; c++) {
            double level = 1e-3 * (1 + h->drift * i);
            level *= h->step_at && i >= h->step_at ? h->step : 1;
            level *= h->back_at && i >= h->back_at ? h->back : 1;
            t[i * MAX_CASES + c] = level * (1 + gsl_ran_gaussian(rng, NOISE));
        }
    for (int k = 0; k < h->nights; k++) {
        int i = h->reverse ? h->nights - 1 - k : k;
        night_import(db, system, i, true, h->ncases, t + i * MAX_CASES, NULL);
    }
    free(t);
    gsl_rng_free(rng);
}

static void db_make(tcb_db *db)
{
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_db_open(db_path, true, db, &d), TCB_OK, "%s", d.msg);
}

/* ---- running it and reading what it printed -------------------------------- */

typedef struct {
    tcb_status status;
    char text[1 << 16];
    int n_changes;
    tcb_diag d;
} outcome;

static void trend_run(tcb_db *db, const tcb_trend_opts *o, outcome *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    memset(r, 0, sizeof *r);
    r->n_changes = -1;
    r->status = tcb_db_trend(db, o, f, &r->n_changes, &r->d);
    fclose(f);
    cr_assert_lt(len, sizeof r->text, "room for the whole report");
    memcpy(r->text, buf, len + 1);
    free(buf);
}

/* The header's numbers. */
typedef struct {
    char system[64];
    int runs, series, changes, too_short;
} header;

static header header_read(const char *text)
{
    header h;
    int n = sscanf(text,
                   "# trend: system %63[^,], %d finished runs, %d series, %d change points "
                   "(E-divisive, 199 permutations, significance 0.05, min size %*d; %d series "
                   "too short)",
                   h.system, &h.runs, &h.series, &h.changes, &h.too_short);
    cr_assert_eq(n, 5, "header not as documented:\n%s", text);
    return h;
}

/* One printed change point, and the series line above it. */
typedef struct {
    char series[256]; /* "LABEL  METRIC: N nights, ..." */
    int night, n;     /* 1-based index into the series of n values */
    char run[64];
    double before, after, percent;
    char way[16]; /* "worse", "better" */
} change;

static int changes_read(const char *text, change *out, int max)
{
    char series[256] = "";
    int n = 0;
    for (const char *p = text; *p != '\0' && n < max;) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        if (line[0] != '#' && line[0] != ' ')
            snprintf(series, sizeof series, "%.255s", line);
        if (strncmp(line, "  night ", 8) == 0) {
            change *c = &out[n++];
            memcpy(c->series, series, sizeof c->series);
            int got = sscanf(line, "  night %d of %d, run %63s (%*[^)]): median %lf -> %lf, "
                                   "%lf%% %15[a-z]",
                             &c->night, &c->n, c->run, &c->before, &c->after, &c->percent, c->way);
            cr_assert_eq(got, 7, "change point line not as documented: %s", line);
        }
        p += len + (end != NULL);
    }
    return n;
}

/* The change points of metric `metric` (the series line's " METRIC: "). */
static int changes_of(const change *all, int n, const char *metric, change *out)
{
    char tag[64];
    snprintf(tag, sizeof tag, "  %s: ", metric);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (strstr(all[i].series, tag) != NULL)
            out[k++] = all[i];
    return k;
}

/* ---- finding what is there --------------------------------------------------- */

/* 40 nights, +10% time from night 20 (0-based) on. The nights are imported
 * newest first, so only start_utc puts them in order. */
Test(trend, a_ten_percent_step_is_found_at_its_night_in_both_metrics)
{
    tcb_db db;
    db_make(&db);
    history h = {.nights = 40, .ncases = 1, .step_at = 20, .step = 1.10, .seed = 11,
                 .reverse = true};
    history_import(&db, "dgx", &h);
    tcb_trend_opts o = defaults();
    outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    header hd = header_read(r.text);
    cr_expect_str_eq(hd.system, "dgx", "the only system is taken");
    cr_expect_eq(hd.runs, 40);
    cr_expect_eq(hd.series, 2, "time_s and busbw_GBps");
    cr_expect_eq(hd.changes, r.n_changes);
    change all[MAX_LINES], cp[MAX_LINES];
    int n = changes_read(r.text, all, MAX_LINES);
    cr_expect_eq(n, r.n_changes, "one line per change point:\n%s", r.text);

    int k = changes_of(all, n, "time_s", cp);
    cr_assert_eq(k, 1, "one step, one change point in time_s:\n%s", r.text);
    cr_expect_leq(abs(cp[0].night - 21), 2, "night %d of the series, planted at 21:\n%s",
                  cp[0].night, r.text);
    cr_expect_eq(cp[0].n, 40);
    cr_expect_str_eq(cp[0].way, "worse", "slower is worse");
    cr_expect(cp[0].percent > 5 && cp[0].percent < 15, "%+.3g%%", cp[0].percent);
    char want[64];
    snprintf(want, sizeof want, "dgx-%03d", cp[0].night - 1);
    cr_expect_str_eq(cp[0].run, want, "the first night after the change, by start_utc");
    cr_expect(strstr(r.text, "time_s: 40 nights, lower is better") != NULL, "%s", r.text);

    k = changes_of(all, n, "busbw_GBps", cp);
    cr_assert_eq(k, 1, "%s", r.text);
    cr_expect_leq(abs(cp[0].night - 21), 2);
    cr_expect_str_eq(cp[0].way, "worse", "less bandwidth is worse");
    cr_expect(cp[0].percent < -5 && cp[0].percent > -15, "%+.3g%%", cp[0].percent);
    cr_log_info("10%% step at night 21 of 40, 2%% noise: found at night %d", cp[0].night);
    tcb_db_close(&db);
}

/* The same step under 30 noise draws: each found, within two nights. */
Test(trend, a_ten_percent_step_is_found_within_two_nights_under_any_noise)
{
    tcb_db db;
    db_make(&db);
    history h = {.nights = 40, .ncases = 30, .step_at = 20, .step = 1.10, .seed = 5};
    history_import(&db, "dgx", &h);
    tcb_trend_opts o = defaults();
    o.metric = "time_s";
    outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    change all[MAX_LINES];
    int n = changes_read(r.text, all, MAX_LINES), near = 0, cases_near = 0;
    const char *last = "";
    for (int i = 0; i < n; i++) {
        bool hit = abs(all[i].night - 21) <= 2 && strcmp(all[i].way, "worse") == 0;
        near += hit;
        cases_near += hit && strcmp(last, all[i].series) != 0;
        if (hit)
            last = all[i].series;
    }
    cr_log_info("10%% step, 30 noise draws: %d found within 2 nights, %d change points in all",
                cases_near, n);
    cr_expect_eq(cases_near, 30, "every draw finds the step:\n%s", r.text);
    cr_expect_leq(n - near, 3, "few extra change points:\n%s", r.text);
    tcb_db_close(&db);
}

/* 0.5% a night over 40 nights: no night differs much from the one before,
 * but the history does. */
Test(trend, a_slow_drift_is_found)
{
    tcb_db db;
    db_make(&db);
    history h = {.nights = 40, .ncases = 20, .drift = 0.005, .seed = 3};
    history_import(&db, "dgx", &h);
    tcb_trend_opts o = defaults();
    static outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    change all[MAX_LINES], cp[MAX_LINES];
    int n = changes_read(r.text, all, MAX_LINES);
    int k = changes_of(all, n, "time_s", cp), series = 0, worse = 0;
    const char *last = "";
    for (int i = 0; i < k; i++) {
        worse += strcmp(cp[i].way, "worse") == 0;
        series += strcmp(last, cp[i].series) != 0;
        last = cp[i].series;
    }
    cr_log_info("0.5%%/night drift, 20 noise draws: found in %d, %d change points, %d worse",
                series, k, worse);
    cr_expect_geq(series, 18, "the drift is found in (almost) every draw:\n%s", r.text);
    cr_expect_eq(worse, k, "a time that grows only gets worse:\n%s", r.text);
    k = changes_of(all, n, "busbw_GBps", cp);
    for (int i = 0; i < k; i++)
        cr_expect_str_eq(cp[i].way, "worse", "bandwidth that falls only gets worse");
    tcb_db_close(&db);
}

/* Noise alone: 50 cases, 40 nights each. Under no change every night's
 * value is exchangeable, so the first permutation test rejects with
 * probability 10/200 = 0.05, and the series with a false change point are
 * Binomial(50, 0.05): mean 2.5, P(more than 7) = 0.0032. Above 7 means the
 * test no longer holds its level. */
Test(trend, noise_alone_rarely_yields_a_change_point)
{
    tcb_db db;
    db_make(&db);
    history h = {.nights = 40, .ncases = 50, .seed = 2};
    history_import(&db, "dgx", &h);
    tcb_trend_opts o = defaults();
    o.metric = "time_s";
    outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    header hd = header_read(r.text);
    cr_expect_eq(hd.series, 50);
    cr_expect_eq(hd.too_short, 0);
    change all[MAX_LINES];
    int n = changes_read(r.text, all, MAX_LINES), series = 0;
    const char *last = "";
    for (int i = 0; i < n; i++) {
        series += strcmp(last, all[i].series) != 0;
        last = all[i].series;
    }
    cr_log_info("noise alone, 50 series of 40 nights: %d with a change point (%d in all)",
                series, n);
    cr_expect_leq(series, 7, "false change points in %d of 50 series:\n%s", series, r.text);
    tcb_db_close(&db);
}

Test(trend, no_change_points_is_said_and_is_not_an_error)
{
    tcb_db db;
    db_make(&db);
    history h = {.nights = 40, .ncases = 1, .seed = 1};
    history_import(&db, "dgx", &h);
    tcb_trend_opts o = defaults();
    outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    cr_expect_eq(r.n_changes, 0, "%s", r.text);
    cr_expect(strstr(r.text, "\n# no change points\n") != NULL, "%s", r.text);
    tcb_db_close(&db);
}

/* ---- what goes into a series ---------------------------------------------- */

/* 30 finished nights; case 0 fails on nights 10..19 taking ten times as
 * long; 10 unfinished runs in between take ten times as long too. Left out,
 * the series are 20 nights of noise: too short for min size 11, and without
 * a change point at min size 5. Taken in, either would make them 30 nights
 * long with a tenfold step. */
static void import_with_failures(tcb_db *db)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4);
    for (int i = 0; i < 30; i++) {
        bool failing = i >= 10 && i < 20;
        double t[1] = {(failing ? 10e-3 : 1e-3) * (1 + gsl_ran_gaussian(rng, NOISE))};
        const char *status[1] = {failing ? "failed" : "ok"};
        night_import(db, "dgx", i, true, 1, t, status);
        if (i % 3 == 0) {
            double slow[1] = {10e-3};
            night_import(db, "dgx", i, false, 1, slow, NULL);
        }
    }
    gsl_rng_free(rng);
}

Test(trend, failed_cases_and_unfinished_runs_are_left_out)
{
    tcb_db db;
    db_make(&db);
    import_with_failures(&db);
    tcb_trend_opts o = defaults();
    o.cp.min_size = 11;
    outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    header hd = header_read(r.text);
    cr_expect_eq(hd.runs, 30, "unfinished runs are not nights:\n%s", r.text);
    cr_expect_eq(hd.series, 2);
    cr_expect_eq(hd.too_short, 2, "20 ok nights < 2 x 11:\n%s", r.text);

    o.cp.min_size = 5;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    change all[MAX_LINES];
    int n = changes_read(r.text, all, MAX_LINES);
    cr_expect(strstr(r.text, ": 20 nights, ") != NULL || n == 0, "%s", r.text);
    /* Noise may still make a change point of a few percent (p <= 0.05 by
     * chance); a tenfold step would be hundreds. */
    for (int i = 0; i < n; i++)
        cr_expect_lt(fabs(all[i].percent), 20, "no tenfold step from failed or unfinished "
                                               "runs:\n%s", r.text);
    tcb_db_close(&db);
}

/* A suite that lists a case twice: only the first record of the key in a
 * run counts. The first is 1 ms every night, the second 5 ms from night 10
 * on: taking the second would make a step, taking both a series of 40. */
Test(trend, a_case_twice_in_a_run_counts_once)
{
    tcb_db db;
    db_make(&db);
    for (int i = 0; i < 20; i++) {
        double t[2] = {1e-3, i < 10 ? 1e-3 : 5e-3};
        night_import(&db, "dgx", i, true, 2, t, NULL);
    }
    /* Give both records of a night one case key: the same size. */
    cr_assert_eq(sqlite3_exec(db.h,
                              "UPDATE cases SET case_key = (SELECT c0.case_key FROM cases c0 "
                              "WHERE c0.run = cases.run AND c0.case_index = 0), record = "
                              "json_set(record, '$.params.size', 1024)",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db.h));
    tcb_trend_opts o = defaults();
    o.metric = "time_s";
    outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    header hd = header_read(r.text);
    cr_expect_eq(hd.series, 1, "one case key, one series:\n%s", r.text);
    cr_expect_eq(r.n_changes, 0, "the first records are flat:\n%s", r.text);

    o.cp.min_size = 11;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    cr_expect_eq(header_read(r.text).too_short, 1,
                 "20 nights < 2 x 11, the second records left out:\n%s", r.text);
    tcb_db_close(&db);
}

Test(trend, a_series_shorter_than_twice_min_size_is_reported_too_short)
{
    tcb_db db;
    db_make(&db);
    history h = {.nights = 9, .ncases = 2, .step_at = 5, .step = 2, .seed = 1};
    history_import(&db, "dgx", &h);
    tcb_trend_opts o = defaults();
    outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    header hd = header_read(r.text);
    cr_expect_eq(hd.runs, 9);
    cr_expect_eq(hd.series, 4, "2 cases x (time_s, busbw_GBps)");
    cr_expect_eq(hd.too_short, 4, "9 nights < 2 x 5:\n%s", r.text);
    cr_expect_eq(r.n_changes, 0, "a doubling, but nothing searched");

    o.cp.min_size = 3;
    trend_run(&db, &o, &r);
    hd = header_read(r.text);
    cr_expect_eq(hd.too_short, 0, "9 nights >= 2 x 3:\n%s", r.text);
    tcb_db_close(&db);
}

/* ---- filters ----------------------------------------------------------------- */

/* Three cases (1, 2 and 3 KiB), every one with a step at night 15 of 30. */
static void import_three_cases(tcb_db *db)
{
    history h = {.nights = 30, .ncases = 3, .step_at = 15, .step = 1.3, .seed = 8};
    history_import(db, "dgx", &h);
}

Test(trend, the_case_glob_selects_cases_by_label)
{
    tcb_db db;
    db_make(&db);
    import_three_cases(&db);
    tcb_trend_opts o = defaults();
    o.case_glob = "collective mpi * size=2048";
    outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    header hd = header_read(r.text);
    cr_expect_eq(hd.series, 2, "one case, two metrics:\n%s", r.text);
    cr_expect_geq(r.n_changes, 2, "%s", r.text);
    change all[MAX_LINES];
    int n = changes_read(r.text, all, MAX_LINES);
    for (int i = 0; i < n; i++)
        cr_expect(strstr(all[i].series, "collective mpi ranks=2 nodes=1 collective=allreduce "
                                        "size=2048  ") == all[i].series,
                  "only the 2 KiB case, by its label: %s", all[i].series);
    cr_expect(strstr(r.text, "size=1024") == NULL && strstr(r.text, "size=3072") == NULL,
              "%s", r.text);
    tcb_db_close(&db);
}

Test(trend, a_glob_that_matches_nothing_says_so)
{
    tcb_db db;
    db_make(&db);
    import_three_cases(&db);
    tcb_trend_opts o = defaults();
    o.case_glob = "*alltoall*";
    outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "not an error: %s", r.d.msg);
    cr_expect_eq(r.n_changes, 0);
    cr_expect_eq(header_read(r.text).series, 0);
    cr_expect(strstr(r.text, "# --case '*alltoall*' matches none of the 3 cases") != NULL,
              "%s", r.text);
    tcb_db_close(&db);
}

Test(trend, the_metric_filter_selects_one_metric)
{
    tcb_db db;
    db_make(&db);
    import_three_cases(&db);
    tcb_trend_opts o = defaults();
    o.metric = "busbw_GBps";
    outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    cr_expect_eq(header_read(r.text).series, 3, "three cases, one metric:\n%s", r.text);
    change all[MAX_LINES], cp[MAX_LINES];
    int n = changes_read(r.text, all, MAX_LINES);
    cr_expect_geq(n, 3, "a step in every case:\n%s", r.text);
    cr_expect_eq(changes_of(all, n, "busbw_GBps", cp), n, "only busbw_GBps:\n%s", r.text);

    o.metric = "tflops"; /* judged, but no collective has it */
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    cr_expect_eq(header_read(r.text).series, 0);
    cr_expect(strstr(r.text, "# no series") != NULL, "%s", r.text);
    tcb_db_close(&db);
}

/* The same database and options print the same bytes, and a series' change
 * points do not depend on which other series were selected: noise alone,
 * where a few series get a marginal change point whose p-value would move
 * with the permutations drawn. */
Test(trend, the_output_is_deterministic_and_independent_of_the_selection)
{
    tcb_db db;
    db_make(&db);
    history h = {.nights = 40, .ncases = 50, .seed = 2};
    history_import(&db, "dgx", &h);
    tcb_trend_opts o = defaults();
    o.metric = "time_s";
    static outcome a, b, one;
    trend_run(&db, &o, &a);
    trend_run(&db, &o, &b);
    cr_assert_eq(a.status, TCB_OK, "%s", a.d.msg);
    cr_expect_str_eq(a.text, b.text);
    change all[MAX_LINES];
    int n = changes_read(a.text, all, MAX_LINES);
    cr_assert_gt(n, 0, "a series with a (false) change point to select:\n%s", a.text);
    char glob[256];
    snprintf(glob, sizeof glob, "%s", all[n - 1].series);
    *strstr(glob, "  time_s: ") = '\0'; /* the label */
    o.case_glob = glob;
    trend_run(&db, &o, &one);
    cr_assert_eq(one.status, TCB_OK, "%s", one.d.msg);
    cr_expect_eq(header_read(one.text).series, 1, "%s", one.text);
    const char *body = strchr(one.text, '\n') + 1;
    cr_expect(strstr(a.text, body) != NULL, "alone:\n%s\namong all:\n%s", body, a.text);
    tcb_db_close(&db);
}

/* Up 30% on night 15, back down on night 30: the medians either side of
 * each change point are those of its own segments. */
Test(trend, a_change_and_its_return_are_measured_between_neighbours)
{
    tcb_db db;
    db_make(&db);
    history h = {.nights = 45, .ncases = 1, .step_at = 15, .step = 1.3, .back_at = 30,
                 .back = 1 / 1.3, .seed = 6};
    history_import(&db, "dgx", &h);
    tcb_trend_opts o = defaults();
    o.metric = "time_s";
    outcome r;
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    change cp[MAX_LINES];
    int n = changes_read(r.text, cp, MAX_LINES);
    cr_assert_eq(n, 2, "%s", r.text);
    cr_expect_leq(abs(cp[0].night - 16), 2, "%s", r.text);
    cr_expect_leq(abs(cp[1].night - 31), 2, "%s", r.text);
    cr_expect_str_eq(cp[0].way, "worse");
    cr_expect_str_eq(cp[1].way, "better");
    for (int i = 0; i < 2; i++) {
        double before = i == 0 ? 1e-3 : 1.3e-3, after = i == 0 ? 1.3e-3 : 1e-3;
        cr_expect_lt(fabs(cp[i].before / before - 1), 0.03, "%s", r.text);
        cr_expect_lt(fabs(cp[i].after / after - 1), 0.03, "%s", r.text);
    }
    tcb_db_close(&db);
}

/* ---- what is refused ----------------------------------------------------------- */

Test(trend, an_unknown_metric_is_refused_with_the_judged_ones)
{
    tcb_db db;
    db_make(&db);
    import_three_cases(&db);
    tcb_trend_opts o = defaults();
    o.metric = "bytes";
    outcome r;
    trend_run(&db, &o, &r);
    cr_expect_eq(r.status, TCB_ERR_CONFIG);
    cr_expect(strstr(r.d.msg, "metric 'bytes' is not one the gate judges: time_s, "
                              "busbw_GBps, ") != NULL,
              "%s", r.d.msg);
    cr_expect(strstr(r.d.msg, "achievable_mfu") != NULL, "every judged one: %s", r.d.msg);
    cr_expect_str_eq(r.text, "", "nothing printed");
    tcb_db_close(&db);
}

static void import_two_systems(tcb_db *db)
{
    history a = {.nights = 12, .ncases = 1, .seed = 1};
    history b = {.nights = 15, .ncases = 1, .seed = 2};
    history_import(db, "beta", &b);
    history_import(db, "alpha", &a);
}

Test(trend, an_unknown_system_is_refused_naming_those_there)
{
    tcb_db db;
    db_make(&db);
    import_two_systems(&db);
    tcb_trend_opts o = defaults();
    o.system = "gamma";
    outcome r;
    trend_run(&db, &o, &r);
    cr_expect_eq(r.status, TCB_ERR_CONFIG);
    cr_expect(strstr(r.d.msg, "no system 'gamma'; the database has: alpha, beta") != NULL, "%s",
              r.d.msg);
    tcb_db_close(&db);
}

Test(trend, several_systems_need_one_named)
{
    tcb_db db;
    db_make(&db);
    import_two_systems(&db);
    tcb_trend_opts o = defaults();
    outcome r;
    trend_run(&db, &o, &r);
    cr_expect_eq(r.status, TCB_ERR_CONFIG);
    cr_expect(strstr(r.d.msg, "2 systems") != NULL && strstr(r.d.msg, "alpha, beta") != NULL,
              "%s", r.d.msg);

    o.system = "beta";
    trend_run(&db, &o, &r);
    cr_assert_eq(r.status, TCB_OK, "%s", r.d.msg);
    header hd = header_read(r.text);
    cr_expect_str_eq(hd.system, "beta");
    cr_expect_eq(hd.runs, 15, "beta's runs only");
    tcb_db_close(&db);
}

Test(trend, an_empty_database_and_bad_options_are_refused)
{
    tcb_db db;
    db_make(&db);
    tcb_trend_opts o = defaults();
    outcome r;
    trend_run(&db, &o, &r);
    cr_expect_eq(r.status, TCB_ERR_CONFIG);
    cr_expect(strstr(r.d.msg, "no runs yet") != NULL, "%s", r.d.msg);
    import_three_cases(&db);
    const tcb_changepoint_opts bad[] = {
        {.permutations = 199, .significance = 0.05, .min_size = 1},
        {.permutations = 0, .significance = 0.05, .min_size = 5},
        {.permutations = 199, .significance = 1, .min_size = 5},
        {.permutations = 199, .significance = 0, .min_size = 5},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.cp = bad[i];
        trend_run(&db, &o, &r);
        cr_expect_eq(r.status, TCB_ERR_CONFIG, "options %zu", i);
        cr_expect_eq(r.n_changes, 0);
    }
    tcb_db_close(&db);
}

/* ---- the command line ---------------------------------------------------------- */

static tcb_status cli(const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "db";
    for (; args[argc - 1] != NULL; argc++)
        argv[argc] = (char *)args[argc - 1];
    argv[argc] = NULL;
    fflush(stdout);
    return tcb_cmd_db(argc, argv);
}

Test(trend, the_command_line_checks_its_values_and_reports_with_status_0)
{
    tcb_db db;
    db_make(&db);
    import_three_cases(&db);
    tcb_db_close(&db);
    cr_redirect_stdout();
    cr_redirect_stderr();
    cr_expect_eq(cli((const char *[]){"trend", "--db", db_path, NULL}), TCB_OK,
                 "change points found: still 0");
    cr_expect_eq(cli((const char *[]){"trend", "--db", db_path, "--case", "nothing", "--metric",
                                      "mfu", "--min-size", "3", "--permutations", "9",
                                      "--significance", "0.2", "--seed", "7", NULL}),
                 TCB_OK);
    const char *bad[][3] = {
        {"--min-size", "1"},       {"--min-size", "5x"},      {"--permutations", "0"},
        {"--permutations", "x"},   {"--significance", "0"},   {"--significance", "1"},
        {"--significance", "0.5a"}, {"--seed", "-1"},         {"--seed", ""},
        {"--metric", "bytes"},     {"--system", "nowhere"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(cli((const char *[]){"trend", "--db", db_path, bad[i][0], bad[i][1], NULL}),
                     TCB_ERR_CONFIG, "%s '%s'", bad[i][0], bad[i][1]);
    cr_expect_eq(cli((const char *[]){"list", "--db", db_path, "--metric", "time_s", NULL}),
                 TCB_ERR_CONFIG, "trend's options are trend's");
    cr_expect_eq(cli((const char *[]){"trend", "--db", db_path, "extra", NULL}), TCB_ERR_CONFIG);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/missing.db", dir);
    cr_expect_eq(cli((const char *[]){"trend", "--db", missing, NULL}), TCB_ERR_CONFIG);
    cr_expect_neq(access(missing, F_OK), 0, "a missing database is not made");
}
