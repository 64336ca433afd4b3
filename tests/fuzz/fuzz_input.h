/* What every fuzz target shares. tcbench's parsers read files, so each input
 * is written to a scratch directory of this process first: $TMPDIR (or /tmp)
 * /tcb-fuzz-XXXXXX, made at the first call and removed with everything in it
 * when the process exits normally (a crashed run leaves it behind; ci/fuzz
 * points TMPDIR at its own scratch directory for that reason).
 *
 * Inputs that carry two files (a suite and its --set overrides, run.json and
 * results.jsonl) separate them with a line "%%". */
#ifndef TCB_FUZZ_INPUT_H
#define TCB_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* The scratch directory of this process. Aborts when it cannot be made: the
 * target cannot run at all then. */
const char *fuzz_dir(void);

/* Writes size bytes of data to fuzz_dir()/name (name may hold one
 * subdirectory, made on demand) and its path into path (n bytes). Aborts on
 * failure, as fuzz_dir. */
void fuzz_write(const char *name, const uint8_t *data, size_t size, char *path, size_t n);

/* The length of data before the first line "%%" (all of it when there is
 * none); *rest and *rest_size then say what follows that line (NULL and 0
 * when there is none). */
size_t fuzz_split(const uint8_t *data, size_t size, const uint8_t **rest, size_t *rest_size);

/* A model zoo for this process: fuzz_dir()/models, holding links to every
 * model of the source tree's zoo; TCBENCH_MODELS names it from the first
 * call on, so ladders resolve their models there and a fuzzed model file
 * can be written next to them. Returns its path. */
const char *fuzz_models_dir(void);

#endif
