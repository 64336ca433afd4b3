/* `tcbench topo`: one compact block per node, read by a person deciding whether
 * the ranks landed where they should (which GPUs and NICs sit on which NUMA
 * node). The JSON from tcb_topology_summary / tcb_sysinfo_collect is the input,
 * so a block can be printed for any node gathered over MPI, and for run.json
 * files written by older or newer versions: missing keys and nulls are skipped,
 * never fatal. */
#include "topology.h"

#include <string.h>

#define LABEL "  %-9s" /* "  CPU      ", so values line up in one column */
#define NUMA_PER_LINE 4

static const char *get_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key)); /* NULL if absent or not a string */
}

static int get_int(const json_t *obj, const char *key, json_int_t *v)
{
    const json_t *j = json_object_get(obj, key);
    if (!json_is_integer(j))
        return 0;
    *v = json_integer_value(j);
    return 1;
}

/* "32 KiB", "1.5 TiB": binary units because caches and DIMMs come in powers of
 * two; one decimal only when the value is not whole in its unit. */
static void fmt_bytes(char *buf, size_t n, json_int_t bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        u++;
    }
    char num[32];
    snprintf(num, sizeof num, "%.1f", v);
    size_t len = strlen(num);
    if (len > 2 && strcmp(num + len - 2, ".0") == 0)
        num[len - 2] = '\0';
    snprintf(buf, n, "%s %s", num, units[u]);
}

/* Prints ", " before every item but the first of a line under construction. */
static void item(FILE *out, int *first)
{
    if (!*first)
        fputs(", ", out);
    *first = 0;
}

static void print_count(FILE *out, int *first, const json_t *topo, const char *key,
                        const char *one, const char *many)
{
    json_int_t v;
    if (!get_int(topo, key, &v))
        return;
    item(out, first);
    fprintf(out, "%" JSON_INTEGER_FORMAT " %s", v, v == 1 ? one : many);
}

/* "0-3,8": runs of consecutive integers collapsed, as cpusets are written. */
static void print_ranges(FILE *out, const json_t *arr)
{
    size_t n = json_array_size(arr), i = 0;
    int first = 1;
    while (i < n) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_integer(v)) {
            i++;
            continue;
        }
        json_int_t lo = json_integer_value(v), hi = lo;
        while (i + 1 < n && json_is_integer(json_array_get(arr, i + 1)) &&
               json_integer_value(json_array_get(arr, i + 1)) == hi + 1) {
            hi++;
            i++;
        }
        i++;
        fprintf(out, "%s%" JSON_INTEGER_FORMAT, first ? "" : ",", lo);
        if (hi != lo)
            fprintf(out, "-%" JSON_INTEGER_FORMAT, hi);
        first = 0;
    }
}

/* "node0  host gpu-a07  Linux 6.1.0-18-amd64 x86_64  ranks 0-7" */
static void print_header(FILE *out, const json_t *node, const json_t *sys)
{
    json_int_t idx;
    const char *host = get_str(sys, "hostname"), *kernel = get_str(sys, "kernel");
    if (host == NULL) /* the node list of nodes.c names the host beside sysinfo */
        host = get_str(node, "hostname");
    const char *sep = "";
    if (get_int(node, "node", &idx)) {
        fprintf(out, "node%" JSON_INTEGER_FORMAT, idx);
        sep = "  ";
    }
    fprintf(out, "%shost %s", sep, host ? host : "?");
    if (kernel != NULL)
        fprintf(out, "  %s", kernel);
    const json_t *ranks = json_object_get(node, "ranks");
    if (json_array_size(ranks) > 0) {
        fputs("  ranks ", out);
        print_ranges(out, ranks);
    }
    fputc('\n', out);
}

static void print_cpu(FILE *out, const json_t *sys, const json_t *topo)
{
    int first = 1;
    fprintf(out, LABEL, "CPU");
    const char *model = get_str(sys, "cpu_model");
    if (model != NULL) {
        item(out, &first);
        fputs(model, out);
    }
    print_count(out, &first, topo, "packages", "package", "packages");
    print_count(out, &first, topo, "cores", "core", "cores");
    print_count(out, &first, topo, "pus", "PU", "PUs");
    print_count(out, &first, topo, "numa_nodes", "NUMA node", "NUMA nodes");

    /* What the OS reports, else what the NUMA nodes add up to. */
    json_int_t mem = 0, m;
    if (!get_int(sys, "memory_bytes", &mem)) {
        size_t i;
        const json_t *n;
        json_array_foreach(json_object_get(topo, "numa"), i, n) {
            if (get_int(n, "memory_bytes", &m))
                mem += m;
        }
    }
    if (mem > 0) {
        char b[32];
        fmt_bytes(b, sizeof b, mem);
        item(out, &first);
        fputs(b, out);
    }
    if (first)
        fputs("?", out);
    fputc('\n', out);
}

static void print_caches(FILE *out, const json_t *topo)
{
    const json_t *caches = json_object_get(topo, "caches");
    if (json_array_size(caches) == 0)
        return;
    fprintf(out, LABEL, "caches");
    int first = 1;
    size_t i;
    const json_t *c;
    json_array_foreach(caches, i, c) {
        json_int_t level = 0, size = 0, count = 0;
        get_int(c, "level", &level);
        get_int(c, "size_bytes", &size);
        get_int(c, "count", &count);
        const char *type = get_str(c, "type");
        const char *suffix = !type                            ? ""
                             : strcmp(type, "data") == 0        ? "d"
                             : strcmp(type, "instruction") == 0 ? "i"
                                                                : "";
        char b[32];
        fmt_bytes(b, sizeof b, size);
        item(out, &first);
        fprintf(out, "L%" JSON_INTEGER_FORMAT "%s %s x%" JSON_INTEGER_FORMAT, level, suffix, b,
                count);
    }
    fputc('\n', out);
}

static void print_numa(FILE *out, const json_t *topo)
{
    const json_t *numa = json_object_get(topo, "numa");
    if (json_array_size(numa) == 0)
        return;
    size_t i;
    const json_t *n;
    json_array_foreach(numa, i, n) {
        if (i % NUMA_PER_LINE == 0)
            fprintf(out, "%s" LABEL, i ? "\n" : "", i ? "" : "NUMA");
        else
            fputs("   ", out);
        json_int_t os = -1, mem = 0;
        get_int(n, "os_index", &os);
        get_int(n, "memory_bytes", &mem);
        const char *cpus = get_str(n, "cpuset"), *subtype = get_str(n, "subtype");
        char b[32];
        fmt_bytes(b, sizeof b, mem);
        fprintf(out, "%" JSON_INTEGER_FORMAT ": %s", os, b);
        if (cpus != NULL && cpus[0] != '\0')
            fprintf(out, " cpus %s", cpus);
        else if (cpus != NULL)
            fputs(" no cpus", out);
        if (subtype != NULL)
            fprintf(out, " (%s)", subtype);
    }
    fputc('\n', out);
}

/* Prints the integers or strings of arr joined by sep. */
static void print_list(FILE *out, const json_t *arr, const char *sep)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) {
        if (i)
            fputs(sep, out);
        if (json_is_integer(v))
            fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_string(v))
            fputs(json_string_value(v), out);
        else
            fputs("?", out);
    }
}

/* "GPU      0000:17:00.0 10de:2335 NVIDIA H200 (cuda0, nvml0) NUMA 0" */
static void print_devices(FILE *out, const json_t *topo, const char *key, const char *label)
{
    const json_t *devs = json_object_get(topo, key);
    if (!json_is_array(devs))
        return;
    if (json_array_size(devs) == 0) {
        fprintf(out, LABEL "none\n", label);
        return;
    }
    size_t i;
    const json_t *d;
    json_array_foreach(devs, i, d) {
        const char *pci = get_str(d, "pci"), *vendor = get_str(d, "vendor_id");
        const char *device = get_str(d, "device_id"), *name = get_str(d, "name");
        fprintf(out, LABEL "%s %s:%s", label, pci ? pci : "?", vendor ? vendor : "?",
                device ? device : "?");
        if (name != NULL)
            fprintf(out, " %s", name);
        const json_t *osdevs = json_object_get(d, "os_devices");
        if (json_array_size(osdevs) > 0) {
            fputs(" (", out);
            print_list(out, osdevs, ", ");
            fputc(')', out);
        }
        const json_t *numa = json_object_get(d, "numa");
        if (json_array_size(numa) > 0) {
            fputs(" NUMA ", out);
            print_list(out, numa, ",");
        }
        fputc('\n', out);
    }
}

void tcb_topology_print(FILE *out, const json_t *node)
{
    const json_t *sys = json_object_get(node, "sysinfo");
    const json_t *topo = json_object_get(node, "topology");
    print_header(out, node, sys);
    print_cpu(out, sys, topo);
    const char *err = get_str(node, "topology_error");
    if (err != NULL)
        fprintf(out, LABEL "unavailable: %s\n", "topology", err);
    print_caches(out, topo);
    print_numa(out, topo);
    print_devices(out, topo, "gpus", "GPU");
    print_devices(out, topo, "nics", "NIC");
}
