/* How fast the cost model evaluates: 10,000 projections (hardware x
 * generation x scenario points) of llama3.1-405b-sized training on the
 * default scenario, with the cluster plan varied so that no two are alike.
 * The goal (issue 4): under one second for the 10,000. docs/benchmarks.md
 * has the figures. Usage: tcbench-bench-cost [POINTS] */
#include "projection.h"
#include "timer.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int points = argc > 1 ? atoi(argv[1]) : 10000;
    tcb_diag d = {{0}};
    tcb_model m;
    tcb_scenario s;
    if (tcb_model_load("llama3.1-405b", &m, &d) != TCB_OK ||
        tcb_scenario_load(NULL, &s, &d) != TCB_OK) {
        fprintf(stderr, "%s\n", d.msg);
        return 2;
    }
    tcb_hw_inputs hw = {.peak_flops = 989e12, .mfu = {0.35, 0.4, 0.45}, .power_w = 525,
                        .server_power_factor = 1.82, .server_cost_factor = 1.64,
                        .rent_ondemand = {2.99, 11.06, 12.29}, .price_usd = {31e3, 33.5e3, 36e3},
                        .scaleup_Bps = 450e9, .scaleout_Bps = 50e9};
    const int dps[] = {16, 32, 64, 128};
    double sink = 0, t0 = tcb_now();
    for (int i = 0; i < points; i++) {
        s.dp = dps[i % 4];
        s.devices = s.tp * s.pp * s.dp * s.cp;
        s.batch_tokens = (double)s.seq * s.dp * s.microbatches;
        hw.peak_flops = 900e12 + i; /* a different hardware each time */
        tcb_projection p;
        if (tcb_project(&hw, &m, 4e25 / (1 + i % 3 * 9), &s, &p, &d) != TCB_OK) {
            fprintf(stderr, "%s\n", d.msg);
            return 1;
        }
        sink += p.ondemand.usd_rent.mid;
    }
    double dt = tcb_now() - t0;
    printf("%d projections in %.4f s: %.1f us each (checksum %.6g)\n", points, dt,
           dt / points * 1e6, sink);
    return 0;
}
