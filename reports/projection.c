#include "projection.h"

#include <math.h>

/* One all-reduce of `bytes` over n devices: from the measured fit when there
 * is one, else a ring at the catalog bandwidth (2(n-1)/n of the data each
 * way; latency not counted, docs/cost-model.md). */
static tcb_status allreduce_s(const tcb_fit *fit, double Bps, double bytes, int n,
                              const char *axis, bool *extrapolated, double *t, tcb_diag *d)
{
    *t = 0;
    if (n <= 1)
        return TCB_OK;
    if (fit != NULL) {
        bool ex = false;
        TCB_CHECK(tcb_fit_allreduce_time(fit, bytes, n, t, &ex, d));
        *extrapolated = *extrapolated || ex;
        return TCB_OK;
    }
    if (Bps > 0) {
        *t = 2.0 * (n - 1) / n * bytes / Bps;
        return TCB_OK;
    }
    return tcb_diag_set(d, TCB_ERR_CONFIG,
                        "no figure for the %s all-reduce over %d devices: neither a measured "
                        "fit nor a catalog bandwidth",
                        axis, n);
}

static tcb_range catalog_range(const tcb_hw_device *dev, const char *key)
{
    const tcb_hw_figure *f = dev != NULL ? tcb_hardware_figure(dev, key) : NULL;
    tcb_range r = {0, 0, 0};
    if (f != NULL)
        r.mid = tcb_hardware_range(f, &r.low, &r.high);
    return r;
}

void tcb_hw_inputs_from_catalog(const tcb_hw_device *dev, const tcb_scenario *s,
                                tcb_hw_inputs *hw)
{
    hw->power_w = catalog_range(dev, "tdp_w").mid * s->f[TCB_SCN_POWER_DRAW].value;
    hw->server_power_factor = catalog_range(dev, "server_power_factor").mid;
    hw->server_cost_factor = catalog_range(dev, "server_cost_factor").mid;
    hw->rent_ondemand = catalog_range(dev, "cloud_ondemand_usd_per_hour");
    hw->rent_committed = catalog_range(dev, "cloud_committed_usd_per_hour");
    hw->price_usd = catalog_range(dev, "price_usd");
    /* scaleup_gbps counts both directions (NVLink's 900 GB/s is 450 each
     * way); scale-out is quoted in Gbit/s per direction. */
    hw->scaleup_Bps = catalog_range(dev, "scaleup_gbps").mid * 1e9 / 2;
    hw->scaleout_Bps = catalog_range(dev, "scaleout_gbitps").mid * 1e9 / 8;
}

/* The step at one per-device MFU: compute from it, communication as given. */
static tcb_cost_step step_at(const tcb_cost_step *comm, double flops_per_device_step,
                             double peak, double mfu)
{
    tcb_cost_step s = *comm;
    s.compute_s = flops_per_device_step / (peak * mfu);
    return s;
}

tcb_status tcb_project(const tcb_hw_inputs *hw, const tcb_model *m, double flops,
                       const tcb_scenario *s, tcb_projection *out, tcb_diag *d)
{
    *out = (tcb_projection){0};
    if (!(hw->peak_flops > 0))
        return tcb_diag_set(d, TCB_ERR_CONFIG, "no dense peak for the training dtype");
    if (!(hw->mfu.low > 0 && hw->mfu.low <= hw->mfu.mid && hw->mfu.mid <= hw->mfu.high))
        return tcb_diag_set(d, TCB_ERR_CONFIG, "the per-device MFU range is not ordered");

    tcb_shard whole, dev;
    TCB_CHECK(tcb_model_shard(m, 0, 1, &whole, d));
    TCB_CHECK(tcb_model_shard(m, 0, s->tp, &dev, d));
    int stage_layers = (m->layers + s->pp - 1) / s->pp;

    /* The model's FLOPs of one step, spread evenly over every device. */
    double per_device = tcb_shard_flops_per_token(&whole, s->seq) * s->batch_tokens / s->devices;

    /* Tensor parallel: an all-reduce of a micro-batch's activations after
     * attention and after the FFN, forward and backward, in every layer of
     * the stage, for every micro-batch. */
    double micro_tokens = s->batch_tokens / ((double)s->dp * s->microbatches * s->cp);
    out->tp_allreduce_bytes = micro_tokens * m->width * TCB_WIRE_BYTES;
    out->tp_allreduces = 4 * stage_layers * s->microbatches;
    double one_tp = 0;
    TCB_CHECK(allreduce_s(hw->tp_fit, hw->scaleup_Bps, out->tp_allreduce_bytes, s->tp,
                          "tensor-parallel", &out->comm_extrapolated, &one_tp, d));

    /* Data parallel: the stage's share of the device's gradients, once a step. */
    out->dp_allreduce_bytes = (double)dev.n_params / s->pp * TCB_WIRE_BYTES;
    double dp = 0;
    TCB_CHECK(allreduce_s(hw->dp_fit, hw->scaleout_Bps, out->dp_allreduce_bytes, s->dp,
                          "data-parallel", &out->comm_extrapolated, &dp, d));

    tcb_cost_step comm = {
        .tp_comm_s = one_tp * out->tp_allreduces,
        .dp_comm_s = dp,
        .overlap = s->f[TCB_SCN_OVERLAP].value,
        .bubble = tcb_cost_bubble(s->pp, s->microbatches, s->virtual_stages),
    };
    const double mfus[3] = {hw->mfu.low, hw->mfu.mid, hw->mfu.high};
    double at_scale[3];
    for (int i = 0; i < 3; i++) {
        tcb_cost_step st = step_at(&comm, per_device, hw->peak_flops, mfus[i]);
        at_scale[i] = tcb_cost_mfu_at_scale(mfus[i], &st);
        if (i == 1)
            out->step = st;
    }
    out->mfu_at_scale = (tcb_range){at_scale[0], at_scale[1], at_scale[2]};

    tcb_cost_inputs in = {
        .flops = flops,
        .mfu = out->mfu_at_scale,
        .peak_flops = hw->peak_flops,
        .devices = s->devices,
        .goodput = s->f[TCB_SCN_GOODPUT].value,
        .power_w = hw->power_w,
        .server_power_factor = hw->server_power_factor > 0 ? hw->server_power_factor
                                                           : s->f[TCB_SCN_SERVER_POWER].value,
        .pue = s->f[TCB_SCN_PUE].value,
        .usd_per_kwh = s->f[TCB_SCN_USD_PER_KWH].value,
        .rent_usd_per_hour = hw->rent_ondemand,
        .price_usd = hw->price_usd,
        .server_cost_factor = hw->server_cost_factor > 0 ? hw->server_cost_factor
                                                         : s->f[TCB_SCN_SERVER_COST].value,
        .interconnect_share = s->f[TCB_SCN_INTERCONNECT].value,
        .amortization_per_year = s->f[TCB_SCN_AMORTIZATION].value,
    };
    tcb_cost_project(&in, &out->ondemand);
    in.rent_usd_per_hour = hw->rent_committed;
    tcb_cost_project(&in, &out->committed);
    return TCB_OK;
}
