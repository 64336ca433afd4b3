/* placeholder: being written */
#include "compute.h"
const tcb_compute_backend tcb_compute_cpu = {.name = "cpu", .summary = "(not written yet)"};
