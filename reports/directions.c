#include "directions.h"

#include <math.h>
#include <string.h>

const tcb_direction tcb_directions[] = {
    {"time_s", false},    /* every timed workload */
    {"busbw_GBps", true}, /* collective */
    {"algbw_GBps", true},
    {"tflops", true}, /* gemm */
    {"GBps", true},   /* membw */
    {"GBps_all_ranks", true},
    {"tokens_per_s", true}, /* transformer */
    {"tokens_per_s_per_device", true},
    {"tflops_per_device", true},
    {"mfu", true},
    {"achievable_mfu", true},
    {NULL, false},
};

const tcb_direction *tcb_direction_find(const char *name)
{
    for (const tcb_direction *m = tcb_directions; m->name != NULL; m++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

double tcb_direction_value(json_t *record, const char *name)
{
    json_t *v = strcmp(name, "time_s") == 0
                    ? json_object_get(json_object_get(record, "time_s"), "median")
                    : json_object_get(json_object_get(record, "metrics"), name);
    return json_is_number(v) ? json_number_value(v) : NAN;
}
