/* The "nvml" energy backend: joules of the NVIDIA GPU a rank owns.
 *
 * NVML comes with the driver, not with the toolkit, so it is dlopen'ed at run
 * time: tcbench builds and runs where there is none, and only this backend
 * fails to open there. The few types and entry points used are declared here
 * with their C ABI from nvml.h rather than including it.
 *
 * Method. Volta and newer keep a total-energy counter (millijoules since the
 * driver loaded); a window is the difference of two reads. Older GPUs answer
 * NVML_ERROR_NOT_SUPPORTED, and then a thread samples the power reading
 * (milliwatts) every sample_period_s while a window is open and integrates it
 * with the trapezoid rule. */
#include "energy.h"
#include "timer.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the NVML ABI (nvml.h) --------------------------------------------- */

typedef int nvml_return;                    /* nvmlReturn_t, an enum */
typedef struct nvml_device_st *nvml_device; /* nvmlDevice_t, opaque */

#define NVML_SUCCESS 0
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96 /* what nvmlDeviceGetName may write */

/* How often the total-energy counter moves. NVML does not publish it; PETSc's
 * notes on the same call measure 20-100 ms on recent GPUs and several studies
 * of A100/H100 see about 100 ms, so the slow end is the one to guard against:
 * a window shorter than this can see the counter unchanged and would read 0 J
 * for a GPU that was busy the whole time. */
#define NVML_ENERGY_UPDATE_S 0.1

/* Below this many update periods a valid reading still carries a caveat: the
 * two reads can each be one period stale, an error of up to period/window. */
#define NVML_CAVEAT_PERIODS 10.0

typedef struct {
    void *lib;          /* NULL: this rank owns no GPU and reads nothing */
    char lib_name[256]; /* as given, for messages */
    bool inited;        /* nvmlInit_v2 succeeded: nvmlShutdown is owed */

    nvml_return (*init)(void);
    nvml_return (*shutdown)(void);
    const char *(*error_string)(nvml_return);
    nvml_return (*get_count)(unsigned int *);
    nvml_return (*get_handle)(unsigned int, nvml_device *);
    nvml_return (*get_handle_by_pci)(const char *, nvml_device *);
    nvml_return (*get_index)(nvml_device, unsigned int *);
    nvml_return (*get_name)(nvml_device, char *, unsigned int);
    nvml_return (*total_energy)(nvml_device, unsigned long long *); /* mJ */
    nvml_return (*power_usage)(nvml_device, unsigned int *);        /* mW */

    nvml_device dev;
    int index;
    char name[40]; /* the product name, cut to fit the reading's label */
    bool sampling; /* power-sampling instead of the counter */
    double period_s;

    /* The counter window. */
    double t_begin;
    unsigned long long begin_mj;
    nvml_return begin_err;

    /* The sampler. Everything below is under lock; generation tells a sample
     * taken for one window from one that arrives after the next began. */
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool active, stop;
    unsigned generation;
    int samples;
    double first_t, first_w, last_t, last_w;
    double integral_j;  /* trapezoids between the first and last sample */
    nvml_return sample_err; /* the last failed power read in this window */
} nvml_state;

static const char *nvml_why(const nvml_state *s, nvml_return r)
{
    const char *why = s->error_string != NULL ? s->error_string(r) : NULL;
    return why != NULL ? why : "unknown NVML error";
}

/* ---- the sampling thread ------------------------------------------------ */

static struct timespec monotonic_at(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Samples at once when a window begins, then every period until it ends; idle
 * between windows, so a suite's untimed phases cost no NVML calls. */
static void *nvml_sampler(void *arg)
{
    nvml_state *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        if (!s->active) {
            pthread_cond_wait(&s->wake, &s->lock);
            continue;
        }
        unsigned gen = s->generation;
        pthread_mutex_unlock(&s->lock);

        unsigned int mw = 0;
        nvml_return r = s->power_usage(s->dev, &mw);
        double t = tcb_now();

        pthread_mutex_lock(&s->lock);
        if (s->active && s->generation == gen) {
            if (r != NVML_SUCCESS) {
                s->sample_err = r;
            } else {
                double w = mw / 1000.0;
                if (s->samples == 0) {
                    s->first_t = t;
                    s->first_w = w;
                } else {
                    s->integral_j += 0.5 * (w + s->last_w) * (t - s->last_t);
                }
                s->last_t = t;
                s->last_w = w;
                s->samples++;
            }
        }
        struct timespec until = monotonic_at(t + s->period_s);
        while (!s->stop && s->active && s->generation == gen) {
            if (pthread_cond_timedwait(&s->wake, &s->lock, &until) == ETIMEDOUT)
                break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static tcb_status nvml_sampler_start(nvml_state *s, tcb_diag *d)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    /* The deadlines are on the monotonic clock, like every window's ends. */
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int err = pthread_cond_init(&s->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (err == 0) {
        err = pthread_mutex_init(&s->lock, NULL);
        if (err != 0)
            pthread_cond_destroy(&s->wake);
    }
    if (err == 0) {
        err = pthread_create(&s->thread, NULL, nvml_sampler, s);
        if (err != 0) {
            pthread_mutex_destroy(&s->lock);
            pthread_cond_destroy(&s->wake);
        }
    }
    if (err != 0)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "nvml: cannot start the power-sampling thread: %s",
                            strerror(err));
    s->thread_started = true;
    return TCB_OK;
}

/* ---- open and close ----------------------------------------------------- */

static void close_nvml(void *state)
{
    nvml_state *s = state;
    if (s == NULL)
        return;
    if (s->thread_started) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
    }
    if (s->inited)
        s->shutdown();
    if (s->lib != NULL)
        dlclose(s->lib);
    free(s);
}

/* Resolves one entry point into a function pointer of the field's own type. */
#define NVML_LOAD(s, field, symbol, d)                                                   \
    do {                                                                                 \
        dlerror();                                                                       \
        void *sym_ = dlsym((s)->lib, symbol);                                            \
        if (sym_ == NULL) {                                                              \
            const char *why_ = dlerror();                                                \
            return tcb_diag_set(d, TCB_ERR_CONFIG,                                       \
                                "nvml: '%s' has no %s (%s): not NVML, or a driver too "  \
                                "old; point TCBENCH_NVML_LIBRARY at libnvidia-ml.so.1",  \
                                (s)->lib_name, symbol, why_ != NULL ? why_ : "NULL");    \
        }                                                                                \
        (s)->field = (__typeof__((s)->field))sym_;                                       \
    } while (0)

static tcb_status nvml_load(nvml_state *s, const tcb_energy_config *cfg, tcb_diag *d)
{
    const char *lib = cfg->nvml_library != NULL ? cfg->nvml_library : "libnvidia-ml.so.1";
    snprintf(s->lib_name, sizeof s->lib_name, "%s", lib);
    dlerror();
    s->lib = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (s->lib == NULL) {
        const char *why = dlerror();
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "nvml: cannot load '%s': %s (no NVIDIA driver here? use another "
                            "energy backend, or point TCBENCH_NVML_LIBRARY at "
                            "libnvidia-ml.so.1)",
                            s->lib_name, why != NULL ? why : "unknown error");
    }
    /* The _v2 names are the ones nvml.h maps nvmlInit and friends to; the
     * unsuffixed symbols are kept for old binaries and count differently. */
    NVML_LOAD(s, init, "nvmlInit_v2", d);
    NVML_LOAD(s, shutdown, "nvmlShutdown", d);
    NVML_LOAD(s, error_string, "nvmlErrorString", d);
    NVML_LOAD(s, get_count, "nvmlDeviceGetCount_v2", d);
    NVML_LOAD(s, get_handle, "nvmlDeviceGetHandleByIndex_v2", d);
    NVML_LOAD(s, get_handle_by_pci, "nvmlDeviceGetHandleByPciBusId_v2", d);
    NVML_LOAD(s, get_index, "nvmlDeviceGetIndex", d);
    NVML_LOAD(s, get_name, "nvmlDeviceGetName", d);
    NVML_LOAD(s, total_energy, "nvmlDeviceGetTotalEnergyConsumption", d);
    NVML_LOAD(s, power_usage, "nvmlDeviceGetPowerUsage", d);
    return TCB_OK;
}

static tcb_status nvml_handle_by_index(nvml_state *s, int device, tcb_diag *d)
{
    unsigned int count = 0;
    nvml_return r = s->get_count(&count);
    if (r != NVML_SUCCESS)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "nvml: nvmlDeviceGetCount_v2 failed: %s",
                            nvml_why(s, r));
    if ((unsigned int)device >= count)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "nvml: this rank's device %d does not exist: '%s' sees %u GPU(s) "
                            "(CUDA_VISIBLE_DEVICES does not renumber NVML's devices)",
                            device, s->lib_name, count);
    s->index = device;
    r = s->get_handle((unsigned int)device, &s->dev);
    if (r != NVML_SUCCESS)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "nvml: GPU %d: nvmlDeviceGetHandleByIndex_v2: %s",
                            device, nvml_why(s, r));
    return TCB_OK;
}

/* The GPU the compute backend drives, found by its PCI address: the same
 * board whatever CUDA_VISIBLE_DEVICES says. Its NVML index labels readings. */
static tcb_status nvml_handle_by_pci(nvml_state *s, const char *bus_id, tcb_diag *d)
{
    nvml_return r = s->get_handle_by_pci(bus_id, &s->dev);
    if (r != NVML_SUCCESS)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "nvml: no GPU at PCI bus id %s (the one CUDA gave this rank): "
                            "nvmlDeviceGetHandleByPciBusId_v2: %s",
                            bus_id, nvml_why(s, r));
    unsigned int index;
    r = s->get_index(s->dev, &index);
    if (r != NVML_SUCCESS)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "nvml: GPU at %s: nvmlDeviceGetIndex: %s",
                            bus_id, nvml_why(s, r));
    s->index = (int)index;
    return TCB_OK;
}

static tcb_status nvml_open_device(nvml_state *s, const tcb_energy_config *cfg, tcb_diag *d)
{
    nvml_return r = s->init();
    if (r != NVML_SUCCESS)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "nvml: nvmlInit_v2 in '%s' failed: %s",
                            s->lib_name, nvml_why(s, r));
    s->inited = true;

    tcb_status st = cfg->pci_bus_id != NULL ? nvml_handle_by_pci(s, cfg->pci_bus_id, d)
                                 : nvml_handle_by_index(s, cfg->device, d);
    if (st != TCB_OK)
        return st;

    char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE] = "";
    if (s->get_name(s->dev, name, sizeof name) != NVML_SUCCESS)
        snprintf(name, sizeof name, "unknown");
    name[sizeof name - 1] = '\0';
    snprintf(s->name, sizeof s->name, "%.39s", name);

    unsigned long long mj;
    r = s->total_energy(s->dev, &mj);
    if (r == NVML_SUCCESS && !cfg->nvml_power_sampling)
        return TCB_OK;
    if (r != NVML_SUCCESS && r != NVML_ERROR_NOT_SUPPORTED)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "nvml: GPU %d: nvmlDeviceGetTotalEnergyConsumption: %s",
                            s->index, nvml_why(s, r));

    /* Older than Volta, or asked for: integrate the power reading. */
    if (!(cfg->sample_period_s > 0))
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "nvml: GPU %d has no energy counter and the sample period is %g s; "
                            "power sampling needs a period > 0",
                            s->index, cfg->sample_period_s);
    unsigned int mw;
    r = s->power_usage(s->dev, &mw);
    if (r != NVML_SUCCESS)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "nvml: GPU %d has neither an energy counter nor a power reading "
                            "(nvmlDeviceGetPowerUsage: %s)",
                            s->index, nvml_why(s, r));
    s->sampling = true;
    s->period_s = cfg->sample_period_s;
    return nvml_sampler_start(s, d);
}

static tcb_status open_nvml(const tcb_energy_config *cfg, void **state, tcb_diag *d)
{
    *state = NULL;
    nvml_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "nvml: out of memory");
    s->index = -1;
    if (cfg->device >= 0) {
        tcb_status st = nvml_load(s, cfg, d);
        if (st == TCB_OK)
            st = nvml_open_device(s, cfg, d);
        if (st != TCB_OK) {
            close_nvml(s);
            return st;
        }
    }
    *state = s;
    return TCB_OK;
}

/* ---- windows ------------------------------------------------------------ */

static tcb_status begin_nvml(void *state, tcb_diag *d)
{
    (void)d;
    nvml_state *s = state;
    if (s->lib == NULL)
        return TCB_OK;
    if (s->sampling) {
        pthread_mutex_lock(&s->lock);
        s->generation++;
        s->samples = 0;
        s->integral_j = 0;
        s->sample_err = NVML_SUCCESS;
        s->t_begin = tcb_now();
        s->active = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        return TCB_OK;
    }
    /* A failed read spoils this window's reading, not the run: end says why. */
    s->begin_err = s->total_energy(s->dev, &s->begin_mj);
    s->t_begin = tcb_now();
    return TCB_OK;
}

static void reading_label(const nvml_state *s, tcb_energy_reading *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->device, sizeof r->device, "GPU %d %s", s->index, s->name);
    r->method = s->sampling ? TCB_ENERGY_POWER_SAMPLING : TCB_ENERGY_COUNTER;
    r->scope = TCB_ENERGY_GPU;
    r->node_level = false;
}

static void end_counter(nvml_state *s, tcb_energy_reading *r)
{
    unsigned long long end_mj = 0;
    nvml_return err = s->total_energy(s->dev, &end_mj);
    double window = tcb_now() - s->t_begin;
    if (s->begin_err != NVML_SUCCESS || err != NVML_SUCCESS) {
        snprintf(r->flag, sizeof r->flag, "nvmlDeviceGetTotalEnergyConsumption failed: %s",
                 nvml_why(s, s->begin_err != NVML_SUCCESS ? s->begin_err : err));
        return;
    }
    bool ok;
    double mj = tcb_energy_counter_delta((double)s->begin_mj, (double)end_mj, 0, &ok);
    if (!ok) {
        snprintf(r->flag, sizeof r->flag,
                 "energy counter went backwards (%llu -> %llu mJ): driver reloaded or GPU reset",
                 s->begin_mj, end_mj);
        return;
    }
    if (window < NVML_ENERGY_UPDATE_S) {
        snprintf(r->flag, sizeof r->flag,
                 "window %.3f s is shorter than the energy counter's update period (~%.1f s): "
                 "run more iterations per case",
                 window, NVML_ENERGY_UPDATE_S);
        return;
    }
    if (mj == 0) {
        /* A powered GPU never draws 0 W: the counter is stuck, not the GPU idle. */
        snprintf(r->flag, sizeof r->flag, "energy counter did not change over %.3f s", window);
        return;
    }
    r->valid = true;
    r->joules = mj / 1000.0;
    if (window < NVML_CAVEAT_PERIODS * NVML_ENERGY_UPDATE_S)
        snprintf(r->flag, sizeof r->flag,
                 "window %.2f s spans few counter updates (~%.1f s each): up to +-%.0f%%", window,
                 NVML_ENERGY_UPDATE_S, 100.0 * NVML_ENERGY_UPDATE_S / window);
}

static void end_sampling(nvml_state *s, tcb_energy_reading *r)
{
    pthread_mutex_lock(&s->lock);
    double t_end = tcb_now();
    s->active = false;
    pthread_cond_signal(&s->wake);
    int n = s->samples;
    double first_t = s->first_t, first_w = s->first_w, last_t = s->last_t, last_w = s->last_w;
    double integral = s->integral_j;
    nvml_return err = s->sample_err;
    pthread_mutex_unlock(&s->lock);

    double window = t_end - s->t_begin;
    if (n < 2) {
        snprintf(r->flag, sizeof r->flag,
                 "%d power sample(s) in a %.3f s window (one every %g s)%s%s: need 2", n, window,
                 s->period_s, err != NVML_SUCCESS ? "; nvmlDeviceGetPowerUsage: " : "",
                 err != NVML_SUCCESS ? nvml_why(s, err) : "");
        return;
    }
    /* The edges before the first sample and after the last are held at the
     * nearest sample: at most one period of the window is extrapolated. */
    r->valid = true;
    r->joules = integral + first_w * (first_t - s->t_begin) + last_w * (t_end - last_t);
    snprintf(r->flag, sizeof r->flag,
             "%d power samples over %.2f s; NVML may average power over up to 1 s", n, window);
}

static tcb_status end_nvml(void *state, tcb_energy_reading *out, int *n, tcb_diag *d)
{
    (void)d;
    nvml_state *s = state;
    *n = 0;
    if (s->lib == NULL)
        return TCB_OK;
    reading_label(s, &out[0]);
    if (s->sampling)
        end_sampling(s, &out[0]);
    else
        end_counter(s, &out[0]);
    *n = 1;
    return TCB_OK;
}

const tcb_energy_backend tcb_energy_nvml = {
    .name = "nvml",
    .summary = "NVIDIA GPU energy counter (or sampled power) of each rank's GPU, "
               "libnvidia-ml loaded at run time",
    .open = open_nvml,
    .begin = begin_nvml,
    .end = end_nvml,
    .close = close_nvml,
};
