/* `tcbench db trend`: change points in each metric's nightly history.
 *
 * The regression gate judges one night against a baseline, so a metric that
 * drifts half a percent a night is never flagged. This reads the whole
 * history of one system from the database (reports/db.h) and runs E-divisive
 * (reports/changepoint.h) on every (case, metric) series, so a step or a
 * drift shows up as the night the distribution changed. docs/nightly.md. */
#ifndef TCB_TREND_H
#define TCB_TREND_H

#include "changepoint.h"
#include "db.h"
#include "tcb_error.h"

#include <stdio.h>

typedef struct {
    const char *system;      /* runs.system to read; NULL: the database's only system
                              * (an error naming them when there are several) */
    const char *case_glob;   /* fnmatch(3) pattern on tcb_case_label; NULL: every case */
    const char *metric;      /* one name of tcb_directions; NULL: every judged metric */
    tcb_changepoint_opts cp; /* permutations, significance, min_size, seed */
} tcb_trend_opts;

/* Prints the change points of every (case, metric) series of the system's
 * finished runs, oldest first, to out, and their number to *n_changes.
 *
 * A series is one case key and one metric of tcb_directions: its value in
 * each finished run (by start_utc, then import order) whose first record of
 * the key has check status "ok" and a finite value. A series shorter than
 * 2 min_size is counted as too short and not searched. Every series is
 * searched with the same seed, so a series' change points do not depend on
 * which others --case and --metric select.
 *
 * TCB_ERR_CONFIG with d saying why: a metric the gate does not judge, a
 * system that is not in the database (d names those that are), no system
 * given and several there, bad change point options. A case glob that
 * matches nothing is not an error; the output says so. TCB_ERR_RUNTIME for
 * SQLite or memory failures. */
tcb_status tcb_db_trend(tcb_db *db, const tcb_trend_opts *o, FILE *out, int *n_changes,
                        tcb_diag *d);

#endif
