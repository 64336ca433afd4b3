/* Element types of the measured data. bfloat16 and float16 are stored as their
 * 2-byte bit patterns; host code converts through float. */
#ifndef TCB_DTYPE_H
#define TCB_DTYPE_H

#include <stddef.h>
#include <stdint.h>

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

uint16_t tcb_bf16_from_float(float f);
float tcb_bf16_to_float(uint16_t h);
uint16_t tcb_f16_from_float(float f);
float tcb_f16_to_float(uint16_t h);

#endif
