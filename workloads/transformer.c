/* placeholder: being written */
#include "workload.h"
static const tcb_param_spec no_params[] = {{NULL, 0, NULL, 0, NULL, NULL}};
const tcb_workload tcb_workload_transformer = {.name = "transformer", .summary = "(not written yet)",
                                       .backend_kind = TCB_BACKEND_COMPUTE, .params = no_params};
