/* The harness's allreduce time against a bare MPI_Allreduce loop timed the
 * same way (barrier, then the call on a monotonic clock, slowest rank per
 * iteration, median over iterations), alternated in one run so both see the
 * same machine. Usage (ci/bench-overhead runs it):
 *   mpirun -np 2 tcbench-bench-overhead SUITE.yaml ROUNDS
 * SUITE.yaml holds float32 sum allreduce cases; their size, warmup and iters
 * apply to both. Prints one line per case with both medians and the overhead. */
#include "collective.h"
#include "comm.h"
#include "mpi_dtype.h"
#include "run.h"
#include "stats.h"
#include "suite.h"
#include "timer.h"
#include "workload.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

extern const tcb_comm_backend tcb_comm_mpi;

/* The bare loop does what the harness does around its timed part, by hand:
 * allocate as the collective workload does (its backend's recv, then send
 * buffer: the same sizes in the same order, so the buffers sit the same
 * distance apart and meet the same cache conflicts),
 * fill, warm up, verify one result, then time. Both matter on this machine:
 * at 64 KiB the layout alone moved the time by 30%, and a loop right after a
 * burst of CPU work ran faster than one without. Returns the median
 * iteration, seconds (rank 0), or -1 if the result was wrong. */
static double bare_allreduce(const tcb_world *w, size_t count, int warmup, int iters)
{
    size_t bytes = count * sizeof(float);
    float *recv = tcb_comm_mpi.alloc(bytes), *send = tcb_comm_mpi.alloc(bytes);
    double *mine = calloc((size_t)iters, sizeof *mine);
    double *slowest = calloc((size_t)iters, sizeof *slowest);
    if (!recv || !send || !mine || !slowest)
        MPI_Abort(MPI_COMM_WORLD, 3);
    tcb_coll_fill(TCB_FLOAT32, send, 0, count, w->rank, 0);

    for (int k = 0; k < warmup; k++)
        MPI_Allreduce(send, recv, (int)count, MPI_FLOAT, MPI_SUM, w->world);
    MPI_Allreduce(send, recv, (int)count, MPI_FLOAT, MPI_SUM, w->world);
    long long wrong = 0;
    for (size_t i = 0; i < count; i++) {
        double mag;
        wrong += recv[i] != tcb_coll_reduced(TCB_OP_SUM, w->size, i, &mag);
    }
    for (int k = 0; k < iters; k++) {
        MPI_Barrier(w->world);
        double t0 = tcb_now();
        MPI_Allreduce(send, recv, (int)count, MPI_FLOAT, MPI_SUM, w->world);
        mine[k] = tcb_now() - t0;
    }
    MPI_Reduce(mine, slowest, iters, MPI_DOUBLE, MPI_MAX, 0, w->world);
    tcb_stats t = {0};
    if (w->rank == 0)
        tcb_stats_compute(slowest, iters, &t);
    tcb_comm_mpi.free(send);
    tcb_comm_mpi.free(recv);
    free(mine);
    free(slowest);
    return tcb_world_sum(w, wrong) == 0 ? t.median : -1;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Per-round a/b - 1 in percent: out[0] median, out[1] 10th, out[2] 90th
 * percentile (nearest rank). */
static void ratio_summary(const double *a, const double *b, int rounds, double out[3])
{
    double *r = calloc((size_t)rounds, sizeof *r);
    for (int i = 0; i < rounds; i++)
        r[i] = (a[i] / b[i] - 1) * 100;
    qsort(r, (size_t)rounds, sizeof *r, by_value);
    out[0] = r[rounds / 2];
    out[1] = r[(rounds - 1) / 10];
    out[2] = r[(rounds - 1) - (rounds - 1) / 10];
    free(r);
}

int main(int argc, char **argv)
{
    tcb_world w;
    if (tcb_world_init(&w, &argc, &argv) != TCB_OK)
        return 3;
    if (argc < 3) {
        if (w.rank == 0)
            fprintf(stderr, "usage: %s SUITE.yaml ROUNDS\n", argv[0]);
        tcb_world_finalize(&w);
        return 2;
    }
    int rounds = atoi(argv[2]);
    tcb_suite suite;
    tcb_diag d;
    if (tcb_suite_load(argv[1], NULL, 0, &suite, &d) != TCB_OK || rounds < 1) {
        if (w.rank == 0)
            fprintf(stderr, "%s\n", rounds < 1 ? "ROUNDS must be >= 1" : d.msg);
        tcb_world_finalize(&w);
        return 2;
    }

    tcb_run_ctx ctx = {.w = &w, .run_id = "bench-overhead"};
    int status = 0;
    if (w.rank == 0)
        printf("# %d ranks, %d rounds; per round the harness, a bare MPI_Allreduce loop and\n"
               "# the same bare loop again, in rotating order. A round's time is its median\n"
               "# iteration (slowest rank per iteration).\n"
               "# best: the fastest round of each arm, and harness/bare - 1 of those.\n"
               "# overhead: harness/bare - 1 per round: median [10th, 90th percentile].\n"
               "# A/A: bare-again/bare - 1 per round, the same way: the noise floor.\n"
               "%10s %6s %10s %10s %9s %9s %17s %9s %17s\n",
               w.size, rounds, "size(B)", "iters", "harness", "bare", "best", "overhead",
               "", "A/A", "");
    for (int i = 0; i < suite.ncases; i++) {
        const tcb_case *c = &suite.cases[i];
        size_t count = (size_t)tcb_params_int(&c->params, "size") / sizeof(float);
        /* t[arm][round]: arm 0 the harness, 1 the bare loop, 2 the bare loop
         * again: an A/A pair that shows how far two identical loops differ. */
        double *t[3];
        for (int a = 0; a < 3; a++)
            t[a] = calloc((size_t)rounds, sizeof *t[a]);
        for (int r = 0; r < rounds; r++) {
            /* Each arm goes first, second and third in turn: on this VM the
             * same loop can run 2x slower or faster depending on what ran
             * just before it. */
            for (int k = 0; k < 3; k++) {
                int arm = (r + k) % 3;
                if (arm == 0) {
                    int check = 0;
                    tcb_stats st = {0};
                    if (tcb_run_case(&ctx, c, &check, &st) != TCB_OK)
                        status = 1;
                    t[0][r] = st.median;
                } else {
                    t[arm][r] = bare_allreduce(&w, count, c->warmup, c->iters);
                    if (t[arm][r] < 0 && w.rank == 0)
                        status = 1;
                }
            }
        }
        if (w.rank == 0) {
            double over[3], aa[3], best[3];
            ratio_summary(t[0], t[1], rounds, over);
            ratio_summary(t[2], t[1], rounds, aa);
            for (int a = 0; a < 3; a++) {
                qsort(t[a], (size_t)rounds, sizeof *t[a], by_value);
                best[a] = t[a][0];
            }
            printf("%10lld %6d %10.3f %10.3f %+8.2f%% %+8.2f%% [%+6.1f%%,%+6.1f%%] %+8.2f%% "
                   "[%+6.1f%%,%+6.1f%%]\n",
                   tcb_params_int(&c->params, "size"), c->iters, best[0] * 1e6,
                   best[1] * 1e6, (best[0] / best[1] - 1) * 100, over[0], over[1], over[2],
                   aa[0], aa[1], aa[2]);
        }
        for (int a = 0; a < 3; a++)
            free(t[a]);
    }
    tcb_suite_free(&suite);
    tcb_world_finalize(&w);
    return status;
}
