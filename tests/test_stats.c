#include "stats.h"

#include <criterion/criterion.h>
#include <math.h>

Test(stats, twenty_samples_in_any_order)
{
    double s[20];
    for (int i = 0; i < 20; i++)
        s[i] = (double)((i * 7) % 20 + 1); /* 1..20, shuffled */
    tcb_stats t;
    tcb_stats_compute(s, 20, &t);
    cr_assert_eq(t.n, 20);
    cr_assert_float_eq(t.min, 1.0, 1e-12);
    cr_assert_float_eq(t.max, 20.0, 1e-12);
    cr_assert_float_eq(t.mean, 10.5, 1e-12);
    cr_assert_float_eq(t.median, 10.5, 1e-12);      /* mean of the middle two */
    cr_assert_float_eq(t.p95, 19.05, 1e-12);        /* 19 + 0.05 x (20 - 19) */
    cr_assert_float_eq(t.stddev, sqrt(35.0), 1e-12); /* sample stddev of 1..20 */
}

Test(stats, odd_count_median_is_the_middle)
{
    double s[] = {5e-6, 1e-6, 3e-6, 2e-6, 100e-6};
    tcb_stats t;
    tcb_stats_compute(s, 5, &t);
    cr_assert_float_eq(t.median, 3e-6, 1e-18);
    cr_assert_float_eq(t.max, 100e-6, 1e-18);
    cr_assert_float_eq(t.p95, 5e-6 + 0.8 * 95e-6, 1e-15); /* index 3.8 */
}

Test(stats, one_sample_has_no_spread)
{
    double s[] = {0.25};
    tcb_stats t;
    tcb_stats_compute(s, 1, &t);
    cr_assert_float_eq(t.min, 0.25, 0);
    cr_assert_float_eq(t.median, 0.25, 0);
    cr_assert_float_eq(t.p95, 0.25, 0);
    cr_assert_float_eq(t.stddev, 0.0, 0);
}
