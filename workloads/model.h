/* The model zoo: decoder-only transformer architectures, one YAML file per
 * model under workloads/models/ (docs/models.md is the format), and the
 * shapes one device sees when a case slices layers or shards the model
 * tensor-parallel. The FLOP formula of DESIGN.md lives here too, so every
 * workload and report counts FLOPs the same way. */
#ifndef TCB_MODEL_H
#define TCB_MODEL_H

#include "tcb_error.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum { TCB_ACT_GELU, TCB_ACT_SWIGLU } tcb_activation;
typedef enum { TCB_NORM_LAYERNORM, TCB_NORM_RMSNORM } tcb_norm;
typedef enum { TCB_POS_LEARNED, TCB_POS_ROPE } tcb_positions;

/* The figures of a model file, in this order: the index of each one's
 * citation in tcb_model.sources (tcb_model_source() reads it by name). */
#define TCB_MODEL_FIGURES 16
#define TCB_MODEL_SOURCE_MAX 400 /* longest citation, in bytes, with its NUL */

/* One architecture, as published. */
typedef struct {
    char name[64];          /* "gpt2-124m": the file's stem, and its `name:` */
    int layers;             /* L */
    int width;              /* d, the residual stream width (C) */
    int heads;              /* query heads */
    int kv_heads;           /* key/value heads; == heads without GQA */
    int head_dim;           /* per head; heads * head_dim may differ from width */
    int ffn;                /* FFN hidden width (for swiglu: of each of gate and up) */
    tcb_activation activation;
    tcb_norm norm;
    tcb_positions positions;
    double rope_theta;      /* rope base; 0 with learned positions */
    int vocab;              /* V */
    int context;            /* longest trained sequence T */
    bool tied;              /* the LM head is the embedding matrix */
    bool bias;              /* linear layers and norms carry biases (GPT-2) */
    double norm_eps;
    double tokens;          /* tokens trained, 0 where not public */
    char path[512];         /* the file it was read from */
    /* The citation of each figure, in the order of the file format (layers,
     * width, heads, kv_heads, head_dim, ffn, activation, norm, positions,
     * rope_theta, vocab, context, tied, bias, norm_eps, tokens): its own key
     * under `sources:`, else its group's; "" for a figure the file omits. */
    char sources[TCB_MODEL_FIGURES][TCB_MODEL_SOURCE_MAX];
} tcb_model;

/* What one device holds of a model: `layers` of them (a slice, or all) and
 * one tensor-parallel shard of each (tp == 1: the whole layer). Heads, kv
 * heads, FFN width and vocabulary are divided by tp (kv heads that are fewer
 * than tp are replicated: one per device); width and head_dim are not.
 * Every shard counts the LM head and (untied) embedding shards, even a layer
 * slice, as if the device held both ends of the model: docs/models.md. */
typedef struct {
    const tcb_model *model;
    int layers;          /* L on this device */
    int tp;              /* tensor-parallel degree */
    int width;           /* C */
    int heads;           /* NH = heads / tp */
    int kv_heads;        /* KVH = max(1, kv_heads / tp) */
    int head_dim;        /* HS */
    int ffn;             /* F = ffn / tp */
    int vocab;           /* V = vocab / tp, for both the embedding and the LM head */
    long long n_matmul;  /* weights used in matrix multiplications, incl. the LM head */
    long long n_params;  /* every parameter on the device (embeddings, norms, biases) */
} tcb_shard;

/* The directory the zoo is read from: $TCBENCH_MODELS if set, else the
 * workloads/models/ directory of the source tree this binary was built from. */
const char *tcb_model_dir(void);

/* Reads model `name` (the file NAME.yaml in tcb_model_dir()) into *out.
 * Returns TCB_OK, or TCB_ERR_CONFIG with "FILE:LINE:COLUMN: what is wrong"
 * (or "no model NAME in DIR (have: ...)") in d. */
tcb_status tcb_model_load(const char *name, tcb_model *out, tcb_diag *d);

/* Writes the names of the models in tcb_model_dir() into buf (n bytes),
 * sorted, ", "-separated, ending in "..." if they do not fit. TCB_ERR_CONFIG
 * with the reason in d if the directory cannot be read. */
tcb_status tcb_model_names(char *buf, size_t n, tcb_diag *d);

/* The citation of one figure of m ("tokens", "width", ...): a string inside
 * m, "" for a figure the file omits (tokens, rope_theta), NULL for a name
 * that is not a figure. */
const char *tcb_model_source(const tcb_model *m, const char *figure);

/* The shard of m one device holds with `layers` layers (0: all of them) at
 * tensor-parallel degree tp. TCB_ERR_CONFIG with the reason in d when tp does
 * not divide heads, ffn or vocab, or layers is out of range; also when tp
 * does not divide kv_heads (kv_heads >= tp) or is not a multiple of it
 * (kv_heads < tp: each kv head then serves tp / kv_heads devices). out keeps
 * a pointer to m: m must outlive it. */
tcb_status tcb_model_shard(const tcb_model *m, int layers, int tp, tcb_shard *out,
                           tcb_diag *d);

/* Model FLOPs per token of training (forward + backward) at sequence length
 * T, for the shard: 6 * n_matmul + 12 * layers * T * (heads * head_dim).
 * Causal masking is not subtracted (PaLM, Llama 3). */
double tcb_shard_flops_per_token(const tcb_shard *s, int T);

/* The formula's name, written into every record that reports FLOPs. */
#define TCB_FLOPS_FORMULA "6*N_matmul + 12*L*T*d_attn (PaLM/Llama 3; causal mask not subtracted)"

#endif
