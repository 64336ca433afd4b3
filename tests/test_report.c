/* The report's writers (reports/svg.c, reports/html.c): hostile text comes
 * out escaped, every chart is well-formed XML (checked by the small parser
 * below: libxml2 is not a dependency), and a chart draws one polyline per
 * series with the points it was given, leaving out what a log axis cannot
 * show. */
#include "html.h"
#include "svg.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

typedef void (*writer)(FILE *out, const void *arg);

static char *capture(writer w, const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    w(f, arg);
    fclose(f);
    return buf;
}

static void escape_writer(FILE *out, const void *arg) { tcb_html_escape(out, arg); }
static void md_writer(FILE *out, const void *arg) { tcb_md_escape(out, arg); }
static void csv_writer(FILE *out, const void *arg) { tcb_csv_field(out, arg); }

/* An entity at s ("&amp;", "&#39;"): its length, 0 when it is not one. */
static size_t entity(const char *s)
{
    size_t i = 1;
    if (s[i] == '#')
        for (i++; isdigit((unsigned char)s[i]); i++)
            ;
    else
        for (; isalpha((unsigned char)s[i]); i++)
            ;
    return i > 1 && s[i] == ';' && !(s[1] == '#' && i == 2) ? i + 1 : 0;
}

/* Well-formed XML, as far as the writers can go wrong: tags balance and
 * nest, attributes are name="value" with no raw '<' or '"' inside, and no
 * raw '<' or stray '&' in text. One root element. Returns NULL when well
 * formed, else what is wrong (static). */
static const char *xml_check(const char *s)
{
    static char why[256];
    char stack[64][32];
    int depth = 0, roots = 0;
    while (*s) {
        if (*s == '&') {
            size_t n = entity(s);
            if (n == 0)
                return snprintf(why, sizeof why, "raw '&' at: %.30s", s), why;
            s += n;
        } else if (*s != '<') {
            if (depth == 0 && !isspace((unsigned char)*s))
                return snprintf(why, sizeof why, "text outside the root: %.30s", s), why;
            s++;
        } else if (s[1] == '/') {
            const char *name = s + 2;
            size_t n = strcspn(name, "> \t\n");
            if (depth == 0 || strlen(stack[depth - 1]) != n ||
                strncmp(stack[depth - 1], name, n) != 0)
                return snprintf(why, sizeof why, "close tag does not match: %.30s", s), why;
            depth--;
            s = name + n;
            while (isspace((unsigned char)*s))
                s++;
            if (*s++ != '>')
                return "close tag not ended by '>'";
        } else {
            const char *name = s + 1;
            size_t n = strcspn(name, "/> \t\n");
            if (n == 0 || n >= 32 || !isalpha((unsigned char)name[0]))
                return snprintf(why, sizeof why, "bad tag name: %.30s", s), why;
            s = name + n;
            for (;;) {
                while (isspace((unsigned char)*s))
                    s++;
                if (*s == '>' || (s[0] == '/' && s[1] == '>'))
                    break;
                size_t an = strspn(s, "abcdefghijklmnopqrstuvwxyz"
                                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-:");
                if (an == 0 || s[an] != '=' || s[an + 1] != '"')
                    return snprintf(why, sizeof why, "bad attribute: %.30s", s), why;
                s += an + 2;
                for (; *s != '"'; s++) {
                    if (*s == '\0' || *s == '<')
                        return "attribute value not closed, or raw '<' in it";
                    if (*s == '&') {
                        size_t e = entity(s);
                        if (e == 0)
                            return "raw '&' in an attribute";
                        s += e - 1;
                    }
                }
                s++;
            }
            if (depth == 0)
                roots++;
            if (*s == '/') {
                s += 2;
            } else {
                if (depth == 64)
                    return "too deep";
                snprintf(stack[depth++], sizeof stack[0], "%.*s", (int)n, name);
                s++;
            }
        }
    }
    if (depth != 0)
        return snprintf(why, sizeof why, "<%s> never closed", stack[depth - 1]), why;
    return roots == 1 ? NULL : "not exactly one root element";
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The point count of each <polyline points="..."> in order. */
static int polyline_points(const char *s, int *out, int max)
{
    int n = 0;
    for (const char *p = strstr(s, "<polyline"); p != NULL && n < max;
         p = strstr(p + 1, "<polyline")) {
        const char *pts = strstr(p, "points=\"") + 8, *end = strchr(pts, '"');
        int k = 1;
        for (const char *c = pts; c < end; c++)
            k += *c == ' ';
        out[n++] = k;
    }
    return n;
}

/* ---- escaping ---------------------------------------------------------------- */

Test(report, html_escape_hostile_strings)
{
    char *a = capture(escape_writer, "<script>alert(\"x\")</script>");
    cr_expect_str_eq(a, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    char *b = capture(escape_writer, "a&b'c\"d");
    cr_expect_str_eq(b, "a&amp;b&#39;c&quot;d");
    char *c = capture(escape_writer, "plain text 1.5");
    cr_expect_str_eq(c, "plain text 1.5");
    free(a);
    free(b);
    free(c);
}

Test(report, markdown_and_csv_cells)
{
    char *m = capture(md_writer, "a|b\nc");
    cr_expect_str_eq(m, "a\\|b c");
    char *c1 = capture(csv_writer, "H100 SXM");
    cr_expect_str_eq(c1, "H100 SXM");
    char *c2 = capture(csv_writer, "a,\"b\"");
    cr_expect_str_eq(c2, "\"a,\"\"b\"\"\"");
    free(m);
    free(c1);
    free(c2);
}

Test(report, checker_catches_bad_xml)
{
    cr_expect_not_null(xml_check("<svg><g></svg>"));
    cr_expect_not_null(xml_check("<svg a=b></svg>"));
    cr_expect_not_null(xml_check("<svg>a < b</svg>"));
    cr_expect_not_null(xml_check("<svg>a & b</svg>"));
    cr_expect_not_null(xml_check("<svg></svg><svg></svg>"));
    cr_expect_null(xml_check("<svg a=\"1\"><g/><t>a &amp; b &#39;</t></svg>\n"));
}

/* ---- charts ------------------------------------------------------------------- */

static const double bytes[] = {1024, 8192, 65536, 524288};
static const double bw[] = {0.5, 1.2, 2.5, 3.1};
static const double bw2[] = {0.4, 0, 2.0, 2.9}; /* 0: not on a log axis */
static const double bw_lo[] = {0.4, 1.0, 2.2, 2.8}, bw_hi[] = {0.6, 1.4, 2.7, 3.3};

static void log_chart(FILE *out, const void *arg)
{
    (void)arg;
    tcb_svg_series s[2] = {
        {.label = "<script>alert(\"x\")</script>", .x = bytes, .y = bw, .lo = bw_lo,
         .hi = bw_hi, .n = 4},
        {.label = "a&b'c\"d", .x = bytes, .y = bw2, .n = 4},
    };
    tcb_svg_chart c = {.title = "allreduce <world> & co", .xlabel = "bytes", .ylabel = "GB/s",
                       .xscale = TCB_SVG_LOG2, .yscale = TCB_SVG_LOG10};
    cr_expect_eq(tcb_svg_line_chart(out, &c, s, 2), 7, "points drawn");
}

Test(report, line_chart_log_axes_with_band)
{
    char *svg = capture(log_chart, NULL);
    const char *why = xml_check(svg);
    cr_assert_null(why, "%s\n%s", why, svg);
    cr_expect_eq(count(svg, "<script"), 0);
    cr_expect_gt(count(svg, "&lt;script&gt;"), 0);
    cr_expect_gt(count(svg, "a&amp;b&#39;c&quot;d"), 0);
    cr_expect_eq(count(svg, "<svg"), 1);
    cr_expect_eq(count(svg, "<polygon class=\"band\""), 1);
    int pts[4];
    cr_assert_eq(polyline_points(svg, pts, 4), 2, "one polyline per series");
    cr_expect_eq(pts[0], 4);
    cr_expect_eq(pts[1], 3, "the 0 is left out on a log axis");
    cr_expect_eq(count(svg, "<circle"), 7);
    cr_expect_gt(count(svg, ">1Ki<"), 0, "binary tick labels on a log2 axis");
    cr_expect_gt(count(svg, ">512Ki<"), 0);
    cr_expect_eq(count(svg, "http"), 0, "no URL");
    free(svg);
}

static const char *const gens[] = {"N", "N-1", "N-2"};
static const double gx[] = {0, 1, 2}, usd[] = {6e8, 6e7, NAN}, lo[] = {5e8, 5e7, NAN},
                    hi[] = {7e8, 7e7, NAN};

static void category_chart(FILE *out, const void *arg)
{
    (void)arg;
    tcb_svg_series s = {.label = "H100 SXM", .x = gx, .y = usd, .lo = lo, .hi = hi, .n = 3};
    tcb_svg_chart c = {.title = "cost", .yscale = TCB_SVG_LOG10, .xnames = gens, .nxnames = 3};
    cr_expect_eq(tcb_svg_line_chart(out, &c, &s, 1), 2);
}

Test(report, line_chart_categorical_x)
{
    char *svg = capture(category_chart, NULL);
    cr_assert_null(xml_check(svg), "%s", svg);
    int pts[2];
    cr_assert_eq(polyline_points(svg, pts, 2), 1);
    cr_expect_eq(pts[0], 2, "a missing generation is a gap");
    cr_expect_gt(count(svg, ">N-1<"), 0);
    cr_expect_gt(count(svg, ">1e+08<"), 0, "decade ticks");
    cr_expect_gt(count(svg, "H100 SXM: N-1, 6e+07"), 0);
    free(svg);
}

static void empty_chart(FILE *out, const void *arg)
{
    (void)arg;
    tcb_svg_chart c = {.title = "nothing", .xscale = TCB_SVG_LOG2, .yscale = TCB_SVG_LINEAR};
    cr_expect_eq(tcb_svg_line_chart(out, &c, NULL, 0), 0);
}

Test(report, empty_line_chart_is_well_formed)
{
    char *svg = capture(empty_chart, NULL);
    cr_expect_null(xml_check(svg), "%s", svg);
    cr_expect_eq(count(svg, "<polyline"), 0);
    free(svg);
}

static void bar_chart(FILE *out, const void *arg)
{
    (void)arg;
    static const char *const labels[] = {"128x256x64", "<b>&", "1x1x1"};
    static const char *const series[] = {"median", "max \"best\""};
    static const double v[] = {0.05, 0.1, NAN, 0.06, 0.12, 0.02};
    tcb_svg_bars b = {.title = "GEMM", .ylabel = "TFLOP/s", .labels = labels, .ncat = 3,
                      .series = series, .nseries = 2, .values = v};
    cr_expect_eq(tcb_svg_bar_chart(out, &b), 5);
}

Test(report, bar_chart)
{
    char *svg = capture(bar_chart, NULL);
    const char *why = xml_check(svg);
    cr_assert_null(why, "%s\n%s", why, svg);
    cr_expect_eq(count(svg, "<rect class=\"bar\""), 5, "a NaN is no bar");
    cr_expect_gt(count(svg, "&lt;b&gt;&amp;"), 0);
    cr_expect_gt(count(svg, "max &quot;best&quot;"), 0, "legend for two series");
    free(svg);
}

/* ---- the page ----------------------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(report, page_writes_md_html_and_csv)
{
    char dir[] = "/tmp/tcb-report-test.XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    tcb_page p;
    cr_assert_eq(tcb_page_open(&p, "suite <&> \"x\""), TCB_OK);
    tcb_page_section(&p, "Runs");
    static const char *const cols[] = {"name", "value"};
    tcb_table t;
    tcb_table_begin(&t, &p, "t.csv", cols, 2);
    const char *row[] = {"a|b <c>", "1.5"}, *none[] = {"x,y", "-"};
    tcb_table_row(&t, row);
    tcb_table_row(&t, none);
    tcb_table_end(&t);
    cr_assert_eq(tcb_page_write(&p, dir), TCB_OK);
    tcb_page_free(&p);
    char path[256];
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = slurp(path);
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = slurp(path);
    snprintf(path, sizeof path, "%s/t.csv", dir);
    char *csv = slurp(path);
    cr_assert(md && html && csv);
    cr_expect_gt(count(md, "| a\\|b <c> | 1.5 |"), 0, "%s", md);
    cr_expect_gt(count(html, "<td class=\"t\">a|b &lt;c&gt;</td><td>1.5</td>"), 0, "%s", html);
    cr_expect_gt(count(html, "<title>suite &lt;&amp;&gt; &quot;x&quot;</title>"), 0);
    cr_expect_eq(count(html, "<script"), 0);
    cr_expect_str_eq(csv, "name,value\na|b <c>,1.5\n\"x,y\",\n");
    free(md);
    free(html);
    free(csv);
    for (const char *f = "report.md"; f != NULL; f = strcmp(f, "report.md") == 0 ? "report.html"
                                                    : strcmp(f, "report.html") == 0 ? "t.csv"
                                                                                    : NULL) {
        snprintf(path, sizeof path, "%s/%s", dir, f);
        unlink(path);
    }
    rmdir(dir);
}
