/* `tcbench db trend`: see trend.h. */
#include "trend.h"

#include "directions.h"
#include "run_dir.h"

#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The system's finished runs in night order, and what one call works with.
 * Every per-night array is n_nights long; cp has room for the most change
 * points a series can have (segments are at least min_size long). */
typedef struct {
    tcb_db *db;
    const tcb_trend_opts *o;
    char system[256];
    char **run_id, **start_utc; /* [night], malloc'd */
    int n_nights;
    json_t **recs;       /* [night] the current case's first record, when ok */
    unsigned char *seen; /* [night] 1 once the case's first record there was met */
    double *x, *sorted;  /* [night] the series, and a copy to take medians of */
    int *at;             /* [night] the night of each value of x */
    tcb_changepoint *cp; /* [max_cp] */
    int max_cp;
    FILE *body;          /* everything after the header, kept until the counts are known */
    char *body_buf;
    size_t body_len;
    int cases, matched, series, too_short, changes;
} trend;

/* ---- options and the system ----------------------------------------------- */

static tcb_status check_metric(const char *metric, tcb_diag *d)
{
    if (metric == NULL || tcb_direction_find(metric) != NULL)
        return TCB_OK;
    char names[512] = "";
    size_t len = 0;
    for (const tcb_direction *m = tcb_directions; m->name != NULL && len < sizeof names; m++)
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
                                m == tcb_directions ? "" : ", ", m->name);
    return tcb_diag_set(d, TCB_ERR_CONFIG, "metric '%s' is not one the gate judges: %s", metric,
                        names);
}

/* The same limits tcb_changepoint_find enforces, checked before anything is
 * read so that a history whose series are all too short still refuses them. */
static tcb_status check_cp(const tcb_changepoint_opts *cp, tcb_diag *d)
{
    if (cp->min_size < 2)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "trend: min size %d: must be at least 2",
                            cp->min_size);
    if (cp->permutations < 1)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "trend: permutations %d: must be at least 1",
                            cp->permutations);
    if (!(cp->significance > 0 && cp->significance < 1))
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "trend: significance %g: must lie strictly between 0 and 1",
                            cp->significance);
    return TCB_OK;
}

/* Picks the system: the one asked for if the database has it, else the only
 * one there. Every refusal names the systems that exist. */
static tcb_status trend_pick_system(trend *t, tcb_diag *d)
{
    tcb_db *db = t->db;
    sqlite3_stmt *st;
    TCB_SQL_CHECK(db, sqlite3_prepare_v2(db->h, "SELECT DISTINCT system FROM runs ORDER BY system",
                                         -1, &st, NULL),
                  d, "list systems");
    char names[512] = "";
    size_t len = 0;
    int n = 0, rc;
    bool found = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        s = s != NULL ? s : "?"; /* NOT NULL column: only out of memory */
        if (n == 0)
            snprintf(t->system, sizeof t->system, "%s", s);
        found = found || (t->o->system != NULL && strcmp(s, t->o->system) == 0);
        if (len < sizeof names)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", n ? ", " : "", s);
        n++;
    }
    sqlite3_finalize(st);
    TCB_SQL_CHECK(db, rc, d, "list systems");
    if (n == 0)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s: no runs yet (tcbench db import adds them)",
                            db->path);
    if (t->o->system != NULL && !found)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s: no system '%s'; the database has: %s",
                            db->path, t->o->system, names);
    if (t->o->system == NULL && n > 1)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s: %d systems, name one (--system): %s", db->path, n, names);
    if (t->o->system != NULL)
        snprintf(t->system, sizeof t->system, "%s", t->o->system);
    return TCB_OK;
}

/* ---- the nights and the work arrays ------------------------------------------ */

/* The night order: start_utc, then import order for runs that started at
 * the same time (or have no start). The case query numbers them the same. */
#define NIGHTS_SQL "FROM runs WHERE system = ?1 AND finished ORDER BY start_utc, id"

/* Prepares sql with the system bound to ?1; the caller finalizes *st. */
static tcb_status trend_prepare(trend *t, const char *sql, sqlite3_stmt **st, tcb_diag *d,
                                const char *what)
{
    TCB_SQL_CHECK(t->db, sqlite3_prepare_v2(t->db->h, sql, -1, st, NULL), d, what);
    int rc = sqlite3_bind_text(*st, 1, t->system, -1, SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
        sqlite3_finalize(*st);
    TCB_SQL_CHECK(t->db, rc, d, what);
    return TCB_OK;
}

static tcb_status trend_count_nights(trend *t, tcb_diag *d)
{
    sqlite3_stmt *st;
    TCB_CHECK(trend_prepare(t, "SELECT count(*) " NIGHTS_SQL, &st, d, "count runs"));
    int rc = sqlite3_step(st);
    t->n_nights = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    TCB_SQL_CHECK(t->db, rc, d, "count runs");
    return TCB_OK;
}

static tcb_status trend_alloc(trend *t, tcb_diag *d)
{
    size_t n = (size_t)t->n_nights + 1; /* + 1: no zero-size allocations */
    t->max_cp = t->n_nights / t->o->cp.min_size + 1;
    t->run_id = calloc(n, sizeof *t->run_id);
    t->start_utc = calloc(n, sizeof *t->start_utc);
    t->recs = calloc(n, sizeof *t->recs);
    t->seen = calloc(n, sizeof *t->seen);
    t->x = calloc(n, sizeof *t->x);
    t->sorted = calloc(n, sizeof *t->sorted);
    t->at = calloc(n, sizeof *t->at);
    t->cp = calloc((size_t)t->max_cp, sizeof *t->cp);
    t->body = open_memstream(&t->body_buf, &t->body_len);
    if (!t->run_id || !t->start_utc || !t->recs || !t->seen || !t->x || !t->sorted || !t->at ||
        !t->cp || !t->body)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "trend: out of memory");
    return TCB_OK;
}

static void trend_free(trend *t)
{
    for (int i = 0; i < t->n_nights; i++) {
        if (t->run_id != NULL)
            free(t->run_id[i]);
        if (t->start_utc != NULL)
            free(t->start_utc[i]);
        if (t->recs != NULL)
            json_decref(t->recs[i]);
    }
    free(t->run_id);
    free(t->start_utc);
    free(t->recs);
    free(t->seen);
    free(t->x);
    free(t->sorted);
    free(t->at);
    free(t->cp);
    if (t->body != NULL)
        fclose(t->body);
    free(t->body_buf);
}

static char *dup_text(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return strdup(s != NULL ? (const char *)s : "-");
}

static tcb_status trend_load_nights(trend *t, tcb_diag *d)
{
    sqlite3_stmt *st;
    TCB_CHECK(trend_prepare(t, "SELECT run_id, start_utc " NIGHTS_SQL, &st, d, "read runs"));
    int rc = SQLITE_DONE;
    bool ok = true;
    /* Inside the read transaction: the count cannot have changed. */
    for (int i = 0; ok && i < t->n_nights && (rc = sqlite3_step(st)) == SQLITE_ROW; i++) {
        t->run_id[i] = dup_text(st, 0);
        t->start_utc[i] = dup_text(st, 1);
        ok = t->run_id[i] != NULL && t->start_utc[i] != NULL;
    }
    sqlite3_finalize(st);
    TCB_SQL_CHECK(t->db, rc, d, "read runs");
    return ok ? TCB_OK : tcb_diag_set(d, TCB_ERR_RUNTIME, "trend: out of memory");
}

/* ---- one series ---------------------------------------------------------------- */

static int by_value(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* The median of x[lo, hi), hi > lo, sorted in t->sorted. */
static double trend_median(trend *t, int lo, int hi)
{
    int n = hi - lo;
    memcpy(t->sorted, t->x + lo, (size_t)n * sizeof *t->sorted);
    qsort(t->sorted, (size_t)n, sizeof *t->sorted, by_value);
    return n % 2 ? t->sorted[n / 2] : 0.5 * (t->sorted[n / 2 - 1] + t->sorted[n / 2]);
}

/* "worse", "better", or "same median" when only the spread or shape changed. */
static const char *verdict(const tcb_direction *m, double before, double after)
{
    if (after == before)
        return "same median";
    return (after > before) == m->higher_is_better ? "better" : "worse";
}

/* One line per change point: where, the medians of the segments on either
 * side (bounded by the neighbouring change points), how much, which way. */
static void trend_print_series(trend *t, const char *label, const tcb_direction *m, int n,
                               int found)
{
    fprintf(t->body, "%s  %s: %d nights, %s is better\n", label, m->name, n,
            m->higher_is_better ? "higher" : "lower");
    for (int c = 0; c < found; c++) {
        int lo = c > 0 ? t->cp[c - 1].index : 0, at = t->cp[c].index;
        int hi = c + 1 < found ? t->cp[c + 1].index : n;
        double before = trend_median(t, lo, at), after = trend_median(t, at, hi);
        int night = t->at[at];
        char change[32] = "-"; /* a change from 0 has no relative size */
        if (before != 0)
            snprintf(change, sizeof change, "%+.3g%%", 100 * (after - before) / fabs(before));
        fprintf(t->body,
                "  night %d of %d, run %s (%s): median %.4g -> %.4g, %s %s, p = %.3g\n",
                at + 1, n, t->run_id[night], t->start_utc[night], before, after, change,
                verdict(m, before, after), t->cp[c].p_value);
    }
}

/* The series of metric m of the current case: its finite values in the
 * nights whose first record of the case was ok. Returns its length. */
static int trend_collect(trend *t, const tcb_direction *m)
{
    int n = 0;
    for (int i = 0; i < t->n_nights; i++) {
        double v = t->recs[i] != NULL ? tcb_direction_value(t->recs[i], m->name) : NAN;
        if (isfinite(v)) {
            t->x[n] = v;
            t->at[n++] = i;
        }
    }
    return n;
}

static tcb_status trend_series(trend *t, const char *label, const tcb_direction *m, tcb_diag *d)
{
    int n = trend_collect(t, m);
    if (n == 0)
        return TCB_OK; /* the case does not have this metric */
    t->series++;
    if (n < 2 * t->o->cp.min_size) {
        t->too_short++;
        return TCB_OK;
    }
    /* The same seed for every series: one series' result does not depend on
     * which others were selected, or in what order they came. */
    int found = 0;
    TCB_CHECK(tcb_changepoint_find(t->x, n, &t->o->cp, t->cp, t->max_cp, &found, d));
    if (found > 0)
        trend_print_series(t, label, m, n, found);
    t->changes += found;
    return TCB_OK;
}

/* ---- the cases, one key at a time -------------------------------------------- */

/* Every metric asked for of the case whose records are in t->recs; then
 * clears them for the next case. */
static tcb_status trend_case_finish(trend *t, const char *label, tcb_diag *d)
{
    tcb_status st = TCB_OK;
    for (const tcb_direction *m = tcb_directions; st == TCB_OK && m->name != NULL; m++)
        if (t->o->metric == NULL || strcmp(t->o->metric, m->name) == 0)
            st = trend_series(t, label, m, d);
    for (int i = 0; i < t->n_nights; i++) {
        json_decref(t->recs[i]);
        t->recs[i] = NULL;
        t->seen[i] = 0;
    }
    return st;
}

/* The label of a case from its first row's record, and whether the glob
 * takes it. *label is malloc'd (the caller frees it). */
static tcb_status trend_case_start(trend *t, const char *record, char **label, bool *matched,
                                   tcb_diag *d)
{
    json_t *rec = json_loads(record, 0, NULL);
    *label = rec != NULL ? tcb_case_label(rec) : NULL;
    json_decref(rec);
    if (*label == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: a case record that is not JSON, or out "
                            "of memory", t->db->path);
    *matched = t->o->case_glob == NULL || fnmatch(t->o->case_glob, *label, 0) == 0;
    t->cases++;
    t->matched += *matched;
    return TCB_OK;
}

/* Keeps the first record of the case in a night, if it is ok: a second
 * record of the same key in one run (a suite that lists a case twice) does
 * not get a second say. */
static tcb_status trend_case_add(trend *t, int night, bool ok, const char *record, tcb_diag *d)
{
    if (night < 0 || night >= t->n_nights || t->seen[night])
        return TCB_OK;
    t->seen[night] = 1;
    if (!ok)
        return TCB_OK;
    t->recs[night] = json_loads(record, 0, NULL);
    if (t->recs[night] == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: a case record of run %s is not JSON",
                            t->db->path, t->run_id[night]);
    return TCB_OK;
}

/* The rows come ordered by case key, night and case index, so one key's
 * rows are together and the first of a night comes first. */
#define CASES_SQL                                                                          \
    "WITH nights AS (SELECT id, row_number() OVER (ORDER BY start_utc, id) - 1 AS night "  \
    "FROM runs WHERE system = ?1 AND finished) "                                           \
    "SELECT c.case_key, n.night, c.status = 'ok', c.record FROM cases c "                  \
    "JOIN nights n ON n.id = c.run ORDER BY c.case_key, n.night, c.case_index"

static tcb_status trend_walk_rows(trend *t, sqlite3_stmt *st, tcb_diag *d)
{
    char *key = NULL, *label = NULL;
    bool matched = false;
    tcb_status s = TCB_OK;
    int rc = SQLITE_DONE;
    while (s == TCB_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *record = (const char *)sqlite3_column_text(st, 3);
        if (k == NULL || record == NULL) { /* NOT NULL columns: only out of memory */
            s = tcb_db_fail(t->db, SQLITE_NOMEM, d, "read cases");
            break;
        }
        if (key == NULL || strcmp(key, k) != 0) {
            if (key != NULL && matched)
                s = trend_case_finish(t, label, d);
            free(key);
            free(label);
            label = NULL;
            key = strdup(k);
            if (s == TCB_OK && key == NULL)
                s = tcb_diag_set(d, TCB_ERR_RUNTIME, "trend: out of memory");
            if (s == TCB_OK)
                s = trend_case_start(t, record, &label, &matched, d);
        }
        if (s == TCB_OK && matched)
            s = trend_case_add(t, sqlite3_column_int(st, 1), sqlite3_column_int(st, 2) != 0,
                               record, d);
    }
    if (s == TCB_OK && key != NULL && matched)
        s = trend_case_finish(t, label, d);
    free(key);
    free(label);
    if (s != TCB_OK)
        return s;
    TCB_SQL_CHECK(t->db, rc, d, "read cases");
    return TCB_OK;
}

static tcb_status trend_walk_cases(trend *t, tcb_diag *d)
{
    sqlite3_stmt *st;
    TCB_CHECK(trend_prepare(t, CASES_SQL, &st, d, "read cases"));
    tcb_status s = trend_walk_rows(t, st, d);
    sqlite3_finalize(st);
    return s;
}

/* ---- the report -------------------------------------------------------------- */

static tcb_status trend_write(trend *t, FILE *out, tcb_diag *d)
{
    const tcb_changepoint_opts *cp = &t->o->cp;
    if (t->o->case_glob != NULL && t->matched == 0)
        fprintf(t->body, "# --case '%s' matches none of the %d cases\n", t->o->case_glob,
                t->cases);
    else if (t->series == 0)
        fprintf(t->body, "# no series: no ok case has %s\n",
                t->o->metric != NULL ? t->o->metric : "a judged metric");
    else if (t->changes == 0)
        fprintf(t->body, "# no change points\n");
    if (fflush(t->body) != 0)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "trend: out of memory");
    fprintf(out,
            "# trend: system %s, %d finished runs, %d series, %d change points (E-divisive, "
            "%d permutations, significance %g, min size %d; %d series too short)\n",
            t->system, t->n_nights, t->series, t->changes, cp->permutations, cp->significance,
            cp->min_size, t->too_short);
    if (fwrite(t->body_buf, 1, t->body_len, out) != t->body_len || fflush(out) != 0)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "trend: cannot write the report");
    return TCB_OK;
}

/* Everything inside one read transaction, so runs imported meanwhile do not
 * shift the night numbers between the two queries. */
static tcb_status trend_read(trend *t, tcb_diag *d)
{
    TCB_CHECK(trend_pick_system(t, d));
    TCB_CHECK(trend_count_nights(t, d));
    TCB_CHECK(trend_alloc(t, d));
    TCB_CHECK(trend_load_nights(t, d));
    return trend_walk_cases(t, d);
}

tcb_status tcb_db_trend(tcb_db *db, const tcb_trend_opts *o, FILE *out, int *n_changes,
                        tcb_diag *d)
{
    *n_changes = 0;
    TCB_CHECK(check_metric(o->metric, d));
    TCB_CHECK(check_cp(&o->cp, d));
    TCB_SQL_CHECK(db, sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL), d, "begin reading");
    trend t = {.db = db, .o = o};
    tcb_status st = trend_read(&t, d);
    int rc = sqlite3_exec(db->h, st == TCB_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    if (st == TCB_OK && rc != SQLITE_OK)
        st = tcb_db_fail(db, rc, d, "end reading");
    if (st == TCB_OK)
        st = trend_write(&t, out, d);
    if (st == TCB_OK)
        *n_changes = t.changes;
    trend_free(&t);
    return st;
}
