/* The energy backend registry, the names a record prints, and the counter
 * arithmetic every counter backend shares. A backend lives in its own file
 * (energy_rapl.c, energy_nvml.c, ...); adding one is that file plus one line
 * in tcb_energy_backends. */
#include "energy.h"

#include <stddef.h>
#include <string.h>

const char *tcb_energy_method_name(tcb_energy_method m)
{
    switch (m) {
    case TCB_ENERGY_COUNTER: return "counter";
    case TCB_ENERGY_POWER_SAMPLING: return "power-sampling";
    }
    /* Not reached with a valid enum; a record should still print something. */
    return "unknown";
}

const char *tcb_energy_scope_name(tcb_energy_scope s)
{
    switch (s) {
    case TCB_ENERGY_GPU: return "gpu";
    case TCB_ENERGY_MODULE: return "module";
    case TCB_ENERGY_CPU_PACKAGE: return "cpu-package";
    case TCB_ENERGY_DRAM: return "dram";
    }
    return "unknown";
}

/* Accelerators first: on a GPU node the accelerator counters are what a
 * benchmark case's energy is about, and RAPL only sees the host. none last,
 * so `auto` always ends with a backend that opens. */
const tcb_energy_backend *const tcb_energy_backends[] = {
    &tcb_energy_nvml,
    &tcb_energy_amdsmi,
    &tcb_energy_rapl,
    &tcb_energy_none,
    NULL,
};

const tcb_energy_backend *tcb_energy_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; tcb_energy_backends[i] != NULL; i++)
        if (strcmp(tcb_energy_backends[i]->name, name) == 0)
            return tcb_energy_backends[i];
    return NULL;
}

/* A result below zero can only come from a reading outside [0, max_range):
 * the range is wrong for this counter, so no number from it is believed. */
double tcb_energy_counter_delta(double before, double after, double max_range, bool *valid)
{
    double delta = after - before;
    if (delta < 0) {
        if (max_range <= 0) {
            *valid = false;
            return 0;
        }
        delta += max_range;
    }
    if (delta < 0) {
        *valid = false;
        return 0;
    }
    *valid = true;
    return delta;
}
