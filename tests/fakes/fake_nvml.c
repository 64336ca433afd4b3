/* A stand-in for libnvidia-ml.so.1 that plays back scripted values, so the
 * nvml energy backend can be tested on a machine without an NVIDIA driver.
 *
 * It exports the real NVML symbols with their real C ABI and pretends to have
 * two GPUs ("Fake GPU 0", "Fake GPU 1"). TCB_FAKE_NVML_SCRIPT chooses what it
 * says, read at nvmlInit_v2:
 *
 *   counter:V,V,...  each nvmlDeviceGetTotalEnergyConsumption call returns the
 *                    next value in mJ (the last one repeats). The backend reads
 *                    once at open to see the counter works, then once at
 *                    begin and once at end.
 *   power:P,P,...    the energy counter answers NVML_ERROR_NOT_SUPPORTED (a
 *                    pre-Volta GPU); each nvmlDeviceGetPowerUsage call returns
 *                    the next value in mW (the last one repeats).
 *   rate:W           the counter reads W watts x the time since nvmlInit_v2
 *                    (CLOCK_MONOTONIC), in mJ, and the power W: a GPU drawing
 *                    a steady W, for runs whose number of reads is not known
 *                    in advance.
 *   init-fail        nvmlInit_v2 answers NVML_ERROR_DRIVER_NOT_LOADED.
 *
 * TCB_FAKE_NVML_GPUS (1 to 8, default 2) sets how many GPUs it has.
 *
 * tcb_fake_nvml_live() says how many nvmlInit_v2 calls are still waiting for
 * their nvmlShutdown, so a test can check that close shut NVML down. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;

enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
};

#define MAX_GPUS 8
#define MAX_VALUES 64

/* Any two distinct addresses do as device handles. */
static char devices[MAX_GPUS];
static int gpus = 2;

/* The power reads come from the backend's sampling thread. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int live;
static enum { MODE_COUNTER, MODE_POWER, MODE_RATE, MODE_INIT_FAIL } mode;
static double rate_watts, t_init;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static unsigned long long values[MAX_VALUES];
static int nvalues, next;

static void load_script(void)
{
    const char *script = getenv("TCB_FAKE_NVML_SCRIPT");
    mode = MODE_COUNTER;
    nvalues = 0;
    next = 0;
    if (script == NULL)
        script = "counter:0";
    const char *count = getenv("TCB_FAKE_NVML_GPUS");
    gpus = count != NULL ? atoi(count) : 2;
    if (gpus < 1 || gpus > MAX_GPUS)
        gpus = 2;
    if (strncmp(script, "rate:", 5) == 0) {
        mode = MODE_RATE;
        rate_watts = strtod(script + 5, NULL);
        t_init = now();
        return;
    }
    if (strcmp(script, "init-fail") == 0) {
        mode = MODE_INIT_FAIL;
        return;
    }
    const char *p = strchr(script, ':');
    if (strncmp(script, "power:", 6) == 0)
        mode = MODE_POWER;
    while (p != NULL && nvalues < MAX_VALUES) {
        values[nvalues++] = strtoull(p + 1, NULL, 10);
        p = strchr(p + 1, ',');
    }
}

static unsigned long long next_value(void)
{
    if (nvalues == 0)
        return 0;
    unsigned long long v = values[next];
    if (next < nvalues - 1)
        next++;
    return v;
}

static int device_index(nvmlDevice_t dev)
{
    for (int i = 0; i < gpus; i++)
        if ((char *)dev == &devices[i])
            return i;
    return -1;
}

int tcb_fake_nvml_live(void)
{
    pthread_mutex_lock(&lock);
    int n = live;
    pthread_mutex_unlock(&lock);
    return n;
}

nvmlReturn_t nvmlInit_v2(void)
{
    pthread_mutex_lock(&lock);
    load_script();
    nvmlReturn_t r = mode == MODE_INIT_FAIL ? NVML_ERROR_DRIVER_NOT_LOADED : NVML_SUCCESS;
    if (r == NVML_SUCCESS)
        live++;
    pthread_mutex_unlock(&lock);
    return r;
}

nvmlReturn_t nvmlShutdown(void)
{
    pthread_mutex_lock(&lock);
    nvmlReturn_t r = live > 0 ? NVML_SUCCESS : NVML_ERROR_UNINITIALIZED;
    if (live > 0)
        live--;
    pthread_mutex_unlock(&lock);
    return r;
}

const char *nvmlErrorString(nvmlReturn_t r)
{
    switch (r) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_NOT_FOUND: return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    default: return "Unknown Error";
    }
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (tcb_fake_nvml_live() == 0)
        return NVML_ERROR_UNINITIALIZED;
    *count = (unsigned int)gpus;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    if (tcb_fake_nvml_live() == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (index >= (unsigned int)gpus || device == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = (nvmlDevice_t)(void *)&devices[index];
    return NVML_SUCCESS;
}

/* Fake GPU i sits at PCI bus id 0000:(0x19 + 0x20 i):00.0, as boards of one
 * node do; NVML matches ids without regard to case. */
nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *bus_id, nvmlDevice_t *device)
{
    if (tcb_fake_nvml_live() == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (bus_id == NULL || device == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    for (int i = 0; i < gpus; i++) {
        char id[32];
        snprintf(id, sizeof id, "0000:%02X:00.0", 0x19 + 0x20 * i);
        if (strcasecmp(id, bus_id) == 0) {
            *device = (nvmlDevice_t)(void *)&devices[i];
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int *index)
{
    int i = device_index(device);
    if (i < 0 || index == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    *index = (unsigned int)i;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    int i = device_index(device);
    if (i < 0 || name == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (snprintf(name, length, "Fake GPU %d", i) >= (int)length)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy)
{
    if (device_index(device) < 0 || energy == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    pthread_mutex_lock(&lock);
    nvmlReturn_t r = NVML_ERROR_NOT_SUPPORTED;
    if (live == 0)
        r = NVML_ERROR_UNINITIALIZED;
    else if (mode == MODE_COUNTER) {
        *energy = next_value();
        r = NVML_SUCCESS;
    } else if (mode == MODE_RATE) {
        *energy = (unsigned long long)(rate_watts * (now() - t_init) * 1e3);
        r = NVML_SUCCESS;
    }
    pthread_mutex_unlock(&lock);
    return r;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)
{
    if (device_index(device) < 0 || power == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    pthread_mutex_lock(&lock);
    nvmlReturn_t r = NVML_ERROR_NOT_SUPPORTED;
    if (live == 0)
        r = NVML_ERROR_UNINITIALIZED;
    else if (mode == MODE_POWER) {
        *power = (unsigned int)next_value();
        r = NVML_SUCCESS;
    } else if (mode == MODE_RATE) {
        *power = (unsigned int)(rate_watts * 1e3);
        r = NVML_SUCCESS;
    }
    pthread_mutex_unlock(&lock);
    return r;
}
