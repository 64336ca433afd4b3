#include "dtype.h"

#include <float.h>
#include <math.h>

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
