/* Element types of the measured data. bfloat16 and float16 are stored as their
 * 2-byte bit patterns; host code converts through float. */
#ifndef TCB_DTYPE_H
#define TCB_DTYPE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum {
    TCB_FLOAT32,
    TCB_FLOAT64,
    TCB_INT32,
    TCB_BFLOAT16,
    TCB_FLOAT16,
    TCB_DTYPE_COUNT
} tcb_dtype;

extern const char *const tcb_dtype_names[]; /* NULL-terminated, tcb_dtype order */

size_t tcb_dtype_size(tcb_dtype t);

/* Unit roundoff (half the gap between 1 and the next value); 0 for int32. */
double tcb_dtype_epsilon(tcb_dtype t);

/* Element i of buf as a double, and the value v stored into element i (rounded
 * to nearest even for the 16-bit types). */
double tcb_dtype_get(tcb_dtype t, const void *buf, size_t i);
void tcb_dtype_set(tcb_dtype t, void *buf, size_t i, double v);

/* The 16-bit conversions, inline: the MPI reduction operators of the 16-bit
 * types call them for every element inside timed collectives. */
static inline uint32_t tcb_float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float tcb_bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* bfloat16 is the top half of a float32: round to nearest even on the dropped
 * 16 bits, keeping NaN a NaN (a payload only in the low bits would round to
 * infinity otherwise). */
static inline uint16_t tcb_bf16_from_float(float f)
{
    uint32_t u = tcb_float_bits(f);
    if (isnan(f))
        return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

static inline float tcb_bf16_to_float(uint16_t h)
{
    return tcb_bits_float((uint32_t)h << 16);
}

/* IEEE binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits. */
static inline uint16_t tcb_f16_from_float(float f)
{
    uint32_t u = tcb_float_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t abs = u & 0x7fffffff;

    if (abs >= 0x7f800000) /* inf or NaN */
        return sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0);
    if (abs >= 0x477ff000) /* rounds to >= 65520: overflow to inf */
        return sign | 0x7c00;
    if (abs < 0x38800000) { /* below 2^-14: subnormal half or zero */
        if (abs < 0x33000000) /* below half the smallest subnormal */
            return sign;
        uint32_t mant = (abs & 0x7fffff) | 0x800000;
        int shift = 126 - (int)(abs >> 23); /* 14..24 */
        uint32_t half = mant >> shift;
        uint32_t rest = mant & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1)))
            half++;
        return sign | (uint16_t)half;
    }
    /* Normal: rebias the exponent and round the 13 dropped bits to even. */
    uint32_t h = ((abs - 0x38000000) >> 13);
    uint32_t rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++; /* may carry into the exponent, which is the right answer */
    return sign | (uint16_t)h;
}

static inline float tcb_f16_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t frac = h & 0x3ff;

    if (exp == 0x1f)
        return tcb_bits_float(sign | 0x7f800000 | (frac << 13));
    if (exp == 0) {
        float v = ldexpf((float)frac, -24); /* subnormal (or zero) */
        return sign ? -v : v;
    }
    return tcb_bits_float(sign | ((exp + 112) << 23) | (frac << 13));
}


#endif
