/* A workload's own per-iteration times: the device's clock (CUDA events) or
 * a part of the iteration, where the harness's time_s (the whole iteration,
 * slowest rank) is not the figure. A ring of the last cap samples, since the
 * harness may run more iterations (a time budget) than setup knew of. */
#ifndef TCB_SAMPLES_H
#define TCB_SAMPLES_H

#include "stats.h"
#include "tcb_error.h"

typedef struct {
    double *x;
    int n, cap; /* samples added since the last reset; ring size */
} tcb_samples;

/* Room for cap (>= 1) samples; TCB_ERR_RUNTIME when out of memory. */
tcb_status tcb_samples_init(tcb_samples *s, int cap);
void tcb_samples_free(tcb_samples *s);
void tcb_samples_add(tcb_samples *s, double seconds);
/* Forgets every sample: the check runs before the timed iterations. */
void tcb_samples_reset(tcb_samples *s);
/* Statistics of the last (up to cap) samples; zeros when there are none or
 * no memory to sort them in (a metric then reads null). */
void tcb_samples_stats(const tcb_samples *s, tcb_stats *out);

#endif
