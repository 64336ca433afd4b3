/* `tcbench db import RUN_DIR... --db FILE [--system NAME]`,
 * `tcbench db list --db FILE`, `tcbench db show RUN_ID --db FILE`: the
 * history database of reports/db.h from the command line. docs/nightly.md. */
#include "commands.h"
#include "db.h"
#include "run_dir.h"

#include <stdio.h>
#include <string.h>

#define MAX_ARGS 4096

typedef struct {
    const char *verb, *db, *system;
    const char *args[MAX_ARGS]; /* run directories, or the run id */
    int nargs;
} db_options;

static tcb_status parse(int argc, char **argv, db_options *o)
{
    memset(o, 0, sizeof *o);
    o->verb = argc > 1 ? argv[1] : "";
    for (int i = 2; i < argc; i++) {
        const char **flag = strcmp(argv[i], "--db") == 0       ? &o->db
                            : strcmp(argv[i], "--system") == 0 ? &o->system
                                                               : NULL;
        if (flag != NULL && i + 1 < argc) {
            *flag = argv[++i];
        } else if (flag != NULL || argv[i][0] == '-') {
            tcb_log_error("db: %s %s", argv[i], flag ? "needs a value" : "is not an option of db");
            return TCB_ERR_CONFIG;
        } else if (o->nargs < MAX_ARGS) {
            o->args[o->nargs++] = argv[i];
        } else {
            tcb_log_error("db: at most %d arguments", MAX_ARGS);
            return TCB_ERR_CONFIG;
        }
    }
    bool import = strcmp(o->verb, "import") == 0, show = strcmp(o->verb, "show") == 0;
    if (!import && !show && strcmp(o->verb, "list") != 0) {
        tcb_log_error("db: '%s' is not import, list or show", o->verb);
        tcb_usage(stderr);
        return TCB_ERR_CONFIG;
    }
    if (o->db == NULL) {
        tcb_log_error("db %s: --db FILE is required", o->verb);
        return TCB_ERR_CONFIG;
    }
    int want = import ? -1 : show ? 1 : 0; /* -1: one or more */
    if ((want < 0 && o->nargs == 0) || (want >= 0 && o->nargs != want)) {
        tcb_log_error("db %s: %s", o->verb,
                      import ? "name at least one run directory"
                      : show ? "name one run id (tcbench db list shows them)"
                             : "takes no arguments besides --db");
        return TCB_ERR_CONFIG;
    }
    if (o->system != NULL && !import) {
        tcb_log_error("db %s: --system is an option of import", o->verb);
        return TCB_ERR_CONFIG;
    }
    return TCB_OK;
}

/* Each run is read whole and checked before its transaction starts, so a
 * bad run leaves the database as it was; the others still go in. */
static tcb_status import(tcb_db *db, const db_options *o)
{
    static const char *const said[] = {[TCB_DB_ADDED] = "imported",
                                       [TCB_DB_SAME] = "already there, unchanged",
                                       [TCB_DB_UPDATED] = "updated (was unfinished)"};
    tcb_status worst = TCB_OK;
    for (int i = 0; i < o->nargs; i++) {
        tcb_run_dir run;
        tcb_diag d = {{0}};
        tcb_db_outcome outcome;
        tcb_status st = tcb_run_dir_read(o->args[i], &run, &d);
        if (st == TCB_OK) {
            st = tcb_db_import(db, &run, o->system, &outcome, &d);
            if (st == TCB_OK)
                printf("%s: %s (%d cases)\n", run.run_id, said[outcome], run.n);
            tcb_run_dir_free(&run);
        }
        if (st != TCB_OK)
            tcb_log_error("db import: %s", d.msg);
        worst = tcb_status_worst(worst, st);
    }
    return worst;
}

tcb_status tcb_cmd_db(int argc, char **argv)
{
    db_options o;
    TCB_CHECK(parse(argc, argv, &o));
    tcb_db db;
    tcb_diag d = {{0}};
    bool importing = strcmp(o.verb, "import") == 0;
    tcb_status st = tcb_db_open(o.db, importing, &db, &d);
    if (st == TCB_OK) {
        st = importing                    ? import(&db, &o)
             : strcmp(o.verb, "list") == 0 ? tcb_db_list(&db, stdout, &d)
                                           : tcb_db_show(&db, o.args[0], stdout, &d);
        tcb_db_close(&db);
    }
    if (st != TCB_OK && d.msg[0] != '\0')
        tcb_log_error("db %s: %s", o.verb, d.msg);
    return st;
}
