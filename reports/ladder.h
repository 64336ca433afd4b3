/* The model-generations ladder: the frontier generation N and the ones
 * before it (N-1, N-2, ...), each with a training compute budget C in FLOPs
 * and the zoo model whose per-device shapes the cost model measures for it.
 * Read from reports/ladder.yaml (docs/ladder.md is the format and the
 * default ladder's numbers).
 *
 * A generation's C is given directly (`compute`), counted from a zoo model
 * (FLOPs per token at the model's context, tcb_shard_flops_per_token of the
 * whole model, x `tokens`), or derived from the previous (newer) generation:
 * C(prev) / factor, the generation factor (10 unless the file or the caller
 * says otherwise). Every figure carries its provenance: "catalog: CITATION",
 * "assumed: ..." or "derived: ..." text the loader writes. */
#ifndef TCB_LADDER_H
#define TCB_LADDER_H

#include "tcb_error.h"

#include <stdbool.h>

#define TCB_LADDER_NAME_MAX 32     /* longest generation name, with its NUL */
#define TCB_LADDER_SOURCE_MAX 640  /* longest provenance, with its NUL */
#define TCB_LADDER_DEFAULT_FACTOR 10.0

/* One generation, newest first in tcb_ladder.gens. */
typedef struct {
    char name[TCB_LADDER_NAME_MAX];  /* "N", "N-1", "GPT-3" */
    double compute_flops;            /* C, training FLOPs; > 0 */
    double tokens;                   /* tokens trained; 0 where the file gives none */
    char model[64];                  /* the zoo model C was counted from; "" otherwise */
    char shape_model[64];            /* the zoo model whose per-device shapes stand in */
    bool derived;                    /* C = C(previous) / factor */
    char compute_source[TCB_LADDER_SOURCE_MAX]; /* "catalog: ...", "derived: N-1 = N / 10" */
    char tokens_source[TCB_LADDER_SOURCE_MAX];  /* "" when tokens is 0 */
    char shape_source[TCB_LADDER_SOURCE_MAX];   /* why this shape model */
    int line, column;                /* of the generation's entry, 1-based */
} tcb_ladder_gen;

typedef struct {
    char path[512];                  /* the file it was read from */
    double factor;                   /* the generation factor in effect; > 1 */
    char factor_source[TCB_LADDER_SOURCE_MAX];
    tcb_ladder_gen *gens;            /* newest first, in file order; owned */
    int ngens;
} tcb_ladder;

/* The ladder tcbench reads: $TCBENCH_LADDER if set and not empty, else the
 * reports/ladder.yaml of the source tree this binary was built from. A
 * static string or the environment's; do not free. */
const char *tcb_ladder_default_path(void);

/* Reads the ladder at path (NULL: tcb_ladder_default_path()) into *out.
 * factor > 1 overrides the file's generation factor for this load (its
 * provenance then says so); 0 keeps the file's (10 when the file has none);
 * anything else is an error. Shape and compute models are read from the zoo
 * (tcb_model_dir()). Returns TCB_OK, TCB_ERR_CONFIG with "FILE:LINE:COLUMN:
 * what is wrong" in d (an unreadable file: "FILE: cannot read: why"), or
 * TCB_ERR_RUNTIME when out of memory; on failure *out holds nothing to free.
 * Free a loaded ladder with tcb_ladder_free. */
tcb_status tcb_ladder_load(const char *path, double factor, tcb_ladder *out, tcb_diag *d);

/* The generation called name, or NULL; the pointer lives as long as l. */
const tcb_ladder_gen *tcb_ladder_find(const tcb_ladder *l, const char *name);

/* Frees what tcb_ladder_load allocated in l. NULL-safe; l may be reused. */
void tcb_ladder_free(tcb_ladder *l);

#endif
