#include "record.h"
#include "timer.h"
#include "workload.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

json_t *tcb_json_number(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *tcb_json_numbers(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, tcb_json_number(v[i]));
    return a;
}

json_t *tcb_params_to_json(const tcb_params *p)
{
    json_t *o = json_object();
    for (int i = 0; i < p->count; i++) {
        const tcb_param *q = &p->items[i];
        json_t *v;
        switch (q->spec->type) {
        case TCB_PARAM_INT:
        case TCB_PARAM_SIZE: v = json_integer(q->v.i); break;
        case TCB_PARAM_FLOAT: v = tcb_json_number(q->v.f); break;
        case TCB_PARAM_BOOL: v = json_boolean(q->v.b); break;
        case TCB_PARAM_ENUM: v = json_string(q->spec->choices[q->v.choice]); break;
        case TCB_PARAM_NAME: v = json_string(q->v.name); break;
        default: v = json_null(); break;
        }
        json_object_set_new(o, q->spec->name, v);
    }
    return o;
}

json_t *tcb_record_new(const char *run_id, const tcb_case *c, int ranks, int nodes)
{
    char utc[32];
    json_t *rec = json_object();
    json_object_set_new(rec, "schema", json_string(TCB_RESULT_SCHEMA));
    json_object_set_new(rec, "run_id", json_string(run_id));
    json_object_set_new(rec, "case", json_integer(c->index));
    json_object_set_new(rec, "workload", json_string(c->workload->name));
    json_object_set_new(rec, "backend", json_string(c->backend));
    json_object_set_new(rec, "params", tcb_params_to_json(&c->params));
    json_object_set_new(rec, "ranks", json_integer(ranks));
    json_object_set_new(rec, "nodes", json_integer(nodes));
    json_object_set_new(rec, "warmup", json_integer(c->warmup));
    json_object_set_new(rec, "iters", json_integer(c->iters));
    json_object_set_new(rec, "timeout_s", tcb_json_number(c->timeout_s));
    json_object_set_new(rec, "time_s", json_null());
    json_object_set_new(rec, "metrics", json_object());
    json_object_set_new(rec, "utc", json_string(tcb_utc_now(utc)));
    tcb_record_set_check(rec, "error", -1, NULL);
    return rec;
}

void tcb_record_set_time(json_t *rec, const tcb_stats *t)
{
    if (t == NULL) {
        json_object_set_new(rec, "time_s", json_null());
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "min", tcb_json_number(t->min));
    json_object_set_new(o, "median", tcb_json_number(t->median));
    json_object_set_new(o, "mean", tcb_json_number(t->mean));
    json_object_set_new(o, "p95", tcb_json_number(t->p95));
    json_object_set_new(o, "max", tcb_json_number(t->max));
    json_object_set_new(o, "stddev", tcb_json_number(t->stddev));
    json_object_set_new(rec, "time_s", o);
}

void tcb_record_set_check(json_t *rec, const char *status, long long wrong,
                          const char *detail)
{
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "wrong", wrong >= 0 ? json_integer(wrong) : json_null());
    if (detail != NULL)
        json_object_set_new(o, "detail", json_string(detail));
    json_object_set_new(rec, "check", o);
}

char *tcb_json_text(const json_t *v, size_t flags)
{
    char *text = json_dumps(v, flags);
    if (text == NULL)
        return NULL;
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (line == NULL) {
        free(text);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    return line;
}

char *tcb_record_line(const json_t *rec)
{
    /* Compact output escapes control characters, so the line has no newline
     * but the one added; JSON_PRESERVE_ORDER keeps the schema's key order.
     * 17 significant digits give every double back bit for bit, so two runs
     * can be compared exactly (losses of a deterministic run, say). */
    return tcb_json_text(rec, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
}

/* The object rec[key], created empty the first time it is asked for. */
static json_t *member_object(json_t *rec, const char *key)
{
    json_t *o = json_object_get(rec, key);
    if (o == NULL) {
        o = json_object();
        json_object_set_new(rec, key, o);
    }
    return o;
}

void tcb_record_metric(json_t *rec, const char *name, double value)
{
    json_object_set_new(member_object(rec, "metrics"), name, tcb_json_number(value));
}

void tcb_record_source(json_t *rec, const char *name, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_object_set_new(member_object(rec, "sources"), name, json_string(text));
}

void tcb_record_series(json_t *rec, const char *name, const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, tcb_json_number(v[i]));
    json_object_set_new(member_object(rec, "series"), name, a);
}
