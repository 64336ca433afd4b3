/* One cell of the cost table (reports/projection.c) on a hand-computed
 * plan: llama3-8b on 64 devices, TP8 PP2 DP4, 4 micro-batches of 2
 * sequences of 8192 tokens per replica. */
#include "projection.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

static void expect_rel(double got, double want, double tol, const char *what)
{
    cr_expect(fabs(got - want) <= tol * fabs(want), "%s: got %.9g, want %.9g", what, got, want);
}

typedef struct {
    tcb_model m;
    tcb_scenario s;
    tcb_hw_inputs hw;
} fixture;

static void setup(fixture *f)
{
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_model_load("llama3-8b", &f->m, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(tcb_scenario_load(NULL, &f->s, &d), TCB_OK, "%s", d.msg);
    f->s.devices = 64;
    f->s.tp = 8;
    f->s.pp = 2;
    f->s.dp = 4;
    f->s.cp = 1;
    f->s.microbatches = 4;
    f->s.virtual_stages = 1; /* plain 1F1B */
    f->s.seq = 8192;
    f->s.batch_tokens = 262144; /* 8192 x 4 replicas x 4 micro-batches x 2 sequences */
    f->hw = (tcb_hw_inputs){
        .peak_flops = 989e12,
        .mfu = {0.4, 0.5, 0.6},
        .power_w = 525,
        .server_power_factor = 1.82,
        .server_cost_factor = 1.64,
        .rent_ondemand = {2.99, 11.06, 12.29},
        .rent_committed = {2, 3, 4},
        .price_usd = {31000, 33500, 36000},
        .scaleup_Bps = 450e9,  /* 900 GB/s both ways */
        .scaleout_Bps = 50e9,  /* 400 Gb/s */
    };
}

Test(projection, hand_computed_step_at_scale)
{
    fixture f;
    setup(&f);
    tcb_projection p;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_project(&f.hw, &f.m, 1e24, &f.s, &p, &d), TCB_OK, "%s", d.msg);

    /* compute: 57,912,852,480 FLOPs/token (models.md) x 262,144 tokens / 64
     * devices / (989e12 x 0.5) */
    double compute = 57912852480.0 * 262144 / 64 / (989e12 * 0.5);
    expect_rel(p.step.compute_s, compute, 1e-12, "compute");
    /* tp: 16,384 tokens per micro-batch x 4096 x 2 bytes, 4 x 16 layers x 4 */
    expect_rel(p.tp_allreduce_bytes, 134217728.0, 1e-15, "tp bytes");
    cr_expect_eq(p.tp_allreduces, 256);
    double tp = 256 * (2.0 * 7 / 8) * 134217728.0 / 450e9;
    expect_rel(p.step.tp_comm_s, tp, 1e-12, "tp time");
    /* dp: the tp-8 shard's parameters over 2 stages, bf16, ring over 4 */
    tcb_shard sh;
    cr_assert_eq(tcb_model_shard(&f.m, 0, 8, &sh, &d), TCB_OK);
    double dp = (2.0 * 3 / 4) * ((double)sh.n_params / 2 * 2) / 50e9;
    expect_rel(p.step.dp_comm_s, dp, 1e-12, "dp time");
    expect_rel(p.step.bubble, 0.2, 1e-15, "bubble 1/(4+1)");
    double step = (compute + tp) / 0.8 + 0.5 * dp; /* overlap 0.5 in the scenario */
    expect_rel(p.mfu_at_scale.mid, 0.5 * compute / step, 1e-12, "MFU at scale");
    cr_expect(p.mfu_at_scale.low < p.mfu_at_scale.mid && p.mfu_at_scale.mid < p.mfu_at_scale.high);
    cr_expect(p.mfu_at_scale.high < 0.6);
    cr_expect_not(p.comm_extrapolated);
}

Test(projection, a_measured_fit_wins_over_the_catalog_bandwidth)
{
    fixture f;
    setup(&f);
    tcb_fit fit = {.group_ranks = 8, .alpha_s = 1e-5, .beta_Bps = 1e11, .points = 10, .sizes = 10};
    strcpy(fit.collective, "allreduce");
    strcpy(fit.scope, "node");
    f.hw.tp_fit = &fit;
    tcb_projection p;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_project(&f.hw, &f.m, 1e24, &f.s, &p, &d), TCB_OK, "%s", d.msg);
    expect_rel(p.step.tp_comm_s, 256 * (1e-5 + 134217728.0 / 1e11), 1e-12, "fitted tp");
    cr_expect_not(p.comm_extrapolated, "measured at the plan's 8 devices");
    f.s.tp = 4;
    f.s.dp = 8;
    f.s.batch_tokens = 524288;
    cr_assert_eq(tcb_project(&f.hw, &f.m, 1e24, &f.s, &p, &d), TCB_OK, "%s", d.msg);
    cr_expect(p.comm_extrapolated, "fit at 8, used at 4");
}

Test(projection, a_parallel_axis_without_any_figure_is_refused)
{
    fixture f;
    setup(&f);
    f.hw.scaleup_Bps = 0;
    tcb_projection p;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_project(&f.hw, &f.m, 1e24, &f.s, &p, &d), TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, "no figure for the tensor-parallel all-reduce over 8 devices: "
                            "neither a measured fit nor a catalog bandwidth");
    f.s.tp = 1;
    f.s.dp = 32;
    f.s.batch_tokens = 8192.0 * 32 * 4;
    cr_expect_eq(tcb_project(&f.hw, &f.m, 1e24, &f.s, &p, &d), TCB_OK, "tp 1 needs none: %s",
                 d.msg);
}

Test(projection, rental_terms_change_dollars_only)
{
    fixture f;
    setup(&f);
    tcb_projection p;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_project(&f.hw, &f.m, 1e24, &f.s, &p, &d), TCB_OK, "%s", d.msg);
    cr_expect_arr_eq(&p.ondemand.device_hours, &p.committed.device_hours,
                     sizeof p.ondemand.device_hours);
    cr_expect_arr_eq(&p.ondemand.mwh, &p.committed.mwh, sizeof p.ondemand.mwh);
    cr_expect_arr_eq(&p.ondemand.usd_own, &p.committed.usd_own, sizeof p.ondemand.usd_own);
    expect_rel(p.committed.usd_rent.mid, p.committed.device_hours.mid * 3, 1e-12, "committed");
    expect_rel(p.ondemand.usd_rent.mid, p.ondemand.device_hours.mid * 11.06, 1e-12, "on demand");
}
