/* The model zoo (workloads/model.c): every shipped model loads, the counts
 * and the FLOP formula match hand counts written out here, tensor-parallel
 * shards and layer slices have the right shapes, and every mistake in a
 * model file is reported as "FILE:LINE:COLUMN: what is wrong".
 *
 * Key: L layers, C width, NH heads, KVH kv heads, HS head dim, F FFN width,
 * V vocabulary, T sequence length. */
#include "model.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURE_MODELS TCB_FIXTURES "/models"

/* The shipped zoo, whatever the environment running the tests says. */
static void use_shipped_zoo(void)
{
    unsetenv("TCBENCH_MODELS");
}

TestSuite(model, .init = use_shipped_zoo);

static tcb_model load_ok(const char *name)
{
    tcb_model m;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_model_load(name, &m, &d), TCB_OK, "%s: %s", name, d.msg);
    return m;
}

static tcb_shard shard_ok(const tcb_model *m, int layers, int tp)
{
    tcb_shard s;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_model_shard(m, layers, tp, &s, &d), TCB_OK, "%s: %s", m->name, d.msg);
    return s;
}

/* Loads name from dir, expecting TCB_ERR_CONFIG; returns the message with
 * "DIR/" taken off, so a test states the file, line and column it expects. */
static const char *load_fails(const char *dir, const char *name)
{
    static char msg[1024];
    setenv("TCBENCH_MODELS", dir, 1);
    tcb_model m;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_model_load(name, &m, &d), TCB_ERR_CONFIG, "%s loaded", name);
    size_t n = strlen(dir);
    const char *s = strncmp(d.msg, dir, n) == 0 && d.msg[n] == '/' ? d.msg + n + 1 : d.msg;
    snprintf(msg, sizeof msg, "%s", s);
    return msg;
}

/* ---- the shipped zoo -------------------------------------------------- */

static const char *const shipped[] = {"gpt2-124m", "gpt2-350m",  "gpt2-774m",     "gpt2-1.5b",
                                      "llama3-8b", "llama3-70b", "llama3.1-405b", "tiny-gpt",
                                      "tiny-llama", NULL};

Test(model, every_shipped_model_loads_with_a_source_for_every_figure)
{
    char names[1024];
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_model_names(names, sizeof names, &d), TCB_OK, "%s", d.msg);
    cr_expect_str_eq(names, "gpt2-1.5b, gpt2-124m, gpt2-350m, gpt2-774m, llama3-70b, "
                            "llama3-8b, llama3.1-405b, tiny-gpt, tiny-llama");
    static const char *const figures[] = {"layers", "width", "heads", "kv_heads", "head_dim",
                                          "ffn", "activation", "norm", "positions", "vocab",
                                          "context", "tied", "bias", "norm_eps", NULL};
    for (int i = 0; shipped[i] != NULL; i++) {
        tcb_model m = load_ok(shipped[i]);
        cr_expect_str_eq(m.name, shipped[i]);
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.yaml", tcb_model_dir(), shipped[i]);
        cr_expect_str_eq(m.path, path);
        for (int f = 0; figures[f] != NULL; f++)
            cr_expect_gt(strlen(tcb_model_source(&m, figures[f])), 0, "%s: %s has no source",
                         m.name, figures[f]);
        cr_expect_eq(m.heads * m.head_dim, m.width, "%s: every shipped model has d_attn = d",
                     m.name);
        cr_expect_eq(m.heads % m.kv_heads, 0, "%s", m.name);
        cr_expect_eq(m.rope_theta > 0, m.positions == TCB_POS_ROPE, "%s", m.name);
        tcb_shard s = shard_ok(&m, 0, 1);
        cr_expect_eq(s.layers, m.layers);
        cr_expect_gt(s.n_params, s.n_matmul);
    }
    cr_expect_null(tcb_model_source(&(tcb_model){0}, "hidden"), "not a figure");
}

Test(model, gpt2_124m_figures)
{
    tcb_model m = load_ok("gpt2-124m");
    cr_expect_eq(m.layers, 12);
    cr_expect_eq(m.width, 768);
    cr_expect_eq(m.heads, 12);
    cr_expect_eq(m.kv_heads, 12);
    cr_expect_eq(m.head_dim, 64);
    cr_expect_eq(m.ffn, 3072);
    cr_expect_eq(m.activation, TCB_ACT_GELU);
    cr_expect_eq(m.norm, TCB_NORM_LAYERNORM);
    cr_expect_eq(m.positions, TCB_POS_LEARNED);
    cr_expect_eq(m.rope_theta, 0);
    cr_expect_eq(m.vocab, 50257);
    cr_expect_eq(m.context, 1024);
    cr_expect(m.tied);
    cr_expect(m.bias);
    cr_expect_float_eq(m.norm_eps, 1e-5, 1e-12);
    cr_expect_eq(m.tokens, 0, "not published");
    cr_expect_not_null(strstr(tcb_model_source(&m, "tokens"), "not published"));
    cr_expect_not_null(strstr(tcb_model_source(&m, "layers"), "Radford"));
}

Test(model, llama_figures)
{
    tcb_model m = load_ok("llama3-70b");
    cr_expect_eq(m.layers, 80);
    cr_expect_eq(m.width, 8192);
    cr_expect_eq(m.ffn, 28672);
    cr_expect_eq(m.heads, 64);
    cr_expect_eq(m.kv_heads, 8);
    cr_expect_eq(m.vocab, 128256);
    cr_expect_eq(m.activation, TCB_ACT_SWIGLU);
    cr_expect_eq(m.norm, TCB_NORM_RMSNORM);
    cr_expect_eq(m.positions, TCB_POS_ROPE);
    cr_expect_eq(m.rope_theta, 500000);
    cr_expect(!m.tied);
    cr_expect(!m.bias);
    cr_expect_eq(m.tokens, 15e12);
    tcb_model big = load_ok("llama3.1-405b");
    cr_expect_eq(big.tokens, 15.6e12);
    cr_expect_eq(big.context, 8192, "the main pre-training context, not the 128K extension");
}

/* ---- counts and FLOPs against hand counts ----------------------------- */

Test(model, gpt2_124m_matches_a_hand_count)
{
    tcb_model m = load_ok("gpt2-124m");
    tcb_shard s = shard_ok(&m, 0, 1);
    /* per layer: qkv 768 x 2304, proj 768 x 768, fc + proj 2 x 768 x 3072 */
    long long layer = 768LL * 2304 + 768LL * 768 + 2LL * 768 * 3072; /* 7,077,888 */
    long long n_matmul = 12 * layer + 50257LL * 768;                 /* + LM head (tied) */
    cr_expect_eq(n_matmul, 123532032LL);
    cr_expect_eq(s.n_matmul, 123532032LL);

    /* The well-known count: the matmul weights (wte is the LM head, counted
     * once), wpe 1024 x 768, 2 layernorms per layer + the final one (weight
     * and bias: 2 x 768 each), and per layer the biases of qkv (2304), attn
     * proj (768), fc (3072) and mlp proj (768). */
    long long params = n_matmul + 1024LL * 768 + (2 * 12 + 1) * 2LL * 768 +
                       12LL * (2304 + 768 + 3072 + 768);
    cr_expect_eq(params, 124439808LL);
    cr_expect_eq(s.n_params, 124439808LL);

    /* 6 N + 12 L T d_attn at T = 1024: 741,192,192 + 113,246,208. */
    double flops = 6.0 * 123532032 + 12.0 * 12 * 1024 * 768;
    cr_expect_eq(flops, 854438400.0);
    cr_expect_eq(tcb_shard_flops_per_token(&s, 1024), 854438400.0);
}

Test(model, llama3_8b_matches_a_hand_count)
{
    tcb_model m = load_ok("llama3-8b");
    tcb_shard s = shard_ok(&m, 0, 1);
    /* per layer: q, k, v 4096 x (32 + 2 x 8) x 128 = 4096 x 6144, o 4096 x 4096,
     * gate, up, down 3 x 4096 x 14336 */
    long long layer = 4096LL * 6144 + 4096LL * 4096 + 3LL * 4096 * 14336; /* 218,103,808 */
    long long n_matmul = 32 * layer + 128256LL * 4096;                   /* + LM head */
    cr_expect_eq(n_matmul, 7504658432LL);
    cr_expect_eq(s.n_matmul, 7504658432LL);

    /* + the untied embedding 128256 x 4096, 2 RMSNorms per layer + the final
     * one (weight only: 4096 each). */
    long long params = n_matmul + 128256LL * 4096 + (2 * 32 + 1) * 4096LL;
    cr_expect_eq(params, 8030261248LL);
    cr_expect_eq(s.n_params, 8030261248LL);

    /* At T = 8192: 6 x 7,504,658,432 = 45,027,950,592, and
     * 12 x 32 x 8192 x 4096 = 12,884,901,888. */
    double flops = 6.0 * 7504658432LL + 12.0 * 32 * 8192 * 4096;
    cr_expect_eq(flops, 57912852480.0);
    cr_expect_eq(tcb_shard_flops_per_token(&s, 8192), 57912852480.0);
}

/* The published parameter counts of the other shipped models (HF
 * num_parameters for GPT-2; the Llama checkpoints' totals). */
Test(model, published_parameter_counts)
{
    static const struct {
        const char *name;
        long long n_params;
    } rows[] = {
        {"gpt2-350m", 354823168LL},     {"gpt2-774m", 774030080LL},
        {"gpt2-1.5b", 1557611200LL},    {"llama3-70b", 70553706496LL},
        {"llama3.1-405b", 405853388800LL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tcb_model m = load_ok(rows[i].name);
        tcb_shard s = shard_ok(&m, 0, 1);
        cr_expect_eq(s.n_params, rows[i].n_params, "%s: %lld", rows[i].name, s.n_params);
    }
}

Test(model, tiny_models_match_a_hand_count)
{
    tcb_model g = load_ok("tiny-gpt");
    tcb_shard s = shard_ok(&g, 0, 1);
    /* L 2, C 32, NH = KVH = 4, HS 8, F 128, V 64, context 32, tied, biases */
    long long n = 2 * (32 * 96 + 32 * 32 + 2 * 32 * 128) + 64 * 32; /* 26,624 */
    cr_expect_eq(s.n_matmul, n);
    /* + wpe 32 x 32, 5 layernorms x 64, biases 2 x (96 + 32 + 128 + 32) */
    cr_expect_eq(s.n_params, n + 32 * 32 + 5 * 64 + 2 * (96 + 32 + 128 + 32)); /* 28,544 */

    tcb_model l = load_ok("tiny-llama");
    cr_expect_eq(l.kv_heads, 2);
    cr_expect_eq(l.rope_theta, 10000);
    s = shard_ok(&l, 0, 1);
    /* C 32, NH 4, KVH 2, HS 8, F 64, swiglu, V 64, untied, no biases */
    n = 2 * (32 * (4 + 2 * 2) * 8 + 32 * 32 + 3 * 32 * 64) + 64 * 32; /* 20,480 */
    cr_expect_eq(s.n_matmul, n);
    cr_expect_eq(s.n_params, n + 64 * 32 + 5 * 32); /* + embedding, 5 RMSNorms: 22,688 */
    /* T = 32: 6 x 20,480 + 12 x 2 x 32 x 32 */
    cr_expect_eq(tcb_shard_flops_per_token(&s, 32), 6.0 * 20480 + 12.0 * 2 * 32 * 32);
}

/* ---- shards ----------------------------------------------------------- */

Test(model, llama3_1_405b_at_tp_8)
{
    tcb_model m = load_ok("llama3.1-405b");
    tcb_shard s = shard_ok(&m, 0, 8);
    cr_expect_eq(s.model, &m);
    cr_expect_eq(s.tp, 8);
    cr_expect_eq(s.layers, 126);
    cr_expect_eq(s.heads, 16);      /* 128 / 8 */
    cr_expect_eq(s.kv_heads, 1);    /* 8 / 8 */
    cr_expect_eq(s.ffn, 6656);      /* 53248 / 8 */
    cr_expect_eq(s.vocab, 16032);   /* 128256 / 8 */
    cr_expect_eq(s.width, 16384);   /* not divided */
    cr_expect_eq(s.head_dim, 128);  /* not divided */

    tcb_shard two = shard_ok(&m, 2, 8);
    cr_expect_eq(two.layers, 2);
    cr_expect_eq(two.heads, 16);
    cr_expect_eq(two.kv_heads, 1);
    cr_expect_eq(two.ffn, 6656);
    cr_expect_eq(two.vocab, 16032);
    /* per layer: q, k, v 16384 x (16 + 2 x 1) x 128, o (16 x 128) x 16384,
     * gate, up, down 3 x 16384 x 6656; then the head shard 16032 x 16384 */
    long long layer = 16384LL * 18 * 128 + 16LL * 128 * 16384 + 3LL * 16384 * 6656;
    cr_expect_eq(layer, 398458880LL);
    long long n = 2 * layer + 16032LL * 16384;
    cr_expect_eq(two.n_matmul, n); /* 1,059,586,048 */
    /* + the embedding shard 16032 x 16384 and 5 RMSNorms of 16384 (replicated) */
    cr_expect_eq(two.n_params, n + 16032LL * 16384 + 5 * 16384LL); /* 1,322,336,256 */
    /* The attention term uses this device's heads: 16 x 128. */
    cr_expect_eq(tcb_shard_flops_per_token(&two, 8192),
                 6.0 * (double)n + 12.0 * 2 * 8192 * (16 * 128));
}

Test(model, kv_heads_fewer_than_tp_are_replicated)
{
    tcb_model m = load_ok("tiny-llama"); /* heads 4, kv_heads 2 */
    tcb_shard s = shard_ok(&m, 0, 4);
    cr_expect_eq(s.heads, 1);
    cr_expect_eq(s.kv_heads, 1, "2 kv heads over 4 devices: one each, replicated");
    cr_expect_eq(s.ffn, 16);
    cr_expect_eq(s.vocab, 16);
    s = shard_ok(&m, 1, 2);
    cr_expect_eq(s.kv_heads, 1);
    cr_expect_eq(s.layers, 1);
}

Test(model, shard_errors)
{
    tcb_model m = load_ok("llama3.1-405b");
    tcb_shard s;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_model_shard(&m, 0, 3, &s, &d), TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, "model 'llama3.1-405b': tp 3 does not divide its heads (128): "
                            "each device holds heads / tp");
    cr_expect_eq(tcb_model_shard(&m, 127, 8, &s, &d), TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, "model 'llama3.1-405b': layers 127 is out of range: it has 126 "
                            "(0 = all)");
    cr_expect_eq(tcb_model_shard(&m, -1, 8, &s, &d), TCB_ERR_CONFIG);
    cr_expect_not_null(strstr(d.msg, "layers -1 is out of range"));
    cr_expect_eq(tcb_model_shard(&m, 0, 0, &s, &d), TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, "model 'llama3.1-405b': tp must be at least 1, got 0");

    tcb_model g = load_ok("gpt2-124m"); /* 12 heads, 3072 ffn, 50257 = 29 x 1733 vocab */
    cr_expect_eq(tcb_model_shard(&g, 0, 2, &s, &d), TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, "model 'gpt2-124m': tp 2 does not divide its vocab (50257): each "
                            "device holds vocab / tp");
    tcb_model l = load_ok("tiny-llama"); /* ffn 64 */
    cr_expect_eq(tcb_model_shard(&l, 0, 8, &s, &d), TCB_ERR_CONFIG);
    cr_expect_not_null(strstr(d.msg, "tp 8 does not divide its heads (4)"), "%s", d.msg);

    setenv("TCBENCH_MODELS", FIXTURE_MODELS, 1);
    tcb_model o = load_ok("odd-gqa"); /* heads 12, kv_heads 3 */
    cr_expect_eq(tcb_model_shard(&o, 0, 2, &s, &d), TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, "model 'odd-gqa': tp 2 does not divide its kv_heads (3): each "
                            "device holds kv_heads / tp");
    cr_expect_eq(tcb_model_shard(&o, 0, 4, &s, &d), TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, "model 'odd-gqa': tp 4 is not a multiple of its kv_heads (3): "
                            "with fewer kv heads than devices each kv head is replicated on "
                            "tp / kv_heads devices");
    s = shard_ok(&o, 0, 3);
    cr_expect_eq(s.kv_heads, 1);
    cr_expect_eq(s.heads, 4);
    cr_expect_str_eq(tcb_model_source(&o, "norm_eps"), "tcbench test fixture, its own citation");
    cr_expect_str_eq(tcb_model_source(&o, "rope_theta"), "tcbench test fixture");
    cr_expect_eq(o.tokens, 1e6);
}

/* ---- the directory ---------------------------------------------------- */

Test(model, directory_comes_from_the_environment)
{
    cr_expect_eq(strcmp(tcb_model_dir() + strlen(tcb_model_dir()) - 16, "workloads/models"), 0,
                 "%s", tcb_model_dir());
    setenv("TCBENCH_MODELS", FIXTURE_MODELS, 1);
    cr_expect_str_eq(tcb_model_dir(), FIXTURE_MODELS);
    setenv("TCBENCH_MODELS", "", 1);
    cr_expect_neq(strcmp(tcb_model_dir(), ""), 0, "empty: the default");
}

Test(model, unknown_name_lists_what_there_is)
{
    setenv("TCBENCH_MODELS", FIXTURE_MODELS, 1);
    tcb_model m;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_model_load("gpt5", &m, &d), TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, "no model 'gpt5' in " FIXTURE_MODELS " (have: bad-enum, "
                            "missing-source, name-mismatch, odd-gqa, unknown-key)");
    cr_expect_eq(tcb_model_load("../models/tiny-gpt", &m, &d), TCB_ERR_CONFIG);
    cr_expect_not_null(strstr(d.msg, "'../models/tiny-gpt' is not a model name"), "%s", d.msg);
    cr_expect_eq(tcb_model_load("", &m, &d), TCB_ERR_CONFIG);

    setenv("TCBENCH_MODELS", "/nonexistent/tcbench-models", 1);
    cr_expect_eq(tcb_model_load("x", &m, &d), TCB_ERR_CONFIG);
    cr_expect_not_null(strstr(d.msg, "cannot read the model directory /nonexistent/tcbench-models"),
                       "%s", d.msg);
}

/* ---- file errors: the fixtures ---------------------------------------- */

Test(model, missing_source_names_the_figure)
{
    cr_expect_str_eq(load_fails(FIXTURE_MODELS, "missing-source"),
                     "missing-source.yaml:11:1: 'norm' has no source: add 'norm: CITATION' or "
                     "'components: CITATION' under 'sources'");
}

Test(model, unknown_key)
{
    const char *msg = load_fails(FIXTURE_MODELS, "unknown-key");
    const char *want = "unknown-key.yaml:9:1: unknown key 'hidden' in a model (expected one "
                       "of: name, layers, width, ";
    cr_expect_eq(strncmp(msg, want, strlen(want)), 0, "%s", msg);
}

Test(model, bad_enum)
{
    cr_expect_str_eq(load_fails(FIXTURE_MODELS, "bad-enum"),
                     "bad-enum.yaml:9:15: 'activation' must be one of: gelu, swiglu; got 'relu'");
}

Test(model, name_must_be_the_file_stem)
{
    cr_expect_str_eq(load_fails(FIXTURE_MODELS, "name-mismatch"),
                     "name-mismatch.yaml:2:7: 'name' is 'tiny-gpt' but the file is "
                     "name-mismatch.yaml; they must match");
}

/* ---- file errors: edits of a valid file ------------------------------- */

/* A valid model, one line per figure: the line numbers below are these. */
static const char *const base[] = {
    "name: edited",            /* 1 */
    "layers: 2",               /* 2 */
    "width: 32",               /* 3 */
    "heads: 4",                /* 4 */
    "kv_heads: 4",             /* 5 */
    "head_dim: 8",             /* 6 */
    "ffn: 128",                /* 7 */
    "activation: gelu",        /* 8 */
    "norm: layernorm",         /* 9 */
    "positions: learned",      /* 10 */
    "vocab: 64",               /* 11 */
    "context: 32",             /* 12 */
    "tied: true",              /* 13 */
    "bias: true",              /* 14 */
    "norm_eps: 1.0e-5",        /* 15 */
    "sources:",                /* 16 */
    "  architecture: test",    /* 17 */
    "  components: test",      /* 18 */
    NULL};

/* Writes base with edits applied as edited.yaml in a fresh directory and
 * loads it. edits are (key, with) pairs, NULL-terminated: the line of base
 * that starts with key becomes `with` ("" deletes it; several lines are
 * fine); a NULL key appends `with` at the end. Returns the status; the
 * message (directory taken off) in msg. */
static tcb_status load_edits(const char *const *edits, char msg[1024])
{
    char dir[] = "/tmp/tcb_test_model_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/edited.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; base[i] != NULL; i++) {
        const char *line = base[i];
        for (int e = 0; edits[e] != NULL || edits[e + 1] != NULL; e += 2)
            if (edits[e] != NULL && strncmp(base[i], edits[e], strlen(edits[e])) == 0)
                line = edits[e + 1];
        if (line[0] != '\0')
            fprintf(f, "%s\n", line);
    }
    for (int e = 0; edits[e] != NULL || edits[e + 1] != NULL; e += 2)
        if (edits[e] == NULL)
            fprintf(f, "%s\n", edits[e + 1]);
    fclose(f);

    setenv("TCBENCH_MODELS", dir, 1);
    tcb_model m;
    tcb_diag d = {{0}};
    tcb_status st = tcb_model_load("edited", &m, &d);
    unlink(path);
    rmdir(dir);
    size_t n = strlen(dir);
    snprintf(msg, 1024, "%s",
             strncmp(d.msg, dir, n) == 0 && d.msg[n] == '/' ? d.msg + n + 1 : d.msg);
    return st;
}

/* One edit: key NULL appends. */
static tcb_status load_edited(const char *key, const char *with, char msg[1024])
{
    const char *edits[] = {key, with, NULL, NULL};
    return load_edits(edits, msg);
}

static void expect_edit_error(const char *key, const char *with, const char *want)
{
    char msg[1024];
    cr_expect_eq(load_edited(key, with, msg), TCB_ERR_CONFIG, "'%s' loaded", with);
    cr_expect_str_eq(msg, want);
}

Test(model, the_base_of_the_edits_loads)
{
    char msg[1024];
    cr_assert_eq(load_edited("name:", "name: edited", msg), TCB_OK, "%s", msg);
    const char *tokens[] = {"sources:", "tokens: 2.5e9\nsources:", NULL, "  tokens: test",
                            NULL, NULL};
    cr_expect_eq(load_edits(tokens, msg), TCB_OK, "%s", msg);
    expect_edit_error(NULL, "  components: again",
                      "edited.yaml:19:3: duplicate key 'components' (first given at line 18, "
                      "column 3)");
    expect_edit_error("vocab:", "vocab: 64\nlayers: 3",
                      "edited.yaml:12:1: duplicate key 'layers' (first given at line 2, "
                      "column 1)");
}

Test(model, wrong_types_and_values)
{
    expect_edit_error("layers:", "layers: [2]",
                      "edited.yaml:2:9: 'layers' must be an integer, got a list");
    expect_edit_error("layers:", "layers: \"2\"",
                      "edited.yaml:2:9: 'layers' must be an integer, got the quoted string '2'");
    expect_edit_error("layers:", "layers: 2.5",
                      "edited.yaml:2:9: 'layers' must be an integer, got '2.5'");
    expect_edit_error("width:", "width: 0", "edited.yaml:3:8: 'width' must be > 0, got 0");
    expect_edit_error("ffn:", "ffn: -128", "edited.yaml:7:6: 'ffn' must be > 0, got -128");
    expect_edit_error("vocab:", "vocab: 3000000000",
                      "edited.yaml:11:8: 'vocab' must be at most 2147483647, got 3000000000");
    expect_edit_error("norm_eps:", "norm_eps: 0",
                      "edited.yaml:15:11: 'norm_eps' must be > 0, got 0");
    expect_edit_error("norm_eps:", "norm_eps: small",
                      "edited.yaml:15:11: 'norm_eps' must be a number, got 'small'");
    expect_edit_error("tied:", "tied: yes",
                      "edited.yaml:13:7: 'tied' must be one of: false, true; got 'yes'");
    expect_edit_error("norm:", "norm: batchnorm",
                      "edited.yaml:9:7: 'norm' must be one of: layernorm, rmsnorm; got "
                      "'batchnorm'");
    expect_edit_error("positions:", "positions: alibi",
                      "edited.yaml:10:12: 'positions' must be one of: learned, rope; got "
                      "'alibi'");
    expect_edit_error("sources:", "tokens: -1\nsources:",
                      "edited.yaml:16:9: 'tokens' must be >= 0, got -1");
}

Test(model, missing_keys)
{
    expect_edit_error("ffn:", "", "edited.yaml:1:1: missing required key 'ffn'");
    expect_edit_error("name:", "", "edited.yaml:1:1: missing required key 'name'");
    const char *empty[] = {"sources:", "sources: {}", "  architecture:", "", "  components:", "",
                           NULL, NULL};
    char msg[1024];
    cr_expect_eq(load_edits(empty, msg), TCB_ERR_CONFIG);
    cr_expect_str_eq(msg, "edited.yaml:2:1: 'layers' has no source: add 'layers: CITATION' or "
                          "'architecture: CITATION' under 'sources'");
    expect_edit_error("  architecture:", "", "edited.yaml:2:1: 'layers' has no source: add "
                                             "'layers: CITATION' or 'architecture: CITATION' "
                                             "under 'sources'");
    expect_edit_error(NULL, "layers2: 2",
                      "edited.yaml:19:1: unknown key 'layers2' in a model (expected one of: "
                      "name, layers, width, heads, kv_heads, head_dim, ffn, activation, norm, "
                      "positions, rope_theta, vocab, context, tied, bias, norm_eps, tokens, "
                      "sources)");
}

Test(model, consistency_between_figures)
{
    expect_edit_error("kv_heads:", "kv_heads: 3",
                      "edited.yaml:5:11: 'heads' (4) must be a multiple of 'kv_heads' (3): "
                      "each kv head serves a group of heads / kv_heads query heads");
    expect_edit_error("kv_heads:", "kv_heads: 8",
                      "edited.yaml:5:11: 'heads' (4) must be a multiple of 'kv_heads' (8): "
                      "each kv head serves a group of heads / kv_heads query heads");
    expect_edit_error("positions:", "positions: rope",
                      "edited.yaml:10:12: positions: rope needs 'rope_theta', the rope base");
    expect_edit_error("positions:", "positions: learned\nrope_theta: 10000",
                      "edited.yaml:11:1: 'rope_theta' is only for positions: rope; this model "
                      "has learned positions");
    char msg[1024];
    cr_expect_eq(load_edited("positions:", "positions: rope\nrope_theta: 10000", msg), TCB_OK,
                 "%s", msg);
    const char *huge[] = {"width:", "width: 2000000000", "ffn:", "ffn: 2000000000", NULL,
                          NULL};
    cr_expect_eq(load_edits(huge, msg), TCB_ERR_CONFIG);
    cr_expect_str_eq(msg, "edited.yaml:1:1: the figures give 2.4e+19 parameters, past what "
                          "tcbench counts (2^62); check them");
}

Test(model, sources_rules)
{
    /* A figure's own citation covers it without its group. */
    char msg[1024];
    cr_expect_eq(load_edited("  components:",
                             "  activation: a\n  norm: b\n  positions: c\n  tied: d\n"
                             "  bias: e\n  norm_eps: f",
                             msg),
                 TCB_OK, "%s", msg);
    expect_edit_error(NULL, "  tokens: test",
                      "edited.yaml:19:3: source for 'tokens', which this file does not give");
    expect_edit_error(NULL, "  training: test",
                      "edited.yaml:19:3: unknown key 'training' in 'sources' (expected one of: "
                      "architecture, components, layers, width, heads, kv_heads, head_dim, "
                      "ffn, activation, norm, positions, rope_theta, vocab, context, tied, "
                      "bias, norm_eps, tokens)");
    expect_edit_error("  components:", "  components: \"\"",
                      "edited.yaml:18:15: source 'components' must be a non-empty citation, "
                      "got ''");
    expect_edit_error("  components:", "  components: [a, b]",
                      "edited.yaml:18:15: source 'components' must be a non-empty citation, "
                      "got a list");
    expect_edit_error("sources:", "tokens: 1000\nsources:",
                      "edited.yaml:16:1: 'tokens' has no source: add 'tokens: CITATION' under "
                      "'sources'");
    const char *list[] = {"sources:", "sources: [a]", "  architecture:", "", "  components:", "",
                          NULL, NULL};
    cr_expect_eq(load_edits(list, msg), TCB_ERR_CONFIG);
    cr_expect_str_eq(msg, "edited.yaml:16:10: 'sources' must be a mapping, got a list");
}

Test(model, yaml_errors)
{
    char msg[1024];
    cr_expect_eq(load_edited("width:", "width: [32", msg), TCB_ERR_CONFIG);
    cr_expect_str_eq(msg, "edited.yaml:4:6: invalid YAML: did not find expected ',' or ']' "
                          "(while parsing a flow sequence at line 3, column 8)");
    expect_edit_error(NULL, "---\nname: again",
                      "edited.yaml:20:1: a model file is one YAML document; remove this "
                      "second one");
    expect_edit_error("name:", "name: [edited]",
                      "edited.yaml:1:7: 'name' must be the model's name, got a list");
}
