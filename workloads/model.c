/* The model zoo: reading one model's YAML file (every figure validated and
 * cited), the shard one device holds, and the FLOP formula of DESIGN.md.
 * docs/models.md is the file format and the derivation of every count.
 *
 * Key: L layers, C width (d), NH query heads, KVH key/value heads, HS head
 * dimension, F FFN hidden width, V vocabulary, T sequence length.
 *
 * Every error in a file is one message "FILE:LINE:COLUMN: what is wrong",
 * formatted by harness/yaml_doc.c as for suites and the hardware catalog. */
#include "model.h"

#include "yaml_doc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TCB_MODELS_DIR /* set by CMakeLists.txt for tcbench_core */
#define TCB_MODELS_DIR "workloads/models"
#endif

/* ---- the file format: one row per figure ------------------------------ */

typedef enum { K_INT, K_REAL, K_BOOL, K_ENUM } figure_kind;

/* A figure's group under `sources:`: one citation may cover several. */
typedef enum { G_NONE, G_ARCHITECTURE, G_COMPONENTS } figure_group;

static const char *const group_keys[] = {NULL, "architecture", "components"};

static const char *const activations[] = {"gelu", "swiglu", NULL};
static const char *const norms[] = {"layernorm", "rmsnorm", NULL};
static const char *const positions[] = {"learned", "rope", NULL};

enum {
    F_LAYERS, F_WIDTH, F_HEADS, F_KV_HEADS, F_HEAD_DIM, F_FFN, F_ACTIVATION, F_NORM,
    F_POSITIONS, F_ROPE_THETA, F_VOCAB, F_CONTEXT, F_TIED, F_BIAS, F_NORM_EPS, F_TOKENS,
    F_COUNT
};
_Static_assert(F_COUNT == TCB_MODEL_FIGURES, "model.h's TCB_MODEL_FIGURES");

typedef struct {
    const char *key;
    figure_kind kind;
    bool required;     /* rope_theta is required with rope only, checked apart */
    bool zero_ok;      /* numbers: >= 0 instead of > 0 */
    const char *const *choices; /* K_ENUM */
    figure_group group;
} figure;

static const figure figures[F_COUNT] = {
    [F_LAYERS] = {"layers", K_INT, true, false, NULL, G_ARCHITECTURE},
    [F_WIDTH] = {"width", K_INT, true, false, NULL, G_ARCHITECTURE},
    [F_HEADS] = {"heads", K_INT, true, false, NULL, G_ARCHITECTURE},
    [F_KV_HEADS] = {"kv_heads", K_INT, true, false, NULL, G_ARCHITECTURE},
    [F_HEAD_DIM] = {"head_dim", K_INT, true, false, NULL, G_ARCHITECTURE},
    [F_FFN] = {"ffn", K_INT, true, false, NULL, G_ARCHITECTURE},
    [F_ACTIVATION] = {"activation", K_ENUM, true, false, activations, G_COMPONENTS},
    [F_NORM] = {"norm", K_ENUM, true, false, norms, G_COMPONENTS},
    [F_POSITIONS] = {"positions", K_ENUM, true, false, positions, G_COMPONENTS},
    [F_ROPE_THETA] = {"rope_theta", K_REAL, false, false, NULL, G_COMPONENTS},
    [F_VOCAB] = {"vocab", K_INT, true, false, NULL, G_ARCHITECTURE},
    [F_CONTEXT] = {"context", K_INT, true, false, NULL, G_ARCHITECTURE},
    [F_TIED] = {"tied", K_BOOL, true, false, NULL, G_COMPONENTS},
    [F_BIAS] = {"bias", K_BOOL, true, false, NULL, G_COMPONENTS},
    [F_NORM_EPS] = {"norm_eps", K_REAL, true, false, NULL, G_COMPONENTS},
    [F_TOKENS] = {"tokens", K_REAL, false, true, NULL, G_NONE},
};

/* The keys a model file may have: name, the figures, sources. */
static const char *const top_keys[] = {
    "name", "layers", "width", "heads", "kv_heads", "head_dim", "ffn", "activation",
    "norm", "positions", "rope_theta", "vocab", "context", "tied", "bias", "norm_eps",
    "tokens", "sources", NULL};

/* The keys of `sources:`: every figure, and the groups. */
static const char *const source_keys[] = {
    "architecture", "components", "layers", "width", "heads", "kv_heads", "head_dim",
    "ffn", "activation", "norm", "positions", "rope_theta", "vocab", "context", "tied",
    "bias", "norm_eps", "tokens", NULL};

/* A figure as read: the number, or the index of a choice / bool. */
typedef struct {
    yaml_node_t *key, *value; /* NULL when the file omits the figure */
    double num;
    int choice;
} figure_value;

/* ---- reading and checking one model ----------------------------------- */

/* One figure's value node into v (already holding its key and value). */
static tcb_status parse_figure(const tcb_yaml_src *f, const figure *fig, figure_value *v,
                               tcb_diag *d)
{
    yaml_node_t *n = v->value;
    static const char *const bools[] = {"false", "true", NULL};
    const char *const *choices = fig->kind == K_BOOL ? bools : fig->choices;
    const char *what = fig->kind == K_INT ? "an integer" : fig->kind == K_REAL ? "a number"
                       : fig->kind == K_BOOL ? "true or false" : "a name";
    if (n->type != YAML_SCALAR_NODE)
        return tcb_yaml_error(d, f, n, "'%s' must be %s, got %s", fig->key, what,
                              tcb_yaml_node_kind(n));
    const char *text = tcb_yaml_scalar(n);
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE && fig->kind != K_ENUM)
        return tcb_yaml_error(d, f, n, "'%s' must be %s, got the quoted string '%s'", fig->key,
                              what, text);
    if (choices != NULL) {
        char list[128] = "";
        for (int i = 0; choices[i] != NULL; i++) {
            if (strcmp(choices[i], text) == 0) {
                v->choice = i;
                return TCB_OK;
            }
            tcb_yaml_list_append(list, sizeof list, choices[i]);
        }
        return tcb_yaml_error(d, f, n, "'%s' must be one of: %s; got '%s'", fig->key, list, text);
    }
    char *end = NULL;
    errno = 0;
    if (fig->kind == K_INT) {
        long long i = strtoll(text, &end, 10);
        if (end == text || *end != '\0')
            return tcb_yaml_error(d, f, n, "'%s' must be an integer, got '%s'", fig->key, text);
        if (errno == ERANGE || i > INT_MAX)
            return tcb_yaml_error(d, f, n, "'%s' must be at most %d, got %s", fig->key, INT_MAX,
                                  text);
        v->num = (double)i;
    } else {
        v->num = strtod(text, &end);
        if (end == text || *end != '\0' || !isfinite(v->num))
            return tcb_yaml_error(d, f, n, "'%s' must be a number, got '%s'", fig->key, text);
    }
    if (fig->zero_ok ? !(v->num >= 0) : !(v->num > 0))
        return tcb_yaml_error(d, f, n, "'%s' must be %s, got %s", fig->key,
                              fig->zero_ok ? ">= 0" : "> 0", text);
    return TCB_OK;
}

/* `sources:`: every figure the file gives needs a citation, its own key or
 * its group's; a citation of a figure the file omits is a mistake too. */
static tcb_status load_sources(const tcb_yaml_src *f, yaml_node_t *root,
                               const figure_value *vals, tcb_model *m, tcb_diag *d)
{
    yaml_node_t *map = tcb_yaml_map_get(f, root, "sources");
    if (map == NULL)
        return tcb_yaml_error(d, f, root, "missing required key 'sources' (a citation of every "
                                          "figure: see docs/models.md)");
    TCB_CHECK(tcb_yaml_check_map(f, map, "'sources'", source_keys, d));
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(f->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(f->doc, p->value);
        const char *key = tcb_yaml_scalar(k);
        TCB_CHECK(tcb_yaml_citation(f, v, key, TCB_MODEL_SOURCE_MAX - 1, d));
        for (int i = 0; i < F_COUNT; i++)
            if (strcmp(figures[i].key, key) == 0 && vals[i].value == NULL)
                return tcb_yaml_error(d, f, k, "source for '%s', which this file does not give",
                                      key);
    }
    for (int i = 0; i < F_COUNT; i++) {
        if (vals[i].value == NULL)
            continue;
        yaml_node_t *cite = tcb_yaml_map_get(f, map, figures[i].key);
        if (cite == NULL && figures[i].group != G_NONE)
            cite = tcb_yaml_map_get(f, map, group_keys[figures[i].group]);
        if (cite == NULL) {
            if (figures[i].group == G_NONE)
                return tcb_yaml_error(d, f, vals[i].key,
                                      "'%s' has no source: add '%s: CITATION' under 'sources'",
                                      figures[i].key, figures[i].key);
            return tcb_yaml_error(d, f, vals[i].key,
                                  "'%s' has no source: add '%s: CITATION' or '%s: CITATION' "
                                  "under 'sources'",
                                  figures[i].key, figures[i].key, group_keys[figures[i].group]);
        }
        snprintf(m->sources[i], sizeof m->sources[i], "%s", tcb_yaml_scalar(cite));
    }
    return TCB_OK;
}

/* The whole document of model `stem` into *m. */
static tcb_status load_doc(const tcb_yaml_src *f, const char *stem, tcb_model *m, tcb_diag *d)
{
    yaml_node_t *root = yaml_document_get_root_node(f->doc);
    if (root == NULL)
        return tcb_yaml_error(d, f, NULL, "the file is empty; a model needs 'name', its figures "
                                          "and 'sources'");
    TCB_CHECK(tcb_yaml_check_map(f, root, "a model", top_keys, d));

    yaml_node_t *name = tcb_yaml_map_get(f, root, "name");
    if (name == NULL)
        return tcb_yaml_error(d, f, root, "missing required key 'name'");
    if (name->type != YAML_SCALAR_NODE)
        return tcb_yaml_error(d, f, name, "'name' must be the model's name, got %s",
                              tcb_yaml_node_kind(name));
    if (strcmp(tcb_yaml_scalar(name), stem) != 0)
        return tcb_yaml_error(d, f, name, "'name' is '%s' but the file is %s.yaml; they must match",
                              tcb_yaml_scalar(name), stem);
    snprintf(m->name, sizeof m->name, "%s", stem);

    figure_value vals[F_COUNT] = {{0}};
    for (int i = 0; i < F_COUNT; i++) {
        vals[i].key = tcb_yaml_map_key(f, root, figures[i].key);
        vals[i].value = tcb_yaml_map_get(f, root, figures[i].key);
        if (vals[i].key == NULL && figures[i].required)
            return tcb_yaml_error(d, f, root, "missing required key '%s'", figures[i].key);
        if (vals[i].key != NULL)
            TCB_CHECK(parse_figure(f, &figures[i], &vals[i], d));
    }
    if (fmod(vals[F_HEADS].num, vals[F_KV_HEADS].num) != 0)
        return tcb_yaml_error(d, f, vals[F_KV_HEADS].value,
                              "'heads' (%.0f) must be a multiple of 'kv_heads' (%.0f): each kv "
                              "head serves a group of heads / kv_heads query heads",
                              vals[F_HEADS].num, vals[F_KV_HEADS].num);
    bool rope = vals[F_POSITIONS].choice == TCB_POS_ROPE;
    if (rope && vals[F_ROPE_THETA].key == NULL)
        return tcb_yaml_error(d, f, vals[F_POSITIONS].value,
                              "positions: rope needs 'rope_theta', the rope base");
    if (!rope && vals[F_ROPE_THETA].key != NULL)
        return tcb_yaml_error(d, f, vals[F_ROPE_THETA].key,
                              "'rope_theta' is only for positions: rope; this model has learned "
                              "positions");

    m->layers = (int)vals[F_LAYERS].num;
    m->width = (int)vals[F_WIDTH].num;
    m->heads = (int)vals[F_HEADS].num;
    m->kv_heads = (int)vals[F_KV_HEADS].num;
    m->head_dim = (int)vals[F_HEAD_DIM].num;
    m->ffn = (int)vals[F_FFN].num;
    m->activation = vals[F_ACTIVATION].choice == 0 ? TCB_ACT_GELU : TCB_ACT_SWIGLU;
    m->norm = vals[F_NORM].choice == 0 ? TCB_NORM_LAYERNORM : TCB_NORM_RMSNORM;
    m->positions = rope ? TCB_POS_ROPE : TCB_POS_LEARNED;
    m->rope_theta = rope ? vals[F_ROPE_THETA].num : 0;
    m->vocab = (int)vals[F_VOCAB].num;
    m->context = (int)vals[F_CONTEXT].num;
    m->tied = vals[F_TIED].choice == 1;
    m->bias = vals[F_BIAS].choice == 1;
    m->norm_eps = vals[F_NORM_EPS].num;
    m->tokens = vals[F_TOKENS].num;

    /* The counts are long long: refuse shapes whose count would overflow
     * (2^62 parameters is far past any model, so this is a typo). */
    double C = m->width, per_layer = C * ((double)m->heads + 2.0 * m->kv_heads) * m->head_dim +
                                     (double)m->heads * m->head_dim * C + 3.0 * C * m->ffn;
    double total = m->layers * (per_layer + 4 * C) + 2.0 * m->vocab * C + (double)m->context * C;
    if (total > 0x1p62)
        return tcb_yaml_error(d, f, root, "the figures give %.3g parameters, past what tcbench "
                                          "counts (2^62); check them", total);
    return load_sources(f, root, vals, m, d);
}

/* ---- the zoo directory ------------------------------------------------ */

const char *tcb_model_dir(void)
{
    const char *env = getenv("TCBENCH_MODELS");
    return env != NULL && env[0] != '\0' ? env : TCB_MODELS_DIR;
}

/* Model names are what a suite's NAME parameter accepts (params.h): letters,
 * digits, '.', '_', '-', and short enough for tcb_model.name. */
static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len >= sizeof ((tcb_model *)0)->name || s[0] == '.')
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") >= len;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

tcb_status tcb_model_names(char *buf, size_t n, tcb_diag *d)
{
    const char *dir = tcb_model_dir();
    if (n > 0)
        buf[0] = '\0';
    DIR *dp = opendir(dir);
    if (dp == NULL)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "cannot read the model directory %s: %s", dir,
                            strerror(errno));
    char **names = NULL;
    size_t count = 0, cap = 0;
    tcb_status st = TCB_OK;
    for (struct dirent *e; (e = readdir(dp)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0 ||
            !valid_name(e->d_name, len - 5))
            continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            char **bigger = realloc(names, cap * sizeof *names);
            if (bigger == NULL) {
                st = tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory", dir);
                break;
            }
            names = bigger;
        }
        if ((names[count] = strndup(e->d_name, len - 5)) == NULL) {
            st = tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory", dir);
            break;
        }
        count++;
    }
    closedir(dp);
    if (st == TCB_OK && count > 0)
        qsort(names, count, sizeof *names, compare_names);
    for (size_t i = 0; i < count; i++) {
        if (st == TCB_OK && n > 0)
            tcb_yaml_list_append(buf, n, names[i]);
        free(names[i]);
    }
    free(names);
    return st;
}

tcb_status tcb_model_load(const char *name, tcb_model *out, tcb_diag *d)
{
    memset(out, 0, sizeof *out);
    const char *dir = tcb_model_dir();
    if (!valid_name(name, strlen(name)))
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "'%s' is not a model name (letters, digits, '.', '_', '-'; at "
                            "most %zu characters)",
                            name, sizeof out->name - 1);
    int len = snprintf(out->path, sizeof out->path, "%s/%s.yaml", dir, name);
    if (len < 0 || (size_t)len >= sizeof out->path)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s/%s.yaml: path too long", dir, name);

    int err = 0;
    yaml_document_t doc;
    tcb_yaml_src f = {.name = out->path, .doc = &doc};
    tcb_status st = tcb_yaml_load_file(&f, "a model file", &err, d);
    if (st != TCB_OK && err == ENOENT) {
        char have[700];
        if (tcb_model_names(have, sizeof have, d) != TCB_OK)
            return TCB_ERR_CONFIG; /* d says why the directory is unreadable */
        return tcb_diag_set(d, TCB_ERR_CONFIG, "no model '%s' in %s (have: %s)", name, dir,
                            have[0] ? have : "none");
    }
    if (st == TCB_OK) {
        st = load_doc(&f, name, out, d);
        yaml_document_delete(&doc);
    }
    if (st != TCB_OK) {
        char path[sizeof out->path];
        memcpy(path, out->path, sizeof path);
        memset(out, 0, sizeof *out);
        memcpy(out->path, path, sizeof path);
    }
    return st;
}

const char *tcb_model_source(const tcb_model *m, const char *figure)
{
    for (int i = 0; i < F_COUNT; i++)
        if (strcmp(figures[i].key, figure) == 0)
            return m->sources[i];
    return NULL;
}

/* ---- shards and FLOPs ------------------------------------------------- */

/* Every count of a shard, in this one place (docs/models.md derives them).
 * s has its shape filled in; this fills n_matmul and n_params. Weights
 * (rows x cols as PyTorch stores them are (out, in); only the product
 * matters here):
 *   per layer, in matrix multiplications:
 *     wq, wk, wv   C x (NH + 2*KVH)*HS   column-parallel: heads split by tp
 *     wo           (NH*HS) x C           row-parallel: its input heads split
 *     FFN  gelu:   fc C x F, proj F x C           (2 matrices)
 *          swiglu: gate C x F, up C x F, down F x C (3 matrices)
 *   once:
 *     LM head      V x C                 vocab-parallel; counted even when
 *                                        tied: it is used in a matmul
 *   not in matmuls (n_params only):
 *     embedding    V x C                 only when untied (tied: it IS the head)
 *     positions    context x C           learned positions only; replicated
 *     norms        C (+ C bias) each     2 per layer + the final one; replicated
 *     biases       (NH + 2*KVH)*HS + C (attention) + (n_ffn - 1)*F + C (FFN)
 *                  per layer, when the model has biases; the two outputs'
 *                  C-wide biases are replicated, the others split by tp.
 * Every shard counts the head and embedding even for a layer slice. */
static void shard_count(tcb_shard *s)
{
    const tcb_model *m = s->model;
    long long L = s->layers, C = s->width, NH = s->heads, KVH = s->kv_heads, HS = s->head_dim,
              F = s->ffn, V = s->vocab;
    long long qkv = (NH + 2 * KVH) * HS;                         /* packed q, k, v width */
    long long n_ffn = m->activation == TCB_ACT_SWIGLU ? 3 : 2;   /* FFN matrices */
    long long layer_matmul = C * qkv + NH * HS * C + n_ffn * C * F;
    long long head = V * C;
    s->n_matmul = L * layer_matmul + head;

    long long norm = m->bias ? 2 * C : C;                        /* weight (+ bias) */
    long long layer_bias = m->bias ? qkv + C + (n_ffn - 1) * F + C : 0;
    long long embedding = m->tied ? 0 : V * C;
    long long positions = m->positions == TCB_POS_LEARNED ? (long long)m->context * C : 0;
    s->n_params = s->n_matmul + L * (2 * norm + layer_bias) + norm + embedding + positions;
}

tcb_status tcb_model_shard(const tcb_model *m, int layers, int tp, tcb_shard *out,
                           tcb_diag *d)
{
    memset(out, 0, sizeof *out);
    if (layers < 0 || layers > m->layers)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "model '%s': layers %d is out of range: it has %d (0 = all)",
                            m->name, layers, m->layers);
    if (tp < 1)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "model '%s': tp must be at least 1, got %d",
                            m->name, tp);
    static const char *const what[] = {"heads", "ffn", "vocab"};
    const int of[] = {m->heads, m->ffn, m->vocab};
    for (int i = 0; i < 3; i++)
        if (of[i] % tp != 0)
            return tcb_diag_set(d, TCB_ERR_CONFIG,
                                "model '%s': tp %d does not divide its %s (%d): each device "
                                "holds %s / tp",
                                m->name, tp, what[i], of[i], what[i]);
    if (m->kv_heads >= tp && m->kv_heads % tp != 0)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "model '%s': tp %d does not divide its kv_heads (%d): each device "
                            "holds kv_heads / tp",
                            m->name, tp, m->kv_heads);
    if (m->kv_heads < tp && tp % m->kv_heads != 0)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "model '%s': tp %d is not a multiple of its kv_heads (%d): with "
                            "fewer kv heads than devices each kv head is replicated on "
                            "tp / kv_heads devices",
                            m->name, tp, m->kv_heads);
    out->model = m;
    out->layers = layers == 0 ? m->layers : layers;
    out->tp = tp;
    out->width = m->width;
    out->heads = m->heads / tp;
    out->kv_heads = m->kv_heads >= tp ? m->kv_heads / tp : 1;
    out->head_dim = m->head_dim;
    out->ffn = m->ffn / tp;
    out->vocab = m->vocab / tp;
    shard_count(out);
    return TCB_OK;
}

/* 6 per matmul weight per token: 2 forward (a multiply and an add), 4
 * backward (the input's gradient and the weight's, 2 each). 12*L*T*d_attn:
 * per layer and token, QK^T and AV each cost 2*T*d_attn forward (T keys of
 * d_attn multiply-adds), 4*T*d_attn together, times 3 with the backward.
 * The causal mask is not subtracted (PaLM appendix B, Llama 3). */
double tcb_shard_flops_per_token(const tcb_shard *s, int T)
{
    double d_attn = (double)s->heads * s->head_dim;
    return 6.0 * (double)s->n_matmul + 12.0 * s->layers * (double)T * d_attn;
}
