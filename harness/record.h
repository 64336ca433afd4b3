/* The result record of DESIGN.md ("tcbench.result/1"), one JSON object per
 * case, and the JSON helpers every writer shares. docs/results-schema.md
 * documents every field. */
#ifndef TCB_RECORD_H
#define TCB_RECORD_H

#include "stats.h"
#include "suite.h"

#include <jansson.h>

#define TCB_RESULT_SCHEMA "tcbench.result/1"

/* A JSON number, or null where v is NaN or infinite: JSON has no such
 * numbers, and jansson refuses them. New reference. */
json_t *tcb_json_number(double v);
/* An array of n numbers (tcb_json_number each); NULL when out of memory. */
json_t *tcb_json_numbers(const double *v, int n);

/* The case's parameters as a JSON object {name: value}. New reference. */
json_t *tcb_params_to_json(const tcb_params *p);

/* A record for case c with everything but time_s, metrics and check filled
 * in (those start as null, {} and {"status": "error"}). New reference. */
json_t *tcb_record_new(const char *run_id, const tcb_case *c, int ranks, int nodes);

/* time_s from t, or null when t is NULL (nothing was timed). */
void tcb_record_set_time(json_t *rec, const tcb_stats *t);

/* check: {"status": status, "wrong": wrong (null if < 0), "detail": detail
 * (omitted if NULL)}. status is one of ok, wrong, timeout, error, skipped. */
void tcb_record_set_check(json_t *rec, const char *status, long long wrong,
                          const char *detail);

/* metrics[name] = value (null where not finite). */
void tcb_record_metric(json_t *rec, const char *name, double value);

/* sources[name] = the text: where the figure `name` (a metric, or an input of
 * one) came from, "measured: ...", "catalog: ...", "derived: ..." or
 * "assumed: ...". printf-style. */
void tcb_record_source(json_t *rec, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* series[name] = [v[0], ..., v[n-1]]: a figure per step (loss, step time). */
void tcb_record_series(json_t *rec, const char *name, const double *v, int n);

/* The record as one line ending in '\n', no newline inside (JSON escapes
 * them). Caller frees with free(). NULL if jansson fails. */
char *tcb_record_line(const json_t *rec);

/* json_dumps(v, flags) with a final '\n': what every file tcbench writes
 * ends with. Caller frees with free(). NULL if jansson fails. */
char *tcb_json_text(const json_t *v, size_t flags);

#endif
