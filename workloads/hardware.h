/* The hardware catalog: published figures of devices (dense peak TFLOP/s per
 * dtype, memory, memory bandwidth, power; for CPUs FLOPs per cycle and
 * clocks), each with its source and date, read from workloads/hardware.yaml.
 * docs/hardware.md documents the format and every field.
 *
 * A device's figures are a flat list keyed by "group.member" ("peak_tflops.bf16")
 * or a plain name ("memory_gb"). The keys a catalog may use are one table in
 * hardware.c (figure_specs): adding a field (a price, a scale-up bandwidth) is
 * one row there and one paragraph in docs/hardware.md; nothing here changes,
 * and readers ask for it by key with tcb_hardware_figure. */
#ifndef TCB_HARDWARE_H
#define TCB_HARDWARE_H

#include "tcb_error.h"

#include <stdbool.h>

typedef enum { TCB_HW_GPU, TCB_HW_ACCELERATOR, TCB_HW_CPU } tcb_hw_kind;

/* "gpu", "accelerator", "cpu", NULL-terminated, in tcb_hw_kind order. */
extern const char *const tcb_hw_kind_names[];

#define TCB_HW_MATCH_MAX 8

/* One published number, optionally with the range it was published as
 * (prices over providers or over time): low <= value <= high, all > 0. */
typedef struct {
    char key[48];      /* "peak_tflops.bf16", "memory_gb" */
    double value;      /* in the unit the key names; always > 0 */
    bool has_range;    /* low and high were given */
    double low, high;  /* the range; both equal value when has_range is false */
    char source[200];  /* who published it: required, never empty */
    char date[24];     /* when it was published or checked: "2023", "2024-11" */
    bool uncertain;    /* the public record is thin: usable, but say so */
    int line, column;  /* where in the catalog it was read, 1-based */
} tcb_hw_figure;

typedef struct {
    char name[64];     /* "H100 SXM" */
    tcb_hw_kind kind;
    char vendor[32];   /* "NVIDIA"; "" when not given */
    /* A reported device name ("NVIDIA H100 80GB HBM3") names this device when
     * it contains one of match[] and none of exclude[] (case-insensitive). */
    char match[TCB_HW_MATCH_MAX][64];
    int nmatch;
    char exclude[TCB_HW_MATCH_MAX][64];
    int nexclude;
    tcb_hw_figure *figures; /* owned by the catalog */
    int nfigures;
    int line, column;  /* of the device's entry */
} tcb_hw_device;

typedef struct {
    char path[512];          /* the file it was read from */
    tcb_hw_device *devices;  /* in file order; owned; tcb_hardware_free frees */
    int ndevices;
} tcb_hardware;

/* The catalog tcbench reads: $TCBENCH_HARDWARE if set and not empty, else
 * the workloads/hardware.yaml of the source tree this binary was built from.
 * A static string or the environment's; do not free. */
const char *tcb_hardware_default_path(void);

/* Reads the catalog at path (NULL: tcb_hardware_default_path()) into *out.
 * Returns TCB_OK, or TCB_ERR_CONFIG with "FILE:LINE:COLUMN: what is wrong"
 * in d (an unreadable file: "FILE: cannot read: why"), or TCB_ERR_RUNTIME
 * when out of memory; on failure *out holds nothing to free. Every figure
 * must carry a value > 0, a source and a date, and where it has a range
 * low <= value <= high with both > 0; unknown keys are errors.
 * Free a loaded catalog with tcb_hardware_free. */
tcb_status tcb_hardware_load(const char *path, tcb_hardware *out, tcb_diag *d);

/* Frees what tcb_hardware_load allocated in hw. NULL-safe; hw may be reused. */
void tcb_hardware_free(tcb_hardware *hw);

/* The device a driver-reported name denotes ("NVIDIA H100 80GB HBM3",
 * "AMD Instinct MI300X", "AMD EPYC 9654 96-Core Processor"), or NULL. When
 * several devices match, the one with the longest matching text wins (so
 * "GB200" beats "B200"); a tie goes to the earlier entry. The pointer lives
 * as long as hw. */
const tcb_hw_device *tcb_hardware_find(const tcb_hardware *hw, const char *reported);

/* The figure `key` of dev ("memory_tbps", "peak_tflops.fp8"), or NULL where
 * the catalog gives none. */
const tcb_hw_figure *tcb_hardware_figure(const tcb_hw_device *dev, const char *key);

/* The catalog's name of a dtype: fp32, tf32, bf16, fp16, fp8, int8; the
 * names workloads use are accepted too (f32, float32, bfloat16, float16,
 * f16). NULL for a name it does not know. */
const char *tcb_hardware_dtype(const char *name);

/* The dense peak TFLOP/s of dev for dtype (any name tcb_hardware_dtype
 * takes), i.e. the figure "peak_tflops.<dtype>", or NULL. */
const tcb_hw_figure *tcb_hardware_peak(const tcb_hw_device *dev, const char *dtype);

/* The value of f, and its range in *low and *high (either may be NULL):
 * the published low and high where f has a range, else the value twice. */
double tcb_hardware_range(const tcb_hw_figure *f, double *low, double *high);

/* "catalog: H100 SXM peak_tflops.bf16 = 989 (NVIDIA H100 datasheet, 2023)"
 * with ", uncertain" before the closing parenthesis where flagged, and the
 * range after the value where there is one ("= 33500 [31000, 36000] ("):
 * the text a record's `sources` entry carries. Writes at most n bytes into
 * buf and returns buf. */
char *tcb_hardware_cite(const tcb_hw_device *dev, const tcb_hw_figure *f, char *buf, int n);

/* The dense peak of the device a driver reported as `reported` for dtype,
 * from the default catalog, with its citation in source (n bytes); 0 with
 * "unknown: ..." in source where the catalog has none or cannot be read.
 * Reads the catalog on every call: for set-up, not for loops. */
double tcb_hardware_device_peak(const char *reported, const char *dtype, char *source, int n);

#endif
