#include "cost_model.h"

double tcb_cost_bubble(int stages, int microbatches, int virtual_stages)
{
    if (stages <= 1)
        return 0.0;
    double ideal = (double)virtual_stages * microbatches;
    return (stages - 1) / (ideal + stages - 1);
}

double tcb_cost_step_seconds(const tcb_cost_step *s)
{
    return (s->compute_s + s->tp_comm_s) / (1.0 - s->bubble) + (1.0 - s->overlap) * s->dp_comm_s;
}

double tcb_cost_mfu_at_scale(double device_mfu, const tcb_cost_step *s)
{
    double step = tcb_cost_step_seconds(s);
    return step > 0 ? device_mfu * s->compute_s / step : 0.0;
}

/* Energy of one device-hour at the wall, kWh. */
static double kwh_per_device_hour(const tcb_cost_inputs *in)
{
    return in->power_w * in->server_power_factor * in->pue / 1000.0;
}

double tcb_cost_own_per_device_hour(double price_usd, const tcb_cost_inputs *in)
{
    double hardware = price_usd * in->server_cost_factor / (1.0 - in->interconnect_share);
    return hardware * in->amortization_per_year / TCB_HOURS_PER_YEAR +
           kwh_per_device_hour(in) * in->usd_per_kwh;
}

/* Device-hours at one MFU: compute over the delivered rate, over goodput. */
static double device_hours(const tcb_cost_inputs *in, double mfu)
{
    return in->flops / (mfu * in->peak_flops) / in->goodput / 3600.0;
}

void tcb_cost_project(const tcb_cost_inputs *in, tcb_cost_result *out)
{
    /* The most device-hours come from the lowest MFU. */
    tcb_range h = {device_hours(in, in->mfu.high), device_hours(in, in->mfu.mid),
                   device_hours(in, in->mfu.low)};
    double kwh = kwh_per_device_hour(in);
    out->device_hours = h;
    out->days = (tcb_range){h.low / in->devices / 24.0, h.mid / in->devices / 24.0,
                            h.high / in->devices / 24.0};
    out->mwh = (tcb_range){h.low * kwh / 1000.0, h.mid * kwh / 1000.0, h.high * kwh / 1000.0};

    const tcb_range *r = &in->rent_usd_per_hour;
    out->usd_rent = r->mid > 0 ? (tcb_range){h.low * r->low, h.mid * r->mid, h.high * r->high}
                               : (tcb_range){0, 0, 0};
    const tcb_range *p = &in->price_usd;
    if (p->mid > 0) {
        tcb_range per = {tcb_cost_own_per_device_hour(p->low, in),
                         tcb_cost_own_per_device_hour(p->mid, in),
                         tcb_cost_own_per_device_hour(p->high, in)};
        out->usd_own_per_device_hour = per;
        out->usd_own = (tcb_range){h.low * per.low, h.mid * per.mid, h.high * per.high};
    } else {
        out->usd_own_per_device_hour = (tcb_range){0, 0, 0};
        out->usd_own = (tcb_range){0, 0, 0};
    }
}
