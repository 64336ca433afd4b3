/* Facts about this machine that hwloc does not summarize: who it is, what CPU
 * model and kernel it runs, how much memory the OS sees. Recorded per node in
 * run.json beside the topology, so a result can be traced to the machine. */
#include "topology.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* If line is "key<spaces/tabs>: value", copies value (without its newline) into
 * out and returns 1. /proc/cpuinfo pads keys with tabs ("model name\t: ..."). */
static int cpuinfo_value(const char *line, const char *key, char *out, size_t outsz)
{
    size_t klen = strlen(key);
    if (strncmp(line, key, klen) != 0)
        return 0;
    const char *p = line + klen;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != ':')
        return 0;
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, "\r\n");
    if (n == 0)
        return 0;
    if (n >= outsz)
        n = outsz - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

/* The CPU model as /proc/cpuinfo names it. x86 has "model name"; old 32-bit ARM
 * kernels have "Processor"; POWER has "cpu"; arm64 has only the implementer and
 * part numbers, which identify the core (0x41/0xd4f is a Neoverse V2) but not
 * the product, so they are reported as such. Falls back to the machine name. */
static void cpu_model(char *out, size_t outsz, const char *machine)
{
    char model[256] = "", processor[256] = "", cpu[256] = "", impl[32] = "", part[32] = "";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f != NULL) {
        char line[1024];
        while (fgets(line, sizeof line, f) != NULL) {
            /* First occurrence only: the file repeats each key per CPU. */
            if (!model[0] && cpuinfo_value(line, "model name", model, sizeof model))
                break;
            if (!processor[0])
                cpuinfo_value(line, "Processor", processor, sizeof processor);
            if (!cpu[0])
                cpuinfo_value(line, "cpu", cpu, sizeof cpu);
            if (!impl[0])
                cpuinfo_value(line, "CPU implementer", impl, sizeof impl);
            if (!part[0])
                cpuinfo_value(line, "CPU part", part, sizeof part);
        }
        fclose(f);
    }
    if (model[0])
        snprintf(out, outsz, "%s", model);
    else if (processor[0])
        snprintf(out, outsz, "%s", processor);
    else if (cpu[0])
        snprintf(out, outsz, "%s", cpu);
    else if (part[0])
        snprintf(out, outsz, "%s CPU implementer %s part %s", machine, impl[0] ? impl : "?",
                 part);
    else
        snprintf(out, outsz, "%s", machine);
}

/* Returns a new object; the caller frees it with json_decref. NULL only when
 * memory runs out. Fields the OS will not tell are null rather than missing,
 * so every node object has the same keys. */
json_t *tcb_sysinfo_collect(void)
{
    char host[256];
    int have_host = gethostname(host, sizeof host) == 0;
    host[sizeof host - 1] = '\0'; /* POSIX leaves truncation unterminated */

    struct utsname u;
    int have_uname = uname(&u) == 0;
    char kernel[3 * sizeof u.release + 3] = "";
    if (have_uname)
        snprintf(kernel, sizeof kernel, "%s %s %s", u.sysname, u.release, u.machine);

    char model[256];
    cpu_model(model, sizeof model, have_uname ? u.machine : "unknown");

    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES);
    long page_size = sysconf(_SC_PAGESIZE);

    json_t *out = json_pack("{s:s?, s:s, s:o, s:o, s:s?}", "hostname", have_host ? host : NULL,
                            "cpu_model", model, "cpus_online",
                            cpus > 0 ? json_integer(cpus) : json_null(), "memory_bytes",
                            pages > 0 && page_size > 0
                                ? json_integer((json_int_t)pages * page_size)
                                : json_null(),
                            "kernel", have_uname ? kernel : NULL);
    return out;
}
