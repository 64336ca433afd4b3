/* A stand-in for AMD's SMI libraries that plays back scripted values, so the
 * amdsmi energy backend can be tested on a machine without ROCm.
 *
 * One library exports both C ABIs the backend knows: libamd_smi's
 * handle-based amdsmi_* calls and librocm_smi64's index-based rsmi_* calls.
 * It pretends to have two sockets of one GPU each. Environment, read at init:
 *
 *   TCB_FAKE_AMDSMI_SCRIPT="counter:C,C,..."  each energy read returns the
 *       next accumulator value (the last one repeats). The backend reads once
 *       at open to see the counter works, then at begin and at end.
 *   TCB_FAKE_AMDSMI_RESOLUTION="15.3"  microjoules per count (default 15.3).
 *   TCB_FAKE_AMDSMI_ABI="rsmi"  amdsmi_init answers NOT_SUPPORTED, so the
 *       backend falls back to the rsmi_* calls of the same library.
 *
 * tcb_fake_amdsmi_live() counts inits not yet shut down. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int amdsmi_status_t; /* and rsmi_status_t: the same codes below */
typedef void *amdsmi_socket_handle;
typedef void *amdsmi_processor_handle;

enum {
    STATUS_SUCCESS = 0,
    STATUS_INVAL = 1,
    STATUS_NOT_SUPPORTED = 2,
    STATUS_NOT_INIT = 32, /* AMDSMI_STATUS_NOT_INIT; rsmi says INIT_ERROR (8) */
};

#define FAKE_GPUS 2
#define MAX_VALUES 64

static char sockets[FAKE_GPUS], processors[FAKE_GPUS];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int live;
static uint64_t values[MAX_VALUES];
static int nvalues, next;
static float resolution;

static void load_script(void)
{
    const char *script = getenv("TCB_FAKE_AMDSMI_SCRIPT");
    const char *res = getenv("TCB_FAKE_AMDSMI_RESOLUTION");
    nvalues = 0;
    next = 0;
    resolution = res != NULL ? strtof(res, NULL) : 15.3f;
    const char *p = script != NULL ? strchr(script, ':') : NULL;
    while (p != NULL && nvalues < MAX_VALUES) {
        values[nvalues++] = strtoull(p + 1, NULL, 10);
        p = strchr(p + 1, ',');
    }
}

static amdsmi_status_t start(void)
{
    pthread_mutex_lock(&lock);
    load_script();
    live++;
    pthread_mutex_unlock(&lock);
    return STATUS_SUCCESS;
}

static amdsmi_status_t stop(void)
{
    pthread_mutex_lock(&lock);
    amdsmi_status_t r = live > 0 ? STATUS_SUCCESS : STATUS_NOT_INIT;
    if (live > 0)
        live--;
    pthread_mutex_unlock(&lock);
    return r;
}

static amdsmi_status_t energy(int gpu, uint64_t *count, float *res, uint64_t *timestamp)
{
    if (gpu < 0 || gpu >= FAKE_GPUS || count == NULL || timestamp == NULL)
        return STATUS_INVAL;
    pthread_mutex_lock(&lock);
    amdsmi_status_t r = STATUS_NOT_INIT;
    if (live > 0) {
        *count = nvalues > 0 ? values[next] : 0;
        if (next < nvalues - 1)
            next++;
        if (res != NULL)
            *res = resolution;
        *timestamp = 0;
        r = STATUS_SUCCESS;
    }
    pthread_mutex_unlock(&lock);
    return r;
}

static const char *status_text(amdsmi_status_t s)
{
    switch (s) {
    case STATUS_SUCCESS: return "AMDSMI_STATUS_SUCCESS: Call succeeded";
    case STATUS_INVAL: return "AMDSMI_STATUS_INVAL: Invalid parameters";
    case STATUS_NOT_SUPPORTED: return "AMDSMI_STATUS_NOT_SUPPORTED: Command not supported";
    case STATUS_NOT_INIT: return "AMDSMI_STATUS_NOT_INIT: Device not initialized";
    default: return "An unknown error occurred";
    }
}

int tcb_fake_amdsmi_live(void)
{
    pthread_mutex_lock(&lock);
    int n = live;
    pthread_mutex_unlock(&lock);
    return n;
}

/* ---- libamd_smi --------------------------------------------------------- */

amdsmi_status_t amdsmi_init(uint64_t init_flags)
{
    const char *abi = getenv("TCB_FAKE_AMDSMI_ABI");
    if ((abi != NULL && strcmp(abi, "rsmi") == 0) || (init_flags & (1u << 1)) == 0)
        return STATUS_NOT_SUPPORTED; /* no GPUs asked for, or playing librocm_smi64 */
    return start();
}

amdsmi_status_t amdsmi_shut_down(void)
{
    return stop();
}

amdsmi_status_t amdsmi_status_code_to_string(amdsmi_status_t status, const char **text)
{
    if (text == NULL)
        return STATUS_INVAL;
    *text = status_text(status);
    return STATUS_SUCCESS;
}

/* Both listings follow amdsmi: a NULL array asks for the count; otherwise
 * *count is the array's capacity on entry and the number written on return. */
amdsmi_status_t amdsmi_get_socket_handles(uint32_t *count, amdsmi_socket_handle *handles)
{
    if (tcb_fake_amdsmi_live() == 0)
        return STATUS_NOT_INIT;
    if (count == NULL)
        return STATUS_INVAL;
    if (handles != NULL)
        for (uint32_t i = 0; i < *count && i < FAKE_GPUS; i++)
            handles[i] = &sockets[i];
    *count = handles != NULL && *count < FAKE_GPUS ? *count : FAKE_GPUS;
    return STATUS_SUCCESS;
}

amdsmi_status_t amdsmi_get_processor_handles(amdsmi_socket_handle socket, uint32_t *count,
                                             amdsmi_processor_handle *handles)
{
    if (tcb_fake_amdsmi_live() == 0)
        return STATUS_NOT_INIT;
    char *s = socket;
    if (count == NULL || s < &sockets[0] || s >= &sockets[FAKE_GPUS])
        return STATUS_INVAL;
    if (handles != NULL && *count >= 1)
        handles[0] = &processors[s - sockets];
    *count = handles != NULL && *count < 1 ? 0 : 1;
    return STATUS_SUCCESS;
}

amdsmi_status_t amdsmi_get_energy_count(amdsmi_processor_handle processor,
                                        uint64_t *energy_accumulator, float *counter_resolution,
                                        uint64_t *timestamp)
{
    char *p = processor;
    int gpu = p >= &processors[0] && p < &processors[FAKE_GPUS] ? (int)(p - processors) : -1;
    return energy(gpu, energy_accumulator, counter_resolution, timestamp);
}

/* ---- librocm_smi64 ------------------------------------------------------ */

amdsmi_status_t rsmi_init(uint64_t init_flags)
{
    (void)init_flags;
    return start();
}

amdsmi_status_t rsmi_shut_down(void)
{
    return stop();
}

amdsmi_status_t rsmi_status_string(amdsmi_status_t status, const char **text)
{
    return amdsmi_status_code_to_string(status, text);
}

amdsmi_status_t rsmi_num_monitor_devices(uint32_t *num_devices)
{
    if (tcb_fake_amdsmi_live() == 0)
        return STATUS_NOT_INIT;
    *num_devices = FAKE_GPUS;
    return STATUS_SUCCESS;
}

amdsmi_status_t rsmi_dev_energy_count_get(uint32_t dv_ind, uint64_t *power,
                                          float *counter_resolution, uint64_t *timestamp)
{
    return energy(dv_ind < FAKE_GPUS ? (int)dv_ind : -1, power, counter_resolution, timestamp);
}
