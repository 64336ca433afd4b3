#include "dtype.h"

#include <float.h>
#include <math.h>
#include <string.h>

const char *const tcb_dtype_names[] = {"float32", "float64", "int32", "bfloat16",
                                       "float16", NULL};

size_t tcb_dtype_size(tcb_dtype t)
{
    switch (t) {
    case TCB_FLOAT32: return 4;
    case TCB_FLOAT64: return 8;
    case TCB_INT32: return 4;
    case TCB_BFLOAT16: return 2;
    case TCB_FLOAT16: return 2;
    default: return 0;
    }
}

double tcb_dtype_epsilon(tcb_dtype t)
{
    switch (t) {
    case TCB_FLOAT32: return FLT_EPSILON / 2;
    case TCB_FLOAT64: return DBL_EPSILON / 2;
    case TCB_BFLOAT16: return 0x1p-8; /* 8 significant bits */
    case TCB_FLOAT16: return 0x1p-11; /* 11 significant bits */
    default: return 0;
    }
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* bfloat16 is the top half of a float32: round to nearest even on the dropped
 * 16 bits, keeping NaN a NaN (a payload only in the low bits would round to
 * infinity otherwise). */
uint16_t tcb_bf16_from_float(float f)
{
    uint32_t u = float_bits(f);
    if (isnan(f))
        return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

float tcb_bf16_to_float(uint16_t h)
{
    return bits_float((uint32_t)h << 16);
}

/* IEEE binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits. */
uint16_t tcb_f16_from_float(float f)
{
    uint32_t u = float_bits(f);
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

float tcb_f16_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t frac = h & 0x3ff;

    if (exp == 0x1f)
        return bits_float(sign | 0x7f800000 | (frac << 13));
    if (exp == 0) {
        float v = ldexpf((float)frac, -24); /* subnormal (or zero) */
        return sign ? -v : v;
    }
    return bits_float(sign | ((exp + 112) << 23) | (frac << 13));
}

double tcb_dtype_get(tcb_dtype t, const void *buf, size_t i)
{
    switch (t) {
    case TCB_FLOAT32: return ((const float *)buf)[i];
    case TCB_FLOAT64: return ((const double *)buf)[i];
    case TCB_INT32: return ((const int32_t *)buf)[i];
    case TCB_BFLOAT16: return tcb_bf16_to_float(((const uint16_t *)buf)[i]);
    case TCB_FLOAT16: return tcb_f16_to_float(((const uint16_t *)buf)[i]);
    default: return NAN;
    }
}

void tcb_dtype_set(tcb_dtype t, void *buf, size_t i, double v)
{
    switch (t) {
    case TCB_FLOAT32: ((float *)buf)[i] = (float)v; break;
    case TCB_FLOAT64: ((double *)buf)[i] = v; break;
    case TCB_INT32: ((int32_t *)buf)[i] = (int32_t)v; break;
    case TCB_BFLOAT16: ((uint16_t *)buf)[i] = tcb_bf16_from_float((float)v); break;
    case TCB_FLOAT16: ((uint16_t *)buf)[i] = tcb_f16_from_float((float)v); break;
    default: break;
    }
}
