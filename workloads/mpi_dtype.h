/* MPI datatypes and reduction operators for tcb_dtype. bfloat16 and float16
 * have no MPI type: they travel as a 2-byte contiguous type of our own and
 * reduce with user-defined operators that compute in float and round back. */
#ifndef TCB_MPI_DTYPE_H
#define TCB_MPI_DTYPE_H

#include "comm.h"
#include "dtype.h"

#include <mpi.h>

/* Creates the 16-bit types and their operators. Collective-free; call once
 * after MPI_Init. Returns TCB_ERR_RUNTIME if MPI fails. */
tcb_status tcb_mpi_dtypes_init(void);
/* Frees what tcb_mpi_dtypes_init created; before MPI_Finalize. */
void tcb_mpi_dtypes_free(void);

/* Inline: they run inside every timed collective call. */
extern MPI_Datatype tcb_mpi_half_type;                /* 2 opaque bytes */
extern MPI_Op tcb_mpi_half_ops[2][TCB_OP_COUNT];      /* [bf16 | f16][op] */

static inline MPI_Datatype tcb_mpi_datatype(tcb_dtype t)
{
    switch (t) {
    case TCB_FLOAT32: return MPI_FLOAT;
    case TCB_FLOAT64: return MPI_DOUBLE;
    case TCB_INT32: return MPI_INT32_T;
    case TCB_BFLOAT16:
    case TCB_FLOAT16: return tcb_mpi_half_type;
    default: return MPI_DATATYPE_NULL;
    }
}

static inline MPI_Op tcb_mpi_op(tcb_dtype t, tcb_redop op)
{
    if (t == TCB_BFLOAT16)
        return tcb_mpi_half_ops[0][op];
    if (t == TCB_FLOAT16)
        return tcb_mpi_half_ops[1][op];
    return op == TCB_OP_SUM ? MPI_SUM : op == TCB_OP_MAX ? MPI_MAX : MPI_MIN;
}

/* The one check macro for MPI calls: logs file:line, the call and MPI's error
 * string, and returns TCB_ERR_RUNTIME from the calling function. Communicators
 * must have MPI_ERRORS_RETURN for errors to reach it. */
#define TCB_MPI_CHECK(call)                                                    \
    do {                                                                       \
        int tcb_rc_ = (call);                                                  \
        if (tcb_rc_ != MPI_SUCCESS) {                                          \
            char tcb_es_[MPI_MAX_ERROR_STRING];                                \
            int tcb_el_ = 0;                                                   \
            MPI_Error_string(tcb_rc_, tcb_es_, &tcb_el_);                      \
            return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, #call, \
                                   tcb_es_);                                   \
        }                                                                      \
    } while (0)

#endif
