#include "results.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tcb_results {
    int fd;
    pthread_mutex_t lock; /* the watchdog's timeout record vs the main thread */
    char path[PATH_MAX];
};

/* The check for POSIX I/O calls: they return -1 and set errno. */
#define TCB_IO_CHECK(call, path)                                               \
    do {                                                                       \
        if ((call) < 0) {                                                      \
            char tcb_w_[PATH_MAX + 128];                                       \
            snprintf(tcb_w_, sizeof tcb_w_, "%s: %s", (path), strerror(errno)); \
            return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, #call, \
                                   tcb_w_);                                    \
        }                                                                      \
    } while (0)

tcb_status tcb_results_open(const char *dir, tcb_results **out)
{
    tcb_results *r = calloc(1, sizeof *r);
    TCB_ALLOC_CHECK(r);
    snprintf(r->path, sizeof r->path, "%s/results.jsonl", dir);
    r->fd = open(r->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (r->fd < 0) {
        tcb_log_error("%s: cannot open: %s", r->path, strerror(errno));
        free(r);
        return TCB_ERR_RUNTIME;
    }
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return TCB_OK;
}

static tcb_status write_all(int fd, const char *buf, size_t n, const char *path)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        TCB_IO_CHECK(w, path);
        buf += w;
        n -= (size_t)w;
    }
    return TCB_OK;
}

tcb_status tcb_results_append(tcb_results *r, const json_t *record)
{
    char *line = tcb_record_line(record);
    TCB_ALLOC_CHECK(line);
    pthread_mutex_lock(&r->lock);
    tcb_status s = write_all(r->fd, line, strlen(line), r->path);
    if (s == TCB_OK && fsync(r->fd) != 0)
        s = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "fsync", r->path);
    pthread_mutex_unlock(&r->lock);
    free(line);
    return s;
}

void tcb_results_close(tcb_results *r)
{
    if (r == NULL)
        return;
    close(r->fd);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

tcb_status tcb_file_write_atomic(const char *dir, const char *name, const char *text)
{
    char tmp[PATH_MAX], final[PATH_MAX];
    snprintf(final, sizeof final, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid());

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    TCB_IO_CHECK(fd, tmp);
    tcb_status s = write_all(fd, text, strlen(text), tmp);
    if (s == TCB_OK && fsync(fd) != 0)
        s = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "fsync", tmp);
    close(fd);
    if (s == TCB_OK && rename(tmp, final) != 0)
        s = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "rename", final);
    if (s != TCB_OK) {
        unlink(tmp);
        return s;
    }
    /* The rename is durable once the directory entry is. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return TCB_OK;
}
