/* One process-wide deadline, written by the main thread between cases and
 * read by whoever polls a device during one; C11 atomics keep a reader on
 * another thread from seeing a torn value. */
#include "deadline.h"
#include "timer.h"

#include <math.h>
#include <stdatomic.h>

static _Atomic double deadline_at = INFINITY; /* tcb_now() seconds */
static _Atomic double deadline_len = 0;

void tcb_deadline_set(double timeout_s)
{
    deadline_len = timeout_s;
    deadline_at = tcb_now() + timeout_s;
}

void tcb_deadline_clear(void)
{
    deadline_at = INFINITY;
    deadline_len = 0;
}

bool tcb_deadline_passed(double grace_s)
{
    return tcb_now() > deadline_at + grace_s;
}

double tcb_deadline_timeout_s(void)
{
    return deadline_len;
}
