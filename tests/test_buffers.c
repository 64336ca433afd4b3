#include "test_buffers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void *bufs[512];
static int nbufs;
static uint64_t rng;

void test_buffers_begin(uint64_t seed)
{
    rng = seed;
    nbufs = 0;
}

void test_buffers_end(void)
{
    for (int i = 0; i < nbufs; i++)
        free(bufs[i]);
    nbufs = 0;
}

void *tmem(size_t bytes)
{
    cr_assert(nbufs < (int)(sizeof bufs / sizeof bufs[0]), "test buffer table full");
    void *p = calloc(1, bytes > 0 ? bytes : 1);
    cr_assert_not_null(p);
    bufs[nbufs++] = p;
    return p;
}

/* splitmix64 */
double urand(double lo, double hi)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return lo + (hi - lo) * (double)(z >> 11) * 0x1p-53;
}

float *frand(size_t n, double lo, double hi)
{
    float *x = tmem(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)urand(lo, hi);
    return x;
}

float *fcopy(const float *x, size_t n)
{
    float *y = tmem(n * sizeof *y);
    memcpy(y, x, n * sizeof *y);
    return y;
}

float *ffill(size_t n, float v)
{
    float *x = tmem(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = v;
    return x;
}

int32_t *irand(size_t n, int hi)
{
    int32_t *x = tmem(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (int32_t)urand(0, hi);
    return x;
}
