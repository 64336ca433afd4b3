/* The harness's allreduce time against a bare MPI_Allreduce loop timed the
 * same way (barrier, then the call on a monotonic clock, slowest rank per
 * iteration, median over iterations), alternated in one run so both see the
 * same machine. Usage (ci/bench-overhead runs it):
 *   mpirun -np 2 tcbench-bench-overhead SUITE.yaml ROUNDS
 * SUITE.yaml holds float32 sum allreduce cases; their size, warmup and iters
 * apply to both. Prints one line per case with both medians and the overhead. */
#include "mpi_dtype.h"
#include "run.h"
#include "stats.h"
#include "suite.h"
#include "timer.h"
#include "workload.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static double bare_allreduce(const tcb_world *w, size_t count, int warmup, int iters)
{
    float *send = malloc(count * sizeof *send), *recv = malloc(count * sizeof *recv);
    double *mine = calloc((size_t)iters, sizeof *mine), *slowest = calloc((size_t)iters, sizeof *slowest);
    for (size_t i = 0; i < count; i++)
        send[i] = (float)(i % 5) - 2.0f;
    for (int k = 0; k < warmup; k++)
        MPI_Allreduce(send, recv, (int)count, MPI_FLOAT, MPI_SUM, w->world);
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
    free(send);
    free(recv);
    free(mine);
    free(slowest);
    return t.median;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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
        printf("# %d ranks, %d rounds, harness and bare alternated; medians of per-round medians\n"
               "%10s %6s %14s %14s %10s\n", w.size, rounds, "size(B)", "iters",
               "harness(us)", "bare(us)", "overhead");
    for (int i = 0; i < suite.ncases; i++) {
        const tcb_case *c = &suite.cases[i];
        size_t count = (size_t)tcb_params_int(&c->params, "size") / sizeof(float);
        double *h = calloc((size_t)rounds, sizeof *h), *b = calloc((size_t)rounds, sizeof *b);
        for (int r = 0; r < rounds; r++) {
            int check = 0;
            tcb_stats t = {0};
            if (tcb_run_case(&ctx, c, &check, &t) != TCB_OK)
                status = 1;
            h[r] = t.median;
            b[r] = bare_allreduce(&w, count, c->warmup, c->iters);
        }
        if (w.rank == 0) {
            qsort(h, (size_t)rounds, sizeof *h, by_value);
            qsort(b, (size_t)rounds, sizeof *b, by_value);
            double hm = h[rounds / 2], bm = b[rounds / 2];
            printf("%10lld %6d %14.3f %14.3f %+9.2f%%\n",
                   tcb_params_int(&c->params, "size"), c->iters, hm * 1e6, bm * 1e6,
                   (hm / bm - 1) * 100);
        }
        free(h);
        free(b);
    }
    tcb_suite_free(&suite);
    tcb_world_finalize(&w);
    return status;
}
