/* The element types of planned products (gemm_types.h): fp8 e4m3 encoding
 * against its definition, the exactness the gemm check relies on, and the
 * tolerances. These run everywhere; the products themselves need a GPU
 * (tests/gpu/cuda_workloads.sh). */
#include "dtype.h"
#include "gemm_types.h"

#include <criterion/criterion.h>
#include <math.h>

/* Every code decodes to what e4m3's definition says and encodes back to
 * itself (0x80 is -0 and 0x7f/0xff are NaN). */
Test(gemm_types, fp8_round_trip_of_every_code)
{
    for (int v = 0; v < 256; v++) {
        float f = tcb_fp8_e4m3_to_float((uint8_t)v);
        if ((v & 0x7f) == 0x7f) {
            cr_expect(isnan(f), "code 0x%02x should be NaN", v);
            continue;
        }
        int e = (v >> 3) & 0xf, m = v & 7;
        double want = (e == 0 ? ldexp(m, -9) : ldexp(1.0 + m / 8.0, e - 7)) * (v & 0x80 ? -1 : 1);
        cr_expect_eq(f, (float)want, "code 0x%02x decodes to %g, want %g", v, f, want);
        cr_expect_eq(tcb_fp8_e4m3_from_float(f), (uint8_t)v, "code 0x%02x re-encodes to 0x%02x",
                     v, tcb_fp8_e4m3_from_float(f));
    }
    cr_expect_eq(tcb_fp8_e4m3_to_float(0x7e), 448.0f);
}

Test(gemm_types, fp8_rounds_to_nearest_even_and_saturates)
{
    /* Between 1 (0x38) and 1.125 (0x39): the tie goes to the even code. */
    cr_expect_eq(tcb_fp8_e4m3_from_float(1.0625f), 0x38);
    cr_expect_eq(tcb_fp8_e4m3_from_float(1.07f), 0x39);
    /* Between 1.125 and 1.25 (0x3a): the tie goes to 0x3a. */
    cr_expect_eq(tcb_fp8_e4m3_from_float(1.1875f), 0x3a);
    /* Subnormals are multiples of 2^-9; half of the smallest rounds to 0. */
    cr_expect_eq(tcb_fp8_e4m3_from_float(0x1p-10f), 0x00);
    cr_expect_eq(tcb_fp8_e4m3_from_float(0x1.8p-10f), 0x01);
    cr_expect_eq(tcb_fp8_e4m3_from_float(1e6f), 0x7e);
    cr_expect_eq(tcb_fp8_e4m3_from_float(-1e6f), 0xfe);
    cr_expect_eq(tcb_fp8_e4m3_from_float(-0.0f), 0x80);
}

/* The grid's 16 values, each exact in every input type: the gemm check's
 * zero tolerance for f32 and tf32 depends on it. */
Test(gemm_types, grid_values_are_exact_in_every_type)
{
    int seen[16] = {0};
    for (size_t i = 0; i < 4096; i++) {
        float x = tcb_gemm_grid_value(7, i);
        cr_assert(x >= -1.0f && x < 1.0f && x * 8.0f == rintf(x * 8.0f), "value %g", x);
        seen[(int)(x * 8.0f) + 8]++;
        cr_expect_eq(tcb_bf16_to_float(tcb_bf16_from_float(x)), x);
        cr_expect_eq(tcb_f16_to_float(tcb_f16_from_float(x)), x);
        cr_expect_eq(tcb_fp8_e4m3_to_float(tcb_fp8_e4m3_from_float(x)), x);
    }
    for (int v = 0; v < 16; v++)
        cr_expect_gt(seen[v], 150, "grid value %d/8 drawn %d times of 4096", v - 8, seen[v]);
    int differ = 0; /* a and b come from seeds 1 and 2: not the same matrix */
    for (size_t i = 0; i < 64; i++)
        differ += tcb_gemm_grid_value(1, i) != tcb_gemm_grid_value(2, i);
    cr_expect_gt(differ, 48);
}

/* What the tolerances allow: nothing for fp32 outputs; half an output ulp
 * for 16-bit outputs, so a c one ulp off fails. */
Test(gemm_types, tolerances)
{
    cr_expect_eq(tcb_gemm_tolerance(TCB_GEMM_F32, 37.5, 900), 0);
    cr_expect_eq(tcb_gemm_tolerance(TCB_GEMM_TF32, 37.5, 900), 0);
    double ref = 37.5; /* bf16 ulp at 32..64 is 0.25 */
    cr_expect_lt(tcb_gemm_tolerance(TCB_GEMM_BF16, ref, 900), 0.25);
    cr_expect_geq(tcb_gemm_tolerance(TCB_GEMM_BF16, ref, 900), 0.125);
    cr_expect_lt(tcb_gemm_tolerance(TCB_GEMM_F16, ref, 900), 0x1p-5); /* f16 ulp at 32 */
    cr_expect_gt(tcb_gemm_tolerance(TCB_GEMM_FP8, ref, 900),
                 tcb_gemm_tolerance(TCB_GEMM_BF16, ref, 900));
}

Test(gemm_types, sizes_and_round_trip_through_encode)
{
    float x[5] = {-1.0f, -0.125f, 0.0f, 0.5f, 0.875f};
    unsigned char buf[5 * 4];
    for (int t = 0; t < TCB_GEMM_NTYPES; t++) {
        tcb_gemm_encode((tcb_gemm_type)t, x, buf, 5);
        for (int i = 0; i < 5; i++) {
            /* encode writes the input type; decode reads the output type,
             * which is the input type except for fp8 (bf16 out). */
            if (t == TCB_GEMM_FP8)
                cr_expect_eq(tcb_fp8_e4m3_to_float(buf[i]), x[i]);
            else
                cr_expect_eq(tcb_gemm_decode((tcb_gemm_type)t, buf, (size_t)i), x[i],
                             "%s element %d", tcb_gemm_type_names[t], i);
        }
    }
    cr_expect_eq(tcb_gemm_in_bytes(TCB_GEMM_FP8), 1);
    cr_expect_eq(tcb_gemm_out_bytes(TCB_GEMM_FP8), 2);
    cr_expect_eq(tcb_gemm_in_bytes(TCB_GEMM_TF32), 4);
    cr_expect_str_eq(tcb_gemm_catalog_dtype(TCB_GEMM_F16), "fp16");
}
