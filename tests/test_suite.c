/* Suite loading, validation, expansion and --set (harness/suite.c and
 * harness/suite_expand.c), against the collective and sleep workloads. */
#include "suite.h"
#include "workload.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SMOKE TCB_FIXTURES "/suites/smoke.yaml"

/* The suites here run collective over the mpi comm backend; a build without
 * MPI (TCBENCH_WITH_MPI=OFF) has none, so every suite would fail there. */
static void need_mpi_backend(void)
{
    if (!tcb_backend_exists(TCB_BACKEND_COMM, "mpi"))
        cr_skip_test("built without the mpi comm backend");
}

TestSuite(suite, .init = need_mpi_backend);

/* Writes text to a fresh temporary file and loads it. The message comes back
 * in msg with the temporary path taken off ("3:5: ..."), so a test can state
 * the exact line and column it expects. */
static tcb_status load_text(const char *text, const char *const *sets, int nsets,
                            tcb_suite *s, char msg[1024])
{
    char path[] = "/tmp/tcb_test_suite_XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    cr_assert(fd >= 0, "mkstemps");
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    tcb_diag d = {{0}};
    tcb_status st = tcb_suite_load(path, sets, nsets, s, &d);
    unlink(path);
    size_t plen = strlen(path);
    const char *m = strncmp(d.msg, path, plen) == 0 && d.msg[plen] == ':' ? d.msg + plen + 1 : d.msg;
    snprintf(msg, 1024, "%s", m);
    return st;
}

/* Loads text expecting success. */
static void load_ok(const char *text, const char *const *sets, int nsets, tcb_suite *s)
{
    char msg[1024];
    tcb_status st = load_text(text, sets, nsets, s, msg);
    cr_assert_eq(st, TCB_OK, "unexpected error: %s", msg);
}

static const char *describe(const tcb_case *c)
{
    static char buf[512];
    return tcb_case_describe(c, buf, sizeof buf);
}

/* The parameter names of a workload's table, ", "-separated, in its order. */
static const char *param_names(const char *workload, char *buf, size_t n)
{
    const tcb_workload *w = tcb_workload_find(workload);
    cr_assert_not_null(w);
    buf[0] = '\0';
    for (int i = 0; w->params[i].name != NULL; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, n - used, "%s%s", i ? ", " : "", w->params[i].name);
    }
    return buf;
}

/* describe() gives exactly the words of want (space-separated "name=value",
 * any order here), one per parameter, in the order of the workload's table. */
static void expect_described(const tcb_case *c, const char *want)
{
    const char *got = describe(c);
    char words[512];
    snprintf(words, sizeof words, "%s", want);
    int nwords = 0;
    for (char *save, *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char needle[80];
        snprintf(needle, sizeof needle, " %s ", w);
        char padded[600];
        snprintf(padded, sizeof padded, " %s ", got);
        cr_expect_not_null(strstr(padded, needle), "'%s' lacks '%s'", got, w);
        nwords++;
    }
    cr_expect_eq(nwords, c->params.count, "'%s'", got);
    char padded[600];
    snprintf(padded, sizeof padded, " %s", got);
    const char *at = padded;
    for (int i = 0; c->workload->params[i].name != NULL && i < c->params.count; i++) {
        char key[64];
        snprintf(key, sizeof key, " %s=", c->workload->params[i].name);
        const char *found = strstr(at, key);
        cr_expect_not_null(found, "'%s': '%s' out of table order", got, key);
        if (found)
            at = found;
    }
}

/* ---- a valid suite ---------------------------------------------------- */

Test(suite, loads_the_smoke_fixture)
{
    tcb_suite s;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_suite_load(SMOKE, NULL, 0, &s, &d), TCB_OK, "%s", d.msg);
    cr_expect_str_eq(s.name, "smoke");
    cr_expect_str_eq(s.path, SMOKE);
    /* 2 collectives x 9 sizes (8B .. 512KiB by 4; 2MiB passes 1MiB), then 3 sleeps. */
    cr_assert_eq(s.ncases, 21);
    for (int i = 0; i < s.ncases; i++)
        cr_expect_eq(s.cases[i].index, i);

    const tcb_case *c = &s.cases[0];
    cr_expect_str_eq(c->workload->name, "collective");
    cr_expect_str_eq(c->backend, "mpi");
    cr_expect_eq(c->warmup, 2);
    cr_expect_eq(c->iters, 20, "the entry's iters beats the defaults");
    cr_expect_float_eq(c->timeout_s, 60.0, 1e-12);
    cr_expect_eq(c->source_line, 8);
    cr_expect_eq(c->source_column, 5);
    cr_expect_eq(c->params.count, 8);
    expect_described(c, "collective=allreduce dtype=float32 op=sum size=8B inplace=false "
                        "scope=world root=0 corrupt=0");
    cr_expect_eq(tcb_params_int(&s.cases[8].params, "size"), 512 * 1024);
    cr_expect_str_eq(tcb_params_enum(&s.cases[9].params, "collective"), "allgather");
    cr_expect_eq(tcb_params_int(&s.cases[9].params, "size"), 8);
    cr_expect_eq(tcb_params_int(&s.cases[17].params, "size"), 512 * 1024);

    const tcb_case *z = &s.cases[18];
    cr_expect_str_eq(z->workload->name, "sleep");
    cr_expect_str_eq(z->backend, "");
    cr_expect_eq(z->warmup, 2);
    cr_expect_eq(z->iters, 10);
    cr_expect_float_eq(z->timeout_s, 5.0, 1e-12);
    cr_expect_eq(z->source_line, 14);
    cr_expect_eq(z->source_column, 5);
    cr_expect_str_eq(describe(&s.cases[18]), "seconds=0.1 rank=0");
    cr_expect_str_eq(describe(&s.cases[19]), "seconds=0.2 rank=0");
    cr_expect_str_eq(describe(&s.cases[20]), "seconds=0.3 rank=0");
    cr_expect_eq(tcb_params_float(&s.cases[20].params, "seconds"), 0.3, "to is hit exactly");
    tcb_suite_free(&s);
    cr_expect_null(s.cases);
}

Test(suite, keeps_the_file_bytes_and_hashes_them)
{
    tcb_suite s;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_suite_load(SMOKE, NULL, 0, &s, &d), TCB_OK, "%s", d.msg);
    FILE *f = fopen(SMOKE, "rb");
    cr_assert_not_null(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    cr_expect_eq(s.text_len, (long)n);
    cr_expect_eq(memcmp(s.text, buf, n), 0);
    cr_expect_eq(s.text[n], '\0');
    char h[17];
    tcb_suite_hash(&s, h);
    cr_expect_eq(strlen(h), 16u);
    cr_expect_eq(strspn(h, "0123456789abcdef"), 16u);
    tcb_suite_free(&s);
}

Test(suite, hash_is_fnv1a_64)
{
    /* Published FNV-1a 64 test vectors. */
    static const struct {
        const char *text, *hash;
    } rows[] = {
        {"", "cbf29ce484222325"},
        {"a", "af63dc4c8601ec8c"},
        {"foobar", "85944171f73967e8"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tcb_suite s = {.text = (char *)rows[i].text, .text_len = (long)strlen(rows[i].text)};
        char h[17];
        tcb_suite_hash(&s, h);
        cr_expect_str_eq(h, rows[i].hash, "hash of '%s'", rows[i].text);
    }
}

/* Ranks compare the plan hash before measuring: a --set given to one rank
 * alone must change it, the same --set must not, and the file's hash (the
 * manifest's) stays the file's. */
Test(suite, plan_hash_covers_every_set_value)
{
    const char *text = "name: p\ncases:\n  - workload: sleep\n    params: {seconds: 0.1}\n";
    const char *const none[] = {NULL};
    const char *const iters7[] = {"iters=7"};
    const char *const seconds[] = {"seconds=0.1000000001"};
    const char *const rank1[] = {"rank=1"};
    const char *const *sets[] = {none, iters7, seconds, rank1, iters7};
    int nsets[] = {0, 1, 1, 1, 1};
    char plan[5][17], file[5][17];
    for (int i = 0; i < 5; i++) {
        tcb_suite s;
        load_ok(text, sets[i], nsets[i], &s);
        tcb_suite_plan_hash(&s, plan[i]);
        tcb_suite_hash(&s, file[i]);
        tcb_suite_free(&s);
    }
    for (int i = 1; i < 4; i++) {
        cr_expect_str_neq(plan[i], plan[0], "--set %s did not change the plan hash", sets[i][0]);
        cr_expect_str_eq(file[i], file[0]);
    }
    cr_expect_str_eq(plan[4], plan[1], "the same --set, another hash");
}

Test(suite, last_spec_parameter_varies_fastest)
{
    /* sleep's table is (seconds, rank); the file lists rank first: the
     * table's order decides, not the file's. */
    tcb_suite s;
    load_ok("name: order\n"
            "cases:\n"
            "  - workload: sleep\n"
            "    params:\n"
            "      rank: [0, 1, 2]\n"
            "      seconds: [0.5, 0.25]\n",
            NULL, 0, &s);
    cr_assert_eq(s.ncases, 6);
    static const char *const want[] = {
        "seconds=0.5 rank=0",  "seconds=0.5 rank=1",  "seconds=0.5 rank=2",
        "seconds=0.25 rank=0", "seconds=0.25 rank=1", "seconds=0.25 rank=2",
    };
    for (int i = 0; i < 6; i++)
        cr_expect_str_eq(describe(&s.cases[i]), want[i], "case %d", i);
    tcb_suite_free(&s);
}

/* Position of a case's value of parameter p in the list the file gave. */
static int position(const tcb_case *c, int p, const char *const *list)
{
    const tcb_param *it = &c->params.items[p];
    char text[64];
    if (it->spec->type == TCB_PARAM_ENUM)
        snprintf(text, sizeof text, "%s", it->spec->choices[it->v.choice]);
    else
        snprintf(text, sizeof text, "%lld", it->v.i);
    for (int i = 0; list[i] != NULL; i++)
        if (strcmp(list[i], text) == 0)
            return i;
    return -1;
}

Test(suite, cross_product_is_an_odometer_in_table_order)
{
    /* Three lists of collective, whatever its table's order: the cases must
     * be every combination once, ordered lexicographically by the positions
     * of their values, the parameters taken in table order. */
    static const char *const colls[] = {"allreduce", "broadcast", NULL};
    static const char *const dtypes[] = {"float32", "float64", "int32", NULL};
    static const char *const sizes[] = {"8", "16", NULL};
    tcb_suite s;
    load_ok("name: order\n"
            "cases:\n"
            "  - workload: collective\n"
            "    backend: mpi\n"
            "    params:\n"
            "      size: [8, 16]\n"
            "      dtype: [float32, float64, int32]\n"
            "      collective: [allreduce, broadcast]\n",
            NULL, 0, &s);
    cr_assert_eq(s.ncases, 2 * 3 * 2);
    int prev[16] = {0};
    for (int i = 0; i < s.ncases; i++) {
        int key[16] = {0}, n = 0;
        const tcb_case *c = &s.cases[i];
        for (int p = 0; p < c->params.count; p++) {
            const char *name = c->params.items[p].spec->name;
            cr_assert_eq(c->params.items[p].spec, &c->workload->params[p], "items in table order");
            if (strcmp(name, "collective") == 0)
                key[n++] = position(c, p, colls);
            else if (strcmp(name, "dtype") == 0)
                key[n++] = position(c, p, dtypes);
            else if (strcmp(name, "size") == 0)
                key[n++] = position(c, p, sizes);
        }
        cr_assert_eq(n, 3);
        for (int k = 0; k < 3; k++)
            cr_assert_geq(key[k], 0);
        if (i > 0) {
            int k = 0;
            while (k < 3 && key[k] == prev[k])
                k++;
            cr_expect(k < 3 && key[k] > prev[k], "case %d does not follow case %d", i, i - 1);
        }
        memcpy(prev, key, sizeof prev);
    }
    tcb_suite_free(&s);
}

Test(suite, defaults_fill_what_is_not_given)
{
    tcb_suite s;
    load_ok("name: d\n"
            "defaults:\n"
            "cases:\n"
            "  - workload: collective\n"
            "    backend: mpi\n"
            "    params: {collective: reduce}\n"
            "  - workload: sleep\n"
            "    params:\n",
            NULL, 0, &s);
    cr_assert_eq(s.ncases, 2);
    expect_described(&s.cases[0], "collective=reduce dtype=float32 op=sum size=1MiB "
                                  "inplace=false scope=world root=0 corrupt=0");
    cr_expect_str_eq(describe(&s.cases[1]), "seconds=0.01 rank=-1");
    cr_expect_eq(s.cases[1].source_line, 7);
    cr_expect_eq(s.cases[0].warmup, 1);
    cr_expect_eq(s.cases[0].iters, 10);
    cr_expect_float_eq(s.cases[0].timeout_s, 300.0, 1e-12);
    tcb_suite_free(&s);
}

/* The values of one parameter over the cases param_yaml gives, as words. */
static void expect_values(const char *param_yaml, const char *name, const char *want)
{
    bool sleep = strcmp(name, "seconds") == 0;
    char text[512], msg[1024], got[512] = "";
    snprintf(text, sizeof text, "name: r\ncases:\n  - workload: %s      %s\n",
             sleep ? "sleep\n    params:\n"
                   : "collective\n    backend: mpi\n    params:\n      collective: allreduce\n",
             param_yaml);
    tcb_suite s;
    cr_assert_eq(load_text(text, NULL, 0, &s, msg), TCB_OK, "%s: %s", param_yaml, msg);
    for (int i = 0; i < s.ncases; i++) {
        char one[64];
        const tcb_params *p = &s.cases[i].params;
        if (sleep)
            snprintf(one, sizeof one, "%.17g", tcb_params_float(p, name));
        else if (strcmp(name, "size") == 0)
            tcb_size_format(tcb_params_int(p, name), one, sizeof one);
        else
            snprintf(one, sizeof one, "%lld", tcb_params_int(p, name));
        size_t used = strlen(got);
        snprintf(got + used, sizeof got - used, "%s%s", i ? " " : "", one);
    }
    cr_expect_str_eq(got, want, "%s: got %s", param_yaml, got);
    tcb_suite_free(&s);
}

Test(suite, ranges_expand_as_documented)
{
    expect_values("size: {from: 8, to: 100, factor: 2}", "size", "8B 16B 32B 64B");
    expect_values("size: {from: 1KiB, to: 4KiB, step: 1KiB}", "size", "1KiB 2KiB 3KiB 4KiB");
    expect_values("size: {from: 1, to: 10, factor: 1.5}", "size", "1B 2B 3B 5B 8B");
    expect_values("size: {from: 1GiB, to: 8GiB, factor: 2}", "size", "1GiB 2GiB 4GiB 8GiB");
    expect_values("size: {from: 64, to: 64, factor: 2}", "size", "64B");
    expect_values("root: {from: 0, to: 7, step: 3}", "root", "0 3 6");
    expect_values("root: [3, 1, 3]", "root", "3 1 3");
    expect_values("seconds: {from: 0.001, to: 1, factor: 10}", "seconds",
                  "0.001 0.01 0.10000000000000001 1");
    expect_values("seconds: {from: 0, to: 1, step: 0.25}", "seconds", "0 0.25 0.5 0.75 1");
    expect_values("seconds: \"0.5\"", "seconds", "0.5");
}

Test(suite, aliases_and_quoted_scalars_work)
{
    tcb_suite s;
    load_ok("name: alias\n"
            "cases:\n"
            "  - workload: collective\n"
            "    backend: \"mpi\"\n"
            "    params: &p {collective: allreduce, size: '64KiB', inplace: true}\n"
            "  - workload: collective\n"
            "    backend: mpi\n"
            "    params: *p\n",
            NULL, 0, &s);
    cr_assert_eq(s.ncases, 2);
    cr_expect_eq(tcb_params_int(&s.cases[1].params, "size"), 65536);
    cr_expect(tcb_params_bool(&s.cases[1].params, "inplace"));
    cr_expect_eq(s.cases[1].source_line, 6);
    tcb_suite_free(&s);
}

/* ---- --set ------------------------------------------------------------ */

Test(suite, set_overrides_timing_and_params)
{
    const char *sets[] = {"iters=3", "size=[8,1KiB]", "seconds=0.5", "timeout_s=7.5", "warmup=0"};
    tcb_suite s;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_suite_load(SMOKE, sets, 5, &s, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(s.ncases, 2 * 2 + 1);
    cr_expect_eq(tcb_params_int(&s.cases[1].params, "size"), 1024);
    cr_expect_str_eq(tcb_params_enum(&s.cases[2].params, "collective"), "allgather");
    cr_expect_str_eq(describe(&s.cases[4]), "seconds=0.5 rank=0", "rank kept from the file");
    for (int i = 0; i < s.ncases; i++) {
        cr_expect_eq(s.cases[i].iters, 3);
        cr_expect_eq(s.cases[i].warmup, 0);
        cr_expect_float_eq(s.cases[i].timeout_s, 7.5, 1e-12);
    }
    tcb_suite_free(&s);
}

Test(suite, set_takes_a_range_and_the_last_one_wins)
{
    const char *sets[] = {"size=1", "size={from: 8, to: 64, factor: 2}"};
    tcb_suite s;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_suite_load(SMOKE, sets, 2, &s, &d), TCB_OK, "%s", d.msg);
    cr_expect_eq(s.ncases, 2 * 4 + 3);
    cr_expect_eq(tcb_params_int(&s.cases[3].params, "size"), 64);
    tcb_suite_free(&s);
}

Test(suite, set_supplies_a_required_parameter)
{
    const char *sets[] = {"collective=sendrecv"};
    tcb_suite s;
    load_ok("name: t\ncases:\n  - workload: collective\n    backend: mpi\n", sets, 1, &s);
    cr_assert_eq(s.ncases, 1);
    cr_expect_str_eq(tcb_params_enum(&s.cases[0].params, "collective"), "sendrecv");
    tcb_suite_free(&s);
}

/* One --set against the smoke suite that must fail with exactly want. */
static void expect_set_error(const char *set, const char *want)
{
    tcb_suite s;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_suite_load(SMOKE, &set, 1, &s, &d), TCB_ERR_CONFIG, "--set %s", set);
    cr_expect_str_eq(d.msg, want, "got %s", d.msg);
    cr_expect_null(s.cases);
}

Test(suite, set_errors_name_the_override)
{
    expect_set_error("size=0", "--set size=0:1:6: parameter 'size': 0 is below the minimum 1");
    expect_set_error("size=[8,abc]",
                     "--set size=[8,abc]:1:9: parameter 'size': expected a size in whole bytes "
                     "such as 4096, 64KiB or 1.5MiB (units B, K, KiB, M, MiB, G, GiB, T, TiB), "
                     "got 'abc'");
    expect_set_error("size=[8", "--set size=[8:1:8: invalid YAML: did not find expected ',' "
                                "or ']' (while parsing a flow sequence at line 1, column 6)");
    expect_set_error("size={from: 8, to: 4, factor: 2}",
                     "--set size={from: 8, to: 4, factor: 2}:1:6: parameter 'size': 'from' (8) "
                     "is above 'to' (4)");
    expect_set_error("iters=0", "--set iters=0:1:7: 'iters' must be at least 1, got 0");
    expect_set_error("timeout_s=[1]", "--set timeout_s=[1]:1:11: 'timeout_s' must be a number, "
                                      "got a list");
    expect_set_error("size=", "--set size=:1:6: missing value after '='");
    expect_set_error("nokey", "--set nokey:1:1: expected KEY=VALUE");
    expect_set_error("=3", "--set =3:1:1: expected KEY=VALUE");
    char want[1024], a[256], b[256];
    snprintf(want, sizeof want,
             "--set foo=1:1:1: unknown key 'foo': not warmup, iters, timeout_s or energy, and no "
             "case's "
             "workload has a parameter of that name (they have: %s, %s)",
             param_names("collective", a, sizeof a), param_names("sleep", b, sizeof b));
    expect_set_error("foo=1", want);
}

/* ---- errors ----------------------------------------------------------- */

#define ONE_CASE(params) \
    "name: t\ncases:\n  - workload: collective\n    backend: mpi\n    params:\n" params

static const struct {
    const char *yaml;
    const char *want; /* the message without the leading "PATH:" */
} errors[] = {
    /* the document */
    {"", "1:1: the suite is empty; it needs 'name' and 'cases'"},
    {"- a\n- b\n", "1:1: the suite must be a mapping with 'name' and 'cases', got a list"},
    {"name: t\ncases: [\n", "3:1: invalid YAML: did not find expected node content (while "
                            "parsing a flow node at line 3, column 1)"},
    {"name: t\n\tcases: []\n", "2:1: invalid YAML: found a tab character that violates "
                               "indentation (while scanning a plain scalar at line 1, column 7)"},
    {"name: t\ncases: []\n---\nname: u\n",
     "4:1: a suite is one YAML document; remove this second one"},
    {"name: \xff\n", "1:7: invalid YAML: invalid leading UTF-8 octet"},
    /* the top level */
    {"name: t\ncase: []\n",
     "2:1: unknown key 'case' in the suite (expected one of: name, defaults, energy, cases)"},
    {"name: t\nname: u\ncases: []\n", "2:1: duplicate key 'name' (first given at line 1, column 1)"},
    {"cases: []\n", "1:1: missing required key 'name'"},
    {"name: {a: 1}\ncases: []\n", "1:7: 'name' must be a non-empty string, got a mapping"},
    {"name: t\n", "1:1: missing required key 'cases'"},
    {"name: t\ncases: []\n", "2:8: 'cases' is empty; list at least one case"},
    {"name: t\ncases:\n", "2:7: 'cases' is empty; list at least one case"},
    {"name: t\ncases: {a: 1}\n", "2:8: 'cases' must be a list of cases, got a mapping"},
    /* defaults and timing */
    {"name: t\ndefaults:\n  iter: 3\ncases: []\n",
     "3:3: unknown key 'iter' in 'defaults' (expected one of: warmup, iters, timeout_s)"},
    {"name: t\ndefaults: [1]\ncases: []\n", "2:11: 'defaults' must be a mapping, got a list"},
    {"name: t\ndefaults:\n  iters: 0\ncases: []\n", "3:10: 'iters' must be at least 1, got 0"},
    {"name: t\ndefaults:\n  iters: 1.5\ncases: []\n",
     "3:10: 'iters' must be an integer, got '1.5'"},
    {"name: t\ndefaults:\n  warmup: -1\ncases: []\n", "3:11: 'warmup' must be at least 0, got -1"},
    {"name: t\ndefaults:\n  warmup: 3000000000\ncases: []\n",
     "3:11: 'warmup' must be at most 2147483647, got 3000000000"},
    {"name: t\ndefaults:\n  timeout_s: 0\ncases: []\n", "3:14: 'timeout_s' must be > 0, got 0"},
    {"name: t\ndefaults:\n  timeout_s: abc\ncases: []\n",
     "3:14: 'timeout_s' must be a number of seconds, got 'abc'"},
    {"name: t\ndefaults:\n  iters: {n: 1}\ncases: []\n",
     "3:10: 'iters' must be a number, got a mapping"},
    /* entries */
    {"name: t\ncases:\n  - sleep\n", "3:5: a case must be a mapping, got a single value"},
    {"name: t\ncases:\n  - workload: sleep\n    param: {}\n",
     "4:5: unknown key 'param' in a case (expected one of: workload, backend, warmup, iters, "
     "timeout_s, params)"},
    {"name: t\ncases:\n  - iters: 3\n", "3:5: a case needs 'workload' (one of: collective, gemm, membw, transformer, sleep)"},
    {"name: t\ncases:\n  - workload: colective\n",
     "3:15: unknown workload 'colective' (known: collective, gemm, membw, transformer, sleep)"},
    {"name: t\ncases:\n  - workload: [sleep]\n", "3:15: 'workload' must be a name, got a list"},
    {"name: t\ncases:\n  - workload: sleep\n    backend: mpi\n",
     "4:14: workload 'sleep' takes no backend; remove 'backend'"},
    {"name: t\ncases:\n  - workload: sleep\n    iters: 0\n", "4:12: 'iters' must be at least 1, got 0"},
    {"name: t\ncases:\n  - workload: sleep\n    params: [1]\n",
     "4:13: 'params' must be a mapping, got a list"},
    {"name: t\ncases:\n  - workload: collective\n    backend: mpi\n",
     "3:5: missing required parameter 'collective'"},
    {"name: t\ncases:\n  - workload: sleep\n  - workload: collective\n    backend: mpi\n",
     "4:5: missing required parameter 'collective'"},
    {ONE_CASE("      size: 8\n      size: 16\n"),
     "7:7: duplicate key 'size' (first given at line 6, column 7)"},
    /* values */
    {ONE_CASE("      collective: allreduc\n"),
     "6:19: parameter 'collective': 'allreduc' is not one of: allreduce, allgather, "
     "reducescatter, alltoall, broadcast, reduce, sendrecv"},
    {ONE_CASE("      collective: [allreduce, bcast]\n"),
     "6:31: parameter 'collective': 'bcast' is not one of: allreduce, allgather, "
     "reducescatter, alltoall, broadcast, reduce, sendrecv"},
    {ONE_CASE("      collective: allreduce\n      op: avg\n"),
     "7:11: parameter 'op': 'avg' is not one of: sum, max, min"},
    {ONE_CASE("      collective: allreduce\n      size: 0\n"),
     "7:13: parameter 'size': 0 is below the minimum 1"},
    {ONE_CASE("      collective: allreduce\n      size: -8\n"),
     "7:13: parameter 'size': -8 is below the minimum 1"},
    {ONE_CASE("      collective: allreduce\n      size: 1MB\n"),
     "7:13: parameter 'size': expected a size in whole bytes such as 4096, 64KiB or 1.5MiB "
     "(units B, K, KiB, M, MiB, G, GiB, T, TiB), got '1MB'"},
    {ONE_CASE("      collective: allreduce\n      size: {from: 1, to: 4}\n      inplace: yes\n"),
     "7:13: parameter 'size': a range needs either 'factor' (geometric) or 'step' (arithmetic)"},
    {ONE_CASE("      collective: allreduce\n      inplace: yes\n"),
     "7:16: parameter 'inplace': expected true or false, got 'yes'"},
    {ONE_CASE("      collective: allreduce\n      root: 1.5\n"),
     "7:13: parameter 'root': expected a 64-bit integer, got '1.5'"},
    {ONE_CASE("      collective: allreduce\n      root: true\n"),
     "7:13: parameter 'root': expected a 64-bit integer, got 'true'"},
    {ONE_CASE("      collective: allreduce\n      root: -1\n"),
     "7:13: parameter 'root': -1 is below the minimum 0"},
    {ONE_CASE("      collective: allreduce\n      size: {n: 3}\n"),
     "7:14: unknown key 'n' in a range (expected one of: from, to, factor, step)"},
    {ONE_CASE("      collective: []\n"),
     "6:19: parameter 'collective': the list is empty; give at least one value"},
    {ONE_CASE("      collective: [allreduce, [allgather]]\n"),
     "6:31: parameter 'collective': expected a single value here, got a list"},
    {"name: t\ncases:\n  - workload: sleep\n    params: {seconds: abc}\n",
     "4:23: parameter 'seconds': expected a number, got 'abc'"},
    {"name: t\ncases:\n  - workload: sleep\n    params: {seconds: -0.5}\n",
     "4:23: parameter 'seconds': -0.5 is below the minimum 0"},
    {"name: t\ncases:\n  - workload: sleep\n    params: {rank: -2}\n",
     "4:20: parameter 'rank': -2 is below the minimum -1"},
    /* ranges */
    {ONE_CASE("      collective: allreduce\n      size: {from: 64, to: 8, factor: 2}\n"),
     "7:13: parameter 'size': 'from' (64) is above 'to' (8)"},
    {ONE_CASE("      collective: allreduce\n      size: {from: 8, to: 64, factor: 1}\n"),
     "7:39: parameter 'size': 'factor' must be > 1, got 1"},
    {ONE_CASE("      collective: allreduce\n      size: {from: 8, to: 64, factor: 0.5}\n"),
     "7:39: parameter 'size': 'factor' must be > 1, got 0.5"},
    {ONE_CASE("      collective: allreduce\n      size: {from: 8, to: 64, step: 0}\n"),
     "7:37: parameter 'size': 'step' must be > 0, got 0"},
    {ONE_CASE("      collective: allreduce\n      root: {from: 0, to: 6, step: -2}\n"),
     "7:36: parameter 'root': 'step' must be > 0, got -2"},
    {ONE_CASE("      collective: allreduce\n      root: {from: 0, to: 64, factor: 2}\n"),
     "7:20: parameter 'root': a range with 'factor' needs 'from' > 0, got 0"},
    {ONE_CASE("      collective: allreduce\n      size: {from: 8, to: 64, step: 8, factor: 2}\n"),
     "7:13: parameter 'size': a range needs either 'factor' (geometric) or 'step' "
     "(arithmetic), not both"},
    {ONE_CASE("      collective: allreduce\n      size: {from: 8, factor: 2}\n"),
     "7:13: parameter 'size': a range needs 'to'"},
    {ONE_CASE("      collective: {from: allreduce, to: sendrecv, step: 1}\n"),
     "6:19: parameter 'collective' takes a choice, which has no range; give a list instead"},
    {ONE_CASE("      collective: allreduce\n      inplace: {from: 0, to: 1, step: 1}\n"),
     "7:16: parameter 'inplace' takes true/false, which has no range; give a list instead"},
    /* too many cases */
    {ONE_CASE("      collective: allreduce\n      size: {from: 1, to: 1TiB, factor: 1.00001}\n"),
     "7:13: parameter 'size': the range gives more than 1000000 values, the most cases a suite "
     "may have"},
    {ONE_CASE("      collective: allreduce\n      root: {from: 0, to: 1000000, step: 1}\n"),
     "7:13: parameter 'root': the range gives more than 1000000 values, the most cases a suite "
     "may have"},
    {ONE_CASE("      collective: [allreduce, allgather]\n"
              "      root: {from: 0, to: 999, step: 1}\n      corrupt: {from: 0, to: 999, step: 1}\n"),
     "3:5: the suite expands to more than 1000000 cases with this one; narrow its lists and "
     "ranges"},
};

/* ---- energy ----------------------------------------------------------- */

#define SLEEP_CASES "cases:\n  - workload: sleep\n    params: {seconds: 0.01}\n"

/* The suite's energy choice as text: "auto" or "a,b". */
static const char *energy_choice(const tcb_suite *s)
{
    static char buf[128];
    if (s->energy_auto)
        return "auto";
    buf[0] = '\0';
    for (int i = 0; i < s->nenergy; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? "," : "", s->energy[i]);
    return buf;
}

Test(suite, energy_is_auto_unless_the_suite_or_set_says)
{
    static const struct {
        const char *yaml;
        const char *set; /* NULL: none */
        const char *want;
    } rows[] = {
        {"name: t\n" SLEEP_CASES, NULL, "auto"},
        {"name: t\nenergy:\n" SLEEP_CASES, NULL, "auto"},
        {"name: t\nenergy: auto\n" SLEEP_CASES, NULL, "auto"},
        {"name: t\nenergy: rapl\n" SLEEP_CASES, NULL, "rapl"},
        {"name: t\nenergy: [nvml, rapl]\n" SLEEP_CASES, NULL, "nvml,rapl"},
        {"name: t\nenergy: none\n" SLEEP_CASES, NULL, "none"},
        {"name: t\nenergy: [rapl]\n" SLEEP_CASES, "energy=auto", "auto"},
        {"name: t\n" SLEEP_CASES, "energy=[amdsmi, rapl]", "amdsmi,rapl"},
        {"name: t\n" SLEEP_CASES, "energy=none", "none"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tcb_suite s;
        load_ok(rows[i].yaml, rows[i].set ? &rows[i].set : NULL, rows[i].set ? 1 : 0, &s);
        cr_expect_str_eq(energy_choice(&s), rows[i].want, "row %zu", i);
        tcb_suite_free(&s);
    }
}

Test(suite, energy_errors_have_their_position)
{
    static const struct {
        const char *yaml, *want;
    } rows[] = {
        {"name: t\nenergy: rapel\n" SLEEP_CASES,
         "2:9: unknown energy backend 'rapel' (expected auto or one of: nvml, amdsmi, rapl, "
         "none)"},
        {"name: t\nenergy: [rapl, nvml, rapl]\n" SLEEP_CASES,
         "2:22: energy backend 'rapl' is listed twice"},
        {"name: t\nenergy: [rapl, none]\n" SLEEP_CASES,
         "2:9: energy backend 'none' measures nothing; list it alone, not with others"},
        {"name: t\nenergy: []\n" SLEEP_CASES,
         "2:9: 'energy' is an empty list; give auto or backends (nvml, amdsmi, rapl, none)"},
        {"name: t\nenergy: {rapl: 1}\n" SLEEP_CASES,
         "2:9: 'energy' must be auto or a list of backends (nvml, amdsmi, rapl, none), got a "
         "mapping"},
        {"name: t\nenergy: [[rapl]]\n" SLEEP_CASES,
         "2:10: unknown energy backend 'a list' (expected auto or one of: nvml, amdsmi, rapl, "
         "none)"},
        {"name: t\nenergy: [auto]\n" SLEEP_CASES,
         "2:10: unknown energy backend 'auto' (expected auto or one of: nvml, amdsmi, rapl, "
         "none)"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tcb_suite s;
        char msg[1024];
        cr_expect_eq(load_text(rows[i].yaml, NULL, 0, &s, msg), TCB_ERR_CONFIG, "row %zu", i);
        cr_expect_str_eq(msg, rows[i].want, "row %zu: got %s", i, msg);
        cr_expect_null(s.cases);
    }
    expect_set_error("energy=[rapl, rapl]", "--set energy=[rapl, rapl]:1:15: energy backend "
                                            "'rapl' is listed twice");
}

Test(suite, every_error_has_its_position_and_message)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        tcb_suite s;
        char msg[1024];
        tcb_status st = load_text(errors[i].yaml, NULL, 0, &s, msg);
        cr_expect_eq(st, TCB_ERR_CONFIG, "row %zu: status %d (%s)", i, st, msg);
        cr_expect_str_eq(msg, errors[i].want, "row %zu: got %s", i, msg);
        cr_expect_null(s.cases, "row %zu: nothing to free on failure", i);
        cr_expect_null(s.name);
    }
}

Test(suite, errors_name_the_fixture_file)
{
    tcb_suite s;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_suite_load(TCB_FIXTURES "/suites/bad_dtype.yaml", NULL, 0, &s, &d),
                 TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, TCB_FIXTURES "/suites/bad_dtype.yaml:9:14: parameter 'dtype': "
                            "'float8' is not one of: float32, float64, int32, bfloat16, float16");
    cr_expect_eq(tcb_suite_load(TCB_FIXTURES "/suites/syntax.yaml", NULL, 0, &s, &d),
                 TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, TCB_FIXTURES "/suites/syntax.yaml:4:32: invalid YAML: did not find "
                            "expected ',' or ']' (while parsing a flow sequence at line 4, "
                            "column 23)");
}

Test(suite, unknown_parameter_lists_the_workloads_parameters)
{
    tcb_suite s;
    char msg[1024], want[1024], names[256];
    cr_expect_eq(load_text(ONE_CASE("      sise: 8\n"), NULL, 0, &s, msg), TCB_ERR_CONFIG);
    snprintf(want, sizeof want,
             "6:7: unknown parameter 'sise' for workload 'collective' (expected one of: %s)",
             param_names("collective", names, sizeof names));
    cr_expect_str_eq(msg, want, "got %s", msg);
}

Test(suite, backend_errors)
{
    tcb_suite s;
    char msg[1024];
    /* The list of backends in this build follows the message; its start is fixed. */
    cr_expect_eq(load_text("name: t\ncases:\n  - workload: collective\n"
                           "    backend: carrier-pigeon\n    params: {collective: reduce}\n",
                           NULL, 0, &s, msg),
                 TCB_ERR_CONFIG);
    const char *want = "4:14: unknown comm backend 'carrier-pigeon' for workload 'collective' (";
    cr_expect_eq(strncmp(msg, want, strlen(want)), 0, "got %s", msg);
    cr_expect_eq(load_text("name: t\ncases:\n  - workload: collective\n"
                           "    params: {collective: reduce}\n",
                           NULL, 0, &s, msg),
                 TCB_ERR_CONFIG);
    want = "3:5: workload 'collective' needs 'backend', a comm backend (";
    cr_expect_eq(strncmp(msg, want, strlen(want)), 0, "got %s", msg);
}

Test(suite, unreadable_files_are_configuration_errors)
{
    tcb_suite s;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_suite_load("/nonexistent/suite.yaml", NULL, 0, &s, &d), TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, "/nonexistent/suite.yaml: cannot read: No such file or directory");
    cr_expect_null(s.path);
    cr_expect_eq(tcb_suite_load(TCB_FIXTURES, NULL, 0, &s, &d), TCB_ERR_CONFIG);
    cr_expect_str_eq(d.msg, TCB_FIXTURES ": cannot read: Is a directory");
}

Test(suite, free_is_null_safe_and_idempotent)
{
    tcb_suite_free(NULL);
    tcb_suite s = {0};
    tcb_suite_free(&s);
    cr_assert_eq(tcb_suite_load(SMOKE, NULL, 0, &s, &(tcb_diag){{0}}), TCB_OK);
    tcb_suite_free(&s);
    tcb_suite_free(&s);
}

Test(suite, describe_truncates_safely)
{
    tcb_suite s;
    cr_assert_eq(tcb_suite_load(SMOKE, NULL, 0, &s, &(tcb_diag){{0}}), TCB_OK);
    char buf[16];
    memset(buf, 'x', sizeof buf);
    tcb_case_describe(&s.cases[0], buf, sizeof buf);
    cr_expect_lt(strlen(buf), sizeof buf);
    cr_expect_eq(strncmp(buf, "collective=allre", strlen(buf)), 0, "got '%s'", buf);
    tcb_suite_free(&s);
}
