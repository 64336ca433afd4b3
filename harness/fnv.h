/* FNV-1a 64: the content hash tcbench prints (suite.hash in run.json, a run's
 * identity in the history database). Not cryptographic: it tells files
 * apart, it does not defend against anyone. */
#ifndef TCB_FNV_H
#define TCB_FNV_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TCB_FNV_BASIS 0xcbf29ce484222325ULL

/* Continues hash h over n bytes; start from TCB_FNV_BASIS. */
static inline uint64_t tcb_fnv1a64(uint64_t h, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL; /* FNV-1a 64 prime */
    }
    return h;
}

/* h as 16 lower-case hex digits into out[17]. */
static inline void tcb_fnv_hex(uint64_t h, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, h);
}

#endif
