/* The clock every timed region uses: monotonic, not affected by NTP steps. */
#ifndef TCB_TIMER_H
#define TCB_TIMER_H

#include <stdio.h>
#include <time.h>

static inline double tcb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* UTC wall-clock time as ISO 8601 ("2026-11-22T10:55:10.123Z") into buf[32]. */
static inline char *tcb_utc_now(char buf[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
    return buf;
}

#endif
