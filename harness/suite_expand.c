/* The matrix of a suite: the values a parameter takes (a scalar, a list, or a
 * range) and the cross product of an entry's parameters into cases.
 *
 * Order: entries in file order; within an entry the LAST parameter of the
 * workload's spec table varies fastest, like an odometer. A workload orders
 * its table so the sweep reads well: collective lists `collective` first and
 * `size` last, so every size of allreduce runs before the first allgather and
 * a results table is one size sweep per row group. */
#include "suite_internal.h"
#include "workload.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool is_numeric(tcb_param_type t)
{
    return t == TCB_PARAM_INT || t == TCB_PARAM_SIZE || t == TCB_PARAM_FLOAT;
}

static const char *type_word(tcb_param_type t)
{
    switch (t) {
    case TCB_PARAM_INT: return "an integer";
    case TCB_PARAM_SIZE: return "a size";
    case TCB_PARAM_FLOAT: return "a number";
    case TCB_PARAM_BOOL: return "true/false";
    case TCB_PARAM_ENUM: return "a choice";
    case TCB_PARAM_NAME: return "a name";
    }
    return "?";
}

static tcb_status out_of_memory(const tcb_yaml_src *src, tcb_diag *d)
{
    return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory", src->name);
}

/* Says why text is not a value of spec: below the minimum, or not of the type. */
static tcb_status bad_value(const tcb_yaml_src *src, const yaml_node_t *node,
                            const tcb_param_spec *spec, const char *text, tcb_diag *d)
{
    tcb_param_spec loose = *spec;
    loose.min = -INFINITY;
    if (is_numeric(spec->type) && tcb_param_parse(&loose, text, NULL, NULL, NULL, NULL)) {
        if (spec->type == TCB_PARAM_FLOAT)
            return tcb_yaml_error(d, src, node, "parameter '%s': %s is below the minimum %g",
                                  spec->name, text, spec->min);
        return tcb_yaml_error(d, src, node, "parameter '%s': %s is below the minimum %.0f",
                              spec->name, text, spec->min);
    }
    switch (spec->type) {
    case TCB_PARAM_INT:
        return tcb_yaml_error(d, src, node, "parameter '%s': expected a 64-bit integer, got '%s'",
                              spec->name, text);
    case TCB_PARAM_SIZE:
        return tcb_yaml_error(d, src, node,
                              "parameter '%s': expected a size in whole bytes such as 4096, "
                              "64KiB or 1.5MiB (units B, K, KiB, M, MiB, G, GiB, T, TiB), got '%s'",
                              spec->name, text);
    case TCB_PARAM_FLOAT:
        return tcb_yaml_error(d, src, node, "parameter '%s': expected a number, got '%s'",
                              spec->name, text);
    case TCB_PARAM_BOOL:
        return tcb_yaml_error(d, src, node, "parameter '%s': expected true or false, got '%s'",
                              spec->name, text);
    case TCB_PARAM_NAME:
        return tcb_yaml_error(d, src, node,
                              "parameter '%s': expected a name of at most %d letters, digits, "
                              "'.', '_' or '-', got '%s'",
                              spec->name, TCB_PARAM_NAME_MAX, text);
    case TCB_PARAM_ENUM:
        break;
    }
    char list[512];
    return tcb_yaml_error(d, src, node, "parameter '%s': '%s' is not one of: %s", spec->name,
                          text, tcb_yaml_join(spec->choices, list, sizeof list));
}

/* One scalar node as a validated value of spec. */
static tcb_status parse_one(const tcb_yaml_src *src, const yaml_node_t *node,
                            const tcb_param_spec *spec, tcb_param *out, tcb_diag *d)
{
    if (node->type != YAML_SCALAR_NODE)
        return tcb_yaml_error(d, src, node, "parameter '%s': expected a single value here, got %s",
                              spec->name, tcb_yaml_node_kind(node));
    const char *text = tcb_yaml_scalar(node);
    if (!tcb_param_value(spec, text, out))
        return bad_value(src, node, spec, text, d);
    return TCB_OK;
}

static tcb_status alloc_values(const tcb_yaml_src *src, tcb_suite_values *out,
                               long long n, tcb_diag *d)
{
    out->values = calloc((size_t)n, sizeof *out->values);
    out->count = 0;
    return out->values != NULL ? TCB_OK : out_of_memory(src, d);
}

static tcb_status too_many(const tcb_yaml_src *src, const yaml_node_t *node,
                           const tcb_param_spec *spec, tcb_diag *d)
{
    return tcb_yaml_error(d, src, node,
                          "parameter '%s': the range gives more than %d values, the most "
                          "cases a suite may have",
                          spec->name, TCB_SUITE_MAX_CASES);
}

static void push(tcb_suite_values *out, const tcb_param_spec *spec, long long i, double f)
{
    tcb_param *p = &out->values[out->count++];
    p->spec = spec;
    if (spec->type == TCB_PARAM_FLOAT)
        p->v.f = f;
    else
        p->v.i = i;
}

/* {from, to, step} over integers: from, from+step, ... up to to. */
static tcb_status arith_int(const tcb_yaml_src *src, const yaml_node_t *node,
                            const tcb_param_spec *spec, long long from, long long to,
                            long long step, tcb_suite_values *out, tcb_diag *d)
{
    unsigned long long span = (unsigned long long)to - (unsigned long long)from;
    unsigned long long n = span / (unsigned long long)step + 1;
    if (n > TCB_SUITE_MAX_CASES)
        return too_many(src, node, spec, d);
    TCB_CHECK(alloc_values(src, out, (long long)n, d));
    for (unsigned long long k = 0; k < n; k++)
        push(out, spec, (long long)((unsigned long long)from + k * (unsigned long long)step), 0);
    return TCB_OK;
}

/* {from, to, step} over reals. Each value is from + k*step (not a running
 * sum, which drifts), and a last value within 1e-9 steps of to is to. */
static tcb_status arith_float(const tcb_yaml_src *src, const yaml_node_t *node,
                              const tcb_param_spec *spec, double from, double to,
                              double step, tcb_suite_values *out, tcb_diag *d)
{
    double n = floor((to - from) / step + 1e-9) + 1;
    if (!(n <= TCB_SUITE_MAX_CASES))
        return too_many(src, node, spec, d);
    TCB_CHECK(alloc_values(src, out, (long long)n, d));
    for (long long k = 0; k < (long long)n; k++) {
        double v = from + (double)k * step;
        if (v > to || fabs(v - to) <= 1e-9 * step)
            v = to;
        push(out, spec, 0, v);
    }
    return TCB_OK;
}

/* How many k >= 0 have from * factor^k <= to (with a little slack, so a to
 * that is hit exactly is not lost to rounding). */
static double geometric_count(double from, double to, double factor)
{
    return floor(log(to / from) / log(factor) + 1e-9) + 1;
}

/* {from, to, factor} over integers. A whole factor multiplies exactly; any
 * other rounds from * factor^k to the nearest integer and drops repeats. */
static tcb_status geometric_int(const tcb_yaml_src *src, const yaml_node_t *node,
                                const tcb_param_spec *spec, long long from, long long to,
                                double factor, tcb_suite_values *out, tcb_diag *d)
{
    if (factor == floor(factor) && factor < 4e18) {
        long long f = (long long)factor;
        TCB_CHECK(alloc_values(src, out, 64, d)); /* f >= 2: at most 63 steps */
        for (long long v = from;; v *= f) {
            push(out, spec, v, 0);
            if (v > to / f)
                break;
        }
        return TCB_OK;
    }
    double n = geometric_count((double)from, (double)to, factor);
    if (!(n <= TCB_SUITE_MAX_CASES))
        return too_many(src, node, spec, d);
    TCB_CHECK(alloc_values(src, out, (long long)n + 1, d));
    push(out, spec, from, 0);
    for (long long k = 1; k <= (long long)n; k++) {
        double x = (double)from * pow(factor, (double)k);
        if (x > (double)to * (1 + 1e-12))
            break;
        long long r = x >= (double)to ? to : llround(x);
        if (r != out->values[out->count - 1].v.i)
            push(out, spec, r, 0);
    }
    return TCB_OK;
}

static tcb_status geometric_float(const tcb_yaml_src *src, const yaml_node_t *node,
                                  const tcb_param_spec *spec, double from, double to,
                                  double factor, tcb_suite_values *out, tcb_diag *d)
{
    double n = geometric_count(from, to, factor);
    if (!(n <= TCB_SUITE_MAX_CASES))
        return too_many(src, node, spec, d);
    TCB_CHECK(alloc_values(src, out, (long long)n, d));
    for (long long k = 0; k < (long long)n; k++) {
        double v = from * pow(factor, (double)k);
        if (v > to || fabs(v - to) <= 1e-9 * to)
            v = to;
        push(out, spec, 0, v);
    }
    return TCB_OK;
}

static const char *const range_keys[] = {"from", "to", "factor", "step", NULL};

/* A factor or step: a number (of the parameter's own type for a step, so
 * step: 4KiB works for a size) that must exceed floor. */
static tcb_status parse_stride(const tcb_yaml_src *src, const yaml_node_t *node,
                               const tcb_param_spec *spec, const char *key,
                               tcb_param_type type, double floor_excl, tcb_param *out,
                               tcb_diag *d)
{
    tcb_param_spec s = {.name = key, .type = type, .min = -INFINITY};
    const char *text = node->type == YAML_SCALAR_NODE ? tcb_yaml_scalar(node) : NULL;
    memset(out, 0, sizeof *out);
    out->spec = spec;
    if (text == NULL || !tcb_param_parse(&s, text, &out->v.i, &out->v.f, NULL, NULL))
        return tcb_yaml_error(d, src, node, "parameter '%s': '%s' must be %s, got %s%s%s",
                              spec->name, key, type_word(type), text ? "'" : "",
                              text ? text : tcb_yaml_node_kind(node), text ? "'" : "");
    double v = type == TCB_PARAM_FLOAT ? out->v.f : (double)out->v.i;
    if (!(v > floor_excl))
        return tcb_yaml_error(d, src, node, "parameter '%s': '%s' must be > %g, got %s",
                              spec->name, key, floor_excl, text);
    return TCB_OK;
}

static tcb_status parse_range(const tcb_yaml_src *src, yaml_node_t *node,
                              const tcb_param_spec *spec, tcb_suite_values *out, tcb_diag *d)
{
    TCB_CHECK(tcb_yaml_check_map(src, node, "a range", range_keys, d));
    if (!is_numeric(spec->type))
        return tcb_yaml_error(d, src, node,
                              "parameter '%s' takes %s, which has no range; give a list instead",
                              spec->name, type_word(spec->type));
    yaml_node_t *nfrom = tcb_yaml_map_get(src, node, "from");
    yaml_node_t *nto = tcb_yaml_map_get(src, node, "to");
    yaml_node_t *nfactor = tcb_yaml_map_get(src, node, "factor");
    yaml_node_t *nstep = tcb_yaml_map_get(src, node, "step");
    if (nfrom == NULL || nto == NULL)
        return tcb_yaml_error(d, src, node, "parameter '%s': a range needs '%s'", spec->name,
                              nfrom == NULL ? "from" : "to");
    if ((nfactor == NULL) == (nstep == NULL))
        return tcb_yaml_error(d, src, node,
                              "parameter '%s': a range needs either 'factor' (geometric) "
                              "or 'step' (arithmetic)%s",
                              spec->name, nfactor ? ", not both" : "");
    tcb_param from, to;
    TCB_CHECK(parse_one(src, nfrom, spec, &from, d));
    TCB_CHECK(parse_one(src, nto, spec, &to, d));
    bool real = spec->type == TCB_PARAM_FLOAT;
    if (real ? from.v.f > to.v.f : from.v.i > to.v.i)
        return tcb_yaml_error(d, src, node, "parameter '%s': 'from' (%s) is above 'to' (%s)",
                              spec->name, tcb_yaml_scalar(nfrom),
                              tcb_yaml_scalar(nto));
    tcb_param stride;
    if (nfactor != NULL) {
        TCB_CHECK(parse_stride(src, nfactor, spec, "factor", TCB_PARAM_FLOAT, 1, &stride, d));
        if (real ? !(from.v.f > 0) : from.v.i <= 0)
            return tcb_yaml_error(d, src, nfrom,
                                  "parameter '%s': a range with 'factor' needs 'from' > 0, got %s",
                                  spec->name, tcb_yaml_scalar(nfrom));
        return real ? geometric_float(src, node, spec, from.v.f, to.v.f, stride.v.f, out, d)
                    : geometric_int(src, node, spec, from.v.i, to.v.i, stride.v.f, out, d);
    }
    TCB_CHECK(parse_stride(src, nstep, spec, "step", spec->type, 0, &stride, d));
    return real ? arith_float(src, node, spec, from.v.f, to.v.f, stride.v.f, out, d)
                : arith_int(src, node, spec, from.v.i, to.v.i, stride.v.i, out, d);
}

tcb_status tcb_suite_values_parse(const tcb_yaml_src *src, yaml_node_t *node,
                                  const tcb_param_spec *spec, tcb_suite_values *out,
                                  tcb_diag *d)
{
    tcb_status st = TCB_OK;
    memset(out, 0, sizeof *out);
    if (node->type == YAML_SCALAR_NODE) {
        TCB_CHECK(alloc_values(src, out, 1, d));
        st = parse_one(src, node, spec, &out->values[0], d);
        out->count = 1;
    } else if (node->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *items = node->data.sequence.items.start;
        int n = (int)(node->data.sequence.items.top - items);
        if (n == 0)
            return tcb_yaml_error(d, src, node,
                                  "parameter '%s': the list is empty; give at least one value",
                                  spec->name);
        TCB_CHECK(alloc_values(src, out, n, d));
        for (int i = 0; i < n && st == TCB_OK; i++) {
            yaml_node_t *item = yaml_document_get_node(src->doc, items[i]);
            st = parse_one(src, item, spec, &out->values[out->count++], d);
        }
    } else if (node->type == YAML_MAPPING_NODE) {
        st = parse_range(src, node, spec, out, d);
    } else {
        st = tcb_yaml_error(d, src, node, "parameter '%s': missing value", spec->name);
    }
    if (st != TCB_OK) {
        free(out->values);
        memset(out, 0, sizeof *out);
    }
    return st;
}

/* A default for every parameter not given, after --set (so --set can supply
 * a required one the file left out). */
tcb_status tcb_suite_fill_defaults(const char *path, tcb_suite_entry *entries, int n,
                                   tcb_diag *d)
{
    for (int i = 0; i < n; i++) {
        tcb_suite_entry *e = &entries[i];
        for (int p = 0; p < e->nparams; p++) {
            const tcb_param_spec *spec = &e->workload->params[p];
            if (e->params[p].count > 0)
                continue;
            if (spec->def == NULL)
                return tcb_diag_set(d, TCB_ERR_CONFIG, "%s:%d:%d: missing required parameter '%s'",
                                    path, e->line, e->column, spec->name);
            tcb_param *v = calloc(1, sizeof *v);
            if (v == NULL)
                return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory", path);
            e->params[p].values = v;
            if (!tcb_param_value(spec, spec->def, v))
                return tcb_diag_set(d, TCB_ERR_RUNTIME,
                                    "workload '%s': the default '%s' of parameter '%s' is "
                                    "invalid (a bug in its parameter table)",
                                    e->workload->name, spec->def, spec->name);
            e->params[p].count = 1;
        }
    }
    return TCB_OK;
}

tcb_status tcb_suite_expand(const char *path, const tcb_suite_entry *entries,
                            int nentries, tcb_suite *suite, tcb_diag *d)
{
    /* Count first, so a suite over the cap fails before allocating. */
    long long total = 0;
    size_t nitems = 0, names = 0;
    int widest = 1;
    for (int e = 0; e < nentries; e++) {
        long long count = 1;
        for (int p = 0; p < entries[e].nparams && count <= TCB_SUITE_MAX_CASES; p++)
            count *= entries[e].params[p].count; /* each <= the cap: no overflow */
        total += count;
        if (total > TCB_SUITE_MAX_CASES)
            return tcb_diag_set(d, TCB_ERR_CONFIG,
                                "%s:%d:%d: the suite expands to more than %d cases with this "
                                "one; narrow its lists and ranges",
                                path, entries[e].line, entries[e].column, TCB_SUITE_MAX_CASES);
        nitems += (size_t)count * (size_t)entries[e].nparams;
        names += entries[e].backend ? strlen(entries[e].backend) + 1 : 0;
        if (entries[e].nparams > widest)
            widest = entries[e].nparams;
    }

    /* One block, like llm.c's parameters: cases, then every case's items,
     * then the backend names; tcb_suite_free frees it once. */
    size_t bytes = (size_t)total * sizeof(tcb_case) + nitems * sizeof(tcb_param) + names;
    char *block = malloc(bytes > 0 ? bytes : 1);
    int *odometer = calloc((size_t)widest, sizeof *odometer);
    if (block == NULL || odometer == NULL) {
        free(block);
        free(odometer);
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory expanding %lld cases",
                            path, total);
    }
    tcb_case *cases = (tcb_case *)block;
    tcb_param *items = (tcb_param *)(block + (size_t)total * sizeof(tcb_case));
    char *name_at = (char *)(items + nitems);

    int index = 0;
    for (int e = 0; e < nentries; e++) {
        const tcb_suite_entry *en = &entries[e];
        const char *backend = "";
        if (en->backend != NULL) {
            size_t len = strlen(en->backend) + 1;
            memcpy(name_at, en->backend, len);
            backend = name_at;
            name_at += len;
        }
        memset(odometer, 0, (size_t)widest * sizeof *odometer);
        for (bool more = true; more;) {
            tcb_case *c = &cases[index];
            *c = (tcb_case){
                .index = index,
                .workload = en->workload,
                .backend = backend,
                .warmup = en->warmup,
                .iters = en->iters,
                .timeout_s = en->timeout_s,
                .params = {.items = items, .count = en->nparams},
                .source_line = en->line,
                .source_column = en->column,
            };
            for (int p = 0; p < en->nparams; p++)
                items[p] = en->params[p].values[odometer[p]];
            items += en->nparams;
            index++;
            /* Advance the odometer: the last parameter turns fastest. */
            more = false;
            for (int p = en->nparams - 1; p >= 0 && !more; p--) {
                if (++odometer[p] < en->params[p].count)
                    more = true;
                else
                    odometer[p] = 0;
            }
        }
    }
    free(odometer);
    suite->cases = cases;
    suite->ncases = index;
    return TCB_OK;
}

char *tcb_case_describe(const tcb_case *c, char *buf, int n)
{
    if (buf == NULL || n <= 0)
        return buf;
    buf[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < c->params.count; i++) {
        const tcb_param *p = &c->params.items[i];
        char num[64];
        const char *val = num;
        switch (p->spec->type) {
        case TCB_PARAM_INT: snprintf(num, sizeof num, "%lld", p->v.i); break;
        case TCB_PARAM_SIZE: tcb_size_format(p->v.i, num, sizeof num); break;
        case TCB_PARAM_FLOAT: snprintf(num, sizeof num, "%g", p->v.f); break;
        case TCB_PARAM_BOOL: val = p->v.b ? "true" : "false"; break;
        case TCB_PARAM_ENUM: val = p->spec->choices[p->v.choice]; break;
        case TCB_PARAM_NAME: val = p->v.name; break;
        }
        int w = snprintf(buf + used, (size_t)n - used, "%s%s=%s", i > 0 ? " " : "",
                         p->spec->name, val);
        if (w < 0 || (size_t)w >= (size_t)n - used)
            break; /* truncated, still NUL-terminated */
        used += (size_t)w;
    }
    return buf;
}
