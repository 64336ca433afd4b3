/* tcbench: the command line. MPI starts only for the subcommands that need
 * ranks (run, topo); the exit status is the one the ranks agreed on. */
#include "commands.h"
#include "stop_signals.h"
#include "world.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        tcb_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? TCB_ERR_CONFIG : TCB_OK;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "list") == 0)
        return tcb_cmd_list();
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return tcb_cmd_version();
    if (strcmp(cmd, "cost") == 0)
        return tcb_cmd_cost(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return tcb_cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "db") == 0)
        return tcb_cmd_db(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return tcb_cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "topo") != 0) {
        fprintf(stderr, "tcbench: error: unknown command '%s'\n", cmd);
        tcb_usage(stderr);
        return TCB_ERR_CONFIG;
    }

    /* Before MPI starts its threads, so that they leave the stop signals
     * to the thread that says why a run stopped. */
    if (strcmp(cmd, "run") == 0 && tcb_stop_signals_start() != TCB_OK)
        return TCB_ERR_RUNTIME;
    tcb_world w;
    tcb_status s = tcb_world_init(&w, &argc, &argv);
    if (s != TCB_OK)
        return s;
    if (strcmp(cmd, "run") == 0)
        s = tcb_cmd_run(&w, argc - 1, argv + 1, argc, argv);
    else
        s = tcb_cmd_topo(&w, argc - 1, argv + 1);
    fflush(stdout);
    tcb_world_finalize(&w);
    return (int)s;
}
