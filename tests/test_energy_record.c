/* The record's energy object from gathered readings: sums, scopes, watts,
 * energy per token and per FLOP, and what an invalid reading does to them. */
#include "energy_record.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

static tcb_energy_entry entry(int rank, int node, const char *backend, const char *device,
                              tcb_energy_scope scope, bool node_level, double joules)
{
    tcb_energy_entry e = {.rank = rank, .node = node};
    snprintf(e.backend, sizeof e.backend, "%s", backend);
    snprintf(e.r.device, sizeof e.r.device, "%s", device);
    e.r.method = TCB_ENERGY_COUNTER;
    e.r.scope = scope;
    e.r.node_level = node_level;
    e.r.valid = true;
    e.r.joules = joules;
    return e;
}

/* A record with the metrics a workload would have left. */
static json_t *record(double iter_tokens, double iter_flops)
{
    json_t *rec = json_object(), *m = json_object();
    if (iter_tokens > 0)
        json_object_set_new(m, "iter_tokens", json_real(iter_tokens));
    if (iter_flops > 0)
        json_object_set_new(m, "iter_flops", json_real(iter_flops));
    json_object_set_new(rec, "metrics", m);
    return rec;
}

static double num(json_t *rec, const char *a, const char *b)
{
    json_t *v = json_object_get(json_object_get(rec, a), b);
    cr_assert_not_null(v, "%s.%s missing", a, b);
    return json_number_value(v);
}

/* Two nodes: each node's package and DRAM once, four GPUs, one per rank. */
Test(energy_record, sums_every_reading_by_scope)
{
    tcb_energy_entry e[] = {
        entry(0, 0, "rapl", "package-0", TCB_ENERGY_CPU_PACKAGE, true, 100),
        entry(0, 0, "rapl", "package-0/dram", TCB_ENERGY_DRAM, true, 10),
        entry(0, 0, "nvml", "GPU 0", TCB_ENERGY_GPU, false, 500),
        entry(1, 0, "nvml", "GPU 1", TCB_ENERGY_GPU, false, 510),
        entry(2, 1, "rapl", "package-0", TCB_ENERGY_CPU_PACKAGE, true, 90),
        entry(2, 1, "nvml", "GPU 0", TCB_ENERGY_GPU, false, 490),
        entry(3, 1, "nvml", "GPU 1", TCB_ENERGY_GPU, false, 500),
    };
    e[6].r.method = TCB_ENERGY_POWER_SAMPLING;
    json_t *tried = json_pack("[{s:s}]", "backend", "amdsmi");
    json_t *rec = record(4096, 0);
    tcb_energy_record_set(rec, e, 7, 2.0, 4, tried);

    json_t *o = json_object_get(rec, "energy");
    cr_assert(json_is_true(json_object_get(o, "measured")));
    cr_assert(json_is_true(json_object_get(o, "complete")));
    cr_expect_float_eq(num(rec, "energy", "joules"), 2200, 1e-9);
    cr_expect_float_eq(num(rec, "energy", "avg_watts"), 1100, 1e-9);
    cr_expect_float_eq(num(rec, "energy", "window_s"), 2.0, 0);
    cr_expect_float_eq(num(rec, "energy", "joules_per_token"), 2200.0 / (4096 * 4), 1e-12);
    cr_expect_null(json_object_get(o, "gflop_per_joule"), "no FLOP count, no GFLOP/J");

    json_t *scope = json_object_get(o, "by_scope");
    cr_expect_float_eq(json_real_value(json_object_get(scope, "cpu-package")), 190, 1e-9);
    cr_expect_float_eq(json_real_value(json_object_get(scope, "dram")), 10, 1e-9);
    cr_expect_float_eq(json_real_value(json_object_get(scope, "gpu")), 2000, 1e-9);
    cr_expect_eq(json_array_size(json_object_get(o, "readings")), 7);
    json_t *r5 = json_array_get(json_object_get(o, "readings"), 5);
    cr_expect_eq(json_integer_value(json_object_get(r5, "rank")), 2);
    cr_expect_eq(json_integer_value(json_object_get(r5, "node")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(r5, "device")), "GPU 0");

    char *methods = json_dumps(json_object_get(o, "methods"), JSON_COMPACT);
    char *backends = json_dumps(json_object_get(o, "backends"), JSON_COMPACT);
    cr_expect_str_eq(methods, "[\"counter\",\"power-sampling\"]");
    cr_expect_str_eq(backends, "[\"rapl\",\"nvml\"]");
    free(methods);
    free(backends);
    cr_expect(json_equal(json_object_get(o, "tried"), tried));

    /* The metrics a report, the database and compare read. */
    cr_expect_float_eq(num(rec, "metrics", "joules"), 2200, 1e-9);
    cr_expect_float_eq(num(rec, "metrics", "avg_watts"), 1100, 1e-9);
    cr_expect_float_eq(num(rec, "metrics", "joules_per_token"), 2200.0 / (4096 * 4), 1e-12);
    const char *src = json_string_value(json_object_get(json_object_get(rec, "sources"), "joules"));
    cr_expect_not_null(strstr(src, "measured: "), "%s", src);
    json_decref(tried);
    json_decref(rec);
}

Test(energy_record, gflop_per_joule_from_the_work_of_an_iteration)
{
    tcb_energy_entry e = entry(0, 0, "rapl", "package-0", TCB_ENERGY_CPU_PACKAGE, true, 50);
    json_t *rec = record(0, 2e12);
    tcb_energy_record_set(rec, &e, 1, 0.5, 10, NULL);
    cr_expect_float_eq(num(rec, "energy", "gflop_per_joule"), 2e12 * 10 / 1e9 / 50, 1e-9);
    cr_expect_float_eq(num(rec, "metrics", "gflop_per_joule"), 400, 1e-9);
    cr_expect_null(json_object_get(json_object_get(rec, "energy"), "joules_per_token"));
    cr_expect_null(json_object_get(json_object_get(rec, "energy"), "tried"));
    json_decref(rec);
}

/* One invalid reading: the sum of the others is shown as partial, and no
 * metric is made from it. */
Test(energy_record, an_invalid_reading_makes_it_incomplete_not_a_smaller_number)
{
    tcb_energy_entry e[] = {
        entry(0, 0, "nvml", "GPU 0", TCB_ENERGY_GPU, false, 30),
        entry(1, 0, "nvml", "GPU 1", TCB_ENERGY_GPU, false, 0),
    };
    e[1].r.valid = false;
    snprintf(e[1].r.flag, sizeof e[1].r.flag, "the counter went backwards");
    json_t *rec = record(100, 1e9);
    tcb_energy_record_set(rec, e, 2, 1.0, 2, NULL);
    json_t *o = json_object_get(rec, "energy");
    cr_expect(json_is_true(json_object_get(o, "measured")));
    cr_expect(json_is_false(json_object_get(o, "complete")));
    cr_expect_float_eq(num(rec, "energy", "joules"), 30, 1e-9);
    cr_expect_str_eq(json_string_value(json_object_get(o, "why")),
                     "rank 1 nvml GPU 1: the counter went backwards");
    json_t *bad = json_array_get(json_object_get(o, "readings"), 1);
    cr_expect(json_is_null(json_object_get(bad, "joules")), "never 0 for an invalid reading");
    cr_expect(json_is_false(json_object_get(bad, "valid")));
    json_t *metrics = json_object_get(rec, "metrics");
    cr_expect_null(json_object_get(metrics, "joules"));
    cr_expect_null(json_object_get(metrics, "avg_watts"));
    cr_expect_null(json_object_get(metrics, "joules_per_token"));
    cr_expect_null(json_object_get(metrics, "gflop_per_joule"));
    json_decref(rec);
}

Test(energy_record, no_valid_reading_is_not_measured)
{
    tcb_energy_entry e[5];
    for (int i = 0; i < 5; i++) {
        e[i] = entry(i, 0, "nvml", "GPU", TCB_ENERGY_GPU, false, 0);
        e[i].r.valid = false;
        snprintf(e[i].r.flag, sizeof e[i].r.flag, "window 0.05 s is shorter than 0.1 s");
    }
    json_t *rec = record(0, 0);
    tcb_energy_record_set(rec, e, 5, 0.05, 1, NULL);
    json_t *o = json_object_get(rec, "energy");
    cr_expect(json_is_false(json_object_get(o, "measured")));
    const char *why = json_string_value(json_object_get(o, "why"));
    cr_expect_not_null(strstr(why, "rank 0 nvml GPU: window 0.05 s"), "%s", why);
    cr_expect_not_null(strstr(why, "; and 2 more"), "three quoted, the rest counted: %s", why);
    cr_expect_eq(json_array_size(json_object_get(o, "readings")), 5);
    cr_expect_null(json_object_get(o, "joules"));
    cr_expect_eq(json_object_size(json_object_get(rec, "metrics")), 0);
    json_decref(rec);

    rec = record(0, 0);
    tcb_energy_record_set(rec, NULL, 0, 1.0, 1, NULL);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(rec, "energy"), "why")),
                     "no reading on any rank");
    json_decref(rec);
}

Test(energy_record, unmeasured_says_why_and_what_was_tried)
{
    json_t *tried = json_pack("[{s:s, s:i}]", "backend", "rapl", "failed_on_ranks", 1);
    json_t *rec = record(0, 0);
    tcb_energy_record_unmeasured(rec, "the suite asks for energy: none", tried);
    json_t *o = json_object_get(rec, "energy");
    cr_expect(json_is_false(json_object_get(o, "measured")));
    cr_expect_str_eq(json_string_value(json_object_get(o, "why")),
                     "the suite asks for energy: none");
    cr_expect(json_equal(json_object_get(o, "tried"), tried));
    cr_expect_neq(json_object_get(o, "tried"), tried, "a copy, not the meter's own");
    json_decref(tried);
    json_decref(rec);
}
