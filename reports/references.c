/* Reading a references file (references.h) with the shared libyaml helpers. */
#include "references.h"
#include "yaml_doc.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"default_tolerance", "systems", NULL};
static const char *const rule_keys[] = {"case", "metric", "lower", "upper", NULL};

void tcb_references_default(tcb_references *r)
{
    memset(r, 0, sizeof *r);
    r->default_tolerance = TCB_REF_DEFAULT_TOLERANCE;
}

void tcb_references_free(tcb_references *r)
{
    free(r->rules);
    r->rules = NULL;
    r->n = 0;
}

/* "5%", "-3%", "0.05" or "none" (no bound: *out = +-INFINITY on the side the
 * caller names by sign). A plain number is a fraction, as ReFrame writes them.
 */
static tcb_status fraction_at(const tcb_yaml_src *src, yaml_node_t *n, const char *what,
                              double none, double *out, tcb_diag *d)
{
    const char *text = n != NULL && n->type == YAML_SCALAR_NODE ? tcb_yaml_scalar(n) : NULL;
    if (text != NULL && strcmp(text, "none") == 0 && isinf(none)) {
        *out = none;
        return TCB_OK;
    }
    char *end = NULL;
    errno = 0;
    double v = text != NULL ? strtod(text, &end) : NAN;
    bool percent = end != NULL && *end == '%';
    if (text == NULL || end == text || errno != 0 || !isfinite(v) ||
        (percent ? end[1] != '\0' : *end != '\0'))
        return tcb_yaml_error(d, src, n,
                              "%s must be a percentage (5%%) or a fraction (0.05)%s, "
                              "got %s",
                              what, isinf(none) ? " or none" : "",
                              text != NULL ? text : tcb_yaml_node_kind(n));
    *out = percent ? v / 100 : v;
    return TCB_OK;
}

static tcb_status glob_at(const tcb_yaml_src *src, yaml_node_t *map, const char *key, char *buf,
                          size_t size, tcb_diag *d)
{
    yaml_node_t *n = tcb_yaml_map_get(src, map, key);
    if (n == NULL) {
        snprintf(buf, size, "*");
        return TCB_OK;
    }
    const char *text = n->type == YAML_SCALAR_NODE ? tcb_yaml_scalar(n) : NULL;
    if (text == NULL || text[0] == '\0' || strlen(text) >= size)
        return tcb_yaml_error(d, src, n, "%s must be a pattern of 1 to %zu characters", key,
                              size - 1);
    snprintf(buf, size, "%s", text);
    return TCB_OK;
}

static tcb_status load_rule(const tcb_yaml_src *src, yaml_node_t *n, const char *system,
                            double tolerance, tcb_ref_rule *rule, tcb_diag *d)
{
    TCB_CHECK(tcb_yaml_check_map(src, n, "a rule", rule_keys, d));
    memset(rule, 0, sizeof *rule);
    snprintf(rule->system, sizeof rule->system, "%s", system);
    rule->line = (int)n->start_mark.line + 1;
    TCB_CHECK(glob_at(src, n, "case", rule->case_glob, sizeof rule->case_glob, d));
    TCB_CHECK(glob_at(src, n, "metric", rule->metric_glob, sizeof rule->metric_glob, d));
    yaml_node_t *lo = tcb_yaml_map_get(src, n, "lower"), *hi = tcb_yaml_map_get(src, n, "upper");
    if (lo == NULL && hi == NULL)
        return tcb_yaml_error(d, src, n, "a rule needs lower, upper or both");
    rule->lower = -tolerance;
    rule->upper = tolerance;
    if (lo != NULL) {
        TCB_CHECK(fraction_at(src, lo, "lower", -INFINITY, &rule->lower, d));
        if (rule->lower > 0)
            return tcb_yaml_error(d, src, lo,
                                  "lower is the largest fall allowed: 0 or less, "
                                  "got %s",
                                  tcb_yaml_scalar(lo));
    }
    if (hi != NULL) {
        TCB_CHECK(fraction_at(src, hi, "upper", INFINITY, &rule->upper, d));
        if (rule->upper < 0)
            return tcb_yaml_error(d, src, hi,
                                  "upper is the largest rise allowed: 0 or more, "
                                  "got %s",
                                  tcb_yaml_scalar(hi));
    }
    return TCB_OK;
}

static tcb_status load_systems(const tcb_yaml_src *src, yaml_node_t *systems, tcb_references *out,
                               tcb_diag *d)
{
    TCB_CHECK(tcb_yaml_check_map(src, systems, "systems", NULL, d));
    yaml_document_t *doc = src->doc;
    int total = 0;
    for (yaml_node_pair_t *p = systems->data.mapping.pairs.start;
         p < systems->data.mapping.pairs.top; p++) {
        yaml_node_t *list = yaml_document_get_node(doc, p->value);
        if (list == NULL || list->type != YAML_SEQUENCE_NODE)
            return tcb_yaml_error(d, src, list, "a system's rules must be a list, got %s",
                                  tcb_yaml_node_kind(list));
        total += (int)(list->data.sequence.items.top - list->data.sequence.items.start);
    }
    out->rules = total ? calloc((size_t)total, sizeof *out->rules) : NULL;
    if (total > 0)
        TCB_ALLOC_CHECK(out->rules);
    for (yaml_node_pair_t *p = systems->data.mapping.pairs.start;
         p < systems->data.mapping.pairs.top; p++) {
        yaml_node_t *name = yaml_document_get_node(doc, p->key);
        yaml_node_t *list = yaml_document_get_node(doc, p->value);
        const char *system = tcb_yaml_scalar(name);
        if (system[0] == '\0' || strlen(system) >= sizeof out->rules[0].system)
            return tcb_yaml_error(d, src, name, "a system name must be 1 to %zu characters",
                                  sizeof out->rules[0].system - 1);
        for (yaml_node_item_t *i = list->data.sequence.items.start;
             i < list->data.sequence.items.top; i++)
            TCB_CHECK(load_rule(src, yaml_document_get_node(doc, *i), system,
                                out->default_tolerance, &out->rules[out->n++], d));
    }
    return TCB_OK;
}

static tcb_status load_doc(const tcb_yaml_src *src, tcb_references *out, tcb_diag *d)
{
    yaml_node_t *root = yaml_document_get_root_node(src->doc);
    if (root == NULL)
        return tcb_yaml_error(d, src, NULL, "the file is empty; a references file needs "
                                            "'default_tolerance', 'systems' or both");
    TCB_CHECK(tcb_yaml_check_map(src, root, "a references file", top_keys, d));
    yaml_node_t *n = tcb_yaml_map_get(src, root, "default_tolerance");
    if (n != NULL) {
        TCB_CHECK(fraction_at(src, n, "default_tolerance", 0, &out->default_tolerance, d));
        if (!(out->default_tolerance > 0))
            return tcb_yaml_error(d, src, n, "default_tolerance must be above 0, got %s",
                                  tcb_yaml_scalar(n));
    }
    n = tcb_yaml_map_get(src, root, "systems");
    return n != NULL ? load_systems(src, n, out, d) : TCB_OK;
}

tcb_status tcb_references_load(const char *path, tcb_references *out, tcb_diag *d)
{
    tcb_references_default(out);
    snprintf(out->path, sizeof out->path, "%s", path);
    yaml_document_t doc;
    tcb_yaml_src src = {.name = path, .doc = &doc};
    tcb_status st = tcb_yaml_load_file(&src, "a references file", NULL, d);
    if (st == TCB_OK) {
        st = load_doc(&src, out, d);
        yaml_document_delete(&doc);
    }
    if (st != TCB_OK)
        tcb_references_free(out);
    return st;
}

static const tcb_ref_rule *first_match(const tcb_references *r, const char *system,
                                       const char *case_label, const char *metric)
{
    for (int i = 0; i < r->n; i++) {
        const tcb_ref_rule *rule = &r->rules[i];
        if (strcmp(rule->system, system) == 0 && fnmatch(rule->case_glob, case_label, 0) == 0 &&
            fnmatch(rule->metric_glob, metric, 0) == 0)
            return rule;
    }
    return NULL;
}

void tcb_references_bounds(const tcb_references *r, const char *system, const char *case_label,
                           const char *metric, double *lower, double *upper, int *rule_line)
{
    const tcb_ref_rule *rule = first_match(r, system, case_label, metric);
    if (rule == NULL)
        rule = first_match(r, "*", case_label, metric);
    *lower = rule != NULL ? rule->lower : -r->default_tolerance;
    *upper = rule != NULL ? rule->upper : r->default_tolerance;
    *rule_line = rule != NULL ? rule->line : 0;
}
