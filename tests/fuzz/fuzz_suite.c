/* Fuzz target: the suite loader, tcb_suite_load (harness/suite.c,
 * suite_expand.c, params.c, yaml_doc.c). The input is a suite file,
 * optionally followed by a line "%%" and up to MAX_SETS --set overrides, one
 * KEY=VALUE per line. A loaded suite is hashed and every case described, as
 * `tcbench run --dry-run` does. */
#include "fuzz_input.h"
#include "suite.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SETS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *rest;
    size_t rest_size;
    char path[600];
    fuzz_write("suite.yaml", data, fuzz_split(data, size, &rest, &rest_size), path, sizeof path);

    /* The overrides as the command line would give them: NUL-terminated
     * lines (a NUL inside a line ends that argument early, as in argv). */
    char *text = malloc(rest_size + 1);
    if (text == NULL)
        return 0;
    if (rest_size > 0)
        memcpy(text, rest, rest_size);
    text[rest_size] = '\0';
    const char *sets[MAX_SETS];
    int nsets = 0;
    for (char *line = text; rest != NULL && nsets < MAX_SETS && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        sets[nsets++] = line;
        if (nl == NULL)
            break;
        line = nl + 1;
    }

    tcb_suite suite;
    tcb_diag d = {{0}};
    if (tcb_suite_load(path, sets, nsets, &suite, &d) == TCB_OK) {
        char hash[17], desc[256];
        tcb_suite_hash(&suite, hash);
        for (int i = 0; i < suite.ncases; i++)
            tcb_case_describe(&suite.cases[i], desc, sizeof desc);
        tcb_suite_free(&suite);
    } else if (d.msg[0] == '\0') {
        abort(); /* every failure says why */
    }
    free(text);
    return 0;
}
