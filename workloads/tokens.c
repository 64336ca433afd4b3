#include "tokens.h"

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t gcd(uint64_t p, uint64_t q)
{
    while (q != 0) {
        uint64_t r = p % q;
        p = q;
        q = r;
    }
    return p;
}

/* The walk's permutation of the alphabet 0..A-1: x -> (a x + c) mod A, a
 * permutation because a is coprime to A; the seed picks a and c, so no table
 * is needed. */
typedef struct {
    uint64_t a, c, A;
} walk;

static walk walk_of(uint64_t seed, int A)
{
    walk w = {.A = (uint64_t)A};
    w.a = mix64(seed ^ 0xa5a5a5a5ULL) % w.A;
    while (gcd(w.a, w.A) != 1)
        w.a = (w.a + 1) % w.A;
    w.c = mix64(seed ^ 0x5a5a5a5aULL) % w.A;
    return w;
}

void tcb_tokens_fill(int32_t *inputs, int32_t *targets, int B, int T, int vocab,
                     uint64_t seed, long long first)
{
    int A = vocab < TCB_TOKENS_ALPHABET ? vocab : TCB_TOKENS_ALPHABET;
    walk w = walk_of(seed, A);
    for (int b = 0; b < B; b++) {
        uint64_t g = mix64(seed ^ mix64((uint64_t)(first + b)));
        uint64_t tok = g % w.A;
        for (int t = 0; t <= T; t++) {
            if (t < T)
                inputs[(long)b * T + t] = (int32_t)tok;
            if (t > 0)
                targets[(long)b * T + t - 1] = (int32_t)tok;
            uint64_t h = mix64(g ^ (uint64_t)(t + 1));
            tok = (h & 7) == 0 ? (h >> 3) % w.A : (w.a * tok + w.c) % w.A;
        }
    }
}
