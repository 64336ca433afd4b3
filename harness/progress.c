#include "progress.h"
#include "timer.h"
#include "workload.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether a person watches out. Under mpirun the ranks' stderr is a pipe to
 * the launcher, which copies it to its own stderr: then the launcher's
 * stderr decides (our parent on this node, for mpirun's local ranks; a
 * remote daemon or srun's stepd has no terminal, so those stay plain). */
static bool watched(FILE *out)
{
    int fd = fileno(out);
    if (isatty(fd))
        return true;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        return false; /* a file: plain lines */
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd/2", (long)getppid());
    int parent = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (parent < 0)
        return false;
    bool tty = isatty(parent);
    close(parent);
    return tty;
}

void tcb_progress_start(tcb_progress *p, FILE *out, int total)
{
    p->out = out;
    p->live = watched(out);
    p->total = total;
    p->done = 0;
    p->start = tcb_now();
}

/* "1:05:07", "4:12" or "?" before anything finished. */
static void format_eta(const tcb_progress *p, char *buf, size_t n)
{
    if (p->done == 0) {
        snprintf(buf, n, "?");
        return;
    }
    double per_case = (tcb_now() - p->start) / p->done;
    long s = (long)(per_case * (p->total - p->done) + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, n, "%ld:%02ld", s / 60, s % 60);
}

void tcb_progress_case(tcb_progress *p, const tcb_case *c)
{
    char desc[512], eta[32];
    tcb_case_describe(c, desc, sizeof desc);
    format_eta(p, eta, sizeof eta);
    if (p->live) /* \r and clear to end of line: the line is rewritten */
        fprintf(p->out, "\r\033[K[%d/%d] %s %s  ETA %s", c->index + 1, p->total,
                c->workload->name, desc, eta);
    else
        fprintf(p->out, "[%d/%d] %s %s  ETA %s\n", c->index + 1, p->total,
                c->workload->name, desc, eta);
    fflush(p->out);
}

void tcb_progress_done(tcb_progress *p, const tcb_case *c, const char *status)
{
    p->done++;
    /* Problems stay on screen: a live line would overwrite them. */
    if (strcmp(status, "ok") != 0 && strcmp(status, "skipped") != 0) {
        char desc[512];
        tcb_case_describe(c, desc, sizeof desc);
        fprintf(p->out, "%s[%d/%d] %s %s: %s\n", p->live ? "\r\033[K" : "",
                c->index + 1, p->total, c->workload->name, desc, status);
        fflush(p->out);
    }
}

void tcb_progress_finish(tcb_progress *p)
{
    if (p->live)
        fprintf(p->out, "\r\033[K");
    fflush(p->out);
}
