/* The nvml and amdsmi energy backends against the scripted stand-ins of
 * tests/fakes (TCB_FAKE_NVML, TCB_FAKE_AMDSMI): this machine has no vendor
 * driver, and a real one could not be made to go backwards on demand.
 *
 * Criterion runs each test in its own process, so a test sets the fake's
 * script with setenv before opening the backend and nothing leaks into the
 * next test. */
#include "energy.h"
#include "timer.h"

#include <criterion/criterion.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static tcb_energy_config nvml_cfg(int device, double period_s)
{
    return (tcb_energy_config){
        .nvml_library = TCB_FAKE_NVML, .device = device, .sample_period_s = period_s};
}

static tcb_energy_config amd_cfg(int device)
{
    return (tcb_energy_config){
        .amdsmi_library = TCB_FAKE_AMDSMI, .device = device, .sample_period_s = 0.1};
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Opens b, brackets `seconds` of sleep with begin and end, closes b and
 * returns the one reading the window gave. */
static tcb_energy_reading one_window(const tcb_energy_backend *b, tcb_energy_config cfg,
                                     double seconds)
{
    tcb_diag d = {""};
    void *st = NULL;
    cr_assert_eq(b->open(&cfg, &st, &d), TCB_OK, "open: %s", d.msg);
    cr_assert_eq(b->begin(st, &d), TCB_OK, "begin: %s", d.msg);
    sleep_s(seconds);
    tcb_energy_reading out[TCB_ENERGY_MAX_READINGS];
    int n = -1;
    cr_assert_eq(b->end(st, out, &n, &d), TCB_OK, "end: %s", d.msg);
    b->close(st);
    cr_assert_eq(n, 1);
    return out[0];
}

/* The fake's count of inits not yet shut down, through a handle of our own. */
static int fake_live(const char *lib, const char *symbol)
{
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(h, "%s", dlerror());
    int (*live)(void) = (int (*)(void))dlsym(h, symbol);
    cr_assert_not_null(live);
    int n = live();
    dlclose(h);
    return n;
}

/* ---- nvml --------------------------------------------------------------- */

Test(energy_nvml, counter_window_is_delta_mj_over_1000)
{
    /* Read at open (0), at begin (1000) and at end (251000): 250 J. */
    setenv("TCB_FAKE_NVML_SCRIPT", "counter:0,1000,251000", 1);
    tcb_energy_reading r = one_window(&tcb_energy_nvml, nvml_cfg(1, 0.1), 0.15);
    cr_assert(r.valid, "flag: %s", r.flag);
    cr_assert_float_eq(r.joules, 250.0, 1e-9);
    cr_assert_eq(r.method, TCB_ENERGY_COUNTER);
    cr_assert_eq(r.scope, TCB_ENERGY_GPU);
    cr_assert_not(r.node_level);
    cr_assert_str_eq(r.device, "GPU 1 Fake GPU 1");
    /* 0.15 s is only 1.5 counter updates: valid, but said to be rough. */
    cr_assert(strstr(r.flag, "counter updates") != NULL, "flag: %s", r.flag);
}

Test(energy_nvml, long_window_has_no_caveat)
{
    setenv("TCB_FAKE_NVML_SCRIPT", "counter:0,0,500", 1);
    tcb_energy_reading r = one_window(&tcb_energy_nvml, nvml_cfg(0, 0.1), 1.05);
    cr_assert(r.valid, "flag: %s", r.flag);
    cr_assert_float_eq(r.joules, 0.5, 1e-12);
    cr_assert_str_eq(r.flag, "");
}

Test(energy_nvml, window_shorter_than_update_period_is_invalid_not_zero)
{
    /* The counter did not move: a naive delta would say 0 J. */
    setenv("TCB_FAKE_NVML_SCRIPT", "counter:0,1000,1000", 1);
    tcb_energy_reading r = one_window(&tcb_energy_nvml, nvml_cfg(0, 0.1), 0.0);
    cr_assert_not(r.valid);
    cr_assert(strstr(r.flag, "shorter than the energy counter's update period") != NULL,
              "flag: %s", r.flag);
}

Test(energy_nvml, window_shorter_than_update_period_is_invalid_even_if_counter_moved)
{
    setenv("TCB_FAKE_NVML_SCRIPT", "counter:0,1000,1300", 1);
    tcb_energy_reading r = one_window(&tcb_energy_nvml, nvml_cfg(0, 0.1), 0.01);
    cr_assert_not(r.valid);
    cr_assert(strstr(r.flag, "shorter") != NULL, "flag: %s", r.flag);
}

Test(energy_nvml, stuck_counter_over_a_long_window_is_invalid)
{
    setenv("TCB_FAKE_NVML_SCRIPT", "counter:7,7,7", 1);
    tcb_energy_reading r = one_window(&tcb_energy_nvml, nvml_cfg(0, 0.1), 0.12);
    cr_assert_not(r.valid);
    cr_assert(strstr(r.flag, "did not change") != NULL, "flag: %s", r.flag);
}

Test(energy_nvml, backwards_counter_is_invalid_and_flagged)
{
    setenv("TCB_FAKE_NVML_SCRIPT", "counter:0,5000,4000", 1);
    tcb_energy_reading r = one_window(&tcb_energy_nvml, nvml_cfg(0, 0.1), 0.12);
    cr_assert_not(r.valid);
    cr_assert(strstr(r.flag, "backwards") != NULL, "flag: %s", r.flag);
}

Test(energy_nvml, unsupported_counter_falls_back_to_power_sampling, .timeout = 10)
{
    /* Constant 250 W: the integral is 250 W times the window, whatever the
     * sample times were, so only the window's edges can move it. */
    setenv("TCB_FAKE_NVML_SCRIPT", "power:250000", 1);
    double t0 = tcb_now();
    tcb_energy_reading r = one_window(&tcb_energy_nvml, nvml_cfg(0, 0.02), 0.3);
    double outer = tcb_now() - t0; /* open to close: a bit longer than the window */
    cr_assert(r.valid, "flag: %s", r.flag);
    cr_assert_eq(r.method, TCB_ENERGY_POWER_SAMPLING);
    cr_assert_eq(r.scope, TCB_ENERGY_GPU);
    cr_assert_str_eq(r.device, "GPU 0 Fake GPU 0");
    cr_assert(r.joules >= 250.0 * 0.3 * 0.99 && r.joules <= 250.0 * outer * 1.01,
              "%.3f J over a 0.3 s window (%.3f s open to close)", r.joules, outer);
}

Test(energy_nvml, power_sampling_integrates_a_changing_power, .timeout = 10)
{
    /* 100 W for the first samples, then 300 W: between the two constants. */
    setenv("TCB_FAKE_NVML_SCRIPT", "power:100000,100000,100000,100000,100000,300000", 1);
    tcb_energy_reading r = one_window(&tcb_energy_nvml, nvml_cfg(0, 0.02), 0.3);
    cr_assert(r.valid, "flag: %s", r.flag);
    cr_assert(r.joules > 100.0 * 0.3 * 1.05 && r.joules < 300.0 * 0.3 * 0.95, "%.3f J",
              r.joules);
}

Test(energy_nvml, power_sampling_with_fewer_than_two_samples_is_invalid, .timeout = 10)
{
    /* One sample when the window opens, the next a second later. */
    setenv("TCB_FAKE_NVML_SCRIPT", "power:250000", 1);
    tcb_energy_reading r = one_window(&tcb_energy_nvml, nvml_cfg(0, 1.0), 0.05);
    cr_assert_not(r.valid);
    cr_assert_eq(r.method, TCB_ENERGY_POWER_SAMPLING);
    cr_assert(strstr(r.flag, "need 2") != NULL, "flag: %s", r.flag);
}

Test(energy_nvml, missing_library_is_a_config_error_naming_it)
{
    tcb_energy_config cfg = nvml_cfg(0, 0.1);
    cfg.nvml_library = "/nonexistent/libnvidia-ml.so.1";
    tcb_diag d = {""};
    void *st = (void *)&cfg;
    cr_assert_eq(tcb_energy_nvml.open(&cfg, &st, &d), TCB_ERR_CONFIG);
    cr_assert_null(st);
    cr_assert(strstr(d.msg, "/nonexistent/libnvidia-ml.so.1") != NULL, "%s", d.msg);
}

Test(energy_nvml, library_without_nvml_symbols_is_a_config_error)
{
    tcb_energy_config cfg = nvml_cfg(0, 0.1);
    cfg.nvml_library = TCB_FAKE_AMDSMI;
    tcb_diag d = {""};
    void *st = NULL;
    cr_assert_eq(tcb_energy_nvml.open(&cfg, &st, &d), TCB_ERR_CONFIG);
    cr_assert(strstr(d.msg, "nvmlInit_v2") != NULL, "%s", d.msg);
}

Test(energy_nvml, init_failure_says_nvml_s_reason)
{
    setenv("TCB_FAKE_NVML_SCRIPT", "init-fail", 1);
    tcb_energy_config cfg = nvml_cfg(0, 0.1);
    tcb_diag d = {""};
    void *st = NULL;
    cr_assert_eq(tcb_energy_nvml.open(&cfg, &st, &d), TCB_ERR_CONFIG);
    cr_assert(strstr(d.msg, "Driver Not Loaded") != NULL, "%s", d.msg);
}

Test(energy_nvml, device_out_of_range_is_a_config_error_and_shuts_nvml_down)
{
    setenv("TCB_FAKE_NVML_SCRIPT", "counter:0", 1);
    tcb_energy_config cfg = nvml_cfg(5, 0.1);
    tcb_diag d = {""};
    void *st = NULL;
    cr_assert_eq(tcb_energy_nvml.open(&cfg, &st, &d), TCB_ERR_CONFIG);
    cr_assert(strstr(d.msg, "device 5 does not exist") != NULL, "%s", d.msg);
    cr_assert(strstr(d.msg, "2 GPU(s)") != NULL, "%s", d.msg);
    cr_assert_eq(fake_live(TCB_FAKE_NVML, "tcb_fake_nvml_live"), 0);
}

Test(energy_nvml, close_shuts_nvml_down_and_stops_the_sampler, .timeout = 10)
{
    setenv("TCB_FAKE_NVML_SCRIPT", "power:250000", 1);
    /* Our own handle keeps the fake loaded across the backend's dlclose. */
    void *h = dlopen(TCB_FAKE_NVML, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(h);
    int (*live)(void) = (int (*)(void))dlsym(h, "tcb_fake_nvml_live");
    tcb_energy_config cfg = nvml_cfg(0, 0.01);
    tcb_diag d = {""};
    void *st = NULL;
    cr_assert_eq(tcb_energy_nvml.open(&cfg, &st, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(live(), 1);
    cr_assert_eq(tcb_energy_nvml.begin(st, &d), TCB_OK);
    sleep_s(0.03);
    tcb_energy_nvml.close(st); /* mid-window: must still join the thread */
    cr_assert_eq(live(), 0);
    dlclose(h);
}

Test(energy_nvml, rank_without_a_device_opens_and_reads_nothing)
{
    tcb_energy_config cfg = nvml_cfg(-1, 0.1);
    cfg.nvml_library = "/nonexistent/libnvidia-ml.so.1"; /* not even loaded */
    tcb_diag d = {""};
    void *st = NULL;
    cr_assert_eq(tcb_energy_nvml.open(&cfg, &st, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(tcb_energy_nvml.begin(st, &d), TCB_OK);
    tcb_energy_reading out[TCB_ENERGY_MAX_READINGS];
    int n = -1;
    cr_assert_eq(tcb_energy_nvml.end(st, out, &n, &d), TCB_OK);
    cr_assert_eq(n, 0);
    tcb_energy_nvml.close(st);
}

/* ---- amdsmi ------------------------------------------------------------- */

Test(energy_amdsmi, counter_times_resolution)
{
    /* 100000 counts of 15.3 uJ: 1.53 J. */
    setenv("TCB_FAKE_AMDSMI_SCRIPT", "counter:10,1000,101000", 1);
    tcb_energy_reading r = one_window(&tcb_energy_amdsmi, amd_cfg(1), 0.01);
    cr_assert(r.valid, "flag: %s", r.flag);
    cr_assert_float_eq(r.joules, 100000 * 15.3e-6, 1e-6);
    cr_assert_eq(r.method, TCB_ENERGY_COUNTER);
    cr_assert_eq(r.scope, TCB_ENERGY_GPU);
    cr_assert_not(r.node_level);
    cr_assert_str_eq(r.device, "GPU 1");
}

Test(energy_amdsmi, resolution_comes_from_the_library)
{
    setenv("TCB_FAKE_AMDSMI_SCRIPT", "counter:0,0,2000", 1);
    setenv("TCB_FAKE_AMDSMI_RESOLUTION", "500", 1);
    tcb_energy_reading r = one_window(&tcb_energy_amdsmi, amd_cfg(0), 0.0);
    cr_assert(r.valid, "flag: %s", r.flag);
    cr_assert_float_eq(r.joules, 1.0, 1e-9);
}

Test(energy_amdsmi, rocm_smi_abi_gives_the_same_reading)
{
    setenv("TCB_FAKE_AMDSMI_ABI", "rsmi", 1);
    setenv("TCB_FAKE_AMDSMI_SCRIPT", "counter:10,1000,101000", 1);
    tcb_energy_reading r = one_window(&tcb_energy_amdsmi, amd_cfg(1), 0.0);
    cr_assert(r.valid, "flag: %s", r.flag);
    cr_assert_float_eq(r.joules, 100000 * 15.3e-6, 1e-6);
    cr_assert_str_eq(r.device, "GPU 1");
}

Test(energy_amdsmi, backwards_counter_is_invalid_and_flagged)
{
    setenv("TCB_FAKE_AMDSMI_SCRIPT", "counter:0,9000,8000", 1);
    tcb_energy_reading r = one_window(&tcb_energy_amdsmi, amd_cfg(0), 0.0);
    cr_assert_not(r.valid);
    cr_assert(strstr(r.flag, "backwards") != NULL, "flag: %s", r.flag);
}

Test(energy_amdsmi, unchanged_counter_is_invalid_not_zero)
{
    setenv("TCB_FAKE_AMDSMI_SCRIPT", "counter:0,9000,9000", 1);
    tcb_energy_reading r = one_window(&tcb_energy_amdsmi, amd_cfg(0), 0.0);
    cr_assert_not(r.valid);
    cr_assert(strstr(r.flag, "did not change") != NULL, "flag: %s", r.flag);
}

Test(energy_amdsmi, device_out_of_range_is_a_config_error)
{
    setenv("TCB_FAKE_AMDSMI_SCRIPT", "counter:0", 1);
    tcb_energy_config cfg = amd_cfg(2);
    tcb_diag d = {""};
    void *st = NULL;
    cr_assert_eq(tcb_energy_amdsmi.open(&cfg, &st, &d), TCB_ERR_CONFIG);
    cr_assert(strstr(d.msg, "device 2 does not exist") != NULL, "%s", d.msg);
    cr_assert_eq(fake_live(TCB_FAKE_AMDSMI, "tcb_fake_amdsmi_live"), 0);
}

Test(energy_amdsmi, missing_library_is_a_config_error_naming_it)
{
    tcb_energy_config cfg = amd_cfg(0);
    cfg.amdsmi_library = "/nonexistent/libamd_smi.so";
    tcb_diag d = {""};
    void *st = NULL;
    cr_assert_eq(tcb_energy_amdsmi.open(&cfg, &st, &d), TCB_ERR_CONFIG);
    cr_assert(strstr(d.msg, "/nonexistent/libamd_smi.so") != NULL, "%s", d.msg);
}

Test(energy_amdsmi, library_with_neither_abi_is_a_config_error)
{
    tcb_energy_config cfg = amd_cfg(0);
    cfg.amdsmi_library = TCB_FAKE_NVML;
    tcb_diag d = {""};
    void *st = NULL;
    cr_assert_eq(tcb_energy_amdsmi.open(&cfg, &st, &d), TCB_ERR_CONFIG);
    cr_assert(strstr(d.msg, "neither amdsmi_init nor rsmi_init") != NULL, "%s", d.msg);
}

Test(energy_amdsmi, rank_without_a_device_opens_and_reads_nothing)
{
    tcb_energy_config cfg = amd_cfg(-1);
    tcb_diag d = {""};
    void *st = NULL;
    cr_assert_eq(tcb_energy_amdsmi.open(&cfg, &st, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(tcb_energy_amdsmi.begin(st, &d), TCB_OK);
    tcb_energy_reading out[TCB_ENERGY_MAX_READINGS];
    int n = -1;
    cr_assert_eq(tcb_energy_amdsmi.end(st, out, &n, &d), TCB_OK);
    cr_assert_eq(n, 0);
    tcb_energy_amdsmi.close(st);
}

/* CUDA_VISIBLE_DEVICES=1 makes the second board CUDA's device 0; the rank's
 * bus id finds it where its local rank (0) would read the wrong GPU. */
Test(energy_nvml, pci_bus_id_picks_the_board_over_the_index)
{
    setenv("TCB_FAKE_NVML_SCRIPT", "counter:0,1000,6000", 1);
    tcb_energy_config cfg = nvml_cfg(0, 0.1);
    cfg.pci_bus_id = "0000:39:00.0";
    tcb_energy_reading r = one_window(&tcb_energy_nvml, cfg, 0.15);
    cr_assert_str_eq(r.device, "GPU 1 Fake GPU 1");
    cr_assert(r.valid, "%s", r.flag);
    cr_assert_float_eq(r.joules, 5.0, 1e-9);
}

Test(energy_nvml, unknown_pci_bus_id_is_a_config_error_naming_it)
{
    setenv("TCB_FAKE_NVML_SCRIPT", "counter:0", 1);
    tcb_energy_config cfg = nvml_cfg(0, 0.1);
    cfg.pci_bus_id = "0000:C1:00.0";
    tcb_diag d = {""};
    void *st = NULL;
    cr_assert_eq(tcb_energy_nvml.open(&cfg, &st, &d), TCB_ERR_CONFIG);
    cr_assert_null(st);
    cr_assert(strstr(d.msg, "0000:C1:00.0") != NULL && strstr(d.msg, "Not Found") != NULL,
              "%s", d.msg);
    cr_assert_eq(fake_live(TCB_FAKE_NVML, "tcb_fake_nvml_live"), 0);
}
