/* A tiny SVG writer for report.html: line charts on linear or log axes with
 * optional shaded bands, and grouped bar charts. Pure functions of their
 * arguments writing to a FILE* (open_memstream for a string). Every text
 * (titles, labels, legend) is HTML-escaped; the element has no xmlns, no
 * script and no external reference, so it is meant to sit inline in HTML. */
#ifndef TCB_SVG_H
#define TCB_SVG_H

#include <stdio.h>

typedef enum { TCB_SVG_LINEAR, TCB_SVG_LOG2, TCB_SVG_LOG10 } tcb_svg_scale;

/* One line: n points (x[i], y[i]). A point that is not finite, or not
 * positive on a log axis, is left out. lo/hi, when both given, are a band
 * drawn under the line (a polygon from lo to hi at each x). */
typedef struct {
    const char *label; /* legend text */
    const double *x, *y;
    const double *lo, *hi; /* NULL: no band */
    int n;
} tcb_svg_series;

typedef struct {
    const char *title, *xlabel, *ylabel;
    tcb_svg_scale xscale, yscale;
    /* Optional categorical x axis: the x values are indices 0..nxnames-1 and
     * tick i is labelled xnames[i] (xscale is then ignored). */
    const char *const *xnames;
    int nxnames;
    int width, height; /* of the plot, without the legend; 0: 640 x 360 */
} tcb_svg_chart;

/* Writes one <svg> element: axes with ticks and labels, per series one
 * <polygon class="band"> when it has a band, one <polyline> of its drawn
 * points (when it has any) with a <circle> per point, and a legend. Log2
 * ticks are labelled in binary units (1Ki, 1Mi); log10 and linear ticks
 * with %.4g. Returns the number of points drawn over all series. */
int tcb_svg_line_chart(FILE *out, const tcb_svg_chart *c, const tcb_svg_series *s, int ns);

/* Grouped bars: ncat categories along x, nseries bars in each; the bar of
 * series s in category c is values[s * ncat + c] (not finite: no bar). The y
 * axis is linear from 0. A legend is drawn when nseries > 1. */
typedef struct {
    const char *title, *ylabel;
    const char *const *labels; /* ncat category names */
    int ncat;
    const char *const *series; /* nseries series names */
    int nseries;
    const double *values;
    int width, height; /* 0: 640 x 360 */
} tcb_svg_bars;

/* Writes one <svg> element with one <rect class="bar"> per drawn bar.
 * Returns the number of bars drawn. */
int tcb_svg_bar_chart(FILE *out, const tcb_svg_bars *b);

/* A shaded band in pixel coordinates: the polygon through (px[i], plo[i])
 * forwards then (px[i], phi[i]) backwards, filled with colour at 20% opacity. */
void tcb_svg_band(FILE *out, const double *px, const double *plo, const double *phi, int n,
                  const char *colour);

/* The i-th colour of the palette the charts use (cycles). */
const char *tcb_svg_colour(int i);

#endif
