/* Which CUDA device a rank drives: one per local rank (the node split of
 * world.h), counted among the devices CUDA_VISIBLE_DEVICES leaves visible,
 * which the CUDA runtime has already renumbered from 0. Shared by the cuda
 * compute backend and the nccl comm backend, so both drive the same device. */
#ifndef TCB_CUDA_DEVICE_H
#define TCB_CUDA_DEVICE_H

#include "tcb_error.h"
#include "world.h"

#include <jansson.h>
#include <stdbool.h>

/* Picks this rank's device and makes it current (cudaSetDevice): device
 * local_rank, or 0 where the launcher gave each rank one device of its own
 * (srun --gpus-per-task=1). More ranks on a node than visible devices is a
 * configuration error whose message names the host and the counts. */
tcb_status tcb_cuda_device_pick(const tcb_world *w, int *device);

/* True when at least one CUDA device is usable; else false with the reason
 * in why ("no CUDA device: ..."), which GPU tests print when they skip. */
bool tcb_cuda_available(char *why, int n);

/* The device's PCI bus id ("0000:19:00.0"), which NVML's
 * nvmlDeviceGetHandleByPciBusId takes: CUDA and NVML number devices
 * differently. */
tcb_status tcb_cuda_pci_bus_id(int device, char *buf, int n);

/* The PCI bus id of the device tcb_cuda_device_pick gives this rank, found
 * without making it current or logging: for the nvml energy backend, which
 * must read the board the rank computes on. False where there is none. */
bool tcb_cuda_rank_bus_id(const tcb_world *w, char *buf, int n);

/* Adds "cuda_runtime" and "cuda_driver" ("major.minor") to o, for run.json;
 * "none (no CUDA driver)" where none is installed, "unknown: why" where the
 * runtime cannot tell. */
void tcb_cuda_versions(json_t *o);

#endif
