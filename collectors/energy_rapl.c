/* The "rapl" energy backend: CPU package and DRAM energy from the Linux
 * powercap interface (/sys/class/powercap), which the intel_rapl driver fills
 * on Intel CPUs and, under the same intel-rapl names, on AMD Zen CPUs.
 *
 * Layout read (every zone has `name`, `energy_uj`, `max_energy_range_uj`):
 *
 *   ROOT/intel-rapl:N            name "package-N": the whole socket
 *   ROOT/intel-rapl:N/intel-rapl:N:M
 *                                name "dram": the socket's DRAM, read;
 *                                name "core"/"uncore": parts of the package
 *                                domain, skipped, or they would count twice
 *
 * The counters are the node's, not a rank's: only the rank with
 * cfg->node_reader reads them, every other rank opens and reports nothing.
 */
#include "energy.h"
#include "timer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_ROOT "/sys/class/powercap"

/* No CPU package or its DRAM draws 10 kW; a window whose count implies more
 * saw a counter reset or a glitch, not energy. */
#define MAX_PLAUSIBLE_WATTS 10000.0

/* RAPL counters advance about every 976 µs (Intel SDM: 1/1024 s); a shorter
 * window reads zero or one step, whatever it drew. */
#define UPDATE_PERIOD_S 0.001

/* Windows shorter than this many update periods are valid with a caveat. */
#define CAVEAT_PERIODS 100

/* Package zones looked at before giving up on a strange tree. */
#define MAX_ZONE_DIRS 64

typedef struct {
    char device[64];              /* "package-0", "package-0/dram" */
    tcb_energy_scope scope;
    char energy_path[PATH_MAX];
    double max_range_uj;          /* the counter wraps here; 0: range unknown */
    bool have_before;
    double before_uj;
    char before_error[64];        /* why the begin read failed */
} rapl_zone;

typedef struct {
    int n;                        /* 0 on a rank that is not the node reader */
    rapl_zone zone[TCB_ENERGY_MAX_READINGS];
    bool begun;
    double t_begin;
} rapl_state;

/* ---- files ------------------------------------------------------------- */

/* Reads a small sysfs file into buf without its trailing newline. Returns 0
 * or the errno of what failed. A fresh open per read: sysfs files are cheap
 * to open, and nothing stays open between windows. */
static int read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ssize_t got = read(fd, buf, size - 1);
    int err = got < 0 ? errno : 0;
    close(fd);
    if (err != 0)
        return err;
    buf[got] = '\0';
    while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
        buf[--got] = '\0';
    return 0;
}

/* A µJ counter file. Returns 0 or an errno (EINVAL: not a number). Values fit
 * a double exactly: the largest ranges are under 2^53 µJ. */
static int read_uj(const char *path, double *uj)
{
    char buf[64];
    int err = read_text(path, buf, sizeof buf);
    if (err != 0)
        return err;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (end == buf || *end != '\0' || errno != 0)
        return EINVAL;
    *uj = (double)v;
    return 0;
}

static bool join(char *out, size_t size, const char *dir, const char *name)
{
    int len = snprintf(out, size, "%s/%s", dir, name);
    return len >= 0 && (size_t)len < size;
}

/* ---- finding the zones -------------------------------------------------- */

/* N of a directory named PREFIX N (digits only), or -1: a subzone
 * "intel-rapl:0:0" under a package prefix, "intel-rapl-mmio:0" (the same
 * package domain again, through MMIO) and "intel-rapl" itself all give -1. */
static int zone_index(const char *name, const char *prefix)
{
    size_t len = strlen(prefix);
    if (strncmp(name, prefix, len) != 0)
        return -1;
    const char *p = name + len;
    if (*p == '\0' || strlen(p) > 6)
        return -1;
    for (const char *q = p; *q != '\0'; q++)
        if (*q < '0' || *q > '9')
            return -1;
    return atoi(p);
}

static int int_cmp(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    return (a > b) - (a < b);
}

/* The indexes N of the entries PREFIX N in dir, ascending: readdir's order is
 * the filesystem's, and package-0 should come first in a record. */
static tcb_status list_zones(const char *dir, const char *prefix, int *idx, int *n, tcb_diag *d)
{
    *n = 0;
    DIR *dp = opendir(dir);
    if (dp == NULL)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "rapl: no RAPL zones under %s: %s", dir,
                            strerror(errno));
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        int i = zone_index(e->d_name, prefix);
        if (i < 0)
            continue;
        if (*n == MAX_ZONE_DIRS) {
            closedir(dp);
            return tcb_diag_set(d, TCB_ERR_CONFIG, "rapl: more than %d %s* zones under %s",
                                MAX_ZONE_DIRS, prefix, dir);
        }
        idx[(*n)++] = i;
    }
    closedir(dp);
    qsort(idx, (size_t)*n, sizeof *idx, int_cmp);
    return TCB_OK;
}

/* Adds the zone in dir, after checking that its counter can be read now: a
 * permission problem is a setup problem, said once at open, not a window
 * of invalid readings. */
static tcb_status add_zone(rapl_state *s, const char *root, const char *dir, const char *device,
                           tcb_energy_scope scope, tcb_diag *d)
{
    if (s->n == TCB_ENERGY_MAX_READINGS)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "rapl: more than %d package and DRAM zones under %s",
                            TCB_ENERGY_MAX_READINGS, root);
    rapl_zone *z = &s->zone[s->n];
    memset(z, 0, sizeof *z);
    snprintf(z->device, sizeof z->device, "%s", device);
    z->scope = scope;
    char range_path[PATH_MAX];
    if (!join(z->energy_path, sizeof z->energy_path, dir, "energy_uj") ||
        !join(range_path, sizeof range_path, dir, "max_energy_range_uj"))
        return tcb_diag_set(d, TCB_ERR_CONFIG, "rapl: path too long under %s", dir);

    double probe;
    int err = read_uj(z->energy_path, &probe);
    if (err == EACCES || err == EPERM)
        /* Since Linux 5.10 energy_uj is 0400 root (CVE-2020-8694, PLATYPUS:
         * fine-grained energy readings leak secrets through power side
         * channels), so an ordinary user lands here. */
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "rapl: cannot read %s: %s. Since Linux 5.10 the RAPL energy "
                            "counters are readable by root only (CVE-2020-8694). To let "
                            "users read them until the next boot, run: sudo chmod o+r "
                            "%s/intel-rapl:*/energy_uj %s/intel-rapl:*/intel-rapl:*/energy_uj "
                            "(a udev rule makes it permanent); or choose energy: none",
                            z->energy_path, strerror(err), root, root);
    if (err != 0)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "rapl: cannot read %s: %s", z->energy_path,
                            strerror(err));
    /* The kernel always provides the range; without it a decrease cannot be
     * told from a wrap, and tcb_energy_counter_delta flags it. */
    if (read_uj(range_path, &z->max_range_uj) != 0)
        z->max_range_uj = 0;
    s->n++;
    return TCB_OK;
}

/* The DRAM subzones of package N (in dir), named after the package. */
static tcb_status add_dram(rapl_state *s, const char *root, const char *dir, int pkg,
                           const char *pkg_name, tcb_diag *d)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "intel-rapl:%d:", pkg);
    int idx[MAX_ZONE_DIRS], n;
    TCB_CHECK(list_zones(dir, prefix, idx, &n, d));
    for (int i = 0; i < n; i++) {
        char sub[PATH_MAX], name_path[PATH_MAX], name[64];
        char entry[48];
        snprintf(entry, sizeof entry, "%s%d", prefix, idx[i]);
        if (!join(sub, sizeof sub, dir, entry) || !join(name_path, sizeof name_path, sub, "name"))
            return tcb_diag_set(d, TCB_ERR_CONFIG, "rapl: path too long under %s", dir);
        if (read_text(name_path, name, sizeof name) != 0 || strcmp(name, "dram") != 0)
            continue; /* core, uncore: already inside the package's count */
        char device[64];
        snprintf(device, sizeof device, "%.58s/dram", pkg_name);
        TCB_CHECK(add_zone(s, root, sub, device, TCB_ENERGY_DRAM, d));
    }
    return TCB_OK;
}

static tcb_status find_zones(rapl_state *s, const char *root, tcb_diag *d)
{
    int idx[MAX_ZONE_DIRS], n;
    TCB_CHECK(list_zones(root, "intel-rapl:", idx, &n, d));
    for (int i = 0; i < n; i++) {
        char dir[PATH_MAX], name_path[PATH_MAX], name[64];
        char entry[32];
        snprintf(entry, sizeof entry, "intel-rapl:%d", idx[i]);
        if (!join(dir, sizeof dir, root, entry) || !join(name_path, sizeof name_path, dir, "name"))
            return tcb_diag_set(d, TCB_ERR_CONFIG, "rapl: path too long under %s", root);
        int err = read_text(name_path, name, sizeof name);
        if (err != 0)
            return tcb_diag_set(d, TCB_ERR_CONFIG, "rapl: cannot read %s: %s", name_path,
                                strerror(err));
        /* psys (a laptop's whole platform) is also a top-level zone; it
         * contains the packages, so adding it would count them twice. */
        if (strncmp(name, "package-", 8) != 0)
            continue;
        TCB_CHECK(add_zone(s, root, dir, name, TCB_ENERGY_CPU_PACKAGE, d));
        TCB_CHECK(add_dram(s, root, dir, idx[i], name, d));
    }
    if (s->n == 0)
        return tcb_diag_set(d, TCB_ERR_CONFIG,
                            "rapl: no RAPL zones under %s (no intel-rapl:N package directory); "
                            "load the driver with: sudo modprobe intel_rapl_msr",
                            root);
    return TCB_OK;
}

/* ---- the backend -------------------------------------------------------- */

static tcb_status rapl_open(const tcb_energy_config *cfg, void **state, tcb_diag *d)
{
    rapl_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "rapl: out of memory");
    if (cfg->node_reader) {
        const char *root = cfg->powercap_root != NULL ? cfg->powercap_root : DEFAULT_ROOT;
        tcb_status st = find_zones(s, root, d);
        if (st != TCB_OK) {
            free(s);
            return st;
        }
    }
    *state = s;
    return TCB_OK;
}

/* A failed read is kept, not returned: the window goes on, and end() turns
 * it into an invalid reading for that zone alone. */
static tcb_status rapl_begin(void *state, tcb_diag *d)
{
    (void)d;
    rapl_state *s = state;
    s->t_begin = tcb_now();
    for (int i = 0; i < s->n; i++) {
        rapl_zone *z = &s->zone[i];
        int err = read_uj(z->energy_path, &z->before_uj);
        z->have_before = err == 0;
        snprintf(z->before_error, sizeof z->before_error, "%s", err != 0 ? strerror(err) : "");
    }
    s->begun = true;
    return TCB_OK;
}

/* One zone's reading. The delta is trusted when the counter moved forward,
 * or backward by a wrap through max_energy_range_uj, and the result is
 * plausible. Implausible ("counter jumped"), so flagged invalid:
 *  - more than half the counter's range in one window: a decrease that small
 *    is a reset or a glitch rather than a wrap, and with that much energy a
 *    second wrap would be invisible anyway;
 *  - more than MAX_PLAUSIBLE_WATTS over the window's duration.
 * A window shorter than the counter's update period is flagged too. */
static void zone_reading(const rapl_zone *z, int after_err, double after_uj, double seconds,
                         tcb_energy_reading *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->device, sizeof r->device, "%s", z->device);
    r->method = TCB_ENERGY_COUNTER;
    r->scope = z->scope;
    r->node_level = true;
    r->valid = false;

    if (!z->have_before) {
        snprintf(r->flag, sizeof r->flag, "energy_uj unreadable at window begin: %s",
                 z->before_error);
        return;
    }
    if (after_err != 0) {
        snprintf(r->flag, sizeof r->flag, "energy_uj unreadable at window end: %s",
                 strerror(after_err));
        return;
    }
    if (seconds < UPDATE_PERIOD_S) {
        snprintf(r->flag, sizeof r->flag,
                 "window of %.3g s is shorter than the counter's ~1 ms update period", seconds);
        return;
    }
    bool ok;
    double uj = tcb_energy_counter_delta(z->before_uj, after_uj, z->max_range_uj, &ok);
    if (!ok) {
        snprintf(r->flag, sizeof r->flag, "counter went backwards and its range is unknown");
        return;
    }
    double joules = uj * 1e-6;
    if (z->max_range_uj > 0 && uj > z->max_range_uj / 2) {
        snprintf(r->flag, sizeof r->flag,
                 "counter jumped: %.0f J is over half its %.0f J range; a wrap cannot be "
                 "told from a reset",
                 joules, z->max_range_uj * 1e-6);
        return;
    }
    if (joules > MAX_PLAUSIBLE_WATTS * seconds) {
        snprintf(r->flag, sizeof r->flag, "counter jumped: %.3g J in %.3g s is over %.0f W",
                 joules, seconds, MAX_PLAUSIBLE_WATTS);
        return;
    }
    r->valid = true;
    r->joules = joules;
    /* Each end can be off by up to one update period. */
    if (seconds < CAVEAT_PERIODS * UPDATE_PERIOD_S)
        snprintf(r->flag, sizeof r->flag,
                 "window of %.3g s is under %d of the counter's ~1 ms update periods: "
                 "up to +-%.2g%% from its steps",
                 seconds, CAVEAT_PERIODS, 200 * UPDATE_PERIOD_S / seconds);
}

static tcb_status rapl_end(void *state, tcb_energy_reading *out, int *n, tcb_diag *d)
{
    rapl_state *s = state;
    *n = 0;
    if (!s->begun)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "rapl: window ended without a begin");
    s->begun = false;
    /* Counters first, clock last: begin took the clock first, so the
     * duration covers every read and the plausibility bound errs generous. */
    int err[TCB_ENERGY_MAX_READINGS];
    double after_uj[TCB_ENERGY_MAX_READINGS];
    for (int i = 0; i < s->n; i++) {
        after_uj[i] = 0;
        err[i] = read_uj(s->zone[i].energy_path, &after_uj[i]);
    }
    double seconds = tcb_now() - s->t_begin;
    for (int i = 0; i < s->n; i++)
        zone_reading(&s->zone[i], err[i], after_uj[i], seconds, &out[i]);
    *n = s->n;
    return TCB_OK;
}

static void rapl_close(void *state)
{
    free(state);
}

const tcb_energy_backend tcb_energy_rapl = {
    .name = "rapl",
    .summary = "CPU package and DRAM energy counters from Linux powercap, one rank per node",
    .node_level = true,
    .open = rapl_open,
    .begin = rapl_begin,
    .end = rapl_end,
    .close = rapl_close,
};
