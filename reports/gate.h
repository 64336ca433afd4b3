/* The nightly regression gate's result and the four ways it leaves tcbench:
 * JUnit XML for CI test reporters, a Markdown job summary, JSON for
 * dashboards and OpenMetrics text for Prometheus-style scrapers.
 *
 * `tcbench compare` fills a tcb_gate_report (one item per case and metric);
 * the writers here only format it. Text in an item (case ids, hostnames,
 * check details) comes from result files anyone can write, so every writer
 * escapes it for its format and replaces bytes that are not valid UTF-8.
 *
 * Each writer formats into memory first and writes to the stream only when
 * the whole document is ready: it writes all of it or returns an error
 * (after a failed fwrite, part of it may have reached the stream). */
#ifndef TCB_GATE_H
#define TCB_GATE_H

#include "tcb_error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    TCB_GATE_OK,          /* within tolerance, or changed but not significant */
    TCB_GATE_REGRESSION,  /* worse beyond tolerance AND significant */
    TCB_GATE_IMPROVEMENT, /* better beyond tolerance AND significant */
    TCB_GATE_NOISE,       /* beyond tolerance but the test says noise */
    TCB_GATE_NEW,         /* in the current run only */
    TCB_GATE_MISSING,     /* in the baseline only */
    TCB_GATE_FAILED,      /* the current run's verification check failed */
} tcb_gate_verdict;

#define TCB_GATE_NVERDICTS 7

typedef struct {
    char case_id[512]; /* the case label (tcb_case_label), e.g. "collective mpi
                        * ranks=2 nodes=1 collective=allreduce ... size=1024" */
    char workload[32];
    char metric[64]; /* e.g. "busbw_GBps", "time_s", "mfu" */
    bool higher_is_better;
    double baseline, current;  /* medians; NAN when absent */
    double change;             /* (current - baseline) / baseline; NAN when either is absent */
    double tolerance;          /* fraction, e.g. 0.05 */
    double p_value;            /* NAN when no test was run */
    int n_baseline, n_current; /* samples behind each median */
    tcb_gate_verdict verdict;
    char detail[256]; /* e.g. the failed check's detail; may be empty */
} tcb_gate_item;

typedef struct {
    tcb_gate_item *items; /* n of them; the caller owns them */
    int n;
    char system[128];      /* the machine's name */
    char hosts[256];       /* e.g. "node01,node02" */
    char current_run[128]; /* run id of tonight's run */
    char baseline[256];    /* run id or path of the baseline */
    char test[32];         /* the significance test, e.g. "mann-whitney" */
    double alpha;          /* its significance level, e.g. 0.05 */
} tcb_gate_report;

/* ---- the writers ---------------------------------------------------------- */

/* JUnit XML as Jenkins, GitLab and the GitHub reporters read it: one
 * <testsuite name="tcbench">, one <testcase> per item (classname = workload,
 * name = "case_id: metric"). Regressions and failed checks are <failure>s,
 * new and missing items <skipped>, the rest pass with their numbers in
 * <system-out>. */
tcb_status tcb_gate_write_junit(const tcb_gate_report *r, FILE *out);

/* Markdown for a CI job summary: the verdict line, the machine and the two
 * runs, the regressions and failed checks worst first, the improvements
 * best first, the other counts. Never more than cap_bytes: rows that would
 * not fit are left out, and a last line says how many. TCB_ERR_CONFIG, and
 * nothing written, when not even the lines around the table fit. */
tcb_status tcb_gate_write_summary(const tcb_gate_report *r, FILE *out, size_t cap_bytes);

/* {"schema": "tcbench.compare/1", system, hosts, current_run, baseline, test,
 * alpha, counts: {regression, ...}, items: [{every field; verdict as its
 * name; NaN as null}]}. New reference (json_decref); NULL when r is not a
 * valid report (logged) or memory ran out. */
json_t *tcb_gate_json(const tcb_gate_report *r);

/* OpenMetrics text: gauges tcbench_metric_current, _baseline and
 * _change_ratio per item (labels case, workload, metric, system; no sample
 * where the value is NaN), tcbench_gate_regressions and
 * tcbench_gate_failed_checks, then "# EOF". */
tcb_status tcb_gate_write_openmetrics(const tcb_gate_report *r, FILE *out);

/* ---- shared by the writers (reports/gate.c) --------------------------------- */

/* "ok", "regression", "improvement", "noise", "new", "missing", "failed";
 * "unknown" for a value outside the enum. Static storage. */
const char *tcb_gate_verdict_name(tcb_gate_verdict v);

/* counts[v] = the number of items with verdict v. */
void tcb_gate_count(const tcb_gate_report *r, int counts[TCB_GATE_NVERDICTS]);

/* TCB_OK when r can be written: n >= 0, items set when n > 0, every verdict
 * in the enum and every text field NUL-terminated inside its array (so no
 * writer reads past one). Otherwise logs why and returns TCB_ERR_CONFIG. */
tcb_status tcb_gate_check(const tcb_gate_report *r);

/* The worst a cleaned field (at most 512 bytes) can grow: each byte may
 * become U+FFFD (3 bytes). */
#define TCB_GATE_CLEAN_MAX (3 * 512 + 1)

/* Copies s into dst (cap bytes, always NUL-terminated; it stops before the
 * first character that would not fit whole) as well-formed UTF-8 that XML 1.0 allows:
 * a byte that does not begin a valid sequence, a C0 control other than tab,
 * LF and CR, and U+FFFE / U+FFFF each become U+FFFD. Returns dst. */
const char *tcb_gate_clean(char *dst, size_t cap, const char *s);

/* Ends a writer: closes mem (an open_memstream over *buf / *len), writes
 * the buffer to out and flushes it, frees the buffer. TCB_ERR_RUNTIME
 * (logged) when any step fails. */
tcb_status tcb_gate_flush(FILE *mem, char **buf, size_t *len, FILE *out);

#endif
