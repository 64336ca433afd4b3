/* The cost model's formulas on hand-computed cases, and two calibrations
 * against published figures: Llama 3.1 405B's GPU-hours on H100, and the
 * published ownership method's price of an H100 device-hour. */
#include "cost_model.h"

#include <criterion/criterion.h>
#include <math.h>

static void expect_rel(double got, double want, double tol, const char *what)
{
    cr_expect(fabs(got - want) <= tol * fabs(want), "%s: got %.9g, want %.9g (tolerance %g)",
              what, got, want, tol);
}

Test(cost_model, pipeline_bubble_is_1f1b)
{
    cr_expect_float_eq(tcb_cost_bubble(1, 8, 1), 0.0, 1e-15);
    cr_expect_float_eq(tcb_cost_bubble(16, 1, 1), 15.0 / 16.0, 1e-15);
    cr_expect_float_eq(tcb_cost_bubble(16, 15, 1), 0.5, 1e-15);  /* 15 / 30 */
    cr_expect_float_eq(tcb_cost_bubble(4, 32, 1), 3.0 / 35.0, 1e-15);
    /* interleaved, 4 virtual stages: the bubble time (p-1)/(v m) = 15/64 of
     * the ideal step, so 15 / (64 + 15) of the whole */
    cr_expect_float_eq(tcb_cost_bubble(16, 16, 4), 15.0 / 79.0, 1e-15);
}

Test(cost_model, step_time_and_mfu_at_scale)
{
    /* compute 1.0 s, tp 0.2 s, dp 0.5 s half hidden, bubble 0.2:
     * (1.0 + 0.2) / 0.8 + 0.5 x 0.5 = 1.5 + 0.25 = 1.75 s. */
    tcb_cost_step s = {.compute_s = 1.0, .tp_comm_s = 0.2, .dp_comm_s = 0.5,
                       .overlap = 0.5, .bubble = 0.2};
    cr_expect_float_eq(tcb_cost_step_seconds(&s), 1.75, 1e-12);
    /* a device at 60% MFU spends 1.0 of 1.75 s computing: 0.6 / 1.75 */
    cr_expect_float_eq(tcb_cost_mfu_at_scale(0.6, &s), 0.6 / 1.75, 1e-12);
    s.overlap = 1.0; /* fully hidden */
    cr_expect_float_eq(tcb_cost_step_seconds(&s), 1.5, 1e-12);
}

/* An H100 under the published ownership method (Epoch AI 2024;
 * shared/reference/published-figures.md). */
static tcb_cost_inputs h100(void)
{
    return (tcb_cost_inputs){
        .peak_flops = 989e12,            /* bf16 dense, Nvidia datasheet */
        .devices = 16384,
        .goodput = 1.0,
        .power_w = 700 * 0.75,           /* TDP x average draw in training */
        .server_power_factor = 1.82,
        .pue = 1.1,
        .usd_per_kwh = 0.08,
        .rent_usd_per_hour = {2.99, 11.06, 12.29},
        .price_usd = {31000, 33500, 36000},
        .server_cost_factor = 1.64,
        .interconnect_share = 0.19,
        .amortization_per_year = 0.322,
    };
}

Test(cost_model, ownership_device_hour_reproduces_the_published_method)
{
    tcb_cost_inputs in = h100();
    /* Hardware: 33,500 x 1.64 / 0.81 = 67,827.16 per device with its share of
     * server and network; x 0.322 a year / 8766 h = 2.491485 $/h.
     * Energy: 700 W x 0.75 x 1.82 x 1.1 = 1.051050 kW x $0.08 = 0.084084 $/h. */
    double hardware = 33500.0 * 1.64 / 0.81 * 0.322 / 8766.0;
    double energy = 0.700 * 0.75 * 1.82 * 1.1 * 0.08;
    expect_rel(hardware, 2.491485, 1e-6, "hand arithmetic, hardware");
    expect_rel(energy, 0.084084, 1e-6, "hand arithmetic, energy");
    expect_rel(tcb_cost_own_per_device_hour(33500, &in), 2.575569, 1e-6, "ownership $/h");
}

Test(cost_model, llama3_405b_gpu_hours_match_the_model_card)
{
    /* Llama 3 paper: ~3.8e25 FLOPs, BF16 MFU 41-43% on H100 (table 4), and
     * "higher than 90% effective training time" (section 3.3.4): goodput 0.9.
     * The model card gives 30.84M H100 GPU-hours. */
    tcb_cost_inputs in = h100();
    in.flops = 3.8e25;
    in.mfu = (tcb_range){0.41, 0.42, 0.43};
    in.goodput = 0.90;
    tcb_cost_result r;
    tcb_cost_project(&in, &r);
    const double card = 30.84e6;
    expect_rel(r.device_hours.low, card, 0.15, "hours at 43% MFU");
    expect_rel(r.device_hours.mid, card, 0.15, "hours at 42% MFU");
    expect_rel(r.device_hours.high, card, 0.15, "hours at 41% MFU");
    /* 3.8e25 / (0.42 x 989e12) / 0.9 / 3600 = 28.234M by hand */
    expect_rel(r.device_hours.mid, 3.8e25 / (0.42 * 989e12) / 0.9 / 3600, 1e-12, "formula");
    expect_rel(r.days.mid, r.device_hours.mid / 16384 / 24, 1e-12, "days");
}

Test(cost_model, ranges_are_ordered_and_follow_their_inputs)
{
    tcb_cost_inputs in = h100();
    in.flops = 1e24;
    in.mfu = (tcb_range){0.30, 0.40, 0.50};
    tcb_cost_result r;
    tcb_cost_project(&in, &r);
    const tcb_range *all[] = {&r.device_hours, &r.days, &r.mwh, &r.usd_rent, &r.usd_own};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        cr_expect(all[i]->low <= all[i]->mid && all[i]->mid <= all[i]->high, "range %zu", i);
    /* the cheapest rental: the most efficient run at the cheapest provider */
    expect_rel(r.usd_rent.low, r.device_hours.low * 2.99, 1e-12, "low rent");
    expect_rel(r.usd_rent.high, r.device_hours.high * 12.29, 1e-12, "high rent");
    /* energy: device-hours x 525 W x 1.82 x 1.1 */
    expect_rel(r.mwh.mid, r.device_hours.mid * 0.525 * 1.82 * 1.1 / 1000, 1e-12, "MWh");
}

Test(cost_model, a_price_scenario_changes_dollars_and_nothing_else)
{
    tcb_cost_inputs a = h100(), b = h100();
    a.flops = b.flops = 5e24;
    a.mfu = b.mfu = (tcb_range){0.35, 0.4, 0.45};
    b.rent_usd_per_hour = (tcb_range){5, 6, 7};
    b.price_usd = (tcb_range){40000, 45000, 50000};
    tcb_cost_result ra, rb;
    tcb_cost_project(&a, &ra);
    tcb_cost_project(&b, &rb);
    cr_expect_arr_eq(&ra.device_hours, &rb.device_hours, sizeof ra.device_hours);
    cr_expect_arr_eq(&ra.days, &rb.days, sizeof ra.days);
    cr_expect_arr_eq(&ra.mwh, &rb.mwh, sizeof ra.mwh);
    cr_expect(ra.usd_rent.mid != rb.usd_rent.mid);
    cr_expect(ra.usd_own.mid != rb.usd_own.mid);
}

Test(cost_model, a_tenth_of_the_compute_costs_a_tenth)
{
    /* Same hardware, same MFU: generation N-1 at C/10 and N-2 at C/100. */
    tcb_cost_inputs n = h100();
    n.flops = 4.1e25;
    n.mfu = tcb_range_exact(0.4);
    tcb_cost_inputs n1 = n, n2 = n;
    n1.flops = n.flops / 10;
    n2.flops = n.flops / 100;
    tcb_cost_result r, r1, r2;
    tcb_cost_project(&n, &r);
    tcb_cost_project(&n1, &r1);
    tcb_cost_project(&n2, &r2);
    expect_rel(r1.usd_rent.mid, r.usd_rent.mid / 10, 1e-12, "N-1 rent");
    expect_rel(r2.usd_own.mid, r.usd_own.mid / 100, 1e-12, "N-2 ownership");
    expect_rel(r2.mwh.mid, r.mwh.mid / 100, 1e-12, "N-2 energy");
}

Test(cost_model, no_prices_no_dollars)
{
    tcb_cost_inputs in = h100();
    in.flops = 1e23;
    in.mfu = tcb_range_exact(0.5);
    in.rent_usd_per_hour = (tcb_range){0, 0, 0};
    in.price_usd = (tcb_range){0, 0, 0};
    tcb_cost_result r;
    tcb_cost_project(&in, &r);
    cr_expect_float_eq(r.usd_rent.mid, 0.0, 0);
    cr_expect_float_eq(r.usd_own.high, 0.0, 0);
    cr_expect(r.device_hours.mid > 0);
}
