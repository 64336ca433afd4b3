/* The run loop's energy meter: the energy backends a suite asks for, opened
 * on every rank, a window around each case's timed iterations, and the
 * readings of every rank summed into the record's `energy` object.
 *
 * Who reads what: per-device counters (a GPU) are read by the rank that owns
 * the device, the rank's local rank on its node; node-level counters (CPU
 * packages, their DRAM) by the node's local rank 0 alone, so a node's
 * package is counted once however many ranks share it. docs/energy.md. */
#ifndef TCB_ENERGY_METER_H
#define TCB_ENERGY_METER_H

#include "energy.h"
#include "suite.h"
#include "world.h"

#include <jansson.h>

typedef struct tcb_energy_meter tcb_energy_meter;

/* Collective. Opens the suite's energy backends on every rank: with
 * `energy: auto` each backend but none, keeping those that open (none when
 * no rank opened any); with a list, each listed one, and a backend that
 * fails to open on any rank is a configuration error (TCB_ERR_CONFIG on
 * every rank; the first failed rank has logged why). On success rank 0's
 * *tried (a new reference; NULL elsewhere) says, per backend tried, on how
 * many ranks it opened and why it failed where it did.
 *
 * Node-level backends are opened on each node's local rank 0 alone; the
 * others on every rank, for the device numbered by its local rank. Where
 * they look comes from the environment, defaults where unset:
 * TCBENCH_POWERCAP_ROOT, TCBENCH_NVML_LIBRARY, TCBENCH_AMDSMI_LIBRARY,
 * TCBENCH_NVML_METHOD (counter, the default where the GPU has one, or
 * power-sampling) and TCBENCH_ENERGY_SAMPLE_S (power sampling period,
 * seconds); a value that is none of these is a configuration error. */
tcb_status tcb_energy_meter_open(const tcb_world *w, const tcb_suite *suite,
                                 tcb_energy_meter **out, json_t **tried);

/* Whether any rank measures anything (the same on every rank): where none
 * does, the run loop opens no window and adds no synchronization. */
bool tcb_energy_meter_measures(const tcb_energy_meter *m);

/* This rank's window: begin right before the first timed iteration, end
 * right after the last (each after the device has finished its work). A
 * backend that fails here gives an invalid reading saying why, never a
 * failed case. */
void tcb_energy_meter_begin(tcb_energy_meter *m);
void tcb_energy_meter_end(tcb_energy_meter *m);

/* Collective. Gathers every rank's readings of the last window to rank 0,
 * which sets rec["energy"] and the energy metrics (tcb_energy_record_set).
 * rec is rank 0's record (NULL elsewhere). */
tcb_status tcb_energy_meter_record(tcb_energy_meter *m, const tcb_world *w, json_t *rec);

/* rec["energy"] for a case whose timed part did not run: not measured, why. */
void tcb_energy_meter_not_measured(const tcb_energy_meter *m, json_t *rec, const char *why);

/* Rank 0: one line for the run's header, "rapl on 1 rank, nvml on 2 ranks"
 * or "not measured: why". */
void tcb_energy_meter_describe(const tcb_energy_meter *m, char *buf, size_t n);

/* Closes every backend; NULL-safe. */
void tcb_energy_meter_close(tcb_energy_meter *m);

#endif
