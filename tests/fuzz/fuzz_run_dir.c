/* Fuzz target: the results reader, tcb_run_dir_read (reports/run_dir.c), as
 * `tcbench db import` and `tcbench compare` use it. The input is run.json,
 * a line "%%", then results.jsonl (empty when there is no such line). A run
 * that loads is then labelled the way the gate and the database do: its
 * hosts, its system, and each record's case key and label. */
#include "fuzz_input.h"
#include "run_dir.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *rest;
    size_t rest_size;
    char path[600], dir[600];
    fuzz_write("run/run.json", data, fuzz_split(data, size, &rest, &rest_size), path,
               sizeof path);
    fuzz_write("run/results.jsonl", rest, rest_size, path, sizeof path);
    snprintf(dir, sizeof dir, "%s/run", fuzz_dir());

    tcb_run_dir run;
    tcb_diag d = {{0}};
    if (tcb_run_dir_read(dir, &run, &d) != TCB_OK) {
        if (d.msg[0] == '\0')
            abort(); /* every failure says why */
        return 0;
    }
    char hosts[256];
    tcb_run_dir_hosts(&run, hosts, sizeof hosts);
    tcb_run_dir_system(&run);
    for (int i = 0; i < run.n; i++) {
        free(tcb_case_key(run.records[i]));
        free(tcb_case_label(run.records[i]));
    }
    tcb_run_dir_free(&run);
    return 0;
}
