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

static json_t *at(json_t *o, const char *path)
{
    char key[64];
    while (o != NULL && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        o = json_object_get(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

static double num(json_t *o, const char *path)
{
    json_t *v = at(o, path);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(json_t *o, const char *path)
{
    json_t *v = at(o, path);
    return json_is_string(v) ? json_string_value(v) : "";
}

static bool is_ok(json_t *rec)
{
    return strcmp(str(rec, "check.status"), "ok") == 0;
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
        while (s < 5 && strcmp(str(rec, "check.status"), status_names[s]) != 0)
            s++;
        r->by_status[s]++;
    }
    free(line);
    fclose(f);
    /* The suite's name, for the title; the directory's when run.json is gone. */
    snprintf(path, sizeof path, "%s/run.json", dir);
    json_t *run = json_load_file(path, 0, NULL);
    const char *name = str(run, "suite.name");
    size_t used = strlen(r->title);
    snprintf(r->title + used, sizeof r->title - used, "%s%s", used ? ", " : "",
             name[0] ? name : dir);
    json_decref(run);
    return st;
}

static void fmt(char *buf, size_t n, double v)
{
    if (isfinite(v))
        snprintf(buf, n, "%.4g", v);
    else
        snprintf(buf, n, "-");
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
        if (strcmp(str(rec, "workload"), "collective") != 0 || !is_ok(rec))
            continue;
        point *p = &pts[n++];
        snprintf(p->chart, sizeof p->chart, "%s (%s)", str(rec, "params.collective"),
                 str(rec, "params.scope"));
        snprintf(p->series, sizeof p->series, "%s, %.0f ranks, %s", str(rec, "params.dtype"),
                 num(rec, "ranks"), str(rec, "backend"));
        p->x = num(rec, "metrics.bytes");
        p->y = num(rec, "metrics.busbw_GBps");
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
            fmt(v[0], sizeof v[0], num(rec, "ranks"));
            fmt(v[1], sizeof v[1], pts[i].x);
            fmt(v[2], sizeof v[2], pts[i].y);
            fmt(v[3], sizeof v[3], num(rec, "metrics.algbw_GBps"));
            fmt(v[4], sizeof v[4], num(rec, "time_s.median") * 1e6);
            const char *cells[] = {str(rec, "params.collective"), str(rec, "params.scope"),
                                   str(rec, "params.dtype"), v[0], str(rec, "backend"),
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
        if (strcmp(str(rec, "workload"), "gemm") != 0 || !is_ok(rec))
            continue;
        char lab[96];
        snprintf(lab, sizeof lab, "%.0fx%.0fx%.0f", num(rec, "params.m"), num(rec, "params.n"),
                 num(rec, "params.k"));
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
                double rate = num(recs[j], "metrics.tflops"), m = num(recs[j], "metrics.tflops_max");
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
            fmt(v[1], sizeof v[1], vals[s]);
            fmt(v[2], sizeof v[2], vals[ns + s]);
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
        if (!is_ok(rec) || (workload && strcmp(str(rec, "workload"), workload) != 0) ||
            (key && !isfinite(num(rec, key))))
            continue;
        const char *model = str(rec, "params.model");
        snprintf(lab[n], sizeof lab[n], "%s #%.0f", model[0] ? model : str(rec, "workload"),
                 num(rec, "case"));
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
            vals[i] = num(recs[i], "metrics.mfu");
            vals[n + i] = num(recs[i], "metrics.achievable_mfu");
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
            double layers = num(recs[i], "params.layers");
            if (layers == 0)
                snprintf(v[0], sizeof v[0], "all");
            else
                fmt(v[0], sizeof v[0], layers);
            for (int k = 0; k < 9; k++)
                fmt(v[k + 1], sizeof v[k + 1], num(recs[i], keys[k]));
            fmt(v[10], sizeof v[10], num(recs[i], "metrics.peak_rss_bytes") / 1048576.0);
            const char *cells[] = {lab[i], str(recs[i], "params.model"), v[0], v[1], v[2], v[3],
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

static void energy(tcb_page *o, const records *r)
{
    json_t **recs = calloc((size_t)r->n + 1, sizeof *recs);
    char (*lab)[96] = calloc((size_t)r->n + 1, sizeof *lab);
    const char **labels = calloc((size_t)r->n + 1, sizeof *labels);
    double *vals = calloc((size_t)r->n + 1, sizeof *vals);
    int n = recs && lab && labels && vals ? pick(r, NULL, "metrics.joules", recs, lab) : 0;
    tcb_page_section(o, "Energy");
    if (n == 0) {
        tcb_page_note(o, "no energy measured: no record has metrics.joules (no energy collector ran).");
    } else {
        for (int i = 0; i < n; i++) {
            labels[i] = lab[i];
            vals[i] = num(recs[i], "metrics.joules");
        }
        static const char *const series[] = {"joules"};
        bars(o, "Energy per case", "joules", labels, n, series, 1, vals);
        static const char *const cols[] = {"case", "workload", "joules"};
        tcb_table t;
        tcb_table_begin(&t, o, "report_energy.csv", cols, 3);
        for (int i = 0; i < n; i++) {
            char v[32];
            fmt(v, sizeof v, vals[i]);
            const char *cells[] = {lab[i], str(recs[i], "workload"), v};
            tcb_table_row(&t, cells);
        }
        tcb_table_end(&t);
    }
    free(recs);
    free(lab);
    free(labels);
    free(vals);
}

/* ---- 5. cost: cost.json from `tcbench cost` ---------------------------------- */

#define MAX_GENS 32
#define MAX_HW 64

typedef struct {
    json_t *doc; /* owned; NULL: no cost.json */
    char path[1100];
} cost_data;

/* OUT/cost.json, else RUN/cost.json. One that does not parse is an error;
 * one of another schema is left out with a note. */
static tcb_status cost_load(cost_data *cd, const char *out, const char *run)
{
    const char *dirs[2] = {out, run};
    for (int i = 0; i < 2 && cd->doc == NULL; i++) {
        snprintf(cd->path, sizeof cd->path, "%s/cost.json", dirs[i]);
        if (access(cd->path, F_OK) != 0)
            continue;
        json_error_t err;
        cd->doc = json_load_file(cd->path, 0, &err);
        if (cd->doc == NULL) {
            tcb_log_error("report: %s:%d: not JSON: %s", cd->path, err.line, err.text);
            return TCB_ERR_CONFIG;
        }
    }
    return TCB_OK;
}

static int index_of(const char **names, int *n, int max, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    if (*n == max)
        return -1;
    names[*n] = name;
    return (*n)++;
}

/* The cell's dollars for hardware h: on demand, or owned for the hardware
 * whose catalog entry has no on-demand price. */
static json_t *dollars(json_t *cell, bool owned)
{
    return at(cell, owned ? "results.usd_own" : "results.usd_ondemand");
}

/* cost.json's notes: what the table assumed or could not find, and where. */
static void cost_notes(tcb_page *o, json_t *notes)
{
    if (json_array_size(notes) == 0)
        return;
    tcb_page_note(o, "Assumed or missing:");
    tcb_page_list(o, true);
    size_t i;
    json_t *n;
    json_array_foreach(notes, i, n) {
        char item[4096];
        int len = snprintf(item, sizeof item, "%s", str(n, "note"));
        size_t r;
        json_t *row;
        json_array_foreach(json_object_get(n, "rows"), r, row) {
            if (len >= 0 && (size_t)len < sizeof item)
                len += snprintf(item + len, sizeof item - (size_t)len, "%s%s", r ? ", " : ": ",
                                json_is_string(row) ? json_string_value(row) : "?");
        }
        tcb_page_item(o, item);
    }
    tcb_page_list(o, false);
}

static void cost_section(tcb_page *o, const cost_data *cd)
{
    if (cd->doc == NULL)
        return;
    tcb_page_section(o, "Cost per generation");
    if (strcmp(str(cd->doc, "schema"), "tcbench.cost/1") != 0) {
        tcb_page_note(o, "cost.json is not a tcbench.cost/1 document: left out.");
        return;
    }
    const char *gens[MAX_GENS], *hws[MAX_HW];
    int ngen = 0, nhw = 0, nskip = 0;
    static double y[MAX_HW][MAX_GENS], lo[MAX_HW][MAX_GENS], hi[MAX_HW][MAX_GENS];
    double xs[MAX_GENS];
    bool owned[MAX_HW] = {false}, priced[MAX_HW] = {false};
    json_t *cells = json_object_get(cd->doc, "cells"), *cell;
    size_t i;
    json_array_foreach(cells, i, cell) {
        index_of(gens, &ngen, MAX_GENS, str(cell, "generation"));
        if (json_object_get(cell, "error") != NULL) {
            nskip++;
            continue;
        }
        int h = index_of(hws, &nhw, MAX_HW, str(cell, "hardware"));
        if (h >= 0 && !(num(cell, "results.usd_ondemand.mid") > 0))
            owned[h] = true;
    }
    for (int h = 0; h < MAX_HW; h++)
        for (int g = 0; g < MAX_GENS; g++)
            y[h][g] = lo[h][g] = hi[h][g] = NAN;
    json_array_foreach(cells, i, cell) {
        int h = -1, g = index_of(gens, &ngen, MAX_GENS, str(cell, "generation"));
        for (int k = 0; k < nhw; k++)
            h = strcmp(hws[k], str(cell, "hardware")) == 0 ? k : h;
        if (json_object_get(cell, "error") != NULL || h < 0 || g < 0)
            continue;
        json_t *d = dollars(cell, owned[h]);
        y[h][g] = num(d, "mid");
        lo[h][g] = num(d, "low");
        hi[h][g] = num(d, "high");
        priced[h] = priced[h] || y[h][g] > 0;
    }
    /* The chart: one line per hardware that has a price, x in ladder order. */
    char label[MAX_HW][160], unpriced[1024] = "";
    tcb_svg_series ser[MAX_HW];
    int ns = 0;
    for (int g = 0; g < ngen; g++)
        xs[g] = g;
    for (int h = 0; h < nhw; h++) {
        if (!priced[h]) {
            size_t u = strlen(unpriced);
            snprintf(unpriced + u, sizeof unpriced - u, "%s%s", u ? ", " : "", hws[h]);
            continue;
        }
        snprintf(label[ns], sizeof label[ns], "%s%s", hws[h],
                 owned[h] ? " (owned $: no on-demand price)" : "");
        ser[ns] = (tcb_svg_series){.label = label[ns], .x = xs, .y = y[h], .lo = lo[h],
                                   .hi = hi[h], .n = ngen};
        ns++;
    }
    tcb_svg_chart ch = {.title = "Dollars to train each generation", .xlabel = "generation",
                        .ylabel = "US dollars (log scale)", .yscale = TCB_SVG_LOG10,
                        .xnames = gens, .nxnames = ngen, .height = 420};
    tcb_svg_line_chart(tcb_page_html(o), &ch, ser, ns);
    char line[2400];
    snprintf(line, sizeof line, "From %s: dollars on demand (owned where the hardware has no "
             "on-demand price), the middle value as a line, low to high shaded.%s%s", cd->path,
             unpriced[0] ? " No price at all, not drawn: " : "", unpriced);
    tcb_page_note(o, line);
    static const char *const cols[] = {"hardware", "generation", "dollars", "low", "mid",
                                       "high", "device_hours"};
    tcb_table t;
    tcb_table_begin(&t, o, "report_cost.csv", cols, 7);
    json_array_foreach(cells, i, cell) {
        if (json_object_get(cell, "error") != NULL)
            continue;
        bool own = false;
        for (int k = 0; k < nhw; k++)
            own = strcmp(hws[k], str(cell, "hardware")) == 0 ? owned[k] : own;
        json_t *d = dollars(cell, own);
        char v[4][32];
        fmt(v[0], sizeof v[0], num(d, "low"));
        fmt(v[1], sizeof v[1], num(d, "mid"));
        fmt(v[2], sizeof v[2], num(d, "high"));
        fmt(v[3], sizeof v[3], num(cell, "results.device_hours.mid"));
        const char *row[] = {str(cell, "hardware"), str(cell, "generation"),
                             own ? "owned" : "on-demand", v[0], v[1], v[2], v[3]};
        tcb_table_row(&t, row);
    }
    tcb_table_end(&t);
    if (nskip > 0) {
        snprintf(line, sizeof line, "%d cell(s) not projected, left out:", nskip);
        tcb_page_note(o, line);
        tcb_page_list(o, true);
        json_array_foreach(cells, i, cell) {
            if (json_object_get(cell, "error") == NULL)
                continue;
            char item[1400];
            snprintf(item, sizeof item, "%s / %s: %s", str(cell, "hardware"),
                     str(cell, "generation"), str(cell, "error"));
            tcb_page_item(o, item);
        }
        tcb_page_list(o, false);
    }
    cost_notes(o, json_object_get(cd->doc, "notes"));
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
    cost_data cd = {0};
    if (st == TCB_OK)
        st = cost_load(&cd, out, runs[0]);
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
            cost_section(&o, &cd);
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
