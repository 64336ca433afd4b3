#include "energy_record.h"
#include "record.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* How many invalid readings' reasons `why` quotes; the readings list has all. */
#define WHY_QUOTED 3

void tcb_energy_record_unmeasured(json_t *rec, const char *why, const json_t *tried)
{
    json_t *o = json_object();
    json_object_set_new(o, "measured", json_false());
    json_object_set_new(o, "why", json_string(why));
    if (tried != NULL)
        json_object_set_new(o, "tried", json_deep_copy(tried));
    json_object_set_new(rec, "energy", o);
}

/* Appends s to the array a unless it is there already. */
static void add_unique(json_t *a, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        if (strcmp(json_string_value(v), s) == 0)
            return;
    }
    json_array_append_new(a, json_string(s));
}

static json_t *reading_json(const tcb_energy_entry *e)
{
    const tcb_energy_reading *r = &e->r;
    json_t *o = json_object();
    json_object_set_new(o, "rank", json_integer(e->rank));
    json_object_set_new(o, "node", json_integer(e->node));
    json_object_set_new(o, "backend", json_string(e->backend));
    json_object_set_new(o, "device", json_string(r->device));
    json_object_set_new(o, "method", json_string(tcb_energy_method_name(r->method)));
    json_object_set_new(o, "scope", json_string(tcb_energy_scope_name(r->scope)));
    json_object_set_new(o, "node_level", json_boolean(r->node_level));
    json_object_set_new(o, "valid", json_boolean(r->valid));
    json_object_set_new(o, "joules", r->valid ? tcb_json_number(r->joules) : json_null());
    if (r->flag[0] != '\0')
        json_object_set_new(o, "flag", json_string(r->flag));
    return o;
}

/* A metric of the record, or NAN where it is absent or not a positive number. */
static double positive_metric(const json_t *rec, const char *name)
{
    double v = json_number_value(json_object_get(json_object_get(rec, "metrics"), name));
    return v > 0 ? v : NAN;
}

void tcb_energy_record_set(json_t *rec, const tcb_energy_entry *e, int n, double window_s,
                           int iters, const json_t *tried)
{
    json_t *readings = json_array(), *methods = json_array(), *backends = json_array();
    json_t *by_scope = json_object();
    double joules = 0;
    int valid = 0, invalid = 0;
    char why[768] = "";
    for (int i = 0; i < n; i++) {
        const tcb_energy_reading *r = &e[i].r;
        json_array_append_new(readings, reading_json(&e[i]));
        if (!r->valid) {
            if (invalid++ < WHY_QUOTED) {
                size_t len = strlen(why);
                snprintf(why + len, sizeof why - len, "%srank %d %s %s: %s", len ? "; " : "",
                         e[i].rank, e[i].backend, r->device, r->flag);
            }
            continue;
        }
        valid++;
        joules += r->joules;
        const char *scope = tcb_energy_scope_name(r->scope);
        json_t *sum = json_object_get(by_scope, scope);
        json_object_set_new(by_scope, scope,
                            json_real(r->joules + (sum != NULL ? json_real_value(sum) : 0)));
        add_unique(methods, tcb_energy_method_name(r->method));
        add_unique(backends, e[i].backend);
    }
    if (invalid > WHY_QUOTED) {
        size_t len = strlen(why);
        snprintf(why + len, sizeof why - len, "; and %d more", invalid - WHY_QUOTED);
    }

    if (valid == 0) {
        json_decref(methods);
        json_decref(backends);
        json_decref(by_scope);
        tcb_energy_record_unmeasured(rec, n == 0 ? "no reading on any rank" : why, tried);
        json_object_set_new(json_object_get(rec, "energy"), "readings", readings);
        return;
    }

    double watts = window_s > 0 ? joules / window_s : NAN;
    double tokens = positive_metric(rec, "iter_tokens") * iters;
    double flops = positive_metric(rec, "iter_flops") * iters;
    double per_token = joules / tokens, gflop_per_j = flops / 1e9 / joules;
    bool complete = invalid == 0;

    json_t *o = json_object();
    json_object_set_new(o, "measured", json_true());
    json_object_set_new(o, "complete", json_boolean(complete));
    if (!complete)
        json_object_set_new(o, "why", json_string(why));
    json_object_set_new(o, "joules", tcb_json_number(joules));
    json_object_set_new(o, "window_s", tcb_json_number(window_s));
    json_object_set_new(o, "avg_watts", tcb_json_number(watts));
    if (isfinite(per_token))
        json_object_set_new(o, "joules_per_token", tcb_json_number(per_token));
    if (isfinite(gflop_per_j))
        json_object_set_new(o, "gflop_per_joule", tcb_json_number(gflop_per_j));
    json_object_set_new(o, "by_scope", by_scope);
    json_object_set_new(o, "methods", methods);
    json_object_set_new(o, "backends", backends);
    json_object_set_new(o, "readings", readings);
    if (tried != NULL)
        json_object_set_new(o, "tried", json_deep_copy(tried));
    json_object_set_new(rec, "energy", o);
    if (!complete)
        return;

    /* Only a sum of every reading is a figure of the case. */
    char how[160];
    snprintf(how, sizeof how, "%d reading(s) over the %d timed iterations, %.4g s",
             valid, iters, window_s);
    tcb_record_metric(rec, "joules", joules);
    tcb_record_source(rec, "joules", "measured: energy.readings summed, %s", how);
    tcb_record_metric(rec, "avg_watts", watts);
    tcb_record_source(rec, "avg_watts", "derived: joules / energy.window_s");
    if (isfinite(per_token)) {
        tcb_record_metric(rec, "joules_per_token", per_token);
        tcb_record_source(rec, "joules_per_token", "derived: joules / (iter_tokens x iters)");
    }
    if (isfinite(gflop_per_j)) {
        tcb_record_metric(rec, "gflop_per_joule", gflop_per_j);
        tcb_record_source(rec, "gflop_per_joule", "derived: iter_flops x iters / 1e9 / joules");
    }
}
