/* The model-generations ladder (reports/ladder.c): the shipped ladder loads
 * with N's compute equal to a hand count written out here, N-1 and N-2
 * follow by the generation factor (the file's, or the caller's), and every
 * mistake in a ladder file is reported as "FILE:LINE:COLUMN: what is wrong".
 *
 * Key: L layers, T sequence length, d_attn = heads x head_dim, C a
 * generation's training compute in FLOPs. */
#include "ladder.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE_DIR TCB_FIXTURES "/ladder"

/* The shipped zoo and ladder, whatever the environment running the tests
 * says. */
static void use_shipped_files(void)
{
    unsetenv("TCBENCH_MODELS");
    unsetenv("TCBENCH_LADDER");
}

TestSuite(ladder, .init = use_shipped_files);

static tcb_ladder load_ok(const char *path, double factor)
{
    tcb_ladder l;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_ladder_load(path, factor, &l, &d), TCB_OK, "%s: %s",
                 path ? path : "(default)", d.msg);
    return l;
}

static const tcb_ladder_gen *find_ok(const tcb_ladder *l, const char *name)
{
    const tcb_ladder_gen *g = tcb_ladder_find(l, name);
    cr_assert_not_null(g, "no generation %s", name);
    return g;
}

/* Loads fixture NAME.yaml, expecting TCB_ERR_CONFIG; returns the message
 * with the fixture directory taken off, so a test states the file, line and
 * column it expects. */
static const char *load_fails(const char *name)
{
    static char msg[1024];
    char path[512];
    snprintf(path, sizeof path, "%s/%s.yaml", FIXTURE_DIR, name);
    tcb_ladder l;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_ladder_load(path, 0, &l, &d), TCB_ERR_CONFIG, "%s loaded", name);
    cr_assert_null(l.gens);
    size_t n = strlen(FIXTURE_DIR);
    const char *s = strncmp(d.msg, FIXTURE_DIR, n) == 0 && d.msg[n] == '/' ? d.msg + n + 1
                                                                            : d.msg;
    snprintf(msg, sizeof msg, "%s", s);
    return msg;
}

static void assert_starts(const char *msg, const char *prefix, const char *phrase)
{
    cr_assert(strncmp(msg, prefix, strlen(prefix)) == 0, "expected '%s...', got: %s", prefix,
              msg);
    cr_assert_not_null(strstr(msg, phrase), "expected '%s' in: %s", phrase, msg);
}

static void assert_rel(double got, double want, double rel)
{
    cr_assert(fabs(got - want) <= rel * fabs(want), "got %.10g, want %.10g", got, want);
}

/* ---- the shipped ladder ----------------------------------------------- */

/* llama3.1-405b's FLOPs per token at T = 8192, by hand (docs/models.md). */
static double llama405b_flops_per_token(void)
{
    double n_matmul = 403747897344.0; /* every matmul weight, LM head included */
    double L = 126, T = 8192, d_attn = 128.0 * 128.0;
    return 6 * n_matmul + 12 * L * T * d_attn; /* 2,625,424,588,800 */
}

Test(ladder, default_loads_in_order)
{
    tcb_ladder l = load_ok(NULL, 0);
    cr_assert_geq(l.ngens, 3);
    cr_assert_str_eq(l.gens[0].name, "N");
    cr_assert_str_eq(l.gens[1].name, "N-1");
    cr_assert_str_eq(l.gens[2].name, "N-2");
    cr_assert_str_eq(l.gens[0].shape_model, "llama3.1-405b");
    cr_assert_str_eq(l.gens[1].shape_model, "llama3-70b");
    cr_assert_str_eq(l.gens[2].shape_model, "llama3-8b");
    cr_assert_eq(l.factor, 10);
    for (int i = 0; i < l.ngens; i++) {
        const tcb_ladder_gen *g = &l.gens[i];
        cr_assert_gt(g->compute_flops, 0, "%s", g->name);
        cr_assert_neq(g->compute_source[0], '\0', "%s", g->name);
        cr_assert_neq(g->shape_source[0], '\0', "%s", g->name);
        cr_assert_eq(g->tokens > 0, g->tokens_source[0] != '\0', "%s", g->name);
    }
    cr_assert(strncmp(l.factor_source, "catalog: ", 9) == 0, "%s", l.factor_source);
    tcb_ladder_free(&l);
    tcb_ladder_free(&l); /* twice is harmless */
}

Test(ladder, frontier_compute_is_the_formula_times_tokens)
{
    tcb_ladder l = load_ok(NULL, 0);
    const tcb_ladder_gen *n = find_ok(&l, "N");
    double want = llama405b_flops_per_token() * 15.6e12; /* 4.0957e25 */
    assert_rel(n->compute_flops, want, 1e-12);
    cr_assert_eq(n->tokens, 15.6e12);
    cr_assert_str_eq(n->model, "llama3.1-405b");
    cr_assert_not(n->derived);
    cr_assert(strncmp(n->compute_source, "derived: C = llama3.1-405b", 26) == 0, "%s",
              n->compute_source);
    cr_assert(strncmp(n->tokens_source, "catalog: Llama Team", 19) == 0, "%s",
              n->tokens_source);
    cr_assert_not_null(strstr(n->tokens_source, "3.8e25"), "%s", n->tokens_source);
    /* The Llama 3 paper's own total is 3.8e25: 6 x params x tokens, without
     * the attention term 12*L*T*d_attn that tcbench's formula counts (about
     * 8% of the total at T = 8192), so ours is some 7.8% above it. */
    assert_rel(n->compute_flops, 3.8e25, 0.10);
    tcb_ladder_free(&l);
}

Test(ladder, older_generations_divide_by_ten)
{
    tcb_ladder l = load_ok(NULL, 0);
    double c = find_ok(&l, "N")->compute_flops;
    const tcb_ladder_gen *n1 = find_ok(&l, "N-1"), *n2 = find_ok(&l, "N-2");
    assert_rel(n1->compute_flops, c / 10, 1e-15);
    assert_rel(n2->compute_flops, c / 100, 1e-15);
    cr_assert(n1->derived && n2->derived);
    cr_assert_str_eq(n1->compute_source, "derived: N-1 = N / 10");
    cr_assert_str_eq(n2->compute_source, "derived: N-2 = N-1 / 10");
    cr_assert_eq(n1->tokens, 0);
    cr_assert_str_eq(n1->tokens_source, "");
    cr_assert_str_eq(n1->model, "");
    tcb_ladder_free(&l);
}

Test(ladder, factor_override)
{
    tcb_ladder l = load_ok(NULL, 4);
    double c = find_ok(&l, "N")->compute_flops;
    assert_rel(c, llama405b_flops_per_token() * 15.6e12, 1e-12);
    assert_rel(find_ok(&l, "N-1")->compute_flops, c / 4, 1e-15);
    assert_rel(find_ok(&l, "N-2")->compute_flops, c / 16, 1e-15);
    cr_assert_str_eq(find_ok(&l, "N-1")->compute_source, "derived: N-1 = N / 4");
    cr_assert_eq(l.factor, 4);
    cr_assert(strncmp(l.factor_source, "assumed: 4 ", 11) == 0, "%s", l.factor_source);
    tcb_ladder_free(&l);
}

Test(ladder, bad_factor_override)
{
    const double bad[] = {1, 0.5, -10, INFINITY, NAN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tcb_ladder l;
        tcb_diag d = {{0}};
        cr_assert_eq(tcb_ladder_load(NULL, bad[i], &l, &d), TCB_ERR_CONFIG, "%g", bad[i]);
        cr_assert_not_null(strstr(d.msg, "must be > 1"), "%s", d.msg);
    }
}

Test(ladder, environment_names_the_file)
{
    setenv("TCBENCH_LADDER", FIXTURE_DIR "/good.yaml", 1);
    cr_assert_str_eq(tcb_ladder_default_path(), FIXTURE_DIR "/good.yaml");
    tcb_ladder l = load_ok(NULL, 0);
    cr_assert_eq(l.ngens, 4);
    cr_assert_str_eq(l.gens[0].name, "big");
    tcb_ladder_free(&l);
}

/* ---- a fixture ladder: file factor, zoo tokens, given compute ---------- */

Test(ladder, fixture_file_factor_and_zoo_tokens)
{
    tcb_ladder l = load_ok(FIXTURE_DIR "/good.yaml", 0);
    cr_assert_eq(l.factor, 3);
    /* llama3-8b at T = 8192, by hand: 6 x 7,504,658,432 + 12 x 32 x 8192 x
     * 4096 = 57,912,852,480 FLOPs/token, x the zoo's 15T tokens. */
    double fpt = 6 * 7504658432.0 + 12 * 32.0 * 8192 * 4096;
    const tcb_ladder_gen *big = find_ok(&l, "big");
    assert_rel(big->compute_flops, fpt * 15e12, 1e-12);
    cr_assert_eq(big->tokens, 15e12);
    cr_assert(strncmp(big->tokens_source, "catalog: zoo llama3-8b.yaml: Meta Llama 3", 41) == 0,
              "%s", big->tokens_source);
    assert_rel(find_ok(&l, "mid")->compute_flops, fpt * 15e12 / 3, 1e-15);
    cr_assert_str_eq(find_ok(&l, "mid")->shape_source, "assumed: tcbench test");
    cr_assert_eq(find_ok(&l, "given")->compute_flops, 1e20);
    cr_assert_eq(find_ok(&l, "given")->tokens, 0);
    assert_rel(find_ok(&l, "small")->compute_flops, 1e20 / 3, 1e-15);
    cr_assert_str_eq(find_ok(&l, "small")->compute_source, "derived: small = given / 3");
    tcb_ladder_free(&l);
}

Test(ladder, compute_and_model_that_agree)
{
    tcb_ladder l = load_ok(FIXTURE_DIR "/consistent.yaml", 0);
    cr_assert_eq(l.gens[0].compute_flops, 4.1e25);
    cr_assert_not_null(strstr(l.gens[0].compute_source, "catalog: rounded; agrees with"), "%s",
                       l.gens[0].compute_source);
    cr_assert(strncmp(l.factor_source, "assumed: 10 ", 12) == 0, "%s", l.factor_source);
    tcb_ladder_free(&l);
}

/* ---- mistakes, each at its file:line:column ---------------------------- */

Test(ladder, unknown_key)
{
    assert_starts(load_fails("unknown_key"), "unknown_key.yaml:5:5: unknown key 'flops'",
                  "expected one of: name, compute, model, tokens, shape_model, sources");
}

Test(ladder, inconsistent_compute)
{
    assert_starts(load_fails("inconsistent"), "inconsistent.yaml:5:14: 'compute' is 3.8e+25",
                  "model 'llama3.1-405b' x tokens gives 4.09566e+25");
}

Test(ladder, model_not_in_zoo)
{
    assert_starts(load_fails("unknown_model"), "unknown_model.yaml:4:18: 'shape_model': no "
                                               "model 'gpt5' in ",
                  "have: gpt2-1.5b");
}

Test(ladder, first_generation_derived_from_nothing)
{
    assert_starts(load_fails("first_derived"), "first_derived.yaml:3:5: generation 'N' is the "
                                               "first",
                  "nothing to be derived from");
}

Test(ladder, factor_not_above_one)
{
    assert_starts(load_fails("factor_one"), "factor_one.yaml:1:9: 'factor' must be > 1",
                  "got 1");
}

Test(ladder, duplicate_names)
{
    assert_starts(load_fails("duplicate_name"),
                  "duplicate_name.yaml:8:11: generation 'N' is listed twice",
                  "first at line 2, column 5");
}

Test(ladder, figure_without_source)
{
    assert_starts(load_fails("missing_source"), "missing_source.yaml:3:5: 'compute' has no "
                                                "source",
                  "add 'compute: CITATION'");
}

Test(ladder, tokens_without_model)
{
    assert_starts(load_fails("tokens_alone"), "tokens_alone.yaml:9:5: 'tokens' needs 'model'",
                  "or 'compute'");
}

Test(ladder, model_without_tokens)
{
    assert_starts(load_fails("no_zoo_tokens"), "no_zoo_tokens.yaml:3:12: model 'tiny-gpt' has "
                                               "no published token count",
                  "give 'tokens'");
}

Test(ladder, unreadable_file)
{
    tcb_ladder l;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_ladder_load(FIXTURE_DIR "/nope.yaml", 0, &l, &d), TCB_ERR_CONFIG);
    cr_assert_not_null(strstr(d.msg, "nope.yaml: cannot read"), "%s", d.msg);
}
