/* The gate for dashboards: JSON (schema "tcbench.compare/1") and OpenMetrics
 * text for Prometheus-style scrapers and push gateways. */
#include "gate.h"

#include "record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON ------------------------------------------------------------------- */

/* jansson refuses text that is not UTF-8 (json_string returns NULL), so
 * every string goes through the cleaner first. */
static json_t *text(const char *s)
{
    char clean[TCB_GATE_CLEAN_MAX];
    return json_string(tcb_gate_clean(clean, sizeof clean, s));
}

/* json_object_set_new, remembering a failure (out of memory) in *ok. It
 * takes v's reference even when it fails, o or v being NULL included, so
 * nothing leaks on the way out. */
static void set(json_t *o, const char *key, json_t *v, bool *ok)
{
    if (json_object_set_new(o, key, v) != 0)
        *ok = false;
}

static json_t *item_json(const tcb_gate_item *it, bool *ok)
{
    json_t *o = json_object();
    set(o, "case_id", text(it->case_id), ok);
    set(o, "workload", text(it->workload), ok);
    set(o, "metric", text(it->metric), ok);
    set(o, "higher_is_better", json_boolean(it->higher_is_better), ok);
    set(o, "baseline", tcb_json_number(it->baseline), ok);
    set(o, "current", tcb_json_number(it->current), ok);
    set(o, "change", tcb_json_number(it->change), ok);
    set(o, "tolerance", tcb_json_number(it->tolerance), ok);
    set(o, "p_value", tcb_json_number(it->p_value), ok);
    set(o, "n_baseline", json_integer(it->n_baseline), ok);
    set(o, "n_current", json_integer(it->n_current), ok);
    set(o, "verdict", json_string(tcb_gate_verdict_name(it->verdict)), ok);
    set(o, "detail", text(it->detail), ok);
    return o;
}

json_t *tcb_gate_json(const tcb_gate_report *r)
{
    if (tcb_gate_check(r) != TCB_OK)
        return NULL;
    int counts[TCB_GATE_NVERDICTS];
    tcb_gate_count(r, counts);
    bool ok = true;
    json_t *o = json_object();
    set(o, "schema", json_string("tcbench.compare/1"), &ok);
    set(o, "system", text(r->system), &ok);
    set(o, "hosts", text(r->hosts), &ok);
    set(o, "current_run", text(r->current_run), &ok);
    set(o, "baseline", text(r->baseline), &ok);
    set(o, "test", text(r->test), &ok);
    set(o, "alpha", tcb_json_number(r->alpha), &ok);
    json_t *c = json_object();
    for (int v = 0; v < TCB_GATE_NVERDICTS; v++)
        set(c, tcb_gate_verdict_name((tcb_gate_verdict)v), json_integer(counts[v]), &ok);
    set(o, "counts", c, &ok);
    json_t *items = json_array();
    for (int i = 0; i < r->n && ok; i++) {
        if (json_array_append_new(items, item_json(&r->items[i], &ok)) != 0)
            ok = false;
    }
    set(o, "items", items, &ok);
    if (!ok) {
        json_decref(o);
        tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "json_object", "out of memory");
        return NULL;
    }
    return o;
}

/* ---- OpenMetrics ---------------------------------------------------------- */

/* A label value: backslash, double quote and line feed escaped as the
 * OpenMetrics ABNF's escaped-string requires; everything else as is. */
static void label_value(FILE *f, const char *s)
{
    char clean[TCB_GATE_CLEAN_MAX];
    for (const char *p = tcb_gate_clean(clean, sizeof clean, s); *p; p++) {
        switch (*p) {
        case '\\': fputs("\\\\", f); break;
        case '"': fputs("\\\"", f); break;
        case '\n': fputs("\\n", f); break;
        default: fputc(*p, f);
        }
    }
}

/* The shortest decimal that reads back as v ("150", "0.05", "-0.1666...");
 * infinities as OpenMetrics spells them. Callers leave NaN out. */
static void sample_value(FILE *f, double v)
{
    if (isinf(v)) {
        fputs(v > 0 ? "+Inf" : "-Inf", f);
        return;
    }
    char buf[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, f);
}

enum { VALUE_CURRENT, VALUE_BASELINE, VALUE_CHANGE };

static const struct {
    const char *name, *help;
} families[] = {
    [VALUE_CURRENT] = {"tcbench_metric_current", "Median of the metric in the current run."},
    [VALUE_BASELINE] = {"tcbench_metric_baseline", "Median of the metric in the baseline."},
    [VALUE_CHANGE] = {"tcbench_metric_change_ratio",
                      "Relative change of the median, (current - baseline) / baseline."},
};

static double value_of(const tcb_gate_item *it, int which)
{
    return which == VALUE_CURRENT ? it->current : which == VALUE_BASELINE ? it->baseline
                                                                          : it->change;
}

/* OpenMetrics wants a family's samples together, after its metadata. */
static void family(FILE *f, const tcb_gate_report *r, int which)
{
    fprintf(f, "# TYPE %s gauge\n# HELP %s %s\n", families[which].name, families[which].name,
            families[which].help);
    for (int i = 0; i < r->n; i++) {
        const tcb_gate_item *it = &r->items[i];
        double v = value_of(it, which);
        if (isnan(v))
            continue;
        fprintf(f, "%s{case=\"", families[which].name);
        label_value(f, it->case_id);
        fputs("\",workload=\"", f);
        label_value(f, it->workload);
        fputs("\",metric=\"", f);
        label_value(f, it->metric);
        fputs("\",system=\"", f);
        label_value(f, r->system);
        fputs("\"} ", f);
        sample_value(f, v);
        fputc('\n', f);
    }
}

/* Gauges, not counters: each is this comparison's count, not a running
 * total (an OpenMetrics counter would also need the _total suffix). */
static void total(FILE *f, const tcb_gate_report *r, const char *name, const char *help, int n)
{
    fprintf(f, "# TYPE %s gauge\n# HELP %s %s\n%s{system=\"", name, name, help, name);
    label_value(f, r->system);
    fprintf(f, "\"} %d\n", n);
}

tcb_status tcb_gate_write_openmetrics(const tcb_gate_report *r, FILE *out)
{
    TCB_CHECK(tcb_gate_check(r));
    int counts[TCB_GATE_NVERDICTS];
    tcb_gate_count(r, counts);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    TCB_ALLOC_CHECK(f);
    family(f, r, VALUE_CURRENT);
    family(f, r, VALUE_BASELINE);
    family(f, r, VALUE_CHANGE);
    total(f, r, "tcbench_gate_regressions", "Comparisons judged regressions.",
          counts[TCB_GATE_REGRESSION]);
    total(f, r, "tcbench_gate_failed_checks", "Cases whose verification check failed.",
          counts[TCB_GATE_FAILED]);
    fputs("# EOF\n", f);
    return tcb_gate_flush(f, &buf, &len, out);
}
