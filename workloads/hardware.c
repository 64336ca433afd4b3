/* The hardware catalog: reading workloads/hardware.yaml (libyaml's document
 * API), validating every key and figure, and lookups by reported name.
 *
 * Every error is one message "FILE:LINE:COLUMN: what is wrong", formatted by
 * harness/yaml_doc.c as for suites and model files. */
#include "hardware.h"

#include "yaml_doc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const tcb_hw_kind_names[] = {"gpu", "accelerator", "cpu", NULL};

/* The dtypes a per-dtype group (peak_tflops, flops_per_cycle) may name. */
static const char *const dtype_names[] = {"fp32", "tf32", "bf16", "fp16", "fp8", "int8", NULL};

/* ---- the figures a device may carry: one row per YAML key --------------
 * A group row takes a mapping of members (members == NULL: any name, for
 * open sets such as cloud providers); a plain row takes one figure. */
typedef struct {
    const char *key;
    const char *const *members; /* per-member group; NULL with group false */
    bool group;
    const char *unit;           /* for docs and messages */
} figure_spec;

static const figure_spec figure_specs[] = {
    {"peak_tflops", dtype_names, true, "dense TFLOP/s per chip"},
    {"flops_per_cycle", dtype_names, true, "FLOP per cycle per core (CPUs)"},
    {"cores", NULL, false, "cores per chip (CPUs)"},
    {"base_ghz", NULL, false, "GHz"},
    {"boost_ghz", NULL, false, "GHz, the highest single-core clock"},
    {"memory_gb", NULL, false, "GB (1e9 bytes)"},
    {"memory_tbps", NULL, false, "TB/s (1e12 bytes per second)"},
    {"tdp_w", NULL, false, "W"},
    {"scaleup_gbps", NULL, false, "GB/s per device, both directions, in the scale-up domain"},
    {"scaleout_gbitps", NULL, false, "Gb/s per device, one direction, to the scale-out network"},
    {"price_usd", NULL, false, "USD per device, purchase"},
    {"cloud_ondemand_usd_per_hour", NULL, false, "USD per device-hour, on demand"},
    {"cloud_committed_usd_per_hour", NULL, false, "USD per device-hour, committed use"},
    {"server_power_factor", NULL, false, "server power / device TDP"},
    {"server_cost_factor", NULL, false, "server cost / device price"},
    {NULL, NULL, false, NULL},
};

static const char *const top_keys[] = {"devices", NULL};
static const char *const device_keys[] = {"name", "kind", "vendor", "match", "exclude",
                                          "uncertain", "note", NULL};
static const char *const figure_keys[] = {"value", "low", "high", "source", "date",
                                          "uncertain", "note", NULL};

/* ---- parsing context and messages -------------------------------------- */

/* The catalog's document and where its errors go, passed down as one. */
typedef struct {
    tcb_yaml_src src;
    tcb_diag *d;
} ctx;

/* tcb_yaml_error with the context's source and diag. */
#define FAIL_AT(x, node, ...) tcb_yaml_error((x)->d, &(x)->src, (node), __VA_ARGS__)

static yaml_node_t *node_at(const ctx *x, int id)
{
    return yaml_document_get_node(x->src.doc, id);
}

/* A scalar of at most n-1 bytes, copied into buf; empty refused where
 * nonempty. */
static tcb_status get_text(const ctx *x, yaml_node_t *v, const char *what, char *buf,
                           size_t n, bool nonempty)
{
    if (v->type != YAML_SCALAR_NODE)
        return FAIL_AT(x, v, "'%s' must be text, got %s", what, tcb_yaml_node_kind(v));
    size_t len = strlen(tcb_yaml_scalar(v));
    if (nonempty && len == 0)
        return FAIL_AT(x, v, "'%s' must not be empty", what);
    if (len >= n)
        return FAIL_AT(x, v, "'%s' is too long (%zu characters; at most %zu)", what, len,
                       n - 1);
    memcpy(buf, tcb_yaml_scalar(v), len + 1);
    return TCB_OK;
}

static tcb_status get_bool(const ctx *x, yaml_node_t *v, const char *what, bool *out)
{
    const char *t = v->type == YAML_SCALAR_NODE ? tcb_yaml_scalar(v) : "";
    if (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "yes")) {
        *out = true;
        return TCB_OK;
    }
    if (!strcmp(t, "false") || !strcmp(t, "False") || !strcmp(t, "no")) {
        *out = false;
        return TCB_OK;
    }
    return FAIL_AT(x, v, "'%s' must be true or false", what);
}

/* ---- figures ------------------------------------------------------------- */

/* A finite number > 0: a figure's value, low or high (what). */
static tcb_status get_positive(const ctx *x, yaml_node_t *v, const char *key, const char *what,
                               double *out)
{
    char *end = NULL;
    errno = 0;
    double d = v->type == YAML_SCALAR_NODE ? strtod(tcb_yaml_scalar(v), &end) : NAN;
    if (v->type != YAML_SCALAR_NODE || end == tcb_yaml_scalar(v) || *end != '\0' || errno != 0 ||
        !isfinite(d))
        return FAIL_AT(x, v, "the %s of '%s' must be a number", what, key);
    if (!(d > 0))
        return FAIL_AT(x, v, "the %s of '%s' must be > 0, got %s", what, key, tcb_yaml_scalar(v));
    *out = d;
    return TCB_OK;
}

/* {value: 989, source: "...", date: 2023, uncertain: true, note: "..."},
 * optionally with low: and high: */
static tcb_status parse_figure(const ctx *x, yaml_node_t *node, const char *key,
                               bool device_uncertain, tcb_hw_figure *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->key, sizeof f->key, "%s", key);
    f->line = (int)node->start_mark.line + 1;
    f->column = (int)node->start_mark.column + 1;
    if (node->type != YAML_MAPPING_NODE)
        return FAIL_AT(x, node,
                       "figure '%s' must be a mapping {value: ..., source: ..., date: ...}, "
                       "got %s",
                       key, tcb_yaml_node_kind(node));
    TCB_CHECK(tcb_yaml_check_map(&x->src, node, "a figure", figure_keys, x->d));

    yaml_node_t *v = tcb_yaml_map_get(&x->src, node, "value");
    if (v == NULL)
        return FAIL_AT(x, node, "figure '%s' has no value", key);
    TCB_CHECK(get_positive(x, v, key, "value", &f->value));

    /* A range comes whole, and holds its value. */
    yaml_node_t *lo = tcb_yaml_map_get(&x->src, node, "low");
    yaml_node_t *hi = tcb_yaml_map_get(&x->src, node, "high");
    f->low = f->high = f->value;
    if ((lo == NULL) != (hi == NULL))
        return FAIL_AT(x, lo != NULL ? lo : hi, "figure '%s' has '%s' without '%s': a range "
                       "needs both", key, lo != NULL ? "low" : "high", lo != NULL ? "high" : "low");
    if (lo != NULL) {
        TCB_CHECK(get_positive(x, lo, key, "low", &f->low));
        TCB_CHECK(get_positive(x, hi, key, "high", &f->high));
        if (f->low > f->high)
            return FAIL_AT(x, lo, "the low of '%s' (%g) is above its high (%g)", key, f->low,
                           f->high);
        if (f->value < f->low)
            return FAIL_AT(x, v, "the value of '%s' (%g) is below its low (%g)", key, f->value,
                           f->low);
        if (f->value > f->high)
            return FAIL_AT(x, v, "the value of '%s' (%g) is above its high (%g)", key, f->value,
                           f->high);
        f->has_range = true;
    }

    /* The catalog's rule: a number nobody published is not a fact. */
    yaml_node_t *s = tcb_yaml_map_get(&x->src, node, "source");
    if (s == NULL)
        return FAIL_AT(x, node, "figure '%s' has no source: say who published it", key);
    TCB_CHECK(get_text(x, s, "source", f->source, sizeof f->source, true));
    yaml_node_t *dt = tcb_yaml_map_get(&x->src, node, "date");
    if (dt == NULL)
        return FAIL_AT(x, node, "figure '%s' has no date: say when it was published", key);
    TCB_CHECK(get_text(x, dt, "date", f->date, sizeof f->date, true));

    f->uncertain = device_uncertain;
    yaml_node_t *u = tcb_yaml_map_get(&x->src, node, "uncertain");
    if (u != NULL) {
        bool flag;
        TCB_CHECK(get_bool(x, u, "uncertain", &flag));
        f->uncertain = f->uncertain || flag;
    }
    return TCB_OK;
}

static const figure_spec *spec_of(const char *key)
{
    for (int i = 0; figure_specs[i].key != NULL; i++)
        if (strcmp(figure_specs[i].key, key) == 0)
            return &figure_specs[i];
    return NULL;
}

static tcb_status add_figure(tcb_hw_device *dev, int *cap, const tcb_hw_figure *f)
{
    if (dev->nfigures == *cap) {
        int bigger = *cap ? *cap * 2 : 16;
        tcb_hw_figure *grown = realloc(dev->figures, (size_t)bigger * sizeof *grown);
        if (grown == NULL)
            return TCB_ERR_RUNTIME;
        dev->figures = grown;
        *cap = bigger;
    }
    dev->figures[dev->nfigures++] = *f;
    return TCB_OK;
}

/* One figure key of a device entry: a plain figure, or a group of them. */
static tcb_status parse_figure_key(const ctx *x, const figure_spec *spec, yaml_node_t *v,
                                   bool uncertain, tcb_hw_device *dev, int *cap)
{
    tcb_hw_figure f;
    if (!spec->group) {
        TCB_CHECK(parse_figure(x, v, spec->key, uncertain, &f));
        if (add_figure(dev, cap, &f) != TCB_OK)
            return tcb_diag_set(x->d, TCB_ERR_RUNTIME, "%s: out of memory", x->src.name);
        return TCB_OK;
    }
    char what[64];
    snprintf(what, sizeof what, "'%s'", spec->key);
    TCB_CHECK(tcb_yaml_check_map(&x->src, v, what, spec->members, x->d));
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
         p++) {
        char key[48];
        snprintf(key, sizeof key, "%s.%s", spec->key, tcb_yaml_scalar(node_at(x, p->key)));
        TCB_CHECK(parse_figure(x, node_at(x, p->value), key, uncertain, &f));
        if (add_figure(dev, cap, &f) != TCB_OK)
            return tcb_diag_set(x->d, TCB_ERR_RUNTIME, "%s: out of memory", x->src.name);
    }
    return TCB_OK;
}

/* ---- devices -------------------------------------------------------------- */

/* match: / exclude: a list of nonempty strings (or one string). */
static tcb_status parse_names(const ctx *x, yaml_node_t *v, const char *what,
                              char out[][64], int *n)
{
    *n = 0;
    if (v->type == YAML_SCALAR_NODE)
        return get_text(x, v, what, out[(*n)++], 64, true);
    if (v->type != YAML_SEQUENCE_NODE)
        return FAIL_AT(x, v, "'%s' must be a list of names, got %s", what, tcb_yaml_node_kind(v));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        if (*n == TCB_HW_MATCH_MAX)
            return FAIL_AT(x, node_at(x, *it), "'%s' has more than %d names", what,
                           TCB_HW_MATCH_MAX);
        TCB_CHECK(get_text(x, node_at(x, *it), what, out[*n], 64, true));
        (*n)++;
    }
    return TCB_OK;
}

static tcb_status parse_device(const ctx *x, yaml_node_t *node, tcb_hw_device *dev)
{
    /* The keys a device may have: its own, then every figure's. */
    const char *keys[sizeof device_keys / sizeof device_keys[0] +
                     sizeof figure_specs / sizeof figure_specs[0]];
    int nkeys = 0;
    for (int i = 0; device_keys[i] != NULL; i++)
        keys[nkeys++] = device_keys[i];
    for (int i = 0; figure_specs[i].key != NULL; i++)
        keys[nkeys++] = figure_specs[i].key;
    keys[nkeys] = NULL;

    dev->line = (int)node->start_mark.line + 1;
    dev->column = (int)node->start_mark.column + 1;
    TCB_CHECK(tcb_yaml_check_map(&x->src, node, "a device", keys, x->d));

    yaml_node_t *v = tcb_yaml_map_get(&x->src, node, "name");
    if (v == NULL)
        return FAIL_AT(x, node, "a device needs a 'name'");
    TCB_CHECK(get_text(x, v, "name", dev->name, sizeof dev->name, true));

    v = tcb_yaml_map_get(&x->src, node, "kind");
    if (v == NULL)
        return FAIL_AT(x, node, "device '%s' needs a 'kind' (gpu, accelerator or cpu)",
                       dev->name);
    int kind = -1;
    for (int i = 0; v->type == YAML_SCALAR_NODE && tcb_hw_kind_names[i] != NULL; i++)
        if (strcmp(tcb_hw_kind_names[i], tcb_yaml_scalar(v)) == 0)
            kind = i;
    if (kind < 0)
        return FAIL_AT(x, v, "'kind' must be gpu, accelerator or cpu");
    dev->kind = (tcb_hw_kind)kind;

    if ((v = tcb_yaml_map_get(&x->src, node, "vendor")) != NULL)
        TCB_CHECK(get_text(x, v, "vendor", dev->vendor, sizeof dev->vendor, false));
    v = tcb_yaml_map_get(&x->src, node, "match");
    if (v == NULL)
        return FAIL_AT(x, node, "device '%s' needs 'match': the names a driver reports for it",
                       dev->name);
    TCB_CHECK(parse_names(x, v, "match", dev->match, &dev->nmatch));
    if (dev->nmatch == 0)
        return FAIL_AT(x, v, "'match' of '%s' is empty", dev->name);
    if ((v = tcb_yaml_map_get(&x->src, node, "exclude")) != NULL)
        TCB_CHECK(parse_names(x, v, "exclude", dev->exclude, &dev->nexclude));
    if ((v = tcb_yaml_map_get(&x->src, node, "note")) != NULL && v->type != YAML_SCALAR_NODE)
        return FAIL_AT(x, v, "'note' must be text, got %s", tcb_yaml_node_kind(v));

    bool uncertain = false;
    if ((v = tcb_yaml_map_get(&x->src, node, "uncertain")) != NULL)
        TCB_CHECK(get_bool(x, v, "uncertain", &uncertain));

    int cap = 0;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         p < node->data.mapping.pairs.top; p++) {
        const figure_spec *spec = spec_of(tcb_yaml_scalar(node_at(x, p->key)));
        if (spec != NULL)
            TCB_CHECK(parse_figure_key(x, spec, node_at(x, p->value), uncertain, dev, &cap));
    }
    return TCB_OK;
}

static tcb_status parse_catalog(const ctx *x, tcb_hardware *hw)
{
    yaml_node_t *root = yaml_document_get_root_node(x->src.doc);
    if (root == NULL)
        return FAIL_AT(x, NULL, "the catalog is empty: expected 'devices:'");
    TCB_CHECK(tcb_yaml_check_map(&x->src, root, "the catalog", top_keys, x->d));
    yaml_node_t *list = tcb_yaml_map_get(&x->src, root, "devices");
    if (list == NULL)
        return FAIL_AT(x, root, "the catalog needs 'devices:', a list of devices");
    if (list->type != YAML_SEQUENCE_NODE)
        return FAIL_AT(x, list, "'devices' must be a list, got %s", tcb_yaml_node_kind(list));
    int n = (int)(list->data.sequence.items.top - list->data.sequence.items.start);
    hw->devices = calloc(n > 0 ? (size_t)n : 1, sizeof *hw->devices);
    if (hw->devices == NULL)
        return tcb_diag_set(x->d, TCB_ERR_RUNTIME, "%s: out of memory", x->src.name);
    for (int i = 0; i < n; i++) {
        yaml_node_t *item = node_at(x, list->data.sequence.items.start[i]);
        hw->ndevices = i + 1; /* counted before parsing: a half-read entry is freed too */
        TCB_CHECK(parse_device(x, item, &hw->devices[i]));
        for (int j = 0; j < i; j++)
            if (strcmp(hw->devices[j].name, hw->devices[i].name) == 0)
                return FAIL_AT(x, item, "device '%s' is listed twice (first at line %d)",
                               hw->devices[i].name, hw->devices[j].line);
    }
    return TCB_OK;
}

/* ---- the public functions ------------------------------------------------- */

const char *tcb_hardware_default_path(void)
{
    const char *env = getenv("TCBENCH_HARDWARE");
    return env != NULL && env[0] != '\0' ? env : TCB_HARDWARE_CATALOG;
}

void tcb_hardware_free(tcb_hardware *hw)
{
    if (hw == NULL)
        return;
    for (int i = 0; i < hw->ndevices; i++)
        free(hw->devices[i].figures);
    free(hw->devices);
    hw->devices = NULL;
    hw->ndevices = 0;
}

tcb_status tcb_hardware_load(const char *path, tcb_hardware *out, tcb_diag *d)
{
    memset(out, 0, sizeof *out);
    if (path == NULL)
        path = tcb_hardware_default_path();
    snprintf(out->path, sizeof out->path, "%s", path);
    yaml_document_t doc;
    /* The catalog's own wording for a repeated key: "duplicate key 'K' in WHAT". */
    ctx x = {.src = {.name = path, .doc = &doc, .duplicate_names_map = true}, .d = d};
    tcb_status st = tcb_yaml_load_file(&x.src, "the catalog", NULL, d);
    if (st == TCB_OK) {
        st = parse_catalog(&x, out);
        yaml_document_delete(&doc);
    }
    if (st != TCB_OK) {
        tcb_hardware_free(out);
        return st;
    }
    return TCB_OK;
}

/* Case-insensitive strstr. */
static bool contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay != '\0'; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

const tcb_hw_device *tcb_hardware_find(const tcb_hardware *hw, const char *reported)
{
    const tcb_hw_device *best = NULL;
    size_t best_len = 0;
    for (int i = 0; hw != NULL && reported != NULL && i < hw->ndevices; i++) {
        const tcb_hw_device *dev = &hw->devices[i];
        bool vetoed = false;
        for (int e = 0; e < dev->nexclude && !vetoed; e++)
            vetoed = contains(reported, dev->exclude[e]);
        for (int m = 0; m < dev->nmatch && !vetoed; m++) {
            size_t len = strlen(dev->match[m]);
            if (len > best_len && contains(reported, dev->match[m])) {
                best = dev;
                best_len = len;
            }
        }
    }
    return best;
}

const tcb_hw_figure *tcb_hardware_figure(const tcb_hw_device *dev, const char *key)
{
    for (int i = 0; dev != NULL && i < dev->nfigures; i++)
        if (strcmp(dev->figures[i].key, key) == 0)
            return &dev->figures[i];
    return NULL;
}

const char *tcb_hardware_dtype(const char *name)
{
    static const char *const aliases[][2] = {
        {"f32", "fp32"},      {"float32", "fp32"}, {"float", "fp32"},
        {"bfloat16", "bf16"}, {"f16", "fp16"},     {"float16", "fp16"},
        {"half", "fp16"},     {"tf32", "tf32"},    {"f8", "fp8"},
    };
    if (name == NULL)
        return NULL;
    for (int i = 0; dtype_names[i] != NULL; i++)
        if (strcasecmp(dtype_names[i], name) == 0)
            return dtype_names[i];
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(aliases[i][0], name) == 0)
            return aliases[i][1];
    return NULL;
}

const tcb_hw_figure *tcb_hardware_peak(const tcb_hw_device *dev, const char *dtype)
{
    const char *dt = tcb_hardware_dtype(dtype);
    if (dt == NULL)
        return NULL;
    char key[48];
    snprintf(key, sizeof key, "peak_tflops.%s", dt);
    return tcb_hardware_figure(dev, key);
}

double tcb_hardware_range(const tcb_hw_figure *f, double *low, double *high)
{
    if (low != NULL)
        *low = f->has_range ? f->low : f->value;
    if (high != NULL)
        *high = f->has_range ? f->high : f->value;
    return f->value;
}

char *tcb_hardware_cite(const tcb_hw_device *dev, const tcb_hw_figure *f, char *buf, int n)
{
    char range[64] = "";
    if (f->has_range)
        snprintf(range, sizeof range, " [%g, %g]", f->low, f->high);
    snprintf(buf, (size_t)n, "catalog: %s %s = %g%s (%s, %s%s)", dev->name, f->key, f->value,
             range, f->source, f->date, f->uncertain ? ", uncertain" : "");
    return buf;
}

double tcb_hardware_device_peak(const char *reported, const char *dtype, char *source, int n)
{
    tcb_hardware hw;
    tcb_diag d;
    double tflops = 0;
    if (tcb_hardware_load(NULL, &hw, &d) != TCB_OK) {
        snprintf(source, (size_t)n, "unknown: hardware catalog not read (%.150s)", d.msg);
        return 0;
    }
    const tcb_hw_device *dev = tcb_hardware_find(&hw, reported);
    const tcb_hw_figure *f = dev != NULL ? tcb_hardware_peak(dev, dtype) : NULL;
    if (f != NULL) {
        tflops = f->value;
        tcb_hardware_cite(dev, f, source, n);
    } else {
        snprintf(source, (size_t)n, "unknown: %.60s has no %.10s peak in %.100s", reported,
                 dtype, hw.path);
    }
    tcb_hardware_free(&hw);
    return tflops;
}
