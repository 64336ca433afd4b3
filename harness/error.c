#include "tcb_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char log_prefix[160] = "tcbench";

tcb_status tcb_diag_set(tcb_diag *d, tcb_status status, const char *fmt, ...)
{
    if (d != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

void tcb_log_set_identity(int rank, const char *host)
{
    if (rank < 0)
        snprintf(log_prefix, sizeof log_prefix, "tcbench");
    else
        snprintf(log_prefix, sizeof log_prefix, "tcbench[%d@%s]", rank, host);
}

/* One write per message, so lines from many ranks sharing a terminal or a
 * log file do not interleave mid-line. */
static void log_line(const char *level, const char *fmt, va_list ap)
{
    char buf[2048];
    int n = snprintf(buf, sizeof buf, "%s: %s", log_prefix, level);
    if (n < 0)
        return;
    if ((size_t)n < sizeof buf)
        n += vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
    if ((size_t)n >= sizeof buf - 1)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
    (void)w;
}

void tcb_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("error: ", fmt, ap);
    va_end(ap);
}

tcb_status tcb_log_failure(tcb_status status, const char *file, int line,
                           const char *call, const char *what)
{
    tcb_log_error("%s:%d: %s failed: %s", file, line, call, what);
    return status;
}
