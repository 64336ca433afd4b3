#include "stats.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

void tcb_stats_compute(double *samples, int n, tcb_stats *out)
{
    size_t len = (size_t)n;
    gsl_sort(samples, 1, len);
    out->n = n;
    out->min = samples[0];
    out->max = samples[len - 1];
    out->mean = gsl_stats_mean(samples, 1, len);
    out->median = gsl_stats_median_from_sorted_data(samples, 1, len);
    out->p95 = gsl_stats_quantile_from_sorted_data(samples, 1, len, 0.95);
    out->stddev = n > 1 ? gsl_stats_sd_m(samples, 1, len, out->mean) : 0.0;
}
