/* Reading a cost scenario (scenario.h) with the shared libyaml helpers. */
#include "scenario.h"
#include "yaml_doc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const tcb_scenario_keys[TCB_SCN_COUNT + 1] = {
    "overlap",       "goodput",         "pue",          "usd_per_kwh",
    "power_draw",    "server_power_factor", "server_cost_factor",
    "interconnect_share", "amortization_per_year", "assumed_mfu",
    NULL, /* tcb_yaml_check_map reads up to it */
};

/* The interval each figure must lie in: lo <= v (lo < v when lo_open), and
 * v <= hi (v < hi when hi_open); hi = INFINITY for none. */
static const struct {
    double lo, hi;
    bool lo_open, hi_open;
} limits[TCB_SCN_COUNT] = {
    [TCB_SCN_OVERLAP] = {0, 1, false, false},
    [TCB_SCN_GOODPUT] = {0, 1, true, false},
    [TCB_SCN_PUE] = {1, INFINITY, false, false},
    [TCB_SCN_USD_PER_KWH] = {0, INFINITY, false, false},
    [TCB_SCN_POWER_DRAW] = {0, 1, true, false},
    [TCB_SCN_SERVER_POWER] = {1, INFINITY, false, false},
    [TCB_SCN_SERVER_COST] = {1, INFINITY, false, false},
    [TCB_SCN_INTERCONNECT] = {0, 1, false, true},
    [TCB_SCN_AMORTIZATION] = {0, 1, true, false},
    [TCB_SCN_ASSUMED_MFU] = {0, 1, true, false},
};

static const char *const top_keys[] = {"name", "devices", "plan", "figures", NULL};
static const char *const plan_keys[] = {"tp",  "pp",           "dp",     "cp",
                                        "microbatches", "virtual_stages", "seq",
                                        "batch_tokens", "source", NULL};
static const char *const figure_keys[] = {"value", "source", "assumed", NULL};

static bool in_limits(int k, double v)
{
    bool lo = limits[k].lo_open ? v > limits[k].lo : v >= limits[k].lo;
    bool hi = limits[k].hi_open ? v < limits[k].hi : v <= limits[k].hi;
    return isfinite(v) && lo && hi;
}

/* A scalar node as a number, or an error at it. */
static tcb_status number_at(const tcb_yaml_src *src, yaml_node_t *n, const char *what,
                            double *out, tcb_diag *d)
{
    const char *text = n != NULL && n->type == YAML_SCALAR_NODE ? tcb_yaml_scalar(n) : NULL;
    char *end = NULL;
    errno = 0;
    double v = text != NULL ? strtod(text, &end) : NAN;
    if (text == NULL || end == text || *end != '\0' || errno != 0)
        return tcb_yaml_error(d, src, n, "%s must be a number, got %s", what,
                              text != NULL ? text : tcb_yaml_node_kind(n));
    *out = v;
    return TCB_OK;
}

static tcb_status int_at(const tcb_yaml_src *src, yaml_node_t *n, const char *what, int *out,
                         tcb_diag *d)
{
    double v = 0;
    TCB_CHECK(number_at(src, n, what, &v, d));
    if (v < 1 || v > 1e9 || v != floor(v))
        return tcb_yaml_error(d, src, n, "%s must be a whole number >= 1, got %s", what,
                              tcb_yaml_scalar(n));
    *out = (int)v;
    return TCB_OK;
}

static tcb_status text_at(const tcb_yaml_src *src, yaml_node_t *n, const char *what, char *buf,
                          size_t size, tcb_diag *d)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE || tcb_yaml_scalar(n)[0] == '\0')
        return tcb_yaml_error(d, src, n, "%s must be a non-empty text", what);
    const char *text = tcb_yaml_scalar(n);
    if (strlen(text) >= size) /* cut, a citation would mislead */
        return tcb_yaml_error(d, src, n, "%s is longer than %zu characters", what, size - 1);
    memcpy(buf, text, strlen(text) + 1);
    return TCB_OK;
}

/* A required key of map, or an error at the map naming it. */
static tcb_status need(const tcb_yaml_src *src, yaml_node_t *map, const char *key,
                       const char *where, yaml_node_t **out, tcb_diag *d)
{
    *out = tcb_yaml_map_get(src, map, key);
    if (*out == NULL)
        return tcb_yaml_error(d, src, map, "%s needs '%s'", where, key);
    return TCB_OK;
}

static tcb_status load_figure(const tcb_yaml_src *src, yaml_node_t *node, int k,
                              tcb_scenario_figure *f, tcb_diag *d)
{
    char what[96];
    snprintf(what, sizeof what, "figure '%s'", tcb_scenario_keys[k]);
    TCB_CHECK(tcb_yaml_check_map(src, node, what, figure_keys, d));
    yaml_node_t *v, *s, *a = tcb_yaml_map_get(src, node, "assumed");
    TCB_CHECK(need(src, node, "value", what, &v, d));
    TCB_CHECK(need(src, node, "source", what, &s, d));
    TCB_CHECK(number_at(src, v, what, &f->value, d));
    if (!in_limits(k, f->value)) {
        char range[64];
        if (isinf(limits[k].hi))
            snprintf(range, sizeof range, "%s %g", limits[k].lo_open ? ">" : ">=", limits[k].lo);
        else
            snprintf(range, sizeof range, "in %s%g, %g%s", limits[k].lo_open ? "(" : "[",
                     limits[k].lo, limits[k].hi, limits[k].hi_open ? ")" : "]");
        return tcb_yaml_error(d, src, v, "%s must be %s, got %s", what, range,
                              tcb_yaml_scalar(v));
    }
    char what_source[112];
    snprintf(what_source, sizeof what_source, "%s source", what);
    TCB_CHECK(text_at(src, s, what_source, f->source, sizeof f->source, d));
    f->assumed = false;
    if (a != NULL) {
        const char *t = a->type == YAML_SCALAR_NODE ? tcb_yaml_scalar(a) : "";
        if (strcmp(t, "true") != 0 && strcmp(t, "false") != 0)
            return tcb_yaml_error(d, src, a, "%s: assumed must be true or false", what);
        f->assumed = t[0] == 't';
    }
    return TCB_OK;
}

static tcb_status load_plan(const tcb_yaml_src *src, yaml_node_t *plan, tcb_scenario *s,
                            tcb_diag *d)
{
    TCB_CHECK(tcb_yaml_check_map(src, plan, "the plan", plan_keys, d));
    int *dst[] = {&s->tp, &s->pp, &s->dp, &s->cp, &s->microbatches, &s->virtual_stages};
    for (int i = 0; i < 6; i++) {
        yaml_node_t *n = tcb_yaml_map_get(src, plan, plan_keys[i]);
        *dst[i] = 1; /* an axis not given is not used */
        if (n != NULL)
            TCB_CHECK(int_at(src, n, plan_keys[i], dst[i], d));
    }
    yaml_node_t *n;
    TCB_CHECK(need(src, plan, "seq", "the plan", &n, d));
    TCB_CHECK(int_at(src, n, "seq", &s->seq, d));
    TCB_CHECK(need(src, plan, "batch_tokens", "the plan", &n, d));
    TCB_CHECK(number_at(src, n, "batch_tokens", &s->batch_tokens, d));
    /* Every replica's micro-batches must hold whole sequences. */
    double per = (double)s->seq * s->dp * s->microbatches;
    if (!(s->batch_tokens >= per) || fmod(s->batch_tokens, per) != 0)
        return tcb_yaml_error(d, src, n,
                              "batch_tokens %.0f is not a whole multiple of seq x dp x "
                              "microbatches = %.0f",
                              s->batch_tokens, per);
    TCB_CHECK(need(src, plan, "source", "the plan", &n, d));
    return text_at(src, n, "the plan's source", s->plan_source, sizeof s->plan_source, d);
}

static tcb_status load_doc(const tcb_yaml_src *src, tcb_scenario *s, tcb_diag *d)
{
    yaml_node_t *root = yaml_document_get_root_node(src->doc), *n, *plan, *figs;
    if (root == NULL)
        return tcb_yaml_error(d, src, NULL, "the file is empty; a scenario needs 'name', "
                                            "'devices', 'plan' and 'figures'");
    TCB_CHECK(tcb_yaml_check_map(src, root, "the scenario", top_keys, d));
    TCB_CHECK(need(src, root, "name", "the scenario", &n, d));
    TCB_CHECK(text_at(src, n, "name", s->name, sizeof s->name, d));
    TCB_CHECK(need(src, root, "devices", "the scenario", &n, d));
    TCB_CHECK(int_at(src, n, "devices", &s->devices, d));
    TCB_CHECK(need(src, root, "plan", "the scenario", &plan, d));
    TCB_CHECK(load_plan(src, plan, s, d));
    /* In double: four factors of up to 1e9 overflow any integer type, and a
     * product past 2^53 is far from every valid 'devices' anyway. */
    double product = (double)s->tp * s->pp * s->dp * s->cp;
    if (product != s->devices)
        return tcb_yaml_error(d, src, plan,
                              "the plan uses tp x pp x dp x cp = %.0f devices, not the %d of "
                              "'devices'",
                              product, s->devices);
    TCB_CHECK(need(src, root, "figures", "the scenario", &figs, d));
    TCB_CHECK(tcb_yaml_check_map(src, figs, "figures", tcb_scenario_keys, d));
    for (int k = 0; k < TCB_SCN_COUNT; k++) {
        TCB_CHECK(need(src, figs, tcb_scenario_keys[k], "figures", &n, d));
        TCB_CHECK(load_figure(src, n, k, &s->f[k], d));
    }
    return TCB_OK;
}

const char *tcb_scenario_default_path(void)
{
    const char *env = getenv("TCBENCH_SCENARIO");
    return env != NULL && env[0] != '\0' ? env : TCB_SCENARIO_FILE;
}

tcb_status tcb_scenario_load(const char *path, tcb_scenario *out, tcb_diag *d)
{
    memset(out, 0, sizeof *out);
    path = path != NULL ? path : tcb_scenario_default_path();
    snprintf(out->path, sizeof out->path, "%s", path);
    yaml_document_t doc;
    tcb_yaml_src src = {.name = path, .doc = &doc};
    tcb_status st = tcb_yaml_load_file(&src, "a scenario", NULL, d);
    if (st == TCB_OK) {
        st = load_doc(&src, out, d);
        yaml_document_delete(&doc);
    }
    return st;
}
