/* Choosing and reading the baseline of a comparison (db.h: tcb_db_baseline). */
#include "db.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BASELINE_RUNS 1000

/* "7-runs" -> 7; 0 when spec is not of that form. */
static int runs_asked(const char *spec)
{
    char *end = NULL;
    long n = strtol(spec, &end, 10);
    return end != spec && strcmp(end, "-runs") == 0 && n >= 1 && n <= MAX_BASELINE_RUNS ? (int)n
                                                                                        : 0;
}

typedef struct {
    sqlite3_int64 id[MAX_BASELINE_RUNS];
    char *run_id[MAX_BASELINE_RUNS];
    int n;
} run_list;

static void run_list_free(run_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->run_id[i]);
    l->n = 0;
}

/* The runs spec names, newest first. */
static tcb_status pick_runs(tcb_db *db, const char *spec, int count, const char *system,
                            const char *exclude, const char *before, run_list *l, tcb_diag *d)
{
    static const char by_id[] = "SELECT id, run_id FROM runs WHERE run_id = ?1";
    static const char newest[] = "SELECT id, run_id FROM runs WHERE system = ?1 "
                                 "AND finished = 1 AND run_id != ?2 "
                                 "AND (?3 IS NULL OR start_utc < ?3) ORDER BY "
                                 "start_utc DESC, id DESC LIMIT ?4";
    sqlite3_stmt *st;
    TCB_SQL_CHECK(db, sqlite3_prepare_v2(db->h, count ? newest : by_id, -1, &st, NULL), d,
                  "choose the baseline");
    if (count) {
        sqlite3_bind_text(st, 1, system, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, exclude != NULL ? exclude : "", -1, SQLITE_TRANSIENT);
        if (before != NULL)
            sqlite3_bind_text(st, 3, before, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 4, count);
    } else {
        sqlite3_bind_text(st, 1, spec, -1, SQLITE_TRANSIENT);
    }
    int rc;
    l->n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && l->n < MAX_BASELINE_RUNS) {
        char *id = strdup((const char *)sqlite3_column_text(st, 1));
        if (id == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        l->id[l->n] = sqlite3_column_int64(st, 0);
        l->run_id[l->n++] = id;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        run_list_free(l);
    TCB_SQL_CHECK(db, rc, d, "choose the baseline");
    if (!count && l->n == 0)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s: no run '%s' to take as the baseline (tcbench db list shows them)",
                            db->path, spec);
    return TCB_OK;
}

/* Appends the records of run id to *records. */
static tcb_status read_run(tcb_db *db, sqlite3_int64 id, const char *run_id, json_t ***records,
                           int *n, int *cap, tcb_diag *d)
{
    sqlite3_stmt *st;
    TCB_SQL_CHECK(db,
                  sqlite3_prepare_v2(db->h,
                                     "SELECT record, case_index FROM cases WHERE run = ?1 "
                                     "ORDER BY case_index",
                                     -1, &st, NULL),
                  d, "read the baseline");
    sqlite3_bind_int64(st, 1, id);
    int rc;
    tcb_status status = TCB_OK;
    while (status == TCB_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_error_t err;
        json_t *r = json_loads((const char *)sqlite3_column_text(st, 0), 0, &err);
        if (r == NULL) {
            status = tcb_diag_set(d, TCB_ERR_CONFIG,
                                  "%s: run %s, case %d: stored record is not "
                                  "JSON: %s",
                                  db->path, run_id, sqlite3_column_int(st, 1), err.text);
            break;
        }
        if (*n == *cap) {
            int grown_cap = *cap ? 2 * *cap : 256;
            json_t **grown = realloc(*records, (size_t)grown_cap * sizeof *grown);
            if (grown == NULL) {
                json_decref(r);
                status = tcb_diag_set(d, TCB_ERR_RUNTIME, "out of memory");
                break;
            }
            *records = grown;
            *cap = grown_cap;
        }
        (*records)[(*n)++] = r;
    }
    sqlite3_finalize(st);
    if (status == TCB_OK)
        TCB_SQL_CHECK(db, rc, d, "read the baseline");
    return status;
}

tcb_status tcb_db_baseline(tcb_db *db, const char *spec, const char *system,
                           const char *exclude_run_id, const char *before_utc, json_t ***records,
                           int *n, char *description, size_t size, tcb_diag *d)
{
    *records = NULL;
    *n = 0;
    int count = strcmp(spec, "last") == 0 ? 1 : runs_asked(spec);
    size_t len = strlen(spec);
    bool runs_form = len > 5 && strcmp(spec + len - 5, "-runs") == 0;
    if (len == 0 || (count == 0 && runs_form))
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "--baseline %s: not 'last', 'N-runs' (N from 1 to %d) or a run id",
                            spec, MAX_BASELINE_RUNS);
    run_list *l = malloc(sizeof *l);
    if (l == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "out of memory");
    tcb_status st = pick_runs(db, spec, count, system, exclude_run_id, before_utc, l, d);
    int cap = 0;
    for (int i = l->n - 1; st == TCB_OK && i >= 0; i--) /* oldest first */
        st = read_run(db, l->id[i], l->run_id[i], records, n, &cap, d);
    if (st == TCB_OK && l->n == 0)
        snprintf(description, size, "none: no earlier finished run of %s", system);
    else if (st == TCB_OK && l->n == 1)
        snprintf(description, size, "run %s", l->run_id[0]);
    else if (st == TCB_OK)
        snprintf(description, size, "%d runs of %s%s: %s .. %s", l->n, system,
                 l->n < count ? " (all there are)" : "", l->run_id[l->n - 1], l->run_id[0]);
    if (st != TCB_OK) {
        for (int i = 0; i < *n; i++)
            json_decref((*records)[i]);
        free(*records);
        *records = NULL;
        *n = 0;
    }
    run_list_free(l);
    free(l);
    return st;
}
