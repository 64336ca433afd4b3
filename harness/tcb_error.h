/* The one error convention of tcbench.
 *
 * Every fallible function returns a tcb_status. The values are the process exit
 * statuses of DESIGN.md, so the status a rank ends with is the one it reports:
 * the driver reduces the per-rank statuses with MPI_MAX and every rank exits
 * with the agreed value. Nothing below the driver calls exit().
 *
 * Messages go to stderr, prefixed with the rank and host once the MPI world is
 * up ("tcbench[1@node07]: ..."), so a log from 512 ranks says who complained.
 */
#ifndef TCB_ERROR_H
#define TCB_ERROR_H

#include <stddef.h>

typedef enum {
    TCB_OK = 0,          /* all good */
    TCB_ERR_WRONG = 1,   /* a correctness check failed */
    TCB_ERR_CONFIG = 2,  /* usage or configuration error (bad suite, bad flag) */
    TCB_ERR_RUNTIME = 3, /* runtime failure (allocation, MPI, I/O) or timeout */
} tcb_status;

/* The worse of two statuses: the exit status of DESIGN.md orders them. */
static inline tcb_status tcb_status_worst(tcb_status a, tcb_status b)
{
    return a > b ? a : b;
}

/* A message kept for later instead of printed at once. The suite loader fills
 * one so the driver can print it from a single rank after the ranks agree. */
typedef struct {
    char msg[1024];
} tcb_diag;

/* Formats into d->msg (printf-style) and returns status, so a caller writes
 * `return tcb_diag_set(d, TCB_ERR_CONFIG, "%s:%d:%d: ...", ...)`. d may be NULL. */
tcb_status tcb_diag_set(tcb_diag *d, tcb_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Who is speaking: set once the MPI world is known. rank < 0 means no MPI. */
void tcb_log_set_identity(int rank, const char *host);

/* Writes "tcbench[rank@host]: message\n" to stderr in one write. */
void tcb_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs "file:line: call failed: what" and returns status. Used by the check
 * macros below; call it directly for errors that have no return code. */
tcb_status tcb_log_failure(tcb_status status, const char *file, int line,
                           const char *call, const char *what);

/* Propagate a tcb_status. */
#define TCB_CHECK(expr)                                                        \
    do {                                                                       \
        tcb_status tcb_s_ = (expr);                                            \
        if (tcb_s_ != TCB_OK)                                                  \
            return tcb_s_;                                                     \
    } while (0)

/* A C library call that signals failure by NULL (malloc and friends). */
#define TCB_ALLOC_CHECK(ptr)                                                   \
    do {                                                                       \
        if ((ptr) == NULL)                                                     \
            return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, #ptr,  \
                                   "out of memory");                           \
    } while (0)

#endif
