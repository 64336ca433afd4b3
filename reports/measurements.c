#include "measurements.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double number(json_t *obj, const char *a, const char *b)
{
    json_t *v = json_object_get(obj, a);
    if (b != NULL)
        v = json_object_get(v, b);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void text(char *dst, size_t n, json_t *v)
{
    snprintf(dst, n, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* The average power of one device over the case's energy window: the
 * accelerator readings (scope gpu or module) where the record has any, else
 * the CPU packages (a CPU row of the catalog is one socket); watts per
 * reading. 0 unless every reading of the window was valid. */
static double device_watts(json_t *rec, char *src, size_t n)
{
    json_t *e = json_object_get(rec, "energy");
    double window = number(e, "window_s", NULL);
    if (!json_is_true(json_object_get(e, "complete")) || !(window > 0))
        return 0;
    static const char *const kinds[][2] = {{"gpu", "module"}, {"cpu-package", NULL}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        double joules = 0;
        int count = 0;
        const char *method = "";
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(e, "readings"), i, r) {
            const char *scope = json_string_value(json_object_get(r, "scope")) ?: "";
            if (strcmp(scope, kinds[k][0]) != 0 &&
                (kinds[k][1] == NULL || strcmp(scope, kinds[k][1]) != 0))
                continue;
            joules += number(r, "joules", NULL);
            method = json_string_value(json_object_get(r, "method")) ?: "";
            count++;
        }
        if (count > 0 && joules > 0) {
            double watts = joules / window / count;
            snprintf(src, n, "measured: run %s case %d, %d %s reading(s) (%s), %.4g W per "
                     "device over %.3g s", json_string_value(json_object_get(rec, "run_id")) ?: "",
                     (int)number(rec, "case", NULL), count, kinds[k][0], method, watts, window);
            return watts;
        }
    }
    return 0;
}

/* One record, appended to out when it is an ok transformer case. */
static tcb_status take(tcb_measurements *out, int *cap, json_t *rec)
{
    json_t *check = json_object_get(rec, "check"), *params = json_object_get(rec, "params");
    if (strcmp(json_string_value(json_object_get(rec, "workload")) ?: "", "transformer") != 0 ||
        strcmp(json_string_value(json_object_get(check, "status")) ?: "", "ok") != 0)
        return TCB_OK;
    double mfu = number(rec, "metrics", "mfu");
    double median = number(rec, "time_s", "median");
    if (!(mfu > 0) || !(median > 0))
        return TCB_OK; /* no peak known for its device: nothing to scale */
    if (!json_is_string(json_object_get(rec, "device")))
        return TCB_OK; /* made before records named their device: no row to put it in */
    if (out->n == *cap) {
        int c = *cap ? 2 * *cap : 16;
        tcb_measurement *grown = realloc(out->items, (size_t)c * sizeof *grown);
        TCB_ALLOC_CHECK(grown);
        out->items = grown;
        *cap = c;
    }
    tcb_measurement *m = &out->items[out->n++];
    memset(m, 0, sizeof *m);
    text(m->device, sizeof m->device, json_object_get(rec, "device"));
    text(m->model, sizeof m->model, json_object_get(params, "model"));
    text(m->run_id, sizeof m->run_id, json_object_get(rec, "run_id"));
    text(m->peak_source, sizeof m->peak_source,
         json_object_get(json_object_get(rec, "sources"), "peak_tflops"));
    m->layers = (int)number(params, "layers", NULL);
    m->tp = (int)number(params, "tp", NULL);
    m->seq = (int)number(params, "seq", NULL);
    m->batch = (int)number(params, "batch", NULL);
    m->case_index = (int)number(rec, "case", NULL);
    m->flops_per_token = number(rec, "metrics", "model_flops_per_token");
    m->peak_tflops = number(rec, "metrics", "peak_tflops");
    m->device_watts = device_watts(rec, m->power_source, sizeof m->power_source);
    /* MFU is inversely proportional to the step time: the slow steps (p95)
     * give the low end, the fastest the high end. */
    double p95 = number(rec, "time_s", "p95"), min = number(rec, "time_s", "min");
    m->mfu = (tcb_range){p95 > 0 ? mfu * median / p95 : mfu, mfu,
                         min > 0 ? mfu * median / min : mfu};
    return TCB_OK;
}

static tcb_status read_dir(tcb_measurements *out, int *cap, const char *dir, tcb_diag *d)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s: cannot read results.jsonl: %s", dir,
                            strerror(errno));
    char *line = NULL;
    size_t n = 0;
    tcb_status st = TCB_OK;
    for (int lineno = 1; st == TCB_OK && getline(&line, &n, f) > 0; lineno++) {
        json_error_t err;
        json_t *rec = json_loads(line, 0, &err);
        if (!json_is_object(rec) || json_object_get(rec, "workload") == NULL)
            st = tcb_diag_set(d, TCB_ERR_CONFIG, "%s:%d: not a result record: %s", path,
                              lineno, rec == NULL ? err.text : "no workload");
        else
            st = take(out, cap, rec);
        json_decref(rec);
    }
    free(line);
    fclose(f);
    return st;
}

tcb_status tcb_measurements_load(const char *const *run_dirs, int n, tcb_measurements *out,
                                 tcb_diag *d)
{
    memset(out, 0, sizeof *out);
    int cap = 0;
    tcb_status st = TCB_OK;
    for (int i = 0; i < n && st == TCB_OK; i++)
        st = read_dir(out, &cap, run_dirs[i], d);
    if (st != TCB_OK)
        tcb_measurements_free(out);
    return st;
}

void tcb_measurements_free(tcb_measurements *m)
{
    if (m == NULL)
        return;
    free(m->items);
    m->items = NULL;
    m->n = 0;
}

const tcb_measurement *tcb_measurements_nearest(const tcb_measurements *m, const char *device,
                                                const char *model, int tp,
                                                double flops_per_token)
{
    const tcb_measurement *best = NULL;
    for (int i = 0; i < m->n; i++) {
        const tcb_measurement *it = &m->items[i];
        if (strcmp(it->device, device) == 0 && strcmp(it->model, model) == 0 && it->tp == tp &&
            (best == NULL || it->seq > best->seq))
            best = it;
    }
    if (best != NULL)
        return best;
    double best_d = INFINITY;
    for (int i = 0; i < m->n; i++) {
        const tcb_measurement *it = &m->items[i];
        if (strcmp(it->device, device) != 0 || !(it->flops_per_token > 0))
            continue;
        double dist = fabs(log(it->flops_per_token / flops_per_token));
        if (dist < best_d) {
            best_d = dist;
            best = it;
        }
    }
    return best;
}
