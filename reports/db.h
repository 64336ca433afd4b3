/* The history database: one SQLite file that keeps every imported run, its
 * cases, their metrics and per-iteration samples, and the run's manifest, so
 * nightly runs can be compared with the nights before. docs/nightly.md has
 * the schema.
 *
 * Several importers may write at once (a nightly job per partition, say):
 * the file is in WAL mode, each run goes in as one transaction, and a writer
 * waits for another's lock instead of failing. A file that is not a tcbench
 * database (another SQLite database, or not SQLite at all) is refused before
 * anything is written to it. */
#ifndef TCB_DB_H
#define TCB_DB_H

#include "run_dir.h"
#include "tcb_error.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>

/* PRAGMA application_id of a tcbench database: "tcbn". */
#define TCB_DB_APPLICATION_ID 0x7463626e
/* PRAGMA user_version: the schema version this tcbench writes and reads.
 * Older files are migrated forward when opened; newer ones are refused. */
#define TCB_DB_SCHEMA_VERSION 1

typedef struct {
    sqlite3 *h;
    char path[1024];
} tcb_db;

/* Builds "PATH: what: SQLite's message" in d for a failed SQLite call and
 * returns its status: TCB_ERR_CONFIG for a file that is not SQLite or is
 * damaged (bad input), TCB_ERR_RUNTIME otherwise. */
tcb_status tcb_db_fail(tcb_db *db, int rc, tcb_diag *d, const char *what);

/* The one check of SQLite's return codes: anything but OK, ROW or DONE
 * returns tcb_db_fail's status from the calling function. */
#define TCB_SQL_CHECK(db, rc, d, what)                                         \
    do {                                                                       \
        int tcb_sql_rc_ = (rc);                                                \
        if (tcb_sql_rc_ != SQLITE_OK && tcb_sql_rc_ != SQLITE_ROW &&           \
            tcb_sql_rc_ != SQLITE_DONE)                                        \
            return tcb_db_fail(db, tcb_sql_rc_, d, what);                      \
    } while (0)

/* Opens path, creating an empty database there when create is true and the
 * file does not exist (or is empty), and migrating an older schema forward.
 * TCB_ERR_CONFIG with "PATH: why" in d for a missing file (create false), a
 * file that is not SQLite, another application's database, or a schema newer
 * than this tcbench's; TCB_ERR_RUNTIME for an I/O or lock failure. */
tcb_status tcb_db_open(const char *path, bool create, tcb_db *db, tcb_diag *d);
void tcb_db_close(tcb_db *db);

typedef enum {
    TCB_DB_ADDED,     /* the run was new */
    TCB_DB_SAME,      /* the same run, byte for byte, was there: nothing written */
    TCB_DB_UPDATED,   /* an earlier import of it was unfinished: replaced */
} tcb_db_outcome;

/* Imports a run read by tcb_run_dir_read, under the name system (NULL: the
 * first node's host name from run.json). Importing the same run again is a
 * no-op (TCB_DB_SAME). A run already imported with other content is an error
 * unless the stored one was unfinished (a run imported while it ran). */
tcb_status tcb_db_import(tcb_db *db, const tcb_run_dir *run, const char *system,
                         tcb_db_outcome *outcome, tcb_diag *d);

/* The records of the baseline a comparison reads, oldest run first, as new
 * references in *records (free each with json_decref, then the array):
 *
 *   "last"    the newest finished run of system that started before
 *             before_utc (NULL: any time) and is not exclude_run_id;
 *   "N-runs"  the N newest such runs, pooled (fewer when there are fewer);
 *   RUN_ID    that run, of any system.
 *
 * description (size bytes) says which runs they were, or that there were
 * none (then *n is 0: every case is new). TCB_ERR_CONFIG for a spec that is
 * none of these or a RUN_ID that is not there; TCB_ERR_CONFIG also for a
 * stored record that is not JSON (the file was edited by hand). */
tcb_status tcb_db_baseline(tcb_db *db, const char *spec, const char *system,
                           const char *exclude_run_id, const char *before_utc, json_t ***records,
                           int *n, char *description, size_t size, tcb_diag *d);

/* One line per run, oldest first: run id, system, suite, start, cases, how
 * many ok. */
tcb_status tcb_db_list(tcb_db *db, FILE *out, tcb_diag *d);

/* The run's manifest summary and one line per case: index, status, case
 * key, median time, samples. TCB_ERR_CONFIG when run_id is not there. */
tcb_status tcb_db_show(tcb_db *db, const char *run_id, FILE *out, tcb_diag *d);

#endif
