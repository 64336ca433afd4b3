/* The MPI world as tcbench sees it: who this rank is, which node it is on, and
 * the communicators the collective scopes run over. Built without MPI
 * (TCBENCH_WITH_MPI=OFF) it is a world of one. */
#ifndef TCB_WORLD_H
#define TCB_WORLD_H

#include "tcb_error.h"

#include <stdbool.h>

#ifdef TCB_HAVE_MPI
#include <mpi.h>
#else
typedef int MPI_Comm;
#endif

typedef struct tcb_world {
    int rank, size;          /* in MPI_COMM_WORLD */
    int local_rank, local_size; /* within this node (MPI_COMM_TYPE_SHARED) */
    int node, nodes;         /* index of this node (0..nodes-1) and node count */
    char host[256];
    bool multiple_threads;   /* MPI_THREAD_MULTIPLE granted: the watchdog can probe */
#ifdef TCB_HAVE_MPI
    MPI_Comm world;          /* dup of MPI_COMM_WORLD, errors returned */
    MPI_Comm node_comm;      /* the ranks of this node */
    MPI_Comm cross_comm;     /* local rank 0 of every node; MPI_COMM_NULL elsewhere */
    MPI_Comm watchdog_comm;  /* private channel of the watchdog */
#endif
} tcb_world;

/* Initializes MPI and fills *w. Call once, before anything else in main.
 * Returns TCB_ERR_RUNTIME if MPI could not start. */
tcb_status tcb_world_init(tcb_world *w, int *argc, char ***argv);

/* Compares the world size with what the launcher asked for (SLURM_NTASKS,
 * OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_SIZE where set). A mismatch, typically
 * N ranks started as N singletons by an srun/mpirun that does not match the
 * MPI library, gives TCB_ERR_CONFIG and a message in *d. */
tcb_status tcb_world_check_launcher(const tcb_world *w, tcb_diag *d);

/* The worst status over all ranks; every rank gets the same answer. Also the
 * one place ranks agree before moving on, so no rank waits for a failed one. */
tcb_status tcb_world_agree(const tcb_world *w, tcb_status mine);

/* The lowest rank whose status is not TCB_OK, or -1 if none: that rank alone
 * prints the message, so a bad suite reads once, not once per rank. */
int tcb_world_first_failed(const tcb_world *w, tcb_status mine);

/* A barrier over the world: what precedes every timed iteration. */
tcb_status tcb_world_barrier(const tcb_world *w);

/* Element-wise maximum of in[0..n) over all ranks into out on rank 0 (out may
 * be NULL elsewhere): per iteration, the slowest rank's time. */
tcb_status tcb_world_max_to_root(const tcb_world *w, const double *in, double *out, int n);

/* Sum of v over all ranks, result on every rank. */
long long tcb_world_sum(const tcb_world *w, long long v);

/* Every rank's len bytes at mine, concatenated in rank order on rank 0:
 * *all and *lens (both malloc'd; free them), lens[r] the bytes rank r sent.
 * Others get NULL in both. Ranks may send 0 bytes. */
tcb_status tcb_world_gather_bytes(const tcb_world *w, const void *mine, int len, char **all,
                                  int **lens);

/* Rank 0's string, received by every rank into buf (n bytes). */
tcb_status tcb_world_bcast_string(const tcb_world *w, char *buf, int n);

/* Kills the whole job with status (MPI_Abort); safe from any thread. */
void tcb_world_abort(const tcb_world *w, int status);

void tcb_world_finalize(tcb_world *w);

#endif
