/* Element types of planned products (gemm_types.h). */
#include "gemm_types.h"
#include "dtype.h"

#include <math.h>

/* The choices of the gemm workload's dtype: the index is the tcb_gemm_type. */
const char *const tcb_gemm_type_names[] = {"f32", "tf32", "bf16", "f16", "fp8", NULL};

size_t tcb_gemm_in_bytes(tcb_gemm_type t)
{
    switch (t) {
    case TCB_GEMM_BF16:
    case TCB_GEMM_F16: return 2;
    case TCB_GEMM_FP8: return 1;
    default: return 4;
    }
}

size_t tcb_gemm_out_bytes(tcb_gemm_type t)
{
    return t == TCB_GEMM_F32 || t == TCB_GEMM_TF32 ? 4 : 2; /* fp8 gives bf16 */
}

const char *tcb_gemm_catalog_dtype(tcb_gemm_type t)
{
    static const char *const names[TCB_GEMM_NTYPES] = {"fp32", "tf32", "bf16", "fp16", "fp8"};
    return names[t];
}

float tcb_gemm_grid_value(uint64_t seed, size_t i)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + i + 1; /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)((int)(z >> 60) - 8) / 8.0f; /* -1, -7/8, ..., 7/8 */
}

void tcb_gemm_encode(tcb_gemm_type t, const float *x, void *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (t) {
        case TCB_GEMM_BF16: ((uint16_t *)out)[i] = tcb_bf16_from_float(x[i]); break;
        case TCB_GEMM_F16: ((uint16_t *)out)[i] = tcb_f16_from_float(x[i]); break;
        case TCB_GEMM_FP8: ((uint8_t *)out)[i] = tcb_fp8_e4m3_from_float(x[i]); break;
        default: ((float *)out)[i] = x[i]; break;
        }
    }
}

double tcb_gemm_decode(tcb_gemm_type t, const void *c, size_t i)
{
    switch (t) {
    case TCB_GEMM_BF16:
    case TCB_GEMM_FP8: return tcb_bf16_to_float(((const uint16_t *)c)[i]);
    case TCB_GEMM_F16: return tcb_f16_to_float(((const uint16_t *)c)[i]);
    default: return ((const float *)c)[i];
    }
}

double tcb_gemm_tolerance(tcb_gemm_type t, double ref, double mag)
{
    switch (t) {
    case TCB_GEMM_BF16: return 0x1p-8 * fabs(ref); /* half an ulp of bf16's 8-bit significand */
    case TCB_GEMM_F16: return 0x1p-11 * fabs(ref);
    /* Hopper's fp8 tensor cores keep about 14 bits of a running sum; with
     * cuBLASLt promoting partial sums to fp32, the loss is bounded by that
     * much of the terms' magnitude; then the bf16 output's rounding. */
    case TCB_GEMM_FP8: return 0x1p-13 * mag + 0x1p-8 * fabs(ref);
    default: return 0; /* exact: fp32 output of an exact fp32 sum */
    }
}

const char *tcb_gemm_tolerance_source(tcb_gemm_type t)
{
    switch (t) {
    case TCB_GEMM_BF16: return "inputs exact (multiples of 1/8), exact fp32 sum, bf16 output: "
                               "2^-8 |c|";
    case TCB_GEMM_F16: return "inputs exact (multiples of 1/8), exact fp32 sum, fp16 output: "
                              "2^-11 |c|";
    case TCB_GEMM_FP8: return "inputs exact (multiples of 1/8); Hopper fp8 accumulation keeps "
                              "~14 bits (DeepSeek-V3 technical report, 2024, sec. 3.3.2): "
                              "2^-13 sum|a b| + 2^-8 |c| for the bf16 output";
    default: return "inputs exact (multiples of 1/8) and the fp32 sum exact: no error allowed";
    }
}

uint8_t tcb_fp8_e4m3_from_float(float f)
{
    uint8_t sign = signbit(f) ? 0x80 : 0;
    float a = fabsf(f);
    if (isnan(f))
        return sign | 0x7f;
    if (a >= 464.0f) /* 448 + half its ulp of 32: saturate, as cuBLASLt's scaling expects */
        return sign | 0x7e;
    if (a < 0x1p-6f) { /* subnormal: multiples of 2^-9 */
        float q = rintf(a * 512.0f); /* rintf rounds half to even */
        return sign | (uint8_t)q;     /* q == 8 is the smallest normal's encoding */
    }
    int e;
    float m = frexpf(a, &e); /* a = m 2^e, m in [0.5, 1) */
    float q = rintf(m * 16.0f); /* 1.xxx with 3 fraction bits: 8..16 */
    if (q == 16.0f) {
        q = 8.0f;
        e++;
    }
    int biased = e - 1 + 7;
    if (biased > 15 || (biased == 15 && q > 14.0f))
        return sign | 0x7e;
    return sign | (uint8_t)((biased << 3) | ((int)q - 8));
}

float tcb_fp8_e4m3_to_float(uint8_t v)
{
    int e = (v >> 3) & 0xf, m = v & 7;
    float sign = v & 0x80 ? -1.0f : 1.0f;
    if (e == 15 && m == 7)
        return NAN;
    if (e == 0)
        return sign * ldexpf((float)m, -9);
    return sign * ldexpf(1.0f + (float)m / 8.0f, e - 7);
}
