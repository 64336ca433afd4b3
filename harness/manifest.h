/* run.json: what was run, where, with what, and whether it finished.
 * docs/run-json.md documents every field. */
#ifndef TCB_MANIFEST_H
#define TCB_MANIFEST_H

#include "suite.h"
#include "world.h"

#include <jansson.h>

#define TCB_RUN_SCHEMA "tcbench.run/1"

/* Collective over the world (it gathers every node's description). Rank 0
 * gets a new object with "finished": false; the others get NULL. */
json_t *tcb_manifest_new(const tcb_world *w, const tcb_suite *suite, const char *run_id,
                         int argc, char **argv, tcb_status *status);

/* m["energy"]: what the suite asked for (auto or the list) and what the
 * energy meter tried (tcb_energy_meter_open's tried; copied). */
void tcb_manifest_set_energy(json_t *m, const tcb_suite *suite, const json_t *tried);

/* Marks the run as ended: end time, exit status, "finished": true, and the
 * count of records by check status. */
void tcb_manifest_finish(json_t *m, int exit_status, const int counts[5]);

/* Writes m to DIR/run.json atomically. */
tcb_status tcb_manifest_write(const char *dir, const json_t *m);

/* The check statuses in the order of the counts above. */
extern const char *const tcb_check_names[5];

#endif
