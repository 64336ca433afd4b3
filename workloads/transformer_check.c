/* The transformer's check after warm-up, run on the parameters training has
 * reached (docs/transformer.md, "Verification"):
 *
 *  1. data parallelism kept every rank's parameters identical, bit for bit
 *     (a hash of them, compared by all-reducing its max and min);
 *  2. the backward pass is the gradient of the loss: along the direction of
 *     the gradient restricted to a few tensors, the central finite
 *     difference of the loss must match the gradient's norm. */
#include "transformer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Relative error allowed between the finite difference and the gradient:
 * fp32 losses limit the difference to about 1e-4; a wrong term in a
 * gradient costs far more than 5e-2. */
#define GRADCHECK_TOLERANCE 5e-2

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A 64-bit hash of every parameter bit, chunk by chunk through host memory. */
static tcb_status params_hash(tf_state *s, uint64_t *out)
{
    enum { CHUNK = 1 << 20 };
    uint32_t *host = malloc(CHUNK * sizeof *host);
    TCB_ALLOC_CHECK(host);
    uint64_t h = 0x243f6a8885a308d3ULL;
    tcb_status st = TCB_OK;
    for (size_t off = 0; off < s->net->n_params && st == TCB_OK; off += CHUNK) {
        size_t n = s->net->n_params - off < CHUNK ? s->net->n_params - off : CHUNK;
        st = s->be->download(s->cx, host, s->net->params + off, n * sizeof(float));
        for (size_t i = 0; i < n; i++)
            h = mix64(h ^ host[i]) + i;
    }
    free(host);
    *out = h;
    return st;
}

/* Whether every rank holds the same parameters: the max and the min over the
 * ranks of each 16-bit piece of the hash agree (doubles hold them exactly). */
static tcb_status params_agree(tf_state *s, bool *agree)
{
    uint64_t h = 0;
    TCB_CHECK(params_hash(s, &h));
    double hi[4], lo[4];
    for (int i = 0; i < 4; i++)
        hi[i] = lo[i] = (double)((h >> (16 * i)) & 0xffff);
    TCB_CHECK(tcb_transformer_reduce(s, hi, 4, TCB_OP_MAX));
    TCB_CHECK(tcb_transformer_reduce(s, lo, 4, TCB_OP_MIN));
    *agree = memcmp(hi, lo, sizeof hi) == 0;
    return TCB_OK;
}

/* The tensors the finite difference moves: the first layer's q/k/v
 * projection (its gradient has come back through every layer), the last
 * layer's FFN input projection and the final norm. */
typedef struct {
    float *at;
    size_t n;
} span;

static int check_spans(const tcb_gpt *net, span out[3])
{
    size_t L = (size_t)net->shard.layers;
    size_t qkv = net->param_count[TCB_GPT_QKVW] / L, fc = net->param_count[TCB_GPT_FCW] / L;
    out[0] = (span){net->p[TCB_GPT_QKVW], qkv};
    out[1] = (span){net->p[TCB_GPT_FCW] + (L - 1) * fc, fc};
    out[2] = (span){net->p[TCB_GPT_LNFW], net->param_count[TCB_GPT_LNFW]};
    return 3;
}

/* Moves the spans to theta + eps * dir (host arrays laid end to end). */
static tcb_status place(tf_state *s, const span *sp, int nsp, const float *theta,
                        const float *dir, double eps, float *tmp)
{
    size_t at = 0;
    for (int k = 0; k < nsp; k++) {
        for (size_t i = 0; i < sp[k].n; i++)
            tmp[i] = (float)((double)theta[at + i] + eps * dir[at + i]);
        TCB_CHECK(s->be->upload(s->cx, sp[k].at, tmp, sp[k].n * sizeof(float)));
        at += sp[k].n;
    }
    return TCB_OK;
}

static tcb_status gradient_check(tf_state *s, double *rel_err)
{
    tcb_gpt *net = s->net;
    span sp[3];
    int nsp = check_spans(net, sp);
    size_t total = 0, most = 0;
    for (int k = 0; k < nsp; k++) {
        total += sp[k].n;
        most = sp[k].n > most ? sp[k].n : most;
    }
    float *theta = malloc(total * sizeof *theta), *dir = malloc(total * sizeof *dir);
    float *tmp = malloc(most * sizeof *tmp);
    tcb_status st = theta && dir && tmp ? TCB_OK : TCB_ERR_RUNTIME;

    /* The gradient at the current parameters, on the next step's batch. */
    double loss = 0, up = 0, down = 0, norm2 = 0;
    tcb_transformer_batch(s, s->step);
    tcb_gpt_zero_grad(net);
    if (st == TCB_OK)
        st = tcb_gpt_forward(net, s->inputs, s->targets, true, &loss);
    if (st == TCB_OK)
        tcb_gpt_backward(net);
    for (size_t k = 0, at = 0; k < (size_t)nsp && st == TCB_OK; at += sp[k].n, k++) {
        st = s->be->download(s->cx, theta + at, sp[k].at, sp[k].n * sizeof(float));
        if (st == TCB_OK)
            st = s->be->download(s->cx, dir + at, net->grads + (sp[k].at - net->params),
                                 sp[k].n * sizeof(float));
    }
    /* The self-test: a backward pass that got the gradient twice too large. */
    for (size_t i = 0; s->corrupt == TCB_TF_CORRUPT_GRADIENT && st == TCB_OK && i < total; i++)
        dir[i] *= 2.0f;
    for (size_t i = 0; st == TCB_OK && i < total; i++)
        norm2 += (double)dir[i] * dir[i];
    double norm = sqrt(norm2);
    *rel_err = NAN;
    if (st == TCB_OK && norm > 0 && isfinite(loss)) {
        for (size_t i = 0; i < total; i++)
            dir[i] = (float)(dir[i] / norm);
        /* A step that moves the loss by about 1e-3 of itself: far above the
         * fp32 rounding of the loss, small enough for the curvature. */
        double eps = 1e-3 * fabs(loss) / norm;
        st = place(s, sp, nsp, theta, dir, eps, tmp);
        if (st == TCB_OK)
            st = tcb_gpt_forward(net, s->inputs, s->targets, false, &up);
        if (st == TCB_OK)
            st = place(s, sp, nsp, theta, dir, -eps, tmp);
        if (st == TCB_OK)
            st = tcb_gpt_forward(net, s->inputs, s->targets, false, &down);
        if (st == TCB_OK)
            st = place(s, sp, nsp, theta, dir, 0.0, tmp); /* exactly theta again */
        *rel_err = fabs((up - down) / (2 * eps) - norm) / norm;
    }
    free(theta);
    free(dir);
    free(tmp);
    return st;
}

tcb_status tcb_transformer_check(void *state, long long *wrong)
{
    tf_state *s = state;
    *wrong = 0;
    for (int k = 0; k < s->step; k++)
        if (!isfinite(s->losses[k]))
            *wrong = 1;
    if (s->corrupt == TCB_TF_CORRUPT_PARAMS && s->rank == s->ranks - 1) {
        /* The self-test: one flipped bit on one rank must be seen. */
        uint32_t bits;
        TCB_CHECK(s->be->download(s->cx, &bits, s->net->params, sizeof bits));
        bits ^= 1;
        TCB_CHECK(s->be->upload(s->cx, s->net->params, &bits, sizeof bits));
    }
    bool agree = true;
    TCB_CHECK(params_agree(s, &agree));
    if (!agree) {
        snprintf(s->failure, sizeof s->failure, "parameters differ between ranks");
        *wrong += 1;
    }
    if (s->gradcheck) {
        TCB_CHECK(gradient_check(s, &s->gradcheck_err));
        if (!(s->gradcheck_err <= GRADCHECK_TOLERANCE)) {
            snprintf(s->failure, sizeof s->failure,
                     "gradient check: finite difference off by %.3g (relative; allowed %.3g)",
                     s->gradcheck_err, GRADCHECK_TOLERANCE);
            tcb_log_error("transformer %s: %s", s->model.name, s->failure);
            *wrong += 1;
        }
    }
    return TCB_OK;
}
