/* The decoder as a whole (workloads/gpt.c) on the cpu backend: sizes agree
 * with the zoo's parameter counts, the first loss of an untrained model is
 * that of a uniform guess, the whole-model gradient agrees with finite
 * differences of the loss, and the synthetic stream splits across ranks
 * exactly as one rank with the whole batch would see it. The per-op checks
 * in double precision are in test_ops.c. */
#include "compute.h"
#include "gpt.h"
#include "model.h"
#include "tokens.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const tcb_compute_backend *cpu(void)
{
    const tcb_compute_backend *be = tcb_compute_backend_find("cpu");
    cr_assert_not_null(be);
    return be;
}

static void load(const char *name, tcb_model *m, tcb_shard *s)
{
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_model_load(name, m, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(tcb_model_shard(m, 0, 1, s, &d), TCB_OK, "%s", d.msg);
}

Test(gpt, sizes_match_the_zoo_parameter_counts)
{
    static const char *const zoo[] = {"gpt2-124m", "gpt2-1.5b", "llama3-8b", "llama3.1-405b",
                                      "tiny-gpt",  "tiny-llama"};
    for (size_t i = 0; i < sizeof zoo / sizeof zoo[0]; i++) {
        tcb_model m;
        tcb_shard s;
        load(zoo[i], &m, &s);
        tcb_gpt net;
        tcb_gpt_memory mem;
        tcb_gpt_size(&m, &s, 1, 8, false, &net, &mem);
        cr_expect_eq((long long)net.n_params, s.n_params, "%s: %zu floats, the zoo says %lld",
                     zoo[i], net.n_params, s.n_params);
        cr_expect_float_eq(mem.params, 4.0 * s.n_params, 0.5);
        cr_expect_float_eq(mem.adam, 8.0 * s.n_params, 0.5);
    }
}

Test(gpt, tokens_split_across_ranks_as_one_batch)
{
    enum { B = 4, T = 9, V = 50 };
    int32_t in[B * T], tg[B * T], in2[B * T], tg2[B * T];
    tcb_tokens_fill(in, tg, B, T, V, 7, 12);
    tcb_tokens_fill(in2, tg2, 2, T, V, 7, 12);               /* rank 0 of 2 */
    tcb_tokens_fill(in2 + 2 * T, tg2 + 2 * T, 2, T, V, 7, 14); /* rank 1 of 2 */
    cr_expect_arr_eq(in, in2, sizeof in);
    cr_expect_arr_eq(tg, tg2, sizeof tg);
    for (int b = 0; b < B; b++)
        for (int t = 0; t + 1 < T; t++)
            cr_expect_eq(tg[b * T + t], in[b * T + t + 1], "targets are the next tokens");
    for (int i = 0; i < B * T; i++)
        cr_expect(in[i] >= 0 && in[i] < V);
    tcb_tokens_fill(in2, tg2, B, T, V, 8, 12);
    cr_expect(memcmp(in, in2, sizeof in) != 0, "another seed, another stream");
}

/* A tiny model with its batch, built on the cpu backend. */
typedef struct {
    tcb_model m;
    tcb_shard s;
    tcb_compute *cx;
    tcb_gpt *net;
    int32_t in[2 * 8], tg[2 * 8];
} fixture;

static void build(fixture *f, const char *name)
{
    load(name, &f->m, &f->s);
    cr_assert_eq(cpu()->open(NULL, 1, &f->cx), TCB_OK);
    cr_assert_eq(tcb_gpt_create(cpu(), f->cx, &f->m, &f->s, 2, 8, 42, &f->net), TCB_OK);
    tcb_tokens_fill(f->in, f->tg, 2, 8, f->s.vocab, 42, 0);
}

static void destroy(fixture *f)
{
    tcb_gpt_free(f->net);
    cpu()->close(f->cx);
}

static double loss_at(fixture *f)
{
    double loss = 0;
    cr_assert_eq(tcb_gpt_forward(f->net, f->in, f->tg, false, &loss), TCB_OK);
    return loss;
}

Test(gpt, untrained_loss_is_a_uniform_guess)
{
    static const char *const names[] = {"tiny-gpt", "tiny-llama"};
    for (int i = 0; i < 2; i++) {
        fixture f;
        build(&f, names[i]);
        double loss = loss_at(&f);
        cr_expect(fabs(loss - log(f.s.vocab)) < 0.1, "%s: first loss %g, ln V = %g", names[i],
                  loss, log(f.s.vocab));
        destroy(&f);
    }
}

/* The loss along direction dir of one tensor, minus the gradient's
 * projection on it: the central difference in fp32 with a step that moves
 * the loss by about 1e-3. Returns |fd - g.dir| / |g of the tensor|. */
static double directional_error(fixture *f, int k, const float *dir, const float *grad)
{
    float *p = f->net->p[k];
    size_t n = f->net->param_count[k];
    double gdot = 0, gnorm = 0;
    for (size_t i = 0; i < n; i++) {
        gdot += (double)grad[i] * dir[i];
        gnorm += (double)grad[i] * grad[i];
    }
    gnorm = sqrt(gnorm);
    float *saved = malloc(n * sizeof *saved);
    memcpy(saved, p, n * sizeof *saved);
    double eps = 1e-3 / (gnorm > 1e-3 ? gnorm : 1e-3);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(saved[i] + eps * dir[i]);
    double up = loss_at(f);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(saved[i] - eps * dir[i]);
    double down = loss_at(f);
    memcpy(p, saved, n * sizeof *saved);
    free(saved);
    return fabs((up - down) / (2 * eps) - gdot) / (gnorm > 1e-6 ? gnorm : 1e-6);
}

/* Every parameter tensor of both model families: along the gradient itself
 * (which catches a wrong scale or sign) and along two random directions
 * (which catch an error orthogonal to the gradient). */
static void check_gradient(const char *name, int tensors)
{
    fixture f;
    build(&f, name);
    double loss = 0;
    tcb_gpt_zero_grad(f.net);
    cr_assert_eq(tcb_gpt_forward(f.net, f.in, f.tg, true, &loss), TCB_OK);
    tcb_gpt_backward(f.net);
    float *grads = malloc(f.net->n_params * sizeof *grads);
    memcpy(grads, f.net->grads, f.net->n_params * sizeof *grads);

    uint64_t rng = 99;
    int checked = 0;
    for (int k = 0; k < TCB_GPT_NPARAMS; k++) {
        size_t n = f.net->param_count[k];
        if (n == 0)
            continue;
        const float *g = grads + (f.net->p[k] - f.net->params);
        float *dir = malloc(n * sizeof *dir);
        double norm = 0;
        for (size_t i = 0; i < n; i++)
            norm += (double)g[i] * g[i];
        cr_expect(norm > 0, "%s: tensor %d has a zero gradient", name, k);
        for (size_t i = 0; i < n; i++)
            dir[i] = (float)(g[i] / sqrt(norm));
        double along = directional_error(&f, k, dir, g);
        cr_expect(along < 2e-2, "%s: tensor %d, along the gradient: error %g", name, k, along);
        for (int r = 0; r < 2; r++) {
            double dn = 0;
            for (size_t i = 0; i < n; i++) {
                rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
                dir[i] = (float)((double)(rng >> 11) * 0x1.0p-53 - 0.5);
                dn += (double)dir[i] * dir[i];
            }
            for (size_t i = 0; i < n; i++)
                dir[i] = (float)(dir[i] / sqrt(dn));
            double across = directional_error(&f, k, dir, g);
            cr_expect(across < 2e-2, "%s: tensor %d, random direction: error %g", name, k,
                      across);
        }
        free(dir);
        checked++;
    }
    cr_expect_eq(checked, tensors, "%s: %d tensors checked", name, checked);
    free(grads);
    destroy(&f);
}

Test(gpt, gradient_matches_finite_differences_gpt2_family, .timeout = 120)
{
    check_gradient("tiny-gpt", 16); /* everything but a separate LM head */
}

Test(gpt, gradient_matches_finite_differences_llama_family, .timeout = 120)
{
    check_gradient("tiny-llama", 9); /* no biases, no wpe, untied */
}

Test(gpt, same_seed_same_bits_other_seed_other_bits)
{
    fixture a, b;
    build(&a, "tiny-llama");
    build(&b, "tiny-llama");
    cr_expect_arr_eq(a.net->params, b.net->params, a.net->n_params * sizeof(float));
    double la = loss_at(&a), lb = loss_at(&b);
    cr_expect(memcmp(&la, &lb, sizeof la) == 0);
    cr_assert_eq(tcb_gpt_init(b.net, 43), TCB_OK);
    cr_expect(memcmp(a.net->params, b.net->params, a.net->n_params * sizeof(float)) != 0);
    destroy(&a);
    destroy(&b);
}
