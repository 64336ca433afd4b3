/* Statistics of the timed iterations of one case. */
#ifndef TCB_STATS_H
#define TCB_STATS_H

/* Seconds per iteration, the slowest rank's time in each iteration. */
typedef struct {
    double min, median, mean, p95, max, stddev;
    int n;
} tcb_stats;

/* Fills *out from n samples (n >= 1); sorts samples in place. stddev is the
 * sample standard deviation (n - 1 in the denominator; 0 for one sample); p95
 * interpolates between order statistics (GSL's quantile_from_sorted_data). */
void tcb_stats_compute(double *samples, int n, tcb_stats *out);

#endif
