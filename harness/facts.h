/* Facts one case leaves for later cases of the same run: the best GEMM rate
 * the gemm workload reached, which the transformer workload divides by for
 * its achievable MFU. Rank 0 keeps them (the metrics hooks run there); they
 * live as long as the run. */
#ifndef TCB_FACTS_H
#define TCB_FACTS_H

#include <stdbool.h>

typedef struct tcb_facts tcb_facts;

/* The key of the best GEMM rate, in TFLOP/s, a backend reached for dtype with
 * `threads` threads: "gemm_best_tflops:cpu:f32:2". Writes at most n bytes. */
#define TCB_FACT_GEMM_BEST_FMT "gemm_best_tflops:%s:%s:%d"

/* A new, empty set; NULL when out of memory. Free with tcb_facts_free. */
tcb_facts *tcb_facts_new(void);
void tcb_facts_free(tcb_facts *f);

/* Keeps value for key if the key is new or value is larger than the one
 * kept; case_index says which case measured it. */
void tcb_facts_offer_max(tcb_facts *f, const char *key, double value, int case_index);

/* The value kept for key and its case; false (outputs untouched) when none. */
bool tcb_facts_get(const tcb_facts *f, const char *key, double *value, int *case_index);

#endif
