/* The scratch directory, the writing of inputs and the "%%" split of
 * fuzz_input.h. Everything made here is listed, so it can be removed at exit
 * without walking the directory. */
#include "fuzz_input.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TCB_FUZZ_ZOO /* set by tests/fuzz/CMakeLists.txt */
#define TCB_FUZZ_ZOO "workloads/models"
#endif

#define MADE_MAX 256 /* the zoo's links, the input files and their directories */

static char dir[512];
static char *made[MADE_MAX]; /* paths under dir, in the order they were made */
static int nmade;

static void fail(const char *what, const char *path)
{
    fprintf(stderr, "fuzz: %s %s: %s\n", what, path, strerror(errno));
    abort();
}

/* Removes what was made, newest first (files before their directories). */
static void cleanup(void)
{
    for (int i = nmade - 1; i >= 0; i--) {
        remove(made[i]);
        free(made[i]);
    }
    nmade = 0;
    if (dir[0] != '\0')
        rmdir(dir);
}

/* Notes path as made (once), so cleanup removes it. */
static void note(const char *path)
{
    for (int i = 0; i < nmade; i++)
        if (strcmp(made[i], path) == 0)
            return;
    if (nmade == MADE_MAX || (made[nmade] = strdup(path)) == NULL)
        fail("cannot track", path);
    nmade++;
}

const char *fuzz_dir(void)
{
    if (dir[0] != '\0')
        return dir;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/tcb-fuzz-XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        fail("cannot make", dir);
    atexit(cleanup);
    return dir;
}

void fuzz_write(const char *name, const uint8_t *data, size_t size, char *path, size_t n)
{
    const char *slash = strchr(name, '/');
    if (slash != NULL) {
        snprintf(path, n, "%s/%.*s", fuzz_dir(), (int)(slash - name), name);
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            fail("cannot make", path);
        note(path);
    }
    snprintf(path, n, "%s/%s", fuzz_dir(), name);
    note(path);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail("cannot write", path);
    size_t wrote = size > 0 ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || wrote != size)
        fail("cannot write", path);
}

size_t fuzz_split(const uint8_t *data, size_t size, const uint8_t **rest, size_t *rest_size)
{
    for (size_t i = 0; i + 2 <= size; i++) {
        if ((i == 0 || data[i - 1] == '\n') && data[i] == '%' && data[i + 1] == '%' &&
            (i + 2 == size || data[i + 2] == '\n')) {
            size_t after = i + 2 < size ? i + 3 : size;
            *rest = data + after;
            *rest_size = size - after;
            return i;
        }
    }
    *rest = NULL;
    *rest_size = 0;
    return size;
}

const char *fuzz_models_dir(void)
{
    static char models[600];
    if (models[0] != '\0')
        return models;
    snprintf(models, sizeof models, "%s/models", fuzz_dir());
    if (mkdir(models, 0700) != 0)
        fail("cannot make", models);
    note(models);
    DIR *dp = opendir(TCB_FUZZ_ZOO);
    if (dp == NULL)
        fail("cannot read", TCB_FUZZ_ZOO);
    for (struct dirent *e; (e = readdir(dp)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        char from[1024], to[1024];
        snprintf(from, sizeof from, "%s/%s", TCB_FUZZ_ZOO, e->d_name);
        snprintf(to, sizeof to, "%s/%s", models, e->d_name);
        if (symlink(from, to) != 0)
            fail("cannot link", to);
        note(to);
    }
    closedir(dp);
    setenv("TCBENCH_MODELS", models, 1);
    return models;
}
