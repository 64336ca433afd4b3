/* Workload "gemm": an achievable-peak finder. One matrix product of a compute
 * backend, c = op(a) @ op(b), verified against a double-precision reference,
 * then timed; the best rate of a run goes into the facts store, where the
 * transformer workload finds it for its achievable MFU. docs/gemm-membw.md.
 *
 * Key to the letters: c is (M,N); op(a) is (M,K) and op(b) is (K,N).
 * trans says how a and b are stored (row-major):
 *   nn: a (M,K), b (K,N)
 *   nt: a (M,K), b (N,K): c = a @ b^T, the forward pass of a linear layer
 *       whose weight is (out, in), as compute.h's matmul_forward runs it
 *   tn: a (K,M), b (K,N): c = a^T @ b, the weight gradient's shape */
#include "compute.h"
#include "cpu_peak.h"
#include "gemm_types.h"
#include "hardware.h"
#include "record.h"
#include "samples.h"
#include "timer.h"
#include "workload.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const gemm_trans[] = {"nn", "nt", "tn", NULL};

/* Order matters: cases expand with the last parameter varying fastest, so a
 * sweep of shapes gives the rows of one table. */
static const tcb_param_spec gemm_params[] = {
    {"dtype", TCB_PARAM_ENUM, "f32", 0, tcb_gemm_type_names,
     "element type: f32, tf32, bf16, f16, fp8 (e4m3 in, bf16 out); the cpu backend: f32"},
    {"trans", TCB_PARAM_ENUM, "nt", 0, gemm_trans,
     "storage of a and b: nn, nt (c = a @ b^T, a linear layer's forward), tn"},
    {"flush", TCB_PARAM_BOOL, "false", 0, NULL,
     "evict caches before each iteration; tflops then times the product alone"},
    {"threads", TCB_PARAM_INT, "0", 0, NULL, "host threads of the cpu backend; 0: its default"},
    {"m", TCB_PARAM_INT, "1024", 1, NULL, "rows of c"},
    {"n", TCB_PARAM_INT, "1024", 1, NULL, "columns of c"},
    {"k", TCB_PARAM_INT, "1024", 1, NULL, "the inner dimension"},
    {NULL, 0, NULL, 0, NULL, NULL},
};

/* Elements checked when c is too big to check whole (m*n > CHECK_ALL). */
#define CHECK_ALL 65536
#define CHECK_SAMPLE 1024
/* What a device cache is assumed to hold at most when the backend's memory is
 * not host memory (the host's LLC says nothing of it): 256 MB, MI300X's
 * Infinity Cache, the largest known; H100's L2 is 50 MB. */
#define DEVICE_CACHE_ASSUMED ((size_t)256 << 20)

typedef struct {
    const tcb_compute_backend *be;
    tcb_compute *cx;
    int m, n, k, lda, ldb, ldc;
    bool ta, tb;
    int threads;                  /* what the backend really runs with */
    int ranks;                    /* every rank runs the product */
    tcb_gemm_type type;
    tcb_gemm_plan *plan;          /* a planned product; NULL: compute.h's fp32 gemm */
    char plan_how[256];           /* what the plan chose */
    char skip_why[256];           /* the device cannot multiply this type: skip the case */
    void *mem;                    /* the one backend allocation */
    float *a, *b, *c;             /* into mem: a (M,K) or (K,M), b (K,N) or (N,K), c (M,N);
                                   * elements of the plan's types where there is a plan */
    float *ha, *hb;               /* host values of a and b: == a, b for host memory */
    void *hc;                     /* host copy of c, in c's type: == c for host memory */
    void *host_mem;               /* their one allocation otherwise */
    float amax, bmax;             /* largest |a|, |b|: scale of the tolerance */
    unsigned char *flush;         /* into mem; NULL without flush */
    size_t flush_bytes;
    char flush_how[320];
    tcb_samples gemm_s, flush_s;  /* this rank's own clock, per iteration */
    tcb_device_info info;
    double peak;                  /* TFLOP/s of the device for this dtype; 0 unknown */
    char peak_source[256];
    bool best;                    /* metrics found this case the best so far */
    double tflops, tflops_max;    /* what metrics computed, for the table */
    char fail[256];
} gemm_state;

static tcb_status gemm_validate(const tcb_case *c, int world_size, tcb_diag *d)
{
    (void)world_size;
    const tcb_compute_backend *be = tcb_compute_backend_find(c->backend);
    const char *dtype = tcb_params_enum(&c->params, "dtype");
    if (be != NULL && be->gemm_plan == NULL && strcmp(dtype, "f32") != 0)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "dtype %s: the %s backend multiplies f32 only", dtype, be->name);
    const char *dims[] = {"m", "n", "k"};
    double elems[3];
    for (int i = 0; i < 3; i++) {
        long long v = tcb_params_int(&c->params, dims[i]);
        if (v > INT_MAX)
            return tcb_diag_set(d, TCB_ERR_CONFIG, "%s = %lld is more than a BLAS int holds",
                                dims[i], v);
        elems[i] = (double)v;
    }
    double bytes = 4 * (elems[0] * elems[2] + elems[2] * elems[1] + elems[0] * elems[1]);
    if (bytes > 0x1p46) /* 64 TiB: a typo, not a benchmark */
        return tcb_diag_set(d, TCB_ERR_CONFIG, "m, n, k need %.3g bytes of matrices", bytes);
    return TCB_OK;
}

/* A deterministic value in [-1, 1) for element i of matrix `seed`: 24 bits
 * of a splitmix64 hash, exact in fp32. */
static float fill_value(uint64_t seed, size_t i)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + i + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)((double)(z >> 40) / (double)(1 << 23) - 1.0);
}

static float fill(float *x, size_t count, uint64_t seed, int threads)
{
    float mx = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(max : mx)
    for (size_t i = 0; i < count; i++) {
        x[i] = fill_value(seed, i);
        mx = fmaxf(mx, fabsf(x[i]));
    }
    return mx;
}

static size_t round_up(size_t v, size_t to)
{
    return (v + to - 1) / to * to;
}

static void gemm_teardown(void *state)
{
    gemm_state *s = state;
    if (s == NULL)
        return;
    if (s->cx != NULL) {
        if (s->plan != NULL)
            s->be->gemm_plan_free(s->cx, s->plan);
        if (s->mem != NULL)
            s->be->free(s->cx, s->mem);
        s->be->close(s->cx);
    }
    free(s->host_mem);
    tcb_samples_free(&s->gemm_s);
    tcb_samples_free(&s->flush_s);
    free(s);
}

/* The flush buffer: twice what the caches it must empty hold. */
static size_t flush_size(gemm_state *s)
{
    if (!s->be->host_memory) {
        snprintf(s->flush_how, sizeof s->flush_how,
                 "assumed: device caches of at most %zu MiB (none reported), zeroed by the "
                 "backend", DEVICE_CACHE_ASSUMED >> 20);
        return 2 * DEVICE_CACHE_ASSUMED;
    }
    int instances = 1;
    char src[160];
    size_t llc = tcb_cpu_llc_bytes(&instances, src, sizeof src);
    if (llc == 0) {
        llc = (size_t)32 << 20;
        snprintf(src, sizeof src, "assumed: 32 MiB (no LLC size known)");
    }
    /* Every instance, since the threads that touch the buffer may span them. */
    size_t bytes = 2 * llc * (size_t)instances;
    snprintf(s->flush_how, sizeof s->flush_how,
             "%zu bytes read and written by %d thread(s) before each product: 2x the LLC "
             "(%s)",
             bytes, s->threads, src);
    return bytes;
}

/* Fills host[0..count) with grid values (gemm_types.h) and uploads them to
 * dev in the plan's input type. */
static tcb_status upload_grid(gemm_state *s, void *dev, float *host, size_t count,
                              uint64_t seed)
{
#pragma omp parallel for schedule(static) num_threads(s->threads)
    for (size_t i = 0; i < count; i++)
        host[i] = tcb_gemm_grid_value(seed, i);
    size_t bytes = count * tcb_gemm_in_bytes(s->type);
    if (s->type == TCB_GEMM_F32 || s->type == TCB_GEMM_TF32)
        return s->be->upload(s->cx, dev, host, bytes);
    void *enc = malloc(bytes);
    TCB_ALLOC_CHECK(enc);
    tcb_gemm_encode(s->type, host, enc, count);
    tcb_status st = s->be->upload(s->cx, dev, enc, bytes);
    free(enc);
    return st;
}

static tcb_status gemm_setup(const tcb_world *w, const tcb_case *c, void **state)
{
    gemm_state *s = calloc(1, sizeof *s);
    TCB_ALLOC_CHECK(s);
    *state = s;
    s->be = tcb_compute_backend_find(c->backend);
    if (s->be == NULL || s->be->gemm == NULL)
        return tcb_log_failure(TCB_ERR_CONFIG, __FILE__, __LINE__, c->backend,
                               "no compute backend with a gemm of that name");
    s->ranks = w->size;
    s->m = (int)tcb_params_int(&c->params, "m");
    s->n = (int)tcb_params_int(&c->params, "n");
    s->k = (int)tcb_params_int(&c->params, "k");
    const char *trans = tcb_params_enum(&c->params, "trans");
    s->ta = trans[0] == 't';
    s->tb = trans[1] == 't';
    s->lda = s->ta ? s->m : s->k; /* row-major: the stored row's length */
    s->ldb = s->tb ? s->k : s->n;
    s->ldc = s->n;
    s->type = (tcb_gemm_type)tcb_params_choice(&c->params, "dtype");

    TCB_CHECK(s->be->open(w, (int)tcb_params_int(&c->params, "threads"), &s->cx));
    s->threads = s->be->threads(s->cx);
    s->be->describe(s->cx, &s->info);
    if (s->type == TCB_GEMM_F32) {
        s->peak = s->info.peak_tflops_f32;
        snprintf(s->peak_source, sizeof s->peak_source, "%s", s->info.peak_source);
    } else {
        s->peak = tcb_hardware_device_peak(s->info.name, tcb_gemm_catalog_dtype(s->type),
                                           s->peak_source, sizeof s->peak_source);
    }

    TCB_CHECK(tcb_samples_init(&s->gemm_s, c->iters));
    TCB_CHECK(tcb_samples_init(&s->flush_s, c->iters));

    /* One allocation: a | b | c | flush, each page-aligned. */
    size_t in = tcb_gemm_in_bytes(s->type), out = tcb_gemm_out_bytes(s->type);
    size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
    size_t off_b = round_up(na * in, 4096), off_c = off_b + round_up(nb * in, 4096);
    size_t off_f = off_c + round_up(nc * out, 4096);
    if (tcb_params_bool(&c->params, "flush"))
        s->flush_bytes = flush_size(s);
    s->mem = s->be->alloc(s->cx, off_f + s->flush_bytes);
    TCB_ALLOC_CHECK(s->mem);
    s->a = s->mem;
    s->b = (float *)((char *)s->mem + off_b);
    s->c = (float *)((char *)s->mem + off_c);
    s->flush = s->flush_bytes > 0 ? (unsigned char *)s->mem + off_f : NULL;

    if (s->be->host_memory) {
        s->ha = s->a;
        s->hb = s->b;
        s->hc = s->c;
    } else {
        /* Host values of a and b are floats whatever the device's type. */
        s->host_mem = malloc((na + nb) * 4 + nc * out);
        TCB_ALLOC_CHECK(s->host_mem);
        s->ha = s->host_mem;
        s->hb = s->ha + na;
        s->hc = s->hb + nb;
    }
    /* Every rank the same data: a rank whose product is off shows as that rank. */
    if (s->be->gemm_plan == NULL) {
        s->amax = fill(s->ha, na, 1, s->threads);
        s->bmax = fill(s->hb, nb, 2, s->threads);
        return s->be->sync(s->cx);
    }
    TCB_CHECK(upload_grid(s, s->a, s->ha, na, 1));
    TCB_CHECK(upload_grid(s, s->b, s->hb, nb, 2));
    tcb_gemm_shape shape = {s->type, s->ta, s->tb, s->m, s->n, s->k};
    tcb_status st = s->be->gemm_plan(s->cx, &shape, s->a, s->b, s->c, &s->plan, s->skip_why,
                                     sizeof s->skip_why);
    if (st == TCB_ERR_CONFIG)
        return TCB_OK; /* the device cannot: the skip hook says why */
    TCB_CHECK(st);
    s->be->gemm_plan_describe(s->plan, s->plan_how, sizeof s->plan_how);
    return s->be->sync(s->cx);
}

static bool gemm_skip(void *state, char *why, int n)
{
    const gemm_state *s = state;
    if (s->skip_why[0] == '\0')
        return false;
    snprintf(why, (size_t)n, "%s", s->skip_why);
    return true;
}

static void run_gemm(gemm_state *s)
{
    if (s->plan != NULL)
        s->be->gemm_run(s->cx, s->plan, s->a, s->b, s->c);
    else
        s->be->gemm(s->cx, s->ta, s->tb, s->m, s->n, s->k, 1.0f, s->a, s->lda, s->b, s->ldb,
                    0.0f, s->c, s->ldc);
}

/* Reads and writes every cache line of the flush buffer: a plain store loop
 * could be turned into non-temporal stores that bypass the cache (glibc's
 * large memset does), which would evict nothing. */
static void flush_host(gemm_state *s)
{
    uint64_t *p = (uint64_t *)s->flush;
    size_t lines = s->flush_bytes / 64;
#pragma omp parallel for schedule(static) num_threads(s->threads)
    for (size_t i = 0; i < lines; i++)
        p[i * 8] += 1;
}

/* The flush, then the product, each on this rank's clock: the harness times
 * the whole call, and metrics takes the product alone when flush is on. */
static tcb_status gemm_iter(void *state)
{
    gemm_state *s = state;
    double t0 = tcb_now(), t1 = t0;
    if (s->flush != NULL) {
        if (s->be->host_memory)
            flush_host(s);
        else
            s->be->zero(s->cx, s->flush, s->flush_bytes);
        TCB_CHECK(s->be->sync(s->cx));
        t1 = tcb_now();
    }
    double product = 0;
    if (s->be->time_begin != NULL)
        TCB_CHECK(s->be->time_begin(s->cx));
    run_gemm(s);
    if (s->be->time_end != NULL)
        TCB_CHECK(s->be->time_end(s->cx, &product));
    TCB_CHECK(s->be->sync(s->cx));
    double t2 = tcb_now();
    tcb_samples_add(&s->flush_s, t1 - t0);
    tcb_samples_add(&s->gemm_s, s->be->time_end != NULL ? product : t2 - t1);
    return TCB_OK;
}

/* The element (i, j) of op(a) @ op(b), summed in double; *mag gets the sum
 * of its terms' magnitudes. */
static double reference(const gemm_state *s, int i, int j, double *mag)
{
    double acc = 0, abs = 0;
    for (int p = 0; p < s->k; p++) {
        double x = s->ta ? s->ha[(size_t)p * s->m + i] : s->ha[(size_t)i * s->k + p];
        double y = s->tb ? s->hb[(size_t)j * s->k + p] : s->hb[(size_t)p * s->n + j];
        acc += x * y;
        abs += fabs(x * y);
    }
    *mag = abs;
    return acc;
}

/* How far element (i, j) may be from the reference. fp32 accumulation
 * error (the cpu path's 24-bit inputs) grows about like sqrt(k) ulps for
 * random signs and at worst like k ulps; 1e-5 * k (84 ulps per term) is far
 * above either for any summation order, yet below one dropped term (|a b|,
 * 0.25 on average) up to k ~ 25000. A planned product's inputs make the sum
 * exact, and only the output's rounding is allowed (gemm_types.h). */
static double tolerance(const gemm_state *s, double ref, double mag)
{
    if (s->plan != NULL)
        return tcb_gemm_tolerance(s->type, ref, mag);
    return 1e-5 * s->k * (double)s->amax * (double)s->bmax + 1e-6;
}

/* Position q of the checked elements: all of c when small, else the four
 * corners then a pseudo-random spread. */
static void checked_element(const gemm_state *s, size_t q, int *i, int *j)
{
    size_t nc = (size_t)s->m * s->n;
    size_t e;
    if (nc <= CHECK_ALL)
        e = q;
    else if (q < 4)
        e = (q & 1 ? (size_t)s->n - 1 : 0) + (q & 2 ? (size_t)(s->m - 1) * s->n : 0);
    else
        e = (size_t)(((double)fill_value(3, q) + 1.0) / 2.0 * (double)nc) % nc;
    *i = (int)(e / (size_t)s->n);
    *j = (int)(e % (size_t)s->n);
}

static tcb_status gemm_check(void *state, long long *wrong)
{
    gemm_state *s = state;
    size_t nc = (size_t)s->m * s->n, cbytes = nc * tcb_gemm_out_bytes(s->type);
    /* A value no product of these inputs reaches, so an element the product
     * never wrote stays wrong: 1e30, finite, so beta = 0 times it is still 0
     * in a backend that reads c; NaN (all ones) in a planned product's type,
     * whose library does not read c when beta is 0. */
    if (s->plan != NULL)
        memset(s->hc, 0xff, cbytes);
    else
        for (size_t e = 0; e < nc; e++)
            ((float *)s->hc)[e] = 1e30f;
    if (!s->be->host_memory)
        TCB_CHECK(s->be->upload(s->cx, s->c, s->hc, cbytes));
    run_gemm(s);
    TCB_CHECK(s->be->sync(s->cx));
    if (!s->be->host_memory)
        TCB_CHECK(s->be->download(s->cx, s->hc, s->c, cbytes));

    size_t nchecked = nc <= CHECK_ALL ? nc : CHECK_SAMPLE;
    long long bad = 0;
    size_t first = SIZE_MAX;
#pragma omp parallel for schedule(static) num_threads(s->threads) reduction(+ : bad) \
    reduction(min : first)
    for (size_t q = 0; q < nchecked; q++) {
        int i, j;
        double mag;
        checked_element(s, q, &i, &j);
        double ref = reference(s, i, j, &mag);
        double err = fabs(tcb_gemm_decode(s->type, s->hc, (size_t)i * s->n + j) - ref);
        if (!(err <= tolerance(s, ref, mag))) { /* NaN is wrong too */
            bad++;
            first = q < first ? q : first;
        }
    }
    if (bad > 0) {
        int i, j;
        double mag;
        checked_element(s, first, &i, &j);
        double ref = reference(s, i, j, &mag);
        snprintf(s->fail, sizeof s->fail,
                 "%lld of %zu checked elements of c wrong; first c[%d][%d] = %g, want %g "
                 "(tolerance %.3g)",
                 bad, nchecked, i, j, tcb_gemm_decode(s->type, s->hc, (size_t)i * s->n + j),
                 ref, tolerance(s, ref, mag));
        tcb_log_error("gemm: %s", s->fail); /* the record says how many; this says where */
    }
    *wrong = bad;
    tcb_samples_reset(&s->gemm_s); /* the timed iterations come next */
    tcb_samples_reset(&s->flush_s);
    return TCB_OK;
}

static void gemm_failure(void *state, char *why, int n)
{
    const gemm_state *s = state;
    snprintf(why, (size_t)n, "%s", s->fail);
}

static void gemm_metrics(void *state, const tcb_stats *t, tcb_facts *facts,
                         const tcb_case *c, json_t *rec)
{
    gemm_state *s = state;
    double flops = 2.0 * s->m * s->n * s->k;
    json_object_set_new(rec, "flops_formula", json_string("2*M*N*K"));
    json_object_set_new(rec, "device", json_string(s->info.name));
    tcb_record_metric(rec, "flops", flops);
    tcb_record_metric(rec, "iter_flops", flops * s->ranks); /* every rank multiplies */
    tcb_record_metric(rec, "threads", s->threads);

    /* On the host clock without flush, the harness's time (slowest rank per
     * iteration). With flush, that time includes the flush, so the rate
     * comes from the product alone on rank 0's clock; where the backend
     * has a device clock (CUDA events), always from the product on it. */
    double median = t->median, min = t->min;
    bool device_clock = s->be->time_end != NULL;
    if (s->flush != NULL || device_clock) {
        tcb_stats g, f;
        tcb_samples_stats(&s->gemm_s, &g);
        tcb_samples_stats(&s->flush_s, &f);
        median = g.median;
        min = g.min;
        tcb_record_metric(rec, "gemm_s", g.median);
        if (s->flush != NULL) {
            tcb_record_metric(rec, "flush_s", f.median);
            tcb_record_source(rec, "flush_s", "measured: %s", s->flush_how);
        }
        tcb_record_source(rec, "tflops",
                          "measured: 2*M*N*K / median of rank 0's product alone on %s (time_s "
                          "includes %s)",
                          device_clock ? "the device's clock (CUDA events)" : "its clock",
                          s->flush != NULL ? "the flush" : "launch and synchronization");
    } else {
        tcb_record_source(rec, "tflops",
                          "measured: 2*M*N*K / median time_s (slowest rank per iteration)");
    }
    s->tflops = median > 0 ? flops / median / 1e12 : NAN;
    s->tflops_max = min > 0 ? flops / min / 1e12 : NAN;
    tcb_record_metric(rec, "tflops", s->tflops);
    tcb_record_metric(rec, "tflops_max", s->tflops_max);

    /* The median, not the best iteration: what a sustained training step can
     * count on. */
    const char *dtype = tcb_params_enum(&c->params, "dtype");
    char key[128];
    snprintf(key, sizeof key, TCB_FACT_GEMM_BEST_FMT, c->backend, dtype, s->threads);
    if (isfinite(s->tflops))
        tcb_facts_offer_max(facts, key, s->tflops, c->index);
    double best;
    int best_case;
    if (tcb_facts_get(facts, key, &best, &best_case)) {
        s->best = best_case == c->index;
        tcb_record_metric(rec, "best_tflops_so_far", best);
        tcb_record_source(rec, "best_tflops_so_far",
                          "measured: case %d of this run (%s), the best gemm median for %s",
                          best_case, s->best ? "this case" : "an earlier case: see its record",
                          key);
    }

    double peak = s->peak;
    tcb_record_metric(rec, "peak_tflops", peak > 0 ? peak : NAN);
    tcb_record_metric(rec, "fraction_of_peak", peak > 0 ? s->tflops / peak : NAN);
    tcb_record_source(rec, "peak_tflops", "%s", s->peak_source[0]
                                                    ? s->peak_source
                                                    : "unknown: the backend reports no peak");
    if (s->plan != NULL) {
        json_object_set_new(rec, "algorithm", json_string(s->plan_how));
        json_object_set_new(rec, "check_tolerance", json_string(tcb_gemm_tolerance_source(s->type)));
    }
}

static void gemm_table_key(const tcb_case *c, char *buf, int n)
{
    snprintf(buf, (size_t)n, "gemm/%s/%s/%lld/%d", c->backend,
             tcb_params_enum(&c->params, "dtype"), tcb_params_int(&c->params, "threads"),
             tcb_params_bool(&c->params, "flush"));
}

static void gemm_table_header(FILE *out, const tcb_case *c, void *state)
{
    gemm_state *s = state;
    fprintf(out, "\n# gemm  backend %s  dtype %s  threads %d  flush %s\n", c->backend,
            tcb_params_enum(&c->params, "dtype"), s->threads,
            tcb_params_bool(&c->params, "flush") ? "on (excluded from TFLOP/s)" : "off");
    if (s->peak > 0)
        fprintf(out, "# device %s  peak %.4g TFLOP/s (%s)\n", s->info.name, s->peak,
                s->peak_source);
    else
        fprintf(out, "# device %s  peak unknown\n", s->info.name);
    fprintf(out, "# TFLOP/s = 2*M*N*K / time; * = best median TFLOP/s so far\n");
    fprintf(out, "#%7s %7s %7s %5s %5s %11s %9s %9s %6s %4s %7s\n", "m", "n", "k", "trans",
            "dtype", "time(ms)", "TFLOP/s", "max", "%peak", "best", "#wrong");
}

static void gemm_table_row(FILE *out, const tcb_case *c, void *state, const tcb_stats *t,
                           long long wrong)
{
    gemm_state *s = state;
    char time[24] = "-", tf[24] = "-", mx[24] = "-", pk[24] = "-", nwrong[24] = "-";
    if (t != NULL) {
        snprintf(time, sizeof time, "%.3f", t->median * 1e3);
        snprintf(tf, sizeof tf, "%.4f", s->tflops);
        snprintf(mx, sizeof mx, "%.4f", s->tflops_max);
        if (s->peak > 0)
            snprintf(pk, sizeof pk, "%.1f", 100 * s->tflops / s->peak);
    }
    if (wrong >= 0)
        snprintf(nwrong, sizeof nwrong, "%lld", wrong);
    fprintf(out, " %7d %7d %7d %5s %5s %11s %9s %9s %6s %4s %7s\n", s->m, s->n, s->k,
            tcb_params_enum(&c->params, "trans"), tcb_params_enum(&c->params, "dtype"), time,
            tf, mx, pk, t != NULL && s->best ? "*" : "", nwrong);
}

const tcb_workload tcb_workload_gemm = {
    .name = "gemm",
    .summary = "matrix product of a compute backend, verified: TFLOP/s and the best rate",
    .backend_kind = TCB_BACKEND_COMPUTE,
    .params = gemm_params,
    .validate = gemm_validate,
    .setup = gemm_setup,
    .iter = gemm_iter,
    .skip = gemm_skip,
    .failure = gemm_failure,
    .check = gemm_check,
    .metrics = gemm_metrics,
    .teardown = gemm_teardown,
    .table_key = gemm_table_key,
    .table_header = gemm_table_header,
    .table_row = gemm_table_row,
};
