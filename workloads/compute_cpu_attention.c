/* Causal self-attention with grouped kv heads (GQA) for the cpu backend.
 * Key: B batch, T sequence, NH query heads, KVH kv heads, HS head dim,
 * QKV = (NH + 2*KVH) * HS the packed row of qkv.
 *
 * Each (b, h) head is a few single-threaded sgemm calls reading q, k, v in
 * place from the packed qkv through leading dimensions (no copies); OpenMP
 * runs the heads in parallel (OpenBLAS's OpenMP build goes single-threaded
 * inside a parallel region, which is what small per-head products want).
 *
 * Causality is used, not just masked: the rows are taken in blocks of BLK,
 * and block [r0, r1) only needs the keys [0, r1). That halves the work of
 * both passes at long T for a few more, still large, sgemm calls.
 *
 *   S = q k^T / sqrt(HS)      P = softmax(S) row-wise, zero above the diagonal
 *   out = P v
 *   dP = dout v^T             dS = P * (dP - rowsum(dP * P)) / sqrt(HS)
 *   dv += P^T dout            dq += dS k            dk += dS^T q
 */
#include "compute_cpu_internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* Rows per block. At T = 256 a block of 64 does 10/16 of the full square;
 * smaller blocks cut more but thin out the sgemm calls (32, 64, 128 timed
 * alike on a busy 2-core machine; 256, no blocking, was ~25% slower). */
#define BLK 64

/* Where head pieces of the packed qkv start, and its row stride. */
typedef struct {
    size_t q, k, v; /* element offsets of head h's q and its kv head's k, v in row 0 */
    int ld;         /* QKV */
} qkv_layout;

static qkv_layout layout(int b, int h, int T, int NH, int KVH, int HS)
{
    int QKV = (NH + 2 * KVH) * HS;
    int kvh = h / (NH / KVH);
    size_t row0 = (size_t)b * T * QKV;
    return (qkv_layout){
        .q = row0 + (size_t)h * HS,
        .k = row0 + (size_t)(NH + kvh) * HS,
        .v = row0 + (size_t)(NH + KVH + kvh) * HS,
        .ld = QKV,
    };
}

/* Rows [r0, r1) of a head's scores in place: row t becomes the softmax over
 * the keys j <= t, and zero for the rest of the row (up to T, so that att
 * holds the whole causal matrix). */
TCB_CPU_CLONES static void causal_softmax_rows(float *att, int r0, int r1, int T)
{
    for (int t = r0; t < r1; t++) {
        float *a = att + (size_t)t * T;
        float mx = tcb_cpu_max(a, t + 1);
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j <= t; j++) {
            a[j] = tcb_cpu_expf(a[j] - mx);
            sum += a[j];
        }
        float inv = 1.0f / sum;
#pragma omp simd
        for (int j = 0; j <= t; j++)
            a[j] *= inv;
        memset(a + t + 1, 0, (size_t)(T - t - 1) * sizeof *a);
    }
}

void tcb_cpu_attention_forward(tcb_compute *cx, float *out, float *att, const float *qkv,
                               int B, int T, int NH, int KVH, int HS)
{
    // out (B,T,NH*HS), att (B,NH,T,T), qkv (B,T,QKV)
    float scale = 1.0f / sqrtf((float)HS);
    int OW = NH * HS;
#pragma omp parallel for schedule(static) num_threads(cx->threads)
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        qkv_layout L = layout(b, h, T, NH, KVH, HS);
        const float *q = qkv + L.q, *k = qkv + L.k, *v = qkv + L.v;
        float *a = att + (size_t)bh * T * T;        // (T,T) of this head
        float *o = out + (size_t)b * T * OW + (size_t)h * HS; // (T,HS), ld OW
        for (int r0 = 0; r0 < T; r0 += BLK) {
            int r1 = tcb_cpu_min(r0 + BLK, T), m = r1 - r0;
            // a[r0:r1, 0:r1] = scale * q[r0:r1] @ k[0:r1]^T
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, r1, HS, scale,
                        q + (size_t)r0 * L.ld, L.ld, k, L.ld, 0.0f, a + (size_t)r0 * T, T);
            causal_softmax_rows(a, r0, r1, T);
            // o[r0:r1] = a[r0:r1, 0:r1] @ v[0:r1]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, HS, r1, 1.0f,
                        a + (size_t)r0 * T, T, v, L.ld, 0.0f, o + (size_t)r0 * OW, OW);
        }
    }
}

void tcb_cpu_attention_backward(tcb_compute *cx, float *dqkv, float *datt,
                                const float *dout, const float *qkv, const float *att,
                                int B, int T, int NH, int KVH, int HS)
{
    // dqkv (B,T,QKV), datt (B,NH,T,T) scratch, dout (B,T,NH*HS), qkv (B,T,QKV),
    // att (B,NH,T,T)
    float scale = 1.0f / sqrtf((float)HS);
    int OW = NH * HS, G = NH / KVH;
#pragma omp parallel num_threads(cx->threads)
    {
        /* Phase 1, by query head: dP, then dS in its place, then dq. Only
         * the causal part [r0:r1, 0:r1] of each block is written and read. */
#pragma omp for schedule(static)
        for (int bh = 0; bh < B * NH; bh++) {
            int b = bh / NH, h = bh % NH;
            qkv_layout L = layout(b, h, T, NH, KVH, HS);
            const float *k = qkv + L.k, *v = qkv + L.v;
            const float *a = att + (size_t)bh * T * T;
            float *ds = datt + (size_t)bh * T * T;
            const float *dy = dout + (size_t)b * T * OW + (size_t)h * HS;
            float *dq = dqkv + L.q;
            for (int r0 = 0; r0 < T; r0 += BLK) {
                int r1 = tcb_cpu_min(r0 + BLK, T), m = r1 - r0;
                // ds[r0:r1, 0:r1] = dy[r0:r1] @ v[0:r1]^T   (dP)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, r1, HS, 1.0f,
                            dy + (size_t)r0 * OW, OW, v, L.ld, 0.0f, ds + (size_t)r0 * T, T);
                for (int t = r0; t < r1; t++) {
                    const float *p = a + (size_t)t * T;
                    float *d = ds + (size_t)t * T;
                    float s = 0.0f;
#pragma omp simd reduction(+ : s)
                    for (int j = 0; j <= t; j++)
                        s += d[j] * p[j];
#pragma omp simd
                    for (int j = 0; j <= t; j++)
                        d[j] = p[j] * (d[j] - s) * scale;
                    for (int j = t + 1; j < r1; j++)
                        d[j] = 0.0f; // read by the sgemm calls below
                }
                // dq[r0:r1] += ds[r0:r1, 0:r1] @ k[0:r1]
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, HS, r1, 1.0f,
                            ds + (size_t)r0 * T, T, k, L.ld, 1.0f, dq + (size_t)r0 * L.ld,
                            L.ld);
            }
        }
        /* Phase 2, by kv head: the G query heads of a group add into one dk
         * and dv, so a group belongs to one thread and its heads go in order
         * (determinism without atomics). */
#pragma omp for schedule(static)
        for (int bg = 0; bg < B * KVH; bg++) {
            int b = bg / KVH, kvh = bg % KVH;
            for (int h = kvh * G; h < (kvh + 1) * G; h++) {
                qkv_layout L = layout(b, h, T, NH, KVH, HS);
                const float *q = qkv + L.q;
                const float *a = att + ((size_t)b * NH + h) * T * T;
                const float *ds = datt + ((size_t)b * NH + h) * T * T;
                const float *dy = dout + (size_t)b * T * OW + (size_t)h * HS;
                float *dk = dqkv + L.k, *dv = dqkv + L.v;
                for (int r0 = 0; r0 < T; r0 += BLK) {
                    int r1 = tcb_cpu_min(r0 + BLK, T), m = r1 - r0;
                    // dv[0:r1] += a[r0:r1, 0:r1]^T @ dy[r0:r1]
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1, HS, m, 1.0f,
                                a + (size_t)r0 * T, T, dy + (size_t)r0 * OW, OW, 1.0f, dv,
                                L.ld);
                    // dk[0:r1] += ds[r0:r1, 0:r1]^T @ q[r0:r1]
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1, HS, m, 1.0f,
                                ds + (size_t)r0 * T, T, q + (size_t)r0 * L.ld, L.ld, 1.0f,
                                dk, L.ld);
                }
            }
        }
    }
}
