/* The cost model against published training runs, through the path
 * `tcbench cost` takes for a catalog row: the shipped hardware catalog,
 * scenario, ladder and model zoo, into tcb_project. The scenario's per-device
 * MFU is calibrated on one published figure (Llama 3 paper, table 4, the
 * 16,384-GPU row); the other rows of that table are predictions the model
 * must get right without being told. docs/cost-model.md, "Calibration". */
#include "hardware.h"
#include "ladder.h"
#include "model.h"
#include "projection.h"
#include "scenario.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

static tcb_hardware cat;
static tcb_scenario scn;

static void load(void)
{
    tcb_diag d = {{0}};
    unsetenv("TCBENCH_HARDWARE");
    unsetenv("TCBENCH_SCENARIO");
    unsetenv("TCBENCH_LADDER");
    unsetenv("TCBENCH_MODELS");
    cr_assert_eq(tcb_hardware_load(NULL, &cat, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(tcb_scenario_load(NULL, &scn, &d), TCB_OK, "%s", d.msg);
}

static void unload(void)
{
    tcb_hardware_free(&cat);
}

TestSuite(calibration, .init = load, .fini = unload);

/* One catalog row's cell, as cost_cmd.c builds it: bf16 dense peak, the
 * scenario's assumed per-device MFU, the catalog's prices and bandwidths. */
static tcb_projection project(const char *hardware, const char *model, double flops,
                              const tcb_scenario *s)
{
    const tcb_hw_device *dev = tcb_hardware_find(&cat, hardware);
    cr_assert_not_null(dev, "%s is not in the catalog", hardware);
    const tcb_hw_figure *peak = tcb_hardware_peak(dev, "bf16");
    cr_assert_not_null(peak);
    tcb_hw_inputs hw = {.peak_flops = peak->value * 1e12,
                        .mfu = tcb_range_exact(s->f[TCB_SCN_ASSUMED_MFU].value)};
    tcb_hw_inputs_from_catalog(dev, s, &hw);
    tcb_model m;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_model_load(model, &m, &d), TCB_OK, "%s", d.msg);
    tcb_projection p;
    cr_assert_eq(tcb_project(&hw, &m, flops, s, &p, &d), TCB_OK, "%s", d.msg);
    return p;
}

Test(calibration, default_scenario_is_the_16k_row_of_llama3_table_4)
{
    cr_expect_eq(scn.devices, 16384);
    cr_expect_eq(scn.tp * scn.pp * scn.dp * scn.cp, 16384);
    cr_expect_eq(scn.tp, 8);
    cr_expect_eq(scn.pp, 16);
    cr_expect_eq(scn.seq, 8192);
    cr_expect(scn.f[TCB_SCN_ASSUMED_MFU].assumed, "the per-device MFU is flagged assumed");
}

Test(calibration, llama3_405b_on_h100_gives_table_4s_mfu_and_the_model_cards_hours)
{
    /* Llama 3 paper: about 3.8e25 FLOPs; 41% BF16 MFU on 16,384 H100 (table
     * 4); model card: 30.84M H100-80GB GPU-hours. Goodput 0.9 is the
     * scenario's, from the paper's "higher than 90% effective training time". */
    tcb_projection p = project("H100 SXM", "llama3.1-405b", 3.8e25, &scn);
    cr_log_info("16k H100: MFU at scale %.4f, %.4g device-hours, %.1f days", p.mfu_at_scale.mid,
                p.ondemand.device_hours.mid, p.ondemand.days.mid);
    cr_expect(fabs(p.mfu_at_scale.mid - 0.41) <= 0.01, "MFU at scale %.4f, table 4: 0.41",
              p.mfu_at_scale.mid);
    double card = 30.84e6;
    cr_expect(fabs(p.ondemand.device_hours.mid - card) <= 0.15 * card,
              "%.4g device-hours, model card 30.84M", p.ondemand.device_hours.mid);
    cr_expect(p.step.bubble > 0 && p.step.tp_comm_s > 0 && p.step.dp_comm_s > 0,
              "the cluster costs something: bubble %g, tp %g s, dp %g s", p.step.bubble,
              p.step.tp_comm_s, p.step.dp_comm_s);
}

Test(calibration, the_8k_row_of_table_4_is_predicted)
{
    /* Table 4, first row: 8,192 GPUs at TP8 CP1 PP16 DP64 and the same 16M
     * tokens a step (32 sequences per replica): 43% MFU. Nothing in the
     * scenario was fitted to it. Half the replicas do twice the micro-batches,
     * so the bubble shrinks and MFU at scale goes up. */
    tcb_scenario s8 = scn;
    s8.devices = 8192;
    s8.dp = 64;
    s8.microbatches = 32;
    tcb_projection p16 = project("H100 SXM", "llama3.1-405b", 3.8e25, &scn);
    tcb_projection p8 = project("H100 SXM", "llama3.1-405b", 3.8e25, &s8);
    cr_log_info("8k H100: MFU at scale %.4f predicted (table 4: 0.43)", p8.mfu_at_scale.mid);
    cr_expect(p8.mfu_at_scale.mid > p16.mfu_at_scale.mid, "8k %.4f above 16k %.4f",
              p8.mfu_at_scale.mid, p16.mfu_at_scale.mid);
    cr_expect(fabs(p8.mfu_at_scale.mid - 0.43) <= 0.10 * 0.43,
              "predicted %.4f, table 4: 0.43 (within 10%%)", p8.mfu_at_scale.mid);
}

Test(calibration, older_generations_cost_about_a_tenth_and_a_hundredth)
{
    /* The default ladder on fixed hardware. Dollars scale as compute over MFU
     * at scale; the smaller generations lose a little MFU to communication
     * (their layers are narrower for the same plan), so the ratios sit a
     * little above 1/10 and 1/100. */
    tcb_ladder lad;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_ladder_load(NULL, 0, &lad, &d), TCB_OK, "%s", d.msg);
    cr_assert_geq(lad.ngens, 3);
    tcb_projection p[3];
    for (int g = 0; g < 3; g++)
        p[g] = project("H100 SXM", lad.gens[g].shape_model, lad.gens[g].compute_flops, &scn);
    double usd0 = p[0].ondemand.usd_rent.mid;
    for (int g = 1; g < 3; g++) {
        double want = pow(0.1, g), ratio = p[g].ondemand.usd_rent.mid / usd0;
        cr_log_info("%s: %.4g of N's dollars", lad.gens[g].name, ratio);
        cr_expect(ratio >= want && ratio <= 1.25 * want, "%s costs %.4g of N, want about %g",
                  lad.gens[g].name, ratio, want);
        /* Exactly: the compute ratio times the MFU ratio, nothing else. */
        double exact = lad.gens[g].compute_flops / lad.gens[0].compute_flops *
                       p[0].mfu_at_scale.mid / p[g].mfu_at_scale.mid;
        cr_expect(fabs(ratio - exact) <= 1e-12 * exact, "%s: %.15g vs %.15g", lad.gens[g].name,
                  ratio, exact);
    }
    tcb_ladder_free(&lad);
}

Test(calibration, h100_ownership_device_hour_from_the_catalog)
{
    /* The published ownership method on the catalog's H100 figures: $33,500
     * (middle of $31-36k), 700 W TDP, server power factor 1.82. By hand in
     * tests/test_cost_model.c: $2.575569 per device-hour. */
    tcb_projection p = project("H100 SXM", "llama3.1-405b", 3.8e25, &scn);
    double per_hour = p.ondemand.usd_own.mid / p.ondemand.device_hours.mid;
    cr_expect(fabs(per_hour - 2.575569) <= 1e-6 * 2.575569, "$%.6f per device-hour", per_hour);
}

Test(calibration, a_price_scenario_changes_dollars_and_nothing_else)
{
    tcb_scenario dear = scn;
    dear.f[TCB_SCN_USD_PER_KWH].value = scn.f[TCB_SCN_USD_PER_KWH].value * 2;
    tcb_projection a = project("H100 SXM", "llama3.1-405b", 3.8e25, &scn);
    tcb_projection b = project("H100 SXM", "llama3.1-405b", 3.8e25, &dear);
    cr_expect_eq(a.ondemand.device_hours.mid, b.ondemand.device_hours.mid);
    cr_expect_eq(a.ondemand.days.mid, b.ondemand.days.mid);
    cr_expect_eq(a.ondemand.mwh.mid, b.ondemand.mwh.mid);
    cr_expect_eq(a.ondemand.usd_rent.mid, b.ondemand.usd_rent.mid, "rent has no electricity");
    cr_expect(b.ondemand.usd_own.mid > a.ondemand.usd_own.mid, "owning pays the electricity");
}
