#include "collective.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

static const tcb_collective *row(const char *name)
{
    for (int i = 0; tcb_collectives[i] != NULL; i++)
        if (strcmp(tcb_collectives[i]->name, name) == 0)
            return tcb_collectives[i];
    cr_assert_fail("no collective %s", name);
    return NULL;
}

/* The nccl-tests factors of DESIGN.md, written out independently. */
static double want_factor(const char *name, int n)
{
    if (strcmp(name, "allreduce") == 0)
        return 2.0 * (n - 1) / n;
    if (strcmp(name, "allgather") == 0 || strcmp(name, "reducescatter") == 0 ||
        strcmp(name, "alltoall") == 0)
        return (double)(n - 1) / n;
    return 1.0; /* broadcast, reduce, sendrecv */
}

Test(busbw, factors_of_every_collective)
{
    static const char *const names[] = {"allreduce", "allgather", "reducescatter", "alltoall",
                                        "broadcast", "reduce",    "sendrecv",      NULL};
    static const int ns[] = {1, 2, 3, 4, 8, 512};
    int rows = 0;
    for (int i = 0; tcb_collectives[i] != NULL; i++)
        rows++;
    cr_assert_eq(rows, 7, "every collective has a row");
    for (int i = 0; names[i] != NULL; i++)
        for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
            cr_assert_float_eq(row(names[i])->busbw_factor(ns[k]), want_factor(names[i], ns[k]),
                               1e-15, "%s n=%d", names[i], ns[k]);
}

Test(busbw, allreduce_on_eight_ranks_is_seven_quarters)
{
    cr_assert_float_eq(row("allreduce")->busbw_factor(8), 1.75, 1e-15);
    cr_assert_float_eq(row("allgather")->busbw_factor(8), 0.875, 1e-15);
}

/* S = max(send, recv) bytes: the buffer shapes behind algbw. */
Test(busbw, buffer_counts)
{
    cr_assert_eq(row("allgather")->send_count(10, 4), 10);
    cr_assert_eq(row("allgather")->recv_count(10, 4), 40);
    cr_assert_eq(row("reducescatter")->send_count(10, 4), 40);
    cr_assert_eq(row("reducescatter")->recv_count(10, 4), 10);
    cr_assert_eq(row("alltoall")->send_count(10, 4), 40);
    cr_assert_eq(row("alltoall")->recv_count(10, 4), 40);
    cr_assert_eq(row("allreduce")->recv_count(10, 4), 10);
}

Test(busbw, verification_values_are_small_integers)
{
    for (int r = 0; r < 64; r++)
        for (size_t g = 0; g < 1000; g++) {
            double v = tcb_coll_value(r, g);
            cr_assert(v >= -2 && v <= 2 && v == (double)(int)v);
        }
    /* Not one pattern shifted: ranks differ in most places. */
    int same = 0;
    for (size_t g = 0; g < 1000; g++)
        same += tcb_coll_value(0, g) == tcb_coll_value(5, g);
    cr_assert_lt(same, 400);
    double mag;
    double sum = tcb_coll_reduced(TCB_OP_SUM, 3, 17, &mag);
    cr_assert_float_eq(sum, tcb_coll_value(0, 17) + tcb_coll_value(1, 17) + tcb_coll_value(2, 17), 0);
}
