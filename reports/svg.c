#include "svg.h"
#include "html.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

/* Pixel margins around the plot area: room for tick labels and axis titles. */
#define M_LEFT 80.0
#define M_RIGHT 20.0
#define M_TOP 30.0
#define M_BOTTOM 50.0
#define LEGEND_ROW 16.0

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

const char *tcb_svg_colour(int i)
{
    int n = (int)(sizeof palette / sizeof palette[0]);
    return palette[((i % n) + n) % n];
}

/* ---- axes ------------------------------------------------------------------- */

typedef struct {
    tcb_svg_scale scale;
    double lo, hi;       /* in transformed units (exponents on a log axis) */
    double p0, p1;       /* pixels of lo and hi */
} axis;

static bool usable(tcb_svg_scale sc, double v)
{
    return isfinite(v) && (sc == TCB_SVG_LINEAR || v > 0);
}

static double forward(tcb_svg_scale sc, double v)
{
    return sc == TCB_SVG_LOG2 ? log2(v) : sc == TCB_SVG_LOG10 ? log10(v) : v;
}

static double pixel(const axis *a, double v)
{
    double t = forward(a->scale, v);
    return a->p0 + (t - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

static double nice_step(double range)
{
    double raw = range / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/* Fits the axis to [mn, mx] (data values): whole exponents on a log axis,
 * a multiple of a 1-2-5 step on a linear one, 0 included when from0. */
static void fit_axis(axis *a, double mn, double mx, bool from0)
{
    if (!(mn <= mx)) /* no data */
        mn = mx = a->scale == TCB_SVG_LINEAR ? 0 : 1;
    if (a->scale != TCB_SVG_LINEAR) {
        a->lo = floor(forward(a->scale, mn));
        a->hi = ceil(forward(a->scale, mx));
        if (a->hi <= a->lo)
            a->hi = a->lo + 1;
        return;
    }
    if (from0 && mn > 0)
        mn = 0;
    if (mx <= mn)
        mx = mn + (mn != 0 ? fabs(mn) : 1);
    double step = nice_step(mx - mn);
    a->lo = floor(mn / step) * step;
    a->hi = ceil(mx / step) * step;
}

static void tick_label(char *buf, size_t n, tcb_svg_scale sc, double t)
{
    if (sc == TCB_SVG_LOG2) {
        static const char *const units[] = {"", "Ki", "Mi", "Gi", "Ti"};
        int e = (int)lround(t), u = e >= 0 ? e / 10 : 0;
        if (u > 4)
            u = 4;
        snprintf(buf, n, "%.4g%s", pow(2, e - 10 * u), units[u]);
    } else {
        snprintf(buf, n, "%.4g", sc == TCB_SVG_LOG10 ? pow(10, t) : t);
    }
}

/* Ticks (transformed units) of an axis, at most ~12. Returns the count. */
static int ticks(const axis *a, double *t, int max)
{
    int n = 0;
    if (a->scale != TCB_SVG_LINEAR) {
        int span = (int)(a->hi - a->lo), every = span / 10 + 1;
        for (double e = a->lo; e <= a->hi + 1e-9 && n < max; e += every)
            t[n++] = e;
        return n;
    }
    double step = nice_step(a->hi - a->lo);
    for (double v = a->lo; v <= a->hi + step * 1e-9 && n < max; v += step)
        t[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

static void text(FILE *out, double x, double y, const char *anchor, const char *extra,
                 const char *s)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y, anchor, extra);
    tcb_html_escape(out, s);
    fputs("</text>\n", out);
}

static void frame(FILE *out, double w, double h, double total_h, const char *title)
{
    fprintf(out, "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                 "font-family=\"sans-serif\" font-size=\"11\">\n<title>", w, total_h, w, total_h);
    tcb_html_escape(out, title);
    fputs("</title>\n", out);
    text(out, w / 2, 18, "middle", " font-size=\"13\" font-weight=\"bold\"", title);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                 "stroke=\"#888\"/>\n", M_LEFT, M_TOP, w - M_LEFT - M_RIGHT, h - M_TOP - M_BOTTOM);
}

static void y_axis(FILE *out, const axis *a, double x0, double x1, const char *label)
{
    double t[16];
    int n = ticks(a, t, 16);
    for (int i = 0; i < n; i++) {
        double py = a->p0 + (t[i] - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
        char buf[32];
        tick_label(buf, sizeof buf, a->scale, t[i]);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n",
                x0, py, x1, py);
        text(out, x0 - 4, py + 4, "end", "", buf);
    }
    char rot[96];
    double mid = (a->p0 + a->p1) / 2;
    snprintf(rot, sizeof rot, " transform=\"rotate(-90 14 %.1f)\"", mid);
    text(out, 14, mid, "middle", rot, label);
}

static void legend(FILE *out, double y, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        double ry = y + i * LEGEND_ROW;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\"/>\n",
                M_LEFT, ry - 9, tcb_svg_colour(i));
        text(out, M_LEFT + 18, ry, "start", "", names[i]);
    }
}

/* ---- line chart --------------------------------------------------------------- */

void tcb_svg_band(FILE *out, const double *px, const double *plo, const double *phi, int n,
                  const char *colour)
{
    if (n <= 0)
        return;
    fputs("<polygon class=\"band\" points=\"", out);
    for (int i = 0; i < n; i++)
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", px[i], plo[i]);
    for (int i = n - 1; i >= 0; i--)
        fprintf(out, " %.1f,%.1f", px[i], phi[i]);
    fprintf(out, "\" fill=\"%s\" fill-opacity=\"0.2\" stroke=\"none\"/>\n", colour);
}

static void draw_series(FILE *out, const tcb_svg_chart *c, const axis *ax, const axis *ay,
                        const tcb_svg_series *s, int colour, int *drawn)
{
    const char *col = tcb_svg_colour(colour);
    double *px = malloc(3 * (size_t)(s->n > 0 ? s->n : 1) * sizeof *px);
    if (px == NULL)
        return;
    double *plo = px + s->n, *phi = plo + s->n;
    int nb = 0;
    for (int i = 0; s->lo != NULL && s->hi != NULL && i < s->n; i++) {
        if (!usable(ax->scale, s->x[i]) || !usable(ay->scale, s->lo[i]) ||
            !usable(ay->scale, s->hi[i]))
            continue;
        px[nb] = pixel(ax, s->x[i]);
        plo[nb] = pixel(ay, s->lo[i]);
        phi[nb++] = pixel(ay, s->hi[i]);
    }
    tcb_svg_band(out, px, plo, phi, nb, col);
    int np = 0;
    for (int i = 0; i < s->n; i++) {
        if (!usable(ax->scale, s->x[i]) || !usable(ay->scale, s->y[i]))
            continue;
        px[np] = pixel(ax, s->x[i]);
        plo[np++] = pixel(ay, s->y[i]);
    }
    if (np > 0) {
        fputs("<polyline class=\"series\" points=\"", out);
        for (int i = 0; i < np; i++)
            fprintf(out, "%s%.1f,%.1f", i ? " " : "", px[i], plo[i]);
        fprintf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", col);
    }
    for (int i = 0, k = 0; i < s->n; i++) {
        if (!usable(ax->scale, s->x[i]) || !usable(ay->scale, s->y[i]))
            continue;
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>", px[k],
                plo[k], col);
        k++;
        tcb_html_escape(out, s->label);
        int xi = (int)s->x[i];
        if (c->xnames != NULL && xi >= 0 && xi < c->nxnames) {
            fputs(": ", out);
            tcb_html_escape(out, c->xnames[xi]);
            fprintf(out, ", %.4g</title></circle>\n", s->y[i]);
        } else {
            fprintf(out, ": %.4g, %.4g</title></circle>\n", s->x[i], s->y[i]);
        }
    }
    *drawn += np;
    free(px);
}

int tcb_svg_line_chart(FILE *out, const tcb_svg_chart *c, const tcb_svg_series *s, int ns)
{
    double w = c->width > 0 ? c->width : 640, h = c->height > 0 ? c->height : 360;
    bool cat = c->xnames != NULL;
    axis ax = {cat ? TCB_SVG_LINEAR : c->xscale, 0, 0, M_LEFT, w - M_RIGHT};
    axis ay = {c->yscale, 0, 0, h - M_BOTTOM, M_TOP};
    double xmn = INFINITY, xmx = -INFINITY, ymn = INFINITY, ymx = -INFINITY;
    for (int k = 0; k < ns; k++) {
        for (int i = 0; i < s[k].n; i++) {
            if (!usable(ax.scale, s[k].x[i]))
                continue;
            double ys[3] = {s[k].y[i], s[k].lo ? s[k].lo[i] : NAN, s[k].hi ? s[k].hi[i] : NAN};
            for (int j = 0; j < 3; j++) {
                if (!usable(ay.scale, ys[j]))
                    continue;
                ymn = fmin(ymn, ys[j]);
                ymx = fmax(ymx, ys[j]);
                xmn = fmin(xmn, s[k].x[i]);
                xmx = fmax(xmx, s[k].x[i]);
            }
        }
    }
    if (cat) {
        ax.lo = -0.5;
        ax.hi = (c->nxnames > 0 ? c->nxnames : 1) - 0.5;
    } else {
        fit_axis(&ax, xmn, xmx, false);
    }
    fit_axis(&ay, ymn, ymx, true);

    const char **names = malloc((size_t)(ns > 0 ? ns : 1) * sizeof *names);
    if (names == NULL)
        return 0;
    frame(out, w, h, h + ns * LEGEND_ROW + 4, c->title ? c->title : "");
    y_axis(out, &ay, M_LEFT, w - M_RIGHT, c->ylabel ? c->ylabel : "");
    if (cat) {
        for (int i = 0; i < c->nxnames; i++)
            text(out, pixel(&ax, i), h - M_BOTTOM + 16, "middle", "", c->xnames[i]);
    } else {
        double t[16];
        int n = ticks(&ax, t, 16);
        for (int i = 0; i < n; i++) {
            char buf[32];
            tick_label(buf, sizeof buf, ax.scale, t[i]);
            double px = ax.p0 + (t[i] - ax.lo) / (ax.hi - ax.lo) * (ax.p1 - ax.p0);
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                         "stroke=\"#e4e4e4\"/>\n", px, M_TOP, px, h - M_BOTTOM);
            text(out, px, h - M_BOTTOM + 16, "middle", "", buf);
        }
    }
    text(out, (M_LEFT + w - M_RIGHT) / 2, h - M_BOTTOM + 36, "middle", "",
         c->xlabel ? c->xlabel : "");
    int drawn = 0;
    for (int k = 0; k < ns; k++) {
        draw_series(out, c, &ax, &ay, &s[k], k, &drawn);
        names[k] = s[k].label ? s[k].label : "";
    }
    legend(out, h + 10, (const char *const *)names, ns);
    free(names);
    fputs("</svg>\n", out);
    return drawn;
}

/* ---- bar chart --------------------------------------------------------------- */

int tcb_svg_bar_chart(FILE *out, const tcb_svg_bars *b)
{
    double w = b->width > 0 ? b->width : 640, h = b->height > 0 ? b->height : 360;
    double bottom = M_BOTTOM + 40; /* room for slanted category labels */
    axis ay = {TCB_SVG_LINEAR, 0, 0, h - bottom, M_TOP};
    double mx = -INFINITY, mn = INFINITY;
    for (int i = 0; i < b->ncat * b->nseries; i++) {
        if (isfinite(b->values[i])) {
            mx = fmax(mx, b->values[i]);
            mn = fmin(mn, b->values[i]);
        }
    }
    fit_axis(&ay, mn, mx, true);
    int legend_rows = b->nseries > 1 ? b->nseries : 0;
    double total = h + legend_rows * LEGEND_ROW + 4;
    fprintf(out, "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                 "font-family=\"sans-serif\" font-size=\"11\">\n<title>", w, total, w, total);
    tcb_html_escape(out, b->title ? b->title : "");
    fputs("</title>\n", out);
    text(out, w / 2, 18, "middle", " font-size=\"13\" font-weight=\"bold\"",
         b->title ? b->title : "");
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                 "stroke=\"#888\"/>\n", M_LEFT, M_TOP, w - M_LEFT - M_RIGHT, h - M_TOP - bottom);
    y_axis(out, &ay, M_LEFT, w - M_RIGHT, b->ylabel ? b->ylabel : "");
    double slot = (w - M_LEFT - M_RIGHT) / (b->ncat > 0 ? b->ncat : 1);
    double bw = slot / (b->nseries + 1);
    double base = pixel(&ay, 0);
    int drawn = 0;
    for (int c = 0; c < b->ncat; c++) {
        double x0 = M_LEFT + c * slot + bw / 2;
        for (int s = 0; s < b->nseries; s++) {
            double v = b->values[s * b->ncat + c];
            if (!isfinite(v))
                continue;
            double py = pixel(&ay, v), top = fmin(py, base);
            fprintf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                         "height=\"%.1f\" fill=\"%s\"><title>", x0 + s * bw, top, bw,
                    fabs(base - py), tcb_svg_colour(s));
            tcb_html_escape(out, b->labels[c]);
            fputs(" ", out);
            tcb_html_escape(out, b->series[s]);
            fprintf(out, ": %.4g</title></rect>\n", v);
            char buf[32];
            snprintf(buf, sizeof buf, "%.4g", v);
            text(out, x0 + (s + 0.5) * bw, top - 3, "middle", " font-size=\"9\"", buf);
            drawn++;
        }
        double lx = M_LEFT + (c + 0.5) * slot, ly = h - bottom + 14;
        char rot[96];
        snprintf(rot, sizeof rot, " transform=\"rotate(-25 %.1f %.1f)\"", lx, ly);
        text(out, lx, ly, "end", rot, b->labels[c]);
    }
    if (legend_rows > 0)
        legend(out, h + 10, (const char *const *)b->series, b->nseries);
    fputs("</svg>\n", out);
    return drawn;
}
