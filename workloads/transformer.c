/* Workload "transformer": standardized training steps of a zoo model (or one
 * device's layer slice and tensor-parallel shard of it) on a compute backend,
 * data parallel over the ranks through a comm backend.
 *
 * One iteration is one optimizer step: synthetic micro-batch (tokens.h),
 * forward, backward, gradients all-reduced in buckets, global-norm clipping,
 * AdamW. Every step's loss is checked finite; the check after warm-up
 * verifies that every rank holds the same parameters and that the backward
 * pass agrees with a finite difference of the loss. MFU follows DESIGN.md's
 * one formula (model.h); docs/transformer.md explains every metric. */
#include "comm.h"
#include "compute.h"
#include "gpt.h"
#include "hardware.h"
#include "model.h"
#include "record.h"
#include "timer.h"
#include "tokens.h"
#include "transformer.h"
#include "workload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const dtype_choices[] = {"f32", "bf16", NULL};
static const char *const comm_choices[] = {"auto", "mpi", "nccl", NULL};
static const char *const corrupt_choices[] = {"none", "params", "gradient", NULL};

static const tcb_param_spec tf_params[] = {
    {"model", TCB_PARAM_NAME, "gpt2-124m", 0, NULL, "a model of the zoo (workloads/models)"},
    {"layers", TCB_PARAM_INT, "0", 0, NULL, "layers on this device (a slice); 0: all"},
    {"tp", TCB_PARAM_INT, "1", 1, NULL, "tensor-parallel degree: the device holds one shard"},
    {"batch", TCB_PARAM_INT, "4", 1, NULL, "micro-batch B per rank, in sequences"},
    {"seq", TCB_PARAM_INT, "0", 0, NULL, "sequence length T; 0: the model's context"},
    {"dtype", TCB_PARAM_ENUM, "f32", 0, dtype_choices,
     "type of the matrix products: f32, or bf16 mixed precision (cuda)"},
    {"threads", TCB_PARAM_INT, "0", 0, NULL, "host threads per rank; 0: the rank's cores"},
    {"seed", TCB_PARAM_INT, "1234", 0, NULL, "seeds the weights and the token stream"},
    {"lr", TCB_PARAM_FLOAT, "0.0006", 0, NULL, "AdamW learning rate (constant)"},
    {"weight_decay", TCB_PARAM_FLOAT, "0.1", 0, NULL, "AdamW decoupled decay, matrices only"},
    {"clip", TCB_PARAM_FLOAT, "1.0", 0, NULL, "global gradient-norm clip; 0: none"},
    {"bucket", TCB_PARAM_SIZE, "25MiB", 4, NULL, "gradient all-reduce bucket"},
    {"comm", TCB_PARAM_ENUM, "auto", 0, comm_choices,
     "comm backend for the gradients; auto: mpi for host memory, nccl for device memory"},
    {"gemm_tflops", TCB_PARAM_FLOAT, "0", 0, NULL,
     "achievable peak for achievable MFU; 0: the best gemm case earlier in the run"},
    {"gradcheck", TCB_PARAM_BOOL, "true", 0, NULL,
     "check the gradient against a finite difference after warm-up"},
    {"corrupt", TCB_PARAM_ENUM, "none", 0, corrupt_choices,
     "a self-test of the check: the last rank alters a parameter, or the gradient is doubled"},
    {NULL, 0, NULL, 0, NULL, NULL},
};

/* ---- setup -------------------------------------------------------------- */

/* The model and shard a case asks for, or the reason it cannot have them. */
static tcb_status tf_shape(const tcb_case *c, tcb_model *m, tcb_shard *s, int *T,
                           tcb_diag *d)
{
    TCB_CHECK(tcb_model_load(tcb_params_name(&c->params, "model"), m, d));
    TCB_CHECK(tcb_model_shard(m, (int)tcb_params_int(&c->params, "layers"),
                              (int)tcb_params_int(&c->params, "tp"), s, d));
    long long seq = tcb_params_int(&c->params, "seq");
    if (seq > m->context)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "seq %lld is longer than %s's context of %d",
                            seq, m->name, m->context);
    *T = seq > 0 ? (int)seq : m->context;
    return TCB_OK;
}

/* The comm backend a case's gradients go through: its `comm`, where auto
 * is the one whose memory is the compute backend's kind. */
static const char *comm_name(const tcb_case *c, const tcb_compute_backend *be)
{
    const char *comm = tcb_params_enum(&c->params, "comm");
    if (strcmp(comm, "auto") != 0)
        return comm;
    return be != NULL && !be->host_memory ? "nccl" : "mpi";
}

static tcb_status tf_validate(const tcb_case *c, int world_size, tcb_diag *d)
{
    tcb_model m;
    tcb_shard s;
    int T;
    TCB_CHECK(tf_shape(c, &m, &s, &T, d));
    const tcb_compute_backend *be = tcb_compute_backend_find(c->backend);
    if (be != NULL && (be->attention_forward == NULL || be->adamw == NULL))
        return tcb_diag_set(d, TCB_ERR_CONFIG, "the %s backend has no decoder ops", be->name);
    const char *dtype = tcb_params_enum(&c->params, "dtype");
    if (be != NULL && strcmp(dtype, "f32") != 0 && be->set_precision == NULL)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "dtype %s: the %s backend trains in f32 only",
                            dtype, be->name);
    if (world_size > 1) {
        const tcb_comm_backend *cb = tcb_comm_backend_find(comm_name(c, be));
        if (cb == NULL)
            return tcb_diag_set(d, TCB_ERR_CONFIG, "comm backend '%s' is not compiled in",
                                comm_name(c, be));
        /* Gradients live in the compute backend's memory: the comm backend
         * must reduce that kind (no CUDA-aware MPI is assumed). */
        if (be != NULL && cb->host_memory != be->host_memory)
            return tcb_diag_set(d, TCB_ERR_CONFIG,
                                "comm %s reduces %s memory but the %s backend's gradients are "
                                "in %s memory (comm: auto picks the matching one)",
                                cb->name, cb->host_memory ? "host" : "device", be->name,
                                be->host_memory ? "host" : "device");
    }
    return TCB_OK;
}

/* Linux keeps a process's peak resident set (VmHWM); writing 5 to
 * clear_refs resets it, so each case measures its own peak. */
static bool rss_peak_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f == NULL)
        return false;
    bool ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

static double rss_peak_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kib = NAN;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmHWM: %lf kB", &kib) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kib * 1024.0;
}

static tcb_status tf_setup(const tcb_world *w, const tcb_case *c, void **state)
{
    tf_state *s = calloc(1, sizeof *s);
    TCB_ALLOC_CHECK(s);
    *state = s;
    s->rss_reset = rss_peak_reset();
    s->case_index = c->index;
    s->rank = w->rank;
    s->ranks = w->size;
    s->B = (int)tcb_params_int(&c->params, "batch");
    s->seed = (uint64_t)tcb_params_int(&c->params, "seed");
    s->lr = (float)tcb_params_float(&c->params, "lr");
    s->weight_decay = (float)tcb_params_float(&c->params, "weight_decay");
    s->clip = tcb_params_float(&c->params, "clip");
    s->bucket = (size_t)tcb_params_int(&c->params, "bucket") / sizeof(float);
    s->gemm_tflops = tcb_params_float(&c->params, "gemm_tflops");
    s->gradcheck = tcb_params_bool(&c->params, "gradcheck");
    s->corrupt = tcb_params_choice(&c->params, "corrupt");
    s->nsteps = c->warmup + c->iters;

    tcb_diag d = {{0}};
    if (tf_shape(c, &s->model, &s->shard, &s->T, &d) != TCB_OK) {
        tcb_log_error("transformer: %s", d.msg);
        return TCB_ERR_CONFIG;
    }
    s->shard.model = &s->model;

    s->be = tcb_compute_backend_find(c->backend);
    TCB_CHECK(s->be->open(w, (int)tcb_params_int(&c->params, "threads"), &s->cx));
    s->be->describe(s->cx, &s->device);
    s->dtype = tcb_params_enum(&c->params, "dtype");
    if (s->be->set_precision != NULL)
        TCB_CHECK(s->be->set_precision(s->cx, strcmp(s->dtype, "bf16") == 0 ? TCB_GEMM_BF16
                                                                             : TCB_GEMM_F32));
    if (strcmp(s->dtype, "f32") == 0) {
        s->peak = s->device.peak_tflops_f32;
        snprintf(s->peak_source, sizeof s->peak_source, "%s", s->device.peak_source);
    } else {
        s->peak = tcb_hardware_device_peak(s->device.name, s->dtype, s->peak_source,
                                           sizeof s->peak_source);
    }
    if (s->ranks > 1) {
        s->cb = tcb_comm_backend_find(comm_name(c, s->be));
        TCB_CHECK(s->cb->open(w, TCB_SCOPE_WORLD, &s->comm));
        s->scalar = s->cb->alloc(TCB_TF_SCALARS * sizeof(double));
        TCB_ALLOC_CHECK(s->scalar);
    }

    size_t N = (size_t)s->B * (size_t)s->T;
    s->inputs = malloc(N * sizeof *s->inputs);
    s->targets = malloc(N * sizeof *s->targets);
    s->losses = calloc((size_t)s->nsteps, sizeof *s->losses);
    s->step_s = calloc((size_t)s->nsteps, sizeof *s->step_s);
    TCB_ALLOC_CHECK(s->inputs);
    TCB_ALLOC_CHECK(s->targets);
    TCB_ALLOC_CHECK(s->losses);
    TCB_ALLOC_CHECK(s->step_s);
    tcb_gpt_size(&s->model, &s->shard, s->B, s->T, s->be->fused_attention, NULL, &s->memory);
    return tcb_gpt_create(s->be, s->cx, &s->model, &s->shard, s->B, s->T, s->seed, &s->net);
}

static void tf_teardown(void *state)
{
    tf_state *s = state;
    tcb_gpt_free(s->net);
    if (s->scalar != NULL)
        s->cb->free(s->scalar);
    if (s->comm != NULL)
        s->cb->close(s->comm);
    if (s->cx != NULL)
        s->be->close(s->cx);
    free(s->inputs);
    free(s->targets);
    free(s->losses);
    free(s->step_s);
    free(s);
}

/* ---- one step ------------------------------------------------------------- */

/* The micro-batch of this rank at step `step`: rank r of R takes samples
 * [r*B, (r+1)*B) of the step's global batch of R*B, as one rank with R*B
 * would see them. */
void tcb_transformer_batch(const tf_state *s, int step)
{
    long long first = ((long long)step * s->ranks + s->rank) * s->B;
    tcb_tokens_fill(s->inputs, s->targets, s->B, s->T, s->shard.vocab, s->seed, first);
}

tcb_status tcb_transformer_reduce(tf_state *s, double *x, int n, tcb_redop op)
{
    if (s->ranks == 1)
        return TCB_OK;
    size_t bytes = (size_t)n * sizeof(double);
    TCB_CHECK(s->cb->upload(s->scalar, x, bytes));
    TCB_CHECK(s->cb->allreduce(s->comm, s->scalar, s->scalar, (size_t)n, TCB_FLOAT64, op));
    if (s->cb->sync != NULL)
        TCB_CHECK(s->cb->sync(s->comm));
    return s->cb->download(x, s->scalar, bytes);
}

/* Sums the gradients over the ranks in place, bucket by bucket, as DDP does
 * (one bucket at a time here: the backward pass does not overlap it). */
static tcb_status allreduce_grads(tf_state *s)
{
    if (s->ranks == 1)
        return TCB_OK;
    for (size_t off = 0; off < s->net->n_params; off += s->bucket) {
        size_t n = s->net->n_params - off < s->bucket ? s->net->n_params - off : s->bucket;
        float *g = s->net->grads + off;
        TCB_CHECK(s->cb->allreduce(s->comm, g, g, n, TCB_FLOAT32, TCB_OP_SUM));
    }
    return s->cb->sync != NULL ? s->cb->sync(s->comm) : TCB_OK;
}

/* The global norm of the mean gradient, and AdamW with that norm clipped. */
static void optimizer_step(tf_state *s)
{
    tcb_gpt *net = s->net;
    double norm = sqrt(s->be->sum_squares(s->cx, net->grads, net->n_params)) / s->ranks;
    double scale = 1.0 / s->ranks;
    if (s->clip > 0 && norm > s->clip)
        scale *= s->clip / norm;
    s->grad_norm = norm;
    for (int k = 0; k < TCB_GPT_NPARAMS; k++) {
        if (net->param_count[k] == 0)
            continue;
        size_t off = (size_t)(net->p[k] - net->params);
        s->be->adamw(s->cx, net->p[k], net->g[k], net->adam_m + off, net->adam_v + off,
                     net->param_count[k], s->lr, 0.9f, 0.95f, 1e-8f,
                     tcb_gpt_decays(k) ? s->weight_decay : 0.0f, s->step + 1, (float)scale);
    }
}

static tcb_status tf_iter(void *state)
{
    tf_state *s = state;
    if (s->step >= s->nsteps)
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "tf_iter",
                               "more steps than warmup + iters");
    double t0 = tcb_now(), loss = 0;
    tcb_transformer_batch(s, s->step);
    tcb_gpt_zero_grad(s->net);
    TCB_CHECK(tcb_gpt_forward(s->net, s->inputs, s->targets, true, &loss));
    TCB_CHECK(tcb_transformer_reduce(s, &loss, 1, TCB_OP_SUM));
    loss /= s->ranks;
    s->losses[s->step] = loss;
    if (!isfinite(loss)) {
        /* Every rank sees the same summed loss, so every rank stops here. */
        snprintf(s->failure, sizeof s->failure, "loss is %s at step %d of %d",
                 isnan(loss) ? "nan" : "infinite", s->step + 1, s->nsteps);
        if (s->rank == 0)
            tcb_log_error("transformer %s: %s", s->model.name, s->failure);
        s->step++;
        return TCB_ERR_WRONG;
    }
    tcb_gpt_backward(s->net);
    /* The comm backend may run on its own stream (nccl): the gradients must
     * be complete before it reads them. */
    if (s->ranks > 1)
        TCB_CHECK(s->be->sync(s->cx));
    TCB_CHECK(allreduce_grads(s));
    optimizer_step(s);
    TCB_CHECK(s->be->sync(s->cx));
    s->step_s[s->step] = tcb_now() - t0;
    s->step++;
    return TCB_OK;
}

static void tf_failure(void *state, char *why, int n)
{
    const tf_state *s = state;
    snprintf(why, (size_t)n, "%s", s->failure);
}

/* ---- metrics and table ---------------------------------------------------- */

/* The achievable peak: the suite's figure, else the best gemm case earlier in
 * the run on the same backend, dtype and thread count; 0 if neither. */
static double achievable_peak(const tf_state *s, tcb_facts *facts, const tcb_case *c,
                              json_t *rec)
{
    if (s->gemm_tflops > 0) {
        tcb_record_source(rec, "gemm_best_tflops", "assumed: the suite's gemm_tflops");
        return s->gemm_tflops;
    }
    char key[128];
    snprintf(key, sizeof key, TCB_FACT_GEMM_BEST_FMT, c->backend,
             tcb_params_enum(&c->params, "dtype"), s->be->threads(s->cx));
    double v = 0;
    int from = -1;
    if (tcb_facts_get(facts, key, &v, &from)) {
        tcb_record_source(rec, "gemm_best_tflops",
                          "measured: gemm case %d of this run (%s, median time)", from, key);
        return v;
    }
    tcb_record_source(rec, "gemm_best_tflops",
                      "not measured: no gemm case for %s ran earlier in this run", key);
    return 0;
}

static void tf_metrics(void *state, const tcb_stats *t, tcb_facts *facts, const tcb_case *c,
                       json_t *rec)
{
    tf_state *s = state;
    double tokens = (double)s->B * s->T;
    double fpt = tcb_shard_flops_per_token(&s->shard, s->T);
    double tflops = fpt * tokens / t->median / 1e12;
    double gemm = achievable_peak(s, facts, c, rec);
    s->tflops = tflops;
    s->mfu = s->peak > 0 ? tflops / s->peak : NAN;
    s->achievable_mfu = gemm > 0 ? tflops / gemm : NAN;
    s->tokens_per_s = tokens * s->ranks / t->median;

    json_object_set_new(rec, "flops_formula", json_string(TCB_FLOPS_FORMULA));
    json_object_set_new(rec, "device", json_string(s->device.name));
    tcb_record_metric(rec, "tokens_per_s", s->tokens_per_s);
    tcb_record_metric(rec, "tokens_per_s_per_device", tokens / t->median);
    tcb_record_metric(rec, "model_flops_per_token", fpt);
    /* The work of one step over all ranks: energy per token and per FLOP. */
    tcb_record_metric(rec, "iter_tokens", tokens * s->ranks);
    tcb_record_metric(rec, "iter_flops", fpt * tokens * s->ranks);
    tcb_record_metric(rec, "tflops_per_device", tflops);
    tcb_record_metric(rec, "peak_tflops", s->peak > 0 ? s->peak : NAN);
    tcb_record_source(rec, "peak_tflops", "%s", s->peak_source);
    tcb_record_metric(rec, "mfu", s->mfu);
    tcb_record_metric(rec, "gemm_best_tflops", gemm > 0 ? gemm : NAN);
    tcb_record_metric(rec, "achievable_mfu", s->achievable_mfu);
    tcb_record_metric(rec, "loss_first", s->losses[0]);
    tcb_record_metric(rec, "loss_last", s->losses[s->step - 1]);
    tcb_record_metric(rec, "grad_norm_last", s->grad_norm);
    tcb_record_metric(rec, "gradcheck_rel_err", s->gradcheck_err);
    tcb_record_metric(rec, "n_params", (double)s->shard.n_params);
    tcb_record_metric(rec, "n_matmul", (double)s->shard.n_matmul);
    tcb_record_metric(rec, "threads", s->be->threads(s->cx));

    double rss = rss_peak_bytes();
    tcb_record_metric(rec, "peak_rss_bytes", rss);
    tcb_record_source(rec, "peak_rss_bytes", "measured: VmHWM of rank 0, %s",
                      s->rss_reset ? "reset at the case's setup"
                                   : "since the process started (reset refused)");
    tcb_record_metric(rec, "memory_model_bytes", s->memory.total);
    tcb_record_metric(rec, "memory_params_bytes", s->memory.params);
    tcb_record_metric(rec, "memory_grads_bytes", s->memory.grads);
    tcb_record_metric(rec, "memory_adam_bytes", s->memory.adam);
    tcb_record_metric(rec, "memory_activations_bytes", s->memory.activations);
    tcb_record_metric(rec, "memory_scratch_bytes", s->memory.scratch + s->memory.tokens);
    tcb_record_metric(rec, "rss_over_model", rss / s->memory.total);
    if (s->be->memory_peak != NULL) {
        char how[256];
        double dev = s->be->memory_peak(s->cx, how, sizeof how);
        tcb_record_metric(rec, "peak_device_bytes", dev);
        tcb_record_source(rec, "peak_device_bytes", "measured: %s", how);
        tcb_record_metric(rec, "device_over_model", dev / s->memory.total);
    }

    tcb_record_series(rec, "loss", s->losses, s->step);
    tcb_record_series(rec, "step_s", s->step_s, s->step);
    tcb_record_source(rec, "step_s", "measured: rank 0's clock around each step, warm-up "
                                     "included (time_s: timed steps, slowest rank)");
}

static void tf_table_key(const tcb_case *c, char *buf, int n)
{
    snprintf(buf, (size_t)n, "transformer/%s", c->backend);
}

static void tf_table_header(FILE *out, const tcb_case *c, void *state)
{
    const tf_state *s = state;
    fprintf(out, "\n# transformer  backend %s  device %s  ranks %d\n", c->backend,
            s->device.name, s->ranks);
    fprintf(out, "#%-14s %4s %3s %3s %5s %9s %10s %8s %6s %7s %8s %8s %s\n", "model", "L", "tp",
            "B", "T", "step(s)", "tok/s", "TFLOP/s", "MFU", "achMFU", "loss0", "lossN",
            "check");
}

static void tf_table_row(FILE *out, const tcb_case *c, void *state, const tcb_stats *t,
                         long long wrong)
{
    const tf_state *s = state;
    (void)c;
    fprintf(out, " %-14s %4d %3d %3d %5d ", s->model.name, s->shard.layers, s->shard.tp,
            s->B, s->T);
    if (t == NULL)
        fprintf(out, "%9s %10s %8s %6s %7s %8s %8s %s\n", "-", "-", "-", "-", "-", "-", "-",
                wrong > 0 ? "WRONG" : wrong < 0 ? "error" : "skipped");
    else
        fprintf(out, "%9.4f %10.1f %8.4f %6.3f %7.3f %8.4f %8.4f ok\n", t->median,
                s->tokens_per_s, s->tflops, s->mfu, s->achievable_mfu, s->losses[0],
                s->losses[s->step - 1]);
}

const tcb_workload tcb_workload_transformer = {
    .name = "transformer",
    .summary = "training steps of a zoo model: loss, tokens/s, MFU, memory",
    .backend_kind = TCB_BACKEND_COMPUTE,
    .params = tf_params,
    .validate = tf_validate,
    .setup = tf_setup,
    .iter = tf_iter,
    .failure = tf_failure,
    .check = tcb_transformer_check,
    .metrics = tf_metrics,
    .teardown = tf_teardown,
    .table_key = tf_table_key,
    .table_header = tf_table_header,
    .table_row = tf_table_row,
};
