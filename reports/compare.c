/* The regression gate's judgement (compare.h). */
#include "compare.h"

#include "directions.h"
#include "run_dir.h"
#include "significance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tcb_compare_test_name(tcb_compare_test t)
{
    return t == TCB_TEST_WELCH ? "welch" : "mann-whitney";
}

/* A baseline record with its key, sorted by key so tonight's cases find
 * theirs by binary search: thousands of cases times a week of runs. */
typedef struct {
    char *key;
    json_t *record;
    int order; /* its place in the baseline as given */
    bool matched;
} entry;

typedef struct {
    entry *entries;
    int n;
} baseline_index;

static int entry_order(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    return c != 0 ? c : (a->order > b->order) - (a->order < b->order);
}

static void index_free(baseline_index *ix)
{
    for (int i = 0; i < ix->n; i++)
        free(ix->entries[i].key);
    free(ix->entries);
}

static tcb_status index_build(json_t *const *records, int n, baseline_index *ix)
{
    ix->n = 0;
    ix->entries = n ? calloc((size_t)n, sizeof *ix->entries) : NULL;
    if (n > 0)
        TCB_ALLOC_CHECK(ix->entries);
    for (int i = 0; i < n; i++) {
        entry *e = &ix->entries[ix->n];
        e->key = tcb_case_key(records[i]);
        if (e->key == NULL) {
            index_free(ix);
            TCB_ALLOC_CHECK(NULL);
        }
        e->record = records[i];
        e->order = i;
        ix->n++;
    }
    if (n > 0)
        qsort(ix->entries, (size_t)n, sizeof *ix->entries, entry_order);
    return TCB_OK;
}

/* The entries of key: [*lo, *hi). */
static void index_find(const baseline_index *ix, const char *key, int *lo, int *hi)
{
    int a = 0, b = ix->n;
    while (a < b) {
        int mid = a + (b - a) / 2;
        if (strcmp(ix->entries[mid].key, key) < 0)
            a = mid + 1;
        else
            b = mid;
    }
    *lo = a;
    while (b < ix->n && strcmp(ix->entries[b].key, key) == 0)
        b++;
    *hi = b < a ? a : b;
}

static const char *check_status(json_t *record)
{
    json_t *s = json_object_get(json_object_get(record, "check"), "status");
    return json_is_string(s) ? json_string_value(s) : "?";
}

static bool is_ok(json_t *record)
{
    return strcmp(check_status(record), "ok") == 0;
}

static int compare_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* The median of v[0..n) (sorted in place); NAN for n 0. */
static double median(double *v, int n)
{
    if (n == 0)
        return NAN;
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- one case ---------------------------------------------------------------
 */

/* What the baseline knows of one case: its ok runs' records, pooled samples. */
typedef struct {
    json_t **ok; /* records whose check was ok */
    int n_ok, n_seen;
    const char *last_status; /* of a record seen, when none was ok */
    double *samples;
    int n_samples;
} case_baseline;

static void case_baseline_free(case_baseline *b)
{
    free(b->ok);
    free(b->samples);
    b->ok = NULL;
    b->samples = NULL;
}

static int samples_of(json_t *record, double *out)
{
    int n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(record, "samples_s"), i, v)
    {
        if (json_is_number(v) && isfinite(json_number_value(v))) {
            if (out != NULL)
                out[n] = json_number_value(v);
            n++;
        }
    }
    return n;
}

static tcb_status case_baseline_make(baseline_index *ix, int lo, int hi, case_baseline *b)
{
    memset(b, 0, sizeof *b);
    b->n_seen = hi - lo;
    int total = 0;
    for (int i = lo; i < hi; i++) {
        ix->entries[i].matched = true;
        if (is_ok(ix->entries[i].record))
            total += samples_of(ix->entries[i].record, NULL);
        else
            b->last_status = check_status(ix->entries[i].record);
    }
    b->ok = hi > lo ? malloc((size_t)(hi - lo) * sizeof *b->ok) : NULL;
    b->samples = total ? malloc((size_t)total * sizeof *b->samples) : NULL;
    if ((hi > lo && b->ok == NULL) || (total > 0 && b->samples == NULL)) {
        case_baseline_free(b);
        TCB_ALLOC_CHECK(NULL);
    }
    for (int i = lo; i < hi; i++) {
        json_t *r = ix->entries[i].record;
        if (is_ok(r)) {
            b->ok[b->n_ok++] = r;
            b->n_samples += samples_of(r, b->samples + b->n_samples);
        }
    }
    return TCB_OK;
}

/* The median of a metric over the baseline's ok records; NAN when none has it.
 */
static double baseline_value(const case_baseline *b, const char *metric)
{
    double v[b->n_ok > 0 ? b->n_ok : 1];
    int n = 0;
    for (int i = 0; i < b->n_ok; i++) {
        double x = tcb_direction_value(b->ok[i], metric);
        if (isfinite(x))
            v[n++] = x;
    }
    return median(v, n);
}

/* ---- the report's items
 * ------------------------------------------------------ */

typedef struct {
    tcb_gate_report *r;
    int cap;
    const tcb_compare_opts *o;
} builder;

static tcb_gate_item *add_item(builder *b, json_t *record, const char *label, const char *metric,
                               tcb_gate_verdict verdict)
{
    if (b->r->n == b->cap) {
        int cap = b->cap ? 2 * b->cap : 64;
        tcb_gate_item *grown = realloc(b->r->items, (size_t)cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        b->r->items = grown;
        b->cap = cap;
    }
    tcb_gate_item *it = &b->r->items[b->r->n++];
    memset(it, 0, sizeof *it);
    snprintf(it->case_id, sizeof it->case_id, "%s", label);
    json_t *wl = json_object_get(record, "workload");
    snprintf(it->workload, sizeof it->workload, "%s",
             json_is_string(wl) ? json_string_value(wl) : "?");
    snprintf(it->metric, sizeof it->metric, "%s", metric);
    const tcb_direction *dir = tcb_direction_find(metric);
    it->higher_is_better = dir != NULL && dir->higher_is_better;
    it->baseline = it->current = it->change = it->tolerance = it->p_value = NAN;
    it->verdict = verdict;
    return it;
}

/* One item per judged metric the record has: a case on one side only. */
static tcb_status add_one_sided(builder *b, json_t *record, const char *label,
                                tcb_gate_verdict verdict, const char *detail)
{
    for (const tcb_direction *m = tcb_directions; m->name != NULL; m++) {
        double v = tcb_direction_value(record, m->name);
        if (!isfinite(v))
            continue;
        tcb_gate_item *it = add_item(b, record, label, m->name, verdict);
        TCB_ALLOC_CHECK(it);
        *(verdict == TCB_GATE_NEW ? &it->current : &it->baseline) = v;
        *(verdict == TCB_GATE_NEW ? &it->n_current : &it->n_baseline) = samples_of(record, NULL);
        snprintf(it->detail, sizeof it->detail, "%s", detail);
    }
    return TCB_OK;
}

/* The one "check" item of a case that was not measured tonight. */
static tcb_status add_check_item(builder *b, json_t *record, const char *label,
                                 const case_baseline *base)
{
    const char *status = check_status(record);
    json_t *detail = json_object_get(json_object_get(record, "check"), "detail");
    const char *why = json_is_string(detail) ? json_string_value(detail) : "";
    bool skipped = strcmp(status, "skipped") == 0;
    tcb_gate_verdict v = !skipped           ? TCB_GATE_FAILED
                         : base->n_ok > 0   ? TCB_GATE_MISSING
                         : base->n_seen > 0 ? TCB_GATE_OK
                                            : TCB_GATE_NEW;
    tcb_gate_item *it = add_item(b, record, label, "check", v);
    TCB_ALLOC_CHECK(it);
    snprintf(it->detail, sizeof it->detail, "%s%s%s%s", status, why[0] ? ": " : "", why,
             v == TCB_GATE_OK ? " (as in the baseline)" : "");
    return TCB_OK;
}

/* The test of tonight's times against the baseline's, once per case. */
typedef struct {
    bool ran;
    double p_slower, p_faster;
} case_test;

static case_test test_times(const tcb_compare_opts *o, const case_baseline *base, json_t *record)
{
    case_test t = {.ran = false};
    int n = samples_of(record, NULL);
    double *now = n >= 2 && base->n_samples >= 2 ? malloc((size_t)n * sizeof *now) : NULL;
    if (now == NULL)
        return t; /* too few samples (or no memory): the bounds alone decide */
    samples_of(record, now);
    tcb_signif s;
    tcb_status st = o->test == TCB_TEST_WELCH
                        ? tcb_signif_welch(base->samples, base->n_samples, now, n, &s, NULL)
                        : tcb_signif_mann_whitney(base->samples, base->n_samples, now, n, &s, NULL);
    if (st == TCB_OK)
        t = (case_test){.ran = true, .p_slower = s.p_greater, .p_faster = s.p_less};
    free(now);
    return t;
}

static void bound_text(char *buf, size_t size, double bound)
{
    if (isinf(bound))
        snprintf(buf, size, "none");
    else
        snprintf(buf, size, "%+.4g%%", 100 * bound);
}

/* The verdict on one metric of a case both sides measured. */
static void judge(builder *b, tcb_gate_item *it, const case_test *t, const char *label)
{
    double lower, upper;
    int line;
    const tcb_compare_opts *o = b->o;
    tcb_references_bounds(o->refs, o->system, label, it->metric, &lower, &upper, &line);
    double worse_bound = it->higher_is_better ? -lower : upper;
    it->tolerance = isinf(worse_bound) ? NAN : worse_bound;
    char lo[32], hi[32], rule[48] = "default";
    bound_text(lo, sizeof lo, lower);
    bound_text(hi, sizeof hi, upper);
    if (line > 0)
        snprintf(rule, sizeof rule, "references line %d", line);
    if (it->baseline == 0 || !isfinite(it->baseline)) {
        it->verdict = TCB_GATE_OK;
        snprintf(it->detail, sizeof it->detail, "baseline is %g: no relative change", it->baseline);
        return;
    }
    it->change = (it->current - it->baseline) / fabs(it->baseline);
    bool worse = it->higher_is_better ? it->change < 0 : it->change > 0;
    bool beyond = it->change < lower || it->change > upper;
    if (t->ran)
        it->p_value = worse ? t->p_slower : t->p_faster;
    if (!beyond)
        it->verdict = TCB_GATE_OK;
    else if (t->ran && it->p_value > o->alpha)
        it->verdict = TCB_GATE_NOISE;
    else
        it->verdict = worse ? TCB_GATE_REGRESSION : TCB_GATE_IMPROVEMENT;
    snprintf(it->detail, sizeof it->detail, "bounds %s..%s (%s)%s", lo, hi, rule,
             beyond && !t->ran ? "; fewer than 2 samples on a side, so no test: the bounds "
                                 "alone decide"
                               : "");
}

static tcb_status compare_case(builder *b, json_t *record, baseline_index *ix)
{
    char *key = tcb_case_key(record), *label = tcb_case_label(record);
    if (key == NULL || label == NULL) {
        free(key);
        free(label);
        TCB_ALLOC_CHECK(NULL);
    }
    int lo, hi;
    index_find(ix, key, &lo, &hi);
    case_baseline base;
    tcb_status st = case_baseline_make(ix, lo, hi, &base);
    if (st == TCB_OK && !is_ok(record)) {
        st = add_check_item(b, record, label, &base);
    } else if (st == TCB_OK && base.n_ok == 0) {
        char why[96] = "not in the baseline";
        if (base.n_seen > 0)
            snprintf(why, sizeof why, "not measured in the baseline (check %s)", base.last_status);
        st = add_one_sided(b, record, label, TCB_GATE_NEW, why);
    } else if (st == TCB_OK) {
        case_test t = test_times(b->o, &base, record);
        int n_now = samples_of(record, NULL);
        for (const tcb_direction *m = tcb_directions; st == TCB_OK && m->name != NULL; m++) {
            double now = tcb_direction_value(record, m->name);
            double then = baseline_value(&base, m->name);
            if (!isfinite(now) && !isfinite(then))
                continue;
            tcb_gate_item *it = add_item(b, record, label, m->name,
                                         !isfinite(then) ? TCB_GATE_NEW : TCB_GATE_MISSING);
            if (it == NULL) {
                st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "add_item",
                                     "out of memory");
                break;
            }
            it->current = now;
            it->baseline = then;
            it->n_current = n_now;
            it->n_baseline = base.n_samples;
            if (isfinite(now) && isfinite(then))
                judge(b, it, &t, label);
            else
                snprintf(it->detail, sizeof it->detail, "the metric is only in the %s",
                         isfinite(now) ? "current run" : "baseline");
        }
    }
    case_baseline_free(&base);
    free(key);
    free(label);
    return st;
}

/* Cases only the baseline has, in the baseline's order, once each. */
static tcb_status add_missing(builder *b, baseline_index *ix, int n_baseline)
{
    int *by_order = malloc((size_t)(n_baseline ? n_baseline : 1) * sizeof *by_order);
    TCB_ALLOC_CHECK(by_order);
    for (int i = 0; i < ix->n; i++)
        by_order[ix->entries[i].order] = i;
    tcb_status st = TCB_OK;
    for (int k = 0; st == TCB_OK && k < ix->n; k++) {
        entry *e = &ix->entries[by_order[k]];
        if (e->matched)
            continue;
        int lo, hi;
        index_find(ix, e->key, &lo, &hi);
        case_baseline base;
        st = case_baseline_make(ix, lo, hi, &base); /* marks them matched: once each */
        char *label = st == TCB_OK ? tcb_case_label(e->record) : NULL;
        if (st == TCB_OK && label == NULL)
            st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "tcb_case_label",
                                 "out of memory");
        if (st == TCB_OK && base.n_ok > 0) {
            st = add_one_sided(b, base.ok[base.n_ok - 1], label, TCB_GATE_MISSING,
                               "not in the current run");
            /* One-sided items carry the newest run's value; the baseline's is
             * the median over its runs. */
            for (int i = b->r->n - 1; i >= 0 && strcmp(b->r->items[i].case_id, label) == 0; i--) {
                b->r->items[i].baseline = baseline_value(&base, b->r->items[i].metric);
                b->r->items[i].n_baseline = base.n_samples;
            }
        } else if (st == TCB_OK) {
            tcb_gate_item *it = add_item(b, e->record, label, "check", TCB_GATE_MISSING);
            if (it == NULL)
                st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "add_item",
                                     "out of memory");
            else
                snprintf(it->detail, sizeof it->detail,
                         "not in the current run (check %s in the baseline)", base.last_status);
        }
        free(label);
        case_baseline_free(&base);
    }
    free(by_order);
    return st;
}

tcb_status tcb_compare(json_t *const *current, int n_current, json_t *const *baseline,
                       int n_baseline, const tcb_compare_opts *o, tcb_gate_report *out, tcb_diag *d)
{
    out->items = NULL;
    out->n = 0;
    snprintf(out->test, sizeof out->test, "%s", tcb_compare_test_name(o->test));
    out->alpha = o->alpha;
    tcb_references defaults;
    tcb_references_default(&defaults);
    tcb_compare_opts opts = *o;
    if (opts.refs == NULL)
        opts.refs = &defaults;
    if (opts.system == NULL)
        opts.system = "";
    builder b = {.r = out, .o = &opts};
    baseline_index ix;
    tcb_status st = index_build(baseline, n_baseline, &ix);
    if (st == TCB_OK) {
        for (int i = 0; st == TCB_OK && i < n_current; i++)
            st = compare_case(&b, current[i], &ix);
        if (st == TCB_OK)
            st = add_missing(&b, &ix, n_baseline);
        index_free(&ix);
    }
    if (st != TCB_OK) {
        tcb_compare_free(out);
        return tcb_diag_set(d, st, "out of memory while comparing");
    }
    return TCB_OK;
}

void tcb_compare_free(tcb_gate_report *r)
{
    free(r->items);
    r->items = NULL;
    r->n = 0;
}
