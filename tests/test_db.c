/* reports/db.c: the history database. Real SQLite files in a temporary
 * directory; runs written as run.json + results.jsonl the way `tcbench run`
 * writes them. */
#include "db.h"
#include "fnv.h"
#include "run_dir.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/tcb_test_db_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(db, .init = make_dir, .fini = remove_dir);

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* A run directory NAME with run id ID, `finished`, and ncases allreduce
 * cases of 3 samples each; extra is appended to every case's metrics. */
static void write_run(const char *name, const char *id, bool finished, int ncases,
                      const char *extra, char out[256])
{
    snprintf(out, 256, "%s/%s", dir, name);
    mkdir(out, 0777);
    char path[300], text[4096];
    snprintf(path, sizeof path, "%s/run.json", out);
    snprintf(text, sizeof text,
             "{\"schema\":\"tcbench.run/1\",\"run_id\":\"%s\",\"tcbench\":{\"version\":\"0.1.0\","
             "\"git_commit\":\"abc\"},\"suite\":{\"name\":\"nightly\"},\"start_utc\":\"2026-11-2%dT"
             "00:00:00Z\",\"finished\":%s,\"exit_status\":0,\"nodes\":[{\"node\":0,\"hostname\":"
             "\"n01\"},{\"node\":1,\"hostname\":\"n02\"}]}\n",
             id, (int)(strlen(name) % 10), finished ? "true" : "false");
    write_file(path, text);
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int c = 0; c < ncases; c++)
        fprintf(f,
                "{\"schema\":\"tcbench.result/1\",\"run_id\":\"%s\",\"case\":%d,\"workload\":"
                "\"collective\",\"backend\":\"mpi\",\"params\":{\"size\":%d,\"collective\":"
                "\"allreduce\"},\"ranks\":2,\"nodes\":1,\"iters\":3,\"time_s\":{\"median\":2e-6},"
                "\"metrics\":{\"busbw_GBps\":%d.5%s},\"check\":{\"status\":\"ok\"},"
                "\"samples_s\":[3e-6,2e-6,1e-6]}\n",
                id, c, 1024 << c, c, extra);
    fclose(f);
}

static int count(tcb_db *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db->h, sql, -1, &st, NULL), SQLITE_OK, "%s", sql);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static tcb_status import(tcb_db *db, const char *run_path, tcb_db_outcome *outcome, tcb_diag *d)
{
    tcb_run_dir run;
    tcb_status st = tcb_run_dir_read(run_path, &run, d);
    cr_assert_eq(st, TCB_OK, "%s", d->msg);
    st = tcb_db_import(db, &run, NULL, outcome, d);
    tcb_run_dir_free(&run);
    return st;
}

/* The file's bytes, hashed: "not modified" means this does not change. */
static uint64_t file_hash(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    uint64_t h = TCB_FNV_BASIS;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        h = tcb_fnv1a64(h, buf, n);
    fclose(f);
    return h;
}

Test(db, a_new_database_is_stamped_and_an_import_stores_everything)
{
    char path[128], run[256];
    snprintf(path, sizeof path, "%s/h.db", dir);
    write_run("a", "nightly-a", true, 3, "", run);
    tcb_db db;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_db_open(path, true, &db, &d), TCB_OK, "%s", d.msg);
    cr_expect_eq(count(&db, "PRAGMA application_id"), TCB_DB_APPLICATION_ID);
    cr_expect_eq(count(&db, "PRAGMA user_version"), TCB_DB_SCHEMA_VERSION);
    tcb_db_outcome o;
    cr_assert_eq(import(&db, run, &o, &d), TCB_OK, "%s", d.msg);
    cr_expect_eq(o, TCB_DB_ADDED);
    cr_expect_eq(count(&db, "SELECT count(*) FROM runs"), 1);
    cr_expect_eq(count(&db, "SELECT count(*) FROM cases"), 3);
    cr_expect_eq(count(&db, "SELECT count(*) FROM metrics"), 3);
    cr_expect_eq(count(&db, "SELECT count(*) FROM samples"), 9);
    cr_expect_eq(count(&db, "SELECT count(*) FROM runs WHERE system = 'n01' AND hosts = 'n01,n02'"
                            " AND suite = 'nightly' AND git_commit = 'abc'"),
                 1, "system defaults to the first node's host name");
    cr_expect_eq(count(&db, "SELECT count(*) FROM samples WHERE iter = 0 AND seconds = 3e-6"), 3,
                 "samples keep their order");
    cr_expect_eq(count(&db, "SELECT count(DISTINCT case_key) FROM cases"), 3);
    cr_expect_str_eq(db.path, path);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db.h, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), "wal", "concurrent importers");
    sqlite3_finalize(st);
    tcb_db_close(&db);
}

Test(db, importing_the_same_run_twice_changes_nothing)
{
    char path[128], run[256];
    snprintf(path, sizeof path, "%s/h.db", dir);
    write_run("a", "nightly-a", true, 2, "", run);
    tcb_db db;
    tcb_diag d = {{0}};
    tcb_db_outcome o;
    cr_assert_eq(tcb_db_open(path, true, &db, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(import(&db, run, &o, &d), TCB_OK, "%s", d.msg);
    int id = count(&db, "SELECT id FROM runs");
    cr_assert_eq(import(&db, run, &o, &d), TCB_OK, "%s", d.msg);
    cr_expect_eq(o, TCB_DB_SAME);
    cr_expect_eq(count(&db, "SELECT count(*) FROM runs"), 1);
    cr_expect_eq(count(&db, "SELECT id FROM runs"), id, "the stored run was not rewritten");
    cr_expect_eq(count(&db, "SELECT count(*) FROM samples"), 6);
    tcb_db_close(&db);
}

Test(db, an_unfinished_run_is_replaced_a_finished_one_is_not)
{
    char path[128], run[256];
    snprintf(path, sizeof path, "%s/h.db", dir);
    tcb_db db;
    tcb_diag d = {{0}};
    tcb_db_outcome o;
    cr_assert_eq(tcb_db_open(path, true, &db, &d), TCB_OK, "%s", d.msg);
    write_run("a", "nightly-a", false, 1, "", run); /* imported while it ran */
    cr_assert_eq(import(&db, run, &o, &d), TCB_OK, "%s", d.msg);
    write_run("a", "nightly-a", true, 3, "", run); /* then finished */
    cr_assert_eq(import(&db, run, &o, &d), TCB_OK, "%s", d.msg);
    cr_expect_eq(o, TCB_DB_UPDATED);
    cr_expect_eq(count(&db, "SELECT count(*) FROM cases"), 3);
    cr_expect_eq(count(&db, "SELECT count(*) FROM samples"), 9, "the old cases' samples went");
    write_run("a", "nightly-a", true, 3, ",\"extra\":1", run); /* same id, other content */
    cr_expect_eq(import(&db, run, &o, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, "already in") != NULL && strstr(d.msg, "other content") != NULL, "%s",
              d.msg);
    cr_expect_eq(count(&db, "SELECT count(*) FROM metrics"), 3, "left as it was");
    tcb_db_close(&db);
}

static void expect_refused(const char *path, const char *want)
{
    uint64_t before = file_hash(path);
    tcb_db db;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_db_open(path, true, &db, &d), TCB_ERR_CONFIG);
    cr_expect(strncmp(d.msg, path, strlen(path)) == 0, "names the file: %s", d.msg);
    cr_expect(strstr(d.msg, want) != NULL, "got '%s', want '%s'", d.msg, want);
    cr_expect_eq(file_hash(path), before, "%s was modified", path);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", path);
    cr_expect_neq(access(wal, F_OK), 0, "a WAL file was made beside %s", path);
}

Test(db, foreign_corrupt_and_newer_files_are_refused_untouched)
{
    char path[128];
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    write_file(path, "these are my notes, not a database\n");
    expect_refused(path, "file is not a database");

    /* Another application's SQLite database. */
    snprintf(path, sizeof path, "%s/other.db", dir);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h, "CREATE TABLE inventory (item TEXT)", NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(h);
    expect_refused(path, "not a tcbench history database");

    /* A tcbench database from a newer tcbench. */
    snprintf(path, sizeof path, "%s/newer.db", dir);
    tcb_db db;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_db_open(path, true, &db, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(sqlite3_exec(db.h, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 99",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    tcb_db_close(&db);
    expect_refused(path, "schema version 99 is newer");

    /* A truncated database: its header promises pages that are gone. */
    snprintf(path, sizeof path, "%s/cut.db", dir);
    cr_assert_eq(tcb_db_open(path, true, &db, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(sqlite3_exec(db.h, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL), SQLITE_OK);
    tcb_db_close(&db);
    cr_assert_eq(truncate(path, 1500), 0);
    uint64_t before = file_hash(path);
    tcb_status st = tcb_db_open(path, true, &db, &d);
    cr_expect_neq(st, TCB_OK, "a truncated file opened");
    cr_expect(strstr(d.msg, path) != NULL, "%s", d.msg);
    cr_expect_eq(file_hash(path), before);
}

Test(db, a_missing_or_empty_file_is_only_made_by_import)
{
    char path[128];
    snprintf(path, sizeof path, "%s/none.db", dir);
    tcb_db db;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_db_open(path, false, &db, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, "no such database") != NULL, "%s", d.msg);
    cr_expect_neq(access(path, F_OK), 0, "list or show made a file");
    write_file(path, "");
    cr_expect_eq(tcb_db_open(path, false, &db, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, "no runs yet") != NULL, "%s", d.msg);
    cr_assert_eq(tcb_db_open(path, true, &db, &d), TCB_OK, "an empty file is a new database: %s",
                 d.msg);
    tcb_db_close(&db);
    /* Opening again finds it made: no second migration. */
    cr_assert_eq(tcb_db_open(path, false, &db, &d), TCB_OK, "%s", d.msg);
    cr_expect_eq(count(&db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 4);
    tcb_db_close(&db);
}

Test(db, a_bad_results_line_is_named_and_nothing_goes_in)
{
    char run[256], path[300];
    write_run("a", "nightly-a", true, 2, "", run);
    snprintf(path, sizeof path, "%s/results.jsonl", run);
    FILE *f = fopen(path, "a");
    fputs("{\"schema\":\"tcbench.result/1\",\"run_id\":\"other\",\"workload\":\"x\","
          "\"params\":{},\"check\":{}}\n",
          f);
    fclose(f);
    tcb_run_dir r;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_run_dir_read(run, &r, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, "results.jsonl:3: run_id 'other' is not run.json's 'nightly-a'") !=
                  NULL,
              "%s", d.msg);
    f = fopen(path, "a");
    fputs("{not json\n", f);
    fclose(f);
    cr_expect_eq(tcb_run_dir_read(run, &r, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, "results.jsonl:3:") != NULL, "%s", d.msg);
}

Test(db, case_key_ignores_parameter_order_but_not_ranks)
{
    json_t *a = json_loads("{\"workload\":\"collective\",\"backend\":\"mpi\",\"ranks\":2,"
                           "\"nodes\":1,\"params\":{\"size\":8,\"dtype\":\"float32\"}}",
                           0, NULL);
    json_t *b = json_loads("{\"workload\":\"collective\",\"backend\":\"mpi\",\"ranks\":2,"
                           "\"nodes\":1,\"params\":{\"dtype\":\"float32\",\"size\":8}}",
                           0, NULL);
    json_t *c = json_deep_copy(a);
    json_object_set_new(c, "ranks", json_integer(4));
    char *ka = tcb_case_key(a), *kb = tcb_case_key(b), *kc = tcb_case_key(c);
    cr_expect_str_eq(ka, "collective mpi ranks=2 nodes=1 {\"dtype\":\"float32\",\"size\":8}");
    cr_expect_str_eq(ka, kb);
    cr_expect_str_neq(ka, kc);
    free(ka);
    free(kb);
    free(kc);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}
