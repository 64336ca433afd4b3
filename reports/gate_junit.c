/* The gate as JUnit XML: the Ant/Surefire layout that Jenkins, GitLab and
 * the GitHub reporters all read (tests/fixtures/junit/junit.xsd, a strict
 * subset of Jenkins' junit-10.xsd, checks it). A bare <testsuite> root,
 * because every reader takes one and the <testsuites> wrapper of Jenkins'
 * schema has no "skipped" attribute to carry the count.
 *
 * Every piece of text from the report goes through tcb_gate_clean (XML 1.0
 * forbids most control characters even as references, and a byte that is
 * not UTF-8 makes the whole file unreadable) and then tcb_html_escape, which
 * also covers quoted attribute values. No CDATA sections: escaped text needs
 * no care about "]]>" inside it. */
#include "gate.h"

#include "html.h"

#include <math.h>
#include <stdlib.h>

static void xml_text(FILE *f, const char *s)
{
    char clean[TCB_GATE_CLEAN_MAX];
    tcb_html_escape(f, tcb_gate_clean(clean, sizeof clean, s));
}

/* A number for people: "n/a" where the value is absent. */
static void put_number(FILE *f, const char *fmt, double v)
{
    if (isfinite(v))
        fprintf(f, fmt, v);
    else
        fputs("n/a", f);
}

/* "busbw_GBps 180 -> 150 (-16.67%, tolerance 5%, p-value 0.0012, n 10/10)",
 * escaped for an attribute value: the one line a reporter shows. */
static void one_line(FILE *f, const tcb_gate_item *it)
{
    xml_text(f, it->metric);
    fputc(' ', f);
    put_number(f, "%.6g", it->baseline);
    fputs(" -&gt; ", f);
    put_number(f, "%.6g", it->current);
    fputs(" (", f);
    put_number(f, "%+.2f%%", 100.0 * it->change);
    fputs(", tolerance ", f);
    put_number(f, "%.4g%%", 100.0 * it->tolerance);
    fputs(", p-value ", f);
    put_number(f, "%.3g", it->p_value);
    fprintf(f, ", n %d/%d)", it->n_baseline, it->n_current);
}

static void message(FILE *f, const tcb_gate_item *it)
{
    switch (it->verdict) {
    case TCB_GATE_FAILED:
        fputs("verification check failed", f);
        if (it->detail[0] != '\0') {
            fputs(": ", f);
            xml_text(f, it->detail);
        }
        fputs("; ", f);
        break;
    case TCB_GATE_NEW: fputs("new, in the current run only: ", f); break;
    case TCB_GATE_MISSING: fputs("missing, in the baseline only: ", f); break;
    default:
        fputs(tcb_gate_verdict_name(it->verdict), f);
        fputs(": ", f);
    }
    one_line(f, it);
}

/* The numbers one per line, for a <failure> body or <system-out>. */
static void numbers(FILE *f, const tcb_gate_report *r, const tcb_gate_item *it)
{
    fprintf(f, "verdict: %s\nmetric: ", tcb_gate_verdict_name(it->verdict));
    xml_text(f, it->metric);
    fprintf(f, " (%s is better)\nbaseline: ", it->higher_is_better ? "higher" : "lower");
    put_number(f, "%.6g", it->baseline);
    fprintf(f, " (n=%d)\ncurrent: ", it->n_baseline);
    put_number(f, "%.6g", it->current);
    fprintf(f, " (n=%d)\nchange: ", it->n_current);
    put_number(f, "%+.2f%%", 100.0 * it->change);
    fputs("\ntolerance: ", f);
    put_number(f, "%.4g%%", 100.0 * it->tolerance);
    fputs("\np-value: ", f);
    put_number(f, "%.3g", it->p_value);
    fputs(" (", f);
    xml_text(f, r->test);
    fprintf(f, ", alpha %g)\n", r->alpha);
    if (it->detail[0] != '\0') {
        fputs("detail: ", f);
        xml_text(f, it->detail);
        fputc('\n', f);
    }
}

static void property(FILE *f, const char *name, const char *value)
{
    fprintf(f, "    <property name=\"%s\" value=\"", name);
    xml_text(f, value);
    fputs("\"/>\n", f);
}

static void testcase(FILE *f, const tcb_gate_report *r, const tcb_gate_item *it)
{
    fputs("  <testcase classname=\"", f);
    xml_text(f, it->workload);
    fputs("\" name=\"", f);
    xml_text(f, it->case_id);
    fputs(": ", f);
    xml_text(f, it->metric);
    fputs("\" time=\"0\">\n", f);
    switch (it->verdict) {
    case TCB_GATE_REGRESSION:
    case TCB_GATE_FAILED:
        fprintf(f, "    <failure type=\"%s\" message=\"", tcb_gate_verdict_name(it->verdict));
        message(f, it);
        fputs("\">", f);
        numbers(f, r, it);
        fputs("</failure>\n", f);
        break;
    case TCB_GATE_NEW:
    case TCB_GATE_MISSING:
        fprintf(f, "    <skipped type=\"%s\" message=\"", tcb_gate_verdict_name(it->verdict));
        message(f, it);
        fputs("\"/>\n", f);
        /* The numbers there are go where a passing case has them. */
        /* fall through */
    default:
        fputs("    <system-out>", f);
        numbers(f, r, it);
        fputs("</system-out>\n", f);
    }
    fputs("  </testcase>\n", f);
}

tcb_status tcb_gate_write_junit(const tcb_gate_report *r, FILE *out)
{
    TCB_CHECK(tcb_gate_check(r));
    int counts[TCB_GATE_NVERDICTS];
    tcb_gate_count(r, counts);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    TCB_ALLOC_CHECK(f);

    /* A regression and a failed check both fail the build; nothing here is
     * an error in JUnit's sense (the test itself breaking). */
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuite name=\"tcbench\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
            "skipped=\"%d\" time=\"0\">\n"
            "  <properties>\n",
            r->n, counts[TCB_GATE_REGRESSION] + counts[TCB_GATE_FAILED],
            counts[TCB_GATE_NEW] + counts[TCB_GATE_MISSING]);
    property(f, "system", r->system);
    property(f, "hosts", r->hosts);
    property(f, "current_run", r->current_run);
    property(f, "baseline", r->baseline);
    property(f, "test", r->test);
    fprintf(f, "    <property name=\"alpha\" value=\"%g\"/>\n  </properties>\n", r->alpha);
    for (int i = 0; i < r->n; i++)
        testcase(f, r, &r->items[i]);
    fputs("</testsuite>\n", f);
    return tcb_gate_flush(f, &buf, &len, out);
}
