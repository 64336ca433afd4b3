/* Workload "membw": STREAM's copy, scale, add and triad through a compute
 * backend's stream op, verified element by element, then timed. GB/s counts
 * bytes as STREAM does: each array read or written once per iteration, the
 * write-allocate read of a not counted. docs/gemm-membw.md.
 *
 *   copy  a = b          2 arrays      add    a = b + c        3 arrays
 *   scale a = s*b        2 arrays      triad  a = b + s*c      3 arrays */
#include "compute.h"
#include "cpu_peak.h"
#include "record.h"
#include "samples.h"
#include "workload.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kernel_names[] = {"copy", "scale", "add", "triad", NULL};

/* Arrays each kernel moves, in kernel_names / tcb_stream_kernel order. */
static const int kernel_arrays[] = {2, 2, 3, 3};

static const tcb_param_spec membw_params[] = {
    {"kernel", TCB_PARAM_ENUM, "triad", 0, kernel_names, "copy, scale, add or triad"},
    {"threads", TCB_PARAM_INT, "0", 0, NULL, "host threads of the cpu backend; 0: its default"},
    {"size", TCB_PARAM_SIZE, "0", 0, NULL,
     "bytes per array; 0: at least 4x the last-level cache and 64 MiB"},
    {NULL, 0, NULL, 0, NULL, NULL},
};

#define SCALAR 3.0f
#define AUTO_MIN ((size_t)64 << 20)
/* What a device cache is assumed to hold when the backend's memory is not
 * host memory: 256 MB, MI300X's Infinity Cache, the largest known. */
#define DEVICE_CACHE_ASSUMED ((size_t)256 << 20)

typedef struct {
    const tcb_compute_backend *be;
    tcb_compute *cx;
    tcb_stream_kernel kernel;
    int threads;          /* what the backend really runs with */
    int ranks;            /* in the world: for the all-ranks figure */
    size_t n;             /* elements per array */
    size_t bytes;         /* per array: n * 4 */
    void *mem;            /* the one backend allocation: a | b | c */
    float *a, *b, *c;     /* (n) each */
    float *host_a;        /* a on the host for the check: == a for host memory */
    size_t llc;           /* the caches the arrays must exceed: all LLC instances */
    char llc_source[200];
    long long wrong_at;   /* first wrong element, for the failure detail; -1 none */
    double got, want;
    tcb_samples device_s; /* the kernel alone on the device's clock, where the
                           * backend has one (CUDA events) */
} membw_state;

/* Values whose sums and products by 3 are exact in fp32 (few mantissa
 * bits), so a correct kernel gives exactly the double-precision answer. */
static float value_b(size_t i)
{
    return (float)(i % 1024) * 0.125f;
}

static float value_c(size_t i)
{
    return (float)((i * 7) % 512) * 0.25f - 32.0f;
}

static double expected(tcb_stream_kernel k, size_t i, double *mag)
{
    double b = value_b(i), c = value_c(i);
    switch (k) {
    case TCB_STREAM_COPY: *mag = fabs(b); return b;
    case TCB_STREAM_SCALE: *mag = fabs(SCALAR * b); return SCALAR * b;
    case TCB_STREAM_ADD: *mag = fabs(b) + fabs(c); return b + c;
    default: *mag = fabs(b) + fabs(SCALAR * c); return b + SCALAR * c;
    }
}

static void membw_failure(void *state, char *why, int n);

static tcb_status membw_validate(const tcb_case *c, int world_size, tcb_diag *d)
{
    (void)world_size;
    long long size = tcb_params_int(&c->params, "size");
    if (size > 0 && size < (long long)sizeof(float))
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "size %lld is less than one fp32 element (0 picks a size)", size);
    return TCB_OK;
}

static void membw_teardown(void *state)
{
    membw_state *s = state;
    if (s == NULL)
        return;
    if (s->cx != NULL) {
        if (s->mem != NULL)
            s->be->free(s->cx, s->mem);
        s->be->close(s->cx);
    }
    if (s->host_a != s->a)
        free(s->host_a);
    tcb_samples_free(&s->device_s);
    free(s);
}

/* The caches the arrays compete for: every LLC instance of the machine (the
 * threads may span them all), as STREAM's rule counts "the available cache". */
static void find_llc(membw_state *s)
{
    if (!s->be->host_memory) {
        s->llc = DEVICE_CACHE_ASSUMED;
        snprintf(s->llc_source, sizeof s->llc_source,
                 "assumed: device caches of at most %zu MiB (none reported)",
                 DEVICE_CACHE_ASSUMED >> 20);
        return;
    }
    int instances = 1;
    char src[160];
    size_t one = tcb_cpu_llc_bytes(&instances, src, sizeof src);
    if (one == 0) {
        s->llc = (size_t)32 << 20;
        snprintf(s->llc_source, sizeof s->llc_source, "assumed: 32 MiB (%s)", src);
        return;
    }
    s->llc = one * (size_t)instances;
    snprintf(s->llc_source, sizeof s->llc_source, "measured: %s", src);
}

static tcb_status membw_setup(const tcb_world *w, const tcb_case *c, void **state)
{
    membw_state *s = calloc(1, sizeof *s);
    TCB_ALLOC_CHECK(s);
    *state = s;
    s->wrong_at = -1;
    s->ranks = w->size;
    s->kernel = (tcb_stream_kernel)tcb_params_choice(&c->params, "kernel");
    s->be = tcb_compute_backend_find(c->backend);
    if (s->be == NULL || s->be->stream == NULL)
        return tcb_log_failure(TCB_ERR_CONFIG, __FILE__, __LINE__, c->backend,
                               "no compute backend with a stream op of that name");
    TCB_CHECK(s->be->open(w, (int)tcb_params_int(&c->params, "threads"), &s->cx));
    s->threads = s->be->threads(s->cx);
    TCB_CHECK(tcb_samples_init(&s->device_s, c->iters));
    find_llc(s);

    size_t size = (size_t)tcb_params_int(&c->params, "size");
    if (size == 0) {
        /* The ranks of a node share its caches: together their arrays are
         * at least 4x them, each rank's at least 64 MiB. */
        int local = w->local_size > 0 ? w->local_size : 1;
        size = 4 * s->llc / (size_t)local;
        size = size > AUTO_MIN ? size : AUTO_MIN;
    }
    s->n = size / sizeof(float);
    s->bytes = s->n * sizeof(float);

    size_t stride = (s->bytes + 4095) / 4096 * 4096; /* each array page-aligned */
    s->mem = s->be->alloc(s->cx, 3 * stride);
    TCB_ALLOC_CHECK(s->mem);
    s->a = s->mem;
    s->b = (float *)((char *)s->mem + stride);
    s->c = (float *)((char *)s->mem + 2 * stride);

    if (s->be->host_memory) {
        s->host_a = s->a;
#pragma omp parallel for schedule(static) num_threads(s->threads)
        for (size_t i = 0; i < s->n; i++) {
            s->b[i] = value_b(i);
            s->c[i] = value_c(i);
        }
        return TCB_OK;
    }
    /* Staged through one host array: b, then c, then it stays for a. */
    s->host_a = malloc(s->bytes > 0 ? s->bytes : 1);
    TCB_ALLOC_CHECK(s->host_a);
    for (size_t i = 0; i < s->n; i++)
        s->host_a[i] = value_b(i);
    TCB_CHECK(s->be->upload(s->cx, s->b, s->host_a, s->bytes));
    for (size_t i = 0; i < s->n; i++)
        s->host_a[i] = value_c(i);
    TCB_CHECK(s->be->upload(s->cx, s->c, s->host_a, s->bytes));
    return s->be->sync(s->cx);
}

static tcb_status membw_iter(void *state)
{
    membw_state *s = state;
    if (s->be->time_end == NULL) {
        s->be->stream(s->cx, s->kernel, s->a, s->b, s->c, SCALAR, s->n);
        return s->be->sync(s->cx);
    }
    double seconds;
    TCB_CHECK(s->be->time_begin(s->cx));
    s->be->stream(s->cx, s->kernel, s->a, s->b, s->c, SCALAR, s->n);
    TCB_CHECK(s->be->time_end(s->cx, &seconds));
    tcb_samples_add(&s->device_s, seconds);
    return s->be->sync(s->cx);
}

/* The times GB/s comes from: the kernel on the device's clock where there is
 * one, else the harness's (slowest rank per iteration). */
static tcb_stats kernel_stats(const membw_state *s, const tcb_stats *t)
{
    if (s->be->time_end == NULL)
        return *t;
    tcb_stats d;
    tcb_samples_stats(&s->device_s, &d);
    return d;
}

static tcb_status membw_check(void *state, long long *wrong)
{
    membw_state *s = state;
    /* NaN first: an element the kernel skipped stays wrong. */
    for (size_t i = 0; i < s->n; i++)
        s->host_a[i] = NAN;
    if (!s->be->host_memory)
        TCB_CHECK(s->be->upload(s->cx, s->a, s->host_a, s->bytes));
    TCB_CHECK(membw_iter(s));
    if (!s->be->host_memory)
        TCB_CHECK(s->be->download(s->cx, s->host_a, s->a, s->bytes));

    /* Copy must be bit-exact. The others are exact too with these inputs,
     * but a backend may contract b + s*c into an FMA or reorder: a couple of
     * ulps of the terms' magnitude is allowed. */
    long long bad = 0;
    for (size_t i = 0; i < s->n; i++) {
        double mag;
        double want = expected(s->kernel, i, &mag);
        double tol = s->kernel == TCB_STREAM_COPY ? 0 : 2 * FLT_EPSILON * mag;
        if (!(fabs((double)s->host_a[i] - want) <= tol)) {
            if (bad++ == 0) {
                s->wrong_at = (long long)i;
                s->got = s->host_a[i];
                s->want = want;
            }
        }
    }
    *wrong = bad;
    tcb_samples_reset(&s->device_s); /* the timed iterations come next */
    if (bad > 0) { /* the record says how many; this says where */
        char why[160];
        membw_failure(s, why, sizeof why);
        tcb_log_error("membw: %lld of %zu elements wrong; first %s", bad, s->n, why);
    }
    return TCB_OK;
}

static void membw_failure(void *state, char *why, int n)
{
    const membw_state *s = state;
    if (s->wrong_at >= 0)
        snprintf(why, (size_t)n, "%s: a[%lld] = %g, want %g", kernel_names[s->kernel],
                 s->wrong_at, s->got, s->want);
}

static double bytes_moved(const membw_state *s)
{
    return (double)kernel_arrays[s->kernel] * (double)s->bytes;
}

static void membw_metrics(void *state, const tcb_stats *t, tcb_facts *facts,
                          const tcb_case *c, json_t *rec)
{
    (void)facts;
    (void)c;
    membw_state *s = state;
    bool device_clock = s->be->time_end != NULL;
    tcb_stats k = kernel_stats(s, t);
    double moved = bytes_moved(s);
    double gbps = k.median > 0 ? moved / k.median / 1e9 : NAN;
    double multiple = s->llc > 0 ? (double)s->bytes / (double)s->llc : NAN;
    tcb_record_metric(rec, "bytes_moved", moved);
    tcb_record_metric(rec, "array_bytes", (double)s->bytes);
    tcb_record_metric(rec, "GBps", gbps);
    tcb_record_metric(rec, "GBps_max", k.min > 0 ? moved / k.min / 1e9 : NAN);
    if (device_clock)
        tcb_record_metric(rec, "kernel_s", k.median);
    /* Every rank streams its own arrays at once: the sum is what the node(s)
     * sustained, counted on the slowest rank's time. */
    tcb_record_metric(rec, "GBps_all_ranks", gbps * s->ranks);
    tcb_record_metric(rec, "llc_bytes", (double)s->llc);
    tcb_record_metric(rec, "llc_multiple", multiple);
    tcb_record_metric(rec, "threads", s->threads);
    tcb_record_source(rec, "GBps",
                      "measured: %d arrays x %zu bytes / median %s (STREAM counting: "
                      "write-allocate not counted)",
                      kernel_arrays[s->kernel], s->bytes,
                      device_clock ? "kernel_s, the kernel alone on rank 0's device clock "
                                     "(CUDA events)"
                                   : "time_s (slowest rank per iteration)");
    tcb_record_source(rec, "llc_bytes", "%s", s->llc_source);
    if (multiple < 4)
        tcb_record_source(rec, "llc_multiple",
                          "assumed: buffers only %.2fx the LLC; cache effects likely",
                          multiple);
}

static void membw_table_key(const tcb_case *c, char *buf, int n)
{
    snprintf(buf, (size_t)n, "membw/%s/%s/%lld", c->backend,
             tcb_params_enum(&c->params, "kernel"), tcb_params_int(&c->params, "threads"));
}

static void membw_table_header(FILE *out, const tcb_case *c, void *state)
{
    membw_state *s = state;
    char llc[32];
    fprintf(out, "\n# membw %s  backend %s  threads %d  LLC %s (%s)\n",
            kernel_names[s->kernel], c->backend, s->threads,
            tcb_size_format((long long)s->llc, llc, sizeof llc), s->llc_source);
    fprintf(out, "# GB/s = arrays x array bytes / time (STREAM counting); ! = under 4x the LLC\n");
    fprintf(out, "#%11s %6s %12s %10s %9s %9s %7s %7s\n", "array", "arrays", "bytes/iter",
            "time(us)", "GB/s", "max", "xLLC", "#wrong");
}

static void membw_table_row(FILE *out, const tcb_case *c, void *state, const tcb_stats *t,
                            long long wrong)
{
    (void)c;
    membw_state *s = state;
    char size[32], time[24] = "-", bw[24] = "-", mx[24] = "-", mult[24] = "-",
                   nwrong[24] = "-";
    double moved = bytes_moved(s);
    if (t != NULL) {
        tcb_stats k = kernel_stats(s, t);
        snprintf(time, sizeof time, "%.1f", k.median * 1e6);
        snprintf(bw, sizeof bw, "%.2f", k.median > 0 ? moved / k.median / 1e9 : 0);
        snprintf(mx, sizeof mx, "%.2f", k.min > 0 ? moved / k.min / 1e9 : 0);
    }
    if (s->llc > 0) {
        double m = (double)s->bytes / (double)s->llc;
        snprintf(mult, sizeof mult, "%.2f%s", m, m < 4 ? "!" : "");
    }
    if (wrong >= 0)
        snprintf(nwrong, sizeof nwrong, "%lld", wrong);
    fprintf(out, " %11s %6d %12.0f %10s %9s %9s %7s %7s\n",
            tcb_size_format((long long)s->bytes, size, sizeof size), kernel_arrays[s->kernel],
            moved, time, bw, mx, mult, nwrong);
}

const tcb_workload tcb_workload_membw = {
    .name = "membw",
    .summary = "STREAM copy, scale, add, triad of a compute backend, verified: GB/s",
    .backend_kind = TCB_BACKEND_COMPUTE,
    .params = membw_params,
    .validate = membw_validate,
    .setup = membw_setup,
    .iter = membw_iter,
    .failure = membw_failure,
    .check = membw_check,
    .metrics = membw_metrics,
    .teardown = membw_teardown,
    .table_key = membw_table_key,
    .table_header = membw_table_header,
    .table_row = membw_table_row,
};
