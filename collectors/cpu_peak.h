/* The dense fp32 peak of the CPU cores a rank computes on, for MFU: taken
 * from the hardware catalog when the CPU model is listed there, otherwise
 * derived as cores x clock x FLOPs per cycle of the widest vector unit the
 * CPU reports, and flagged as derived. docs/hardware.md has the method. */
#ifndef TCB_CPU_PEAK_H
#define TCB_CPU_PEAK_H

#include "compute.h"

/* What the derivation starts from (read from the machine, or given by tests). */
typedef struct {
    char model[128];      /* /proc/cpuinfo "model name" */
    double ghz;           /* highest sustained clock known (cpufreq max, else cpuinfo MHz) */
    bool avx512f, avx2, fma, avx, neon;
} tcb_cpu_features;

/* Reads this machine's CPU model, clock and vector features. */
void tcb_cpu_features_read(tcb_cpu_features *out);

/* Fills out (name, peak_tflops_f32, peak_source, memory_bytes) for `threads`
 * cores of a CPU with features f: the catalog's figure where f->model is in
 * it, else the derivation, with the arithmetic spelled out in peak_source
 * ("derived: 2 cores x 2.45 GHz x 32 FP32 FLOP/cycle (AVX2, 2 FMA units
 * assumed)"). */
void tcb_cpu_describe(const tcb_cpu_features *f, int threads, tcb_device_info *out);

/* The size in bytes of one instance of this machine's last-level CPU cache
 * (an L3 per package or per CCX, say): from hwloc, else sysconf, else 0
 * (unknown). *instances (may be NULL) gets how many such caches the machine
 * has (1 where only sysconf knows). Where the figure came from goes into
 * source (n bytes; may be NULL): "hwloc: 1 x L3 cache of 33554432 bytes".
 * Probed once per process; thread-safe. */
size_t tcb_cpu_llc_bytes(int *instances, char *source, int n);

#endif
