/* Node topology from hwloc: what run.json records per node and what
 * `tcbench topo` prints. */
#ifndef TCB_TOPOLOGY_H
#define TCB_TOPOLOGY_H

#include "tcb_error.h"

#include <jansson.h>
#include <stdio.h>

/* Loads the topology of this machine (source NULL), of a synthetic description
 * ("synthetic:pack:2 numa:2 core:8 pu:2") or of an XML file ("xml:PATH"), and
 * returns its summary as a new JSON object (caller frees with json_decref):
 *
 *   {"packages": 2, "numa_nodes": 4, "cores": 32, "pus": 64,
 *    "caches": [{"level": 3, "type": "unified", "size_bytes": ..., "count": 2}, ...],
 *    "numa": [{"os_index": 0, "memory_bytes": ..., "cpuset": "0-15"}, ...],
 *    "gpus": [{"pci": "0000:17:00.0", "vendor_id": "10de", "device_id": "2335",
 *              "name": "...", "os_devices": ["cuda0", ...], "numa": [0]}, ...],
 *    "nics": [{"pci": ..., "vendor_id": ..., "device_id": ..., "name": ...,
 *              "os_devices": ["mlx5_0", "ib0"], "numa": [1]}, ...]}
 *
 * On failure returns NULL with the reason in *d (TCB_ERR_CONFIG for a bad
 * source, TCB_ERR_RUNTIME when hwloc fails) and *status set. */
json_t *tcb_topology_summary(const char *source, tcb_status *status, tcb_diag *d);

/* Facts about this machine that hwloc does not give: hostname, CPU model,
 * cores, memory, kernel. New JSON object, caller frees:
 *   {"hostname": ..., "cpu_model": ..., "cpus_online": 64,
 *    "memory_bytes": ..., "kernel": "Linux 6.1.0-... x86_64"} */
json_t *tcb_sysinfo_collect(void);

/* Human-readable rendering of one node object {"sysinfo": ..., "topology": ...}
 * for `tcbench topo`. */
void tcb_topology_print(FILE *out, const json_t *node);

#endif
