/* Per-node facts gathered at rank 0: each node's leader (local rank 0)
 * describes its node once, so a 512-rank job on 64 nodes sends 64 reports. */
#ifndef TCB_NODES_H
#define TCB_NODES_H

#include "world.h"

#include <jansson.h>

/* Collective over the world. Node leaders collect sysinfo and the hwloc
 * topology summary of their node; rank 0 returns a new JSON array, in node
 * order, of {"node": i, "hostname": ..., "ranks": [world ranks on it],
 * "sysinfo": {...}, "topology": {...}}; other ranks return NULL (and so does
 * rank 0 when a transfer fails: *status says so). A node whose topology could
 * not be read has "topology": null and "topology_error": "...". */
json_t *tcb_nodes_gather(const tcb_world *w, tcb_status *status);

#endif
