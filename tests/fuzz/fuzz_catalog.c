/* Fuzz target: the catalog readers, one YAML file each. The first byte of
 * the input picks the reader ('0' + the row of `readers`, modulo their
 * count); the rest is the file:
 *   '0' tcb_hardware_load    workloads/hardware.c   (workloads/hardware.yaml)
 *   '1' tcb_model_load       workloads/model.c      (workloads/models/NAME.yaml)
 *   '2' tcb_ladder_load      reports/ladder.c       (reports/ladder.yaml)
 *   '3' tcb_scenario_load    reports/scenario.c     (reports/scenario.yaml)
 *   '4' tcb_references_load  reports/references.c   (ci/nightly/references.yaml)
 * What loads is then used the way the reports use it (lookups, citations,
 * shards), and freed. A model is read as zoo model "fuzz" (its `name:` must
 * say so); ladders resolve their models in the source tree's zoo. */
#include "fuzz_input.h"
#include "hardware.h"
#include "ladder.h"
#include "model.h"
#include "references.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tcb_status read_hardware(const char *path, tcb_diag *d)
{
    tcb_hardware hw;
    TCB_CHECK(tcb_hardware_load(path, &hw, d));
    char cite[512];
    for (int i = 0; i < hw.ndevices; i++) {
        const tcb_hw_device *dev = &hw.devices[i];
        if (dev->nmatch > 0)
            tcb_hardware_find(&hw, dev->match[0]);
        for (int j = 0; j < dev->nfigures; j++)
            tcb_hardware_cite(dev, &dev->figures[j], cite, sizeof cite);
        tcb_hardware_peak(dev, "bfloat16");
    }
    tcb_hardware_free(&hw);
    return TCB_OK;
}

static tcb_status read_model(const char *path, tcb_diag *d)
{
    (void)path; /* written as the zoo's fuzz.yaml */
    tcb_model m;
    TCB_CHECK(tcb_model_load("fuzz", &m, d));
    for (int tp = 1; tp <= 8; tp *= 2) {
        tcb_shard s;
        tcb_diag ignored;
        if (tcb_model_shard(&m, 0, tp, &s, &ignored) == TCB_OK)
            tcb_shard_flops_per_token(&s, m.context);
    }
    tcb_model_source(&m, "tokens");
    return TCB_OK;
}

static tcb_status read_ladder(const char *path, tcb_diag *d)
{
    tcb_ladder l;
    TCB_CHECK(tcb_ladder_load(path, 0, &l, d));
    tcb_ladder_find(&l, "N");
    tcb_ladder_free(&l);
    return TCB_OK;
}

static tcb_status read_scenario(const char *path, tcb_diag *d)
{
    tcb_scenario s;
    return tcb_scenario_load(path, &s, d); /* holds nothing to free */
}

static tcb_status read_references(const char *path, tcb_diag *d)
{
    tcb_references r;
    TCB_CHECK(tcb_references_load(path, &r, d));
    double lower, upper;
    int line;
    tcb_references_bounds(&r, "dgx-a", "collective mpi ranks=2 nodes=1 size=8", "busbw_GBps",
                          &lower, &upper, &line);
    tcb_references_free(&r);
    return TCB_OK;
}

/* One row per reader: the file name it is written as, and the reader. */
static const struct {
    const char *file;
    tcb_status (*read)(const char *path, tcb_diag *d);
} readers[] = {
    {"hardware.yaml", read_hardware},
    {"models/fuzz.yaml", read_model},
    {"ladder.yaml", read_ladder},
    {"scenario.yaml", read_scenario},
    {"references.yaml", read_references},
};
#define NREADERS (sizeof readers / sizeof readers[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    fuzz_models_dir(); /* TCBENCH_MODELS, before any model is read */
    unsigned pick = (unsigned)(uint8_t)(data[0] - '0') % NREADERS;
    char path[600];
    fuzz_write(readers[pick].file, data + 1, size - 1, path, sizeof path);
    tcb_diag d = {{0}};
    if (readers[pick].read(path, &d) != TCB_OK && d.msg[0] == '\0')
        abort(); /* every failure says why */
    unlink(path); /* a ladder naming model "fuzz" must not read a stale one */
    return 0;
}
