/* The cost section of `tcbench report`: the cost-per-generation curves (one
 * line per hardware, dollars on a log axis, low-high bands), the table and
 * cost.json's notes. docs/report.md, section 5. */
#ifndef TCB_REPORT_COST_H
#define TCB_REPORT_COST_H

#include "html.h"
#include "tcb_error.h"

#include <jansson.h>

typedef struct {
    json_t *doc; /* owned (json_decref); NULL: no cost.json found */
    char path[1100];
} tcb_report_cost;

/* OUT/cost.json, else RUN/cost.json, into cd. Neither there: TCB_OK with
 * cd->doc NULL. One that does not parse: TCB_ERR_CONFIG, "PATH:LINE: not
 * JSON: why" logged. */
tcb_status tcb_report_cost_load(tcb_report_cost *cd, const char *out, const char *run);

/* The section; nothing when cd->doc is NULL, a note when its schema is not
 * tcbench.cost/1. */
void tcb_report_cost_section(tcb_page *o, const tcb_report_cost *cd);

#endif
