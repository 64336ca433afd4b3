#include "record.h"
#include "results.h"
#include "workload.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A sleep case built by hand: seconds=0.5, rank=-1. */
static tcb_param items[2];
static tcb_case make_case(void)
{
    const tcb_workload *wl = tcb_workload_find("sleep");
    cr_assert_not_null(wl);
    items[0] = (tcb_param){.spec = &wl->params[0], .v.f = 0.5};
    items[1] = (tcb_param){.spec = &wl->params[1], .v.i = -1};
    return (tcb_case){.index = 3, .workload = wl, .backend = "", .warmup = 1, .iters = 4,
                      .timeout_s = 9, .params = {items, 2}};
}

Test(record, non_finite_numbers_become_null)
{
    json_t *n = tcb_json_number(NAN), *i = tcb_json_number(-INFINITY), *x = tcb_json_number(1.5);
    cr_assert(json_is_null(n));
    cr_assert(json_is_null(i));
    cr_assert_float_eq(json_real_value(x), 1.5, 0);
    json_decref(n);
    json_decref(i);
    json_decref(x);

    tcb_case c = make_case();
    json_t *rec = tcb_record_new("r", &c, 2, 1);
    tcb_stats t = {.min = 1, .median = NAN, .mean = INFINITY, .p95 = 2, .max = 3, .stddev = 0};
    tcb_record_set_time(rec, &t);
    char *line = tcb_record_line(rec);
    cr_assert_not_null(line);
    cr_assert_not_null(strstr(line, "\"median\":null"), "%s", line);
    cr_assert_not_null(strstr(line, "\"mean\":null"));
    json_t *back = json_loads(line, 0, NULL);
    cr_assert_not_null(back, "the line is valid JSON");
    json_decref(back);
    free(line);
    json_decref(rec);
}

Test(record, escapes_make_one_line_that_round_trips)
{
    tcb_case c = make_case();
    const char *id = "we\"ird\\id\nwith\ttabs \x01 and \xc3\xa9";
    json_t *rec = tcb_record_new(id, &c, 4, 2);
    tcb_record_set_check(rec, "error", -1, "line one\nline two");
    char *line = tcb_record_line(rec);
    size_t n = strlen(line);
    cr_assert_eq(line[n - 1], '\n');
    cr_assert_null(memchr(line, '\n', n - 1), "no newline inside the record");
    json_t *back = json_loads(line, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(back, "run_id")), id);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(back, "check"), "detail")),
                     "line one\nline two");
    cr_assert(json_is_null(json_object_get(json_object_get(back, "check"), "wrong")));
    json_decref(back);
    free(line);
    json_decref(rec);
}

Test(record, has_every_required_key_in_schema_order)
{
    tcb_case c = make_case();
    json_t *rec = tcb_record_new("run-1", &c, 2, 1);
    tcb_record_set_check(rec, "ok", 0, NULL);
    static const char *const keys[] = {"schema", "run_id", "case", "workload", "backend",
                                       "params", "ranks", "nodes", "iters", "time_s",
                                       "metrics", "check", NULL};
    char *line = tcb_record_line(rec);
    const char *prev = line;
    for (int i = 0; keys[i] != NULL; i++) {
        char quoted[32];
        snprintf(quoted, sizeof quoted, "\"%s\":", keys[i]);
        const char *at = strstr(line, quoted);
        cr_assert_not_null(at, "key %s", keys[i]);
        cr_assert_geq(at, prev, "key %s out of order", keys[i]);
        prev = at;
    }
    cr_assert_not_null(strstr(line, "\"schema\":\"tcbench.result/1\""));
    cr_assert_not_null(strstr(line, "\"params\":{\"seconds\":0.5,\"rank\":-1}"), "%s", line);
    cr_assert_not_null(strstr(line, "\"check\":{\"status\":\"ok\",\"wrong\":0}"));
    free(line);
    json_decref(rec);
}

Test(record, results_append_whole_lines_and_atomic_replace)
{
    char dir[] = "/tmp/tcb-record-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    tcb_results *r = NULL;
    cr_assert_eq(tcb_results_open(dir, &r), TCB_OK);
    tcb_case c = make_case();
    json_t *rec = tcb_record_new("a", &c, 1, 1);
    cr_assert_eq(tcb_results_append(r, rec), TCB_OK);
    cr_assert_eq(tcb_results_append(r, rec), TCB_OK);
    tcb_results_close(r);
    json_decref(rec);

    char path[256], buf[4096];
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    FILE *f = fopen(path, "r");
    int lines = 0;
    while (fgets(buf, sizeof buf, f) != NULL) {
        cr_assert_not_null(json_loads(buf, 0, NULL));
        lines++;
    }
    fclose(f);
    cr_assert_eq(lines, 2);

    cr_assert_eq(tcb_file_write_atomic(dir, "run.json", "{\"v\": 1}\n"), TCB_OK);
    cr_assert_eq(tcb_file_write_atomic(dir, "run.json", "{\"v\": 2}\n"), TCB_OK);
    snprintf(path, sizeof path, "%s/run.json", dir);
    json_t *doc = json_load_file(path, 0, NULL);
    cr_assert_eq(json_integer_value(json_object_get(doc, "v")), 2);
    json_decref(doc);
    cr_assert_eq(tcb_file_write_atomic("/nonexistent-dir", "run.json", "x"), TCB_ERR_RUNTIME);

    char cmd[512];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 2 && rm -r %s", dir, dir);
    cr_assert_eq(system(cmd), 0, "only results.jsonl and run.json, no temporary file");
}
