#include "db.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* How long a writer waits for another's lock before giving up. A nightly
 * import takes well under a second; a minute covers a crowd of them. */
#define BUSY_TIMEOUT_MS 60000

/* Schema steps: migrations[v] takes a database from version v to v + 1. A
 * new version appends a step; a released step never changes. */
static const char *const migrations[] = {
    /* 0 -> 1: runs, cases, metrics, samples. */
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY,"
    " run_id TEXT NOT NULL UNIQUE,"
    " system TEXT NOT NULL,"
    " hosts TEXT NOT NULL,"
    " suite TEXT,"
    " start_utc TEXT,"
    " finished INTEGER NOT NULL,"
    " exit_status INTEGER,"
    " tcbench_version TEXT,"
    " git_commit TEXT,"
    " content_hash TEXT NOT NULL,"
    " manifest TEXT NOT NULL,"
    " imported_utc TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE TABLE cases ("
    " id INTEGER PRIMARY KEY,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " case_index INTEGER NOT NULL,"
    " case_key TEXT NOT NULL,"
    " workload TEXT NOT NULL,"
    " backend TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " median_s REAL,"
    " record TEXT NOT NULL,"
    " UNIQUE (run, case_index));"
    "CREATE INDEX cases_by_key ON cases(case_key, run);"
    "CREATE TABLE metrics ("
    " case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " value REAL,"
    " PRIMARY KEY (case_id, name)) WITHOUT ROWID;"
    "CREATE TABLE samples ("
    " case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
    " iter INTEGER NOT NULL,"
    " seconds REAL NOT NULL,"
    " PRIMARY KEY (case_id, iter)) WITHOUT ROWID;",
};
_Static_assert(sizeof migrations / sizeof migrations[0] == TCB_DB_SCHEMA_VERSION,
               "one migration step per schema version");

tcb_status tcb_db_fail(tcb_db *db, int rc, tcb_diag *d, const char *what)
{
    const char *msg = db->h != NULL ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);
    /* A file that is not SQLite, or a damaged one, is bad input, like a
     * broken suite: exit 2, not a failure of tcbench. */
    int primary = rc & 0xff;
    tcb_status st = primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT ? TCB_ERR_CONFIG
                                                                          : TCB_ERR_RUNTIME;
    return tcb_diag_set(d, st, "%s: %s: %s", db->path, what, msg);
}

static tcb_status exec(tcb_db *db, const char *sql, tcb_diag *d)
{
    TCB_SQL_CHECK(db, sqlite3_exec(db->h, sql, NULL, NULL, NULL), d, sql);
    return TCB_OK;
}

/* The integer a one-value query returns. */
static tcb_status query_int(tcb_db *db, const char *sql, int *out, tcb_diag *d)
{
    sqlite3_stmt *st;
    TCB_SQL_CHECK(db, sqlite3_prepare_v2(db->h, sql, -1, &st, NULL), d, sql);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    TCB_SQL_CHECK(db, rc, d, sql);
    return TCB_OK;
}

/* Brings the schema to TCB_DB_SCHEMA_VERSION in one transaction. It reads
 * the version again inside the lock: another process may just have done it. */
static tcb_status migrate(tcb_db *db, tcb_diag *d)
{
    TCB_CHECK(exec(db, "BEGIN IMMEDIATE", d));
    int version = 0;
    tcb_status st = query_int(db, "PRAGMA user_version", &version, d);
    for (int v = version; st == TCB_OK && v < TCB_DB_SCHEMA_VERSION; v++)
        st = exec(db, migrations[v], d);
    if (st == TCB_OK && version < TCB_DB_SCHEMA_VERSION) {
        char sql[128];
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
                 TCB_DB_APPLICATION_ID, TCB_DB_SCHEMA_VERSION);
        st = exec(db, sql, d);
    }
    if (st == TCB_OK)
        return exec(db, "COMMIT", d);
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/* Refuses what is not ours before writing a byte: these probes only read. */
static tcb_status check_identity(tcb_db *db, bool create, tcb_diag *d)
{
    int app = 0, version = 0, objects = 0;
    TCB_CHECK(query_int(db, "PRAGMA application_id", &app, d));
    TCB_CHECK(query_int(db, "PRAGMA user_version", &version, d));
    TCB_CHECK(query_int(db, "SELECT count(*) FROM sqlite_master", &objects, d));
    if (app != TCB_DB_APPLICATION_ID && (app != 0 || objects > 0))
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s: not a tcbench history database (application_id 0x%08x, %d "
                            "schema objects); left untouched",
                            db->path, (unsigned)app, objects);
    if (app != TCB_DB_APPLICATION_ID && !create)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s: an empty file, no runs yet (tcbench db import makes the "
                            "database)",
                            db->path);
    if (version > TCB_DB_SCHEMA_VERSION)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s: schema version %d is newer than this tcbench's %d; use a newer "
                            "tcbench",
                            db->path, version, TCB_DB_SCHEMA_VERSION);
    return TCB_OK;
}

tcb_status tcb_db_open(const char *path, bool create, tcb_db *db, tcb_diag *d)
{
    memset(db, 0, sizeof *db);
    snprintf(db->path, sizeof db->path, "%s", path);
    struct stat sb;
    bool exists = stat(path, &sb) == 0;
    if (exists && !S_ISREG(sb.st_mode))
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s: not a regular file", path);
    if (!exists && !create)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s: no such database: %s", path,
                            strerror(errno));
    int flags = SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &db->h, flags, NULL);
    tcb_status st = TCB_OK;
    if (rc != SQLITE_OK)
        st = tcb_db_fail(db, rc, d, "cannot open");
    if (st == TCB_OK) {
        sqlite3_extended_result_codes(db->h, 1);
        sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
        st = check_identity(db, create, d);
    }
    /* WAL: readers never block the writer, and a crashed import leaves the
     * file as it was before that import's transaction. */
    if (st == TCB_OK)
        st = exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                      "PRAGMA foreign_keys = ON", d);
    if (st == TCB_OK)
        st = migrate(db, d);
    if (st != TCB_OK)
        tcb_db_close(db);
    return st;
}

void tcb_db_close(tcb_db *db)
{
    if (db->h != NULL)
        sqlite3_close(db->h);
    db->h = NULL;
}

/* ---- import ------------------------------------------------------------------ */

static const char *text_at(json_t *o, const char *key, const char *fallback)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : fallback;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s != NULL ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static int bind_number(sqlite3_stmt *st, int i, json_t *v)
{
    return json_is_number(v) ? sqlite3_bind_double(st, i, json_number_value(v))
                             : sqlite3_bind_null(st, i);
}

/* Runs a prepared insert once and resets it for the next row. */
static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

typedef struct {
    sqlite3_stmt *run, *kase, *metric, *sample;
} inserts;

static void inserts_free(inserts *in)
{
    sqlite3_finalize(in->run);
    sqlite3_finalize(in->kase);
    sqlite3_finalize(in->metric);
    sqlite3_finalize(in->sample);
}

static tcb_status inserts_prepare(tcb_db *db, inserts *in, tcb_diag *d)
{
    static const char *const sql[4] = {
        "INSERT INTO runs (run_id, system, hosts, suite, start_utc, finished, exit_status, "
        "tcbench_version, git_commit, content_hash, manifest) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        "INSERT INTO cases (run, case_index, case_key, workload, backend, status, median_s, "
        "record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        "INSERT INTO metrics (case_id, name, value) VALUES (?1, ?2, ?3)",
        "INSERT INTO samples (case_id, iter, seconds) VALUES (?1, ?2, ?3)",
    };
    sqlite3_stmt **out[4] = {&in->run, &in->kase, &in->metric, &in->sample};
    for (int i = 0; i < 4; i++)
        TCB_SQL_CHECK(db, sqlite3_prepare_v2(db->h, sql[i], -1, out[i], NULL), d, "prepare insert");
    return TCB_OK;
}

static tcb_status insert_run(tcb_db *db, inserts *in, const tcb_run_dir *run, const char *system,
                             sqlite3_int64 *id, tcb_diag *d)
{
    json_t *m = run->manifest;
    char hosts[1024];
    tcb_run_dir_hosts(run, hosts, sizeof hosts);
    if (system == NULL)
        system = tcb_run_dir_system(run);
    char *manifest = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
    TCB_ALLOC_CHECK(manifest);
    json_t *tcb = json_object_get(m, "tcbench");
    sqlite3_stmt *st = in->run;
    bind_text(st, 1, run->run_id);
    bind_text(st, 2, system);
    bind_text(st, 3, hosts);
    bind_text(st, 4, text_at(json_object_get(m, "suite"), "name", NULL));
    bind_text(st, 5, text_at(m, "start_utc", NULL));
    sqlite3_bind_int(st, 6, json_is_true(json_object_get(m, "finished")));
    bind_number(st, 7, json_object_get(m, "exit_status"));
    bind_text(st, 8, text_at(tcb, "version", NULL));
    bind_text(st, 9, text_at(tcb, "git_commit", NULL));
    bind_text(st, 10, run->hash);
    bind_text(st, 11, manifest);
    int rc = step_reset(st);
    free(manifest);
    TCB_SQL_CHECK(db, rc, d, "insert run");
    *id = sqlite3_last_insert_rowid(db->h);
    return TCB_OK;
}

static tcb_status insert_case(tcb_db *db, inserts *in, sqlite3_int64 run_id, json_t *rec,
                              tcb_diag *d)
{
    char *key = tcb_case_key(rec);
    char *text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (key == NULL || text == NULL) {
        free(key);
        free(text);
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "out of memory");
    }
    sqlite3_stmt *st = in->kase;
    sqlite3_bind_int64(st, 1, run_id);
    bind_number(st, 2, json_object_get(rec, "case"));
    bind_text(st, 3, key);
    bind_text(st, 4, text_at(rec, "workload", ""));
    bind_text(st, 5, text_at(rec, "backend", ""));
    bind_text(st, 6, text_at(json_object_get(rec, "check"), "status", "?"));
    bind_number(st, 7, json_object_get(json_object_get(rec, "time_s"), "median"));
    bind_text(st, 8, text);
    int rc = step_reset(st);
    free(key);
    free(text);
    TCB_SQL_CHECK(db, rc, d, "insert case");
    sqlite3_int64 case_id = sqlite3_last_insert_rowid(db->h);

    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(rec, "metrics"), name, v) {
        if (!json_is_number(v))
            continue; /* text facts stay in the record */
        sqlite3_bind_int64(in->metric, 1, case_id);
        bind_text(in->metric, 2, name);
        bind_number(in->metric, 3, v);
        TCB_SQL_CHECK(db, step_reset(in->metric), d, "insert metric");
    }
    size_t i;
    json_array_foreach(json_object_get(rec, "samples_s"), i, v) {
        if (!json_is_number(v))
            continue;
        sqlite3_bind_int64(in->sample, 1, case_id);
        sqlite3_bind_int64(in->sample, 2, (sqlite3_int64)i);
        bind_number(in->sample, 3, v);
        TCB_SQL_CHECK(db, step_reset(in->sample), d, "insert sample");
    }
    return TCB_OK;
}

/* Is the run there already, and how does it compare? Inside the import's
 * transaction, so no other importer can slip in between. */
static tcb_status find_run(tcb_db *db, const tcb_run_dir *run, sqlite3_int64 *id, bool *same,
                           bool *finished, tcb_diag *d)
{
    sqlite3_stmt *st;
    TCB_SQL_CHECK(db, sqlite3_prepare_v2(db->h,
                                     "SELECT id, content_hash, finished FROM runs WHERE run_id = ?1",
                                     -1, &st, NULL),
              d, "look up run");
    bind_text(st, 1, run->run_id);
    int rc = sqlite3_step(st);
    *id = 0;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *same = strcmp((const char *)sqlite3_column_text(st, 1), run->hash) == 0;
        *finished = sqlite3_column_int(st, 2) != 0;
    }
    sqlite3_finalize(st);
    TCB_SQL_CHECK(db, rc, d, "look up run");
    return TCB_OK;
}

static tcb_status import_locked(tcb_db *db, const tcb_run_dir *run, const char *system,
                                tcb_db_outcome *outcome, tcb_diag *d)
{
    sqlite3_int64 old = 0, id = 0;
    bool same = false, finished = false;
    TCB_CHECK(find_run(db, run, &old, &same, &finished, d));
    *outcome = TCB_DB_ADDED;
    if (old != 0 && same) {
        *outcome = TCB_DB_SAME;
        return TCB_OK;
    }
    if (old != 0 && finished)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s: run %s is already in %s, finished, with other content; "
                            "left as it was",
                            run->dir, run->run_id, db->path);
    if (old != 0) {
        char sql[96];
        snprintf(sql, sizeof sql, "DELETE FROM runs WHERE id = %lld", (long long)old);
        TCB_CHECK(exec(db, sql, d));
        *outcome = TCB_DB_UPDATED;
    }
    inserts in = {0};
    tcb_status st = inserts_prepare(db, &in, d);
    if (st == TCB_OK)
        st = insert_run(db, &in, run, system, &id, d);
    for (int i = 0; st == TCB_OK && i < run->n; i++)
        st = insert_case(db, &in, id, run->records[i], d);
    inserts_free(&in);
    return st;
}

tcb_status tcb_db_import(tcb_db *db, const tcb_run_dir *run, const char *system,
                         tcb_db_outcome *outcome, tcb_diag *d)
{
    /* IMMEDIATE takes the write lock now, so the look-up and the insert see
     * the same database even with other importers running. */
    TCB_CHECK(exec(db, "BEGIN IMMEDIATE", d));
    tcb_status st = import_locked(db, run, system, outcome, d);
    if (st == TCB_OK)
        st = exec(db, "COMMIT", d);
    if (st != TCB_OK)
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/* ---- looking at it ------------------------------------------------------------ */

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s != NULL ? (const char *)s : "-";
}

tcb_status tcb_db_list(tcb_db *db, FILE *out, tcb_diag *d)
{
    sqlite3_stmt *st;
    TCB_SQL_CHECK(db, sqlite3_prepare_v2(db->h,
                                     "SELECT r.run_id, r.system, r.suite, r.start_utc, "
                                     "count(c.id), total(c.status = 'ok'), r.finished "
                                     "FROM runs r LEFT JOIN cases c ON c.run = r.id "
                                     "GROUP BY r.id ORDER BY r.start_utc, r.id",
                                     -1, &st, NULL),
              d, "list runs");
    fprintf(out, "#%-44s %-20s %-20s %-24s %6s %6s\n", "run_id", "system", "suite", "start_utc",
            "cases", "ok");
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fprintf(out, " %-44s %-20s %-20s %-24s %6d %6d%s\n", col(st, 0), col(st, 1), col(st, 2),
                col(st, 3), sqlite3_column_int(st, 4), (int)sqlite3_column_double(st, 5),
                sqlite3_column_int(st, 6) ? "" : "  (unfinished)");
        n++;
    }
    sqlite3_finalize(st);
    TCB_SQL_CHECK(db, rc, d, "list runs");
    fprintf(out, "# %d run(s) in %s\n", n, db->path);
    return TCB_OK;
}

tcb_status tcb_db_show(tcb_db *db, const char *run_id, FILE *out, tcb_diag *d)
{
    sqlite3_stmt *st;
    TCB_SQL_CHECK(db, sqlite3_prepare_v2(db->h,
                                     "SELECT id, system, hosts, suite, start_utc, finished, "
                                     "tcbench_version, git_commit, imported_utc "
                                     "FROM runs WHERE run_id = ?1",
                                     -1, &st, NULL),
              d, "show run");
    bind_text(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        TCB_SQL_CHECK(db, rc, d, "show run");
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s: no run '%s' (tcbench db list shows them)",
                            db->path, run_id);
    }
    sqlite3_int64 id = sqlite3_column_int64(st, 0);
    fprintf(out, "# run %s\n# system %s  hosts %s\n# suite %s  started %s  %s\n"
                 "# tcbench %s  commit %s  imported %s\n",
            run_id, col(st, 1), col(st, 2), col(st, 3), col(st, 4),
            sqlite3_column_int(st, 5) ? "finished" : "unfinished", col(st, 6), col(st, 7),
            col(st, 8));
    sqlite3_finalize(st);
    TCB_SQL_CHECK(db, sqlite3_prepare_v2(db->h,
                                     "SELECT c.case_index, c.status, c.median_s, "
                                     "(SELECT count(*) FROM samples s WHERE s.case_id = c.id), "
                                     "c.case_key FROM cases c WHERE c.run = ?1 "
                                     "ORDER BY c.case_index",
                                     -1, &st, NULL),
              d, "show cases");
    sqlite3_bind_int64(st, 1, id);
    fprintf(out, "#%5s %-8s %13s %8s  %s\n", "case", "status", "median(s)", "samples", "case key");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fprintf(out, " %5d %-8s %13.6g %8d  %s\n", sqlite3_column_int(st, 0), col(st, 1),
                sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2),
                sqlite3_column_int(st, 3), col(st, 4));
    sqlite3_finalize(st);
    TCB_SQL_CHECK(db, rc, d, "show cases");
    return TCB_OK;
}
