/* The CPU's dense fp32 peak and last-level cache: read from /proc, /sys,
 * CPUID (through the compiler's builtins) and hwloc; the catalog where the
 * model is listed, the derivation of docs/hardware.md otherwise. */
#include "cpu_peak.h"

#include "hardware.h"

#include <hwloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The text after "key<spaces/tabs>: " on the first line of /proc/cpuinfo
 * that starts with key, into buf (n bytes). False when there is none. */
static bool cpuinfo_value(const char *key, char *buf, size_t n)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return false;
    char line[512];
    size_t klen = strlen(key);
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, klen) != 0 || (line[klen] != ' ' && line[klen] != '\t' &&
                                              line[klen] != ':'))
            continue;
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        char *v = colon + 1;
        v += strspn(v, " \t");
        v[strcspn(v, "\n")] = '\0';
        snprintf(buf, n, "%s", v);
        found = true;
    }
    fclose(f);
    return found;
}

void tcb_cpu_features_read(tcb_cpu_features *out)
{
    memset(out, 0, sizeof *out);
    char buf[256];
    /* x86 says "model name"; arm64 kernels often say nothing, some "Hardware". */
    if (cpuinfo_value("model name", buf, sizeof buf) ||
        cpuinfo_value("Hardware", buf, sizeof buf))
        snprintf(out->model, sizeof out->model, "%.*s", (int)sizeof out->model - 1, buf);
    else
        snprintf(out->model, sizeof out->model, "unknown CPU");

    /* cpufreq's maximum is the highest clock the part runs (its boost);
     * "cpu MHz" is the clock of the moment, the best a VM without cpufreq
     * offers. */
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "r");
    long khz = 0;
    if (f != NULL) {
        if (fscanf(f, "%ld", &khz) != 1)
            khz = 0;
        fclose(f);
    }
    if (khz > 0)
        out->ghz = (double)khz / 1e6;
    else if (cpuinfo_value("cpu MHz", buf, sizeof buf))
        out->ghz = atof(buf) / 1e3;

#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    out->avx512f = __builtin_cpu_supports("avx512f");
    out->avx2 = __builtin_cpu_supports("avx2");
    out->fma = __builtin_cpu_supports("fma");
    out->avx = __builtin_cpu_supports("avx");
#elif defined(__aarch64__)
    out->neon = true; /* Advanced SIMD is mandatory in AArch64 */
#endif
}

/* FP32 FLOPs per cycle per core of the widest unit f reports, and the
 * assumption behind the number. */
static int derived_flops_per_cycle(const tcb_cpu_features *f, const char **why)
{
    if (f->avx512f) {
        *why = "AVX-512F, 2 FMA units assumed";
        return 64; /* 2 units x 16 lanes x 2 (multiply and add) */
    }
    if (f->avx2 && f->fma) {
        *why = "AVX2, 2 FMA units assumed";
        return 32; /* 2 x 8 x 2 */
    }
    if (f->avx) {
        *why = "AVX without FMA: 1 add + 1 multiply of 8 lanes assumed";
        return 16;
    }
    if (f->neon) {
        *why = "NEON, 2 x 128-bit FMA units assumed";
        return 16; /* 2 x 4 x 2 */
    }
    *why = "SSE: 1 add + 1 multiply of 4 lanes assumed";
    return 8;
}

/* The catalog's figure for f->model, when it has cores' FLOPs per cycle and
 * a clock; false otherwise (not listed, or the catalog is unreadable). */
static bool catalog_peak(const tcb_cpu_features *f, int threads, tcb_device_info *out)
{
    static bool warned; /* an unreadable catalog is said once per process */
    tcb_hardware hw;
    tcb_diag d;
    if (tcb_hardware_load(NULL, &hw, &d) != TCB_OK) {
        if (!warned)
            tcb_log_error("hardware catalog not read, CPU peak derived instead: %s", d.msg);
        warned = true;
        return false;
    }
    const tcb_hw_device *dev = tcb_hardware_find(&hw, f->model);
    const tcb_hw_figure *fpc = tcb_hardware_figure(dev, "flops_per_cycle.fp32");
    const tcb_hw_figure *clk = tcb_hardware_figure(dev, "boost_ghz");
    if (clk == NULL)
        clk = tcb_hardware_figure(dev, "base_ghz");
    bool hit = dev != NULL && dev->kind == TCB_HW_CPU && fpc != NULL && clk != NULL;
    if (hit) {
        /* The highest clock: a peak is an upper bound, and MFU must stay <= 1. */
        out->peak_tflops_f32 = threads * clk->value * fpc->value / 1e3;
        char text[1024]; /* the sources may be long: cut to peak_source's size */
        snprintf(text, sizeof text,
                 "catalog: %s: %d core%s x %g GHz (%s; %s) x %g FP32 FLOP/cycle (%s, %s)%s",
                 dev->name, threads, threads == 1 ? "" : "s", clk->value, clk->key, clk->source, fpc->value,
                 fpc->source, fpc->date,
                 fpc->uncertain || clk->uncertain ? ", uncertain" : "");
        size_t len = strnlen(text, sizeof out->peak_source - 1);
        memcpy(out->peak_source, text, len);
        out->peak_source[len] = '\0';
    }
    tcb_hardware_free(&hw);
    return hit;
}

void tcb_cpu_describe(const tcb_cpu_features *f, int threads, tcb_device_info *out)
{
    memset(out, 0, sizeof *out);
    if (threads < 1)
        threads = 1;
    snprintf(out->name, sizeof out->name, "%.100s (%d thread%s)", f->model, threads,
             threads == 1 ? "" : "s");
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    out->memory_bytes = pages > 0 && page > 0 ? (double)pages * (double)page : 0;

    if (catalog_peak(f, threads, out))
        return;
    const char *why;
    int fpc = derived_flops_per_cycle(f, &why);
    if (!(f->ghz > 0)) {
        out->peak_tflops_f32 = 0; /* unknown: better no MFU than a made-up one */
        snprintf(out->peak_source, sizeof out->peak_source,
                 "derived: unknown (no clock in cpufreq or /proc/cpuinfo); %d FP32 "
                 "FLOP/cycle (%s)",
                 fpc, why);
        return;
    }
    out->peak_tflops_f32 = threads * f->ghz * fpc / 1e3;
    snprintf(out->peak_source, sizeof out->peak_source,
             "derived: %d core%s x %.4g GHz x %d FP32 FLOP/cycle (%s; a core per thread)",
             threads, threads == 1 ? "" : "s", f->ghz, fpc, why);
}

/* ---- last-level cache ------------------------------------------------------ */

static pthread_once_t llc_once = PTHREAD_ONCE_INIT;
static size_t llc_bytes;
static int llc_instances = 1;
static char llc_source[160];

/* The largest-level CPU cache hwloc finds (L3 per package or per CCX, say):
 * one instance's size, what one rank's working set competes for. */
static void llc_probe(void)
{
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) == 0) {
        if (hwloc_topology_load(topo) == 0) {
            static const hwloc_obj_type_t levels[] = {HWLOC_OBJ_L5CACHE, HWLOC_OBJ_L4CACHE,
                                                      HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L2CACHE,
                                                      HWLOC_OBJ_L1CACHE};
            for (size_t i = 0; i < sizeof levels / sizeof levels[0] && llc_bytes == 0; i++) {
                hwloc_obj_t obj = hwloc_get_obj_by_type(topo, levels[i], 0);
                if (obj != NULL && obj->attr != NULL && obj->attr->cache.size > 0) {
                    llc_bytes = (size_t)obj->attr->cache.size;
                    int count = hwloc_get_nbobjs_by_type(topo, levels[i]);
                    llc_instances = count > 0 ? count : 1;
                    snprintf(llc_source, sizeof llc_source,
                             "hwloc: %d x L%u cache of %zu bytes", llc_instances,
                             obj->attr->cache.depth, llc_bytes);
                }
            }
        }
        hwloc_topology_destroy(topo);
    }
    if (llc_bytes > 0)
        return;
    /* glibc's answer; in a VM it may be the host's whole L3, so second best. */
    static const int names[] = {_SC_LEVEL4_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE,
                                _SC_LEVEL2_CACHE_SIZE};
    for (size_t i = 0; i < sizeof names / sizeof names[0] && llc_bytes == 0; i++) {
        long v = sysconf(names[i]);
        if (v > 0) {
            llc_bytes = (size_t)v;
            snprintf(llc_source, sizeof llc_source, "sysconf: L%zu cache of %zu bytes",
                     4 - i, llc_bytes);
        }
    }
    if (llc_bytes == 0)
        snprintf(llc_source, sizeof llc_source, "unknown (neither hwloc nor sysconf knows)");
}

size_t tcb_cpu_llc_bytes(int *instances, char *source, int n)
{
    pthread_once(&llc_once, llc_probe);
    if (instances != NULL)
        *instances = llc_instances;
    if (source != NULL && n > 0)
        snprintf(source, (size_t)n, "%s", llc_source);
    return llc_bytes;
}
