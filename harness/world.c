#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef TCB_HAVE_MPI
#include "mpi_dtype.h"

tcb_status tcb_world_init(tcb_world *w, int *argc, char ***argv)
{
    memset(w, 0, sizeof *w);
    w->world = w->node_comm = w->cross_comm = w->watchdog_comm = MPI_COMM_NULL;
    int provided = MPI_THREAD_SINGLE;
    /* The watchdog thread probes for finished ranks while the main thread may
     * sit in a collective: that needs MPI_THREAD_MULTIPLE. Without it the
     * watchdog still aborts a stuck case, it just cannot name the stragglers. */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS)
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "MPI_Init_thread",
                               "MPI did not start");
    w->multiple_threads = provided >= MPI_THREAD_MULTIPLE;

    TCB_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &w->world));
    TCB_MPI_CHECK(MPI_Comm_set_errhandler(w->world, MPI_ERRORS_RETURN));
    TCB_MPI_CHECK(MPI_Comm_rank(w->world, &w->rank));
    TCB_MPI_CHECK(MPI_Comm_size(w->world, &w->size));
    if (gethostname(w->host, sizeof w->host - 1) != 0)
        snprintf(w->host, sizeof w->host, "unknown");
    tcb_log_set_identity(w->size > 1 ? w->rank : -1, w->host);

    TCB_MPI_CHECK(MPI_Comm_split_type(w->world, MPI_COMM_TYPE_SHARED, w->rank,
                                      MPI_INFO_NULL, &w->node_comm));
    TCB_MPI_CHECK(MPI_Comm_rank(w->node_comm, &w->local_rank));
    TCB_MPI_CHECK(MPI_Comm_size(w->node_comm, &w->local_size));
    TCB_MPI_CHECK(MPI_Comm_split(w->world, w->local_rank == 0 ? 0 : MPI_UNDEFINED,
                                 w->rank, &w->cross_comm));
    /* The node leaders know the node count and their index; they tell their node. */
    int leader_view[2] = {0, 0};
    if (w->cross_comm != MPI_COMM_NULL) {
        TCB_MPI_CHECK(MPI_Comm_rank(w->cross_comm, &leader_view[0]));
        TCB_MPI_CHECK(MPI_Comm_size(w->cross_comm, &leader_view[1]));
    }
    TCB_MPI_CHECK(MPI_Bcast(leader_view, 2, MPI_INT, 0, w->node_comm));
    w->node = leader_view[0];
    w->nodes = leader_view[1];

    TCB_MPI_CHECK(MPI_Comm_dup(w->world, &w->watchdog_comm));
    return tcb_mpi_dtypes_init();
}

tcb_status tcb_world_agree(const tcb_world *w, tcb_status mine)
{
    int in = (int)mine, out = (int)TCB_ERR_RUNTIME;
    if (MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, w->world) != MPI_SUCCESS)
        return TCB_ERR_RUNTIME;
    return (tcb_status)out;
}

int tcb_world_first_failed(const tcb_world *w, tcb_status mine)
{
    int in = mine != TCB_OK ? w->rank : w->size, out = w->size;
    if (MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MIN, w->world) != MPI_SUCCESS)
        return 0;
    return out < w->size ? out : -1;
}

tcb_status tcb_world_barrier(const tcb_world *w)
{
    TCB_MPI_CHECK(MPI_Barrier(w->world));
    return TCB_OK;
}

tcb_status tcb_world_max_to_root(const tcb_world *w, const double *in, double *out, int n)
{
    TCB_MPI_CHECK(MPI_Reduce(in, out, n, MPI_DOUBLE, MPI_MAX, 0, w->world));
    return TCB_OK;
}

long long tcb_world_sum(const tcb_world *w, long long v)
{
    long long out = v;
    MPI_Allreduce(&v, &out, 1, MPI_LONG_LONG, MPI_SUM, w->world);
    return out;
}

tcb_status tcb_world_gather_bytes(const tcb_world *w, const void *mine, int len, char **all,
                                  int **lens)
{
    *all = NULL;
    *lens = NULL;
    int *displs = NULL;
    tcb_status s = TCB_OK;
    if (w->rank == 0) {
        *lens = calloc((size_t)w->size, sizeof **lens);
        displs = calloc((size_t)w->size, sizeof *displs);
        if (*lens == NULL || displs == NULL)
            s = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "calloc", "out of memory");
    }
    /* Every rank learns whether rank 0 can take part: none waits in a
     * gather that rank 0 never joins. */
    if ((s = tcb_world_agree(w, s)) == TCB_OK &&
        MPI_Gather(&len, 1, MPI_INT, *lens, 1, MPI_INT, 0, w->world) != MPI_SUCCESS)
        s = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "MPI_Gather", "failed");
    if (s == TCB_OK && w->rank == 0) {
        long total = 0;
        for (int r = 0; r < w->size; r++) {
            displs[r] = (int)total;
            total += (*lens)[r];
        }
        *all = malloc((size_t)total + 1); /* + 1: never malloc(0) */
        if (*all == NULL)
            s = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "malloc", "out of memory");
    }
    if ((s = tcb_world_agree(w, s)) == TCB_OK &&
        MPI_Gatherv(mine, len, MPI_BYTE, *all, *lens, displs, MPI_BYTE, 0, w->world) !=
            MPI_SUCCESS)
        s = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "MPI_Gatherv", "failed");
    free(displs);
    if (s != TCB_OK) {
        free(*all);
        free(*lens);
        *all = NULL;
        *lens = NULL;
    }
    return s;
}

tcb_status tcb_world_bcast_string(const tcb_world *w, char *buf, int n)
{
    TCB_MPI_CHECK(MPI_Bcast(buf, n, MPI_CHAR, 0, w->world));
    buf[n - 1] = '\0';
    return TCB_OK;
}

void tcb_world_abort(const tcb_world *w, int status)
{
    (void)w;
    MPI_Abort(MPI_COMM_WORLD, status);
    _exit(status); /* MPI_Abort does not return; if it did, do not linger */
}

void tcb_world_finalize(tcb_world *w)
{
    tcb_mpi_dtypes_free();
    if (w->watchdog_comm != MPI_COMM_NULL)
        MPI_Comm_free(&w->watchdog_comm);
    if (w->cross_comm != MPI_COMM_NULL)
        MPI_Comm_free(&w->cross_comm);
    if (w->node_comm != MPI_COMM_NULL)
        MPI_Comm_free(&w->node_comm);
    if (w->world != MPI_COMM_NULL)
        MPI_Comm_free(&w->world);
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized)
        MPI_Finalize();
}

#else /* a world of one, for builds without MPI */

tcb_status tcb_world_init(tcb_world *w, int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    memset(w, 0, sizeof *w);
    w->size = w->local_size = w->nodes = 1;
    if (gethostname(w->host, sizeof w->host - 1) != 0)
        snprintf(w->host, sizeof w->host, "unknown");
    return TCB_OK;
}

tcb_status tcb_world_agree(const tcb_world *w, tcb_status mine)
{
    (void)w;
    return mine;
}

int tcb_world_first_failed(const tcb_world *w, tcb_status mine)
{
    (void)w;
    return mine != TCB_OK ? 0 : -1;
}

tcb_status tcb_world_barrier(const tcb_world *w)
{
    (void)w;
    return TCB_OK;
}

tcb_status tcb_world_max_to_root(const tcb_world *w, const double *in, double *out, int n)
{
    (void)w;
    for (int i = 0; i < n; i++)
        out[i] = in[i];
    return TCB_OK;
}

long long tcb_world_sum(const tcb_world *w, long long v)
{
    (void)w;
    return v;
}

tcb_status tcb_world_gather_bytes(const tcb_world *w, const void *mine, int len, char **all,
                                  int **lens)
{
    (void)w;
    *all = malloc((size_t)len + 1);
    *lens = malloc(sizeof **lens);
    if (*all == NULL || *lens == NULL) {
        free(*all);
        free(*lens);
        *all = NULL;
        *lens = NULL;
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "malloc", "out of memory");
    }
    if (len > 0)
        memcpy(*all, mine, (size_t)len);
    (*lens)[0] = len;
    return TCB_OK;
}

tcb_status tcb_world_bcast_string(const tcb_world *w, char *buf, int n)
{
    (void)w;
    (void)buf;
    (void)n;
    return TCB_OK;
}

void tcb_world_abort(const tcb_world *w, int status)
{
    (void)w;
    _exit(status);
}

void tcb_world_finalize(tcb_world *w)
{
    (void)w;
}
#endif

/* The job size the launcher asked for, or 0 where none says. The first
 * variable set decides: mpirun's own, then PMIx/PMI, then Slurm's step size.
 * SLURM_NTASKS alone describes the allocation, not this step (a batch script
 * that runs one tcbench process in an 8-task allocation has it at 8), so it
 * counts only inside an srun step (SLURM_STEP_ID set). */
static long launcher_size(const char **name)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE",
                                       "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS", NULL};
    for (int i = 0; vars[i] != NULL; i++) {
        const char *v = getenv(vars[i]);
        if (v == NULL || *v == '\0')
            continue;
        if (strcmp(vars[i], "SLURM_NTASKS") == 0 && getenv("SLURM_STEP_ID") == NULL)
            continue;
        char *end = NULL;
        long asked = strtol(v, &end, 10);
        if (*end != '\0' || asked <= 0)
            continue; /* not a count we can read; not ours to judge */
        *name = vars[i];
        return asked;
    }
    return 0;
}

/* Launchers export how many ranks they started; MPI says how many it sees.
 * They differ when the launcher and the MPI library do not speak the same
 * protocol (srun without --mpi=pmix for a PMIx-only Open MPI, say): each
 * process then comes up as a singleton of size 1 and would run the whole
 * suite alone, N times over. */
tcb_status tcb_world_check_launcher(const tcb_world *w, tcb_diag *d)
{
    const char *var = NULL;
    long asked = launcher_size(&var);
    if (asked == 0 || asked == w->size)
        return TCB_OK;
    if (w->size == 1)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "%s=%ld but MPI started this process as a singleton (world "
                            "size 1): the %ld ranks came up as %ld separate jobs. The "
                            "launcher and the MPI library tcbench was built with do not "
                            "match (with srun, try --mpi=pmix; or launch with this MPI's "
                            "mpirun)",
                            var, asked, asked, asked);
    return tcb_diag_set(d, TCB_ERR_CONFIG,
                        "%s=%ld but the MPI world has %d ranks: the launcher and MPI "
                        "disagree on the job size",
                        var, asked, w->size);
}
