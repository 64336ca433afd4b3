/* Latency-bandwidth fits of measured collective curves (docs/cost-fits.md).
 *
 *   t(S) = alpha + S / beta        S bytes per rank (metrics.bytes),
 *                                  t seconds (time_s.median),
 *                                  alpha seconds, beta bytes per second
 *
 * One fit per (collective, scope, dtype, group_ranks, backend) group of
 * `collective` records whose check.status is "ok", over one or more run
 * directories. Weighted least squares with weights 1/t^2, so that every point
 * counts by its relative error, from 8 B (latency-bound) to 1 GiB
 * (bandwidth-bound). The cost model reads alpha and beta back through
 * tcb_fit_time() and tcb_fit_allreduce_time().
 */
#ifndef TCB_FIT_H
#define TCB_FIT_H

#include "tcb_error.h"

#include <stdbool.h>
#include <stddef.h>

/* tcb_fit.flags */
enum {
    /* The unconstrained fit gave alpha < 0: alpha was set to 0 and beta refit
     * through the origin with the same weights. */
    TCB_FIT_ALPHA_CLAMPED = 1u << 0,
};

#define TCB_FIT_NAME_MAX 32  /* key strings, terminator included */
#define TCB_FIT_RUNS_MAX 512 /* run ids, ", "-joined, terminator included */

typedef struct {
    /* The group (set by tcb_fit_load; empty after tcb_fit_line alone). */
    char collective[TCB_FIT_NAME_MAX]; /* params.collective: "allreduce" */
    char scope[TCB_FIT_NAME_MAX];      /* params.scope: "world" "node" "cross" */
    char dtype[TCB_FIT_NAME_MAX];      /* params.dtype: "float32" */
    char backend[TCB_FIT_NAME_MAX];    /* "mpi" */
    int group_ranks;                   /* n: metrics.group_ranks */

    /* The fit. */
    double alpha_s;      /* latency, seconds (0 when clamped) */
    double beta_Bps;     /* bandwidth, bytes per second (S / beta is the transfer time) */
    double busbw_Bps;    /* beta x the collective's bus factor at n (DESIGN.md); set by
                          * tcb_fit_load, 0 after tcb_fit_line alone, NaN for a
                          * collective this build has no row for */
    unsigned flags;      /* TCB_FIT_* */
    int points;          /* records (or points) that went in */
    int sizes;           /* distinct sizes among them (>= 2) */
    double min_bytes, max_bytes; /* the range of S the fit covers */
    double max_rel_resid; /* max over points of |t - t_fit(S)| / t: the fit's quality */

    /* Provenance (set by tcb_fit_load): the distinct run ids the points came
     * from, in the order first seen, joined by ", "; ids that did not fit into
     * the buffer are counted in runs_omitted (once per record past the
     * buffer, so it can overcount: it only says "and more"). */
    char runs[TCB_FIT_RUNS_MAX];
    int n_runs;
    int runs_omitted;
} tcb_fit;

/* Every fit of one or more run directories, sorted by collective, scope,
 * dtype, backend, then group_ranks. */
typedef struct {
    tcb_fit *fits; /* n of them; owned by the set, freed by tcb_fit_set_free() */
    int n;
    int unfit;          /* groups that could not be fit (one size, beta <= 0) */
    char unfit_why[2048]; /* the first of them, named, and why */
} tcb_fit_set;

/* The pure fit of n points (S[i] bytes, t[i] seconds): weighted least squares
 * of t = alpha + S * (1/beta) with weights 1/t^2 (GSL gsl_fit_wlinear). Every
 * S and t must be positive and finite, and at least two sizes distinct. Where
 * the fit gives alpha < 0, alpha is clamped to 0, beta refit through the
 * origin (gsl_fit_wmul) and TCB_FIT_ALPHA_CLAMPED set. Where it gives
 * 1/beta <= 0 (time not growing with size) it refuses. Fills the numeric
 * fields of *out and zeroes the rest. Returns TCB_OK, or TCB_ERR_CONFIG with
 * d saying why (d may be NULL). Allocates nothing. */
tcb_status tcb_fit_line(const double *S, const double *t, int n, tcb_fit *out, tcb_diag *d);

/* Reads DIR/results.jsonl of each of the n run directories, keeps the
 * `collective` records with check.status "ok", groups them by (collective,
 * scope, dtype, group_ranks, backend) and fits each group. Every line must be
 * a result record of schema tcbench.result/1; one that is not gives
 * "FILE:LINE: not a result record: why". A group that cannot be fit (one
 * distinct size, beta <= 0) is left out and counted in out->unfit, the first
 * one named in out->unfit_why: a run that measured one size of some scope
 * still gives the fits of the others.
 * Returns TCB_OK with *out filled (the caller frees it with tcb_fit_set_free),
 * or TCB_ERR_CONFIG (bad or unreadable input) / TCB_ERR_RUNTIME (out of
 * memory) with d saying why and *out empty. */
tcb_status tcb_fit_load(const char *const *run_dirs, int n, tcb_fit_set *out, tcb_diag *d);

/* Frees what tcb_fit_load() put in *set and empties it; NULL or an empty set
 * is fine. */
void tcb_fit_set_free(tcb_fit_set *set);

/* The fit of collective at scope whose group_ranks is closest to ranks
 * (ranks 0: any, the largest group measured); on a tie in distance the larger
 * group, then the one with more points, then the first in set order. NULL
 * when the set has no fit of that collective and scope. The fit belongs to
 * the set. */
const tcb_fit *tcb_fit_find(const tcb_fit_set *set, const char *collective,
                            const char *scope, int ranks);

/* alpha + bytes / beta: the fitted time of one collective of `bytes` bytes
 * per rank at the fit's own group size, seconds. */
double tcb_fit_time(const tcb_fit *fit, double bytes);

/* The time of an allreduce of `bytes` bytes per rank over n ranks, from an
 * allreduce fit measured at n_fit = fit->group_ranks, under the ring model:
 *
 *   t = alpha * (n-1)/(n_fit-1) + bytes/beta * (2(n-1)/n) / (2(n_fit-1)/n_fit)
 *
 * (the ring's 2(n-1) steps each pay one latency; each rank moves 2(n-1)/n of
 * the data over links as fast as those measured). *extrapolated (may be NULL)
 * is set when n != n_fit: the figure assumes the measured links and ring
 * algorithm carry over to n ranks. n = 1 costs 0. Returns TCB_ERR_CONFIG with
 * d saying why for a fit that is not of allreduce, n_fit < 2 or n < 1. */
tcb_status tcb_fit_allreduce_time(const tcb_fit *fit, double bytes, int n, double *t_s,
                                  bool *extrapolated, tcb_diag *d);

/* Writes the fit's provenance for the cost report into buf (cap bytes,
 * always terminated): "measured: run ID, 14 points, 8 B..1 GiB" (", runs A,
 * B" for several; ", alpha clamped to 0" when flagged). Returns what
 * snprintf returns. */
int tcb_fit_provenance(const tcb_fit *fit, char *buf, size_t cap);

/* "allreduce scope world dtype float32 ranks 8 backend mpi": the group a fit
 * (or a message) is about. Same contract as tcb_fit_provenance(). */
int tcb_fit_group_name(const tcb_fit *fit, char *buf, size_t cap);

#endif
