/* The regression gate's writers (reports/gate_*.c): JUnit XML that the
 * schema in fixtures/junit/junit.xsd accepts (checked with xmllint, also for
 * hostile text) and whose counts match its test cases, a Markdown summary
 * that puts the worst first and never exceeds its cap, JSON that reads back,
 * and OpenMetrics text to the byte. */
#include "gate.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

static tcb_gate_item item(const char *case_id, const char *workload, const char *metric,
                          bool higher_is_better, double baseline, double current, double p,
                          tcb_gate_verdict verdict)
{
    tcb_gate_item it;
    memset(&it, 0, sizeof it);
    snprintf(it.case_id, sizeof it.case_id, "%s", case_id);
    snprintf(it.workload, sizeof it.workload, "%s", workload);
    snprintf(it.metric, sizeof it.metric, "%s", metric);
    it.higher_is_better = higher_is_better;
    it.baseline = baseline;
    it.current = current;
    it.change = (current - baseline) / baseline; /* NaN when either is */
    it.tolerance = 0.05;
    it.p_value = p;
    it.n_baseline = isnan(baseline) ? 0 : 10;
    it.n_current = isnan(current) ? 0 : 12;
    it.verdict = verdict;
    return it;
}

static tcb_gate_report report(tcb_gate_item *items, int n)
{
    tcb_gate_report r;
    memset(&r, 0, sizeof r);
    r.items = items;
    r.n = n;
    snprintf(r.system, sizeof r.system, "%s", "testbox");
    snprintf(r.hosts, sizeof r.hosts, "%s", "node01,node02");
    snprintf(r.current_run, sizeof r.current_run, "%s", "run-20250101");
    snprintf(r.baseline, sizeof r.baseline, "%s", "run-20241231");
    snprintf(r.test, sizeof r.test, "%s", "mann-whitney");
    r.alpha = 0.05;
    return r;
}

/* Nine items, one or more of every verdict. */
static tcb_gate_item mixed[9];
static tcb_gate_report mixed_report(void)
{
    int k = 0;
    mixed[k++] = item("allreduce scope=world dtype=float32 size=1MiB", "allreduce", "busbw_GBps",
                      true, 180, 150, 0.0012, TCB_GATE_REGRESSION);
    mixed[k++] = item("gemm m=4096", "gemm", "time_s", false, 2.0, 2.5, 0.001, TCB_GATE_REGRESSION);
    mixed[k++] = item("allgather size=8MiB", "allgather", "busbw_GBps", true, 100, 80, NAN,
                      TCB_GATE_FAILED);
    snprintf(mixed[2].detail, sizeof mixed[2].detail, "%s", "3 of 2097152 elements wrong");
    mixed[k++] = item("membw triad", "membw", "GBps", true, 100, 130, 0.002, TCB_GATE_IMPROVEMENT);
    mixed[k++] = item("membw copy", "membw", "GBps", true, 100, 108, 0.4, TCB_GATE_NOISE);
    mixed[k++] = item("sleep 1ms", "sleep", "time_s", false, 0.001, 0.001, 0.9, TCB_GATE_OK);
    mixed[k++] = item("gpt d=768", "gpt", "mfu", true, 0.4, 0.41, 0.3, TCB_GATE_OK);
    mixed[k++] = item("alltoall size=1GiB", "alltoall", "busbw_GBps", true, NAN, 40, NAN,
                      TCB_GATE_NEW);
    mixed[k++] = item("broadcast size=1GiB", "broadcast", "busbw_GBps", true, 50, NAN, NAN,
                      TCB_GATE_MISSING);
    return report(mixed, k);
}

typedef enum { JUNIT, SUMMARY, OPENMETRICS } format;

/* What a writer wrote (malloc'd; "" when nothing), its status in *st. */
static char *written(format fmt, const tcb_gate_report *r, size_t cap, tcb_status *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    *st = fmt == JUNIT     ? tcb_gate_write_junit(r, f)
          : fmt == SUMMARY ? tcb_gate_write_summary(r, f, cap)
                           : tcb_gate_write_openmetrics(r, f);
    cr_assert_eq(fclose(f), 0);
    return buf;
}

static char *written_ok(format fmt, const tcb_gate_report *r, size_t cap)
{
    tcb_status st;
    char *text = written(fmt, r, cap, &st);
    cr_assert_eq(st, TCB_OK, "writer failed with status %d", st);
    return text;
}

/* The text in a file of its own (path into path[32]), for xmllint. */
static void to_file(const char *text, char path[32])
{
    snprintf(path, 32, "/tmp/tcb_gateXXXXXX.xml");
    int fd = mkstemps(path, 4);
    cr_assert(fd >= 0, "mkstemps");
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void require_xmllint(void)
{
    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        cr_assert_fail("xmllint not found: the JUnit output is validated with `xmllint --noout "
                       "--schema`; install libxml2-utils (Debian/Ubuntu) or libxml2 (others)");
}

/* Runs cmd; its stdout and stderr, trimmed of the final newline, into out
 * (cap bytes). Returns the exit status. */
static int run(const char *cmd, char *out, size_t cap)
{
    char full[1024];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    cr_assert_not_null(p, "popen %s", cmd);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    if (n > 0 && out[n - 1] == '\n')
        out[n - 1] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* xmllint's schema verdict on the document in path: 0 when valid. */
static int schema_check(const char *path, char *why, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "xmllint --noout --schema %s/junit/junit.xsd %s", TCB_FIXTURES, path);
    return run(cmd, why, cap);
}

/* The value of an XPath expression over the document in path, as text.
 * expr must not hold a single quote. */
static void xpath(const char *path, const char *expr, char *out, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "xmllint --xpath '%s' %s", expr, path);
    cr_assert_eq(run(cmd, out, cap), 0, "xmllint --xpath %s: %s", expr, out);
}

static long xpath_number(const char *path, const char *expr)
{
    char out[256], number[256];
    snprintf(number, sizeof number, "number(%s)", expr);
    xpath(path, number, out, sizeof out);
    char *end;
    long v = strtol(out, &end, 10);
    cr_assert(end != out && *end == '\0', "%s gave \"%s\", not a number", expr, out);
    return v;
}

/* ---- JUnit ------------------------------------------------------------------ */

Test(gate_output, junit_counts_match_items)
{
    require_xmllint();
    tcb_gate_report r = mixed_report();
    char *xml = written_ok(JUNIT, &r, 0);
    char path[32];
    to_file(xml, path);

    cr_expect_eq(xpath_number(path, "count(/testsuite)"), 1);
    cr_expect_eq(xpath_number(path, "count(/testsuite/testcase)"), 9);
    cr_expect_eq(xpath_number(path, "/testsuite/@tests"), 9);
    cr_expect_eq(xpath_number(path, "/testsuite/@failures"), 3);
    cr_expect_eq(xpath_number(path, "/testsuite/@errors"), 0);
    cr_expect_eq(xpath_number(path, "/testsuite/@skipped"), 2);
    /* The attributes agree with the elements, not only with the items. */
    cr_expect_eq(xpath_number(path, "count(//testcase[failure])"), 3);
    cr_expect_eq(xpath_number(path, "count(//testcase[skipped])"), 2);
    cr_expect_eq(xpath_number(path, "count(//testcase[error])"), 0);
    cr_expect_eq(xpath_number(path, "count(//failure[@type=\"failed\"])"), 1);
    cr_expect_eq(xpath_number(path, "count(//testcase[not(failure) and not(skipped)]/system-out)"),
                 4);

    char out[1024];
    xpath(path, "string(//testcase[1]/@classname)", out, sizeof out);
    cr_expect_str_eq(out, "allreduce");
    xpath(path, "string(//testcase[1]/@name)", out, sizeof out);
    cr_expect_str_eq(out, "allreduce scope=world dtype=float32 size=1MiB: busbw_GBps");
    xpath(path, "string(//testcase[1]/failure/@message)", out, sizeof out);
    cr_expect_str_eq(out, "regression: busbw_GBps 180 -> 150 (-16.67%, tolerance 5%, "
                          "p-value 0.0012, n 10/12)");
    xpath(path, "string(//testcase[1]/failure)", out, sizeof out);
    cr_expect(strstr(out, "baseline: 180 (n=10)\ncurrent: 150 (n=12)\nchange: -16.67%\n"
                          "tolerance: 5%\np-value: 0.0012 (mann-whitney, alpha 0.05)") != NULL,
              "failure body: %s", out);
    xpath(path, "string(//testcase[3]/failure/@message)", out, sizeof out);
    cr_expect_str_eq(out, "verification check failed: 3 of 2097152 elements wrong; busbw_GBps "
                          "100 -> 80 (-20.00%, tolerance 5%, p-value n/a, n 10/12)");
    xpath(path, "string(//testcase[8]/skipped/@message)", out, sizeof out);
    cr_expect_str_eq(out, "new, in the current run only: busbw_GBps n/a -> 40 (n/a, tolerance "
                          "5%, p-value n/a, n 0/12)");
    xpath(path, "string(/testsuite/properties/property[@name=\"hosts\"]/@value)", out,
          sizeof out);
    cr_expect_str_eq(out, "node01,node02");
    unlink(path);
    free(xml);
}

Test(gate_output, junit_valid_against_schema)
{
    require_xmllint();
    tcb_gate_report r = mixed_report();
    char *xml = written_ok(JUNIT, &r, 0);
    char path[32], why[4096];
    to_file(xml, path);
    cr_expect_eq(schema_check(path, why, sizeof why), 0, "%s\n%s", why, xml);
    unlink(path);

    /* An empty report is a valid suite of no tests. */
    tcb_gate_report empty = report(NULL, 0);
    char *none = written_ok(JUNIT, &empty, 0);
    to_file(none, path);
    cr_expect_eq(schema_check(path, why, sizeof why), 0, "%s\n%s", why, none);
    unlink(path);

    /* The check can fail: the schema rejects a failure without its type and
     * a count that is not a number. */
    to_file("<?xml version=\"1.0\"?>\n<testsuite name=\"t\" tests=\"1\" failures=\"1\" "
            "errors=\"0\"><testcase name=\"a\"><failure message=\"m\"/></testcase></testsuite>\n",
            path);
    cr_expect_neq(schema_check(path, why, sizeof why), 0, "untyped failure accepted");
    unlink(path);
    to_file("<?xml version=\"1.0\"?>\n<testsuite name=\"t\" tests=\"x\" failures=\"0\" "
            "errors=\"0\"/>\n",
            path);
    cr_expect_neq(schema_check(path, why, sizeof why), 0, "tests=\"x\" accepted");
    unlink(path);
    free(xml);
    free(none);
}

Test(gate_output, junit_hostile_text_still_valid)
{
    require_xmllint();
    static const char hostile[] = "a<b & \"c\" 'd' ]]> \x01\x1f e\xff\xc3( f";
    tcb_gate_item items[3];
    items[0] = item(hostile, "x<y>", "m&\"", true, 1, 0.5, 0.01, TCB_GATE_REGRESSION);
    snprintf(items[0].detail, sizeof items[0].detail, "%s", hostile);
    items[1] = item(hostile, "w", "m", true, 1, 1, 0.5, TCB_GATE_OK);
    snprintf(items[1].detail, sizeof items[1].detail, "]]>]]><!-- --><![CDATA[x]]>\x0b");
    items[2] = item(hostile, "w", "m", true, NAN, 1, NAN, TCB_GATE_NEW);
    tcb_gate_report r = report(items, 3);
    snprintf(r.system, sizeof r.system, "%s", hostile);
    snprintf(r.hosts, sizeof r.hosts, "</property><x a=\"1\">");
    snprintf(r.test, sizeof r.test, "\x7f\xef\xbf\xbf\x08");
    char *xml = written_ok(JUNIT, &r, 0);
    cr_expect_null(strchr(xml, '\x01'), "a control character reached the XML");
    cr_expect_null(strchr(xml, '\x0b'), "a control character reached the XML");
    cr_expect_null(strstr(xml, "]]>"), "raw ]]> in the XML");

    char path[32], why[4096];
    to_file(xml, path);
    cr_expect_eq(schema_check(path, why, sizeof why), 0, "%s\n%s", why, xml);
    /* The text comes back as it was, the forbidden bytes as U+FFFD. */
    char out[1024];
    xpath(path, "string(//testcase[1]/@name)", out, sizeof out);
    cr_expect_str_eq(out, "a<b & \"c\" 'd' ]]> \xef\xbf\xbd\xef\xbf\xbd e\xef\xbf\xbd\xef\xbf\xbd("
                          " f: m&\"");
    xpath(path, "string(//testcase[1]/@classname)", out, sizeof out);
    cr_expect_str_eq(out, "x<y>");
    xpath(path, "string(/testsuite/properties/property[@name=\"hosts\"]/@value)", out,
          sizeof out);
    cr_expect_str_eq(out, "</property><x a=\"1\">");
    cr_expect_eq(xpath_number(path, "count(//x)"), 0);
    cr_expect_eq(xpath_number(path, "count(/testsuite/testcase)"), 3);
    unlink(path);
    free(xml);
}

Test(gate_output, clean_text_is_utf8_that_xml_allows)
{
    char out[64];
    /* Valid 2-, 3- and 4-byte characters pass; tab, LF and CR too. */
    cr_expect_str_eq(tcb_gate_clean(out, sizeof out, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\t\n\r"),
                     "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\t\n\r");
    /* An overlong '/', a surrogate, past U+10FFFF, a lone continuation, a
     * truncated sequence, U+FFFF: each byte that cannot start a character
     * becomes U+FFFD. */
    cr_expect_str_eq(tcb_gate_clean(out, sizeof out, "\xc0\xaf"),
                     "\xef\xbf\xbd\xef\xbf\xbd");
    cr_expect_str_eq(tcb_gate_clean(out, sizeof out, "\xed\xa0\x80"),
                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    cr_expect_str_eq(tcb_gate_clean(out, sizeof out, "\xf4\x90\x80\x80x"),
                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
    cr_expect_str_eq(tcb_gate_clean(out, sizeof out, "a\x80" "b\xe2\x82"),
                     "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
    cr_expect_str_eq(tcb_gate_clean(out, sizeof out, "\xef\xbf\xbf\x01"),
                     "\xef\xbf\xbd\xef\xbf\xbd");
    /* Truncation keeps characters whole. */
    cr_expect_str_eq(tcb_gate_clean(out, 5, "ab\xe2\x82\xac"), "ab");
    cr_expect_str_eq(tcb_gate_clean(out, 6, "ab\xe2\x82\xac"), "ab\xe2\x82\xac");
}

/* ---- Markdown summary ----------------------------------------------------- */

/* Where needle first appears in hay; fails the test when it does not. */
static size_t at(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    cr_assert_not_null(p, "\"%s\" not in:\n%s", needle, hay);
    return (size_t)(p - hay);
}

Test(gate_output, summary_verdict_line_and_order)
{
    tcb_gate_item items[9];
    int k = 0;
    items[k++] = item("time up 10%", "gemm", "time_s", false, 1.0, 1.1, 0.01, TCB_GATE_REGRESSION);
    items[k++] = item("busbw down 30%", "allreduce", "busbw_GBps", true, 100, 70, 0.001,
                      TCB_GATE_REGRESSION);
    items[k++] = item("gain 5%", "membw", "GBps", true, 100, 105, 0.01, TCB_GATE_IMPROVEMENT);
    items[k++] = item("pipe|case", "allreduce", "busbw_GBps", true, 100, 80, 0.001,
                      TCB_GATE_REGRESSION);
    items[k++] = item("time down 20%", "gemm", "time_s", false, 1.0, 0.8, 0.01,
                      TCB_GATE_IMPROVEMENT);
    items[k++] = item("wrong answer", "allgather", "busbw_GBps", true, 100, 101, NAN,
                      TCB_GATE_FAILED);
    snprintf(items[k - 1].detail, sizeof items[k - 1].detail, "%s", "3 | 7 wrong\nelements");
    items[k++] = item("*bold* [link](x) <b> `c` _u_ a\\|b", "allreduce", "busbw_GBps", true,
                      100, 99, 0.01, TCB_GATE_REGRESSION);
    items[k++] = item("new one", "sleep", "time_s", false, NAN, 1, NAN, TCB_GATE_NEW);
    items[k++] = item("steady", "sleep", "time_s", false, 1, 1, 0.9, TCB_GATE_OK);
    tcb_gate_report r = report(items, k);
    char *md = written_ok(SUMMARY, &r, 1 << 20);

    cr_expect_eq(at(md, "**4 regressions**, 1 failed check, 2 improvements in 9 comparisons\n"),
                 0, "%s", md);
    at(md, "- machine: testbox (node01,node02)\n- current run: run-20250101\n"
           "- baseline: run-20241231\n- test: mann-whitney, alpha 0.05\n");
    /* Failed checks, then regressions by how much worse, whichever way the
     * metric points: -30% busbw, -20% busbw, +10% time. */
    size_t failed = at(md, "| wrong answer |"), down30 = at(md, "| busbw down 30% |"),
           pipe = at(md, "| pipe\\|case |"), up10 = at(md, "| time up 10% |");
    cr_expect(failed < down30 && down30 < pipe && pipe < up10, "%s", md);
    at(md, "| check failed: 3 \\| 7 wrong elements |");
    /* Markup in hostile text stays literal; a metric's underscore stays. */
    at(md, "| \\*bold\\* \\[link\\](x) \\<b\\> \\`c\\` \\_u\\_ a\\\\\\|b | allreduce "
           "| busbw_GBps |");
    at(md, "| -30.0% | 5% | 0.001 | 10/12 | regression |");
    /* Improvements after, the biggest gain first: -20% time, +5% busbw. */
    size_t improvements = at(md, "### Improvements"), down20 = at(md, "| time down 20% |"),
           gain5 = at(md, "| gain 5% |");
    cr_expect(up10 < improvements && improvements < down20 && down20 < gain5, "%s", md);
    at(md, "- new (current run only): 1\n- missing (baseline only): 0\n"
           "- noise (beyond tolerance, not significant): 0\n- ok: 1\n");
    cr_expect_null(strstr(md, "left out"), "%s", md);
    cr_expect_null(strstr(md, "| new one |"), "new items are counted, not listed");
    free(md);

    tcb_gate_report quiet = report(items + 7, 2);
    md = written_ok(SUMMARY, &quiet, 1 << 20);
    cr_expect_eq(at(md, "no regressions in 2 comparisons\n"), 0, "%s", md);
    cr_expect_null(strstr(md, "### Regressions"), "%s", md);
    free(md);
}

/* The lines of text that are rows of a table, not its header or rule. */
static int table_rows(const char *md)
{
    int n = 0;
    for (const char *p = md; (p = strstr(p, "\n| case-")) != NULL; p++)
        n++;
    return n;
}

Test(gate_output, summary_capped_at_1mib_worst_first, .timeout = 60)
{
    enum { N = 10000, WORST = 6143 };
    tcb_gate_item *items = calloc(N, sizeof *items);
    cr_assert_not_null(items);
    char id[200];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "case-%05d allreduce scope=world dtype=float32 size=%dKiB "
                                "algo=ring proto=simple nchannels=16 %0100d", i, i, 0);
        /* Worsening between 6% and 16%, all different; WORST worse still. */
        double drop = i == WORST ? 0.5 : 0.06 + (double)((i * 7919) % N) / 1e5;
        items[i] = item(id, "allreduce", "busbw_GBps", true, 100, 100 * (1 - drop), 1e-4,
                        TCB_GATE_REGRESSION);
    }
    tcb_gate_report r = report(items, N);
    const size_t cap = 1 << 20;
    char *md = written_ok(SUMMARY, &r, cap);
    size_t len = strlen(md);
    cr_expect_leq(len, cap);
    /* Full enough: no more than two rows' worth of room left unused. */
    cr_expect_geq(len, cap - 2 * 300, "only %zu bytes", len);

    char first[32];
    snprintf(first, sizeof first, "\n| case-%05d ", WORST);
    cr_expect_eq(strstr(md, "\n| case-"), strstr(md, first), "the worst regression is not first");
    int rows = table_rows(md);
    cr_expect_gt(rows, 100);
    cr_expect_lt(rows, N);

    /* The last line says how many rows are missing, and they add up. */
    cr_assert_eq(md[len - 1], '\n');
    const char *last = md + len - 2;
    while (last > md && last[-1] != '\n')
        last--;
    int left = -1;
    cr_expect_eq(sscanf(last, "_%d rows left out", &left), 1, "last line: %s", last);
    cr_expect_eq(rows + left, N, "%d rows shown, %d left out", rows, left);
    cr_expect(strstr(last, "1048576 bytes") != NULL, "%s", last);
    free(md);
    free(items);
}

/* Every cap, byte by byte: the summary fits, says what it left out, and is
 * whole when nothing had to go. Below the smallest it refuses and writes
 * nothing. */
Test(gate_output, summary_fits_every_cap, .timeout = 60)
{
    enum { N = 40 };
    tcb_gate_item items[N];
    char id[64];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "case-%02d allreduce size=%dKiB", i, 1 << (i % 11));
        double change = (i % 3 == 0 ? 0.1 : -0.1) * (1 + i % 7);
        items[i] = item(id, "allreduce", "busbw_GBps", true, 100, 100 * (1 + change), 0.001,
                        i % 3 == 0 ? TCB_GATE_IMPROVEMENT : TCB_GATE_REGRESSION);
    }
    items[5].verdict = TCB_GATE_FAILED;
    tcb_gate_report r = report(items, N);
    char *full = written_ok(SUMMARY, &r, SIZE_MAX);
    size_t full_len = strlen(full);
    /* The smallest cap it accepts, found by bisection (refusals are logged;
     * a linear walk would log hundreds). */
    size_t lo = 0, hi = full_len; /* refused at lo, accepted at hi */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        tcb_status st;
        free(written(SUMMARY, &r, mid, &st));
        *(st == TCB_OK ? &hi : &lo) = mid;
    }
    cr_expect_lt(hi, 1000, "needs %zu bytes around the tables", hi);
    for (size_t cap = lo; cap <= full_len + 2; cap++) {
        tcb_status st;
        char *md = written(SUMMARY, &r, cap, &st);
        size_t len = strlen(md);
        if (cap < hi) {
            cr_assert_eq(st, TCB_ERR_CONFIG, "cap %zu", cap);
            cr_assert_eq(len, 0, "cap %zu: refused but wrote", cap);
        } else if (cap >= full_len) {
            cr_assert_eq(st, TCB_OK, "cap %zu", cap);
            cr_assert_str_eq(md, full, "cap %zu", cap);
        } else {
            cr_assert_eq(st, TCB_OK, "cap %zu", cap);
            cr_assert_leq(len, cap, "cap %zu: %zu bytes", cap, len);
            const char *last = md + len - 2;
            while (last > md && last[-1] != '\n')
                last--;
            int left = -1;
            cr_assert_eq(sscanf(last, "_%d row", &left), 1, "cap %zu, last line: %s", cap, last);
            cr_assert_eq(table_rows(md) + left, N, "cap %zu", cap);
        }
        free(md);
    }
    free(full);
}

Test(gate_output, summary_tiny_cap)
{
    tcb_gate_report r = mixed_report();
    tcb_status st;
    /* Not even the verdict fits: an error and not a byte written. */
    char *md = written(SUMMARY, &r, 16, &st);
    cr_expect_eq(st, TCB_ERR_CONFIG);
    cr_expect_str_eq(md, "");
    free(md);

    /* Room for the lines around the table but no row: every row left out. */
    char *full = written_ok(SUMMARY, &r, 1 << 20);
    size_t head = at(full, "\n### Regressions");
    size_t tail = strlen(full) - at(full, "\n### Other comparisons");
    size_t cap = head + tail + 150;
    md = written_ok(SUMMARY, &r, cap);
    cr_expect_leq(strlen(md), cap);
    cr_expect_null(strstr(md, "### Regressions"), "%s", md);
    char line[160];
    snprintf(line, sizeof line, "\n_4 rows left out to keep this summary within %zu bytes "
             "(regressions and failed checks: 3, improvements: 1)._\n", cap);
    cr_expect_str_eq(md + strlen(md) - strlen(line), line, "%s", md);
    cr_expect_eq(strncmp(md, full, head), 0, "the verdict and the machine come first");
    free(md);
    free(full);
}

/* ---- JSON ------------------------------------------------------------------- */

Test(gate_output, json_round_trip)
{
    tcb_gate_report r = mixed_report();
    snprintf(r.items[0].detail, sizeof r.items[0].detail, "bad \xff byte");
    json_t *j = tcb_gate_json(&r);
    cr_assert_not_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    cr_assert_not_null(text);
    json_decref(j);
    json_error_t err;
    json_t *back = json_loads(text, 0, &err);
    cr_assert_not_null(back, "%s: %s", err.text, text);

    cr_expect_str_eq(json_string_value(json_object_get(back, "schema")), "tcbench.compare/1");
    cr_expect_str_eq(json_string_value(json_object_get(back, "system")), "testbox");
    cr_expect_str_eq(json_string_value(json_object_get(back, "hosts")), "node01,node02");
    cr_expect_str_eq(json_string_value(json_object_get(back, "test")), "mann-whitney");
    cr_expect_float_eq(json_number_value(json_object_get(back, "alpha")), 0.05, 1e-15);
    json_t *counts = json_object_get(back, "counts");
    cr_expect_eq(json_object_size(counts), 7);
    cr_expect_eq(json_integer_value(json_object_get(counts, "regression")), 2);
    cr_expect_eq(json_integer_value(json_object_get(counts, "failed")), 1);
    cr_expect_eq(json_integer_value(json_object_get(counts, "ok")), 2);
    cr_expect_eq(json_integer_value(json_object_get(counts, "new")), 1);
    cr_expect_eq(json_integer_value(json_object_get(counts, "missing")), 1);

    json_t *items = json_object_get(back, "items");
    cr_assert_eq(json_array_size(items), 9);
    json_t *a = json_array_get(items, 0);
    cr_expect_eq(json_object_size(a), 13, "every field of the item");
    cr_expect_str_eq(json_string_value(json_object_get(a, "case_id")),
                     "allreduce scope=world dtype=float32 size=1MiB");
    cr_expect_str_eq(json_string_value(json_object_get(a, "verdict")), "regression");
    cr_expect(json_is_true(json_object_get(a, "higher_is_better")));
    cr_expect_float_eq(json_number_value(json_object_get(a, "baseline")), 180, 1e-12);
    cr_expect_float_eq(json_number_value(json_object_get(a, "change")), -1.0 / 6, 1e-15);
    cr_expect_float_eq(json_number_value(json_object_get(a, "p_value")), 0.0012, 1e-15);
    cr_expect_eq(json_integer_value(json_object_get(a, "n_current")), 12);
    cr_expect_str_eq(json_string_value(json_object_get(a, "detail")), "bad \xef\xbf\xbd byte");

    json_t *b = json_array_get(items, 7); /* new: no baseline, no test */
    cr_expect_str_eq(json_string_value(json_object_get(b, "verdict")), "new");
    cr_expect(json_is_null(json_object_get(b, "baseline")));
    cr_expect(json_is_null(json_object_get(b, "change")));
    cr_expect(json_is_null(json_object_get(b, "p_value")));
    cr_expect_float_eq(json_number_value(json_object_get(b, "current")), 40, 1e-12);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(items, 1), "verdict")),
                     "regression");
    cr_expect(json_is_false(json_object_get(json_array_get(items, 1), "higher_is_better")));
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(items, 8), "verdict")),
                     "missing");
    json_decref(back);
    free(text);
}

/* ---- OpenMetrics ------------------------------------------------------------ */

Test(gate_output, openmetrics_exact_text)
{
    tcb_gate_item items[2];
    items[0] = item("allreduce \"x\" a\\b\nc", "allreduce", "busbw_GBps", true, 200, 150, 0.001,
                    TCB_GATE_REGRESSION);
    items[1] = item("gemm m=4096", "gemm", "time_s", false, NAN, 0.125, NAN, TCB_GATE_NEW);
    tcb_gate_report r = report(items, 2);
    snprintf(r.system, sizeof r.system, "%s", "box\"1");
    char *om = written_ok(OPENMETRICS, &r, 0);
    static const char want[] =
        "# TYPE tcbench_metric_current gauge\n"
        "# HELP tcbench_metric_current Median of the metric in the current run.\n"
        "tcbench_metric_current{case=\"allreduce \\\"x\\\" a\\\\b\\nc\",workload=\"allreduce\","
        "metric=\"busbw_GBps\",system=\"box\\\"1\"} 150\n"
        "tcbench_metric_current{case=\"gemm m=4096\",workload=\"gemm\",metric=\"time_s\","
        "system=\"box\\\"1\"} 0.125\n"
        "# TYPE tcbench_metric_baseline gauge\n"
        "# HELP tcbench_metric_baseline Median of the metric in the baseline.\n"
        "tcbench_metric_baseline{case=\"allreduce \\\"x\\\" a\\\\b\\nc\",workload=\"allreduce\","
        "metric=\"busbw_GBps\",system=\"box\\\"1\"} 200\n"
        "# TYPE tcbench_metric_change_ratio gauge\n"
        "# HELP tcbench_metric_change_ratio Relative change of the median, (current - baseline) "
        "/ baseline.\n"
        "tcbench_metric_change_ratio{case=\"allreduce \\\"x\\\" a\\\\b\\nc\","
        "workload=\"allreduce\","
        "metric=\"busbw_GBps\",system=\"box\\\"1\"} -0.25\n"
        "# TYPE tcbench_gate_regressions gauge\n"
        "# HELP tcbench_gate_regressions Comparisons judged regressions.\n"
        "tcbench_gate_regressions{system=\"box\\\"1\"} 1\n"
        "# TYPE tcbench_gate_failed_checks gauge\n"
        "# HELP tcbench_gate_failed_checks Cases whose verification check failed.\n"
        "tcbench_gate_failed_checks{system=\"box\\\"1\"} 0\n"
        "# EOF\n";
    cr_expect_str_eq(om, want);
    free(om);

    /* Values that need all their digits keep them; infinities are spelled
     * as OpenMetrics spells them. */
    items[0].current = 0.1 + 0.2;
    items[0].change = INFINITY;
    om = written_ok(OPENMETRICS, &r, 0);
    cr_expect(strstr(om, "} 0.30000000000000004\n") != NULL, "%s", om);
    cr_expect(strstr(om, "} +Inf\n") != NULL, "%s", om);
    free(om);
}

/* ---- a report the writers refuse -------------------------------------------- */

Test(gate_output, bad_report_written_nowhere)
{
    tcb_gate_report r = mixed_report();
    r.items[4].verdict = (tcb_gate_verdict)42;
    for (int fmt = JUNIT; fmt <= OPENMETRICS; fmt++) {
        tcb_status st;
        char *text = written((format)fmt, &r, 1 << 20, &st);
        cr_expect_eq(st, TCB_ERR_CONFIG, "format %d", fmt);
        cr_expect_str_eq(text, "", "format %d wrote something", fmt);
        free(text);
    }
    cr_expect_null(tcb_gate_json(&r));

    r = mixed_report();
    memset(r.items[2].case_id, 'x', sizeof r.items[2].case_id); /* no NUL */
    tcb_status st;
    char *text = written(JUNIT, &r, 0, &st);
    cr_expect_eq(st, TCB_ERR_CONFIG);
    cr_expect_str_eq(text, "");
    free(text);
    cr_expect_null(tcb_gate_json(&r));

    r.items = NULL;
    cr_expect_null(tcb_gate_json(&r));
}
