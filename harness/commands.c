#include "commands.h"
#include "comm.h"
#include "compute.h"
#include "energy_meter.h"
#include "manifest.h"
#include "nodes.h"
#include "record.h"
#include "results.h"
#include "run.h"
#include "suite.h"
#include "timer.h"
#include "topology.h"
#include "stop_signals.h"
#include "unfinished.h"
#include "watchdog.h"
#include "workload.h"
#include "yaml_doc.h"

#include <errno.h>
#include <stdbool.h>
#include <hwloc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include <gsl/gsl_version.h>

#ifdef TCB_HAVE_MPI
#include <mpi.h>
#endif

extern const char tcb_version[], tcb_git_commit[];

#define MAX_SETS 64

void tcb_usage(FILE *out)
{
    fprintf(out,
            "usage: tcbench run SUITE.yaml [-o DIR] [--set KEY=VALUE]... [--dry-run]\n"
            "       tcbench topo [--json]\n"
            "       tcbench cost RUN_DIR... [--hardware F] [--ladder F] [--factor X]\n"
            "                    [--scenario F] [-o OUT]\n"
            "       tcbench report RUN_DIR... [-o OUT]\n"
            "       tcbench db import RUN_DIR... --db FILE [--system NAME]\n"
            "       tcbench db list --db FILE | tcbench db show RUN_ID --db FILE\n"
            "       tcbench db trend --db FILE [--system NAME] [--case GLOB] [--metric NAME]\n"
            "                        [--min-size K] [--permutations R] [--significance A]\n"
            "                        [--seed N]\n"
            "       tcbench compare --db FILE --current RUN_DIR [--baseline last|N-runs|RUN_ID]\n"
            "                    [--references F] [--system NAME] [--test mann-whitney|welch]\n"
            "                    [--alpha A] [--junit F] [--summary F] [--json F]\n"
            "                    [--openmetrics F]\n"
            "       tcbench list\n"
            "       tcbench version\n"
            "Launch run and topo with mpirun/srun for several ranks. Exit status: 0 ok,\n"
            "1 a check failed (compare: or a regression), 2 usage or configuration\n"
            "error, 3 runtime failure or timeout.\n");
}

typedef struct {
    const char *suite;
    const char *dir;
    const char *sets[MAX_SETS];
    int nsets;
    int dry_run;
} run_options;

/* Every rank parses the same argv, so every rank reaches the same verdict;
 * rank 0 alone prints it. */
static tcb_status parse_run_options(const tcb_world *w, int argc, char **argv,
                                    run_options *o)
{
    memset(o, 0, sizeof *o);
    const char *problem = NULL, *what = "";
    for (int i = 1; i < argc && problem == NULL; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (i + 1 >= argc)
                problem = "needs a directory", what = a;
            else
                o->dir = argv[++i];
        } else if (strcmp(a, "--set") == 0 || strncmp(a, "--set=", 6) == 0) {
            const char *kv = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            if (kv == NULL || strchr(kv, '=') == NULL)
                problem = "needs KEY=VALUE", what = "--set";
            else if (o->nsets == MAX_SETS)
                problem = "given too many times", what = "--set";
            else
                o->sets[o->nsets++] = kv;
        } else if (strcmp(a, "--dry-run") == 0) {
            o->dry_run = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            problem = "is not an option of run", what = a;
        } else if (o->suite == NULL) {
            o->suite = a;
        } else {
            problem = "is a second suite; give one", what = a;
        }
    }
    if (problem == NULL && o->suite == NULL)
        problem = "is missing", what = "SUITE.yaml";
    if (problem == NULL)
        return TCB_OK;
    if (w->rank == 0) {
        tcb_log_error("run: %s %s", what, problem);
        tcb_usage(stderr);
    }
    return TCB_ERR_CONFIG;
}

/* The launcher check on every rank. Each rank prints its own message: a
 * singleton cannot ask the others to agree, and they all see the same thing. */
static tcb_status check_launcher(const tcb_world *w)
{
    tcb_diag d = {{0}};
    tcb_status mine = tcb_world_check_launcher(w, &d);
    if (mine != TCB_OK)
        tcb_log_error("%s", d.msg);
    return tcb_world_agree(w, mine);
}

/* Loads the suite on every rank; the first rank that failed prints its
 * message, every rank returns the same status. A suite that differs between
 * ranks (a stale copy on one node, a --set given to one rank) is refused
 * too. */
static tcb_status load_suite_everywhere(const tcb_world *w, const run_options *o,
                                        tcb_suite *suite)
{
    tcb_diag d = {{0}};
    tcb_status mine = tcb_suite_load(o->suite, o->sets, o->nsets, suite, &d);
    bool loaded = mine == TCB_OK;
    /* The workloads' checks against the world size (root < ranks) need the
     * real world: a dry run is usually previewed without a launcher. */
    if (mine == TCB_OK && !o->dry_run) {
        for (int i = 0; i < suite->ncases && mine == TCB_OK; i++) {
            const tcb_case *c = &suite->cases[i];
            tcb_diag why = {{0}};
            if (c->workload->validate != NULL &&
                c->workload->validate(c, w->size, &why) != TCB_OK)
                mine = tcb_diag_set(&d, TCB_ERR_CONFIG, "%s:%d:%d: case %d: %s", o->suite,
                                    c->source_line, c->source_column, c->index, why.msg);
        }
    }
    if (mine == TCB_OK) {
        char hash[17], root_hash[17];
        tcb_suite_plan_hash(suite, hash);
        memcpy(root_hash, hash, sizeof hash);
        if (tcb_world_bcast_string(w, root_hash, sizeof root_hash) != TCB_OK)
            mine = TCB_ERR_RUNTIME;
        else if (strcmp(hash, root_hash) != 0)
            mine = tcb_diag_set(&d, TCB_ERR_CONFIG,
                                "%s: differs from rank 0's copy, in its file or its --set "
                                "values (cases as expanded: hash %s, rank 0 has %s)",
                                o->suite, hash, root_hash);
    } else {
        char unused[17] = "";
        tcb_world_bcast_string(w, unused, sizeof unused); /* rank 0 still sends */
    }
    int first = tcb_world_first_failed(w, mine);
    if (first == w->rank)
        tcb_log_error("%s", d.msg);
    tcb_status agreed = tcb_world_agree(w, mine);
    if (agreed != TCB_OK && loaded)
        tcb_suite_free(suite);
    return agreed;
}

static void print_cases(const tcb_suite *suite, FILE *out)
{
    for (int i = 0; i < suite->ncases; i++) {
        const tcb_case *c = &suite->cases[i];
        char desc[1024];
        tcb_case_describe(c, desc, sizeof desc);
        fprintf(out, "case %d: %s%s%s %s warmup=%d iters=%d timeout_s=%g\n", c->index,
                c->workload->name, c->backend[0] ? "/" : "", c->backend, desc, c->warmup,
                c->iters, c->timeout_s);
    }
    char energy[128] = "auto";
    if (!suite->energy_auto) {
        energy[0] = '\0';
        for (int i = 0; i < suite->nenergy; i++)
            tcb_yaml_list_append(energy, sizeof energy, suite->energy[i]);
    }
    fprintf(out, "%d case(s) from %s; energy: %s\n", suite->ncases, suite->path, energy);
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Rank 0 names the run and creates its directory; every rank learns both. A
 * directory that already holds a run is refused: nothing written is lost. */
static tcb_status prepare_run_dir(const tcb_world *w, const tcb_suite *suite,
                                  const char *asked, char run_id[128], char dir[PATH_MAX])
{
    tcb_status mine = TCB_OK;
    if (w->rank == 0) {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        unsigned salt = (unsigned)(getpid() ^ (unsigned)(tcb_now() * 1e6));
        snprintf(run_id, 128, "%.64s-%s-%04x", suite->name, stamp, salt & 0xffff);
        for (char *p = run_id; *p; p++)
            if (*p == '/' || *p == ' ')
                *p = '_'; /* the id names a directory */
        if (asked != NULL)
            snprintf(dir, PATH_MAX, "%s", asked);
        else
            snprintf(dir, PATH_MAX, "runs/%s", run_id);

        char manifest[PATH_MAX + 16], results[PATH_MAX + 16];
        snprintf(manifest, sizeof manifest, "%s/run.json", dir);
        snprintf(results, sizeof results, "%s/results.jsonl", dir);
        if (make_dirs(dir) != 0) {
            tcb_log_error("%s: cannot create the run directory: %s", dir, strerror(errno));
            mine = TCB_ERR_CONFIG;
        } else if (access(manifest, F_OK) == 0 || access(results, F_OK) == 0) {
            tcb_log_error("%s already holds a run (%s exists); give another -o DIR", dir,
                          access(manifest, F_OK) == 0 ? "run.json" : "results.jsonl");
            mine = TCB_ERR_CONFIG;
        }
    }
    tcb_status agreed = tcb_world_agree(w, mine);
    if (agreed != TCB_OK)
        return agreed;
    TCB_CHECK(tcb_world_bcast_string(w, run_id, 128));
    return tcb_world_bcast_string(w, dir, PATH_MAX);
}

tcb_status tcb_cmd_run(const tcb_world *w, int argc, char **argv, int full_argc,
                       char **full_argv)
{
    run_options o;
    TCB_CHECK(tcb_world_agree(w, parse_run_options(w, argc, argv, &o)));

    TCB_CHECK(check_launcher(w));

    tcb_suite suite;
    TCB_CHECK(load_suite_everywhere(w, &o, &suite));
    if (o.dry_run) {
        if (w->rank == 0)
            print_cases(&suite, stdout);
        tcb_suite_free(&suite);
        return TCB_OK;
    }

    /* Before the run directory: a listed energy backend that does not work
     * here stops the run with nothing written. */
    tcb_energy_meter *energy = NULL;
    json_t *energy_tried = NULL;
    tcb_status s = tcb_energy_meter_open(w, &suite, &energy, &energy_tried);
    if (s != TCB_OK) {
        tcb_suite_free(&suite);
        return s;
    }

    char run_id[128] = "", dir[PATH_MAX] = "";
    s = prepare_run_dir(w, &suite, o.dir, run_id, dir);
    json_t *manifest = NULL;
    tcb_results *results = NULL;
    tcb_watchdog *watchdog = NULL;
    tcb_unfinished *unfinished = NULL;
    int counts[5] = {0};
    if (s == TCB_OK) {
        tcb_status ms = TCB_OK;
        manifest = tcb_manifest_new(w, &suite, run_id, full_argc, full_argv, &ms);
        if (manifest != NULL)
            tcb_manifest_set_energy(manifest, &suite, energy_tried);
        if (w->rank == 0 && ms == TCB_OK)
            ms = tcb_manifest_write(dir, manifest);
        if (w->rank == 0 && ms == TCB_OK)
            ms = tcb_results_open(dir, &results);
        if (ms == TCB_OK && (unfinished = tcb_unfinished_new(manifest, dir)) == NULL)
            ms = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "calloc", "no memory");
        tcb_stop_signals_attach(unfinished);
        if (ms == TCB_OK)
            ms = tcb_watchdog_start(&watchdog, w, results, unfinished);
        s = tcb_world_agree(w, ms);
    }
    if (s == TCB_OK) {
        if (w->rank == 0) {
            char how[512];
            tcb_energy_meter_describe(energy, how, sizeof how);
            fprintf(stdout, "# tcbench %s: suite %s, %d case(s), %d rank(s) on %d node(s)\n"
                    "# energy: %s\n",
                    run_id, suite.path, suite.ncases, w->size, w->nodes, how);
        }
        tcb_run_ctx ctx = {
            .w = w,
            .run_id = run_id,
            .results = results,
            .watchdog = watchdog,
            .table = w->rank == 0 ? stdout : NULL,
            .progress = w->rank == 0 ? stderr : NULL,
            .facts = w->rank == 0 ? tcb_facts_new() : NULL,
            .energy = energy,
        };
        s = tcb_run_suite(&ctx, &suite, counts);
        tcb_facts_free(ctx.facts);
    }
    tcb_watchdog_stop(watchdog);
    tcb_stop_signals_attach(NULL);
    tcb_unfinished_end(unfinished);
    tcb_unfinished_free(unfinished);
    if (w->rank == 0 && manifest != NULL) {
        tcb_manifest_finish(manifest, (int)s, counts);
        s = tcb_status_worst(s, tcb_manifest_write(dir, manifest));
        fprintf(stdout, "\n# %d ok, %d wrong, %d skipped, %d error(s)\n# run directory: %s\n",
                counts[0], counts[1], counts[4], counts[3], dir);
    }
    json_decref(manifest);
    json_decref(energy_tried);
    tcb_energy_meter_close(energy);
    tcb_results_close(results);
    tcb_suite_free(&suite);
    return tcb_world_agree(w, s);
}

tcb_status tcb_cmd_topo(const tcb_world *w, int argc, char **argv)
{
    int as_json = 0;
    tcb_status mine = TCB_OK;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            as_json = 1;
        } else {
            if (w->rank == 0)
                tcb_log_error("topo: %s is not an option of topo", argv[i]);
            mine = TCB_ERR_CONFIG;
        }
    }
    TCB_CHECK(tcb_world_agree(w, mine));
    TCB_CHECK(check_launcher(w));
    tcb_status s = TCB_OK;
    json_t *nodes = tcb_nodes_gather(w, &s);
    if (w->rank == 0 && nodes != NULL) {
        if (as_json) {
            json_dumpf(nodes, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            fputc('\n', stdout);
        } else {
            size_t i;
            json_t *node;
            json_array_foreach(nodes, i, node) {
                tcb_topology_print(stdout, node);
            }
        }
    }
    json_decref(nodes);
    return tcb_world_agree(w, s);
}

tcb_status tcb_cmd_list(void)
{
    printf("workloads:\n");
    for (int i = 0; tcb_workloads[i] != NULL; i++) {
        const tcb_workload *wl = tcb_workloads[i];
        printf("  %-12s %s (backend: %s)\n", wl->name, wl->summary,
               tcb_backend_kind_name(wl->backend_kind));
        for (const tcb_param_spec *p = wl->params; p->name != NULL; p++) {
            char type[256];
            snprintf(type, sizeof type, "%s", tcb_param_type_name(p->type));
            if (p->type == TCB_PARAM_ENUM) {
                size_t off = strlen(type);
                for (int k = 0; p->choices[k] != NULL && off < sizeof type - 32; k++)
                    off += (size_t)snprintf(type + off, sizeof type - off, "%s%s",
                                            k ? "|" : " ", p->choices[k]);
            }
            printf("      %-11s %-40s default %-8s %s\n", p->name, type,
                   p->def ? p->def : "(required)", p->help);
        }
    }
    printf("backends:\n");
    for (int i = 0; tcb_comm_backends[i] != NULL; i++)
        printf("  %-12s comm     %s\n", tcb_comm_backends[i]->name,
               tcb_comm_backends[i]->summary);
    for (int i = 0; tcb_compute_backends[i] != NULL; i++)
        printf("  %-12s compute  %s\n", tcb_compute_backends[i]->name,
               tcb_compute_backends[i]->summary);
    printf("collectors:\n"
           "  %-12s monotonic clock around each timed iteration, slowest rank per iteration\n"
           "  %-12s hostname, CPU model, cores, memory, kernel per node\n"
           "  %-12s hwloc %s: packages, NUMA, caches, PCI GPUs and NICs per node\n",
           "timer", "sysinfo", "topology", HWLOC_VERSION);
    printf("energy (suite key energy: auto tries them in this order):\n");
    for (int i = 0; tcb_energy_backends[i] != NULL; i++)
        printf("  %-12s %s\n", tcb_energy_backends[i]->name, tcb_energy_backends[i]->summary);
    return TCB_OK;
}

tcb_status tcb_cmd_version(void)
{
    printf("tcbench %s (git %s)\n", tcb_version, tcb_git_commit);
#ifdef TCB_HAVE_MPI
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(lib, &len); /* callable before MPI_Init */
    char *nl = strchr(lib, '\n');
    if (nl != NULL)
        *nl = '\0';
    printf("MPI      %s\n", lib);
#else
    printf("MPI      none (built with TCBENCH_WITH_MPI=OFF)\n");
#endif
    printf("hwloc    %s\nlibyaml  %s\njansson  %s\nGSL      %s\n", HWLOC_VERSION,
           yaml_get_version_string(), JANSSON_VERSION, GSL_VERSION);
    return TCB_OK;
}
