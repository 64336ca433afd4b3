/* A live powercap tree for the MPI energy test: what /sys/class/powercap
 * looks like to the rapl backend while a CPU draws a steady power, on a
 * machine whose VM has no RAPL.
 *
 *   tcb_powercap_play ROOT PKG_W DRAM_W RANGE_J WRAP_AFTER_S SECONDS
 *
 * builds ROOT/intel-rapl:0 (package-0) with subzones core (which the backend
 * must skip: it lies inside the package) and dram, then rewrites every
 * energy_uj each millisecond as watts x elapsed time, modulo the range, for
 * SECONDS (or until SIGTERM). The counters start WRAP_AFTER_S seconds short
 * of the range, so they wrap once that long after the start. ROOT/ready
 * appears once the first values are in place. Each file is replaced by a
 * rename, so a reader sees the old value or the new one, never half. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int put(const char *dir, const char *name, const char *text)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

typedef struct {
    char dir[4096];
    double watts;
} zone;

static int make_zone(zone *z, const char *dir, const char *name, double watts, double range_uj)
{
    snprintf(z->dir, sizeof z->dir, "%s", dir);
    z->watts = watts;
    char text[64];
    snprintf(text, sizeof text, "%.0f", range_uj);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror(dir);
        return -1;
    }
    return put(dir, "name", name) || put(dir, "max_energy_range_uj", text);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s ROOT PKG_W DRAM_W RANGE_J WRAP_AFTER_S SECONDS\n", argv[0]);
        return 2;
    }
    const char *root = argv[1];
    double pkg_w = atof(argv[2]), dram_w = atof(argv[3]), range_uj = atof(argv[4]) * 1e6;
    double wrap_after = atof(argv[5]), seconds = atof(argv[6]);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);

    char pkg[4096], sub[4200];
    snprintf(pkg, sizeof pkg, "%s/intel-rapl:0", root);
    zone z[3];
    if (mkdir(root, 0755) != 0 && errno != EEXIST) {
        perror(root);
        return 1;
    }
    if (make_zone(&z[0], pkg, "package-0", pkg_w, range_uj))
        return 1;
    snprintf(sub, sizeof sub, "%s/intel-rapl:0:0", pkg);
    if (make_zone(&z[1], sub, "core", 0.8 * pkg_w, range_uj)) /* inside the package */
        return 1;
    snprintf(sub, sizeof sub, "%s/intel-rapl:0:1", pkg);
    if (make_zone(&z[2], sub, "dram", dram_w, range_uj))
        return 1;

    double t0 = now();
    struct timespec ms = {0, 1000000};
    for (int first = 1; !stop && now() - t0 < seconds; first = 0) {
        double t = now() - t0;
        for (int i = 0; i < 3; i++) {
            double uj = fmod(range_uj - z[i].watts * wrap_after * 1e6 + z[i].watts * t * 1e6,
                             range_uj);
            char text[64];
            snprintf(text, sizeof text, "%.0f", uj);
            if (put(z[i].dir, "energy_uj", text) != 0)
                return 1;
        }
        if (first && put(root, "ready", "1") != 0)
            return 1;
        nanosleep(&ms, NULL);
    }
    return 0;
}
