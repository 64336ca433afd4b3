/* The cost model's arithmetic (DESIGN.md, "Cost"): from a per-device
 * efficiency, a cluster plan and prices to device-hours, days, megawatt-hours
 * and dollars, each as a range (low, mid, high) that follows the spread of
 * its inputs. Pure functions of their arguments: the measured, catalog and
 * assumed inputs are gathered elsewhere, with their provenance, and passed in
 * here. docs/cost-model.md writes every formula out with its source. */
#ifndef TCB_COST_MODEL_H
#define TCB_COST_MODEL_H

/* A figure and the interval it is known to lie in (low <= mid <= high; all
 * three equal for an exact figure). */
typedef struct {
    double low, mid, high;
} tcb_range;

/* An exact figure as a range. */
static inline tcb_range tcb_range_exact(double v)
{
    return (tcb_range){v, v, v};
}

/* Hours in a year as the published ownership method counts them (365.25 d). */
#define TCB_HOURS_PER_YEAR 8766.0

/* ---- the cluster step ----------------------------------------------------- */

/* The 1F1B pipeline bubble: the idle fraction of a step with p stages, m
 * micro-batches and v virtual stages per device (interleaved 1F1B; v = 1 is
 * plain 1F1B): (p-1)/(v m + p-1) (Narayanan et al. 2021: the bubble time is
 * (p-1)/(v m) of the ideal step). 0 for p == 1. */
double tcb_cost_bubble(int stages, int microbatches, int virtual_stages);

/* One step of the cluster, per device, in seconds. */
typedef struct {
    double compute_s;   /* the device's own compute: measured, or FLOPs / (peak x MFU) */
    double tp_comm_s;   /* tensor-parallel collectives, on the critical path */
    double dp_comm_s;   /* data-parallel gradient reduction */
    double overlap;     /* the fraction of dp_comm_s hidden behind compute, [0, 1] */
    double bubble;      /* pipeline idle fraction, [0, 1) */
} tcb_cost_step;

/* The step's wall time: (compute + tp) / (1 - bubble) + (1 - overlap) x dp. */
double tcb_cost_step_seconds(const tcb_cost_step *s);

/* MFU at scale: the device's MFU scaled by the share of the step that is its
 * own compute, mfu x compute / step time. */
double tcb_cost_mfu_at_scale(double device_mfu, const tcb_cost_step *s);

/* ---- from compute to money ------------------------------------------------ */

/* What a projection needs besides the training compute. Ranges: a price
 * range over providers, a measured MFU's spread. */
typedef struct {
    double flops;               /* training compute C, FLOPs */
    tcb_range mfu;              /* MFU at scale, (0, 1] */
    double peak_flops;          /* dense peak of one device for the dtype, FLOP/s */
    int devices;                /* the cluster's size */
    double goodput;             /* useful share of the cluster's time (failures, restarts), (0, 1] */
    double power_w;             /* average power of one device while training, W */
    double server_power_factor; /* server power per device power (CPUs, NICs, fans) */
    double pue;                 /* facility power per IT power */
    double usd_per_kwh;
    tcb_range rent_usd_per_hour;  /* a device-hour rented; mid <= 0: no rental price */
    tcb_range price_usd;          /* a device bought; mid <= 0: no purchase price */
    double server_cost_factor;    /* server cost per device price */
    double interconnect_share;    /* cluster network's share of hardware cost, [0, 1) */
    double amortization_per_year; /* share of the hardware's value lost per year */
} tcb_cost_inputs;

typedef struct {
    tcb_range device_hours;     /* C / (MFU x peak) / goodput / 3600 */
    tcb_range days;             /* device_hours / devices / 24 */
    tcb_range mwh;              /* device_hours x power x server x PUE / 1e6 */
    tcb_range usd_rent;         /* device_hours x rent; all 0 without a rental price */
    tcb_range usd_own;          /* device_hours x ownership cost per device-hour */
    tcb_range usd_own_per_device_hour;
} tcb_cost_result;

/* The ownership cost of one device-hour (Epoch AI 2024): hardware
 * price x server factor / (1 - interconnect share) x amortization / 8766,
 * plus its energy, power x server factor x PUE x price per kWh. */
double tcb_cost_own_per_device_hour(double price_usd, const tcb_cost_inputs *in);

/* Projects in into *out. Every output range is computed from the inputs'
 * ranges at their ends (the low cost from the high MFU and the low prices). */
void tcb_cost_project(const tcb_cost_inputs *in, tcb_cost_result *out);

#endif
