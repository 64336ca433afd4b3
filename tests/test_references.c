/* reports/references.c: the gate's tolerance rules, read from real files. */
#include "references.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void write_refs(const char *text)
{
    snprintf(path, sizeof path, "/tmp/tcb_refs_XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void cleanup(void)
{
    if (path[0] != '\0')
        unlink(path);
    path[0] = '\0';
}

TestSuite(references, .fini = cleanup);

static const char good[] = "# tolerances\n"
                           "default_tolerance: 4%\n"
                           "systems:\n"
                           "  dgx-a:\n"
                           "    - case: \"collective * size=1073741824*\"\n"
                           "      metric: busbw_GBps\n"
                           "      lower: -3%\n"
                           "      upper: none\n"
                           "    - case: \"gemm *\"\n"
                           "      upper: 0.1\n"
                           "  \"*\":\n"
                           "    - case: \"collective *\"\n"
                           "      lower: -10%\n";

static void bounds(const tcb_references *r, const char *system, const char *label,
                   const char *metric, double lo, double hi, int line)
{
    double l, h;
    int at;
    tcb_references_bounds(r, system, label, metric, &l, &h, &at);
    cr_expect(l == lo || fabs(l - lo) < 1e-12, "%s %s %s: lower %g, want %g", system, label,
              metric, l, lo);
    cr_expect(h == hi || fabs(h - hi) < 1e-12, "%s %s %s: upper %g, want %g", system, label,
              metric, h, hi);
    cr_expect_eq(at, line, "%s %s %s: rule at line %d, want %d", system, label, metric, at, line);
}

Test(references, first_matching_rule_system_before_star)
{
    write_refs(good);
    tcb_references r;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_references_load(path, &r, &d), TCB_OK, "%s", d.msg);
    cr_expect_eq(r.n, 3);
    cr_expect_float_eq(r.default_tolerance, 0.04, 1e-12);
    const char *big = "collective mpi ranks=8 nodes=2 collective=allreduce size=1073741824";
    bounds(&r, "dgx-a", big, "busbw_GBps", -0.03, INFINITY, 5);
    /* Another metric of the same case: the dgx-a rule is busbw only, so the
     * "*" rule; it leaves upper to the default. */
    bounds(&r, "dgx-a", big, "time_s", -0.10, 0.04, 12);
    bounds(&r, "other", big, "busbw_GBps", -0.10, 0.04, 12);
    bounds(&r, "dgx-a", "gemm cpu ranks=1 nodes=1 m=4096", "tflops", -0.04, 0.10, 9);
    bounds(&r, "dgx-a", "transformer cpu ranks=1", "mfu", -0.04, 0.04, 0);
    tcb_references_free(&r);
}

Test(references, defaults_without_a_file)
{
    tcb_references r;
    tcb_references_default(&r);
    bounds(&r, "any", "collective x", "time_s", -TCB_REF_DEFAULT_TOLERANCE,
           TCB_REF_DEFAULT_TOLERANCE, 0);
}

/* Each bad file: one message with the file, line and column of the fault. */
static void refused(const char *text, const char *where, const char *what)
{
    write_refs(text);
    tcb_references r;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_references_load(path, &r, &d), TCB_ERR_CONFIG, "accepted:\n%s", text);
    char want[128];
    snprintf(want, sizeof want, "%s:%s: ", path, where);
    cr_expect_not_null(strstr(d.msg, want), "'%s' lacks '%s'", d.msg, want);
    cr_expect_not_null(strstr(d.msg, what), "'%s' lacks '%s'", d.msg, what);
    cleanup();
}

Test(references, bad_files_refused_with_position)
{
    refused("default_tolerance: five\n", "1:20", "percentage (5%) or a fraction");
    refused("default_tolerance: 0%\n", "1:20", "above 0");
    refused("default_tolerance: none\n", "1:20", "percentage");
    refused("tolerance: 5%\n", "1:1", "tolerance");
    refused("systems:\n  a:\n    - case: x\n      lower: 5%\n", "4:14", "0 or less");
    refused("systems:\n  a:\n    - case: x\n      upper: -5%\n", "4:14", "0 or more");
    refused("systems:\n  a:\n    - case: x\n", "3:7", "needs lower, upper or both");
    refused("systems:\n  a:\n    - case: x\n      lowr: -5%\n", "4:7", "lowr");
    refused("systems:\n  a: {case: x}\n", "2:6", "must be a list");
    refused("systems: [a]\n", "1:10", "mapping");
    refused("systems:\n  a:\n    - case: x\n      lower: 5%%\n", "4:14", "percentage");
}

Test(references, missing_file_named)
{
    tcb_references r;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_references_load("/nonexistent/refs.yaml", &r, &d), TCB_ERR_CONFIG);
    cr_expect_not_null(strstr(d.msg, "/nonexistent/refs.yaml"), "%s", d.msg);
}

/* The example pipelines point at loads, and means what its comments say. */
Test(references, shipped_example_loads)
{
    tcb_references r;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_references_load(TCB_FIXTURES "/../../ci/nightly/references.yaml", &r, &d),
                 TCB_OK, "%s", d.msg);
    bounds(&r, "dgx-a", "collective nccl ranks=8 nodes=1 collective=allreduce size=1073741824",
           "busbw_GBps", -0.03, INFINITY, 8);
    bounds(&r, "lab", "collective mpi ranks=2 nodes=1 collective=allreduce size=8", "time_s",
           -0.25, 0.25, 15);
    tcb_references_free(&r);
}
