#include "unfinished.h"
#include "manifest.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct tcb_unfinished {
    pthread_mutex_t lock; /* over manifest, said and ended */
    json_t *manifest;     /* rank 0's; NULL elsewhere */
    char dir[PATH_MAX];
    bool said, ended;
    atomic_int current_case;
};

tcb_unfinished *tcb_unfinished_new(json_t *manifest, const char *dir)
{
    tcb_unfinished *u = calloc(1, sizeof *u);
    if (u == NULL)
        return NULL;
    pthread_mutex_init(&u->lock, NULL);
    u->manifest = manifest;
    snprintf(u->dir, sizeof u->dir, "%s", dir != NULL ? dir : "");
    atomic_init(&u->current_case, -1);
    return u;
}

void tcb_unfinished_case(tcb_unfinished *u, int case_index)
{
    if (u != NULL)
        atomic_store(&u->current_case, case_index);
}

int tcb_unfinished_current_case(const tcb_unfinished *u)
{
    return u != NULL ? atomic_load(&((tcb_unfinished *)u)->current_case) : -1;
}

void tcb_unfinished_say(tcb_unfinished *u, const char *fmt, ...)
{
    if (u == NULL || u->manifest == NULL)
        return;
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&u->lock);
    if (!u->said && !u->ended) {
        u->said = true;
        json_object_set_new(u->manifest, "unfinished_why", json_string(why));
        tcb_manifest_write(u->dir, u->manifest); /* logs its own failure */
    }
    pthread_mutex_unlock(&u->lock);
}

void tcb_unfinished_end(tcb_unfinished *u)
{
    if (u == NULL)
        return;
    pthread_mutex_lock(&u->lock);
    u->ended = true;
    pthread_mutex_unlock(&u->lock);
}

void tcb_unfinished_free(tcb_unfinished *u)
{
    if (u == NULL)
        return;
    pthread_mutex_destroy(&u->lock);
    free(u);
}
