/* Device choice for the CUDA backends (cuda_device.h). */
#include "cuda_device.h"
#include "cuda_check.h"

#include <stdio.h>
#include <stdlib.h>

/* Device local_rank of count visible, or 0 where there is one (one device
 * per rank, or one rank per node); -1 where the node has too few. */
static int rank_device(const tcb_world *w, int count)
{
    if (count == 1)
        return 0;
    return w->local_rank < count ? w->local_rank : -1;
}

tcb_status tcb_cuda_device_pick(const tcb_world *w, int *device)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        tcb_log_error("no CUDA device on %s: %s", w->host,
                      e != cudaSuccess ? cudaGetErrorString(e) : "the runtime counts none");
        return TCB_ERR_CONFIG;
    }
    const char *visible = getenv("CUDA_VISIBLE_DEVICES");
    *device = rank_device(w, count);
    if (*device < 0) {
        tcb_log_error("%d ranks on %s but %d CUDA devices visible (CUDA_VISIBLE_DEVICES=%s): "
                      "start at most one rank per device",
                      w->local_size, w->host, count, visible != NULL ? visible : "unset");
        return TCB_ERR_CONFIG;
    }
    TCB_CUDA_CHECK(cudaSetDevice(*device));
    return TCB_OK;
}

bool tcb_cuda_available(char *why, int n)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaSuccess && count > 0)
        return true;
    snprintf(why, (size_t)n, "no CUDA device: %s",
             e != cudaSuccess ? cudaGetErrorString(e) : "the runtime counts none");
    return false;
}

tcb_status tcb_cuda_pci_bus_id(int device, char *buf, int n)
{
    TCB_CUDA_CHECK(cudaDeviceGetPCIBusId(buf, n, device));
    return TCB_OK;
}

bool tcb_cuda_rank_bus_id(const tcb_world *w, char *buf, int n)
{
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess)
        return false;
    int device = rank_device(w, count);
    return device >= 0 && cudaDeviceGetPCIBusId(buf, n, device) == cudaSuccess;
}

/* CUDA's version integers (1000 * major + 10 * minor) as "major.minor";
 * what a machine without a driver gives is said, not failed. */
static json_t *version_string(cudaError_t e, int v, const char *none)
{
    char buf[160];
    if (e != cudaSuccess)
        snprintf(buf, sizeof buf, "unknown: %s", cudaGetErrorString(e));
    else if (v == 0)
        snprintf(buf, sizeof buf, "%s", none);
    else
        snprintf(buf, sizeof buf, "%d.%d", v / 1000, v % 1000 / 10);
    return json_string(buf);
}

void tcb_cuda_versions(json_t *o)
{
    int runtime = 0, driver = 0;
    cudaError_t e = cudaRuntimeGetVersion(&runtime);
    json_object_set_new(o, "cuda_runtime", version_string(e, runtime, "none"));
    e = cudaDriverGetVersion(&driver);
    json_object_set_new(o, "cuda_driver", version_string(e, driver, "none (no CUDA driver)"));
}
