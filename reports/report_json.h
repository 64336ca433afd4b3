/* Reading result records and cost.json in `tcbench report`: a value by its
 * dotted path ("metrics.busbw_GBps"), as a number or text, and the one
 * number format of the report's tables. */
#ifndef TCB_REPORT_JSON_H
#define TCB_REPORT_JSON_H

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The value at path (keys of at most 63 characters joined by '.'), or NULL. */
static inline json_t *tcb_json_at(json_t *o, const char *path)
{
    char key[64];
    while (o != NULL && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        o = json_object_get(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

/* The number at path; NAN when missing or not a number. */
static inline double tcb_json_num(json_t *o, const char *path)
{
    json_t *v = tcb_json_at(o, path);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The text at path; "" when missing or not a string. */
static inline const char *tcb_json_str(json_t *o, const char *path)
{
    json_t *v = tcb_json_at(o, path);
    return json_is_string(v) ? json_string_value(v) : "";
}

/* A table's number: %.4g, "-" for one that is not finite. */
static inline void tcb_fmt4g(char *buf, size_t n, double v)
{
    if (isfinite(v))
        snprintf(buf, n, "%.4g", v);
    else
        snprintf(buf, n, "-");
}

#endif
