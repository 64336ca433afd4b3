/* What workloads/transformer.c (setup, step, metrics) and
 * workloads/transformer_check.c (the check after warm-up) share. Private to
 * the transformer workload. */
#ifndef TCB_TRANSFORMER_H
#define TCB_TRANSFORMER_H

#include "comm.h"
#include "compute.h"
#include "gpt.h"
#include "model.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int case_index, rank, ranks;
    const tcb_compute_backend *be;
    tcb_compute *cx;
    tcb_device_info device;
    const char *dtype;          /* of the matrix products: f32, bf16 */
    double peak;                /* the device's dense peak for dtype, TFLOP/s; 0 unknown */
    char peak_source[256];
    const tcb_comm_backend *cb; /* NULL on one rank: nothing to reduce */
    tcb_comm *comm;
    double *scalar;             /* TCB_TF_SCALARS doubles of comm memory */

    tcb_model model;
    tcb_shard shard;
    int B, T;
    tcb_gpt *net;
    tcb_gpt_memory memory;      /* from the shapes */

    uint64_t seed;
    float lr, weight_decay;
    double clip;
    size_t bucket;              /* floats per gradient all-reduce */
    double gemm_tflops;         /* the suite's achievable peak; 0: measured */
    bool gradcheck;
    int corrupt;                /* TCB_TF_CORRUPT_*: a self-test of the check */

    int32_t *inputs, *targets;  /* host (B, T) */
    int step, nsteps;           /* steps taken; warmup + iters */
    double *losses, *step_s;    /* per step, mean over ranks / rank's clock */
    double grad_norm;           /* of the last step, before clipping */
    double gradcheck_err;       /* relative error of the check's finite difference */
    char failure[256];          /* why the last step or check failed */
    bool rss_reset;

    /* rank 0's figures for the table */
    double tokens_per_s, tflops, mfu, achievable_mfu;
} tf_state;

enum { TCB_TF_CORRUPT_NONE, TCB_TF_CORRUPT_PARAMS, TCB_TF_CORRUPT_GRADIENT };

/* Fills s->inputs and s->targets with this rank's micro-batch of `step`. */
void tcb_transformer_batch(const tf_state *s, int step);

/* Reduces n doubles (at most TCB_TF_SCALARS) over the ranks with op, in place. */
#define TCB_TF_SCALARS 8
tcb_status tcb_transformer_reduce(tf_state *s, double *x, int n, tcb_redop op);

/* The check hook: parameters identical on every rank, and the gradient
 * against a finite difference (transformer_check.c). */
tcb_status tcb_transformer_check(void *state, long long *wrong);

#endif
