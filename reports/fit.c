/* Latency-bandwidth fits of measured collective curves: see fit.h and
 * docs/cost-fits.md. */
#include "fit.h"

#include "collective.h"

#include <errno.h>
#include <gsl/gsl_fit.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESULT_SCHEMA "tcbench.result/1"

/* ---- the fit ---- */

tcb_status tcb_fit_line(const double *S, const double *t, int n, tcb_fit *out, tcb_diag *d)
{
    memset(out, 0, sizeof *out);
    if (n < 1)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "no points to fit");
    double lo = S[0], hi = S[0];
    for (int i = 0; i < n; i++) {
        if (!(S[i] > 0) || !isfinite(S[i]) || !(t[i] > 0) || !isfinite(t[i]))
            return tcb_diag_set(d, TCB_ERR_CONFIG,
                                "point %d (%g B, %g s): size and time must be positive "
                                "and finite", i, S[i], t[i]);
        lo = fmin(lo, S[i]);
        hi = fmax(hi, S[i]);
    }
    int sizes = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = S[j] == S[i];
        sizes += !seen;
    }
    if (sizes < 2)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "only one distinct size (%g B, %d point%s): a latency-bandwidth "
                            "fit needs at least two", S[0], n, n == 1 ? "" : "s");

    /* Weights 1/t^2: each point counts by its relative residual (docs/cost-fits.md). */
    double *w = malloc((size_t)n * sizeof *w);
    if (w == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "out of memory");
    for (int i = 0; i < n; i++)
        w[i] = 1.0 / (t[i] * t[i]);
    double c0, c1, cov00, cov01, cov11, chisq;
    gsl_fit_wlinear(S, 1, w, 1, t, 1, (size_t)n, &c0, &c1, &cov00, &cov01, &cov11, &chisq);
    unsigned flags = 0;
    if (c0 < 0 && c1 > 0) {
        /* A negative latency has no meaning: take alpha = 0 and the best
         * bandwidth through the origin under the same weights. */
        gsl_fit_wmul(S, 1, w, 1, t, 1, (size_t)n, &c1, &cov11, &chisq);
        c0 = 0;
        flags |= TCB_FIT_ALPHA_CLAMPED;
    }
    free(w);
    if (!(c1 > 0) || !isfinite(c1) || !isfinite(c0))
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "the fitted bandwidth is not positive (1/beta = %g s/B, alpha = "
                            "%g s): time does not grow with size over %g..%g B",
                            c1, c0, lo, hi);

    out->alpha_s = c0;
    out->beta_Bps = 1.0 / c1;
    out->flags = flags;
    out->points = n;
    out->sizes = sizes;
    out->min_bytes = lo;
    out->max_bytes = hi;
    for (int i = 0; i < n; i++) {
        double r = fabs(t[i] - (c0 + S[i] * c1)) / t[i];
        out->max_rel_resid = fmax(out->max_rel_resid, r);
    }
    return TCB_OK;
}

double tcb_fit_time(const tcb_fit *fit, double bytes)
{
    return fit->alpha_s + bytes / fit->beta_Bps;
}

tcb_status tcb_fit_allreduce_time(const tcb_fit *fit, double bytes, int n, double *t_s,
                                  bool *extrapolated, tcb_diag *d)
{
    char name[256];
    int nf = fit->group_ranks;
    if (strcmp(fit->collective, "allreduce") != 0 || nf < 2 || n < 1) {
        tcb_fit_group_name(fit, name, sizeof name);
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "allreduce time at %d ranks from the fit of %s: needs an "
                            "allreduce fit over at least 2 ranks and n >= 1", n, name);
    }
    if (extrapolated != NULL)
        *extrapolated = n != nf;
    /* Ring: 2(n-1) steps, one latency each; each rank moves 2(n-1)/n of the data. */
    double latency = fit->alpha_s * (double)(n - 1) / (double)(nf - 1);
    double volume = (2.0 * (n - 1) / n) / (2.0 * (nf - 1) / nf);
    *t_s = latency + bytes / fit->beta_Bps * volume;
    return TCB_OK;
}

/* ---- text ---- */

/* "8 B", "1 GiB", "1.5 MiB": binary units, exact where the size is a multiple. */
static void fmt_bytes(char *buf, size_t cap, double b)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    double v = b;
    while (u < 4 && v >= 1024) {
        v /= 1024;
        u++;
    }
    if (v == floor(v))
        snprintf(buf, cap, "%.0f %s", v, unit[u]);
    else
        snprintf(buf, cap, "%.3g %s", v, unit[u]);
}

int tcb_fit_provenance(const tcb_fit *fit, char *buf, size_t cap)
{
    char lo[32], hi[32], more[32] = "";
    fmt_bytes(lo, sizeof lo, fit->min_bytes);
    fmt_bytes(hi, sizeof hi, fit->max_bytes);
    if (fit->runs_omitted > 0)
        snprintf(more, sizeof more, " (+%d more)", fit->runs_omitted);
    return snprintf(buf, cap, "measured: %s %s%s, %d points, %s..%s%s",
                    fit->n_runs + fit->runs_omitted > 1 ? "runs" : "run",
                    fit->n_runs > 0 ? fit->runs : "?", more, fit->points, lo, hi,
                    fit->flags & TCB_FIT_ALPHA_CLAMPED ? ", alpha clamped to 0" : "");
}

int tcb_fit_group_name(const tcb_fit *fit, char *buf, size_t cap)
{
    return snprintf(buf, cap, "%s scope %s dtype %s ranks %d backend %s", fit->collective,
                    fit->scope, fit->dtype, fit->group_ranks, fit->backend);
}

/* ---- loading ---- */

/* The points of one group while the files are read. */
typedef struct {
    tcb_fit key; /* the key fields and provenance; the fit goes in at the end */
    double *S, *t;
    int n, cap;
} group;

typedef struct {
    group *g;
    int n, cap;
} groups;

static void groups_free(groups *gs)
{
    for (int i = 0; i < gs->n; i++) {
        free(gs->g[i].S);
        free(gs->g[i].t);
    }
    free(gs->g);
    memset(gs, 0, sizeof *gs);
}

static bool same_key(const tcb_fit *a, const tcb_fit *b)
{
    return strcmp(a->collective, b->collective) == 0 && strcmp(a->scope, b->scope) == 0 &&
           strcmp(a->dtype, b->dtype) == 0 && strcmp(a->backend, b->backend) == 0 &&
           a->group_ranks == b->group_ranks;
}

static int key_cmp(const void *pa, const void *pb)
{
    const tcb_fit *a = pa, *b = pb;
    int c;
    if ((c = strcmp(a->collective, b->collective)) != 0 || (c = strcmp(a->scope, b->scope)) != 0 ||
        (c = strcmp(a->dtype, b->dtype)) != 0 || (c = strcmp(a->backend, b->backend)) != 0)
        return c;
    return (a->group_ranks > b->group_ranks) - (a->group_ranks < b->group_ranks);
}

/* Adds run_id to the fit's ", "-joined list unless it is there already. */
static void add_run(tcb_fit *f, const char *run_id)
{
    size_t len = strlen(run_id), used = strlen(f->runs);
    for (const char *p = f->runs; (p = strstr(p, run_id)) != NULL; p += len)
        if ((p == f->runs || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
            return;
    size_t need = used + (used > 0 ? 2 : 0) + len;
    if (need + 1 > sizeof f->runs) {
        f->runs_omitted++; /* approximate for ids repeated past the buffer */
        return;
    }
    snprintf(f->runs + used, sizeof f->runs - used, "%s%s", used > 0 ? ", " : "", run_id);
    f->n_runs++;
}

static tcb_status add_point(groups *gs, const tcb_fit *key, const char *run_id, double S,
                            double t, tcb_diag *d)
{
    group *g = NULL;
    for (int i = 0; i < gs->n && g == NULL; i++)
        if (same_key(&gs->g[i].key, key))
            g = &gs->g[i];
    if (g == NULL) {
        if (gs->n == gs->cap) {
            int cap = gs->cap ? 2 * gs->cap : 8;
            group *ng = realloc(gs->g, (size_t)cap * sizeof *ng);
            if (ng == NULL)
                return tcb_diag_set(d, TCB_ERR_RUNTIME, "out of memory");
            gs->g = ng;
            gs->cap = cap;
        }
        g = &gs->g[gs->n++];
        memset(g, 0, sizeof *g);
        g->key = *key;
    }
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 16;
        double *nS = realloc(g->S, (size_t)cap * sizeof *nS);
        if (nS == NULL)
            return tcb_diag_set(d, TCB_ERR_RUNTIME, "out of memory");
        g->S = nS;
        double *nt = realloc(g->t, (size_t)cap * sizeof *nt);
        if (nt == NULL)
            return tcb_diag_set(d, TCB_ERR_RUNTIME, "out of memory");
        g->t = nt;
        g->cap = cap;
    }
    g->S[g->n] = S;
    g->t[g->n] = t;
    g->n++;
    add_run(&g->key, run_id);
    return TCB_OK;
}

/* The string at obj.name copied into dst, or why not. */
static const char *get_str(json_t *obj, const char *name, char *dst, size_t cap)
{
    const char *s = json_string_value(json_object_get(obj, name));
    if (s == NULL)
        return "not a string";
    if (strlen(s) >= cap)
        return "too long";
    memcpy(dst, s, strlen(s) + 1);
    return NULL;
}

#define BAD(...) tcb_diag_set(d, TCB_ERR_CONFIG, __VA_ARGS__)

/* One line of FILE: ignored, added to its group, or an error. */
static tcb_status take_record(groups *gs, const char *file, int lineno, const char *line,
                              tcb_diag *d)
{
    json_error_t err;
    json_t *rec = json_loads(line, 0, &err);
    if (rec == NULL)
        return BAD("%s:%d: not a result record: %s", file, lineno, err.text);
    tcb_status st = TCB_OK;
    const char *schema = json_string_value(json_object_get(rec, "schema"));
    json_t *check = json_object_get(rec, "check");
    const char *status = json_string_value(json_object_get(check, "status"));
    const char *workload = json_string_value(json_object_get(rec, "workload"));
    const char *run_id = json_string_value(json_object_get(rec, "run_id"));
    if (!json_is_object(rec)) {
        st = BAD("%s:%d: not a result record: not a JSON object", file, lineno);
    } else if (schema == NULL || strcmp(schema, RESULT_SCHEMA) != 0) {
        st = BAD("%s:%d: not a result record: schema is %s, want " RESULT_SCHEMA, file,
                 lineno, schema ? schema : "missing");
    } else if (workload == NULL || status == NULL || run_id == NULL) {
        st = BAD("%s:%d: not a result record: no %s", file, lineno,
                 workload == NULL ? "workload" : status == NULL ? "check.status" : "run_id");
    } else if (strcmp(workload, "collective") == 0 && strcmp(status, "ok") == 0) {
        json_t *params = json_object_get(rec, "params");
        json_t *metrics = json_object_get(rec, "metrics");
        json_t *bytes = json_object_get(metrics, "bytes");
        json_t *nr = json_object_get(metrics, "group_ranks");
        json_t *median = json_object_get(json_object_get(rec, "time_s"), "median");
        tcb_fit key;
        memset(&key, 0, sizeof key);
        const char *why, *what = NULL;
        if ((why = get_str(params, "collective", key.collective, sizeof key.collective)))
            what = "params.collective";
        else if ((why = get_str(params, "scope", key.scope, sizeof key.scope)))
            what = "params.scope";
        else if ((why = get_str(params, "dtype", key.dtype, sizeof key.dtype)))
            what = "params.dtype";
        else if ((why = get_str(rec, "backend", key.backend, sizeof key.backend)))
            what = "backend";
        else if (!json_is_number(bytes))
            what = "metrics.bytes", why = "not a number";
        else if (!json_is_integer(nr) || json_integer_value(nr) < 1)
            what = "metrics.group_ranks", why = "not a positive integer";
        else if (!json_is_number(median) || !(json_number_value(median) > 0))
            what = "time_s.median", why = "not a positive number";
        if (what != NULL) {
            st = BAD("%s:%d: not a result record: ok collective record with %s %s", file,
                     lineno, what, why);
        } else {
            key.group_ranks = (int)json_integer_value(nr);
            st = add_point(gs, &key, run_id, json_number_value(bytes),
                           json_number_value(median), d);
        }
    }
    json_decref(rec);
    return st;
}

static tcb_status read_run(groups *gs, const char *dir, tcb_diag *d)
{
    char file[4096];
    if ((size_t)snprintf(file, sizeof file, "%s/results.jsonl", dir) >= sizeof file)
        return BAD("%s: run directory path too long", dir);
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return BAD("%s: cannot open: %s", file, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    tcb_status st = TCB_OK;
    for (int lineno = 1; st == TCB_OK && getline(&line, &cap, f) > 0; lineno++)
        st = take_record(gs, file, lineno, line, d);
    if (st == TCB_OK && ferror(f))
        st = BAD("%s: read error: %s", file, strerror(errno));
    free(line);
    fclose(f);
    return st;
}

tcb_status tcb_fit_load(const char *const *run_dirs, int n, tcb_fit_set *out, tcb_diag *d)
{
    memset(out, 0, sizeof *out);
    groups gs = {0};
    tcb_status st = TCB_OK;
    for (int i = 0; i < n && st == TCB_OK; i++)
        st = read_run(&gs, run_dirs[i], d);
    if (st == TCB_OK && gs.n > 0) {
        out->fits = calloc((size_t)gs.n, sizeof *out->fits);
        if (out->fits == NULL)
            st = BAD("out of memory");
    }
    for (int i = 0; i < gs.n && st == TCB_OK; i++) {
        group *g = &gs.g[i];
        tcb_fit *f = &out->fits[out->n]; /* unfit groups leave no gap */
        tcb_diag why;
        if (tcb_fit_line(g->S, g->t, g->n, f, &why) != TCB_OK) {
            if (out->unfit++ == 0) {
                char name[256];
                tcb_fit_group_name(&g->key, name, sizeof name);
                snprintf(out->unfit_why, sizeof out->unfit_why, "cannot fit %s (runs %s): %s",
                         name, g->key.runs, why.msg);
            }
            memset(f, 0, sizeof *f);
            continue;
        }
        memcpy(f->collective, g->key.collective, sizeof f->collective);
        memcpy(f->scope, g->key.scope, sizeof f->scope);
        memcpy(f->dtype, g->key.dtype, sizeof f->dtype);
        memcpy(f->backend, g->key.backend, sizeof f->backend);
        f->group_ranks = g->key.group_ranks;
        memcpy(f->runs, g->key.runs, sizeof f->runs);
        f->n_runs = g->key.n_runs;
        f->runs_omitted = g->key.runs_omitted;
        f->busbw_Bps = NAN;
        for (int k = 0; tcb_collectives[k] != NULL; k++)
            if (strcmp(tcb_collectives[k]->name, f->collective) == 0)
                f->busbw_Bps = f->beta_Bps * tcb_collectives[k]->busbw_factor(f->group_ranks);
        out->n++;
    }
    groups_free(&gs);
    if (st != TCB_OK) {
        tcb_fit_set_free(out);
        return st;
    }
    if (out->n > 1) /* no fits: out->fits may be NULL, which qsort must not see */
        qsort(out->fits, (size_t)out->n, sizeof *out->fits, key_cmp);
    return TCB_OK;
}

void tcb_fit_set_free(tcb_fit_set *set)
{
    if (set == NULL)
        return;
    free(set->fits);
    set->fits = NULL;
    set->n = 0;
    set->unfit = 0;
    set->unfit_why[0] = '\0';
}

const tcb_fit *tcb_fit_find(const tcb_fit_set *set, const char *collective, const char *scope,
                            int ranks)
{
    const tcb_fit *best = NULL;
    long best_dist = 0;
    for (int i = 0; i < set->n; i++) {
        const tcb_fit *f = &set->fits[i];
        if (strcmp(f->collective, collective) != 0 || strcmp(f->scope, scope) != 0)
            continue;
        /* ranks 0: any, the largest group (distance falls as n grows). */
        long dist = ranks > 0 ? labs((long)f->group_ranks - ranks) : -(long)f->group_ranks;
        bool better = best == NULL || dist < best_dist ||
                      (dist == best_dist && (f->group_ranks > best->group_ranks ||
                                             (f->group_ranks == best->group_ranks &&
                                              f->points > best->points)));
        if (better) {
            best = f;
            best_dist = dist;
        }
    }
    return best;
}
