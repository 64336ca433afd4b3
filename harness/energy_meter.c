#include "energy_meter.h"
#include "energy_record.h"
#include "timer.h"
#ifdef TCB_HAVE_CUDA
#include "cuda_device.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* NVML's power figure changes at most every 20-100 ms; sampling faster costs
 * a thread wake-up for nothing new. */
#define DEFAULT_SAMPLE_S 0.02

/* Why a backend did not open on a rank; fixed size, so the outcomes of
 * every rank gather as one block each. */
#define OPEN_WHY 400

enum { NOT_TRIED, OPENED, FAILED };

typedef struct {
    signed char state[TCB_SUITE_MAX_ENERGY]; /* per candidate: NOT_TRIED, OPENED, FAILED */
    char why[TCB_SUITE_MAX_ENERGY][OPEN_WHY];
} open_outcome;

struct tcb_energy_meter {
    int rank, node;
    char pci_bus_id[32]; /* this rank's CUDA device's, for nvml; "" none */
    /* The backends this rank opened, and their states. */
    int n;
    const tcb_energy_backend *backend[TCB_SUITE_MAX_ENERGY];
    void *state[TCB_SUITE_MAX_ENERGY];
    char begin_why[TCB_SUITE_MAX_ENERGY][160]; /* "": the window began */
    /* Some rank opened something: otherwise no window is gathered, and every
     * record says why not (same on every rank). */
    bool measures;
    bool none_asked;
    char why_not[64];
    /* This rank's last window. */
    double t_begin, window_s;
    int nentries;
    tcb_energy_entry entry[TCB_SUITE_MAX_ENERGY * TCB_ENERGY_MAX_READINGS];
    json_t *tried; /* rank 0 */
};

/* ---- opening ------------------------------------------------------------ */

static tcb_status config_from_env(const tcb_world *w, tcb_energy_config *cfg, tcb_diag *d)
{
    *cfg = (tcb_energy_config){
        .powercap_root = getenv("TCBENCH_POWERCAP_ROOT"),
        .nvml_library = getenv("TCBENCH_NVML_LIBRARY"),
        .amdsmi_library = getenv("TCBENCH_AMDSMI_LIBRARY"),
        .device = w->local_rank,
        .node_reader = w->local_rank == 0,
        .sample_period_s = DEFAULT_SAMPLE_S,
    };
    const char *method = getenv("TCBENCH_NVML_METHOD");
    if (method != NULL && *method != '\0') {
        cfg->nvml_power_sampling = strcmp(method, "power-sampling") == 0;
        if (!cfg->nvml_power_sampling && strcmp(method, "counter") != 0)
            return tcb_diag_set(d, TCB_ERR_CONFIG,
                                "TCBENCH_NVML_METHOD='%s': not counter or power-sampling",
                                method);
    }
    const char *period = getenv("TCBENCH_ENERGY_SAMPLE_S");
    if (period != NULL && *period != '\0') {
        char *end;
        cfg->sample_period_s = strtod(period, &end);
        if (*end != '\0' || !(cfg->sample_period_s > 0) || cfg->sample_period_s > 10)
            return tcb_diag_set(d, TCB_ERR_CONFIG,
                                "TCBENCH_ENERGY_SAMPLE_S='%s': not a number of seconds in "
                                "(0, 10]",
                                period);
    }
    return TCB_OK;
}

/* The backends a suite asks for, in the order they are tried. */
static int candidates(const tcb_suite *suite, const tcb_energy_backend **out)
{
    int n = 0;
    if (suite->energy_auto) {
        for (int i = 0; tcb_energy_backends[i] != NULL && n < TCB_SUITE_MAX_ENERGY; i++)
            if (tcb_energy_backends[i] != &tcb_energy_none)
                out[n++] = tcb_energy_backends[i];
    } else {
        for (int i = 0; i < suite->nenergy; i++)
            out[n++] = tcb_energy_find(suite->energy[i]);
    }
    return n;
}

/* Rank 0: per candidate, where it opened and the first reason it did not. */
static json_t *summarize(const tcb_energy_backend *const *cand, int ncand,
                         const open_outcome *all, int ranks)
{
    json_t *tried = json_array();
    for (int c = 0; c < ncand; c++) {
        int opened = 0, failed = 0, first = -1;
        for (int r = 0; r < ranks; r++) {
            opened += all[r].state[c] == OPENED;
            failed += all[r].state[c] == FAILED;
            if (first < 0 && all[r].state[c] == FAILED)
                first = r;
        }
        json_t *o = json_object();
        json_object_set_new(o, "backend", json_string(cand[c]->name));
        json_object_set_new(o, "opened_on_ranks", json_integer(opened));
        json_object_set_new(o, "failed_on_ranks", json_integer(failed));
        if (first >= 0) {
            char why[OPEN_WHY + 32];
            snprintf(why, sizeof why, "rank %d: %s", first, all[first].why[c]);
            json_object_set_new(o, "error", json_string(why));
        }
        json_array_append_new(tried, o);
    }
    return tried;
}

/* nvml reads the board the cuda backend gives this rank, found by its PCI
 * address; CUDA is asked only when nvml is a candidate, so a run that
 * measures no GPU never starts the CUDA driver. */
static void find_rank_gpu(const tcb_world *w, const tcb_energy_backend *const *cand, int ncand,
                          tcb_energy_meter *m, tcb_energy_config *cfg)
{
#ifdef TCB_HAVE_CUDA
    for (int c = 0; c < ncand; c++)
        if (cand[c] == &tcb_energy_nvml &&
            tcb_cuda_rank_bus_id(w, m->pci_bus_id, (int)sizeof m->pci_bus_id)) {
            cfg->pci_bus_id = m->pci_bus_id;
            return;
        }
#else
    (void)w, (void)cand, (void)ncand, (void)m, (void)cfg;
#endif
}

/* Closes what this rank opened. */
static void close_backends(tcb_energy_meter *m)
{
    for (int i = 0; i < m->n; i++)
        m->backend[i]->close(m->state[i]);
    m->n = 0;
}

/* This rank tries each candidate; node-level ones on the node's reader only. */
static void open_here(tcb_energy_meter *m, const tcb_energy_config *cfg,
                      const tcb_energy_backend *const *cand, int ncand, open_outcome *mine)
{
    for (int c = 0; c < ncand; c++) {
        if (cand[c]->node_level && !cfg->node_reader)
            continue;
        tcb_diag d = {{0}};
        void *state = NULL;
        if (cand[c]->open(cfg, &state, &d) != TCB_OK) {
            mine->state[c] = FAILED;
            snprintf(mine->why[c], OPEN_WHY, "%.*s", OPEN_WHY - 1, d.msg);
            continue;
        }
        mine->state[c] = OPENED;
        m->backend[m->n] = cand[c];
        m->state[m->n++] = state;
    }
}

tcb_status tcb_energy_meter_open(const tcb_world *w, const tcb_suite *suite,
                                 tcb_energy_meter **out, json_t **tried)
{
    *out = NULL;
    *tried = NULL;
    tcb_energy_meter *m = calloc(1, sizeof *m);
    open_outcome *mine = calloc(1, sizeof *mine);
    tcb_diag d = {{0}};
    tcb_status s = m != NULL && mine != NULL ? TCB_OK : TCB_ERR_RUNTIME;
    tcb_energy_config cfg;
    if (s == TCB_OK)
        s = config_from_env(w, &cfg, &d);
    int first = tcb_world_first_failed(w, s);
    if (first == w->rank)
        tcb_log_error("%s", s == TCB_ERR_RUNTIME ? "energy: out of memory" : d.msg);
    if ((s = tcb_world_agree(w, s)) != TCB_OK) {
        free(mine);
        free(m);
        return s;
    }
    m->rank = w->rank;
    m->node = w->node;

    const tcb_energy_backend *cand[TCB_SUITE_MAX_ENERGY];
    int ncand = candidates(suite, cand);
    find_rank_gpu(w, cand, ncand, m, &cfg);
    open_here(m, &cfg, cand, ncand, mine);

    /* A listed backend must work wherever it was tried. */
    tcb_status listed = TCB_OK;
    for (int c = 0; c < ncand && !suite->energy_auto && listed == TCB_OK; c++)
        if (mine->state[c] == FAILED)
            listed = tcb_diag_set(&d, TCB_ERR_CONFIG,
                                  "%s: energy backend '%s' does not work here: %s (the suite "
                                  "lists it; 'energy: auto' uses what works)",
                                  suite->path, cand[c]->name, mine->why[c]);
    first = tcb_world_first_failed(w, listed);
    if (first == w->rank)
        tcb_log_error("%s", d.msg);

    char *all = NULL;
    int *lens = NULL;
    if ((s = tcb_world_agree(w, listed)) == TCB_OK)
        s = tcb_world_gather_bytes(w, mine, (int)sizeof *mine, &all, &lens);
    if (s == TCB_OK && w->rank == 0)
        m->tried = summarize(cand, ncand, (const open_outcome *)all, w->size);
    free(all);
    free(lens);
    free(mine);

    long long opened = s == TCB_OK ? tcb_world_sum(w, m->n) : 0;
    m->none_asked = !suite->energy_auto && suite->nenergy == 1 &&
                    suite->energy[0] == tcb_energy_none.name;
    m->measures = opened > 0 && !m->none_asked;
    snprintf(m->why_not, sizeof m->why_not, "%s",
             m->none_asked ? "the suite asks for energy: none" : "no energy backend works here");
    if (s != TCB_OK) {
        tcb_energy_meter_close(m);
        return s;
    }
    if (w->rank == 0)
        *tried = json_incref(m->tried);
    *out = m;
    return TCB_OK;
}

void tcb_energy_meter_close(tcb_energy_meter *m)
{
    if (m == NULL)
        return;
    close_backends(m);
    json_decref(m->tried);
    free(m);
}

void tcb_energy_meter_describe(const tcb_energy_meter *m, char *buf, size_t n)
{
    buf[0] = '\0';
    if (!m->measures) {
        snprintf(buf, n, "not measured: %s%s", m->why_not,
                 m->none_asked ? "" : " (run.json's energy.tried says why)");
        return;
    }
    size_t i;
    json_t *t;
    json_array_foreach(m->tried, i, t) {
        long long opened = json_integer_value(json_object_get(t, "opened_on_ranks"));
        size_t len = strlen(buf);
        if (opened > 0 && len < n)
            snprintf(buf + len, n - len, "%s%s on %lld rank%s", len ? ", " : "",
                     json_string_value(json_object_get(t, "backend")), opened,
                     opened == 1 ? "" : "s");
    }
}

/* ---- windows ------------------------------------------------------------ */

bool tcb_energy_meter_measures(const tcb_energy_meter *m)
{
    return m->measures;
}

void tcb_energy_meter_begin(tcb_energy_meter *m)
{
    m->nentries = 0;
    for (int i = 0; i < m->n; i++) {
        tcb_diag d = {{0}};
        m->begin_why[i][0] = '\0';
        if (m->backend[i]->begin(m->state[i], &d) != TCB_OK)
            snprintf(m->begin_why[i], sizeof m->begin_why[i], "window did not begin: %.120s",
                     d.msg[0] ? d.msg : "no reason given");
    }
    m->t_begin = tcb_now();
}

/* An invalid reading standing for a backend whose window failed. */
static void failed_entry(tcb_energy_meter *m, const tcb_energy_backend *b, const char *why)
{
    tcb_energy_entry *e = &m->entry[m->nentries++];
    memset(e, 0, sizeof *e);
    e->rank = m->rank;
    e->node = m->node;
    snprintf(e->backend, sizeof e->backend, "%s", b->name);
    snprintf(e->r.device, sizeof e->r.device, "(all of %s)", b->name);
    e->r.node_level = b->node_level;
    e->r.scope = b->node_level ? TCB_ENERGY_CPU_PACKAGE : TCB_ENERGY_GPU;
    snprintf(e->r.flag, sizeof e->r.flag, "%s", why);
}

void tcb_energy_meter_end(tcb_energy_meter *m)
{
    m->window_s = tcb_now() - m->t_begin;
    for (int i = 0; i < m->n; i++) {
        tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
        int n = 0;
        tcb_diag d = {{0}};
        tcb_status s = m->backend[i]->end(m->state[i], r, &n, &d);
        if (m->begin_why[i][0] != '\0') {
            failed_entry(m, m->backend[i], m->begin_why[i]);
            continue;
        }
        if (s != TCB_OK) {
            char why[200];
            snprintf(why, sizeof why, "window did not end: %.150s",
                     d.msg[0] ? d.msg : "no reason");
            failed_entry(m, m->backend[i], why);
            continue;
        }
        for (int k = 0; k < n && k < TCB_ENERGY_MAX_READINGS; k++) {
            tcb_energy_entry *e = &m->entry[m->nentries++];
            e->rank = m->rank;
            e->node = m->node;
            snprintf(e->backend, sizeof e->backend, "%s", m->backend[i]->name);
            e->r = r[k];
        }
    }
}

void tcb_energy_meter_not_measured(const tcb_energy_meter *m, json_t *rec, const char *why)
{
    tcb_energy_record_unmeasured(rec, m->measures ? why : m->why_not, m->tried);
}

tcb_status tcb_energy_meter_record(tcb_energy_meter *m, const tcb_world *w, json_t *rec)
{
    if (!m->measures) {
        if (w->rank == 0)
            tcb_energy_record_unmeasured(rec, m->why_not, m->tried);
        return TCB_OK;
    }
    double window = 0;
    char *all = NULL;
    int *lens = NULL;
    tcb_status s = tcb_world_max_to_root(w, &m->window_s, &window, 1);
    if (s == TCB_OK)
        s = tcb_world_gather_bytes(w, m->entry, m->nentries * (int)sizeof m->entry[0], &all,
                                   &lens);
    if (s == TCB_OK && w->rank == 0) {
        long total = 0;
        for (int r = 0; r < w->size; r++)
            total += lens[r];
        int iters = (int)json_integer_value(json_object_get(rec, "iters"));
        tcb_energy_record_set(rec, (const tcb_energy_entry *)all,
                              (int)(total / (long)sizeof m->entry[0]), window, iters, m->tried);
    }
    free(all);
    free(lens);
    return s;
}
