/* `tcbench db import RUN_DIR... --db FILE [--system NAME]`,
 * `tcbench db list --db FILE`, `tcbench db show RUN_ID --db FILE`,
 * `tcbench db trend --db FILE [--system NAME] [--case GLOB] [--metric NAME]
 *  [--min-size K] [--permutations R] [--significance A] [--seed N]`: the
 * history database of reports/db.h and the trends of reports/trend.h from the
 * command line. docs/nightly.md. */
#include "commands.h"
#include "db.h"
#include "run_dir.h"
#include "trend.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 4096

typedef struct {
    const char *verb, *db, *system;
    /* trend's options as given; the numbers are checked by trend_options */
    const char *kase, *metric, *min_size, *permutations, *significance, *seed;
    const char *args[MAX_ARGS]; /* run directories, or the run id */
    int nargs;
} db_options;

/* The slot of a flag that takes a value, NULL for anything else; *trend_only
 * says whether only trend takes it. */
static const char **flag_slot(db_options *o, const char *arg, bool *trend_only)
{
    const struct {
        const char *name;
        const char **slot;
        bool trend_only;
    } flags[] = {
        {"--db", &o->db, false},
        {"--system", &o->system, false},
        {"--case", &o->kase, true},
        {"--metric", &o->metric, true},
        {"--min-size", &o->min_size, true},
        {"--permutations", &o->permutations, true},
        {"--significance", &o->significance, true},
        {"--seed", &o->seed, true},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(arg, flags[i].name) == 0) {
            *trend_only = flags[i].trend_only;
            return flags[i].slot;
        }
    return NULL;
}

/* Which verbs take which flags, checked once the verb is known. */
static tcb_status check_flags(const db_options *o, bool trend_only_given)
{
    bool import = strcmp(o->verb, "import") == 0, trend = strcmp(o->verb, "trend") == 0;
    if (o->system != NULL && !import && !trend) {
        tcb_log_error("db %s: --system is an option of import and trend", o->verb);
        return TCB_ERR_CONFIG;
    }
    if (trend_only_given && !trend) {
        tcb_log_error("db %s: --case, --metric, --min-size, --permutations, --significance and "
                      "--seed are options of trend",
                      o->verb);
        return TCB_ERR_CONFIG;
    }
    return TCB_OK;
}

static tcb_status parse(int argc, char **argv, db_options *o)
{
    memset(o, 0, sizeof *o);
    o->verb = argc > 1 ? argv[1] : "";
    bool trend_only_given = false;
    for (int i = 2; i < argc; i++) {
        bool trend_only = false;
        const char **flag = flag_slot(o, argv[i], &trend_only);
        if (flag != NULL && i + 1 < argc) {
            *flag = argv[++i];
            trend_only_given = trend_only_given || trend_only;
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
    bool trend = strcmp(o->verb, "trend") == 0;
    if (!import && !show && !trend && strcmp(o->verb, "list") != 0) {
        tcb_log_error("db: '%s' is not import, list, show or trend", o->verb);
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
                      import  ? "name at least one run directory"
                      : show  ? "name one run id (tcbench db list shows them)"
                      : trend ? "takes no arguments besides its options"
                              : "takes no arguments besides --db");
        return TCB_ERR_CONFIG;
    }
    return check_flags(o, trend_only_given);
}

/* A whole number in [lo, hi], all of text. */
static bool parse_long(const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* trend's options with their defaults: min size 5 (a week of nights is the
 * shortest level worth naming), 199 permutations (p-values resolve 0.005),
 * significance 0.05, seed 1. One message for the first bad value. */
static tcb_status trend_options(const db_options *o, tcb_trend_opts *t)
{
    *t = (tcb_trend_opts){.system = o->system, .case_glob = o->kase, .metric = o->metric,
                          .cp = {.permutations = 199, .significance = 0.05, .min_size = 5,
                                 .seed = 1}};
    long v;
    if (o->min_size != NULL && !parse_long(o->min_size, 2, 1L << 20, &v)) {
        tcb_log_error("db trend: --min-size '%s': want a whole number from 2 to %ld",
                      o->min_size, 1L << 20);
        return TCB_ERR_CONFIG;
    }
    if (o->min_size != NULL)
        t->cp.min_size = (int)v;
    if (o->permutations != NULL && !parse_long(o->permutations, 1, 1L << 24, &v)) {
        tcb_log_error("db trend: --permutations '%s': want a whole number from 1 to %ld",
                      o->permutations, 1L << 24);
        return TCB_ERR_CONFIG;
    }
    if (o->permutations != NULL)
        t->cp.permutations = (int)v;
    if (o->significance != NULL) {
        char *end;
        t->cp.significance = strtod(o->significance, &end);
        if (end == o->significance || *end != '\0' ||
            !(t->cp.significance > 0 && t->cp.significance < 1)) {
            tcb_log_error("db trend: --significance '%s': want a number strictly between 0 "
                          "and 1, e.g. 0.05",
                          o->significance);
            return TCB_ERR_CONFIG;
        }
    }
    /* strtoul would take "-1" as a huge seed: digits only. */
    if (o->seed != NULL) {
        char *end;
        errno = 0;
        t->cp.seed = strtoul(o->seed, &end, 10);
        if (!isdigit((unsigned char)o->seed[0]) || *end != '\0' || errno != 0) {
            tcb_log_error("db trend: --seed '%s': want a whole number >= 0", o->seed);
            return TCB_ERR_CONFIG;
        }
    }
    return TCB_OK;
}

/* A report, not a gate: change points found or not, the status is 0. */
static tcb_status trend(tcb_db *db, const tcb_trend_opts *t, tcb_diag *d)
{
    int n_changes;
    return tcb_db_trend(db, t, stdout, &n_changes, d);
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
    /* Bad values are refused before the database is opened. */
    tcb_trend_opts t;
    bool trending = strcmp(o.verb, "trend") == 0;
    if (trending)
        TCB_CHECK(trend_options(&o, &t));
    tcb_db db;
    tcb_diag d = {{0}};
    bool importing = strcmp(o.verb, "import") == 0;
    tcb_status st = tcb_db_open(o.db, importing, &db, &d);
    if (st == TCB_OK) {
        st = importing                      ? import(&db, &o)
             : strcmp(o.verb, "list") == 0  ? tcb_db_list(&db, stdout, &d)
             : trending                     ? trend(&db, &t, &d)
                                            : tcb_db_show(&db, o.args[0], stdout, &d);
        tcb_db_close(&db);
    }
    if (st != TCB_OK && d.msg[0] != '\0')
        tcb_log_error("db %s: %s", o.verb, d.msg);
    return st;
}
