/* A decoder-only transformer (GPT-2 and Llama families) built from the zoo's
 * shapes and run through a compute backend's table: parameters, gradients,
 * AdamW state and activations, each one allocation, and the forward and
 * backward passes of one micro-batch. The transformer workload adds the data,
 * data-parallel reduction, optimizer step and measurement around it.
 *
 * Key (compute.h): B batch, T sequence, C width, N = B*T, L layers on this
 * device, NH / KVH / HS heads, kv heads, head dim, QKV = (NH + 2*KVH)*HS,
 * F FFN width (F2 = 2F for swiglu's packed gate and up, else F), V vocabulary
 * of this device's shard. */
#ifndef TCB_GPT_H
#define TCB_GPT_H

#include "compute.h"
#include "model.h"

#include <stddef.h>
#include <stdint.h>

/* The parameter tensors, in the order of the parameter block; per-layer
 * tensors are stacked layer-major. NULL where the architecture has none. */
enum {
    TCB_GPT_WTE,      /* (V, C) token embedding (and the LM head when tied) */
    TCB_GPT_WPE,      /* (T, C) learned positions */
    TCB_GPT_LN1W,     /* (L, C) */
    TCB_GPT_LN1B,     /* (L, C) layernorm with bias */
    TCB_GPT_QKVW,     /* (L, QKV, C) */
    TCB_GPT_QKVB,     /* (L, QKV) */
    TCB_GPT_ATTPROJW, /* (L, C, NH*HS) */
    TCB_GPT_ATTPROJB, /* (L, C) */
    TCB_GPT_LN2W,     /* (L, C) */
    TCB_GPT_LN2B,     /* (L, C) */
    TCB_GPT_FCW,      /* (L, F2, C) */
    TCB_GPT_FCB,      /* (L, F2) */
    TCB_GPT_FCPROJW,  /* (L, C, F) */
    TCB_GPT_FCPROJB,  /* (L, C) */
    TCB_GPT_LNFW,     /* (C) */
    TCB_GPT_LNFB,     /* (C) */
    TCB_GPT_LMHEAD,   /* (V, C) untied LM head */
    TCB_GPT_NPARAMS
};

/* Saved activations (forward, read by backward) and scratch. */
enum {
    TCB_GPT_RESID,    /* (L+1, N, C) residual stream entering each layer, and the last */
    TCB_GPT_LN1,      /* (L, N, C) */
    TCB_GPT_LN1MEAN,  /* (L, N) layernorm only */
    TCB_GPT_LN1RSTD,  /* (L, N) */
    TCB_GPT_QKV,      /* (L, N, QKV) after rope */
    TCB_GPT_ATT,      /* (L, B, NH, T, T) attention probabilities; (L, B, NH, T) fused */
    TCB_GPT_ATTY,     /* (L, N, NH*HS) */
    TCB_GPT_MID,      /* (L, N, C) residual after attention */
    TCB_GPT_LN2,      /* (L, N, C) */
    TCB_GPT_LN2MEAN,  /* (L, N) */
    TCB_GPT_LN2RSTD,  /* (L, N) */
    TCB_GPT_FCH,      /* (L, N, F2) FFN input projection, before the activation */
    TCB_GPT_FCACT,    /* (L, N, F) after gelu / swiglu */
    TCB_GPT_LNF,      /* (N, C) */
    TCB_GPT_LNFMEAN,  /* (N) */
    TCB_GPT_LNFRSTD,  /* (N) */
    TCB_GPT_LOGITS,   /* (N, V); the backward pass turns them into their gradient */
    TCB_GPT_LOSSES,   /* (N) */
    /* scratch below: reused by every layer, not saved */
    TCB_GPT_PROJ,     /* (N, C) projection output before its residual add */
    TCB_GPT_DRESID,   /* (N, C) gradient of the residual stream */
    TCB_GPT_DLN,      /* (N, C) */
    TCB_GPT_DQKV,     /* (N, QKV) */
    TCB_GPT_DATT,     /* (B, NH, T, T); (B, NH, T) fused */
    TCB_GPT_DATTY,    /* (N, NH*HS) */
    TCB_GPT_DFCH,     /* (N, F2) */
    TCB_GPT_DFCACT,   /* (N, F) */
    TCB_GPT_NACTS
};
#define TCB_GPT_FIRST_SCRATCH TCB_GPT_PROJ

/* Bytes of each part of a step's memory, from the shapes alone
 * (docs/transformer.md writes the sums out). */
typedef struct {
    double params, grads, adam, activations, scratch, tokens;
    double total; /* the sum of the above */
} tcb_gpt_memory;

typedef struct tcb_gpt {
    const tcb_compute_backend *be;
    tcb_compute *cx;
    tcb_model model;
    tcb_shard shard; /* shard.model points at model above */
    int B, T;

    size_t param_count[TCB_GPT_NPARAMS]; /* floats per tensor; 0: absent */
    size_t act_count[TCB_GPT_NACTS];
    size_t n_params;                     /* floats over all tensors */
    float *params, *grads, *adam_m, *adam_v, *acts; /* backend memory */
    float *p[TCB_GPT_NPARAMS], *g[TCB_GPT_NPARAMS]; /* into params, grads */
    float *a[TCB_GPT_NACTS];                         /* into acts */
    int32_t *tokens, *targets;                       /* (B, T) backend memory */
    float *losses_host;                              /* (N) */
} tcb_gpt;

/* Sizes every tensor of the model m sharded as s at batch B, sequence T,
 * on a backend that fuses attention or not (compute.h), from the shapes only, and sums them into *mem (may be NULL). Also fills the
 * count arrays of net (may be NULL). */
void tcb_gpt_size(const tcb_model *m, const tcb_shard *s, int B, int T, bool fused_attention,
                  tcb_gpt *net, tcb_gpt_memory *mem);

/* Builds the model on an open backend: every allocation, then the seeded
 * initialization (tcb_gpt_init). On failure returns TCB_ERR_RUNTIME with
 * nothing left allocated. Free with tcb_gpt_free. */
tcb_status tcb_gpt_create(const tcb_compute_backend *be, tcb_compute *cx,
                          const tcb_model *m, const tcb_shard *s, int B, int T,
                          uint64_t seed, tcb_gpt **out);
void tcb_gpt_free(tcb_gpt *net);

/* GPT-2's initialization, deterministic in seed whatever the thread count:
 * matrices N(0, 0.02), the two residual projections N(0, 0.02/sqrt(2L)),
 * norm weights 1, biases 0. Zeroes the AdamW state. */
tcb_status tcb_gpt_init(tcb_gpt *net, uint64_t seed);

/* Forward pass over tokens and targets (host arrays (B,T)) to the mean loss
 * over the N positions, into *loss. With grad, the logits become their
 * gradient (for the mean), ready for tcb_gpt_backward. */
tcb_status tcb_gpt_forward(tcb_gpt *net, const int32_t *tokens, const int32_t *targets,
                           bool grad, double *loss);

/* Backward pass of the last forward(grad = true): ADDS the gradient of its
 * mean loss to net->grads (tcb_gpt_zero_grad first for a fresh one). */
void tcb_gpt_backward(tcb_gpt *net);
void tcb_gpt_zero_grad(tcb_gpt *net);

/* Whether parameter tensor i takes weight decay (matrices and embeddings do;
 * norms and biases do not). */
bool tcb_gpt_decays(int i);

#endif
