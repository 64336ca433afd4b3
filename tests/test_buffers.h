/* Buffers and random inputs for the op tests (test_ops, test_cuda_emu): every
 * buffer a test takes is freed by test_buffers_end, and the inputs come from
 * one seeded splitmix64 stream, so a failure is reproducible. */
#ifndef TCB_TEST_BUFFERS_H
#define TCB_TEST_BUFFERS_H

#include <stddef.h>
#include <stdint.h>

/* A test's start (the suite's init): the stream restarts at seed. */
void test_buffers_begin(uint64_t seed);
/* A test's end (the suite's fini): frees every buffer it took. */
void test_buffers_end(void);

void *tmem(size_t bytes);                        /* zeroed */
double urand(double lo, double hi);              /* uniform in [lo, hi) */
float *frand(size_t n, double lo, double hi);    /* n of urand */
float *fcopy(const float *x, size_t n);
float *ffill(size_t n, float v);
int32_t *irand(size_t n, int hi);                /* each in [0, hi) */

#endif
