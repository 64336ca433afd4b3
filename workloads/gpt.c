/* The decoder of gpt.h: sizes, one allocation per kind of memory, seeded
 * initialization, and the forward and backward passes through the compute
 * backend's table (llm.c's structure, with GQA, rope, rmsnorm and swiglu). */
#include "gpt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- sizes ------------------------------------------------------------ */

void tcb_gpt_size(const tcb_model *m, const tcb_shard *s, int B, int T, bool fused_attention,
                  tcb_gpt *net, tcb_gpt_memory *mem)
{
    size_t L = (size_t)s->layers, C = (size_t)s->width, V = (size_t)s->vocab;
    size_t N = (size_t)B * (size_t)T, NH = (size_t)s->heads, HS = (size_t)s->head_dim;
    size_t QKV = (size_t)(s->heads + 2 * s->kv_heads) * HS, DA = NH * HS;
    size_t F = (size_t)s->ffn, F2 = m->activation == TCB_ACT_SWIGLU ? 2 * F : F;
    /* The attention matrix per head, or only its rows' log-sum-exp where
     * the backend fuses attention (compute.h). */
    size_t TT = (size_t)B * NH * (size_t)T * (fused_attention ? 1 : (size_t)T);
    bool ln = m->norm == TCB_NORM_LAYERNORM, ln_bias = ln && m->bias, bias = m->bias;

    size_t p[TCB_GPT_NPARAMS] = {
        [TCB_GPT_WTE] = V * C,
        [TCB_GPT_WPE] = m->positions == TCB_POS_LEARNED ? (size_t)m->context * C : 0,
        [TCB_GPT_LN1W] = L * C,
        [TCB_GPT_LN1B] = ln_bias ? L * C : 0,
        [TCB_GPT_QKVW] = L * QKV * C,
        [TCB_GPT_QKVB] = bias ? L * QKV : 0,
        [TCB_GPT_ATTPROJW] = L * C * DA,
        [TCB_GPT_ATTPROJB] = bias ? L * C : 0,
        [TCB_GPT_LN2W] = L * C,
        [TCB_GPT_LN2B] = ln_bias ? L * C : 0,
        [TCB_GPT_FCW] = L * F2 * C,
        [TCB_GPT_FCB] = bias ? L * F2 : 0,
        [TCB_GPT_FCPROJW] = L * C * F,
        [TCB_GPT_FCPROJB] = bias ? L * C : 0,
        [TCB_GPT_LNFW] = C,
        [TCB_GPT_LNFB] = ln_bias ? C : 0,
        [TCB_GPT_LMHEAD] = m->tied ? 0 : V * C,
    };
    size_t a[TCB_GPT_NACTS] = {
        [TCB_GPT_RESID] = (L + 1) * N * C,
        [TCB_GPT_LN1] = L * N * C,
        [TCB_GPT_LN1MEAN] = ln ? L * N : 0,
        [TCB_GPT_LN1RSTD] = L * N,
        [TCB_GPT_QKV] = L * N * QKV,
        [TCB_GPT_ATT] = L * TT,
        [TCB_GPT_ATTY] = L * N * DA,
        [TCB_GPT_MID] = L * N * C,
        [TCB_GPT_LN2] = L * N * C,
        [TCB_GPT_LN2MEAN] = ln ? L * N : 0,
        [TCB_GPT_LN2RSTD] = L * N,
        [TCB_GPT_FCH] = L * N * F2,
        [TCB_GPT_FCACT] = L * N * F,
        [TCB_GPT_LNF] = N * C,
        [TCB_GPT_LNFMEAN] = ln ? N : 0,
        [TCB_GPT_LNFRSTD] = N,
        [TCB_GPT_LOGITS] = N * V,
        [TCB_GPT_LOSSES] = N,
        [TCB_GPT_PROJ] = N * C,
        [TCB_GPT_DRESID] = N * C,
        [TCB_GPT_DLN] = N * C,
        [TCB_GPT_DQKV] = N * QKV,
        [TCB_GPT_DATT] = TT,
        [TCB_GPT_DATTY] = N * DA,
        [TCB_GPT_DFCH] = N * F2,
        [TCB_GPT_DFCACT] = N * F,
    };

    size_t nparams = 0, saved = 0, scratch = 0;
    for (int i = 0; i < TCB_GPT_NPARAMS; i++)
        nparams += p[i];
    for (int i = 0; i < TCB_GPT_NACTS; i++)
        *(i < TCB_GPT_FIRST_SCRATCH ? &saved : &scratch) += a[i];
    if (net != NULL) {
        memcpy(net->param_count, p, sizeof p);
        memcpy(net->act_count, a, sizeof a);
        net->n_params = nparams;
    }
    if (mem != NULL) {
        const double f = sizeof(float);
        mem->params = (double)nparams * f;
        mem->grads = (double)nparams * f;
        mem->adam = 2.0 * (double)nparams * f;
        mem->activations = (double)saved * f;
        mem->scratch = (double)scratch * f;
        /* tokens and targets on the device, the per-position losses on the host */
        mem->tokens = 2.0 * (double)N * sizeof(int32_t) + (double)N * f;
        mem->total = mem->params + mem->grads + mem->adam + mem->activations +
                     mem->scratch + mem->tokens;
    }
}

bool tcb_gpt_decays(int i)
{
    switch (i) {
    case TCB_GPT_WTE:
    case TCB_GPT_WPE:
    case TCB_GPT_QKVW:
    case TCB_GPT_ATTPROJW:
    case TCB_GPT_FCW:
    case TCB_GPT_FCPROJW:
    case TCB_GPT_LMHEAD: return true;
    default: return false;
    }
}

/* ---- memory ----------------------------------------------------------- */

void tcb_gpt_free(tcb_gpt *net)
{
    if (net == NULL)
        return;
    void *dev[] = {net->params, net->grads, net->adam_m, net->adam_v,
                   net->acts,   net->tokens, net->targets};
    for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++)
        if (dev[i] != NULL)
            net->be->free(net->cx, dev[i]);
    free(net->losses_host);
    free(net);
}

/* Points out[i] at consecutive slices of base, count[i] floats each (NULL
 * for an absent tensor). */
static void carve(float *base, const size_t *count, int n, float **out)
{
    for (int i = 0; i < n; i++) {
        out[i] = count[i] > 0 ? base : NULL;
        base += count[i];
    }
}

tcb_status tcb_gpt_create(const tcb_compute_backend *be, tcb_compute *cx,
                          const tcb_model *m, const tcb_shard *s, int B, int T,
                          uint64_t seed, tcb_gpt **out)
{
    *out = NULL;
    tcb_gpt *net = calloc(1, sizeof *net);
    TCB_ALLOC_CHECK(net);
    net->be = be;
    net->cx = cx;
    net->model = *m;
    net->shard = *s;
    net->shard.model = &net->model;
    net->B = B;
    net->T = T;
    tcb_gpt_size(m, s, B, T, be->fused_attention, net, NULL);

    size_t nacts = 0, N = (size_t)B * (size_t)T;
    for (int i = 0; i < TCB_GPT_NACTS; i++)
        nacts += net->act_count[i];
    size_t pbytes = net->n_params * sizeof(float);
    net->params = be->alloc(cx, pbytes);
    net->grads = be->alloc(cx, pbytes);
    net->adam_m = be->alloc(cx, pbytes);
    net->adam_v = be->alloc(cx, pbytes);
    net->acts = be->alloc(cx, nacts * sizeof(float));
    net->tokens = be->alloc(cx, N * sizeof(int32_t));
    net->targets = be->alloc(cx, N * sizeof(int32_t));
    net->losses_host = malloc(N * sizeof(float));
    if (!net->params || !net->grads || !net->adam_m || !net->adam_v || !net->acts ||
        !net->tokens || !net->targets || !net->losses_host) {
        tcb_gpt_free(net);
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "tcb_gpt_create",
                               "out of memory for the model, its state or activations");
    }
    carve(net->params, net->param_count, TCB_GPT_NPARAMS, net->p);
    carve(net->grads, net->param_count, TCB_GPT_NPARAMS, net->g);
    carve(net->acts, net->act_count, TCB_GPT_NACTS, net->a);
    tcb_status st = tcb_gpt_init(net, seed);
    if (st != TCB_OK) {
        tcb_gpt_free(net);
        return st;
    }
    *out = net;
    return TCB_OK;
}

/* ---- initialization ----------------------------------------------------- */

/* splitmix64's finalizer: a counter-based generator, so element i of tensor
 * k gets the same value whichever thread computes it. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* A standard normal variate for (seed, tensor, i), by Box-Muller. */
static float normal_at(uint64_t seed, int tensor, size_t i)
{
    uint64_t h1 = mix64(seed ^ mix64(((uint64_t)tensor << 48) ^ (uint64_t)i));
    uint64_t h2 = mix64(h1 ^ 0x9e3779b97f4a7c15ULL);
    double u1 = (double)((h1 >> 11) + 1) * 0x1.0p-53; /* (0, 1]: log is finite */
    double u2 = (double)(h2 >> 11) * 0x1.0p-53;
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

tcb_status tcb_gpt_init(tcb_gpt *net, uint64_t seed)
{
    enum { CHUNK = 1 << 20 };
    float *stage = malloc(CHUNK * sizeof *stage);
    TCB_ALLOC_CHECK(stage);
    double resid_std = 0.02 / sqrt(2.0 * net->shard.layers);
    tcb_status st = TCB_OK;
    for (int k = 0; k < TCB_GPT_NPARAMS && st == TCB_OK; k++) {
        bool ones = k == TCB_GPT_LN1W || k == TCB_GPT_LN2W || k == TCB_GPT_LNFW;
        bool zeros = !ones && !tcb_gpt_decays(k);
        float std = (float)(k == TCB_GPT_ATTPROJW || k == TCB_GPT_FCPROJW ? resid_std : 0.02);
        for (size_t off = 0; off < net->param_count[k] && st == TCB_OK; off += CHUNK) {
            size_t n = net->param_count[k] - off < CHUNK ? net->param_count[k] - off : CHUNK;
#pragma omp parallel for schedule(static)
            for (size_t i = 0; i < n; i++)
                stage[i] = ones ? 1.0f : zeros ? 0.0f : std * normal_at(seed, k, off + i);
            st = net->be->upload(net->cx, net->p[k] + off, stage, n * sizeof(float));
        }
    }
    free(stage);
    net->be->zero(net->cx, net->adam_m, net->n_params * sizeof(float));
    net->be->zero(net->cx, net->adam_v, net->n_params * sizeof(float));
    return st;
}

/* ---- forward and backward ----------------------------------------------- */

/* The tensors of layer l: its slice of each stacked tensor. */
typedef struct {
    float *ln1w, *ln1b, *qkvw, *qkvb, *attprojw, *attprojb, *ln2w, *ln2b, *fcw,
        *fcb, *fcprojw, *fcprojb;
} layer_weights;

static float *slice(float *const *t, const size_t *count, int k, int l, int L)
{
    return t[k] != NULL ? t[k] + (size_t)l * (count[k] / (size_t)L) : NULL;
}

static layer_weights layer_of(const tcb_gpt *net, float *const *t, int l)
{
    const size_t *c = net->param_count;
    int L = net->shard.layers;
    return (layer_weights){
        slice(t, c, TCB_GPT_LN1W, l, L),    slice(t, c, TCB_GPT_LN1B, l, L),
        slice(t, c, TCB_GPT_QKVW, l, L),    slice(t, c, TCB_GPT_QKVB, l, L),
        slice(t, c, TCB_GPT_ATTPROJW, l, L), slice(t, c, TCB_GPT_ATTPROJB, l, L),
        slice(t, c, TCB_GPT_LN2W, l, L),    slice(t, c, TCB_GPT_LN2B, l, L),
        slice(t, c, TCB_GPT_FCW, l, L),     slice(t, c, TCB_GPT_FCB, l, L),
        slice(t, c, TCB_GPT_FCPROJW, l, L), slice(t, c, TCB_GPT_FCPROJB, l, L),
    };
}

/* Activation k of layer l (stacked per layer), or the whole of a scratch. */
static float *act(const tcb_gpt *net, int k, int l)
{
    size_t per = net->act_count[k] / (size_t)(k == TCB_GPT_RESID ? net->shard.layers + 1
                                                                 : net->shard.layers);
    return net->a[k] != NULL ? net->a[k] + (size_t)l * per : NULL;
}

/* The letters of the key at the top of gpt.h, for this net. */
typedef struct {
    int B, T, N, C, V, NH, KVH, HS, F, QKV, DA, F2;
    float theta;
} dims;

static dims dims_of(const tcb_gpt *net)
{
    const tcb_shard *s = &net->shard;
    dims z = {.B = net->B, .T = net->T, .C = s->width, .V = s->vocab, .NH = s->heads,
              .KVH = s->kv_heads, .HS = s->head_dim, .F = s->ffn};
    z.N = z.B * z.T;
    z.QKV = (z.NH + 2 * z.KVH) * z.HS;
    z.DA = z.NH * z.HS;
    z.F2 = net->model.activation == TCB_ACT_SWIGLU ? 2 * z.F : z.F;
    z.theta = (float)net->model.rope_theta;
    return z;
}

/* The norm before attention, the FFN and the LM head: layernorm or rmsnorm. */
static void norm_forward(const tcb_gpt *net, float *out, float *mean, float *rstd,
                         const float *inp, const float *w, const float *b)
{
    int N = net->B * net->T, C = net->shard.width;
    float eps = (float)net->model.norm_eps;
    if (net->model.norm == TCB_NORM_LAYERNORM)
        net->be->layernorm_forward(net->cx, out, mean, rstd, inp, w, b, N, C, eps);
    else
        net->be->rmsnorm_forward(net->cx, out, rstd, inp, w, N, C, eps);
}

static void norm_backward(const tcb_gpt *net, float *dinp, float *dw, float *db,
                          const float *dout, const float *inp, const float *w,
                          const float *mean, const float *rstd)
{
    int N = net->B * net->T, C = net->shard.width;
    if (net->model.norm == TCB_NORM_LAYERNORM)
        net->be->layernorm_backward(net->cx, dinp, dw, db, dout, inp, w, mean, rstd, N, C);
    else
        net->be->rmsnorm_backward(net->cx, dinp, dw, dout, inp, w, rstd, N, C);
}

tcb_status tcb_gpt_forward(tcb_gpt *net, const int32_t *tokens, const int32_t *targets,
                           bool grad, double *loss)
{
    const tcb_compute_backend *be = net->be;
    tcb_compute *cx = net->cx;
    const tcb_shard *s = &net->shard;
    const dims z = dims_of(net);
    int B = z.B, T = z.T, N = z.N, C = z.C, V = z.V, NH = z.NH, KVH = z.KVH, HS = z.HS;
    int F = z.F, QKV = z.QKV, DA = z.DA, F2 = z.F2;
    float theta = z.theta;
    float *proj = net->a[TCB_GPT_PROJ];

    TCB_CHECK(be->upload(cx, net->tokens, tokens, (size_t)N * sizeof(int32_t)));
    TCB_CHECK(be->upload(cx, net->targets, targets, (size_t)N * sizeof(int32_t)));
    be->encoder_forward(cx, act(net, TCB_GPT_RESID, 0), net->tokens, net->p[TCB_GPT_WTE],
                        net->p[TCB_GPT_WPE], B, T, C);

    for (int l = 0; l < s->layers; l++) {
        layer_weights w = layer_of(net, net->p, l);
        float *x = act(net, TCB_GPT_RESID, l), *qkv = act(net, TCB_GPT_QKV, l);
        float *ln1 = act(net, TCB_GPT_LN1, l), *atty = act(net, TCB_GPT_ATTY, l);
        float *mid = act(net, TCB_GPT_MID, l), *ln2 = act(net, TCB_GPT_LN2, l);
        float *fch = act(net, TCB_GPT_FCH, l), *fcact = act(net, TCB_GPT_FCACT, l);

        norm_forward(net, ln1, act(net, TCB_GPT_LN1MEAN, l), act(net, TCB_GPT_LN1RSTD, l), x,
                     w.ln1w, w.ln1b);
        be->matmul_forward(cx, qkv, ln1, w.qkvw, w.qkvb, N, C, QKV);
        if (net->model.positions == TCB_POS_ROPE) {
            be->rope_forward(cx, qkv, B, T, NH, HS, QKV, theta);           /* q */
            be->rope_forward(cx, qkv + DA, B, T, KVH, HS, QKV, theta);     /* k */
        }
        be->attention_forward(cx, atty, act(net, TCB_GPT_ATT, l), qkv, B, T, NH, KVH, HS);
        be->matmul_forward(cx, proj, atty, w.attprojw, w.attprojb, N, DA, C);
        be->residual_forward(cx, mid, x, proj, (size_t)N * C);

        norm_forward(net, ln2, act(net, TCB_GPT_LN2MEAN, l), act(net, TCB_GPT_LN2RSTD, l),
                     mid, w.ln2w, w.ln2b);
        be->matmul_forward(cx, fch, ln2, w.fcw, w.fcb, N, C, F2);
        if (net->model.activation == TCB_ACT_SWIGLU)
            be->swiglu_forward(cx, fcact, fch, N, F);
        else
            be->gelu_forward(cx, fcact, fch, (size_t)N * F);
        be->matmul_forward(cx, proj, fcact, w.fcprojw, w.fcprojb, N, F, C);
        be->residual_forward(cx, act(net, TCB_GPT_RESID, l + 1), mid, proj, (size_t)N * C);
    }

    float *lnf = net->a[TCB_GPT_LNF], *logits = net->a[TCB_GPT_LOGITS];
    const float *head = net->model.tied ? net->p[TCB_GPT_WTE] : net->p[TCB_GPT_LMHEAD];
    norm_forward(net, lnf, net->a[TCB_GPT_LNFMEAN], net->a[TCB_GPT_LNFRSTD],
                 act(net, TCB_GPT_RESID, s->layers), net->p[TCB_GPT_LNFW],
                 net->p[TCB_GPT_LNFB]);
    be->matmul_forward(cx, logits, lnf, head, NULL, N, C, V);
    be->softmax_xent(cx, net->a[TCB_GPT_LOSSES], logits, net->targets, N, V,
                     1.0f / (float)N, grad);

    TCB_CHECK(be->download(cx, net->losses_host, net->a[TCB_GPT_LOSSES],
                           (size_t)N * sizeof(float)));
    TCB_CHECK(be->sync(cx));
    /* In order, in double: the same bits on every run and every rank count. */
    double sum = 0;
    for (int i = 0; i < N; i++)
        sum += net->losses_host[i];
    *loss = sum / N;
    return TCB_OK;
}

void tcb_gpt_zero_grad(tcb_gpt *net)
{
    net->be->zero(net->cx, net->grads, net->n_params * sizeof(float));
}

void tcb_gpt_backward(tcb_gpt *net)
{
    const tcb_compute_backend *be = net->be;
    tcb_compute *cx = net->cx;
    const tcb_shard *s = &net->shard;
    const dims z = dims_of(net);
    int B = z.B, T = z.T, N = z.N, C = z.C, V = z.V, NH = z.NH, KVH = z.KVH, HS = z.HS;
    int F = z.F, QKV = z.QKV, DA = z.DA, F2 = z.F2;
    float theta = z.theta;
    float *dresid = net->a[TCB_GPT_DRESID], *dln = net->a[TCB_GPT_DLN];
    float *dqkv = net->a[TCB_GPT_DQKV], *datty = net->a[TCB_GPT_DATTY];
    float *dfch = net->a[TCB_GPT_DFCH], *dfcact = net->a[TCB_GPT_DFCACT];
    size_t NC = (size_t)N * C * sizeof(float);

    /* LM head and final norm: dresid becomes d(residual stream after layer L). */
    bool tied = net->model.tied;
    be->zero(cx, dresid, NC);
    be->zero(cx, dln, NC);
    be->matmul_backward(cx, dln, tied ? net->g[TCB_GPT_WTE] : net->g[TCB_GPT_LMHEAD], NULL,
                        net->a[TCB_GPT_LOGITS], net->a[TCB_GPT_LNF],
                        tied ? net->p[TCB_GPT_WTE] : net->p[TCB_GPT_LMHEAD], N, C, V);
    norm_backward(net, dresid, net->g[TCB_GPT_LNFW], net->g[TCB_GPT_LNFB], dln,
                  act(net, TCB_GPT_RESID, s->layers), net->p[TCB_GPT_LNFW],
                  net->a[TCB_GPT_LNFMEAN], net->a[TCB_GPT_LNFRSTD]);

    for (int l = s->layers - 1; l >= 0; l--) {
        layer_weights w = layer_of(net, net->p, l), dw = layer_of(net, net->g, l);
        float *x = act(net, TCB_GPT_RESID, l), *qkv = act(net, TCB_GPT_QKV, l);

        /* x_{l+1} = mid + fcproj(act(fc(ln2(mid)))): dresid reaches the FFN
         * branch as it is, and collects the branch's gradient in place. */
        be->zero(cx, dfcact, (size_t)N * F * sizeof(float));
        be->zero(cx, dfch, (size_t)N * F2 * sizeof(float));
        be->zero(cx, dln, NC);
        be->matmul_backward(cx, dfcact, dw.fcprojw, dw.fcprojb, dresid,
                            act(net, TCB_GPT_FCACT, l), w.fcprojw, N, F, C);
        if (net->model.activation == TCB_ACT_SWIGLU)
            be->swiglu_backward(cx, dfch, dfcact, act(net, TCB_GPT_FCH, l), N, F);
        else
            be->gelu_backward(cx, dfch, act(net, TCB_GPT_FCH, l), dfcact, (size_t)N * F);
        be->matmul_backward(cx, dln, dw.fcw, dw.fcb, dfch,
                            act(net, TCB_GPT_LN2, l), w.fcw, N, C, F2);
        norm_backward(net, dresid, dw.ln2w, dw.ln2b, dln,
                      act(net, TCB_GPT_MID, l), w.ln2w, act(net, TCB_GPT_LN2MEAN, l),
                      act(net, TCB_GPT_LN2RSTD, l));

        /* mid = x + attproj(attention(rope(qkv(ln1(x))))): the same again. */
        be->zero(cx, datty, (size_t)N * DA * sizeof(float));
        be->zero(cx, dqkv, (size_t)N * QKV * sizeof(float));
        be->zero(cx, dln, NC);
        be->matmul_backward(cx, datty, dw.attprojw, dw.attprojb, dresid,
                            act(net, TCB_GPT_ATTY, l), w.attprojw, N, DA, C);
        be->attention_backward(cx, dqkv, net->a[TCB_GPT_DATT], datty, qkv,
                               act(net, TCB_GPT_ATT, l), B, T, NH, KVH, HS);
        if (net->model.positions == TCB_POS_ROPE) {
            be->rope_backward(cx, dqkv, B, T, NH, HS, QKV, theta);
            be->rope_backward(cx, dqkv + DA, B, T, KVH, HS, QKV, theta);
        }
        be->matmul_backward(cx, dln, dw.qkvw, dw.qkvb, dqkv,
                            act(net, TCB_GPT_LN1, l), w.qkvw, N, C, QKV);
        norm_backward(net, dresid, dw.ln1w, dw.ln1b, dln, x, w.ln1w,
                      act(net, TCB_GPT_LN1MEAN, l), act(net, TCB_GPT_LN1RSTD, l));
    }
    be->encoder_backward(cx, net->g[TCB_GPT_WTE], net->g[TCB_GPT_WPE], dresid, net->tokens,
                         B, T, C);
}
