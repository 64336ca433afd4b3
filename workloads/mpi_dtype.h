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

MPI_Datatype tcb_mpi_datatype(tcb_dtype t);
MPI_Op tcb_mpi_op(tcb_dtype t, tcb_redop op);

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
