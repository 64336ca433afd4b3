/* `tcbench compare --db FILE --current RUN_DIR [--baseline last|N-runs|RUN_ID]
 * [--references FILE] [--system NAME] [--test mann-whitney|welch] [--alpha A]
 * [--junit F] [--summary F] [--json F] [--openmetrics F]`: the nightly
 * regression gate (compare.h) from the command line. Exit 1 on a regression
 * or a failed check. docs/nightly.md. */
#include "commands.h"
#include "compare.h"
#include "db.h"
#include "run_dir.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A GitHub job summary may hold 1 MiB; keep room for what else the job adds. */
#define SUMMARY_CAP (1000 * 1000)

enum { OUT_JUNIT, OUT_SUMMARY, OUT_JSON, OUT_OPENMETRICS, OUT_COUNT };

static const char *const out_flags[OUT_COUNT] = {"--junit", "--summary", "--json", "--openmetrics"};

typedef struct {
    const char *db, *current, *baseline, *references, *system, *test, *alpha;
    const char *out[OUT_COUNT];
} compare_options;

static const char **flag_slot(compare_options *o, const char *arg)
{
    static const struct {
        const char *flag;
        size_t offset;
    } flags[] = {
        {"--db", offsetof(compare_options, db)},
        {"--current", offsetof(compare_options, current)},
        {"--baseline", offsetof(compare_options, baseline)},
        {"--references", offsetof(compare_options, references)},
        {"--system", offsetof(compare_options, system)},
        {"--test", offsetof(compare_options, test)},
        {"--alpha", offsetof(compare_options, alpha)},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(arg, flags[i].flag) == 0)
            return (const char **)((char *)o + flags[i].offset);
    for (int i = 0; i < OUT_COUNT; i++)
        if (strcmp(arg, out_flags[i]) == 0)
            return &o->out[i];
    return NULL;
}

static tcb_status parse(int argc, char **argv, compare_options *o, tcb_compare_opts *opts)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char **slot = flag_slot(o, argv[i]);
        if (slot == NULL || i + 1 >= argc) {
            tcb_log_error("compare: %s %s", argv[i],
                          slot ? "needs a value" : "is not an option of compare");
            return TCB_ERR_CONFIG;
        }
        *slot = argv[++i];
    }
    if (o->db == NULL || o->current == NULL) {
        tcb_log_error("compare: --db FILE and --current RUN_DIR are required");
        return TCB_ERR_CONFIG;
    }
    o->baseline = o->baseline ? o->baseline : "last";
    const char *test = o->test ? o->test : "mann-whitney";
    if (strcmp(test, "mann-whitney") != 0 && strcmp(test, "welch") != 0) {
        tcb_log_error("compare: --test %s: not mann-whitney or welch", test);
        return TCB_ERR_CONFIG;
    }
    opts->test = strcmp(test, "welch") == 0 ? TCB_TEST_WELCH : TCB_TEST_MANN_WHITNEY;
    opts->alpha = 0.01;
    if (o->alpha != NULL) {
        char *end = NULL;
        errno = 0;
        opts->alpha = strtod(o->alpha, &end);
        if (end == o->alpha || *end != '\0' || errno != 0 ||
            !(opts->alpha > 0 && opts->alpha < 1)) {
            tcb_log_error("compare: --alpha %s: a significance level between 0 and 1, "
                          "such as 0.01",
                          o->alpha);
            return TCB_ERR_CONFIG;
        }
    }
    return TCB_OK;
}

/* Writes one output through PATH.tmp and a rename, so a failed write leaves
 * the file of the night before as it was. */
static tcb_status write_output(int which, const char *path, const tcb_gate_report *r)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        tcb_log_error("compare: %s: cannot write: %s", tmp, strerror(errno));
        return TCB_ERR_RUNTIME;
    }
    tcb_status st = TCB_OK;
    if (which == OUT_JUNIT) {
        st = tcb_gate_write_junit(r, f);
    } else if (which == OUT_SUMMARY) {
        st = tcb_gate_write_summary(r, f, SUMMARY_CAP);
    } else if (which == OUT_OPENMETRICS) {
        st = tcb_gate_write_openmetrics(r, f);
    } else {
        json_t *j = tcb_gate_json(r);
        st = j != NULL &&
                     json_dumpf(j, f,
                                JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) == 0
                 ? TCB_OK
                 : TCB_ERR_RUNTIME;
        json_decref(j);
    }
    if (fclose(f) != 0 && st == TCB_OK)
        st = TCB_ERR_RUNTIME;
    if (st == TCB_OK && rename(tmp, path) != 0)
        st = TCB_ERR_RUNTIME;
    if (st != TCB_OK) {
        tcb_log_error("compare: %s: not written (%s)", path, strerror(errno));
        unlink(tmp);
    }
    return st;
}

static void print_number(FILE *out, double v, const char *fmt)
{
    if (isfinite(v))
        fprintf(out, fmt, v);
    else
        fprintf(out, "%*s", atoi(fmt + 1), "-");
}

/* The items that are not ok, then the counts and the verdict. */
static void print_report(FILE *out, const tcb_gate_report *r, bool failing)
{
    fprintf(out, "# compare: run %s of %s (%s)\n# baseline: %s\n# test: %s at alpha %g\n",
            r->current_run, r->system, r->hosts, r->baseline, r->test, r->alpha);
    fprintf(out, "#%-11s %-24s %12s %12s %9s %9s  %s\n", "verdict", "metric", "baseline", "current",
            "change", "p", "case");
    for (int i = 0; i < r->n; i++) {
        const tcb_gate_item *it = &r->items[i];
        if (it->verdict == TCB_GATE_OK)
            continue;
        fprintf(out, " %-11s %-24s ", tcb_gate_verdict_name(it->verdict), it->metric);
        print_number(out, it->baseline, "%12.5g");
        fputc(' ', out);
        print_number(out, it->current, "%12.5g");
        fputc(' ', out);
        print_number(out, 100 * it->change, "%+8.2f%%");
        fputc(' ', out);
        print_number(out, it->p_value, "%9.2g");
        fprintf(out, "  %s%s%s\n", it->case_id, it->detail[0] ? "  # " : "", it->detail);
    }
    int c[TCB_GATE_NVERDICTS];
    tcb_gate_count(r, c);
    fprintf(out,
            "# %d regression, %d failed, %d improvement, %d noise, %d new, %d "
            "missing, "
            "%d ok: %s\n",
            c[TCB_GATE_REGRESSION], c[TCB_GATE_FAILED], c[TCB_GATE_IMPROVEMENT], c[TCB_GATE_NOISE],
            c[TCB_GATE_NEW], c[TCB_GATE_MISSING], c[TCB_GATE_OK],
            failing ? "FAIL (exit 1)" : "pass");
}

/* The report's header fields from the run's manifest. */
static void describe(tcb_gate_report *r, const tcb_run_dir *run, const char *system,
                     const char *baseline)
{
    snprintf(r->system, sizeof r->system, "%s", system);
    snprintf(r->current_run, sizeof r->current_run, "%s", run->run_id);
    snprintf(r->baseline, sizeof r->baseline, "%s", baseline);
    tcb_run_dir_hosts(run, r->hosts, sizeof r->hosts);
}

static tcb_status gate(const compare_options *o, tcb_compare_opts *opts, const tcb_run_dir *run,
                       tcb_db *db, tcb_diag *d)
{
    json_t **base = NULL;
    int nb = 0;
    char described[256];
    json_t *start = json_object_get(run->manifest, "start_utc");
    TCB_CHECK(tcb_db_baseline(db, o->baseline, opts->system, run->run_id,
                              json_is_string(start) ? json_string_value(start) : NULL, &base, &nb,
                              described, sizeof described, d));
    tcb_gate_report r;
    memset(&r, 0, sizeof r);
    tcb_status st = tcb_compare(run->records, run->n, base, nb, opts, &r, d);
    for (int i = 0; i < nb; i++)
        json_decref(base[i]);
    free(base);
    TCB_CHECK(st);
    describe(&r, run, opts->system, described);
    int c[TCB_GATE_NVERDICTS];
    tcb_gate_count(&r, c);
    bool failing = c[TCB_GATE_REGRESSION] > 0 || c[TCB_GATE_FAILED] > 0;
    print_report(stdout, &r, failing);
    for (int k = 0; k < OUT_COUNT; k++)
        if (o->out[k] != NULL)
            st = tcb_status_worst(st, write_output(k, o->out[k], &r));
    tcb_compare_free(&r);
    return st != TCB_OK ? st : failing ? TCB_ERR_WRONG : TCB_OK;
}

tcb_status tcb_cmd_compare(int argc, char **argv)
{
    compare_options o;
    tcb_compare_opts opts = {0};
    TCB_CHECK(parse(argc, argv, &o, &opts));
    tcb_diag d = {{0}};
    tcb_run_dir run;
    tcb_references refs;
    tcb_references_default(&refs);
    tcb_status st = tcb_run_dir_read(o.current, &run, &d);
    if (st == TCB_OK && o.references != NULL)
        st = tcb_references_load(o.references, &refs, &d);
    if (st == TCB_OK) {
        opts.refs = &refs;
        opts.system = o.system != NULL ? o.system : tcb_run_dir_system(&run);
        tcb_db db;
        st = tcb_db_open(o.db, false, &db, &d);
        if (st == TCB_OK) {
            st = gate(&o, &opts, &run, &db, &d);
            tcb_db_close(&db);
        }
    }
    if (d.msg[0] != '\0' && st != TCB_OK && st != TCB_ERR_WRONG)
        tcb_log_error("compare: %s", d.msg);
    tcb_references_free(&refs);
    if (run.manifest != NULL)
        tcb_run_dir_free(&run);
    return st;
}
