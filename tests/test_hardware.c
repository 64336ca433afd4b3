/* The hardware catalog (workloads/hardware.c) and the CPU peak
 * (collectors/cpu_peak.c): the shipped catalog loads and is complete, names
 * reported by drivers find the right entry, bad catalogs say where, and the
 * CPU derivation does its arithmetic. */
#include "cpu_peak.h"
#include "hardware.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX TCB_FIXTURES "/hardware/"

static tcb_hardware hw;

/* The shipped catalog, whatever the environment says. */
static void load_shipped(void)
{
    unsetenv("TCBENCH_HARDWARE");
    tcb_diag d = {{0}};
    tcb_status st = tcb_hardware_load(NULL, &hw, &d);
    cr_assert_eq(st, TCB_OK, "shipped catalog: %s", d.msg);
}

static void unload(void)
{
    tcb_hardware_free(&hw);
}

TestSuite(hardware, .init = load_shipped, .fini = unload);

Test(hardware, shipped_catalog_lists_the_reference_devices)
{
    static const char *const names[] = {
        "A100 SXM 80GB", "H100 SXM",  "H200 SXM", "B200",    "GB200 (per GPU)",
        "MI250X",        "MI300X",    "MI325X",   "MI355X",  "TPU v5e",
        "TPU v5p",       "TPU v6e",   "Trainium2", "Gaudi 2", "Gaudi 3",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        bool found = false;
        for (int j = 0; j < hw.ndevices; j++)
            found = found || strcmp(hw.devices[j].name, names[i]) == 0;
        cr_expect(found, "no catalog entry '%s'", names[i]);
    }
}

Test(hardware, every_device_has_a_sourced_peak)
{
    cr_assert_gt(hw.ndevices, 0);
    for (int i = 0; i < hw.ndevices; i++) {
        const tcb_hw_device *dev = &hw.devices[i];
        const tcb_hw_figure *f = dev->kind == TCB_HW_CPU
                                     ? tcb_hardware_figure(dev, "flops_per_cycle.fp32")
                                     : tcb_hardware_peak(dev, "bf16");
        cr_assert_not_null(f, "%s has no %s peak", dev->name,
                           dev->kind == TCB_HW_CPU ? "fp32" : "bf16");
        cr_expect_gt(f->value, 0, "%s", dev->name);
        cr_expect_gt(strlen(f->source), 0, "%s has a peak without a source", dev->name);
        cr_expect_gt(strlen(f->date), 0, "%s has a peak without a date", dev->name);
        cr_expect_gt(dev->nmatch, 0, "%s has nothing to match", dev->name);
        for (int k = 0; k < dev->nfigures; k++)
            cr_expect_gt(strlen(dev->figures[k].source), 0, "%s %s", dev->name,
                         dev->figures[k].key);
    }
}

/* The 15 devices of the cost model (published-figures.md). */
static const char *const reference_devices[] = {
    "A100 SXM 80GB", "H100 SXM",  "H200 SXM",  "B200",    "GB200 (per GPU)",
    "MI250X",        "MI300X",    "MI325X",    "MI355X",  "TPU v5e",
    "TPU v5p",       "TPU v6e",   "Trainium2", "Gaudi 2", "Gaudi 3",
};
#define NREF (sizeof reference_devices / sizeof reference_devices[0])

static const tcb_hw_device *by_name(const char *name)
{
    for (int j = 0; j < hw.ndevices; j++)
        if (strcmp(hw.devices[j].name, name) == 0)
            return &hw.devices[j];
    return NULL;
}

static bool is_tpu(const tcb_hw_device *dev)
{
    return strncmp(dev->name, "TPU ", 4) == 0;
}

/* A figure that is there, > 0, sourced and dated. */
static void expect_sourced(const tcb_hw_device *dev, const char *key)
{
    const tcb_hw_figure *f = tcb_hardware_figure(dev, key);
    cr_expect_not_null(f, "%s has no %s", dev->name, key);
    if (f == NULL)
        return;
    cr_expect_gt(f->value, 0, "%s %s", dev->name, key);
    cr_expect_gt(strlen(f->source), 0, "%s %s has no source", dev->name, key);
    cr_expect_gt(strlen(f->date), 0, "%s %s has no date", dev->name, key);
}

Test(hardware, reference_devices_carry_the_cost_figures)
{
    for (size_t i = 0; i < NREF; i++) {
        const tcb_hw_device *dev = by_name(reference_devices[i]);
        cr_assert_not_null(dev, "no catalog entry '%s'", reference_devices[i]);
        expect_sourced(dev, "peak_tflops.bf16");
        expect_sourced(dev, "scaleup_gbps");
        expect_sourced(dev, "server_power_factor");
        /* Google publishes no TPU power: left out, never guessed. */
        if (is_tpu(dev))
            cr_expect_null(tcb_hardware_figure(dev, "tdp_w"), "%s: invented TDP", dev->name);
        else
            expect_sourced(dev, "tdp_w");
    }
}

Test(hardware, priced_devices_have_sourced_prices)
{
    /* Purchase prices of the Epoch AI dataset (published-figures.md). */
    static const struct {
        const char *name;
        double value, low, high;
    } priced[] = {
        {"A100 SXM 80GB", 17300, 17300, 17300}, {"H100 SXM", 33500, 31000, 36000},
        {"H200 SXM", 36450, 33800, 39100},      {"B200", 47400, 47400, 47400},
        {"MI300X", 25700, 25700, 25700},
    };
    for (size_t i = 0; i < sizeof priced / sizeof priced[0]; i++) {
        const tcb_hw_device *dev = by_name(priced[i].name);
        cr_assert_not_null(dev, "%s", priced[i].name);
        expect_sourced(dev, "price_usd");
        expect_sourced(dev, "server_cost_factor");
        const tcb_hw_figure *f = tcb_hardware_figure(dev, "price_usd");
        cr_assert_not_null(f);
        cr_expect(strstr(f->source, "Epoch") != NULL, "%s: %s", dev->name, f->source);
        double lo = 0, hi = 0;
        cr_expect_float_eq(tcb_hardware_range(f, &lo, &hi), priced[i].value, 1e-9, "%s",
                           dev->name);
        cr_expect_float_eq(lo, priced[i].low, 1e-9, "%s", dev->name);
        cr_expect_float_eq(hi, priced[i].high, 1e-9, "%s", dev->name);
    }
    /* Every price anywhere in the catalog keeps its range around its value. */
    for (int i = 0; i < hw.ndevices; i++)
        for (int k = 0; k < hw.devices[i].nfigures; k++) {
            const tcb_hw_figure *f = &hw.devices[i].figures[k];
            cr_expect(f->low > 0 && f->low <= f->value && f->value <= f->high, "%s %s",
                      hw.devices[i].name, f->key);
        }
}

Test(hardware, cloud_prices_and_factors)
{
    const tcb_hw_device *h100 = by_name("H100 SXM");
    const tcb_hw_figure *od = tcb_hardware_figure(h100, "cloud_ondemand_usd_per_hour");
    cr_assert_not_null(od);
    cr_expect(od->has_range);
    cr_expect_float_eq(od->low, 2.99, 1e-9);
    cr_expect_float_eq(od->high, 12.29, 1e-9);
    cr_expect_float_eq(tcb_hardware_figure(h100, "server_power_factor")->value, 1.82, 1e-9);
    cr_expect_float_eq(tcb_hardware_figure(h100, "scaleout_gbitps")->value, 400, 1e-9);
    const tcb_hw_device *a100 = by_name("A100 SXM 80GB");
    cr_expect_float_eq(tcb_hardware_figure(a100, "server_power_factor")->value, 2.03, 1e-9);
    cr_expect_float_eq(tcb_hardware_figure(a100, "server_cost_factor")->value, 1.66, 1e-9);
    const tcb_hw_device *v6e = by_name("TPU v6e");
    cr_expect_float_eq(tcb_hardware_figure(v6e, "cloud_committed_usd_per_hour")->value, 1.22,
                       1e-9);
    cr_expect(tcb_hardware_figure(v6e, "server_power_factor")->uncertain);
    cr_expect_null(tcb_hardware_figure(v6e, "price_usd")); /* not sold */
    /* published-figures.md marks the MI300X neocloud price "?". */
    cr_expect(tcb_hardware_figure(by_name("MI300X"), "cloud_ondemand_usd_per_hour")->uncertain);
    /* No range: the value three times. */
    const tcb_hw_figure *b200 = tcb_hardware_figure(by_name("B200"), "price_usd");
    double lo = 0, hi = 0;
    cr_expect_not(b200->has_range);
    cr_expect_float_eq(tcb_hardware_range(b200, &lo, NULL), 47400, 1e-9);
    cr_expect_float_eq(lo, 47400, 1e-9);
    cr_expect_float_eq(tcb_hardware_range(b200, NULL, &hi), 47400, 1e-9);
    cr_expect_float_eq(hi, 47400, 1e-9);
    char buf[512];
    tcb_hardware_cite(h100, od, buf, sizeof buf);
    cr_expect(strncmp(buf, "catalog: H100 SXM cloud_ondemand_usd_per_hour = 11.06 [2.99, 12.29] (",
                      69) == 0, "%s", buf);
}

Test(hardware, reference_figures)
{
    const tcb_hw_device *h100 = tcb_hardware_find(&hw, "NVIDIA H100 80GB HBM3");
    cr_assert_not_null(h100);
    cr_expect_float_eq(tcb_hardware_peak(h100, "fp32")->value, 67, 1e-9);
    cr_expect_float_eq(tcb_hardware_peak(h100, "bfloat16")->value, 989.4, 1e-9);
    cr_expect_float_eq(tcb_hardware_figure(h100, "memory_tbps")->value, 3.35, 1e-9);
    cr_expect_not(tcb_hardware_peak(h100, "bf16")->uncertain);
    const tcb_hw_device *a100 = tcb_hardware_find(&hw, "NVIDIA A100-SXM4-80GB");
    cr_assert_not_null(a100);
    cr_expect_float_eq(tcb_hardware_peak(a100, "f32")->value, 19.5, 1e-9);
    /* published-figures.md marks GB200 as third-party summaries only. */
    const tcb_hw_device *gb200 = tcb_hardware_find(&hw, "NVIDIA GB200");
    cr_assert_not_null(gb200);
    cr_expect(tcb_hardware_peak(gb200, "bf16")->uncertain);
    cr_expect_null(tcb_hardware_peak(gb200, "nonsense"));
}

typedef struct {
    const char *reported, *want; /* want NULL: not found */
} lookup_case;

Test(hardware, lookup_by_reported_name)
{
    static const lookup_case cases[] = {
        {"NVIDIA H100 80GB HBM3", "H100 SXM"},
        {"NVIDIA H100 PCIe", "H100 PCIe"},
        {"NVIDIA H100 NVL", NULL},
        {"NVIDIA H200", "H200 SXM"},
        {"NVIDIA H200 NVL", NULL},
        {"NVIDIA GH200 480GB", NULL},
        {"NVIDIA B200", "B200"},
        {"NVIDIA GB200", "GB200 (per GPU)"},
        {"AMD Instinct MI300X", "MI300X"},
        {"AMD Instinct MI300X VF", "MI300X"},
        {"amd instinct mi250x", "MI250X"},
        {"TPU v5 lite", "TPU v5e"},
        {"TPU v5", "TPU v5p"},
        {"HL-325L", "Gaudi 3"},
        {"AMD EPYC 9654 96-Core Processor", "AMD EPYC 9654"},
        {"Intel(R) Xeon(R) Platinum 8480+", "Intel Xeon Platinum 8480+"},
        {"Acme Frobnicator 9000", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const tcb_hw_device *dev = tcb_hardware_find(&hw, cases[i].reported);
        if (cases[i].want == NULL)
            cr_expect_null(dev, "'%s' found '%s'", cases[i].reported,
                           dev != NULL ? dev->name : "");
        else
            cr_expect(dev != NULL && strcmp(dev->name, cases[i].want) == 0,
                      "'%s' -> '%s', want '%s'", cases[i].reported,
                      dev != NULL ? dev->name : "(none)", cases[i].want);
    }
}

Test(hardware, cite_names_device_figure_source)
{
    const tcb_hw_device *dev = tcb_hardware_find(&hw, "NVIDIA H200");
    char buf[512];
    tcb_hardware_cite(dev, tcb_hardware_peak(dev, "bf16"), buf, sizeof buf);
    cr_expect(strncmp(buf, "catalog: H200 SXM peak_tflops.bf16 = 989.4 (", 44) == 0, "%s", buf);
    cr_expect(strstr(buf, "datasheet") != NULL, "%s", buf);
}

/* ---- bad and small catalogs ----------------------------------------------- */

static void expect_error(const char *file, const char *where, const char *what)
{
    tcb_hardware bad;
    tcb_diag d = {{0}};
    char path[512], want[600];
    snprintf(path, sizeof path, FIX "%s", file);
    cr_assert_eq(tcb_hardware_load(path, &bad, &d), TCB_ERR_CONFIG, "%s loaded", file);
    snprintf(want, sizeof want, "%s:%s: ", path, where);
    cr_expect(strncmp(d.msg, want, strlen(want)) == 0, "message '%s', want it to start '%s'",
              d.msg, want);
    cr_expect(strstr(d.msg, what) != NULL, "message '%s' does not say '%s'", d.msg, what);
    cr_expect_null(bad.devices);
}

Test(hardware_bad, missing_source)
{
    expect_error("missing_source.yaml", "7:13", "has no source");
}

Test(hardware_bad, unknown_key)
{
    expect_error("unknown_key.yaml", "6:5", "unknown key 'memory_gbs'");
}

Test(hardware_bad, negative_peak)
{
    expect_error("negative_peak.yaml", "8:20", "must be > 0");
}

Test(hardware_bad, range_low_above_high)
{
    expect_error("range_low_above_high.yaml", "8:36", "is above its high");
}

Test(hardware_bad, range_value_outside)
{
    expect_error("range_value_outside.yaml", "9:14", "is above its high");
}

Test(hardware_bad, range_needs_both_ends)
{
    expect_error("range_half.yaml", "8:36", "a range needs both");
}

Test(hardware_bad, range_end_not_positive)
{
    expect_error("range_zero_low.yaml", "8:36", "the low of 'price_usd' must be > 0");
}

Test(hardware_bad, missing_file)
{
    tcb_hardware bad;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_hardware_load(FIX "no-such.yaml", &bad, &d), TCB_ERR_CONFIG);
    cr_expect(strstr(d.msg, "cannot read") != NULL, "%s", d.msg);
}

Test(hardware_bad, environment_names_the_catalog)
{
    setenv("TCBENCH_HARDWARE", FIX "good.yaml", 1);
    cr_expect_str_eq(tcb_hardware_default_path(), FIX "good.yaml");
    unsetenv("TCBENCH_HARDWARE");
}

Test(hardware_bad, small_catalog_flags_and_matches)
{
    tcb_hardware small;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_hardware_load(FIX "good.yaml", &small, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(small.ndevices, 2);
    /* Longest match wins; exclude vetoes. */
    cr_expect_str_eq(tcb_hardware_find(&small, "ACME Widget Pro 2")->name, "Widget Pro");
    cr_expect_str_eq(tcb_hardware_find(&small, "ACME Widget")->name, "Widget");
    cr_expect_null(tcb_hardware_find(&small, "ACME Widget Lite"));
    /* A device's uncertainty covers all its figures; a figure cannot lift it. */
    const tcb_hw_device *pro = tcb_hardware_find(&small, "Widget Pro");
    cr_expect(tcb_hardware_peak(pro, "bf16")->uncertain);
    cr_expect(tcb_hardware_figure(pro, "memory_gb")->uncertain);
    cr_expect_not(tcb_hardware_peak(&small.devices[0], "bf16")->uncertain);
    cr_expect_eq(tcb_hardware_peak(pro, "bf16")->line, 14);
    /* A range parses, inside its figure. */
    const tcb_hw_figure *price = tcb_hardware_figure(pro, "price_usd");
    cr_assert_not_null(price);
    double lo = 0, hi = 0;
    cr_expect_float_eq(tcb_hardware_range(price, &lo, &hi), 1000, 1e-9);
    cr_expect_float_eq(lo, 900, 1e-9);
    cr_expect_float_eq(hi, 1200, 1e-9);
    cr_expect(price->has_range && price->uncertain);
    tcb_hardware_free(&small);
    tcb_hardware_free(&small); /* idempotent */
}

/* ---- the CPU peak ---------------------------------------------------------- */

Test(cpu_peak, derived_avx2_fma)
{
    tcb_cpu_features f = {.model = "Test CPU 1234", .ghz = 2.5, .avx2 = true,
                          .fma = true, .avx = true};
    tcb_device_info info;
    tcb_cpu_describe(&f, 2, &info);
    /* 2 cores x 2.5 GHz x 32 FLOP/cycle = 160 GFLOP/s */
    cr_expect_float_eq(info.peak_tflops_f32, 0.16, 1e-12);
    cr_expect(strncmp(info.peak_source, "derived: ", 9) == 0, "%s", info.peak_source);
    cr_expect(strstr(info.peak_source, "32 FP32 FLOP/cycle") != NULL, "%s", info.peak_source);
    cr_expect(strstr(info.peak_source, "AVX2") != NULL, "%s", info.peak_source);
    cr_expect_str_eq(info.name, "Test CPU 1234 (2 threads)");
    cr_expect_gt(info.memory_bytes, 0);
}

Test(cpu_peak, derived_avx512)
{
    tcb_cpu_features f = {.model = "Test CPU", .ghz = 1, .avx512f = true, .avx2 = true,
                          .fma = true, .avx = true};
    tcb_device_info info;
    tcb_cpu_describe(&f, 1, &info);
    cr_expect_float_eq(info.peak_tflops_f32, 0.064, 1e-12);
    cr_expect(strstr(info.peak_source, "64 FP32 FLOP/cycle") != NULL, "%s", info.peak_source);
    cr_expect_str_eq(info.name, "Test CPU (1 thread)");
}

Test(cpu_peak, derived_narrower_units)
{
    tcb_device_info info;
    tcb_cpu_features avx = {.model = "T", .ghz = 1, .avx = true};
    tcb_cpu_describe(&avx, 1, &info);
    cr_expect_float_eq(info.peak_tflops_f32, 0.016, 1e-12);
    tcb_cpu_features neon = {.model = "T", .ghz = 1, .neon = true};
    tcb_cpu_describe(&neon, 1, &info);
    cr_expect_float_eq(info.peak_tflops_f32, 0.016, 1e-12);
    tcb_cpu_features sse = {.model = "T", .ghz = 1};
    tcb_cpu_describe(&sse, 1, &info);
    cr_expect_float_eq(info.peak_tflops_f32, 0.008, 1e-12);
    tcb_cpu_features noclock = {.model = "T", .avx2 = true, .fma = true};
    tcb_cpu_describe(&noclock, 4, &info);
    cr_expect_eq(info.peak_tflops_f32, 0); /* unknown, not invented */
    cr_expect(strstr(info.peak_source, "unknown") != NULL, "%s", info.peak_source);
}

Test(cpu_peak, catalog_cpu_uses_catalog_figures)
{
    unsetenv("TCBENCH_HARDWARE");
    /* Zen 4 reports AVX-512F but runs it on 256-bit pipes: the catalog's 32
     * wins over the derivation's 64. */
    tcb_cpu_features f = {.model = "AMD EPYC 9654 96-Core Processor", .ghz = 2.4,
                          .avx512f = true, .avx2 = true, .fma = true, .avx = true};
    tcb_device_info info;
    tcb_cpu_describe(&f, 2, &info);
    cr_expect_float_eq(info.peak_tflops_f32, 2 * 3.7 * 32 / 1e3, 1e-12);
    cr_expect(strncmp(info.peak_source, "catalog: AMD EPYC 9654", 22) == 0, "%s",
              info.peak_source);
}

Test(cpu_peak, this_machine)
{
    tcb_cpu_features f;
    tcb_cpu_features_read(&f);
    cr_expect_gt(f.ghz, 0, "no clock read for '%s'", f.model);
    cr_expect_gt(strlen(f.model), 0);
    tcb_device_info info;
    tcb_cpu_describe(&f, 1, &info);
    cr_expect_gt(info.peak_tflops_f32, 0, "%s", info.peak_source);
    char src[160];
    int instances = 0;
    cr_expect_gt(tcb_cpu_llc_bytes(&instances, src, sizeof src), 0, "%s", src);
    cr_expect_geq(instances, 1);
    cr_expect_gt(strlen(src), 0);
}
