/* The "amdsmi" energy backend: joules of the AMD GPU a rank owns.
 *
 * Two libraries expose the same energy accumulator, and a node has one or
 * the other (or both) depending on its ROCm release: libamd_smi (handle-based,
 * ROCm 6 and later) and librocm_smi64 (index-based, older and still shipped).
 * Both are dlopen'ed at run time, so tcbench needs neither to build. Which
 * ABI is used depends on the symbols the loaded library exports, not on its
 * file name: amdsmi_init first, then rsmi_init, so a library that exports
 * both still works when one of the two refuses to initialize.
 *
 * The counter is a 64-bit accumulator of counts of counter_resolution micro-
 * joules each (15.3 uJ on every ASIC so far); a window is the difference of
 * two reads. AMD reports the socket's whole package under this counter, which
 * for an Instinct board is the GPU chip and its HBM: scope "gpu". */
#include "energy.h"
#include "timer.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the AMD SMI and ROCm SMI ABIs (amdsmi.h, rocm_smi.h) ---------------- */

typedef int smi_status; /* amdsmi_status_t and rsmi_status_t: enums, 0 is success */
typedef void *amdsmi_handle; /* amdsmi_socket_handle, amdsmi_processor_handle */

#define SMI_SUCCESS 0
#define AMDSMI_INIT_AMD_GPUS (1u << 1) /* GPUs only: every processor handle is one */

typedef enum { ABI_AMDSMI, ABI_RSMI } smi_abi;

typedef struct {
    void *lib;          /* NULL: this rank owns no GPU and reads nothing */
    char lib_name[256]; /* as loaded, for messages */
    smi_abi abi;
    bool inited;        /* the library's init succeeded: its shutdown is owed */
    int index;

    /* libamd_smi */
    smi_status (*amdsmi_shut_down)(void);
    smi_status (*amdsmi_status_code_to_string)(smi_status, const char **);
    smi_status (*amdsmi_get_energy_count)(amdsmi_handle, uint64_t *, float *, uint64_t *);
    amdsmi_handle proc;

    /* librocm_smi64 */
    smi_status (*rsmi_shut_down)(void);
    smi_status (*rsmi_status_string)(smi_status, const char **);
    smi_status (*rsmi_dev_energy_count_get)(uint32_t, uint64_t *, float *, uint64_t *);

    /* The window. */
    double t_begin;
    uint64_t begin_count;
    smi_status begin_err;
} amdsmi_state;

static const char *smi_why(const amdsmi_state *s, smi_status st)
{
    const char *why = NULL;
    if (s->abi == ABI_AMDSMI && s->amdsmi_status_code_to_string != NULL)
        s->amdsmi_status_code_to_string(st, &why);
    else if (s->abi == ABI_RSMI && s->rsmi_status_string != NULL)
        s->rsmi_status_string(st, &why);
    return why != NULL ? why : "unknown status";
}

/* One energy read in whichever ABI is loaded. */
static smi_status smi_energy(const amdsmi_state *s, uint64_t *count, float *res)
{
    uint64_t timestamp;
    *res = 0;
    if (s->abi == ABI_AMDSMI)
        return s->amdsmi_get_energy_count(s->proc, count, res, &timestamp);
    return s->rsmi_dev_energy_count_get((uint32_t)s->index, count, res, &timestamp);
}

/* Shuts the library down if it was initialized; keeps it loaded. */
static void smi_shut_down(amdsmi_state *s)
{
    if (s->inited && s->abi == ABI_AMDSMI)
        s->amdsmi_shut_down();
    else if (s->inited)
        s->rsmi_shut_down();
    s->inited = false;
}

static void close_amdsmi(void *state)
{
    amdsmi_state *s = state;
    if (s == NULL)
        return;
    smi_shut_down(s);
    if (s->lib != NULL)
        dlclose(s->lib);
    free(s);
}

/* Resolves one entry point; NULL into the field when the library lacks it. */
#define SMI_SYM(s, field) ((s)->field = (__typeof__((s)->field))dlsym((s)->lib, #field))

/* ---- opening through libamd_smi ----------------------------------------- */

/* The processor handle of GPU `index`, counting GPUs socket by socket, the
 * order amd-smi lists them in. */
static tcb_status amdsmi_find_gpu(amdsmi_state *s, int index, char *err, size_t errlen)
{
    smi_status (*get_sockets)(uint32_t *, amdsmi_handle *) =
        (__typeof__(get_sockets))dlsym(s->lib, "amdsmi_get_socket_handles");
    smi_status (*get_procs)(amdsmi_handle, uint32_t *, amdsmi_handle *) =
        (__typeof__(get_procs))dlsym(s->lib, "amdsmi_get_processor_handles");
    if (get_sockets == NULL || get_procs == NULL) {
        snprintf(err, errlen, "no amdsmi_get_socket_handles/amdsmi_get_processor_handles");
        return TCB_ERR_CONFIG;
    }
    uint32_t nsock = 0;
    smi_status st = get_sockets(&nsock, NULL);
    if (st != SMI_SUCCESS) {
        snprintf(err, errlen, "amdsmi_get_socket_handles: %s", smi_why(s, st));
        return TCB_ERR_CONFIG;
    }
    amdsmi_handle *socks = calloc(nsock > 0 ? nsock : 1, sizeof *socks);
    if (socks == NULL) {
        snprintf(err, errlen, "out of memory");
        return TCB_ERR_RUNTIME;
    }
    st = get_sockets(&nsock, socks);
    int seen = 0;
    tcb_status result = TCB_ERR_CONFIG;
    for (uint32_t i = 0; st == SMI_SUCCESS && i < nsock && result != TCB_OK; i++) {
        uint32_t nproc = 0;
        st = get_procs(socks[i], &nproc, NULL);
        amdsmi_handle procs[64];
        if (st != SMI_SUCCESS)
            break;
        if (nproc > 64)
            nproc = 64;
        st = get_procs(socks[i], &nproc, procs);
        for (uint32_t j = 0; st == SMI_SUCCESS && j < nproc; j++, seen++) {
            if (seen == index) {
                s->proc = procs[j];
                result = TCB_OK;
                break;
            }
        }
    }
    free(socks);
    if (st != SMI_SUCCESS)
        snprintf(err, errlen, "listing GPUs: %s", smi_why(s, st));
    else if (result != TCB_OK)
        snprintf(err, errlen, "this rank's device %d does not exist: %d GPU(s) found", index,
                 seen);
    return result;
}

static tcb_status amdsmi_try(amdsmi_state *s, int index, char *err, size_t errlen)
{
    smi_status (*init)(uint64_t) = (__typeof__(init))dlsym(s->lib, "amdsmi_init");
    SMI_SYM(s, amdsmi_shut_down);
    SMI_SYM(s, amdsmi_status_code_to_string);
    SMI_SYM(s, amdsmi_get_energy_count);
    if (init == NULL || s->amdsmi_shut_down == NULL || s->amdsmi_get_energy_count == NULL) {
        snprintf(err, errlen, "no amdsmi_init/amdsmi_shut_down/amdsmi_get_energy_count");
        return TCB_ERR_CONFIG;
    }
    s->abi = ABI_AMDSMI;
    smi_status st = init(AMDSMI_INIT_AMD_GPUS);
    if (st != SMI_SUCCESS) {
        snprintf(err, errlen, "amdsmi_init: %s", smi_why(s, st));
        return TCB_ERR_CONFIG;
    }
    s->inited = true;
    return amdsmi_find_gpu(s, index, err, errlen);
}

/* ---- opening through librocm_smi64 -------------------------------------- */

static tcb_status rsmi_try(amdsmi_state *s, int index, char *err, size_t errlen)
{
    smi_status (*init)(uint64_t) = (__typeof__(init))dlsym(s->lib, "rsmi_init");
    smi_status (*num_devices)(uint32_t *) =
        (__typeof__(num_devices))dlsym(s->lib, "rsmi_num_monitor_devices");
    SMI_SYM(s, rsmi_shut_down);
    SMI_SYM(s, rsmi_status_string);
    SMI_SYM(s, rsmi_dev_energy_count_get);
    if (init == NULL || num_devices == NULL || s->rsmi_shut_down == NULL ||
        s->rsmi_dev_energy_count_get == NULL) {
        snprintf(err, errlen,
                 "no rsmi_init/rsmi_num_monitor_devices/rsmi_shut_down/"
                 "rsmi_dev_energy_count_get");
        return TCB_ERR_CONFIG;
    }
    s->abi = ABI_RSMI;
    smi_status st = init(0);
    if (st != SMI_SUCCESS) {
        snprintf(err, errlen, "rsmi_init: %s", smi_why(s, st));
        return TCB_ERR_CONFIG;
    }
    s->inited = true;
    uint32_t n = 0;
    st = num_devices(&n);
    if (st != SMI_SUCCESS) {
        snprintf(err, errlen, "rsmi_num_monitor_devices: %s", smi_why(s, st));
        return TCB_ERR_CONFIG;
    }
    if ((uint32_t)index >= n) {
        snprintf(err, errlen, "this rank's device %d does not exist: %u GPU(s) found", index, n);
        return TCB_ERR_CONFIG;
    }
    return TCB_OK;
}

/* ---- open: try each library, each ABI ------------------------------------ */

/* Loads `lib` and initializes it through the first ABI that works, reading
 * the counter once so that a GPU without one fails here and not in every
 * window. On failure, appends why to errs and leaves nothing loaded. */
static tcb_status amdsmi_try_library(amdsmi_state *s, const char *lib, int index, char *errs,
                                     size_t errlen)
{
    size_t used = strlen(errs);
    char *err = errs + used;
    size_t left = errlen - used;
    char why[320] = "";
    tcb_status st = TCB_ERR_CONFIG;

    dlerror();
    s->lib = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (s->lib == NULL) {
        const char *dl = dlerror();
        snprintf(err, left, "%s'%s': %s", used > 0 ? "; " : "", lib,
                 dl != NULL ? dl : "cannot load");
        return TCB_ERR_CONFIG;
    }
    snprintf(s->lib_name, sizeof s->lib_name, "%s", lib);
    if (dlsym(s->lib, "amdsmi_init") != NULL) {
        st = amdsmi_try(s, index, why, sizeof why);
        if (st != TCB_OK)
            smi_shut_down(s);
    }
    if (st != TCB_OK && st != TCB_ERR_RUNTIME && dlsym(s->lib, "rsmi_init") != NULL) {
        char why_rsmi[320] = "";
        st = rsmi_try(s, index, why_rsmi, sizeof why_rsmi);
        if (st != TCB_OK)
            smi_shut_down(s);
        /* Keep the first ABI's reason too: it is the one a user expects. */
        size_t w = strlen(why);
        snprintf(why + w, sizeof why - w, "%s%s", w > 0 ? "; " : "", why_rsmi);
    } else if (st != TCB_OK && why[0] == '\0') {
        snprintf(why, sizeof why, "exports neither amdsmi_init nor rsmi_init");
    }
    if (st == TCB_OK) {
        uint64_t count;
        float res;
        smi_status e = smi_energy(s, &count, &res);
        if (e == SMI_SUCCESS && res > 0)
            return TCB_OK;
        if (e == SMI_SUCCESS)
            snprintf(why, sizeof why, "GPU %d: the energy counter's resolution is %g", index,
                     (double)res);
        else
            snprintf(why, sizeof why, "GPU %d has no energy counter: %s", index, smi_why(s, e));
        smi_shut_down(s);
        st = TCB_ERR_CONFIG;
    }
    snprintf(err, left, "%s'%s': %s", used > 0 ? "; " : "", lib, why);
    dlclose(s->lib);
    s->lib = NULL;
    return st;
}

static tcb_status open_amdsmi(const tcb_energy_config *cfg, void **state, tcb_diag *d)
{
    *state = NULL;
    amdsmi_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "amdsmi: out of memory");
    s->index = cfg->device;
    /* ROCm's libraries read the GPUs from /sys/class/drm; where there is
     * none (no GPU driver) they fail to initialize after printing their own
     * complaints on stderr: a machine with the library but no AMD GPU (Slurm's
     * packages bring it) is told here, quietly. A library given by name is
     * still tried (the tests' stand-in). */
    if (cfg->device >= 0 && cfg->amdsmi_library == NULL && access("/sys/class/drm", F_OK) != 0) {
        free(s);
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "amdsmi: no GPU driver here (/sys/class/drm is missing)");
    }
    if (cfg->device >= 0) {
        const char *defaults[] = {"libamd_smi.so", "librocm_smi64.so.1"};
        const char *one[] = {cfg->amdsmi_library};
        const char *const *libs = cfg->amdsmi_library != NULL ? one : defaults;
        int nlibs = cfg->amdsmi_library != NULL ? 1 : 2;
        char errs[900] = "";
        tcb_status st = TCB_ERR_CONFIG;
        for (int i = 0; i < nlibs && st == TCB_ERR_CONFIG; i++)
            st = amdsmi_try_library(s, libs[i], cfg->device, errs, sizeof errs);
        if (st != TCB_OK) {
            free(s);
            return tcb_diag_set(d, st,
                                "amdsmi: no usable AMD SMI library (%s); install ROCm's "
                                "amd-smi-lib or rocm-smi-lib, or use another energy backend",
                                errs);
        }
    }
    *state = s;
    return TCB_OK;
}

/* ---- windows ------------------------------------------------------------ */

static tcb_status begin_amdsmi(void *state, tcb_diag *d)
{
    (void)d;
    amdsmi_state *s = state;
    if (s->lib == NULL)
        return TCB_OK;
    float res;
    /* A failed read spoils this window's reading, not the run: end says why. */
    s->begin_err = smi_energy(s, &s->begin_count, &res);
    s->t_begin = tcb_now();
    return TCB_OK;
}

static tcb_status end_amdsmi(void *state, tcb_energy_reading *out, int *n, tcb_diag *d)
{
    (void)d;
    amdsmi_state *s = state;
    *n = 0;
    if (s->lib == NULL)
        return TCB_OK;
    uint64_t end_count = 0;
    float res = 0;
    smi_status err = smi_energy(s, &end_count, &res);
    double window = tcb_now() - s->t_begin;

    tcb_energy_reading *r = &out[0];
    memset(r, 0, sizeof *r);
    snprintf(r->device, sizeof r->device, "GPU %d", s->index);
    r->method = TCB_ENERGY_COUNTER;
    r->scope = TCB_ENERGY_GPU;
    r->node_level = false;
    *n = 1;

    const char *call = s->abi == ABI_AMDSMI ? "amdsmi_get_energy_count"
                                            : "rsmi_dev_energy_count_get";
    if (s->begin_err != SMI_SUCCESS || err != SMI_SUCCESS) {
        snprintf(r->flag, sizeof r->flag, "%s failed: %s", call,
                 smi_why(s, s->begin_err != SMI_SUCCESS ? s->begin_err : err));
        return TCB_OK;
    }
    bool ok;
    double counts = tcb_energy_counter_delta((double)s->begin_count, (double)end_count, 0, &ok);
    if (!ok) {
        snprintf(r->flag, sizeof r->flag,
                 "energy counter went backwards (%llu -> %llu counts): driver reloaded or GPU "
                 "reset",
                 (unsigned long long)s->begin_count, (unsigned long long)end_count);
        return TCB_OK;
    }
    if (counts == 0) {
        /* A powered GPU never draws 0 W: the window was shorter than the
         * accumulator's update, or the counter is stuck. */
        snprintf(r->flag, sizeof r->flag,
                 "energy counter did not change over %.4f s: lengthen the window", window);
        return TCB_OK;
    }
    r->valid = true;
    r->joules = counts * (double)res * 1e-6;
    return TCB_OK;
}

const tcb_energy_backend tcb_energy_amdsmi = {
    .name = "amdsmi",
    .summary = "AMD GPU energy counter of each rank's GPU, libamd_smi or "
               "librocm_smi64 loaded at run time",
    .open = open_amdsmi,
    .begin = begin_amdsmi,
    .end = end_amdsmi,
    .close = close_amdsmi,
};
