/* The element types of the gemm workload's planned products (compute.h's
 * tcb_gemm_type): their sizes, their host encodings, the catalog's name of
 * their peak, and how far a correct product may be from the exact one.
 *
 * The inputs of a planned product are multiples of 1/8 in [-1, 1), which
 * every input type holds exactly (fp8 e4m3 too: 3 mantissa bits). Their
 * products are multiples of 1/64 and any sum of k <= 2^18 of them is exact
 * in fp32, so a correct product with fp32 accumulation is the exact answer
 * before its output is rounded: a wrong element cannot hide in a tolerance
 * made for rounding error. docs/gemm-membw.md. */
#ifndef TCB_GEMM_TYPES_H
#define TCB_GEMM_TYPES_H

#include "compute.h"

#include <stddef.h>
#include <stdint.h>

size_t tcb_gemm_in_bytes(tcb_gemm_type t);
size_t tcb_gemm_out_bytes(tcb_gemm_type t);

/* The catalog's dtype of t's peak (hardware.h): fp32, tf32, bf16, fp16, fp8. */
const char *tcb_gemm_catalog_dtype(tcb_gemm_type t);

/* Element i of an input: a multiple of 1/8 in [-1, 1), from a hash of
 * (seed, i). */
float tcb_gemm_grid_value(uint64_t seed, size_t i);

/* x[0..n) stored as t's input elements into out (tcb_gemm_in_bytes(t) * n). */
void tcb_gemm_encode(tcb_gemm_type t, const float *x, void *out, size_t n);

/* Element i of an output of type t. */
double tcb_gemm_decode(tcb_gemm_type t, const void *c, size_t i);

/* The tolerance of an element whose exact value is ref, and whose terms'
 * magnitudes sum to mag: rounding of the output, plus what the tensor cores
 * lose in accumulation where that is documented (fp8 on Hopper). */
double tcb_gemm_tolerance(tcb_gemm_type t, double ref, double mag);

/* Why tcb_gemm_tolerance allows what it allows, for the record's sources. */
const char *tcb_gemm_tolerance_source(tcb_gemm_type t);

/* fp8 e4m3 (OCP FP8: bias 7, no infinities, 448 the largest finite),
 * rounded to nearest even, saturating at 448; NaN stays NaN. */
uint8_t tcb_fp8_e4m3_from_float(float f);
float tcb_fp8_e4m3_to_float(uint8_t v);

#endif
