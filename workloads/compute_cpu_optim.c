/* The cpu backend's optimizer ops: the sum of squares behind global-norm
 * clipping, and AdamW on fp32 master weights. */
#include "compute_cpu_internal.h"

#include <math.h>
#include <omp.h>

double tcb_cpu_sum_squares(tcb_compute *cx, const float *x, size_t n)
{
    /* Each thread sums one contiguous slice in double into its own padded
     * slot; the slots are added in thread order. The same thread count gives
     * the same slices and the same order, hence the same bits; a reduction
     * clause would leave the order to the runtime. */
    int used = 1;
#pragma omp parallel num_threads(cx->threads)
    {
        size_t nt = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
        size_t lo = n / nt * t, hi = t + 1 == nt ? n : n / nt * (t + 1);
        double s = 0.0;
#pragma omp simd reduction(+ : s)
        for (size_t i = lo; i < hi; i++)
            s += (double)x[i] * x[i];
        cx->partials[t * TCB_CPU_PAD] = s;
#pragma omp single
        used = (int)nt;
    }
    double total = 0.0;
    for (int t = 0; t < used; t++)
        total += cx->partials[(size_t)t * TCB_CPU_PAD];
    return total;
}

void tcb_cpu_adamw(tcb_compute *cx, float *params, const float *grads, float *m, float *v,
                   size_t n, float lr, float beta1, float beta2, float eps,
                   float weight_decay, int step, float grad_scale)
{
    // params, grads, m, v: (n)
    /* In double: 1 - 0.999^step loses half its digits in float at small step. */
    float bc1 = (float)(1.0 - pow((double)beta1, step));
    float bc2 = (float)(1.0 - pow((double)beta2, step));
#pragma omp parallel for simd schedule(static) num_threads(cx->threads)
    for (size_t i = 0; i < n; i++) {
        float g = grads[i] * grad_scale;
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] -= lr * (mi / bc1 / (sqrtf(vi / bc2) + eps) + weight_decay * params[i]);
    }
}
