/* One cell of the cost table: one hardware training one generation under a
 * scenario. It turns the per-device MFU (measured at the generation's
 * per-device shapes, or assumed) into MFU at scale, by adding the cluster's
 * communication (from fitted measured collectives, or from the catalog's
 * bandwidths) and the pipeline bubble, then prices the run with
 * cost_model.h. docs/cost-model.md writes every step out. */
#ifndef TCB_PROJECTION_H
#define TCB_PROJECTION_H

#include "cost_model.h"
#include "fit.h"
#include "hardware.h"
#include "model.h"
#include "scenario.h"
#include "tcb_error.h"

/* What the projection knows of one hardware. Pointers may be NULL where the
 * figure is missing; ranges with mid <= 0 are "no price". */
typedef struct {
    double peak_flops;            /* dense peak for the training dtype, FLOP/s */
    tcb_range mfu;                /* per-device MFU at the generation's shapes */
    double power_w;               /* average power per device while training */
    double server_power_factor;
    double server_cost_factor;
    tcb_range rent_ondemand, rent_committed, price_usd;
    /* Communication: a fit of measured collectives wins over a bandwidth. */
    const tcb_fit *tp_fit, *dp_fit;  /* allreduce, node and cross scope */
    double scaleup_Bps;              /* per direction, bytes/s; 0 unknown */
    double scaleout_Bps;             /* per direction, bytes/s; 0 unknown */
} tcb_hw_inputs;

typedef struct {
    tcb_cost_step step;          /* per device, at the middle MFU */
    double tp_allreduce_bytes;   /* one tensor-parallel all-reduce */
    int tp_allreduces;           /* per step and device */
    double dp_allreduce_bytes;   /* the gradients of one device */
    bool comm_extrapolated;      /* a fit was used at another group size */
    tcb_range mfu_at_scale;
    tcb_cost_result ondemand;    /* usd_rent at on-demand prices */
    tcb_cost_result committed;   /* usd_rent at committed prices */
} tcb_projection;

/* The catalog's figures of dev (NULL: none) into hw: power (TDP x the
 * scenario's power_draw, flagged assumed by the caller: no energy is
 * measured), the server factors, rents, purchase price and the scale-up and
 * scale-out bandwidths per direction. peak_flops, mfu and the fits are left
 * as they were. */
void tcb_hw_inputs_from_catalog(const tcb_hw_device *dev, const tcb_scenario *s,
                                tcb_hw_inputs *hw);

/* Bytes on the wire: activations and gradients travel in bf16 (2 bytes),
 * as in the Llama 3 and Megatron-LM recipes the scenario follows. */
#define TCB_WIRE_BYTES 2.0

/* Projects the training of a generation with compute flops whose per-device
 * shapes are those of model m under the scenario's plan (tp shards, layers
 * split over pp stages). TCB_ERR_CONFIG with the reason in d when the plan
 * does not fit the model (tp not dividing its heads) or a needed figure is
 * missing (no peak, no communication figure for a parallel axis in use). */
tcb_status tcb_project(const tcb_hw_inputs *hw, const tcb_model *m, double flops,
                       const tcb_scenario *s, tcb_projection *out, tcb_diag *d);

#endif
