#include "samples.h"

#include <stdlib.h>
#include <string.h>

tcb_status tcb_samples_init(tcb_samples *s, int cap)
{
    s->cap = cap > 0 ? cap : 1;
    s->n = 0;
    s->x = calloc((size_t)s->cap, sizeof *s->x);
    return s->x != NULL ? TCB_OK : TCB_ERR_RUNTIME;
}

void tcb_samples_free(tcb_samples *s)
{
    free(s->x);
    s->x = NULL;
}

void tcb_samples_add(tcb_samples *s, double seconds)
{
    s->x[s->n % s->cap] = seconds;
    s->n++;
}

void tcb_samples_reset(tcb_samples *s)
{
    s->n = 0;
}

void tcb_samples_stats(const tcb_samples *s, tcb_stats *out)
{
    int n = s->n < s->cap ? s->n : s->cap;
    double *tmp = n > 0 ? malloc((size_t)n * sizeof *tmp) : NULL;
    memset(out, 0, sizeof *out);
    if (tmp == NULL)
        return;
    memcpy(tmp, s->x, (size_t)n * sizeof *tmp); /* tcb_stats_compute sorts in place */
    tcb_stats_compute(tmp, n, out);
    free(tmp);
}
