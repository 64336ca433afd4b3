/* Suites: reading the YAML file, validating its structure, applying --set,
 * and the small services on a loaded suite (hash, describe). The values of
 * parameters, ranges and the cross product live in suite_expand.c.
 *
 * Every error is one message "FILE:LINE:COLUMN: what is wrong" in the caller's
 * tcb_diag, formatted by yaml_doc.c (shared with the model and hardware readers). */
#include "suite.h"

#include "comm.h"
#include "energy.h"
#include "fnv.h"
#include "suite_internal.h"
#include "workload.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"name", "defaults", "energy", "cases", NULL};
static const char *const timing_keys[] = {"warmup", "iters", "timeout_s", NULL};
static const char *const entry_keys[] = {"workload", "backend", "warmup", "iters",
                                         "timeout_s", "params", NULL};

/* Warm-up, iterations and deadline of a case: built in, then `defaults:`,
 * then the entry's own keys, then --set; the later one wins. */
typedef struct {
    int warmup, iters;
    double timeout_s;
} timing;

static const timing builtin_timing = {.warmup = 1, .iters = 10, .timeout_s = 300};

/* `key:` with nothing after it, or ~ / null: treated as absent where a
 * mapping is optional, so a section with every line commented out is fine. */
static bool is_null(const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = tcb_yaml_scalar(node);
    return !strcmp(s, "") || !strcmp(s, "~") || !strcmp(s, "null") ||
           !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* ---- validation ------------------------------------------------------- */

static tcb_status parse_timing_value(const tcb_yaml_src *src, const char *key,
                                     yaml_node_t *v, timing *t, tcb_diag *d)
{
    if (v->type != YAML_SCALAR_NODE)
        return tcb_yaml_error(d, src, v, "'%s' must be a number, got %s", key,
                              tcb_yaml_node_kind(v));
    const char *text = tcb_yaml_scalar(v);
    if (strcmp(key, "timeout_s") == 0) {
        tcb_param_spec s = {.name = key, .type = TCB_PARAM_FLOAT, .min = -INFINITY};
        double f = 0;
        if (!tcb_param_parse(&s, text, NULL, &f, NULL, NULL))
            return tcb_yaml_error(d, src, v, "'timeout_s' must be a number of seconds, got '%s'",
                                  text);
        if (!(f > 0))
            return tcb_yaml_error(d, src, v, "'timeout_s' must be > 0, got %s", text);
        t->timeout_s = f;
        return TCB_OK;
    }
    bool iters = strcmp(key, "iters") == 0;
    tcb_param_spec s = {.name = key, .type = TCB_PARAM_INT, .min = -INFINITY};
    long long i = 0, min = iters ? 1 : 0;
    if (!tcb_param_parse(&s, text, &i, NULL, NULL, NULL))
        return tcb_yaml_error(d, src, v, "'%s' must be an integer, got '%s'", key, text);
    if (i < min)
        return tcb_yaml_error(d, src, v, "'%s' must be at least %lld, got %s", key, min, text);
    if (i > INT_MAX)
        return tcb_yaml_error(d, src, v, "'%s' must be at most %d, got %s", key, INT_MAX, text);
    *(iters ? &t->iters : &t->warmup) = (int)i;
    return TCB_OK;
}

/* The timing keys present in map (already checked for unknown keys). */
static tcb_status parse_timing_map(const tcb_yaml_src *src, yaml_node_t *map,
                                   timing *t, tcb_diag *d)
{
    for (int k = 0; timing_keys[k] != NULL; k++) {
        yaml_node_t *v = tcb_yaml_map_get(src, map, timing_keys[k]);
        if (v != NULL)
            TCB_CHECK(parse_timing_value(src, timing_keys[k], v, t, d));
    }
    return TCB_OK;
}

static int spec_index(const tcb_workload *w, const char *name)
{
    for (int i = 0; w->params != NULL && w->params[i].name != NULL; i++)
        if (strcmp(w->params[i].name, name) == 0)
            return i;
    return -1;
}

static int spec_count(const tcb_workload *w)
{
    int n = 0;
    while (w->params != NULL && w->params[n].name != NULL)
        n++;
    return n;
}

static const char *known_workloads(char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; tcb_workloads[i] != NULL; i++)
        tcb_yaml_list_append(buf, n, tcb_workloads[i]->name);
    return buf;
}

/* " (this build has: mpi)" for the kinds whose registry can be listed (only
 * comm backends have a list in workload.h); "" for the others. */
static const char *known_backends(tcb_backend_kind kind, char *buf, size_t n)
{
    char names[256] = "";
    buf[0] = '\0';
    if (kind != TCB_BACKEND_COMM)
        return buf;
    for (int i = 0; tcb_comm_backends[i] != NULL; i++)
        tcb_yaml_list_append(names, sizeof names, tcb_comm_backends[i]->name);
    snprintf(buf, n, names[0] ? " (this build has: %s)" : " (none in this build)", names);
    return buf;
}

static tcb_status load_backend(const tcb_yaml_src *src, yaml_node_t *entry,
                               tcb_suite_entry *e, tcb_diag *d)
{
    const tcb_workload *w = e->workload;
    yaml_node_t *b = tcb_yaml_map_get(src, entry, "backend");
    char list[300];
    if (w->backend_kind == TCB_BACKEND_NONE) {
        if (b != NULL)
            return tcb_yaml_error(d, src, b, "workload '%s' takes no backend; remove 'backend'",
                                  w->name);
        return TCB_OK;
    }
    const char *kind = tcb_backend_kind_name(w->backend_kind);
    if (b == NULL)
        return tcb_yaml_error(d, src, entry, "workload '%s' needs 'backend', a %s backend%s",
                              w->name, kind, known_backends(w->backend_kind, list, sizeof list));
    if (b->type != YAML_SCALAR_NODE)
        return tcb_yaml_error(d, src, b, "'backend' must be a name, got %s",
                              tcb_yaml_node_kind(b));
    if (!tcb_backend_exists(w->backend_kind, tcb_yaml_scalar(b)))
        return tcb_yaml_error(d, src, b, "unknown %s backend '%s' for workload '%s'%s", kind,
                              tcb_yaml_scalar(b), w->name,
                              known_backends(w->backend_kind, list, sizeof list));
    e->backend = strdup(tcb_yaml_scalar(b));
    if (e->backend == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory", src->name);
    return TCB_OK;
}

static tcb_status load_entry(const tcb_yaml_src *src, yaml_node_t *node,
                             const timing *defaults, tcb_suite_entry *e, tcb_diag *d)
{
    e->line = (int)node->start_mark.line + 1;
    e->column = (int)node->start_mark.column + 1;
    TCB_CHECK(tcb_yaml_check_map(src, node, "a case", entry_keys, d));

    char list[512];
    yaml_node_t *w = tcb_yaml_map_get(src, node, "workload");
    if (w == NULL)
        return tcb_yaml_error(d, src, node, "a case needs 'workload' (one of: %s)",
                              known_workloads(list, sizeof list));
    if (w->type != YAML_SCALAR_NODE)
        return tcb_yaml_error(d, src, w, "'workload' must be a name, got %s",
                              tcb_yaml_node_kind(w));
    e->workload = tcb_workload_find(tcb_yaml_scalar(w));
    if (e->workload == NULL)
        return tcb_yaml_error(d, src, w, "unknown workload '%s' (known: %s)", tcb_yaml_scalar(w),
                              known_workloads(list, sizeof list));
    TCB_CHECK(load_backend(src, node, e, d));

    timing t = *defaults;
    TCB_CHECK(parse_timing_map(src, node, &t, d));
    e->warmup = t.warmup;
    e->iters = t.iters;
    e->timeout_s = t.timeout_s;

    int n = spec_count(e->workload);
    e->params = calloc((size_t)n + 1, sizeof *e->params);
    if (e->params == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory", src->name);
    e->nparams = n;

    yaml_node_t *p = tcb_yaml_map_get(src, node, "params");
    if (p == NULL || is_null(p))
        return TCB_OK;
    TCB_CHECK(tcb_yaml_check_map(src, p, "'params'", NULL, d));
    for (yaml_node_pair_t *pair = p->data.mapping.pairs.start;
         pair < p->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(src->doc, pair->key);
        int i = spec_index(e->workload, tcb_yaml_scalar(k));
        if (i < 0) {
            list[0] = '\0';
            for (int j = 0; j < n; j++)
                tcb_yaml_list_append(list, sizeof list, e->workload->params[j].name);
            return tcb_yaml_error(d, src, k,
                                  "unknown parameter '%s' for workload '%s' (expected one of: %s)",
                                  tcb_yaml_scalar(k), e->workload->name, list);
        }
        TCB_CHECK(tcb_suite_values_parse(src, yaml_document_get_node(src->doc, pair->value),
                                         &e->workload->params[i], &e->params[i], d));
    }
    return TCB_OK;
}

static void free_entries(tcb_suite_entry *entries, int n)
{
    for (int i = 0; entries != NULL && i < n; i++) {
        free(entries[i].backend);
        for (int p = 0; p < entries[i].nparams; p++)
            free(entries[i].params[p].values);
        free(entries[i].params);
    }
    free(entries);
}

/* Every energy backend's name, "nvml, amdsmi, rapl, none", for messages. */
static const char *energy_names(char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; tcb_energy_backends[i] != NULL; i++)
        tcb_yaml_list_append(buf, n, tcb_energy_backends[i]->name);
    return buf;
}

/* One name of `energy:` added to s->energy. */
static tcb_status add_energy(const tcb_yaml_src *src, yaml_node_t *n, tcb_suite *s,
                             tcb_diag *d)
{
    char known[128];
    const tcb_energy_backend *b =
        n->type == YAML_SCALAR_NODE ? tcb_energy_find(tcb_yaml_scalar(n)) : NULL;
    if (b == NULL)
        return tcb_yaml_error(d, src, n, "unknown energy backend '%s' (expected auto or one "
                              "of: %s)", n->type == YAML_SCALAR_NODE ? tcb_yaml_scalar(n)
                              : tcb_yaml_node_kind(n), energy_names(known, sizeof known));
    for (int j = 0; j < s->nenergy; j++)
        if (s->energy[j] == b->name)
            return tcb_yaml_error(d, src, n, "energy backend '%s' is listed twice", b->name);
    if (s->nenergy == TCB_SUITE_MAX_ENERGY)
        return tcb_yaml_error(d, src, n, "more than %d energy backends", TCB_SUITE_MAX_ENERGY);
    s->energy[s->nenergy++] = b->name;
    return TCB_OK;
}

/* `energy: auto`, `energy: NAME` or `energy: [NAME, ...]`: which energy
 * backends every rank opens. A listed backend must work on every rank;
 * auto takes what works and records what it tried. */
static tcb_status parse_energy(const tcb_yaml_src *src, yaml_node_t *v, tcb_suite *s,
                               tcb_diag *d)
{
    char known[128];
    s->nenergy = 0;
    s->energy_auto = v->type == YAML_SCALAR_NODE && strcmp(tcb_yaml_scalar(v), "auto") == 0;
    if (s->energy_auto)
        return TCB_OK;
    if (v->type == YAML_SCALAR_NODE && !is_null(v))
        return add_energy(src, v, s, d);
    if (v->type != YAML_SEQUENCE_NODE)
        return tcb_yaml_error(d, src, v, "'energy' must be auto or a list of backends (%s), "
                              "got %s", energy_names(known, sizeof known),
                              tcb_yaml_node_kind(v));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++)
        TCB_CHECK(add_energy(src, yaml_document_get_node(src->doc, *it), s, d));
    if (s->nenergy == 0)
        return tcb_yaml_error(d, src, v, "'energy' is an empty list; give auto or backends "
                              "(%s)", energy_names(known, sizeof known));
    for (int j = 0; j < s->nenergy && s->nenergy > 1; j++)
        if (s->energy[j] == tcb_energy_none.name)
            return tcb_yaml_error(d, src, v, "energy backend 'none' measures nothing; list "
                                  "it alone, not with others");
    return TCB_OK;
}

/* The top level: name, defaults, cases. Fills s->name and *out (calloc'd;
 * partly filled on failure, the caller frees it with free_entries). */
static tcb_status load_top(const tcb_yaml_src *src, tcb_suite *s,
                           tcb_suite_entry **out, int *nout, tcb_diag *d)
{
    yaml_node_t *root = yaml_document_get_root_node(src->doc);
    if (root == NULL)
        return tcb_yaml_error(d, src, NULL, "the suite is empty; it needs 'name' and 'cases'");
    if (root->type != YAML_MAPPING_NODE)
        return tcb_yaml_error(d, src, root,
                              "the suite must be a mapping with 'name' and 'cases', got %s",
                              tcb_yaml_node_kind(root));
    TCB_CHECK(tcb_yaml_check_map(src, root, "the suite", top_keys, d));

    yaml_node_t *name = tcb_yaml_map_get(src, root, "name");
    if (name == NULL)
        return tcb_yaml_error(d, src, root, "missing required key 'name'");
    if (name->type != YAML_SCALAR_NODE || tcb_yaml_scalar(name)[0] == '\0')
        return tcb_yaml_error(d, src, name, "'name' must be a non-empty string, got %s",
                              name->type == YAML_SCALAR_NODE ? "''" : tcb_yaml_node_kind(name));
    s->name = strdup(tcb_yaml_scalar(name));
    if (s->name == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory", src->name);

    timing t = builtin_timing;
    yaml_node_t *defaults = tcb_yaml_map_get(src, root, "defaults");
    if (defaults != NULL && !is_null(defaults)) {
        TCB_CHECK(tcb_yaml_check_map(src, defaults, "'defaults'", timing_keys, d));
        TCB_CHECK(parse_timing_map(src, defaults, &t, d));
    }

    s->energy_auto = true;
    yaml_node_t *energy = tcb_yaml_map_get(src, root, "energy");
    if (energy != NULL && !is_null(energy))
        TCB_CHECK(parse_energy(src, energy, s, d));

    yaml_node_t *cases = tcb_yaml_map_get(src, root, "cases");
    if (cases == NULL)
        return tcb_yaml_error(d, src, root, "missing required key 'cases'");
    if (cases->type != YAML_SEQUENCE_NODE && !is_null(cases))
        return tcb_yaml_error(d, src, cases, "'cases' must be a list of cases, got %s",
                              tcb_yaml_node_kind(cases));
    int n = cases->type == YAML_SEQUENCE_NODE
                ? (int)(cases->data.sequence.items.top - cases->data.sequence.items.start)
                : 0;
    if (n == 0)
        return tcb_yaml_error(d, src, cases, "'cases' is empty; list at least one case");
    *out = calloc((size_t)n, sizeof **out);
    if (*out == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory", src->name);
    *nout = n;
    for (int i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(src->doc, cases->data.sequence.items.start[i]);
        TCB_CHECK(load_entry(src, item, &t, &(*out)[i], d));
    }
    return TCB_OK;
}

/* ---- --set ------------------------------------------------------------ */

typedef struct {
    timing t;
    bool warmup, iters, timeout_s; /* which of t were given */
} timing_override;

static tcb_status unknown_set_key(const char *label, const char *key,
                                  const tcb_suite_entry *entries, int n, tcb_diag *d)
{
    char list[600] = "";
    for (int i = 0; i < n; i++) {
        for (int p = 0; p < entries[i].nparams; p++) {
            const char *name = entries[i].workload->params[p].name;
            bool seen = false;
            for (int j = 0; j < i && !seen; j++)
                seen = spec_index(entries[j].workload, name) >= 0;
            if (!seen)
                tcb_yaml_list_append(list, sizeof list, name);
        }
    }
    return tcb_diag_set(d, TCB_ERR_CONFIG,
                        "%s:1:1: unknown key '%s': not warmup, iters, timeout_s or energy, and no "
                        "case's workload has a parameter of that name (they have: %s)",
                        label, key, list);
}

/* One "KEY=VALUE": VALUE is parsed as YAML, its errors reported against the
 * literal "--set KEY=VALUE" with columns counted in "KEY=VALUE". */
static tcb_status apply_set(const char *set, tcb_suite *s, tcb_suite_entry *entries, int n,
                            timing_override *over, tcb_diag *d)
{
    const char *eq = strchr(set, '=');
    if (eq == NULL || eq == set)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "--set %s:1:1: expected KEY=VALUE", set);
    size_t klen = (size_t)(eq - set);
    char *label = malloc(strlen(set) + 7);
    char *key = strndup(set, klen);
    if (label == NULL || key == NULL) {
        free(label);
        free(key);
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "--set %s: out of memory", set);
    }
    sprintf(label, "--set %s", set);

    yaml_document_t doc;
    tcb_yaml_src src = {.name = label, .column_offset = (int)klen + 1, .doc = &doc};
    tcb_status st = tcb_yaml_load(&src, "a suite", eq + 1, strlen(eq + 1), d);
    if (st != TCB_OK)
        goto out;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        st = tcb_yaml_error(d, &src, NULL, "missing value after '='");
    } else if (strcmp(key, "warmup") == 0 || strcmp(key, "iters") == 0 ||
               strcmp(key, "timeout_s") == 0) {
        st = parse_timing_value(&src, key, root, &over->t, d);
        *(key[0] == 'w' ? &over->warmup : key[0] == 'i' ? &over->iters : &over->timeout_s) = true;
    } else if (strcmp(key, "energy") == 0) {
        st = parse_energy(&src, root, s, d);
    } else {
        int found = 0;
        for (int i = 0; i < n && st == TCB_OK; i++) {
            int p = spec_index(entries[i].workload, key);
            if (p < 0)
                continue;
            tcb_suite_values v;
            st = tcb_suite_values_parse(&src, root, &entries[i].workload->params[p], &v, d);
            if (st == TCB_OK) {
                free(entries[i].params[p].values);
                entries[i].params[p] = v;
                found++;
            }
        }
        if (st == TCB_OK && found == 0)
            st = unknown_set_key(label, key, entries, n, d);
    }
    yaml_document_delete(&doc);
out:
    free(label);
    free(key);
    return st;
}

/* After --set: the timing overrides win over the file's. */
static void apply_timing(tcb_suite_entry *entries, int n, const timing_override *over)
{
    for (int i = 0; i < n; i++) {
        if (over->warmup)
            entries[i].warmup = over->t.warmup;
        if (over->iters)
            entries[i].iters = over->t.iters;
        if (over->timeout_s)
            entries[i].timeout_s = over->t.timeout_s;
    }
}

/* ---- the public API --------------------------------------------------- */

tcb_status tcb_suite_load(const char *path, const char *const *sets, int nsets,
                          tcb_suite *suite, tcb_diag *diag)
{
    tcb_suite s = {0};
    tcb_suite_entry *entries = NULL;
    int nentries = 0;
    timing_override over = {0};
    tcb_status st;
    memset(suite, 0, sizeof *suite);

    s.path = strdup(path);
    if (s.path == NULL)
        return tcb_diag_set(diag, TCB_ERR_RUNTIME, "%s: out of memory", path);
    size_t len = 0;
    st = tcb_yaml_read_file(path, &s.text, &len, NULL, diag);
    s.text_len = (long)len;
    if (st == TCB_OK) {
        yaml_document_t doc;
        tcb_yaml_src src = {.name = path, .column_offset = 0, .doc = &doc};
        st = tcb_yaml_load(&src, "a suite", s.text, len, diag);
        if (st == TCB_OK) {
            st = load_top(&src, &s, &entries, &nentries, diag);
            yaml_document_delete(&doc);
        }
    }
    for (int i = 0; i < nsets && st == TCB_OK; i++)
        st = apply_set(sets[i], &s, entries, nentries, &over, diag);
    if (st == TCB_OK) {
        apply_timing(entries, nentries, &over);
        st = tcb_suite_fill_defaults(path, entries, nentries, diag);
    }
    if (st == TCB_OK)
        st = tcb_suite_expand(path, entries, nentries, &s, diag);
    free_entries(entries, nentries);
    if (st != TCB_OK)
        tcb_suite_free(&s);
    else
        *suite = s;
    return st;
}

void tcb_suite_free(tcb_suite *suite)
{
    if (suite == NULL)
        return;
    free(suite->path);
    free(suite->name);
    free(suite->text);
    free(suite->cases); /* one block: cases, their items, backend names */
    memset(suite, 0, sizeof *suite);
}

/* Every parameter by name and value, exactly (floats by their bits, not
 * as printed). */
static uint64_t hash_params(uint64_t h, const tcb_params *ps)
{
    for (int i = 0; i < ps->count; i++) {
        const tcb_param *p = &ps->items[i];
        h = tcb_fnv1a64(h, p->spec->name, strlen(p->spec->name) + 1);
        switch (p->spec->type) {
        case TCB_PARAM_INT:
        case TCB_PARAM_SIZE: h = tcb_fnv1a64(h, &p->v.i, sizeof p->v.i); break;
        case TCB_PARAM_FLOAT: h = tcb_fnv1a64(h, &p->v.f, sizeof p->v.f); break;
        case TCB_PARAM_BOOL: h = tcb_fnv1a64(h, &p->v.b, sizeof p->v.b); break;
        case TCB_PARAM_ENUM: h = tcb_fnv1a64(h, &p->v.choice, sizeof p->v.choice); break;
        case TCB_PARAM_NAME: h = tcb_fnv1a64(h, p->v.name, strlen(p->v.name) + 1); break;
        }
    }
    return h;
}

void tcb_suite_plan_hash(const tcb_suite *suite, char out[17])
{
    uint64_t h = TCB_FNV_BASIS;
    if (suite->text != NULL && suite->text_len > 0)
        h = tcb_fnv1a64(h, suite->text, (size_t)suite->text_len);
    for (int i = 0; i < suite->ncases; i++) {
        const tcb_case *c = &suite->cases[i];
        h = tcb_fnv1a64(h, c->workload->name, strlen(c->workload->name) + 1);
        h = tcb_fnv1a64(h, c->backend, strlen(c->backend) + 1);
        h = hash_params(h, &c->params);
        h = tcb_fnv1a64(h, &c->warmup, sizeof c->warmup);
        h = tcb_fnv1a64(h, &c->iters, sizeof c->iters);
        h = tcb_fnv1a64(h, &c->timeout_s, sizeof c->timeout_s);
    }
    tcb_fnv_hex(h, out);
}

void tcb_suite_hash(const tcb_suite *suite, char out[17])
{
    uint64_t h = TCB_FNV_BASIS;
    if (suite->text != NULL && suite->text_len > 0)
        h = tcb_fnv1a64(h, suite->text, (size_t)suite->text_len);
    tcb_fnv_hex(h, out);
}
