#include "manifest.h"
#include "unfinished.h"
#include "comm.h"
#include "compute.h"
#include "workload.h"
#include "nodes.h"
#include "record.h"
#include "results.h"
#include "timer.h"

#include <stdlib.h>
#include <string.h>

#ifdef TCB_HAVE_MPI
#include <mpi.h>
#endif

extern const char tcb_version[], tcb_git_commit[];
extern char **environ;

const char *const tcb_check_names[5] = {"ok", "wrong", "timeout", "error", "skipped"};

/* Variables that change results: the communication libraries' tuning, the
 * launcher's placement, device visibility and thread counts. */
static json_t *relevant_environment(void)
{
    static const char *const prefixes[] = {"NCCL_", "OMPI_", "UCX_", "SLURM_", "TCBENCH_", NULL};
    static const char *const names[] = {"CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS", NULL};
    json_t *env = json_object();
    for (char **e = environ; *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL)
            continue;
        size_t klen = (size_t)(eq - *e);
        int keep = 0;
        for (int i = 0; prefixes[i] != NULL && !keep; i++)
            keep = strncmp(*e, prefixes[i], strlen(prefixes[i])) == 0;
        for (int i = 0; names[i] != NULL && !keep; i++)
            keep = strlen(names[i]) == klen && strncmp(*e, names[i], klen) == 0;
        if (!keep)
            continue;
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)klen, *e);
        json_object_set_new(env, key, json_string(eq + 1));
    }
    return env;
}

static json_t *mpi_description(const tcb_world *w)
{
    json_t *o = json_object();
#ifdef TCB_HAVE_MPI
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0, major = 0, minor = 0;
    MPI_Get_library_version(lib, &len);
    while (len > 0 && (lib[len - 1] == '\n' || lib[len - 1] == '\0'))
        lib[--len] = '\0';
    MPI_Get_version(&major, &minor);
    char std[16];
    snprintf(std, sizeof std, "%d.%d", major, minor);
    json_object_set_new(o, "library", json_string(lib));
    json_object_set_new(o, "standard", json_string(std));
    json_object_set_new(o, "thread_multiple", json_boolean(w->multiple_threads));
#else
    (void)w;
    json_object_set_new(o, "library", json_null());
#endif
    return o;
}

/* The libraries under each compiled backend that reports them (cuda: the
 * CUDA runtime, driver and cuBLASLt; nccl: NCCL), by backend name. */
static json_t *backend_versions(void)
{
    json_t *o = json_object();
    for (int i = 0; tcb_compute_backends[i] != NULL; i++)
        if (tcb_compute_backends[i]->versions != NULL)
            json_object_set_new(o, tcb_compute_backends[i]->name,
                                tcb_compute_backends[i]->versions());
    for (int i = 0; tcb_comm_backends[i] != NULL; i++)
        if (tcb_comm_backends[i]->versions != NULL)
            json_object_set_new(o, tcb_comm_backends[i]->name, tcb_comm_backends[i]->versions());
    return o;
}

json_t *tcb_manifest_new(const tcb_world *w, const tcb_suite *suite, const char *run_id,
                         int argc, char **argv, tcb_status *status)
{
    json_t *nodes = tcb_nodes_gather(w, status);
    if (w->rank != 0 || nodes == NULL)
        return NULL;

    char utc[32], hash[17];
    tcb_suite_hash(suite, hash);
    json_t *m = json_object();
    json_object_set_new(m, "schema", json_string(TCB_RUN_SCHEMA));
    json_object_set_new(m, "run_id", json_string(run_id));
    json_object_set_new(m, "tcbench", json_pack("{s:s, s:s}", "version", tcb_version,
                                                 "git_commit", tcb_git_commit));
    json_object_set_new(m, "suite", json_pack("{s:s, s:s, s:s+, s:i}", "path", suite->path,
                                              "name", suite->name, "hash", "fnv1a64:",
                                              hash, "cases", suite->ncases));
    json_t *cmd = json_array();
    for (int i = 0; i < argc; i++)
        json_array_append_new(cmd, json_string(argv[i]));
    json_object_set_new(m, "command_line", cmd);
    json_object_set_new(m, "start_utc", json_string(tcb_utc_now(utc)));
    json_object_set_new(m, "end_utc", json_null());
    json_object_set_new(m, "finished", json_false());
    json_object_set_new(m, "unfinished_why", json_string(TCB_UNFINISHED_DEFAULT));
    json_object_set_new(m, "exit_status", json_null());
    json_object_set_new(m, "mpi", mpi_description(w));
    json_object_set_new(m, "world", json_pack("{s:i, s:i}", "ranks", w->size, "nodes",
                                              w->nodes));
    json_object_set_new(m, "nodes", nodes);
    json_object_set_new(m, "environment", relevant_environment());
    json_object_set_new(m, "backends", backend_versions());
    return m;
}

void tcb_manifest_set_energy(json_t *m, const tcb_suite *suite, const json_t *tried)
{
    json_t *asked = suite->energy_auto ? json_string("auto") : json_array();
    for (int i = 0; !suite->energy_auto && i < suite->nenergy; i++)
        json_array_append_new(asked, json_string(suite->energy[i]));
    json_t *o = json_object();
    json_object_set_new(o, "asked", asked);
    json_object_set_new(o, "tried", tried != NULL ? json_deep_copy(tried) : json_array());
    json_object_set_new(m, "energy", o);
}

void tcb_manifest_finish(json_t *m, int exit_status, const int counts[5])
{
    char utc[32];
    json_object_set_new(m, "end_utc", json_string(tcb_utc_now(utc)));
    json_object_set_new(m, "finished", json_true());
    json_object_set_new(m, "unfinished_why", json_null());
    json_object_set_new(m, "exit_status", json_integer(exit_status));
    json_t *o = json_object();
    for (int i = 0; i < 5; i++)
        json_object_set_new(o, tcb_check_names[i], json_integer(counts[i]));
    json_object_set_new(m, "cases_by_status", o);
}

tcb_status tcb_manifest_write(const char *dir, const json_t *m)
{
    char *text = tcb_json_text(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    TCB_ALLOC_CHECK(text);
    tcb_status s = tcb_file_write_atomic(dir, "run.json", text);
    free(text);
    return s;
}
