/* The energy registry, the counter arithmetic, and the rapl and none
 * backends. rapl reads a powercap tree built in a temp dir at test time, laid
 * out as /sys/class/powercap is: two packages, each with a core and a dram
 * subzone, and the subzones linked again at the top level as sysfs does.
 * Each window sleeps WINDOW_US: longer than the counters' ~1 ms update
 * period, and long enough that the backend's power plausibility bound
 * (10 kW) leaves room for the joule-sized deltas written here. */
/* nftw: the fixture tree is removed with it. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE

#include "energy.h"
#include "timer.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WINDOW_US 20000
/* A real Intel package range: 2^38 - 1 µJ-ish, about 262 kJ. */
#define RANGE_UJ 262143328850ULL

static char root[128]; /* a mkdtemp path; each test runs in its own process */
static uid_t saved_euid;

/* ---- the fixture tree ---------------------------------------------------- */

static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static void put_uj(const char *zone, unsigned long long uj)
{
    char rel[256], text[32];
    snprintf(rel, sizeof rel, "%s/energy_uj", zone);
    snprintf(text, sizeof text, "%llu\n", uj);
    put(rel, text);
}

static void make_zone(const char *zone, const char *name, unsigned long long uj)
{
    char path[512], rel[256], text[64];
    snprintf(path, sizeof path, "%s/%s", root, zone);
    cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s: %s", path, strerror(errno));
    snprintf(rel, sizeof rel, "%s/name", zone);
    snprintf(text, sizeof text, "%s\n", name);
    put(rel, text);
    snprintf(rel, sizeof rel, "%s/max_energy_range_uj", zone);
    snprintf(text, sizeof text, "%llu\n", RANGE_UJ);
    put(rel, text);
    put_uj(zone, uj);
}

static void link_top(const char *zone, const char *target)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, zone);
    cr_assert_eq(symlink(target, path), 0, "symlink %s: %s", path, strerror(errno));
}

static void make_empty_root(void)
{
    saved_euid = geteuid();
    snprintf(root, sizeof root, "%s/tcb-energy-XXXXXX", P_tmpdir);
    cr_assert_not_null(mkdtemp(root), "mkdtemp: %s", strerror(errno));
    /* 0755, so the permission test can read it as another user. */
    chmod(root, 0755);
}

static void make_tree(void)
{
    make_empty_root();
    make_zone("intel-rapl:0", "package-0", 1000000);
    make_zone("intel-rapl:0/intel-rapl:0:0", "core", 500000);
    make_zone("intel-rapl:0/intel-rapl:0:1", "dram", 2000000);
    make_zone("intel-rapl:1", "package-1", 3000000);
    make_zone("intel-rapl:1/intel-rapl:1:0", "core", 700000);
    make_zone("intel-rapl:1/intel-rapl:1:1", "dram", 4000000);
    link_top("intel-rapl:0:0", "intel-rapl:0/intel-rapl:0:0");
    link_top("intel-rapl:0:1", "intel-rapl:0/intel-rapl:0:1");
    link_top("intel-rapl:1:0", "intel-rapl:1/intel-rapl:1:0");
    link_top("intel-rapl:1:1", "intel-rapl:1/intel-rapl:1:1");
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tree(void)
{
    if (geteuid() != saved_euid && seteuid(saved_euid) != 0)
        return;
    if (root[0] != '\0')
        nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- running the backend ------------------------------------------------- */

static tcb_energy_config reader_config(void)
{
    return (tcb_energy_config){.powercap_root = root, .device = -1, .node_reader = true,
                               .sample_period_s = 0.1};
}

static void *open_ok(const tcb_energy_config *cfg)
{
    void *state = NULL;
    tcb_diag d = {""};
    tcb_status st = tcb_energy_rapl.open(cfg, &state, &d);
    cr_assert_eq(st, TCB_OK, "rapl open failed: %s", d.msg);
    return state;
}

static void begin_ok(void *state)
{
    tcb_diag d = {""};
    cr_assert_eq(tcb_energy_rapl.begin(state, &d), TCB_OK, "begin: %s", d.msg);
}

static void pause_window(void)
{
    struct timespec ts = {0, WINDOW_US * 1000L};
    nanosleep(&ts, NULL);
}

static int end_ok(void *state, tcb_energy_reading *out)
{
    tcb_diag d = {""};
    int n = -1;
    cr_assert_eq(tcb_energy_rapl.end(state, out, &n, &d), TCB_OK, "end: %s", d.msg);
    cr_assert(n >= 0 && n <= TCB_ENERGY_MAX_READINGS);
    return n;
}

static const tcb_energy_reading *reading_of(const tcb_energy_reading *r, int n, const char *dev)
{
    for (int i = 0; i < n; i++)
        if (strcmp(r[i].device, dev) == 0)
            return &r[i];
    cr_assert_fail("no reading for %s", dev);
    return NULL;
}

static void assert_joules(const tcb_energy_reading *r, double want)
{
    cr_assert(r->valid, "%s invalid: %s", r->device, r->flag);
    cr_assert_float_eq(r->joules, want, 1e-9, "%s: %.9f J, want %.9f", r->device, r->joules,
                       want);
}

/* ---- rapl ---------------------------------------------------------------- */

Test(energy, rapl_reads_counter_change, .init = make_tree, .fini = remove_tree)
{
    tcb_energy_config cfg = reader_config();
    void *s = open_ok(&cfg);
    begin_ok(s);
    pause_window();
    put_uj("intel-rapl:0", 1000000 + 1500000);                /* 1.5 J */
    put_uj("intel-rapl:0/intel-rapl:0:1", 2000000 + 250000);  /* 0.25 J */
    put_uj("intel-rapl:1", 3000000 + 2750000);                /* 2.75 J */
    put_uj("intel-rapl:1/intel-rapl:1:1", 4000000 + 125);     /* 0.000125 J */
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    int n = end_ok(s, r);
    cr_assert_eq(n, 4);
    /* Packages in order, each followed by its DRAM. */
    const char *order[] = {"package-0", "package-0/dram", "package-1", "package-1/dram"};
    for (int i = 0; i < 4; i++) {
        cr_assert_str_eq(r[i].device, order[i]);
        cr_assert_eq(r[i].method, TCB_ENERGY_COUNTER);
        cr_assert_eq(r[i].scope, i % 2 == 0 ? TCB_ENERGY_CPU_PACKAGE : TCB_ENERGY_DRAM);
        cr_assert(r[i].node_level);
        /* A few ms: valid, with the counter's step as a caveat. */
        cr_assert_not_null(strstr(r[i].flag, "update periods: up to +-"), "%s", r[i].flag);
    }
    assert_joules(&r[0], 1.5);
    assert_joules(&r[1], 0.25);
    assert_joules(&r[2], 2.75);
    assert_joules(&r[3], 0.000125);

    /* A second window starts from the counters as they are now. */
    begin_ok(s);
    pause_window();
    put_uj("intel-rapl:0", 1000000 + 1500000 + 1000000);
    n = end_ok(s, r);
    assert_joules(reading_of(r, n, "package-0"), 1.0);
    assert_joules(reading_of(r, n, "package-1"), 0.0);
    tcb_energy_rapl.close(s);
}

Test(energy, rapl_counter_wraps, .init = make_tree, .fini = remove_tree)
{
    put_uj("intel-rapl:1", RANGE_UJ - 1000000); /* 1 J before the wrap */
    tcb_energy_config cfg = reader_config();
    void *s = open_ok(&cfg);
    begin_ok(s);
    pause_window();
    put_uj("intel-rapl:1", 2500000); /* 2.5 J after it */
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    int n = end_ok(s, r);
    assert_joules(reading_of(r, n, "package-1"), 3.5);
    assert_joules(reading_of(r, n, "package-0"), 0.0);
    tcb_energy_rapl.close(s);
}

Test(energy, rapl_skips_core_uncore_and_psys, .init = make_tree, .fini = remove_tree)
{
    make_zone("intel-rapl:0/intel-rapl:0:2", "uncore", 100);
    make_zone("intel-rapl:2", "psys", 100);
    make_zone("intel-rapl-mmio:0", "package-0", 100);
    tcb_energy_config cfg = reader_config();
    void *s = open_ok(&cfg);
    begin_ok(s);
    pause_window();
    /* Were core, uncore, psys or the MMIO copy counted, these would show. */
    put_uj("intel-rapl:0/intel-rapl:0:0", 500000 + 900000);
    put_uj("intel-rapl:1/intel-rapl:1:0", 700000 + 900000);
    put_uj("intel-rapl:0/intel-rapl:0:2", 100 + 900000);
    put_uj("intel-rapl:2", 100 + 900000);
    put_uj("intel-rapl-mmio:0", 100 + 900000);
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    int n = end_ok(s, r);
    cr_assert_eq(n, 4, "%d readings: core, uncore, psys or mmio zones were read", n);
    for (int i = 0; i < n; i++)
        assert_joules(&r[i], 0.0);
    tcb_energy_rapl.close(s);
}

Test(energy, rapl_non_reader_reads_nothing, .init = make_tree, .fini = remove_tree)
{
    /* Not even the root is looked at: a rank that is not the node reader
     * opens on a node where RAPL is unreadable to it. */
    tcb_energy_config cfg = reader_config();
    cfg.node_reader = false;
    cfg.powercap_root = "/nonexistent/powercap";
    void *s = open_ok(&cfg);
    begin_ok(s);
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    cr_assert_eq(end_ok(s, r), 0);
    tcb_energy_rapl.close(s);

    cfg.powercap_root = root;
    s = open_ok(&cfg);
    begin_ok(s);
    put_uj("intel-rapl:0", 9000000);
    cr_assert_eq(end_ok(s, r), 0);
    tcb_energy_rapl.close(s);
}

/* The EACCES branch needs a user the file's mode stops. Criterion runs each
 * test in its own process, so as root this one drops to nobody with seteuid
 * (the saved uid lets .fini come back to clean up). Skipped when that is not
 * possible, or when the dropped user can still read the file. */
Test(energy, rapl_permission_message, .init = make_tree, .fini = remove_tree)
{
    char path[512];
    snprintf(path, sizeof path, "%s/intel-rapl:1/intel-rapl:1:1/energy_uj", root);
    cr_assert_eq(chmod(path, 0), 0);
    if (geteuid() == 0 && seteuid(65534) != 0)
        cr_skip_test("running as root and cannot seteuid(65534) (%s): the EACCES branch of "
                     "rapl open is not exercised",
                     strerror(errno));
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        close(fd);
        cr_skip_test("%s is mode 000 and still readable (CAP_DAC_OVERRIDE?): the EACCES "
                     "branch of rapl open is not exercised",
                     path);
    }
    cr_assert_eq(errno, EACCES);

    tcb_energy_config cfg = reader_config();
    void *s = NULL;
    tcb_diag d = {""};
    cr_assert_eq(tcb_energy_rapl.open(&cfg, &s, &d), TCB_ERR_CONFIG, "open: %s", d.msg);
    cr_assert_not_null(strstr(d.msg, path), "message does not name %s: %s", path, d.msg);
    cr_assert_not_null(strstr(d.msg, "Permission denied"), "%s", d.msg);
    char command[1024];
    snprintf(command, sizeof command,
             "sudo chmod o+r %s/intel-rapl:*/energy_uj %s/intel-rapl:*/intel-rapl:*/energy_uj",
             root, root);
    cr_assert_not_null(strstr(d.msg, command), "message lacks the command: %s", d.msg);
}

Test(energy, rapl_no_zones_message, .init = make_empty_root, .fini = remove_tree)
{
    tcb_energy_config cfg = reader_config();
    void *s = NULL;
    tcb_diag d = {""};
    char want[256];

    /* An empty powercap dir, and one holding only a non-package zone. */
    cr_assert_eq(tcb_energy_rapl.open(&cfg, &s, &d), TCB_ERR_CONFIG);
    snprintf(want, sizeof want, "no RAPL zones under %s", root);
    cr_assert_not_null(strstr(d.msg, want), "%s", d.msg);
    make_zone("intel-rapl:0", "psys", 1);
    d.msg[0] = '\0';
    cr_assert_eq(tcb_energy_rapl.open(&cfg, &s, &d), TCB_ERR_CONFIG);
    cr_assert_not_null(strstr(d.msg, want), "%s", d.msg);

    /* No powercap dir at all. */
    cfg.powercap_root = "/nonexistent/powercap";
    d.msg[0] = '\0';
    cr_assert_eq(tcb_energy_rapl.open(&cfg, &s, &d), TCB_ERR_CONFIG);
    cr_assert_not_null(strstr(d.msg, "no RAPL zones under /nonexistent/powercap"), "%s", d.msg);
}

Test(energy, rapl_failed_read_flags_that_zone, .init = make_tree, .fini = remove_tree)
{
    tcb_energy_config cfg = reader_config();
    void *s = open_ok(&cfg);
    begin_ok(s);
    pause_window();
    char path[512];
    snprintf(path, sizeof path, "%s/intel-rapl:1/energy_uj", root);
    cr_assert_eq(unlink(path), 0);
    put_uj("intel-rapl:0", 1000000 + 500000);
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    int n = end_ok(s, r);
    cr_assert_eq(n, 4);
    const tcb_energy_reading *p1 = reading_of(r, n, "package-1");
    cr_assert_not(p1->valid);
    cr_assert_not_null(strstr(p1->flag, "window end"), "%s", p1->flag);
    cr_assert_not_null(strstr(p1->flag, strerror(ENOENT)), "%s", p1->flag);
    assert_joules(reading_of(r, n, "package-0"), 0.5);

    /* Missing at begin too: the next window says so. */
    begin_ok(s);
    n = end_ok(s, r);
    p1 = reading_of(r, n, "package-1");
    cr_assert_not(p1->valid);
    cr_assert_not_null(strstr(p1->flag, "window begin"), "%s", p1->flag);
    tcb_energy_rapl.close(s);
}

/* A 100 J range (32-bit counters in small units come close): taken as a
 * wrap, 10 µJ down is ~100 J, under 10 kW for a 20 ms window, so only the
 * half-range rule can catch it. */
Test(energy, rapl_small_decrease_is_a_jump_not_a_wrap, .init = make_tree, .fini = remove_tree)
{
    put("intel-rapl:0/max_energy_range_uj", "100000000\n");
    tcb_energy_config cfg = reader_config();
    void *s = open_ok(&cfg);
    begin_ok(s);
    pause_window();
    put_uj("intel-rapl:0", 1000000 - 10);
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    int n = end_ok(s, r);
    const tcb_energy_reading *p0 = reading_of(r, n, "package-0");
    cr_assert_not(p0->valid);
    cr_assert_not_null(strstr(p0->flag, "counter jumped"), "%s", p0->flag);
    cr_assert_not_null(strstr(p0->flag, "half"), "%s", p0->flag);
    assert_joules(reading_of(r, n, "package-1"), 0.0);

    /* A true wrap through the same small range is believed. */
    put_uj("intel-rapl:0", 100000000 - 1000000);
    begin_ok(s);
    pause_window();
    put_uj("intel-rapl:0", 500000);
    n = end_ok(s, r);
    assert_joules(reading_of(r, n, "package-0"), 1.5);
    tcb_energy_rapl.close(s);
}

/* Numeric order, not readdir's or strcmp's: intel-rapl:10 after :9. */
Test(energy, rapl_packages_in_numeric_order, .init = make_empty_root, .fini = remove_tree)
{
    const int created[] = {7, 2, 11, 0, 9, 4, 10, 1, 6, 3, 8, 5};
    for (int i = 0; i < 12; i++) {
        char zone[32], name[32];
        snprintf(zone, sizeof zone, "intel-rapl:%d", created[i]);
        snprintf(name, sizeof name, "package-%d", created[i]);
        make_zone(zone, name, 1000);
    }
    tcb_energy_config cfg = reader_config();
    void *s = open_ok(&cfg);
    begin_ok(s);
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    int n = end_ok(s, r);
    cr_assert_eq(n, 12);
    for (int i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof want, "package-%d", i);
        cr_assert_str_eq(r[i].device, want);
    }
    tcb_energy_rapl.close(s);
}

Test(energy, rapl_implausible_power_is_a_jump, .init = make_tree, .fini = remove_tree)
{
    tcb_energy_config cfg = reader_config();
    void *s = open_ok(&cfg);
    begin_ok(s);
    pause_window();
    /* 100 kJ: under half the range, but 10 kW for 10 s; the window is ms. */
    put_uj("intel-rapl:0/intel-rapl:0:1", 2000000 + 100000000000ULL);
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    int n = end_ok(s, r);
    const tcb_energy_reading *dram = reading_of(r, n, "package-0/dram");
    cr_assert_not(dram->valid);
    cr_assert_not_null(strstr(dram->flag, "counter jumped"), "%s", dram->flag);
    cr_assert_not_null(strstr(dram->flag, "W"), "%s", dram->flag);
    tcb_energy_rapl.close(s);
}

Test(energy, rapl_decrease_without_range_is_invalid, .init = make_tree, .fini = remove_tree)
{
    char path[512];
    snprintf(path, sizeof path, "%s/intel-rapl:0/max_energy_range_uj", root);
    cr_assert_eq(unlink(path), 0);
    tcb_energy_config cfg = reader_config();
    void *s = open_ok(&cfg);
    begin_ok(s);
    pause_window();
    put_uj("intel-rapl:0", 10);
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    int n = end_ok(s, r);
    const tcb_energy_reading *p0 = reading_of(r, n, "package-0");
    cr_assert_not(p0->valid);
    cr_assert_not_null(strstr(p0->flag, "backwards"), "%s", p0->flag);
    tcb_energy_rapl.close(s);
}

Test(energy, rapl_window_shorter_than_update_period, .init = make_tree, .fini = remove_tree)
{
    tcb_energy_config cfg = reader_config();
    void *s = open_ok(&cfg);
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    double t0 = tcb_now();
    begin_ok(s);
    int n = end_ok(s, r); /* a few file reads: well under 1 ms */
    double outside = tcb_now() - t0;
    if (outside >= 0.001) /* a preempted run: the window may really be 1 ms */
        cr_skip_test("begin..end took %.3g s, not a sub-ms window", outside);
    cr_assert_eq(n, 4);
    for (int i = 0; i < n; i++) {
        cr_assert_not(r[i].valid, "%s valid in a sub-ms window", r[i].device);
        cr_assert_not_null(strstr(r[i].flag, "update period"), "%s", r[i].flag);
    }
    tcb_energy_rapl.close(s);
}

Test(energy, rapl_end_without_begin_fails, .init = make_tree, .fini = remove_tree)
{
    tcb_energy_config cfg = reader_config();
    void *s = open_ok(&cfg);
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    tcb_diag d = {""};
    int n = -1;
    cr_assert_eq(tcb_energy_rapl.end(s, r, &n, &d), TCB_ERR_RUNTIME);
    cr_assert_eq(n, 0);
    cr_assert_neq(d.msg[0], '\0');
    tcb_energy_rapl.close(s);
}

/* ---- counter arithmetic --------------------------------------------------- */

Test(energy, counter_delta)
{
    bool valid = false;
    cr_assert_float_eq(tcb_energy_counter_delta(100, 350, 1000, &valid), 250, 1e-12);
    cr_assert(valid);
    valid = false;
    cr_assert_float_eq(tcb_energy_counter_delta(5, 5, 1000, &valid), 0, 1e-12);
    cr_assert(valid);
    valid = false; /* wraps: 900 -> 1000 (= 0) -> 50 */
    cr_assert_float_eq(tcb_energy_counter_delta(900, 50, 1000, &valid), 150, 1e-12);
    cr_assert(valid);
    valid = false; /* no range: a forward count still counts */
    cr_assert_float_eq(tcb_energy_counter_delta(10, 30, 0, &valid), 20, 1e-12);
    cr_assert(valid);
    valid = true; /* backwards, range unknown */
    cr_assert_float_eq(tcb_energy_counter_delta(900, 50, 0, &valid), 0, 1e-12);
    cr_assert_not(valid);
    valid = true; /* a reading above the range: the range is wrong */
    cr_assert_float_eq(tcb_energy_counter_delta(1500, 100, 1000, &valid), 0, 1e-12);
    cr_assert_not(valid);
    valid = false; /* µJ ranges of real packages stay exact in a double */
    cr_assert_float_eq(tcb_energy_counter_delta(262143328849.0, 1.0, 262143328850.0, &valid), 2,
                       1e-12);
    cr_assert(valid);
}

/* ---- registry and names ---------------------------------------------------- */

Test(energy, registry_order_and_find)
{
    const char *want[] = {"nvml", "amdsmi", "rapl", "none"};
    size_t i = 0;
    for (; tcb_energy_backends[i] != NULL; i++) {
        cr_assert(i < 4, "more backends than expected: %s", tcb_energy_backends[i]->name);
        cr_assert_str_eq(tcb_energy_backends[i]->name, want[i]);
        cr_assert_eq(tcb_energy_find(want[i]), tcb_energy_backends[i]);
        cr_assert_not_null(tcb_energy_backends[i]->open);
        cr_assert_not_null(tcb_energy_backends[i]->begin);
        cr_assert_not_null(tcb_energy_backends[i]->end);
        cr_assert_not_null(tcb_energy_backends[i]->close);
    }
    cr_assert_eq(i, 4);
    cr_assert_eq(tcb_energy_find("rapl"), &tcb_energy_rapl);
    cr_assert_eq(tcb_energy_find("none"), &tcb_energy_none);
    cr_assert_eq(tcb_energy_find("nvml"), &tcb_energy_nvml);
    cr_assert_eq(tcb_energy_find("amdsmi"), &tcb_energy_amdsmi);
    cr_assert_null(tcb_energy_find("auto"));
    cr_assert_null(tcb_energy_find("RAPL"));
    cr_assert_null(tcb_energy_find(""));
    cr_assert_null(tcb_energy_find(NULL));
}

Test(energy, names)
{
    cr_assert_str_eq(tcb_energy_method_name(TCB_ENERGY_COUNTER), "counter");
    cr_assert_str_eq(tcb_energy_method_name(TCB_ENERGY_POWER_SAMPLING), "power-sampling");
    cr_assert_str_eq(tcb_energy_scope_name(TCB_ENERGY_GPU), "gpu");
    cr_assert_str_eq(tcb_energy_scope_name(TCB_ENERGY_MODULE), "module");
    cr_assert_str_eq(tcb_energy_scope_name(TCB_ENERGY_CPU_PACKAGE), "cpu-package");
    cr_assert_str_eq(tcb_energy_scope_name(TCB_ENERGY_DRAM), "dram");
}

/* ---- none ---------------------------------------------------------------- */

Test(energy, none_reads_nothing)
{
    tcb_energy_config cfg = {.powercap_root = "/nonexistent", .device = -1,
                             .node_reader = true, .sample_period_s = 0.1};
    void *s = (void *)&cfg;
    tcb_diag d = {""};
    cr_assert_eq(tcb_energy_none.open(&cfg, &s, &d), TCB_OK, "%s", d.msg);
    cr_assert_eq(tcb_energy_none.begin(s, &d), TCB_OK);
    tcb_energy_reading r[TCB_ENERGY_MAX_READINGS];
    int n = 7;
    cr_assert_eq(tcb_energy_none.end(s, r, &n, &d), TCB_OK);
    cr_assert_eq(n, 0);
    tcb_energy_none.close(s);
}
