/* The deadline of the case this process is running, on every rank (the
 * watchdog's own deadline lives on rank 0 only). A backend that waits on a
 * device by polling (nccl) gives up after it, so no rank waits forever even
 * where no watchdog can stop the job (a build without MPI). */
#ifndef TCB_DEADLINE_H
#define TCB_DEADLINE_H

#include <stdbool.h>

/* The case starting now ends at the latest timeout_s from now. */
void tcb_deadline_set(double timeout_s);

/* No case running: nothing has a deadline. */
void tcb_deadline_clear(void);

/* True once grace_s have passed since the deadline (false with none set).
 * Pollers pass a grace of a second or so, so that where the watchdog runs it
 * writes the timeout record and stops the job first. */
bool tcb_deadline_passed(double grace_s);

/* The case's timeout_s as set, for messages; 0 with none set. */
double tcb_deadline_timeout_s(void);

#endif
