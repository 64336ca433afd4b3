/* The "none" energy backend: measures nothing, always opens. A suite that
 * says `energy: none`, or an `auto` that found no counters, still runs, and
 * its records say that energy was not measured instead of leaving a reader
 * to guess. It keeps no state: *state is NULL. */
#include "energy.h"

#include <stddef.h>

static tcb_status none_open(const tcb_energy_config *cfg, void **state, tcb_diag *d)
{
    (void)cfg;
    (void)d;
    *state = NULL;
    return TCB_OK;
}

static tcb_status none_begin(void *state, tcb_diag *d)
{
    (void)state;
    (void)d;
    return TCB_OK;
}

static tcb_status none_end(void *state, tcb_energy_reading *out, int *n, tcb_diag *d)
{
    (void)state;
    (void)out;
    (void)d;
    *n = 0;
    return TCB_OK;
}

static void none_close(void *state)
{
    (void)state;
}

const tcb_energy_backend tcb_energy_none = {
    .name = "none",
    .summary = "measures nothing: records say energy was not measured",
    .open = none_open,
    .begin = none_begin,
    .end = none_end,
    .close = none_close,
};
