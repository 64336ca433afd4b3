/* The transformer measurements of one or more run directories, as the cost
 * model reads them: per case, the device, the shapes it ran at and its MFU
 * with the spread of its step times. */
#ifndef TCB_MEASUREMENTS_H
#define TCB_MEASUREMENTS_H

#include "cost_model.h"
#include "tcb_error.h"

typedef struct {
    char device[128];        /* the record's `device` */
    char model[64];          /* params.model */
    int layers, tp, seq, batch;
    double flops_per_token;  /* metrics.model_flops_per_token (per device) */
    tcb_range mfu;           /* metrics.mfu; low from time_s.p95, high from time_s.min */
    double peak_tflops;      /* metrics.peak_tflops */
    char peak_source[256];   /* sources.peak_tflops */
    char run_id[128];
    int case_index;
    /* Average power of one device while the case ran, from the record's
     * energy readings (docs/energy.md); 0 where energy was not measured
     * whole. power_source says which readings. */
    double device_watts;
    char power_source[256];
} tcb_measurement;

typedef struct {
    tcb_measurement *items;  /* owned; tcb_measurements_free frees */
    int n;
} tcb_measurements;

/* Reads every transformer record whose check is "ok" and whose MFU is a
 * number from RUN_DIR/results.jsonl of each of the n directories. Other
 * records are skipped. TCB_ERR_CONFIG with "FILE:LINE: why" in d for a line
 * that is not a result record, "DIR: cannot read results.jsonl: why" for a
 * missing file. */
tcb_status tcb_measurements_load(const char *const *run_dirs, int n, tcb_measurements *out,
                                 tcb_diag *d);
void tcb_measurements_free(tcb_measurements *m);

/* The measurement on `device` closest to the per-device shapes of `model`
 * at tensor-parallel degree tp: a case of that model and tp (any layer
 * slice: a slice's MFU stands for its stage's; the longest sequence wins),
 * else the case whose per-device FLOPs per token are nearest (by ratio) to
 * flops_per_token. NULL when nothing ran on that device. */
const tcb_measurement *tcb_measurements_nearest(const tcb_measurements *m, const char *device,
                                                const char *model, int tp,
                                                double flops_per_token);

#endif
