/* The subcommands of the tcbench binary. Each returns the exit status of
 * DESIGN.md; for the MPI ones it is already agreed across ranks. */
#ifndef TCB_COMMANDS_H
#define TCB_COMMANDS_H

#include "tcb_error.h"
#include "world.h"

#include <stdio.h>

/* tcbench run SUITE.yaml [-o DIR] [--set KEY=VALUE]... [--dry-run]
 * argv[0] is "run". full_argc/full_argv are the whole command line, recorded
 * in run.json. */
tcb_status tcb_cmd_run(const tcb_world *w, int argc, char **argv, int full_argc,
                       char **full_argv);

/* tcbench topo [--json] */
tcb_status tcb_cmd_topo(const tcb_world *w, int argc, char **argv);

/* tcbench list / tcbench version: local, no MPI needed. */
tcb_status tcb_cmd_list(void);

/* tcbench cost RUN_DIR... [--hardware F] [--ladder F] [--scenario F] [-o OUT]
 * (reports/cost_cmd.c). No MPI: it reads files. */
tcb_status tcb_cmd_cost(int argc, char **argv);

/* tcbench report RUN_DIR... [-o OUT] (reports/report_cmd.c): report.md,
 * report.html and CSV tables. No MPI: it reads files. */
tcb_status tcb_cmd_report(int argc, char **argv);

/* tcbench db import RUN_DIR... --db FILE [--system NAME] | db list --db FILE |
 * db show RUN_ID --db FILE (reports/db_cmd.c): the SQLite history. No MPI. */
tcb_status tcb_cmd_db(int argc, char **argv);

/* tcbench compare --db FILE --current RUN_DIR [...] (reports/compare_cmd.c):
 * the nightly regression gate; 1 on a regression or a failed check. No MPI. */
tcb_status tcb_cmd_compare(int argc, char **argv);
tcb_status tcb_cmd_version(void);

void tcb_usage(FILE *out);

#endif
