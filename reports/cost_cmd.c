/* `tcbench cost RUN_DIR... [--hardware F] [--ladder F] [--scenario F] [-o OUT]`:
 * the cost-per-generation table. Rows are the devices measured in the run
 * directories and every accelerator of the hardware catalog; columns the
 * generations of the ladder; each cell is a projection (projection.h) whose
 * every input names its source. Writes cost.json (every input and its
 * provenance), cost.csv and cost.md into OUT, and the table to stdout.
 * docs/cost-model.md explains the numbers. */
#include "commands.h"
#include "fit.h"
#include "hardware.h"
#include "html.h"
#include "ladder.h"
#include "measurements.h"
#include "notes.h"
#include "projection.h"
#include "record.h"
#include "results.h"
#include "scenario.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_RUNS 64

typedef struct {
    const char *runs[MAX_RUNS];
    int nruns;
    const char *hardware, *ladder, *scenario, *out;
    const char *factor; /* the ladder's generation factor for this run; NULL: the file's */
} cost_options;

static tcb_status parse_options(int argc, char **argv, cost_options *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char **flag = strcmp(argv[i], "--hardware") == 0   ? &o->hardware
                            : strcmp(argv[i], "--ladder") == 0   ? &o->ladder
                            : strcmp(argv[i], "--scenario") == 0 ? &o->scenario
                            : strcmp(argv[i], "--factor") == 0   ? &o->factor
                            : strcmp(argv[i], "-o") == 0         ? &o->out
                                                                 : NULL;
        if (flag != NULL) {
            if (i + 1 >= argc) {
                tcb_log_error("cost: %s needs a value", argv[i]);
                return TCB_ERR_CONFIG;
            }
            *flag = argv[++i];
        } else if (argv[i][0] == '-') {
            tcb_log_error("cost: %s is not an option of cost", argv[i]);
            return TCB_ERR_CONFIG;
        } else if (o->nruns < MAX_RUNS) {
            o->runs[o->nruns++] = argv[i];
        } else {
            tcb_log_error("cost: at most %d run directories", MAX_RUNS);
            return TCB_ERR_CONFIG;
        }
    }
    if (o->nruns == 0) {
        tcb_log_error("cost: name at least one run directory");
        tcb_usage(stderr);
        return TCB_ERR_CONFIG;
    }
    return TCB_OK;
}

/* ---- the rows: what is known of each hardware -------------------------- */

typedef struct {
    char name[128];
    const tcb_hw_device *dev;  /* its catalog entry, or NULL */
    const char *measured_as;   /* the records' device name, or NULL */
    double peak_flops;
    char peak_source[300];
} row;

/* Devices measured in the runs first (matched to the catalog where it knows
 * them), then every catalog accelerator. */
static int collect_rows(const tcb_hardware *cat, const tcb_measurements *ms, row *rows, int max,
                        tcb_notes *notes)
{
    int n = 0;
    for (int i = 0; i < ms->n && n < max; i++) {
        const tcb_measurement *m = &ms->items[i];
        bool seen = false;
        for (int r = 0; r < n; r++)
            seen = seen || (rows[r].measured_as && strcmp(rows[r].measured_as, m->device) == 0);
        if (seen)
            continue;
        row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        r->dev = tcb_hardware_find(cat, m->device);
        r->measured_as = m->device;
        snprintf(r->name, sizeof r->name, "%s", m->device);
        if (r->dev == NULL)
            tcb_notes_add(notes, r->name, "not in the hardware catalog (%s), so no prices, TDP "
                          "or bandwidths", cat->path);
        r->peak_flops = m->peak_tflops * 1e12;
        snprintf(r->peak_source, sizeof r->peak_source, "%s", m->peak_source);
    }
    for (int i = 0; i < cat->ndevices && n < max; i++) {
        const tcb_hw_device *dev = &cat->devices[i];
        const tcb_hw_figure *peak = tcb_hardware_peak(dev, "bf16");
        bool taken = false;
        for (int r = 0; r < n; r++)
            taken = taken || rows[r].dev == dev;
        if (dev->kind == TCB_HW_CPU || peak == NULL || taken)
            continue;
        row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        r->dev = dev;
        snprintf(r->name, sizeof r->name, "%s", dev->name);
        r->peak_flops = peak->value * 1e12;
        char cite[256];
        snprintf(r->peak_source, sizeof r->peak_source, "catalog: bf16 dense %s",
                 tcb_hardware_cite(dev, peak, cite, sizeof cite));
    }
    return n;
}

/* ---- one cell ------------------------------------------------------------- */

typedef struct {
    tcb_status status;
    char why[1024];
    tcb_projection p;
    bool mfu_assumed;
    tcb_range mfu;
    char mfu_source[768], power_source[300];
} cell;

/* A generation's shape model, read once for every row. */
typedef struct {
    tcb_status status;
    tcb_model m;
    tcb_shard stage; /* one pipeline stage at the scenario's tp */
    char why[1024];
} shape;

static void load_shape(const tcb_ladder_gen *g, const tcb_scenario *s, shape *out)
{
    tcb_diag d = {{0}};
    out->status = tcb_model_load(g->shape_model, &out->m, &d);
    if (out->status == TCB_OK)
        out->status = tcb_model_shard(&out->m, (out->m.layers + s->pp - 1) / s->pp, s->tp,
                                      &out->stage, &d);
    snprintf(out->why, sizeof out->why, "%s", d.msg);
}

static void project_cell(const row *r, const tcb_ladder_gen *g, const shape *sh,
                         const tcb_scenario *s, const tcb_measurements *ms,
                         const tcb_fit_set *fits, tcb_notes *notes, cell *c)
{
    memset(c, 0, sizeof *c);
    tcb_diag d = {{0}};
    if ((c->status = sh->status) != TCB_OK) {
        snprintf(c->why, sizeof c->why, "%s", sh->why);
        return;
    }
    const tcb_model *m = &sh->m;
    const tcb_shard stage = sh->stage;
    tcb_hw_inputs hw = {.peak_flops = r->peak_flops};
    const tcb_measurement *near =
        r->measured_as ? tcb_measurements_nearest(ms, r->measured_as, g->shape_model, s->tp,
                                                  tcb_shard_flops_per_token(&stage, s->seq))
                       : NULL;
    if (near != NULL) {
        hw.mfu = near->mfu;
        char layers[32] = "all layers";
        if (near->layers > 0)
            snprintf(layers, sizeof layers, "%d layer%s", near->layers,
                     near->layers == 1 ? "" : "s");
        snprintf(c->mfu_source, sizeof c->mfu_source,
                 "measured: run %s case %d (%s, %s, tp %d, T %d), nearest to %s's "
                 "per-device shapes",
                 near->run_id, near->case_index, near->model, layers, near->tp, near->seq,
                 g->shape_model);
    } else {
        hw.mfu = tcb_range_exact(s->f[TCB_SCN_ASSUMED_MFU].value);
        c->mfu_assumed = true;
        snprintf(c->mfu_source, sizeof c->mfu_source, "assumed: %s",
                 s->f[TCB_SCN_ASSUMED_MFU].source);
        tcb_notes_add(notes, r->name, "MFU assumed (marked a) as the scenario's assumed_mfu, %g "
                      "per device, since no transformer case was measured",
                      s->f[TCB_SCN_ASSUMED_MFU].value);
    }
    tcb_hw_inputs_from_catalog(r->dev, s, &hw);
    if (near != NULL && near->device_watts > 0) {
        /* The watts of the case the MFU came from, in place of TDP x draw. */
        hw.power_w = near->device_watts;
        snprintf(c->power_source, sizeof c->power_source, "%s", near->power_source);
    } else if (hw.power_w > 0) {
        snprintf(c->power_source, sizeof c->power_source,
                 "assumed: catalog TDP x the scenario's power_draw (no energy measured)");
        tcb_notes_add(notes, r->name, "power assumed as catalog TDP x the scenario's "
                      "power_draw of %g, since no energy was measured", s->f[TCB_SCN_POWER_DRAW].value);
    } else {
        snprintf(c->power_source, sizeof c->power_source,
                 "unknown: no TDP in the catalog, no energy measured");
        tcb_notes_add(notes, r->name, "no TDP in the catalog and no energy measured, so no "
                      "MWh and no electricity in owned dollars");
    }
    if (!(hw.rent_ondemand.mid > 0))
        tcb_notes_add(notes, r->name, "no on-demand price in the catalog, so no on-demand "
                      "dollars");
    if (!(hw.rent_committed.mid > 0))
        tcb_notes_add(notes, r->name, "no committed-use price in the catalog, so no "
                      "committed dollars");
    if (!(hw.price_usd.mid > 0))
        tcb_notes_add(notes, r->name, "no purchase price in the catalog, so no owned dollars");
    if (r->measured_as != NULL) {
        /* On one node the world scope is the node scope. */
        hw.tp_fit = tcb_fit_find(fits, "allreduce", "node", s->tp);
        if (hw.tp_fit == NULL)
            hw.tp_fit = tcb_fit_find(fits, "allreduce", "world", s->tp);
        hw.dp_fit = tcb_fit_find(fits, "allreduce", "cross", s->dp);
        if (hw.dp_fit == NULL)
            hw.dp_fit = tcb_fit_find(fits, "allreduce", "world", s->dp);
    }
    if (hw.tp_fit == NULL && hw.dp_fit == NULL && hw.scaleup_Bps > 0 && hw.scaleout_Bps > 0)
        tcb_notes_add(notes, r->name, "communication from the catalog's scale-up and scale-out "
                      "bandwidths (latency left out), since no collective was measured");
    c->mfu = hw.mfu;
    c->status = tcb_project(&hw, m, g->compute_flops, s, &c->p, &d);
    if (c->status != TCB_OK)
        snprintf(c->why, sizeof c->why, "%s", d.msg);
    else if (c->p.comm_extrapolated)
        tcb_notes_add(notes, r->name, "a measured collective fit used at another group size "
                      "(marked x)");
}

/* ---- output ---------------------------------------------------------------- */

static json_t *range_json(tcb_range r)
{
    json_t *o = json_object();
    json_object_set_new(o, "low", tcb_json_number(r.low));
    json_object_set_new(o, "mid", tcb_json_number(r.mid));
    json_object_set_new(o, "high", tcb_json_number(r.high));
    return o;
}

static json_t *figure_json(double v, const char *source)
{
    json_t *o = json_object();
    json_object_set_new(o, "value", tcb_json_number(v));
    json_object_set_new(o, "source", json_string(source));
    return o;
}

static json_t *cell_json(const row *r, const tcb_ladder_gen *g, const cell *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "hardware", json_string(r->name));
    json_object_set_new(o, "generation", json_string(g->name));
    json_t *in = json_object();
    json_object_set_new(in, "compute_flops", figure_json(g->compute_flops, g->compute_source));
    json_object_set_new(in, "shape_model", json_string(g->shape_model));
    json_object_set_new(in, "peak_flops", figure_json(r->peak_flops, r->peak_source));
    json_t *mfu = json_object();
    json_object_set_new(mfu, "range", range_json(c->mfu));
    json_object_set_new(mfu, "source", json_string(c->mfu_source));
    json_object_set_new(in, "mfu_device", mfu);
    json_object_set_new(in, "power", json_string(c->power_source));
    json_object_set_new(o, "inputs", in);
    if (c->status != TCB_OK) {
        json_object_set_new(o, "error", json_string(c->why));
        return o;
    }
    const tcb_projection *p = &c->p;
    json_t *res = json_object();
    json_object_set_new(res, "mfu_at_scale", range_json(p->mfu_at_scale));
    json_object_set_new(res, "step_compute_s", tcb_json_number(p->step.compute_s));
    json_object_set_new(res, "step_tp_comm_s", tcb_json_number(p->step.tp_comm_s));
    json_object_set_new(res, "step_dp_comm_s", tcb_json_number(p->step.dp_comm_s));
    json_object_set_new(res, "bubble", tcb_json_number(p->step.bubble));
    json_object_set_new(res, "comm_extrapolated", json_boolean(p->comm_extrapolated));
    json_object_set_new(res, "device_hours", range_json(p->ondemand.device_hours));
    json_object_set_new(res, "days", range_json(p->ondemand.days));
    json_object_set_new(res, "mwh", range_json(p->ondemand.mwh));
    json_object_set_new(res, "usd_ondemand", range_json(p->ondemand.usd_rent));
    json_object_set_new(res, "usd_committed", range_json(p->committed.usd_rent));
    json_object_set_new(res, "usd_own", range_json(p->ondemand.usd_own));
    json_object_set_new(o, "results", res);
    return o;
}

/* "$1.23M", "4.5k", "-" for nothing: the table's short form. */
static const char *money(double v, char *buf, size_t n)
{
    if (!(v > 0))
        return "-";
    const char *unit = "";
    double x = v;
    if (x >= 1e12) { x /= 1e12; unit = "T"; }
    else if (x >= 1e9) { x /= 1e9; unit = "B"; }
    else if (x >= 1e6) { x /= 1e6; unit = "M"; }
    else if (x >= 1e3) { x /= 1e3; unit = "k"; }
    snprintf(buf, n, "%.3g%s", x, unit);
    return buf;
}

static void table_line(FILE *out, bool md, const row *r, const tcb_ladder_gen *g, const cell *c)
{
    char h[32], dy[32], e[32], od[32], cm[32], ow[32];
    if (c->status != TCB_OK) {
        fprintf(out, md ? "| %s | %s | not projected: %s |\n" : " %-26s %-6s not projected: %s\n",
                r->name, g->name, c->why);
        return;
    }
    const tcb_projection *p = &c->p;
    char flags[4];
    snprintf(flags, sizeof flags, "%s%s", c->mfu_assumed ? "a" : "",
             p->comm_extrapolated ? "x" : "");
    fprintf(out, md ? "| %s | %s | %.3g | %.3f%s | %s | %s | %s | %s | %s | %s |\n"
                    : " %-26s %-6s %9.3g %6.3f%-2s %8s %8s %8s %10s %10s %10s\n",
            r->name, g->name, g->compute_flops, p->mfu_at_scale.mid, flags,
            money(p->ondemand.device_hours.mid, h, sizeof h),
            money(p->ondemand.days.mid, dy, sizeof dy), money(p->ondemand.mwh.mid, e, sizeof e),
            money(p->ondemand.usd_rent.mid, od, sizeof od),
            money(p->committed.usd_rent.mid, cm, sizeof cm),
            money(p->ondemand.usd_own.mid, ow, sizeof ow));
}

static void table_header(FILE *out, bool md, const tcb_scenario *s)
{
    if (md) {
        fprintf(out, "# Cost per generation\n\nScenario %s: %d devices, TP%d PP%d DP%d CP%d. "
                     "Middle values; cost.json has the ranges and every input's source. "
                     "`a`: MFU assumed, not measured; `x`: a measured collective fit "
                     "extrapolated to another group size.\n\n",
                s->name, s->devices, s->tp, s->pp, s->dp, s->cp);
        fprintf(out, "| hardware | generation | FLOPs | MFU at scale | device-hours | days | "
                     "MWh | $ on demand | $ committed | $ owned |\n"
                     "|---|---|---|---|---|---|---|---|---|---|\n");
        return;
    }
    fprintf(out, "\n# cost per generation: scenario %s, %d devices (TP%d PP%d DP%d CP%d); "
                 "a = MFU assumed, x = collective fit extrapolated\n",
            s->name, s->devices, s->tp, s->pp, s->dp, s->cp);
    fprintf(out, "#%-26s %-6s %9s %8s %8s %8s %8s %10s %10s %10s\n", "hardware", "gen", "FLOPs",
            "MFU@sc", "dev-h", "days", "MWh", "$ondemand", "$committed", "$owned");
}

/* A CSV number: empty for none (a cell not projected, a price of 0). */
static void csv_num(FILE *out, double v)
{
    if (isfinite(v) && v > 0)
        fprintf(out, ",%.6g", v);
    else
        fputc(',', out);
}

static void csv_line(FILE *out, const row *r, const tcb_ladder_gen *g, const cell *c)
{
    const tcb_projection *p = &c->p;
    bool ok = c->status == TCB_OK;
    tcb_csv_field(out, r->name);
    fputc(',', out);
    tcb_csv_field(out, g->name);
    csv_num(out, g->compute_flops);
    fprintf(out, ",%s", c->mfu_assumed ? "assumed" : "measured");
    const double v[] = {p->mfu_at_scale.mid,   p->ondemand.device_hours.mid,
                        p->ondemand.days.mid,  p->ondemand.mwh.mid,
                        p->ondemand.usd_rent.mid, p->committed.usd_rent.mid,
                        p->ondemand.usd_own.mid};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        csv_num(out, ok ? v[i] : NAN);
    fputc('\n', out);
}

/* ---- the command ------------------------------------------------------------ */

#define MAX_ROWS 64

/* The latency-bandwidth fits the projections drew on, for cost.json and
 * for whoever checks that a measured link is what the model used. */
static json_t *fits_json(const tcb_fit_set *fits)
{
    json_t *a = json_array();
    for (int i = 0; i < fits->n; i++) {
        const tcb_fit *f = &fits->fits[i];
        json_t *o = json_object();
        json_object_set_new(o, "collective", json_string(f->collective));
        json_object_set_new(o, "scope", json_string(f->scope));
        json_object_set_new(o, "dtype", json_string(f->dtype));
        json_object_set_new(o, "backend", json_string(f->backend));
        json_object_set_new(o, "group_ranks", json_integer(f->group_ranks));
        json_object_set_new(o, "alpha_s", tcb_json_number(f->alpha_s));
        json_object_set_new(o, "beta_Bps", tcb_json_number(f->beta_Bps));
        json_object_set_new(o, "busbw_Bps", tcb_json_number(f->busbw_Bps));
        json_object_set_new(o, "alpha_clamped", json_boolean(f->flags & TCB_FIT_ALPHA_CLAMPED));
        json_object_set_new(o, "points", json_integer(f->points));
        json_object_set_new(o, "min_bytes", tcb_json_number(f->min_bytes));
        json_object_set_new(o, "max_bytes", tcb_json_number(f->max_bytes));
        json_object_set_new(o, "max_rel_resid", tcb_json_number(f->max_rel_resid));
        json_object_set_new(o, "runs", json_string(f->runs));
        json_array_append_new(a, o);
    }
    return a;
}

/* One line per fit under the table: what the communication terms rest on. */
static void fits_write(FILE *out, const tcb_fit_set *fits)
{
    if (fits->n == 0)
        return;
    fprintf(out, "#\n# collective fits, t = alpha + S / beta (cost-fits.md):\n");
    for (int i = 0; i < fits->n; i++) {
        const tcb_fit *f = &fits->fits[i];
        fprintf(out, "#  %s %s %s %d ranks %s: alpha %.3g us, beta %.4g GB/s, busbw %.4g GB/s "
                     "(%d points, %.3g..%.3g B, worst residual %.1f%%)\n",
                f->collective, f->scope, f->dtype, f->group_ranks, f->backend, f->alpha_s * 1e6,
                f->beta_Bps / 1e9, f->busbw_Bps / 1e9, f->points, f->min_bytes, f->max_bytes,
                100 * f->max_rel_resid);
    }
}

static tcb_status write_outputs(const char *dir, json_t *doc, const char *md, const char *csv)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        tcb_log_error("cost: cannot make %s: %s", dir, strerror(errno));
        return TCB_ERR_RUNTIME;
    }
    char *text = tcb_json_text(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    TCB_ALLOC_CHECK(text);
    tcb_status st = tcb_file_write_atomic(dir, "cost.json", text);
    free(text);
    if (st == TCB_OK)
        st = tcb_file_write_atomic(dir, "cost.md", md);
    if (st == TCB_OK)
        st = tcb_file_write_atomic(dir, "cost.csv", csv);
    return st;
}

tcb_status tcb_cmd_cost(int argc, char **argv)
{
    cost_options o;
    TCB_CHECK(parse_options(argc, argv, &o));
    tcb_diag d = {{0}};
    tcb_hardware cat = {0};
    tcb_ladder lad = {0};
    tcb_scenario scn;
    tcb_measurements ms = {0};
    tcb_fit_set fits = {0};
    tcb_notes *notes = NULL; /* 60 kB: off the stack */
    double factor = 0;
    if (o.factor != NULL) {
        char *end;
        factor = strtod(o.factor, &end);
        if (end == o.factor || *end != '\0' || !(factor > 1) || !isfinite(factor)) {
            tcb_log_error("cost: --factor must be a number > 1 (compute of a generation over "
                          "the one before), got '%s'", o.factor);
            return TCB_ERR_CONFIG;
        }
    }
    tcb_status st = tcb_hardware_load(o.hardware, &cat, &d);
    if (st == TCB_OK)
        st = tcb_ladder_load(o.ladder, factor, &lad, &d);
    if (st == TCB_OK)
        st = tcb_scenario_load(o.scenario, &scn, &d);
    if (st == TCB_OK)
        st = tcb_measurements_load(o.runs, o.nruns, &ms, &d);
    if (st != TCB_OK) {
        tcb_log_error("cost: %s", d.msg);
        goto out;
    }
    notes = calloc(1, sizeof *notes);
    if (notes == NULL) {
        st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "calloc", "no memory");
        goto out;
    }
    if (tcb_fit_load(o.runs, o.nruns, &fits, &d) != TCB_OK)
        tcb_notes_add(notes, NULL, "no collective fit from these runs (%s): a measured device "
                      "uses its catalog bandwidths where it has them", d.msg);
    else if (fits.n == 0 && fits.unfit == 0)
        tcb_notes_add(notes, NULL, "no collective fit from these runs (no collective measured): "
                      "a measured device uses its catalog bandwidths where it has them");
    else if (fits.unfit > 0)
        tcb_notes_add(notes, NULL, "%d collective group(s) left out of the fits; the first: %s",
                      fits.unfit, fits.unfit_why);

    if (scn.cp > 1)
        tcb_notes_add(notes, NULL, "context parallel (cp = %d) splits each sequence, but its own "
                      "communication (the K/V exchange of attention) is not modelled: every "
                      "MFU at scale is an upper bound", scn.cp);

    row rows[MAX_ROWS];
    int nrows = collect_rows(&cat, &ms, rows, MAX_ROWS, notes);
    shape *shapes = calloc((size_t)lad.ngens, sizeof *shapes);
    if (shapes == NULL) {
        st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "calloc", "no memory");
        goto out;
    }
    char *md = NULL, *csv = NULL;
    size_t md_len = 0, csv_len = 0;
    FILE *mdf = open_memstream(&md, &md_len), *csvf = open_memstream(&csv, &csv_len);
    if (mdf == NULL || csvf == NULL) {
        st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "open_memstream", "no memory");
        if (mdf != NULL)
            fclose(mdf);
        if (csvf != NULL)
            fclose(csvf);
        free(md);
        free(csv);
        free(shapes);
        goto out;
    }
    fprintf(csvf, "hardware,generation,flops,mfu_kind,mfu_at_scale,device_hours,days,mwh,"
                  "usd_ondemand,usd_committed,usd_owned\n");
    table_header(stdout, false, &scn);
    table_header(mdf, true, &scn);
    json_t *doc = json_object(), *cells = json_array();
    json_object_set_new(doc, "schema", json_string("tcbench.cost/1"));
    json_t *runs = json_array();
    for (int i = 0; i < o.nruns; i++)
        json_array_append_new(runs, json_string(o.runs[i]));
    json_object_set_new(doc, "runs", runs);
    json_object_set_new(doc, "scenario", json_string(scn.path));
    json_object_set_new(doc, "ladder", json_string(lad.path));
    json_object_set_new(doc, "generation_factor", figure_json(lad.factor, lad.factor_source));
    json_object_set_new(doc, "hardware_catalog", json_string(cat.path));
    for (int g = 0; g < lad.ngens; g++)
        load_shape(&lad.gens[g], &scn, &shapes[g]);
    for (int r = 0; r < nrows; r++) {
        for (int g = 0; g < lad.ngens; g++) {
            cell c;
            project_cell(&rows[r], &lad.gens[g], &shapes[g], &scn, &ms, &fits, notes, &c);
            table_line(stdout, false, &rows[r], &lad.gens[g], &c);
            table_line(mdf, true, &rows[r], &lad.gens[g], &c);
            csv_line(csvf, &rows[r], &lad.gens[g], &c);
            json_array_append_new(cells, cell_json(&rows[r], &lad.gens[g], &c));
        }
    }
    free(shapes);
    json_object_set_new(doc, "cells", cells);
    json_object_set_new(doc, "fits", fits_json(&fits));
    json_object_set_new(doc, "notes", tcb_notes_json(notes));
    fits_write(stdout, &fits);
    printf("#\n# assumed or missing:\n");
    tcb_notes_write(notes, stdout, "#   ");
    fprintf(mdf, "\n## Assumed or missing\n\n");
    tcb_notes_write_md(notes, mdf);
    fclose(mdf);
    fclose(csvf);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", o.out ? o.out : o.runs[0]);
    st = write_outputs(dir, doc, md, csv);
    if (st == TCB_OK)
        printf("# cost.json, cost.md, cost.csv in %s\n", dir);
    json_decref(doc);
    free(md);
    free(csv);
out:
    free(notes);
    tcb_fit_set_free(&fits);
    tcb_measurements_free(&ms);
    tcb_ladder_free(&lad);
    tcb_hardware_free(&cat);
    return st;
}
