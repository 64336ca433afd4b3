/* Which metrics of a record the nightly gate and the trend judge, and which
 * way is better for each.
 *
 * Only metrics that measure speed are listed: a metric that describes the
 * case (bytes, threads, n_params) or comes from a catalog (peak_tflops) has
 * no better direction, and one read once per case (peak_rss_bytes) has no
 * per-iteration samples to test. Every listed metric is a function of the
 * iteration time, so one significance test on the case's samples_s serves
 * all of them: higher-is-better metrics are rates (work / time), lower ones
 * are times. docs/nightly.md has the table. */
#ifndef TCB_DIRECTIONS_H
#define TCB_DIRECTIONS_H

#include <jansson.h>
#include <stdbool.h>

typedef struct {
    const char *name;      /* "time_s" is the record's time_s.median; the rest
                            * are keys of its metrics object */
    bool higher_is_better; /* rates: true; times: false */
} tcb_direction;

/* The judged metrics, in the order reports list them; {NULL} ends it. */
extern const tcb_direction tcb_directions[];

/* The entry for name, or NULL when the gate does not judge it. */
const tcb_direction *tcb_direction_find(const char *name);

/* The value of a judged metric in a record: time_s.median for "time_s",
 * metrics[name] otherwise. NAN when absent, null or not a number. */
double tcb_direction_value(json_t *record, const char *name);

#endif
