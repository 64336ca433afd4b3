/* The replay driver: builds a fuzz target without libFuzzer (any compiler)
 * into an ordinary program that runs every file named on its command line,
 * or found in a directory named there, through LLVMFuzzerTestOneInput once.
 * ctest runs it over the seed corpus and the regression inputs of its target
 * (fuzz_replay_<target>), so an input that once crashed stays a test; under
 * TCBENCH_ASAN / TCBENCH_UBSAN it checks what the fuzzer checked. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one file through the target; 1 when it could not be read. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (cap - n < 4096) {
            cap = cap ? 2 * cap : 65536;
            uint8_t *bigger = realloc(buf, cap);
            if (bigger == NULL) {
                fprintf(stderr, "%s: out of memory\n", path);
                free(buf);
                fclose(f);
                return 1;
            }
            buf = bigger;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        perror(path);
        free(buf);
        return 1;
    }
    /* Exactly n bytes, as libFuzzer passes them: a read past the end of the
     * input is then one that AddressSanitizer sees. */
    uint8_t *input = realloc(buf, n > 0 ? n : 1);
    if (input == NULL)
        input = buf;
    printf("%s\n", path); /* before it runs: a crash then names its input */
    fflush(stdout);
    LLVMFuzzerTestOneInput(input, n);
    free(input);
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir (not README.md), in name order; returns the
 * number of failures and adds the number run to *count. */
static int replay_dir(const char *dir, int *count)
{
    DIR *dp = opendir(dir);
    if (dp == NULL) {
        perror(dir);
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int failures = 0;
    for (struct dirent *e; (e = readdir(dp)) != NULL;) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **bigger = realloc(names, cap * sizeof *names);
            if (bigger == NULL) {
                failures++;
                break;
            }
            names = bigger;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) {
            failures++;
            break;
        }
        n++;
    }
    closedir(dp);
    if (n > 0)
        qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            failures += replay_file(path);
            ++*count;
        }
        free(names[i]);
    }
    free(names);
    return failures;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n"
                        "runs each input (each file of each DIR) through the fuzz target once\n",
                argv[0]);
        return 2;
    }
    int failures = 0, count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            failures++;
        } else if (S_ISDIR(st.st_mode)) {
            failures += replay_dir(argv[i], &count);
        } else {
            failures += replay_file(argv[i]);
            count++;
        }
    }
    printf("%s: %d inputs replayed, %d unreadable\n", argv[0], count, failures);
    return failures > 0 ? 1 : 0;
}
