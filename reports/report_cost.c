/* Section 5 of `tcbench report`: the cost-per-generation curves and table
 * from the cost.json that `tcbench cost` wrote (docs/report.md). */
#include "report_cost.h"

#include "report_json.h"
#include "svg.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_GENS 32
#define MAX_HW 64

tcb_status tcb_report_cost_load(tcb_report_cost *cd, const char *out, const char *run)
{
    const char *dirs[2] = {out, run};
    for (int i = 0; i < 2 && cd->doc == NULL; i++) {
        snprintf(cd->path, sizeof cd->path, "%s/cost.json", dirs[i]);
        if (access(cd->path, F_OK) != 0)
            continue;
        json_error_t err;
        cd->doc = json_load_file(cd->path, 0, &err);
        if (cd->doc == NULL) {
            tcb_log_error("report: %s:%d: not JSON: %s", cd->path, err.line, err.text);
            return TCB_ERR_CONFIG;
        }
    }
    return TCB_OK;
}

static int index_of(const char **names, int *n, int max, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    if (*n == max)
        return -1;
    names[*n] = name;
    return (*n)++;
}

/* The cell's dollars for hardware h: on demand, or owned for the hardware
 * whose catalog entry has no on-demand price. */
static json_t *dollars(json_t *cell, bool owned)
{
    return tcb_json_at(cell, owned ? "results.usd_own" : "results.usd_ondemand");
}

/* cost.json's notes: what the table assumed or could not find, and where. */
static void cost_notes(tcb_page *o, json_t *notes)
{
    if (json_array_size(notes) == 0)
        return;
    tcb_page_note(o, "Assumed or missing:");
    tcb_page_list(o, true);
    size_t i;
    json_t *n;
    json_array_foreach(notes, i, n) {
        char item[4096];
        int len = snprintf(item, sizeof item, "%s", tcb_json_str(n, "note"));
        size_t r;
        json_t *row;
        json_array_foreach(json_object_get(n, "rows"), r, row) {
            if (len >= 0 && (size_t)len < sizeof item)
                len += snprintf(item + len, sizeof item - (size_t)len, "%s%s", r ? ", " : ": ",
                                json_is_string(row) ? json_string_value(row) : "?");
        }
        tcb_page_item(o, item);
    }
    tcb_page_list(o, false);
}

void tcb_report_cost_section(tcb_page *o, const tcb_report_cost *cd)
{
    if (cd->doc == NULL)
        return;
    tcb_page_section(o, "Cost per generation");
    if (strcmp(tcb_json_str(cd->doc, "schema"), "tcbench.cost/1") != 0) {
        tcb_page_note(o, "cost.json is not a tcbench.cost/1 document: left out.");
        return;
    }
    const char *gens[MAX_GENS], *hws[MAX_HW];
    int ngen = 0, nhw = 0, nskip = 0;
    static double y[MAX_HW][MAX_GENS], lo[MAX_HW][MAX_GENS], hi[MAX_HW][MAX_GENS];
    double xs[MAX_GENS];
    bool owned[MAX_HW] = {false}, priced[MAX_HW] = {false};
    json_t *cells = json_object_get(cd->doc, "cells"), *cell;
    size_t i;
    json_array_foreach(cells, i, cell) {
        index_of(gens, &ngen, MAX_GENS, tcb_json_str(cell, "generation"));
        if (json_object_get(cell, "error") != NULL) {
            nskip++;
            continue;
        }
        int h = index_of(hws, &nhw, MAX_HW, tcb_json_str(cell, "hardware"));
        if (h >= 0 && !(tcb_json_num(cell, "results.usd_ondemand.mid") > 0))
            owned[h] = true;
    }
    for (int h = 0; h < MAX_HW; h++)
        for (int g = 0; g < MAX_GENS; g++)
            y[h][g] = lo[h][g] = hi[h][g] = NAN;
    json_array_foreach(cells, i, cell) {
        int h = -1, g = index_of(gens, &ngen, MAX_GENS, tcb_json_str(cell, "generation"));
        for (int k = 0; k < nhw; k++)
            h = strcmp(hws[k], tcb_json_str(cell, "hardware")) == 0 ? k : h;
        if (json_object_get(cell, "error") != NULL || h < 0 || g < 0)
            continue;
        json_t *d = dollars(cell, owned[h]);
        y[h][g] = tcb_json_num(d, "mid");
        lo[h][g] = tcb_json_num(d, "low");
        hi[h][g] = tcb_json_num(d, "high");
        priced[h] = priced[h] || y[h][g] > 0;
    }
    /* The chart: one line per hardware that has a price, x in ladder order. */
    char label[MAX_HW][160], unpriced[1024] = "";
    tcb_svg_series ser[MAX_HW];
    int ns = 0;
    for (int g = 0; g < ngen; g++)
        xs[g] = g;
    for (int h = 0; h < nhw; h++) {
        if (!priced[h]) {
            size_t u = strlen(unpriced);
            snprintf(unpriced + u, sizeof unpriced - u, "%s%s", u ? ", " : "", hws[h]);
            continue;
        }
        snprintf(label[ns], sizeof label[ns], "%s%s", hws[h],
                 owned[h] ? " (owned $: no on-demand price)" : "");
        ser[ns] = (tcb_svg_series){.label = label[ns], .x = xs, .y = y[h], .lo = lo[h],
                                   .hi = hi[h], .n = ngen};
        ns++;
    }
    tcb_svg_chart ch = {.title = "Dollars to train each generation", .xlabel = "generation",
                        .ylabel = "US dollars (log scale)", .yscale = TCB_SVG_LOG10,
                        .xnames = gens, .nxnames = ngen, .height = 420};
    tcb_svg_line_chart(tcb_page_html(o), &ch, ser, ns);
    char line[2400];
    snprintf(line, sizeof line, "From %s: dollars on demand (owned where the hardware has no "
             "on-demand price), the middle value as a line, low to high shaded.%s%s", cd->path,
             unpriced[0] ? " No price at all, not drawn: " : "", unpriced);
    tcb_page_note(o, line);
    static const char *const cols[] = {"hardware", "generation", "dollars", "low", "mid",
                                       "high", "device_hours"};
    tcb_table t;
    tcb_table_begin(&t, o, "report_cost.csv", cols, 7);
    json_array_foreach(cells, i, cell) {
        if (json_object_get(cell, "error") != NULL)
            continue;
        bool own = false;
        for (int k = 0; k < nhw; k++)
            own = strcmp(hws[k], tcb_json_str(cell, "hardware")) == 0 ? owned[k] : own;
        json_t *d = dollars(cell, own);
        /* cost.json says 0 dollars for "no price": no number to show. */
        bool priced_cell = tcb_json_num(d, "mid") > 0;
        char v[4][32];
        tcb_fmt4g(v[0], sizeof v[0], priced_cell ? tcb_json_num(d, "low") : NAN);
        tcb_fmt4g(v[1], sizeof v[1], priced_cell ? tcb_json_num(d, "mid") : NAN);
        tcb_fmt4g(v[2], sizeof v[2], priced_cell ? tcb_json_num(d, "high") : NAN);
        tcb_fmt4g(v[3], sizeof v[3], tcb_json_num(cell, "results.device_hours.mid"));
        const char *row[] = {tcb_json_str(cell, "hardware"), tcb_json_str(cell, "generation"),
                             !priced_cell ? "no price" : own ? "owned" : "on-demand", v[0], v[1],
                             v[2], v[3]};
        tcb_table_row(&t, row);
    }
    tcb_table_end(&t);
    if (nskip > 0) {
        snprintf(line, sizeof line, "%d cell(s) not projected, left out:", nskip);
        tcb_page_note(o, line);
        tcb_page_list(o, true);
        json_array_foreach(cells, i, cell) {
            if (json_object_get(cell, "error") == NULL)
                continue;
            char item[1400];
            snprintf(item, sizeof item, "%s / %s: %s", tcb_json_str(cell, "hardware"),
                     tcb_json_str(cell, "generation"), tcb_json_str(cell, "error"));
            tcb_page_item(o, item);
        }
        tcb_page_list(o, false);
    }
    cost_notes(o, json_object_get(cd->doc, "notes"));
}
