#include "dtype.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

Test(dtype, bf16_every_value_round_trips)
{
    for (uint32_t h = 0; h <= 0xffff; h++) {
        float f = tcb_bf16_to_float((uint16_t)h);
        if (isnan(f))
            cr_assert(isnan(tcb_bf16_to_float(tcb_bf16_from_float(f))));
        else
            cr_assert_eq(tcb_bf16_from_float(f), h, "0x%04x", h);
    }
}

Test(dtype, bf16_rounds_to_nearest_even)
{
    cr_assert_eq(tcb_bf16_from_float(1.0f), 0x3f80);
    cr_assert_eq(tcb_bf16_from_float(tcb_bits_float(0x3f808000)), 0x3f80); /* tie: down to even */
    cr_assert_eq(tcb_bf16_from_float(tcb_bits_float(0x3f818000)), 0x3f82); /* tie: up to even */
    cr_assert_eq(tcb_bf16_from_float(tcb_bits_float(0x3f808001)), 0x3f81); /* above the tie */
    cr_assert(isnan(tcb_bf16_to_float(tcb_bf16_from_float(tcb_bits_float(0x7f800001)))), "NaN stays NaN");
}

Test(dtype, f16_every_value_round_trips)
{
    for (uint32_t h = 0; h <= 0xffff; h++) {
        float f = tcb_f16_to_float((uint16_t)h);
        if (isnan(f))
            cr_assert(isnan(tcb_f16_to_float(tcb_f16_from_float(f))));
        else
            cr_assert_eq(tcb_f16_from_float(f), h, "0x%04x", h);
    }
}

Test(dtype, f16_known_values)
{
    cr_assert_eq(tcb_f16_from_float(1.0f), 0x3c00);
    cr_assert_eq(tcb_f16_from_float(-2.0f), 0xc000);
    cr_assert_eq(tcb_f16_from_float(65504.0f), 0x7bff);  /* largest finite */
    cr_assert_eq(tcb_f16_from_float(65520.0f), 0x7c00);  /* rounds to inf */
    cr_assert_eq(tcb_f16_from_float(ldexpf(1, -24)), 0x0001); /* smallest subnormal */
    cr_assert_eq(tcb_f16_from_float(ldexpf(1, -26)), 0x0000); /* below half of it */
    cr_assert_eq(tcb_f16_from_float(1.0f + ldexpf(1, -11)), 0x3c00); /* tie to even */
    cr_assert_float_eq(tcb_f16_to_float(0x3555), 0.333251953125f, 0);
}

#ifdef __FLT16_MAX__
/* The compiler's own conversion, where it has one, agrees everywhere. */
Test(dtype, f16_matches_the_compiler)
{
    uint32_t x = 12345;
    for (int i = 0; i < 1000000; i++) {
        x = x * 1664525u + 1013904223u;
        float f = tcb_bits_float(x);
        if (isnan(f))
            continue;
        _Float16 h = (_Float16)f;
        uint16_t want;
        memcpy(&want, &h, 2);
        cr_assert_eq(tcb_f16_from_float(f), want, "%a", (double)f);
    }
}
#endif

Test(dtype, get_and_set_through_every_type)
{
    unsigned char buf[64];
    for (int t = 0; t < TCB_DTYPE_COUNT; t++) {
        tcb_dtype_set((tcb_dtype)t, buf, 3, -2.0);
        cr_assert_float_eq(tcb_dtype_get((tcb_dtype)t, buf, 3), -2.0, 0, "%s", tcb_dtype_names[t]);
    }
    cr_assert_eq(tcb_dtype_size(TCB_BFLOAT16), 2);
    cr_assert_eq(tcb_dtype_size(TCB_FLOAT64), 8);
    cr_assert_float_eq(tcb_dtype_epsilon(TCB_INT32), 0, 0);
}
