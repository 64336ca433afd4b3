/* `tcbench report RUN_DIR... [-o OUT]`: the records of one or more runs as
 * report.md (tables), report.html (one self-contained page: inline CSS and
 * inline SVG charts, no scripts) and a CSV per table, in OUT (default: the
 * first run directory). Sections appear only for what the runs hold:
 * collectives, gemm, transformer, energy, and the cost curves when a
 * cost.json from `tcbench cost` lies in OUT or the first run directory.
 * Only records whose check is "ok" are drawn; the others are counted.
 * docs/report.md describes every chart. */
#include "commands.h"
#include "html.h"
#include "report_cost.h"
#include "report_json.h"
#include "svg.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_RUNS 64

typedef struct {
    json_t **recs; /* owned references */
    int n, cap;
    int by_status[6]; /* ok wrong timeout error skipped other */
    char title[512];
} records;


static const char *const status_names[] = {"ok", "wrong", "timeout", "error", "skipped"};

/* ---- reading ------------------------------------------------------------------ */

static bool is_ok(json_t *rec)
{
    return strcmp(tcb_json_str(rec, "check.status"), "ok") == 0;
}

static tcb_status read_run(records *r, const char *dir)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        tcb_log_error("report: %s: cannot read results.jsonl: %s", dir, strerror(errno));
        return TCB_ERR_CONFIG;
    }
    char *line = NULL;
    size_t cap = 0;
    tcb_status st = TCB_OK;
    for (int lineno = 1; st == TCB_OK && getline(&line, &cap, f) > 0; lineno++) {
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        json_error_t err;
        json_t *rec = json_loads(line, 0, &err);
        if (!json_is_object(rec)) {
            tcb_log_error("report: %s:%d: not a JSON record: %s", path, lineno,
                          rec == NULL ? err.text : "not an object");
            json_decref(rec);
            st = TCB_ERR_CONFIG;
            break;
        }
        if (r->n == r->cap) {
            int c = r->cap ? 2 * r->cap : 64;
            json_t **grown = realloc(r->recs, (size_t)c * sizeof *grown);
            if (grown == NULL) {
                json_decref(rec);
                st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "realloc", "no memory");
                break;
            }
            r->recs = grown;
            r->cap = c;
        }
        r->recs[r->n++] = rec;
        int s = 0;
        while (s < 5 && strcmp(tcb_json_str(rec, "check.status"), status_names[s]) != 0)
            s++;
        r->by_status[s]++;
    }
    free(line);
    fclose(f);
    /* The suite's name, for the title; the directory's when run.json is gone. */
    snprintf(path, sizeof path, "%s/run.json", dir);
    json_t *run = json_load_file(path, 0, NULL);
    const char *name = tcb_json_str(run, "suite.name");
    size_t used = strlen(r->title);
    snprintf(r->title + used, sizeof r->title - used, "%s%s", used ? ", " : "",
             name[0] ? name : dir);
    json_decref(run);
    return st;
}

static double median_of(double *v, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort: a handful of values */
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n == 0 ? NAN : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- 1. collectives ---------------------------------------------------------- */

typedef struct {
    char chart[160], series[160];
    double x, y;
    json_t *rec;
} point;

static int point_cmp(const void *a, const void *b)
{
    const point *p = a, *q = b;
    int c = strcmp(p->chart, q->chart);
    if (c == 0)
        c = strcmp(p->series, q->series);
    return c != 0 ? c : (p->x > q->x) - (p->x < q->x);
}

static void collectives(tcb_page *o, const records *r)
{
    point *pts = calloc((size_t)r->n + 1, sizeof *pts);
    double *xs = calloc((size_t)r->n + 1, sizeof *xs), *ys = calloc((size_t)r->n + 1, sizeof *ys);
    tcb_svg_series *ser = calloc((size_t)r->n + 1, sizeof *ser);
    int n = 0;
    for (int i = 0; pts && xs && ys && ser && i < r->n; i++) {
        json_t *rec = r->recs[i];
        if (strcmp(tcb_json_str(rec, "workload"), "collective") != 0 || !is_ok(rec))
            continue;
        point *p = &pts[n++];
        snprintf(p->chart, sizeof p->chart, "%s (%s)", tcb_json_str(rec, "params.collective"),
                 tcb_json_str(rec, "params.scope"));
        snprintf(p->series, sizeof p->series, "%s, %.0f ranks, %s", tcb_json_str(rec, "params.dtype"),
                 tcb_json_num(rec, "ranks"), tcb_json_str(rec, "backend"));
        p->x = tcb_json_num(rec, "metrics.bytes");
        p->y = tcb_json_num(rec, "metrics.busbw_GBps");
        p->rec = rec;
    }
    if (n > 0) {
        qsort(pts, (size_t)n, sizeof *pts, point_cmp);
        tcb_page_section(o, "Collectives");
        tcb_page_note(o, "Bus bandwidth against message size, one chart per collective and scope, one "
                "line per dtype, rank count and backend.");
        for (int i = 0; i < n; i++)
            xs[i] = pts[i].x, ys[i] = pts[i].y;
        for (int c0 = 0; c0 < n;) {
            int c1 = c0, ns = 0;
            while (c1 < n && strcmp(pts[c1].chart, pts[c0].chart) == 0) {
                if (c1 == c0 || strcmp(pts[c1].series, pts[c1 - 1].series) != 0)
                    ser[ns++] = (tcb_svg_series){.label = pts[c1].series, .x = xs + c1,
                                                 .y = ys + c1};
                ser[ns - 1].n++;
                c1++;
            }
            tcb_svg_chart ch = {.title = pts[c0].chart, .xlabel = "message size (bytes per rank)",
                                .ylabel = "busbw (GB/s)", .xscale = TCB_SVG_LOG2,
                                .yscale = TCB_SVG_LINEAR};
            tcb_svg_line_chart(tcb_page_html(o), &ch, ser, ns);
            c0 = c1;
        }
        static const char *const cols[] = {"collective", "scope", "dtype", "ranks", "backend",
                                           "bytes", "busbw_GBps", "algbw_GBps", "median_us"};
        tcb_table t;
        tcb_table_begin(&t, o, "report_collectives.csv", cols, 9);
        for (int i = 0; i < n; i++) {
            json_t *rec = pts[i].rec;
            char v[5][32];
            tcb_fmt4g(v[0], sizeof v[0], tcb_json_num(rec, "ranks"));
            tcb_fmt4g(v[1], sizeof v[1], pts[i].x);
            tcb_fmt4g(v[2], sizeof v[2], pts[i].y);
            tcb_fmt4g(v[3], sizeof v[3], tcb_json_num(rec, "metrics.algbw_GBps"));
            tcb_fmt4g(v[4], sizeof v[4], tcb_json_num(rec, "time_s.median") * 1e6);
            const char *cells[] = {tcb_json_str(rec, "params.collective"), tcb_json_str(rec, "params.scope"),
                                   tcb_json_str(rec, "params.dtype"), v[0], tcb_json_str(rec, "backend"),
                                   v[1], v[2], v[3], v[4]};
            tcb_table_row(&t, cells);
        }
        tcb_table_end(&t);
    }
    free(pts);
    free(xs);
    free(ys);
    free(ser);
}

/* ---- 2. gemm, 3. transformer, 4. energy: bars per case ----------------------- */

static void bars(tcb_page *o, const char *title, const char *ylabel, const char **labels,
                 int ncat, const char *const *series, int nseries, const double *values)
{
    tcb_svg_bars b = {.title = title, .ylabel = ylabel, .labels = labels, .ncat = ncat,
                      .series = series, .nseries = nseries, .values = values};
    tcb_svg_bar_chart(tcb_page_html(o), &b);
}

static void gemm(tcb_page *o, const records *r)
{
    size_t n = (size_t)r->n + 1;
    int ns = 0, nrec = 0;
    char (*shape)[96] = calloc(n, sizeof *shape);
    json_t **recs = calloc(n, sizeof *recs);
    int *of = calloc(n, sizeof *of), *count = calloc(n, sizeof *count);
    const char **labels = calloc(n, sizeof *labels);
    double *vals = calloc(2 * n, sizeof *vals), *tmp = calloc(n, sizeof *tmp);
    for (int i = 0; shape && recs && of && count && labels && vals && tmp && i < r->n; i++) {
        json_t *rec = r->recs[i];
        if (strcmp(tcb_json_str(rec, "workload"), "gemm") != 0 || !is_ok(rec))
            continue;
        char lab[96];
        snprintf(lab, sizeof lab, "%.0fx%.0fx%.0f", tcb_json_num(rec, "params.m"), tcb_json_num(rec, "params.n"),
                 tcb_json_num(rec, "params.k"));
        int s = 0;
        while (s < ns && strcmp(shape[s], lab) != 0)
            s++;
        if (s == ns)
            snprintf(shape[ns++], sizeof shape[0], "%s", lab);
        of[nrec] = s;
        recs[nrec++] = rec;
    }
    if (nrec > 0) {
        tcb_page_section(o, "GEMM");
        tcb_page_note(o, "TFLOP/s per shape (MxNxK): the median over the shape's cases of each case's "
                "median-time rate (metrics.tflops), and the best rate of any of its cases "
                "(metrics.tflops_max, its fastest iteration, where the record has it).");
        /* values series-major: the medians, then the maxima */
        for (int s = 0; s < ns; s++) {
            vals[ns + s] = NAN;
            for (int j = 0; j < nrec; j++) {
                if (of[j] != s)
                    continue;
                double rate = tcb_json_num(recs[j], "metrics.tflops"), m = tcb_json_num(recs[j], "metrics.tflops_max");
                tmp[count[s]++] = rate;
                vals[ns + s] = fmax(vals[ns + s], isfinite(m) ? m : rate);
            }
            vals[s] = median_of(tmp, count[s]);
            labels[s] = shape[s];
        }
        static const char *const series[] = {"median", "max"};
        bars(o, "GEMM TFLOP/s per shape", "TFLOP/s", labels, ns, series, 2, vals);
        static const char *const cols[] = {"shape", "cases", "median_tflops", "max_tflops"};
        tcb_table t;
        tcb_table_begin(&t, o, "report_gemm.csv", cols, 4);
        for (int s = 0; s < ns; s++) {
            char v[3][32];
            snprintf(v[0], sizeof v[0], "%d", count[s]);
            tcb_fmt4g(v[1], sizeof v[1], vals[s]);
            tcb_fmt4g(v[2], sizeof v[2], vals[ns + s]);
            const char *cells[] = {shape[s], v[0], v[1], v[2]};
            tcb_table_row(&t, cells);
        }
        tcb_table_end(&t);
    }
    free(shape);
    free(recs);
    free(of);
    free(count);
    free(labels);
    free(vals);
    free(tmp);
}

/* The ok records of a workload (NULL: any) that have metric key (NULL: any);
 * labels "model #case" or "workload #case" into lab. Returns the count. */
static int pick(const records *r, const char *workload, const char *key, json_t **out,
                char (*lab)[96])
{
    int n = 0;
    for (int i = 0; i < r->n; i++) {
        json_t *rec = r->recs[i];
        if (!is_ok(rec) || (workload && strcmp(tcb_json_str(rec, "workload"), workload) != 0) ||
            (key && !isfinite(tcb_json_num(rec, key))))
            continue;
        const char *model = tcb_json_str(rec, "params.model");
        snprintf(lab[n], sizeof lab[n], "%s #%.0f", model[0] ? model : tcb_json_str(rec, "workload"),
                 tcb_json_num(rec, "case"));
        out[n++] = rec;
    }
    return n;
}

static void transformer(tcb_page *o, const records *r)
{
    json_t **recs = calloc((size_t)r->n + 1, sizeof *recs);
    char (*lab)[96] = calloc((size_t)r->n + 1, sizeof *lab);
    const char **labels = calloc((size_t)r->n + 1, sizeof *labels);
    double *vals = calloc(2 * (size_t)r->n + 2, sizeof *vals);
    int n = recs && lab && labels && vals ? pick(r, "transformer", NULL, recs, lab) : 0;
    if (n > 0) {
        tcb_page_section(o, "Transformer");
        tcb_page_note(o, "MFU per case: model FLOPs per second over the device's dense peak, and "
                "achievable MFU over the best GEMM rate the device reached.");
        for (int i = 0; i < n; i++) {
            labels[i] = lab[i];
            vals[i] = tcb_json_num(recs[i], "metrics.mfu");
            vals[n + i] = tcb_json_num(recs[i], "metrics.achievable_mfu");
        }
        static const char *const series[] = {"MFU", "achievable MFU"};
        bars(o, "Transformer MFU per case", "MFU", labels, n, series, 2, vals);
        static const char *const cols[] = {"case", "model", "layers", "tp", "batch", "seq",
                                           "tokens_per_s", "tflops", "mfu", "achievable_mfu",
                                           "loss_first", "loss_last", "peak_rss_MiB"};
        static const char *const keys[] = {"params.tp", "params.batch", "params.seq",
                                           "metrics.tokens_per_s", "metrics.tflops_per_device",
                                           "metrics.mfu", "metrics.achievable_mfu",
                                           "metrics.loss_first", "metrics.loss_last"};
        tcb_table t;
        tcb_table_begin(&t, o, "report_transformer.csv", cols, 13);
        for (int i = 0; i < n; i++) {
            char v[11][32];
            double layers = tcb_json_num(recs[i], "params.layers");
            if (layers == 0)
                snprintf(v[0], sizeof v[0], "all");
            else
                tcb_fmt4g(v[0], sizeof v[0], layers);
            for (int k = 0; k < 9; k++)
                tcb_fmt4g(v[k + 1], sizeof v[k + 1], tcb_json_num(recs[i], keys[k]));
            tcb_fmt4g(v[10], sizeof v[10], tcb_json_num(recs[i], "metrics.peak_rss_bytes") / 1048576.0);
            const char *cells[] = {lab[i], tcb_json_str(recs[i], "params.model"), v[0], v[1], v[2], v[3],
                                   v[4], v[5], v[6], v[7], v[8], v[9], v[10]};
            tcb_table_row(&t, cells);
        }
        tcb_table_end(&t);
    }
    free(recs);
    free(lab);
    free(labels);
    free(vals);
}

/* Why the first record that has an energy object was not measured, or "". */
static const char *energy_why(const records *r)
{
    for (int i = 0; i < r->n; i++) {
        const char *why = tcb_json_str(r->recs[i], "energy.why");
        if (why[0] != '\0')
            return why;
    }
    return "";
}

static void energy(tcb_page *o, const records *r)
{
    json_t **recs = calloc((size_t)r->n + 1, sizeof *recs);
    char (*lab)[96] = calloc((size_t)r->n + 1, sizeof *lab);
    const char **labels = calloc((size_t)r->n + 1, sizeof *labels);
    double *vals = calloc((size_t)r->n + 1, sizeof *vals);
    int n = recs && lab && labels && vals ? pick(r, NULL, "metrics.joules", recs, lab) : 0;
    tcb_page_section(o, "Energy");
    if (n == 0) {
        const char *why = energy_why(r);
        char line[1200];
        snprintf(line, sizeof line, "no energy measured: no record has metrics.joules%s%s%s",
                 why[0] ? " (" : "", why, why[0] ? ")" : "");
        tcb_page_note(o, line);
    } else {
        tcb_page_note(o, "Joules of each case's timed iterations, summed over every rank's "
                      "device and every node's CPU packages (docs/energy.md).");
        for (int i = 0; i < n; i++) {
            labels[i] = lab[i];
            vals[i] = tcb_json_num(recs[i], "metrics.joules");
        }
        static const char *const series[] = {"joules"};
        bars(o, "Energy per case", "joules", labels, n, series, 1, vals);
        static const char *const cols[] = {"case", "workload", "joules", "avg_watts",
                                           "joules_per_token", "gflop_per_joule", "methods"};
        static const char *const keys[] = {"metrics.joules", "metrics.avg_watts",
                                           "metrics.joules_per_token",
                                           "metrics.gflop_per_joule"};
        tcb_table t;
        tcb_table_begin(&t, o, "report_energy.csv", cols, 7);
        for (int i = 0; i < n; i++) {
            char v[4][32], methods[64] = "";
            for (int k = 0; k < 4; k++)
                tcb_fmt4g(v[k], sizeof v[k], tcb_json_num(recs[i], keys[k]));
            size_t j;
            json_t *m;
            json_array_foreach(json_object_get(json_object_get(recs[i], "energy"), "methods"), j,
                               m) {
                size_t len = strlen(methods);
                snprintf(methods + len, sizeof methods - len, "%s%s", len ? " " : "",
                         json_string_value(m));
            }
            const char *cells[] = {lab[i], tcb_json_str(recs[i], "workload"), v[0], v[1], v[2],
                                   v[3], methods};
            tcb_table_row(&t, cells);
        }
        tcb_table_end(&t);
    }
    free(recs);
    free(lab);
    free(labels);
    free(vals);
}

/* ---- the command ------------------------------------------------------------- */

static void summary(tcb_page *o, const records *r, const char *const *runs, int nruns)
{
    tcb_page_section(o, "Runs");
    tcb_page_list(o, true);
    for (int i = 0; i < nruns; i++)
        tcb_page_item(o, runs[i]);
    tcb_page_list(o, false);
    char line[512];
    int len = snprintf(line, sizeof line, "%d records, %d with check ok (drawn)", r->n,
                       r->by_status[0]);
    for (int s = 1; s < 6; s++)
        if (r->by_status[s] > 0 && len < (int)sizeof line)
            len += snprintf(line + len, sizeof line - (size_t)len, "; not drawn: %d %s",
                            r->by_status[s], s < 5 ? status_names[s] : "without a known status");
    tcb_page_note(o, line);
}

tcb_status tcb_cmd_report(int argc, char **argv)
{
    const char *runs[MAX_RUNS], *out = NULL;
    int nruns = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0) {
            if (i + 1 >= argc) {
                tcb_log_error("report: -o needs a directory");
                return TCB_ERR_CONFIG;
            }
            out = argv[++i];
        } else if (argv[i][0] == '-') {
            tcb_log_error("report: %s is not an option of report", argv[i]);
            return TCB_ERR_CONFIG;
        } else if (nruns < MAX_RUNS) {
            runs[nruns++] = argv[i];
        } else {
            tcb_log_error("report: at most %d run directories", MAX_RUNS);
            return TCB_ERR_CONFIG;
        }
    }
    if (nruns == 0) {
        tcb_log_error("report: name at least one run directory");
        tcb_usage(stderr);
        return TCB_ERR_CONFIG;
    }
    if (out == NULL)
        out = runs[0];
    records r = {0};
    tcb_status st = TCB_OK;
    for (int i = 0; i < nruns && st == TCB_OK; i++)
        st = read_run(&r, runs[i]);
    tcb_report_cost cd = {0};
    if (st == TCB_OK)
        st = tcb_report_cost_load(&cd, out, runs[0]);
    tcb_page o;
    if (st == TCB_OK) {
        char title[600];
        snprintf(title, sizeof title, "tcbench report: %s", r.title);
        st = tcb_page_open(&o, title);
        if (st == TCB_OK) {
            summary(&o, &r, runs, nruns);
            collectives(&o, &r);
            gemm(&o, &r);
            transformer(&o, &r);
            energy(&o, &r);
            tcb_report_cost_section(&o, &cd);
            st = tcb_page_write(&o, out);
            if (st == TCB_OK)
                printf("# report: %s/report.html (report.md and %d CSV table(s) beside it)\n",
                       out, o.ncsv);
            tcb_page_free(&o);
        }
    }
    json_decref(cd.doc);
    for (int i = 0; i < r.n; i++)
        json_decref(r.recs[i]);
    free(r.recs);
    return st;
}
