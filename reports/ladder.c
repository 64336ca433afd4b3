/* The model-generations ladder (ladder.h): reading reports/ladder.yaml, each
 * generation's compute budget C given, counted from a zoo model or derived
 * from the generation before it, and the provenance of every figure.
 * docs/ladder.md is the file format.
 *
 * Every error in a file is one message "FILE:LINE:COLUMN: what is wrong",
 * formatted by harness/yaml_doc.c as for suites, models and the catalog. */
#include "ladder.h"

#include "model.h"
#include "yaml_doc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TCB_LADDER_FILE /* set by CMakeLists.txt for tcbench_core */
#define TCB_LADDER_FILE "reports/ladder.yaml"
#endif

/* Given compute and model x tokens must agree this closely: a file may
 * round the count it states, but not state a different one. */
#define AGREE_REL 0.01

/* The longest citation a file may give, in characters: the zoo's limit, so
 * a citation copied from a model file always fits. */
#define CITATION_MAX (TCB_MODEL_SOURCE_MAX - 1)

static const char *const top_keys[] = {"factor", "generations", "sources", NULL};
static const char *const top_source_keys[] = {"factor", NULL};
static const char *const gen_keys[] = {"name",   "compute",     "model",
                                       "tokens", "shape_model", "sources", NULL};
static const char *const gen_source_keys[] = {"compute", "tokens", "shape_model", NULL};

/* ---- small readers ---------------------------------------------------- */

/* A plain scalar number > 0 into *out. */
static tcb_status parse_positive(const tcb_yaml_src *f, yaml_node_t *n, const char *key,
                                 double *out, tcb_diag *d)
{
    if (n->type != YAML_SCALAR_NODE)
        return tcb_yaml_error(d, f, n, "'%s' must be a number, got %s", key,
                              tcb_yaml_node_kind(n));
    const char *text = tcb_yaml_scalar(n);
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return tcb_yaml_error(d, f, n, "'%s' must be a number, got the quoted string '%s'", key,
                              text);
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(v))
        return tcb_yaml_error(d, f, n, "'%s' must be a number, got '%s'", key, text);
    if (!(v > 0))
        return tcb_yaml_error(d, f, n, "'%s' must be > 0, got %s", key, text);
    *out = v;
    return TCB_OK;
}

/* A citation as provenance: "catalog: TEXT", or TEXT itself when it already
 * names its kind ("assumed: ..." flags a figure nobody published). */
static void provenance(char *out, const char *citation)
{
    if (strncmp(citation, "assumed:", 8) == 0 || strncmp(citation, "catalog:", 8) == 0)
        snprintf(out, TCB_LADDER_SOURCE_MAX, "%s", citation);
    else
        snprintf(out, TCB_LADDER_SOURCE_MAX, "catalog: %s", citation);
}

/* `sources:` of a generation or of the file (map may be NULL): every key of
 * it must be a non-empty citation of a figure the mapping `owner` gives. */
static tcb_status check_sources(const tcb_yaml_src *f, yaml_node_t *owner, yaml_node_t *map,
                                const char *what, const char *const *keys, tcb_diag *d)
{
    if (map == NULL)
        return TCB_OK;
    TCB_CHECK(tcb_yaml_check_map(f, map, what, keys, d));
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(f->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(f->doc, p->value);
        const char *key = tcb_yaml_scalar(k);
        TCB_CHECK(tcb_yaml_citation(f, v, key, CITATION_MAX, d));
        if (tcb_yaml_map_get(f, owner, key) == NULL)
            return tcb_yaml_error(d, f, k, "source for '%s', which %s does not give", key,
                                  owner == yaml_document_get_root_node(f->doc)
                                      ? "this file" : "this generation");
    }
    return TCB_OK;
}

/* The citation of figure `key` (given at key_node) from sources map (may be
 * NULL) as provenance into out; a figure without one is an error. */
static tcb_status cite(const tcb_yaml_src *f, yaml_node_t *map, yaml_node_t *key_node,
                       const char *key, char *out, tcb_diag *d)
{
    yaml_node_t *c = map != NULL ? tcb_yaml_map_get(f, map, key) : NULL;
    if (c == NULL)
        return tcb_yaml_error(d, f, key_node, "'%s' has no source: add '%s: CITATION' under %s",
                              key, key, strcmp(key, "factor") == 0 ? "the file's 'sources'"
                                                                   : "this generation's 'sources'");
    provenance(out, tcb_yaml_scalar(c));
    return TCB_OK;
}

/* The zoo model named by scalar node n (the value of key) into *m. */
static tcb_status zoo_model(const tcb_yaml_src *f, yaml_node_t *n, const char *key, tcb_model *m,
                            tcb_diag *d)
{
    if (n->type != YAML_SCALAR_NODE)
        return tcb_yaml_error(d, f, n, "'%s' must be the name of a zoo model, got %s", key,
                              tcb_yaml_node_kind(n));
    tcb_diag inner = {{0}};
    tcb_status st = tcb_model_load(tcb_yaml_scalar(n), m, &inner);
    if (st == TCB_ERR_CONFIG)
        return tcb_yaml_error(d, f, n, "'%s': %s", key, inner.msg);
    if (st != TCB_OK)
        return tcb_diag_set(d, st, "%s", inner.msg);
    return TCB_OK;
}

/* Model FLOPs per token of training the whole of m (tp 1, all layers) at
 * its context: the one formula of DESIGN.md. */
static tcb_status model_flops_per_token(const tcb_model *m, double *out, tcb_diag *d)
{
    tcb_shard s;
    TCB_CHECK(tcb_model_shard(m, 0, 1, &s, d));
    *out = tcb_shard_flops_per_token(&s, m->context);
    return TCB_OK;
}

/* ---- one generation --------------------------------------------------- */

/* A name is what a CSV column, a command-line flag and a file name take:
 * letters, digits, '.', '_', '+', '-'. */
static bool valid_name(const char *s)
{
    size_t len = strlen(s);
    return len > 0 && len < TCB_LADDER_NAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") == len;
}

/* C of a generation that gives `model` (and maybe `tokens` and `compute`). */
static tcb_status counted_compute(const tcb_yaml_src *f, yaml_node_t *item, tcb_ladder_gen *g,
                                  tcb_diag *d)
{
    yaml_node_t *nmodel = tcb_yaml_map_get(f, item, "model");
    yaml_node_t *ntokens = tcb_yaml_map_get(f, item, "tokens");
    yaml_node_t *ncompute = tcb_yaml_map_get(f, item, "compute");
    tcb_model m;
    TCB_CHECK(zoo_model(f, nmodel, "model", &m, d));
    snprintf(g->model, sizeof g->model, "%s", m.name);
    if (ntokens == NULL) {
        /* The zoo's own token count, with its own citation. */
        if (!(m.tokens > 0))
            return tcb_yaml_error(d, f, nmodel,
                                  "model '%s' has no published token count in the zoo; give "
                                  "'tokens' (and its source) in this generation",
                                  m.name);
        g->tokens = m.tokens;
        char zoo[TCB_LADDER_SOURCE_MAX];
        snprintf(zoo, sizeof zoo, "zoo %s.yaml: %s", m.name, tcb_model_source(&m, "tokens"));
        provenance(g->tokens_source, zoo);
    }
    double fpt;
    TCB_CHECK(model_flops_per_token(&m, &fpt, d));
    double counted = fpt * g->tokens;
    if (ncompute == NULL) {
        g->compute_flops = counted;
        snprintf(g->compute_source, sizeof g->compute_source,
                 "derived: C = %s at T = %d: %.6g FLOPs/token (%s) x %.6g tokens = %.6g FLOPs",
                 m.name, m.context, fpt, "6*N_matmul + 12*L*T*d_attn", g->tokens, counted);
        return TCB_OK;
    }
    double rel = fabs(g->compute_flops - counted) / counted;
    if (rel > AGREE_REL)
        return tcb_yaml_error(d, f, ncompute,
                              "'compute' is %.6g FLOPs but model '%s' x tokens gives %.6g (%.6g "
                              "FLOPs/token at T = %d x %.6g tokens), %.1f%% apart; give one of "
                              "them, or make them agree within %.0f%%",
                              g->compute_flops, m.name, counted, fpt, m.context, g->tokens,
                              100 * rel, 100 * AGREE_REL);
    size_t used = strlen(g->compute_source);
    snprintf(g->compute_source + used, sizeof g->compute_source - used,
             "; agrees with %s x %.6g tokens = %.6g FLOPs within %.0f%%", m.name, g->tokens,
             counted, 100 * AGREE_REL);
    return TCB_OK;
}

/* Generation i of the list, item, into gens[i] (gens[0..i-1] are read). */
static tcb_status parse_generation(const tcb_yaml_src *f, yaml_node_t *item, int i,
                                   tcb_ladder_gen *gens, double factor, tcb_diag *d)
{
    tcb_ladder_gen *g = &gens[i];
    g->line = (int)item->start_mark.line + 1;
    g->column = (int)item->start_mark.column + 1;
    TCB_CHECK(tcb_yaml_check_map(f, item, "a generation", gen_keys, d));

    yaml_node_t *name = tcb_yaml_map_get(f, item, "name");
    if (name == NULL)
        return tcb_yaml_error(d, f, item, "a generation needs 'name' (N, N-1, ...)");
    if (name->type != YAML_SCALAR_NODE || !valid_name(tcb_yaml_scalar(name)))
        return tcb_yaml_error(d, f, name,
                              "'name' must be a generation's name (letters, digits, '.', '_', "
                              "'+', '-'; at most %d characters), got %s",
                              TCB_LADDER_NAME_MAX - 1,
                              name->type == YAML_SCALAR_NODE ? tcb_yaml_scalar(name)
                                                             : tcb_yaml_node_kind(name));
    snprintf(g->name, sizeof g->name, "%s", tcb_yaml_scalar(name));
    for (int j = 0; j < i; j++)
        if (strcmp(gens[j].name, g->name) == 0)
            return tcb_yaml_error(d, f, name,
                                  "generation '%s' is listed twice (first at line %d, column %d)",
                                  g->name, gens[j].line, gens[j].column);

    yaml_node_t *srcs = tcb_yaml_map_get(f, item, "sources");
    TCB_CHECK(check_sources(f, item, srcs, "a generation's 'sources'", gen_source_keys, d));

    yaml_node_t *nshape = tcb_yaml_map_get(f, item, "shape_model");
    if (nshape == NULL)
        return tcb_yaml_error(d, f, item,
                              "generation '%s' needs 'shape_model', the zoo model whose "
                              "per-device shapes the cost model measures for it",
                              g->name);
    tcb_model shape;
    TCB_CHECK(zoo_model(f, nshape, "shape_model", &shape, d));
    snprintf(g->shape_model, sizeof g->shape_model, "%s", shape.name);
    TCB_CHECK(cite(f, srcs, tcb_yaml_map_key(f, item, "shape_model"), "shape_model",
                   g->shape_source, d));

    yaml_node_t *ncompute = tcb_yaml_map_get(f, item, "compute");
    yaml_node_t *nmodel = tcb_yaml_map_get(f, item, "model");
    yaml_node_t *ntokens = tcb_yaml_map_get(f, item, "tokens");
    if (ncompute != NULL) {
        TCB_CHECK(parse_positive(f, ncompute, "compute", &g->compute_flops, d));
        TCB_CHECK(cite(f, srcs, tcb_yaml_map_key(f, item, "compute"), "compute",
                       g->compute_source, d));
    }
    if (ntokens != NULL) {
        if (nmodel == NULL && ncompute == NULL)
            return tcb_yaml_error(d, f, tcb_yaml_map_key(f, item, "tokens"),
                                  "'tokens' needs 'model' (the zoo model whose FLOPs per token "
                                  "it multiplies) or 'compute'");
        TCB_CHECK(parse_positive(f, ntokens, "tokens", &g->tokens, d));
        TCB_CHECK(cite(f, srcs, tcb_yaml_map_key(f, item, "tokens"), "tokens", g->tokens_source,
                       d));
    }
    if (nmodel != NULL)
        return counted_compute(f, item, g, d);
    if (ncompute != NULL)
        return TCB_OK;

    /* Neither: derived from the generation before (newer than) this one. */
    if (i == 0)
        return tcb_yaml_error(d, f, item,
                              "generation '%s' is the first, so it has nothing to be derived "
                              "from: give 'compute', or 'model' and 'tokens'",
                              g->name);
    g->derived = true;
    g->compute_flops = gens[i - 1].compute_flops / factor;
    snprintf(g->compute_source, sizeof g->compute_source, "derived: %s = %s / %g", g->name,
             gens[i - 1].name, factor);
    return TCB_OK;
}

/* ---- the whole file --------------------------------------------------- */

/* The document into *l; override is the caller's factor (0: the file's). */
static tcb_status load_doc(const tcb_yaml_src *f, double override, tcb_ladder *l, tcb_diag *d)
{
    yaml_node_t *root = yaml_document_get_root_node(f->doc);
    if (root == NULL)
        return tcb_yaml_error(d, f, NULL, "the file is empty; a ladder needs 'generations'");
    TCB_CHECK(tcb_yaml_check_map(f, root, "the ladder", top_keys, d));
    yaml_node_t *srcs = tcb_yaml_map_get(f, root, "sources");
    TCB_CHECK(check_sources(f, root, srcs, "the file's 'sources'", top_source_keys, d));

    l->factor = TCB_LADDER_DEFAULT_FACTOR;
    snprintf(l->factor_source, sizeof l->factor_source,
             "assumed: %g x compute per generation (tcbench's default; the ladder gives no "
             "'factor')",
             TCB_LADDER_DEFAULT_FACTOR);
    yaml_node_t *nfactor = tcb_yaml_map_get(f, root, "factor");
    if (nfactor != NULL) {
        TCB_CHECK(parse_positive(f, nfactor, "factor", &l->factor, d));
        if (!(l->factor > 1))
            return tcb_yaml_error(d, f, nfactor,
                                  "'factor' must be > 1 (each generation has less compute than "
                                  "the one after it), got %s",
                                  tcb_yaml_scalar(nfactor));
        TCB_CHECK(cite(f, srcs, tcb_yaml_map_key(f, root, "factor"), "factor", l->factor_source,
                       d));
    }
    if (override != 0) {
        snprintf(l->factor_source, sizeof l->factor_source,
                 "assumed: %g x compute per generation, given for this run (the ladder's is %g)",
                 override, l->factor);
        l->factor = override;
    }

    yaml_node_t *list = tcb_yaml_map_get(f, root, "generations");
    if (list == NULL)
        return tcb_yaml_error(d, f, root, "missing required key 'generations' (newest first)");
    if (list->type != YAML_SEQUENCE_NODE || list->data.sequence.items.top ==
                                                list->data.sequence.items.start)
        return tcb_yaml_error(d, f, list, "'generations' must be a non-empty list, got %s",
                              list->type == YAML_SEQUENCE_NODE ? "an empty one"
                                                               : tcb_yaml_node_kind(list));
    int n = (int)(list->data.sequence.items.top - list->data.sequence.items.start);
    l->gens = calloc((size_t)n, sizeof *l->gens);
    if (l->gens == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory", f->name);
    for (int i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(f->doc, list->data.sequence.items.start[i]);
        l->ngens = i + 1;
        TCB_CHECK(parse_generation(f, item, i, l->gens, l->factor, d));
    }
    return TCB_OK;
}

/* ---- the public functions --------------------------------------------- */

const char *tcb_ladder_default_path(void)
{
    const char *env = getenv("TCBENCH_LADDER");
    return env != NULL && env[0] != '\0' ? env : TCB_LADDER_FILE;
}

void tcb_ladder_free(tcb_ladder *l)
{
    if (l == NULL)
        return;
    free(l->gens);
    l->gens = NULL;
    l->ngens = 0;
}

const tcb_ladder_gen *tcb_ladder_find(const tcb_ladder *l, const char *name)
{
    for (int i = 0; i < l->ngens; i++)
        if (strcmp(l->gens[i].name, name) == 0)
            return &l->gens[i];
    return NULL;
}

tcb_status tcb_ladder_load(const char *path, double factor, tcb_ladder *out, tcb_diag *d)
{
    memset(out, 0, sizeof *out);
    if (path == NULL)
        path = tcb_ladder_default_path();
    snprintf(out->path, sizeof out->path, "%s", path);
    if (factor != 0 && !(factor > 1 && isfinite(factor)))
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "the generation factor must be > 1 (0 keeps the ladder's), got %g",
                            factor);
    yaml_document_t doc;
    tcb_yaml_src f = {.name = path, .doc = &doc};
    tcb_status st = tcb_yaml_load_file(&f, "a ladder", NULL, d);
    if (st == TCB_OK) {
        st = load_doc(&f, factor, out, d);
        yaml_document_delete(&doc);
    }
    if (st != TCB_OK)
        tcb_ladder_free(out);
    return st;
}
