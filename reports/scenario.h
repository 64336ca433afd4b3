/* A cost scenario: the cluster a generation is trained on (its size and
 * parallelism plan) and the assumptions the cost model needs besides
 * measurements and catalog figures (overlap, goodput, facility and ownership
 * constants), each with its source and whether it is assumed. One YAML file;
 * reports/scenario.yaml is the default, docs/cost-model.md the format. */
#ifndef TCB_SCENARIO_H
#define TCB_SCENARIO_H

#include "tcb_error.h"

#include <stdbool.h>

/* One number of the scenario and where it comes from. */
typedef struct {
    double value;
    char source[400];  /* required */
    bool assumed;      /* a judgement, not a published figure: flagged in reports */
} tcb_scenario_figure;

/* The figures, in file order; TCB_SCN_COUNT of them, all required. */
enum {
    TCB_SCN_OVERLAP,           /* share of the gradient reduction hidden, [0, 1] */
    TCB_SCN_GOODPUT,           /* useful share of the cluster's time, (0, 1] */
    TCB_SCN_PUE,               /* facility power per IT power, >= 1 */
    TCB_SCN_USD_PER_KWH,       /* electricity price */
    TCB_SCN_POWER_DRAW,        /* average draw per TDP where power was not measured, (0, 1] */
    TCB_SCN_SERVER_POWER,      /* server power per device TDP, >= 1 */
    TCB_SCN_SERVER_COST,       /* server cost per device price, >= 1 */
    TCB_SCN_INTERCONNECT,      /* cluster network's share of hardware cost, [0, 1) */
    TCB_SCN_AMORTIZATION,      /* share of hardware value lost per year, (0, 1] */
    TCB_SCN_ASSUMED_MFU,       /* MFU where nothing was measured, (0, 1] */
    TCB_SCN_COUNT
};

/* The YAML keys of the figures, in the enum's order, then NULL. */
extern const char *const tcb_scenario_keys[TCB_SCN_COUNT + 1];

typedef struct {
    char name[64];
    char path[512];
    int devices;            /* tp * pp * dp * cp */
    int tp, pp, dp, cp;     /* the parallelism plan */
    int microbatches;       /* per pipeline flush (1F1B) */
    int virtual_stages;     /* interleaved 1F1B: model chunks per device; 1: plain */
    int seq;                /* sequence length T of training */
    double batch_tokens;    /* tokens per optimizer step, the whole cluster */
    char plan_source[400];
    tcb_scenario_figure f[TCB_SCN_COUNT];
} tcb_scenario;

/* The default scenario: $TCBENCH_SCENARIO if set and not empty, else
 * reports/scenario.yaml of the source tree. Static or the environment's. */
const char *tcb_scenario_default_path(void);

/* Reads the scenario at path (NULL: the default) into *out. TCB_ERR_CONFIG
 * with "FILE:LINE:COLUMN: what is wrong" in d for an unknown or missing key,
 * a figure without a source, a value out of its range, a plan whose
 * product is not `devices`, or a batch that does not fill every data-parallel
 * replica's micro-batches with whole sequences. */
tcb_status tcb_scenario_load(const char *path, tcb_scenario *out, tcb_diag *d);

#endif
