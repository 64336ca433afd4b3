/* Topology summary, sysinfo and the `tcbench topo` block, checked against hwloc
 * synthetic topologies and a hand-written XML machine (tests/fixtures/
 * topo-2gpu-1nic.xml: 2 packages, 2 NUMA nodes, an H200 under each, a
 * ConnectX-7 and a SATA controller under package 0). Nothing here depends on
 * the build machine beyond "its values are positive". */
#include "topology.h"

#include <criterion/criterion.h>
#include <hwloc.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURE "xml:" TCB_FIXTURES "/topo-2gpu-1nic.xml"

static json_t *summary_ok(const char *source)
{
    tcb_status st = TCB_ERR_RUNTIME;
    tcb_diag d = {""};
    json_t *t = tcb_topology_summary(source, &st, &d);
    cr_assert_not_null(t, "summary of '%s' failed: %s", source ? source : "local", d.msg);
    cr_assert_eq(st, TCB_OK);
    return t;
}

static json_int_t int_at(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    cr_assert(json_is_integer(v), "'%s' is not an integer", key);
    return json_integer_value(v);
}

static const char *str_at(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    cr_assert(json_is_string(v), "'%s' is not a string", key);
    return json_string_value(v);
}

/* Asserts that arr holds exactly the given strings, in order. */
static void assert_strings(const json_t *arr, const char *const *want, size_t n)
{
    cr_assert_eq(json_array_size(arr), n);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(json_string_value(json_array_get(arr, i)), want[i]);
}

/* Asserts that arr holds exactly the given integers, in order. */
static void assert_ints(const json_t *arr, const int *want, size_t n)
{
    cr_assert_eq(json_array_size(arr), n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(json_integer_value(json_array_get(arr, i)), want[i]);
}

static void assert_cache(const json_t *c, int level, const char *type, json_int_t size,
                         int count)
{
    cr_assert_eq(int_at(c, "level"), level);
    cr_assert_str_eq(str_at(c, "type"), type);
    cr_assert_eq(int_at(c, "size_bytes"), size, "L%d %s size %lld", level, type,
                 (long long)int_at(c, "size_bytes"));
    cr_assert_eq(int_at(c, "count"), count, "L%d %s count %lld", level, type,
                 (long long)int_at(c, "count"));
}

/* ---- synthetic topologies ---------------------------------------------- */

Test(topology, synthetic_counts_and_numa_cpusets)
{
    json_t *t = summary_ok("synthetic:pack:2 numa:2 l3:1 core:8 pu:2");
    cr_assert_eq(int_at(t, "packages"), 2);
    cr_assert_eq(int_at(t, "numa_nodes"), 4);
    cr_assert_eq(int_at(t, "cores"), 32);
    cr_assert_eq(int_at(t, "pus"), 64);

    const json_t *numa = json_object_get(t, "numa");
    cr_assert_eq(json_array_size(numa), 4);
    static const char *const cpusets[] = {"0-15", "16-31", "32-47", "48-63"};
    for (size_t i = 0; i < 4; i++) {
        const json_t *n = json_array_get(numa, i);
        cr_assert_eq(int_at(n, "os_index"), (json_int_t)i);
        cr_assert_str_eq(str_at(n, "cpuset"), cpusets[i]);
        cr_assert_gt(int_at(n, "memory_bytes"), 0);
    }

    /* One L3 per NUMA node, nothing else cached; no I/O at all. */
    const json_t *caches = json_object_get(t, "caches");
    cr_assert_eq(json_array_size(caches), 1);
    cr_assert_eq(int_at(json_array_get(caches, 0), "level"), 3);
    cr_assert_eq(int_at(json_array_get(caches, 0), "count"), 4);
    cr_assert_eq(json_array_size(json_object_get(t, "gpus")), 0);
    cr_assert_eq(json_array_size(json_object_get(t, "nics")), 0);
    json_decref(t);
}

Test(topology, caches_grouped_by_level_and_type)
{
    /* The brief's shape with hwloc's default sizes: 4 L2 + 4 L1d + 1 L3. */
    json_t *t = summary_ok("synthetic:pack:1 l3:1 l2:4 l1d:1 core:1 pu:2");
    const json_t *caches = json_object_get(t, "caches");
    cr_assert_eq(json_array_size(caches), 3);
    cr_assert_eq(int_at(json_array_get(caches, 0), "level"), 1);
    cr_assert_str_eq(str_at(json_array_get(caches, 0), "type"), "data");
    cr_assert_eq(int_at(json_array_get(caches, 0), "count"), 4);
    cr_assert_eq(int_at(json_array_get(caches, 1), "level"), 2);
    cr_assert_eq(int_at(json_array_get(caches, 1), "count"), 4);
    cr_assert_eq(int_at(json_array_get(caches, 2), "level"), 3);
    cr_assert_eq(int_at(json_array_get(caches, 2), "count"), 1);
    cr_assert_eq(int_at(t, "cores"), 4);
    cr_assert_eq(int_at(t, "pus"), 8);
    json_decref(t);
}

Test(topology, cache_sizes_and_instruction_caches)
{
    json_t *t = summary_ok("synthetic:pack:2 l3:1(size=32MiB) l2:4(size=1MiB) "
                           "l1d:1(size=48KiB) l1i:1(size=32KiB) core:1 pu:2");
    const json_t *caches = json_object_get(t, "caches");
    cr_assert_eq(json_array_size(caches), 4);
    /* Ordered by level, then data / instruction / unified. */
    assert_cache(json_array_get(caches, 0), 1, "data", 48 << 10, 8);
    assert_cache(json_array_get(caches, 1), 1, "instruction", 32 << 10, 8);
    assert_cache(json_array_get(caches, 2), 2, "unified", 1 << 20, 8);
    assert_cache(json_array_get(caches, 3), 3, "unified", 32 << 20, 2);
    json_decref(t);
}

/* ---- the XML machine --------------------------------------------------- */

Test(topology, fixture_counts_and_numa)
{
    json_t *t = summary_ok(FIXTURE);
    cr_assert_eq(int_at(t, "packages"), 2);
    cr_assert_eq(int_at(t, "numa_nodes"), 2);
    cr_assert_eq(int_at(t, "cores"), 4);
    cr_assert_eq(int_at(t, "pus"), 8);
    const json_t *numa = json_object_get(t, "numa");
    cr_assert_eq(json_array_size(numa), 2);
    cr_assert_str_eq(str_at(json_array_get(numa, 0), "cpuset"), "0-3");
    cr_assert_str_eq(str_at(json_array_get(numa, 1), "cpuset"), "4-7");
    cr_assert_eq(int_at(json_array_get(numa, 0), "memory_bytes"), 64LL << 30);
    cr_assert_eq(int_at(json_array_get(numa, 1), "os_index"), 1);
    json_decref(t);
}

Test(topology, fixture_gpus_with_bus_ids_os_devices_and_numa)
{
    json_t *t = summary_ok(FIXTURE);
    const json_t *gpus = json_object_get(t, "gpus");
    cr_assert_eq(json_array_size(gpus), 2);

    const json_t *g0 = json_array_get(gpus, 0), *g1 = json_array_get(gpus, 1);
    cr_assert_str_eq(str_at(g0, "pci"), "0000:17:00.0");
    cr_assert_str_eq(str_at(g0, "vendor_id"), "10de");
    cr_assert_str_eq(str_at(g0, "device_id"), "2335");
    cr_assert_str_eq(str_at(g0, "name"), "NVIDIA H200"); /* the driver's model name */
    cr_assert_str_eq(str_at(g0, "vendor"), "NVIDIA Corporation");
    static const char *const os0[] = {"cuda0", "nvml0"};
    assert_strings(json_object_get(g0, "os_devices"), os0, 2);
    assert_ints(json_object_get(g0, "numa"), (const int[]){0}, 1);

    cr_assert_str_eq(str_at(g1, "pci"), "0000:81:00.0");
    static const char *const os1[] = {"cuda1", "nvml1"};
    assert_strings(json_object_get(g1, "os_devices"), os1, 2);
    assert_ints(json_object_get(g1, "numa"), (const int[]){1}, 1);
    json_decref(t);
}

Test(topology, fixture_nic_and_no_unrelated_devices)
{
    json_t *t = summary_ok(FIXTURE);
    const json_t *nics = json_object_get(t, "nics");
    cr_assert_eq(json_array_size(nics), 1);
    const json_t *n = json_array_get(nics, 0);
    cr_assert_str_eq(str_at(n, "pci"), "0000:1a:00.0");
    cr_assert_str_eq(str_at(n, "vendor_id"), "15b3");
    cr_assert_str_eq(str_at(n, "device_id"), "1021");
    cr_assert_str_eq(str_at(n, "name"), "MT2910 Family [ConnectX-7]");
    static const char *const os[] = {"mlx5_0", "ib0"};
    assert_strings(json_object_get(n, "os_devices"), os, 2);
    assert_ints(json_object_get(n, "numa"), (const int[]){0}, 1);

    /* The SATA controller is in the fixture (and survives hwloc's "important"
     * filter, checked next) but is neither a GPU nor a NIC. */
    const char *lists[] = {"gpus", "nics"};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        const json_t *dev;
        json_array_foreach(json_object_get(t, lists[l]), i, dev)
            cr_assert_str_neq(str_at(dev, "pci"), "0000:00:17.0");
    }
    json_decref(t);
}

Test(topology, fixture_really_holds_the_sata_controller)
{
    /* Guards the previous test: it would pass vacuously if hwloc dropped the
     * device on import. */
    hwloc_topology_t topo;
    cr_assert_eq(hwloc_topology_init(&topo), 0);
    cr_assert_eq(hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT), 0);
    cr_assert_eq(hwloc_topology_set_xml(topo, TCB_FIXTURES "/topo-2gpu-1nic.xml"), 0);
    cr_assert_eq(hwloc_topology_load(topo), 0);
    hwloc_obj_t sata = hwloc_get_pcidev_by_busid(topo, 0, 0x00, 0x17, 0);
    int found = sata != NULL && sata->attr->pcidev.class_id == 0x0106;
    hwloc_topology_destroy(topo);
    cr_assert(found, "fixture lost its SATA controller 0000:00:17.0");
}

/* ---- GPUs and NICs recognized by their OS devices ---------------------- */

/* A machine with a NEC Vector Engine (class 0b40, co-processor "ve0"), a
 * QLogic HCA that reports class 0c06 (OpenFabrics "qib0"), a BMC's VGA
 * controller (class 0300, no driver), a Gaudi-like accelerator (class 1200)
 * with both a GPU and an OpenFabrics device, and one class 1200 device with
 * no OS device at all. */
static const char osdev_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE topology SYSTEM \"hwloc2.dtd\">\n"
    "<topology version=\"2.0\">\n"
    "<object type=\"Machine\" os_index=\"0\" cpuset=\"0x3\" complete_cpuset=\"0x3\" "
    "allowed_cpuset=\"0x3\" nodeset=\"0x1\" complete_nodeset=\"0x1\" allowed_nodeset=\"0x1\" "
    "gp_index=\"1\">\n"
    "<object type=\"NUMANode\" os_index=\"0\" cpuset=\"0x3\" complete_cpuset=\"0x3\" "
    "nodeset=\"0x1\" complete_nodeset=\"0x1\" gp_index=\"2\" local_memory=\"1073741824\"/>\n"
    "<object type=\"PU\" os_index=\"0\" cpuset=\"0x1\" complete_cpuset=\"0x1\" nodeset=\"0x1\" "
    "complete_nodeset=\"0x1\" gp_index=\"3\"/>\n"
    "<object type=\"PU\" os_index=\"1\" cpuset=\"0x2\" complete_cpuset=\"0x2\" nodeset=\"0x1\" "
    "complete_nodeset=\"0x1\" gp_index=\"4\"/>\n"
    "<object type=\"Bridge\" gp_index=\"10\" bridge_type=\"0-1\" depth=\"0\" "
    "bridge_pci=\"0000:[00-ff]\">\n"
    "<object type=\"PCIDev\" gp_index=\"11\" pci_busid=\"0000:03:00.0\" "
    "pci_type=\"0b40 [1bcf:001c] [1bcf:0000] 01\" pci_link_speed=\"0.0\">\n"
    "<object type=\"OSDev\" gp_index=\"12\" name=\"ve0\" osdev_type=\"5\"/>\n"
    "</object>\n"
    "<object type=\"PCIDev\" gp_index=\"13\" pci_busid=\"0000:05:00.0\" "
    "pci_type=\"0300 [1a03:2000] [1a03:2000] 41\" pci_link_speed=\"0.0\"/>\n"
    "<object type=\"PCIDev\" gp_index=\"14\" pci_busid=\"0000:06:00.0\" "
    "pci_type=\"0c06 [1077:7322] [1077:0000] 02\" pci_link_speed=\"0.0\">\n"
    "<object type=\"OSDev\" gp_index=\"15\" name=\"qib0\" osdev_type=\"3\"/>\n"
    "</object>\n"
    "<object type=\"PCIDev\" gp_index=\"16\" pci_busid=\"0000:07:00.0\" "
    "pci_type=\"1200 [1da3:1020] [1da3:0000] 01\" pci_link_speed=\"0.0\"/>\n"
    "<object type=\"PCIDev\" gp_index=\"17\" pci_busid=\"0001:c1:1f.7\" "
    "pci_type=\"1200 [1da3:1020] [1da3:0000] 01\" pci_link_speed=\"0.0\">\n"
    "<object type=\"OSDev\" gp_index=\"18\" name=\"hl0\" osdev_type=\"1\"/>\n"
    "<object type=\"OSDev\" gp_index=\"19\" name=\"hbl_0\" osdev_type=\"3\"/>\n"
    "</object>\n"
    "</object>\n"
    "</object>\n"
    "</topology>\n";

/* Writes text to a new temporary file; returns its malloc'd "xml:PATH" source
 * (caller unlinks path and frees the result). */
static char *write_temp_xml(const char *text, char *path, size_t pathsz)
{
    snprintf(path, pathsz, "/tmp/tcb_topo_XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    char *source = malloc(strlen(path) + 5);
    cr_assert_not_null(source);
    sprintf(source, "xml:%s", path);
    return source;
}

Test(topology, devices_recognized_by_class_or_os_device)
{
    char path[64];
    char *source = write_temp_xml(osdev_xml, path, sizeof path);
    tcb_status st;
    tcb_diag d = {""};
    json_t *t = tcb_topology_summary(source, &st, &d);
    unlink(path);
    free(source);
    cr_assert_not_null(t, "%s", d.msg);

    const json_t *gpus = json_object_get(t, "gpus"), *nics = json_object_get(t, "nics");
    cr_assert_eq(json_array_size(gpus), 2, "the BMC's VGA (1a03, class 0300) is no GPU");
    cr_assert_str_eq(str_at(json_array_get(gpus, 0), "pci"), "0000:03:00.0"); /* ve0 */
    cr_assert_str_eq(str_at(json_array_get(gpus, 1), "pci"), "0001:c1:1f.7"); /* hl0 */
    cr_assert(json_is_null(json_object_get(json_array_get(gpus, 0), "name")));
    cr_assert_eq(json_array_size(nics), 2);
    cr_assert_str_eq(str_at(json_array_get(nics, 0), "pci"), "0000:06:00.0"); /* qib0 */
    cr_assert_str_eq(str_at(json_array_get(nics, 1), "pci"), "0001:c1:1f.7"); /* hbl_0 */
    static const char *const os[] = {"hl0", "hbl_0"};
    assert_strings(json_object_get(json_array_get(nics, 1), "os_devices"), os, 2);
    /* The I/O hangs off the Machine, so it is local to every NUMA node. */
    assert_ints(json_object_get(json_array_get(nics, 1), "numa"), (const int[]){0}, 1);
    json_decref(t);
}

/* A hybrid part: two clusters whose L2s differ. Grouping only by (level,
 * type) would have to give all L2s one size. */
static const char hybrid_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE topology SYSTEM \"hwloc2.dtd\">\n"
    "<topology version=\"2.0\">\n"
    "<object type=\"Machine\" os_index=\"0\" cpuset=\"0x7\" complete_cpuset=\"0x7\" "
    "allowed_cpuset=\"0x7\" nodeset=\"0x1\" complete_nodeset=\"0x1\" allowed_nodeset=\"0x1\" "
    "gp_index=\"1\">\n"
    "<object type=\"NUMANode\" os_index=\"0\" cpuset=\"0x7\" complete_cpuset=\"0x7\" "
    "nodeset=\"0x1\" complete_nodeset=\"0x1\" gp_index=\"2\" local_memory=\"1073741824\"/>\n"
    "<object type=\"L2Cache\" cpuset=\"0x1\" complete_cpuset=\"0x1\" nodeset=\"0x1\" "
    "complete_nodeset=\"0x1\" gp_index=\"3\" cache_size=\"2097152\" depth=\"2\" "
    "cache_linesize=\"64\" cache_associativity=\"16\" cache_type=\"0\">\n"
    "<object type=\"Core\" os_index=\"0\" cpuset=\"0x1\" complete_cpuset=\"0x1\" "
    "nodeset=\"0x1\" complete_nodeset=\"0x1\" gp_index=\"4\">\n"
    "<object type=\"PU\" os_index=\"0\" cpuset=\"0x1\" complete_cpuset=\"0x1\" "
    "nodeset=\"0x1\" complete_nodeset=\"0x1\" gp_index=\"5\"/>\n"
    "</object>\n"
    "</object>\n"
    "<object type=\"L2Cache\" cpuset=\"0x6\" complete_cpuset=\"0x6\" nodeset=\"0x1\" "
    "complete_nodeset=\"0x1\" gp_index=\"6\" cache_size=\"4194304\" depth=\"2\" "
    "cache_linesize=\"64\" cache_associativity=\"16\" cache_type=\"0\">\n"
    "<object type=\"Core\" os_index=\"1\" cpuset=\"0x2\" complete_cpuset=\"0x2\" "
    "nodeset=\"0x1\" complete_nodeset=\"0x1\" gp_index=\"7\">\n"
    "<object type=\"PU\" os_index=\"1\" cpuset=\"0x2\" complete_cpuset=\"0x2\" "
    "nodeset=\"0x1\" complete_nodeset=\"0x1\" gp_index=\"8\"/>\n"
    "</object>\n"
    "<object type=\"Core\" os_index=\"2\" cpuset=\"0x4\" complete_cpuset=\"0x4\" "
    "nodeset=\"0x1\" complete_nodeset=\"0x1\" gp_index=\"9\">\n"
    "<object type=\"PU\" os_index=\"2\" cpuset=\"0x4\" complete_cpuset=\"0x4\" "
    "nodeset=\"0x1\" complete_nodeset=\"0x1\" gp_index=\"10\"/>\n"
    "</object>\n"
    "</object>\n"
    "</object>\n"
    "</topology>\n";

Test(topology, caches_of_different_sizes_are_separate_groups)
{
    char path[64];
    char *source = write_temp_xml(hybrid_xml, path, sizeof path);
    json_t *t = summary_ok(source);
    unlink(path);
    free(source);
    const json_t *caches = json_object_get(t, "caches");
    cr_assert_eq(json_array_size(caches), 2);
    assert_cache(json_array_get(caches, 0), 2, "unified", 4 << 20, 1); /* larger first */
    assert_cache(json_array_get(caches, 1), 2, "unified", 2 << 20, 1);
    json_decref(t);
}

/* ---- bad sources ------------------------------------------------------- */

static void assert_config_error(const char *source, const char *needle)
{
    tcb_status st = TCB_OK;
    tcb_diag d = {""};
    json_t *t = tcb_topology_summary(source, &st, &d);
    cr_assert_null(t, "'%s' was accepted", source);
    cr_assert_eq(st, TCB_ERR_CONFIG, "'%s' gave status %d", source, st);
    char quoted[512];
    snprintf(quoted, sizeof quoted, "'%s'", source);
    cr_assert(strstr(d.msg, quoted) != NULL, "message does not name the source: %s", d.msg);
    cr_assert(strstr(d.msg, needle) != NULL, "message lacks '%s': %s", needle, d.msg);
}

Test(topology, missing_xml_file_is_a_config_error)
{
    assert_config_error("xml:/nonexistent/tcbench/topo.xml", "cannot load");
}

Test(topology, malformed_xml_file_is_a_config_error)
{
    char path[64];
    char *source = write_temp_xml("this is not <xml", path, sizeof path);
    assert_config_error(source, "cannot load");
    unlink(path);
    free(source);
}

Test(topology, invalid_synthetic_is_a_config_error)
{
    assert_config_error("synthetic:pack:zz core:-1", "invalid synthetic description");
}

Test(topology, empty_or_unknown_source_is_a_config_error)
{
    assert_config_error("synthetic:", "empty synthetic description");
    assert_config_error("xml:", "empty XML path");
    assert_config_error("lstopo:/tmp/x", "expected");
}

Test(topology, status_and_diag_may_be_null)
{
    cr_assert_null(tcb_topology_summary("xml:/nonexistent.xml", NULL, NULL));
    json_t *t = tcb_topology_summary("synthetic:pu:2", NULL, NULL);
    cr_assert_not_null(t);
    json_decref(t);
}

/* ---- out of memory ----------------------------------------------------- */

/* Jansson allocations that fail after a budget, counted so a leak on any
 * error path shows up as a nonzero balance (LSan reports would not fail the
 * test; this does). Criterion runs each test in its own process, so replacing
 * jansson's allocator here touches no other test. */
static long alloc_budget, alloc_live;

static void *counting_malloc(size_t n)
{
    if (alloc_budget-- <= 0)
        return NULL;
    void *p = malloc(n);
    if (p != NULL)
        alloc_live++;
    return p;
}

static void counting_free(void *p)
{
    if (p != NULL)
        alloc_live--;
    free(p);
}

/* Runs the summary of source with 0, 1, 2, ... jansson allocations allowed
 * until it succeeds; every failure must be a clean TCB_ERR_RUNTIME. */
static void assert_oom_clean(const char *source)
{
    json_set_alloc_funcs(counting_malloc, counting_free);
    for (long budget = 0;; budget++) {
        alloc_budget = budget;
        alloc_live = 0;
        tcb_status st = TCB_OK;
        tcb_diag d = {""};
        json_t *t = tcb_topology_summary(source, &st, &d);
        if (t != NULL) {
            cr_assert_eq(st, TCB_OK);
            json_decref(t);
            cr_assert_eq(alloc_live, 0);
            cr_assert_gt(budget, 10, "the summary should need many allocations");
            break;
        }
        cr_assert_eq(st, TCB_ERR_RUNTIME, "budget %ld: status %d", budget, st);
        cr_assert(strstr(d.msg, "out of memory") != NULL, "budget %ld: %s", budget, d.msg);
        cr_assert_eq(alloc_live, 0, "budget %ld: %ld jansson blocks leaked", budget, alloc_live);
    }
    json_set_alloc_funcs(malloc, free);
}

Test(topology, out_of_memory_at_every_step_fails_cleanly)
{
    assert_oom_clean(FIXTURE);
    /* Devices in both lists take the deep-copy path. */
    char path[64];
    char *source = write_temp_xml(osdev_xml, path, sizeof path);
    assert_oom_clean(source);
    unlink(path);
    free(source);
}

/* ---- this machine ------------------------------------------------------ */

/* hwloc's PCI plugin uses libpciaccess, which keeps its device list in a
 * static pointer for the life of the process (hwloc issue #636). When hwloc
 * unloads the plugin at hwloc_topology_destroy, libpciaccess goes with it and
 * LeakSanitizer, no longer seeing that pointer, reports ~1 KB as leaked.
 * Pinning the library keeps the report about our code only. Harmless where
 * hwloc was built without libpciaccess. */
static void pin_libpciaccess(void)
{
    void *h = dlopen("libpciaccess.so.0", RTLD_NOW | RTLD_NODELETE);
    (void)h; /* deliberately never closed */
}

Test(topology, this_machine_has_positive_counts, .timeout = 60)
{
    pin_libpciaccess();
    json_t *t = summary_ok(NULL);
    cr_assert_gt(int_at(t, "pus"), 0);
    cr_assert_geq(int_at(t, "cores"), 0); /* some VMs expose no Core objects */
    cr_assert_gt(int_at(t, "numa_nodes"), 0);
    cr_assert(json_is_array(json_object_get(t, "gpus")));
    cr_assert(json_is_array(json_object_get(t, "nics")));
    json_decref(t);
}

Test(topology, sysinfo_fields_are_present_and_positive)
{
    json_t *s = tcb_sysinfo_collect();
    cr_assert_not_null(s);
    cr_assert_gt(strlen(str_at(s, "hostname")), 0);
    cr_assert_gt(strlen(str_at(s, "kernel")), 0);
    cr_assert_gt(strlen(str_at(s, "cpu_model")), 0);
    cr_assert_gt(int_at(s, "cpus_online"), 0);
    cr_assert_gt(int_at(s, "memory_bytes"), 0);
    json_decref(s);
}

/* ---- the `tcbench topo` block ------------------------------------------ */

/* Prints node with tcb_topology_print; returns the malloc'd text (caller frees). */
static char *print_to_string(const json_t *node)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    tcb_topology_print(f, node);
    cr_assert_eq(fclose(f), 0);
    return buf;
}

static json_t *fake_sysinfo(void)
{
    return json_pack("{s:s, s:s, s:i, s:I, s:s}", "hostname", "gpu-a07", "cpu_model",
                     "Intel(R) Xeon(R) Platinum 8480+", "cpus_online", 8, "memory_bytes",
                     (json_int_t)3 << 39 /* 1.5 TiB */, "kernel",
                     "Linux 6.1.0-18-amd64 x86_64");
}

Test(topology, print_fixture_block)
{
    json_t *node = json_pack("{s:i, s:o, s:o}", "node", 0, "sysinfo", fake_sysinfo(),
                             "topology", summary_ok(FIXTURE));
    cr_assert_not_null(node);
    char *text = print_to_string(node);
    const char *want =
        "node0  host gpu-a07  Linux 6.1.0-18-amd64 x86_64\n"
        "  CPU      Intel(R) Xeon(R) Platinum 8480+, 2 packages, 4 cores, 8 PUs, "
        "2 NUMA nodes, 1.5 TiB\n"
        "  caches   L1d 48 KiB x4, L2 1 MiB x4, L3 32 MiB x2\n"
        "  NUMA     0: 64 GiB cpus 0-3   1: 64 GiB cpus 4-7\n"
        "  GPU      0000:17:00.0 10de:2335 NVIDIA H200 (cuda0, nvml0) NUMA 0\n"
        "  GPU      0000:81:00.0 10de:2335 NVIDIA H200 (cuda1, nvml1) NUMA 1\n"
        "  NIC      0000:1a:00.0 15b3:1021 MT2910 Family [ConnectX-7] (mlx5_0, ib0) NUMA 0\n";
    cr_assert_str_eq(text, want);
    free(text);
    json_decref(node);
}

Test(topology, print_wraps_numa_and_says_none)
{
    /* Six NUMA nodes wrap after four; no node key, no I/O, no caches line;
     * memory falls back to the NUMA total when sysinfo lacks it; a machine
     * without Package objects (some arm64 firmware) says so. */
    json_t *node = json_pack("{s:{s:s}, s:o}", "sysinfo", "hostname", "cpu-b01", "topology",
                             summary_ok("synthetic:numa:6 core:1 pu:1"));
    cr_assert_not_null(node);
    char *text = print_to_string(node);
    const char *want = "host cpu-b01\n"
                       "  CPU      0 packages, 6 cores, 6 PUs, 6 NUMA nodes, 6 GiB\n"
                       "  NUMA     0: 1 GiB cpus 0   1: 1 GiB cpus 1   2: 1 GiB cpus 2   "
                       "3: 1 GiB cpus 3\n"
                       "           4: 1 GiB cpus 4   5: 1 GiB cpus 5\n"
                       "  GPU      none\n"
                       "  NIC      none\n";
    cr_assert_str_eq(text, want);
    free(text);
    json_decref(node);
}

Test(topology, print_node_list_entry_with_ranks_and_topology_error)
{
    /* The shape the node gather builds: hostname and ranks beside sysinfo, and
     * topology null with the reason when hwloc failed on that node. */
    json_error_t err;
    json_t *node = json_loads(
        "{\"node\": 2, \"hostname\": \"cn-17\", \"ranks\": [0, 1, 2, 3, 8, 10, 11],"
        " \"sysinfo\": {\"cpu_model\": \"Neoverse-V2\", \"memory_bytes\": 25769803776,"
        " \"kernel\": \"Linux 6.8.0 aarch64\"},"
        " \"topology\": null, \"topology_error\": \"topology source 'local': no sysfs\"}",
        0, &err);
    cr_assert_not_null(node, "%s", err.text);
    char *text = print_to_string(node);
    const char *want = "node2  host cn-17  Linux 6.8.0 aarch64  ranks 0-3,8,10-11\n"
                       "  CPU      Neoverse-V2, 24 GiB\n"
                       "  topology unavailable: topology source 'local': no sysfs\n";
    cr_assert_str_eq(text, want);
    free(text);
    json_decref(node);
}

Test(topology, print_tolerates_missing_keys_and_nulls)
{
    static const char *const nodes[] = {
        "{}",
        "{\"sysinfo\": null, \"topology\": null}",
        "{\"node\": 3, \"sysinfo\": {\"hostname\": null, \"kernel\": 5},"
        " \"ranks\": [null, 2, \"x\", 3], \"topology_error\": 4}",
        "{\"topology\": {\"caches\": [{}], \"numa\": [{\"cpuset\": null}, 7],"
        " \"gpus\": [{}, null, {\"pci\": null, \"os_devices\": [null, 1], \"numa\": \"x\"}],"
        " \"nics\": {}}}",
    };
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        json_error_t err;
        json_t *node = json_loads(nodes[i], 0, &err);
        cr_assert_not_null(node, "%s", err.text);
        char *text = print_to_string(node);
        cr_assert(strstr(text, "host ?") != NULL, "case %zu: %s", i, text);
        free(text);
        json_decref(node);
    }
}

Test(topology, print_this_machine, .timeout = 60)
{
    pin_libpciaccess();
    json_t *node = json_pack("{s:i, s:o, s:o}", "node", 1, "sysinfo", tcb_sysinfo_collect(),
                             "topology", summary_ok(NULL));
    cr_assert_not_null(node);
    char *text = print_to_string(node);
    cr_assert(strncmp(text, "node1  host ", 12) == 0, "%s", text);
    cr_assert(strstr(text, "\n  CPU      ") != NULL, "%s", text);
    cr_assert(strstr(text, " PUs") != NULL || strstr(text, " PU,") != NULL, "%s", text);
    free(text);
    json_decref(node);
}
