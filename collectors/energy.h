/* Energy backends: how many joules a window of time took, and how far to
 * trust the number.
 *
 * A backend is one file that fills one tcb_energy_backend table (rapl,
 * nvml, amdsmi, none); the run loop opens the backends a suite asks for,
 * brackets each case's timed iterations with begin and end, and never learns
 * a backend's name beyond printing it. docs/energy.md says what each one
 * measures and its limits.
 *
 * A reading is labelled with how it was measured (a hardware energy counter,
 * or power samples integrated over the window), what it covers (a GPU, a
 * whole module, a CPU package, its DRAM) and which device. A reading that
 * cannot be trusted (the counter went backwards, the window was shorter than
 * the counter's update period, the counter is not supported) is flagged
 * invalid with the reason, never reported as a number. */
#ifndef TCB_ENERGY_H
#define TCB_ENERGY_H

#include "tcb_error.h"

#include <stdbool.h>

typedef enum {
    TCB_ENERGY_COUNTER,        /* a cumulative energy counter read at both ends */
    TCB_ENERGY_POWER_SAMPLING, /* instantaneous power sampled and integrated */
} tcb_energy_method;

typedef enum {
    TCB_ENERGY_GPU,         /* the GPU chip (and its memory, as the vendor counts it) */
    TCB_ENERGY_MODULE,      /* a whole accelerator module or board */
    TCB_ENERGY_CPU_PACKAGE, /* a CPU socket's package domain */
    TCB_ENERGY_DRAM,        /* the DRAM domain of a socket */
} tcb_energy_scope;

/* "counter", "power-sampling"; "gpu", "module", "cpu-package", "dram". */
const char *tcb_energy_method_name(tcb_energy_method m);
const char *tcb_energy_scope_name(tcb_energy_scope s);

/* What a backend's window measured, one per domain or device it reads. */
typedef struct {
    char device[64];          /* "package-0", "package-0/dram", "GPU 0 NVIDIA H200" */
    tcb_energy_method method;
    tcb_energy_scope scope;
    bool node_level;          /* the whole node's, not one rank's device: one rank
                               * per node reads it, so it is counted once */
    bool valid;
    double joules;            /* valid only */
    char flag[160];           /* why it is invalid, or a caveat on a valid one; "" */
} tcb_energy_reading;

/* Where backends look; every path and name can be pointed at fixtures. */
typedef struct {
    const char *powercap_root;  /* rapl: default "/sys/class/powercap" */
    const char *nvml_library;   /* nvml: default "libnvidia-ml.so.1" */
    const char *amdsmi_library; /* amdsmi: default "libamd_smi.so", then
                                 * "librocm_smi64.so.1" when NULL */
    int device;                 /* the accelerator this rank owns (its index as the
                                 * vendor library numbers them); -1: none */
    const char *pci_bus_id;     /* that accelerator's PCI bus id ("0000:19:00.0")
                                 * where the compute side knows it (NULL: use
                                 * device). Preferred: CUDA_VISIBLE_DEVICES
                                 * renumbers CUDA's devices, not NVML's */
    bool node_reader;           /* this rank reads the node-level counters */
    double sample_period_s;     /* power sampling: seconds between samples (> 0) */
    bool nvml_power_sampling;   /* nvml: integrate sampled power even where the GPU
                                 * has the energy counter (to check one against
                                 * the other) */
} tcb_energy_config;

#define TCB_ENERGY_MAX_READINGS 16

/* One backend. Every function returns TCB_OK or an error with d saying why;
 * a backend that does not work here (no library, no device, no permission)
 * fails open with TCB_ERR_CONFIG and a message that says what to do, and
 * `energy: auto` moves on to the next. */
typedef struct {
    const char *name; /* "rapl", "nvml", "amdsmi", "none" */
    const char *summary; /* one line for `tcbench list` */
    /* It reads the node's counters (rapl): the run loop opens it on each
     * node's reader alone. Otherwise it reads this rank's device, or nothing. */
    bool node_level;
    tcb_status (*open)(const tcb_energy_config *cfg, void **state, tcb_diag *d);
    /* Starts a window: reads the counters, or starts sampling. */
    tcb_status (*begin)(void *state, tcb_diag *d);
    /* Ends the window begun last: at most TCB_ENERGY_MAX_READINGS readings
     * into out, their number into *n (0 is fine: nothing on this rank). */
    tcb_status (*end)(void *state, tcb_energy_reading *out, int *n, tcb_diag *d);
    void (*close)(void *state);
} tcb_energy_backend;

extern const tcb_energy_backend tcb_energy_rapl;
extern const tcb_energy_backend tcb_energy_nvml;
extern const tcb_energy_backend tcb_energy_amdsmi;
extern const tcb_energy_backend tcb_energy_none;

/* Every backend, in the order `energy: auto` tries them; NULL ends it. */
extern const tcb_energy_backend *const tcb_energy_backends[];

/* The backend of that name, or NULL. */
const tcb_energy_backend *tcb_energy_find(const char *name);

/* Joules between two readings of a cumulative counter that wraps at
 * max_range (its largest value + 1; 0: it does not wrap): after - before,
 * plus max_range when it wrapped. *valid false (and 0 returned) when the
 * counter went backwards without a known range. */
double tcb_energy_counter_delta(double before, double after, double max_range, bool *valid);

#endif
