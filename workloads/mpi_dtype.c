#include "mpi_dtype.h"

#include <stdint.h>

MPI_Datatype tcb_mpi_half_type = MPI_DATATYPE_NULL;
MPI_Op tcb_mpi_half_ops[2][TCB_OP_COUNT];

/* One user function per (16-bit type, op). MPI calls it with inout = in op inout. */
#define HALF_OP(name, to_f, from_f, expr)                                      \
    static void name(void *in, void *inout, int *len, MPI_Datatype *dt)        \
    {                                                                          \
        (void)dt;                                                              \
        const uint16_t *a = in;                                                \
        uint16_t *b = inout;                                                   \
        for (int i = 0; i < *len; i++) {                                       \
            float x = to_f(a[i]), y = to_f(b[i]);                              \
            b[i] = from_f(expr);                                               \
        }                                                                      \
    }

HALF_OP(bf16_sum, tcb_bf16_to_float, tcb_bf16_from_float, x + y)
HALF_OP(bf16_max, tcb_bf16_to_float, tcb_bf16_from_float, x > y ? x : y)
HALF_OP(bf16_min, tcb_bf16_to_float, tcb_bf16_from_float, x < y ? x : y)
HALF_OP(f16_sum, tcb_f16_to_float, tcb_f16_from_float, x + y)
HALF_OP(f16_max, tcb_f16_to_float, tcb_f16_from_float, x > y ? x : y)
HALF_OP(f16_min, tcb_f16_to_float, tcb_f16_from_float, x < y ? x : y)

static MPI_User_function *const half_fns[2][TCB_OP_COUNT] = {
    {bf16_sum, bf16_max, bf16_min},
    {f16_sum, f16_max, f16_min},
};

tcb_status tcb_mpi_dtypes_init(void)
{
    TCB_MPI_CHECK(MPI_Type_contiguous(2, MPI_BYTE, &tcb_mpi_half_type));
    TCB_MPI_CHECK(MPI_Type_commit(&tcb_mpi_half_type));
    for (int k = 0; k < 2; k++)
        for (int op = 0; op < TCB_OP_COUNT; op++)
            TCB_MPI_CHECK(MPI_Op_create(half_fns[k][op], 1, &tcb_mpi_half_ops[k][op]));
    return TCB_OK;
}

void tcb_mpi_dtypes_free(void)
{
    if (tcb_mpi_half_type == MPI_DATATYPE_NULL)
        return;
    for (int k = 0; k < 2; k++)
        for (int op = 0; op < TCB_OP_COUNT; op++)
            MPI_Op_free(&tcb_mpi_half_ops[k][op]);
    MPI_Type_free(&tcb_mpi_half_type);
}

