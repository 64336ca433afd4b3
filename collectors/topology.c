/* Node topology from hwloc 2.x, summarized as the JSON object run.json keeps per
 * node (shape in topology.h, fields in docs/topology.md).
 *
 * The summary is deliberately small: counts, cache groups, NUMA nodes, and the
 * PCI devices a benchmark result depends on (GPUs and NICs) with the NUMA nodes
 * they hang off. Everything else hwloc knows stays in hwloc: a reader who needs
 * it can run lstopo on the node.
 */
#include "topology.h"

#include <hwloc.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if HWLOC_API_VERSION < 0x00020000
#error "tcbench needs hwloc 2.x (I/O type filters, NUMA nodes as memory children)"
#endif

/* A topology being summarized, and the words its messages start with. */
typedef struct {
    hwloc_topology_t topo; /* NULL until hwloc_topology_init succeeded */
    const char *label;     /* the source as given, or "local" */
    tcb_diag *d;
} topo_ctx;

static tcb_status hwloc_failure(const topo_ctx *ctx, tcb_status status, const char *what,
                                const char *file, int line, int err)
{
    /* hwloc does not always set errno (a synthetic parse error may leave it 0). */
    const char *why = err != 0 ? strerror(err) : "invalid input";
    if (status == TCB_ERR_CONFIG)
        return tcb_diag_set(ctx->d, status, "topology source '%s': %s: %s", ctx->label,
                            what, why);
    return tcb_diag_set(ctx->d, status, "topology source '%s': %s failed at %s:%d: %s",
                        ctx->label, what, file, line, why);
}

/* The one check for hwloc calls: they return -1 (or another negative value) and
 * set errno. A bad source is the user's configuration error (status
 * TCB_ERR_CONFIG); anything else hwloc refuses is a runtime failure. errno is
 * read before anything else can clobber it. */
#define HWLOC_CHECK(ctx, call, status, what)                                    \
    do {                                                                       \
        errno = 0;                                                             \
        if ((call) < 0) {                                                      \
            int hwloc_errno_ = errno;                                          \
            return hwloc_failure((ctx), (status), (what), __FILE__, __LINE__,  \
                                 hwloc_errno_);                                \
        }                                                                      \
    } while (0)

static tcb_status out_of_memory(const topo_ctx *ctx, const char *file, int line,
                                const char *what)
{
    return tcb_diag_set(ctx->d, TCB_ERR_RUNTIME, "topology source '%s': %s:%d: %s: out of memory",
                        ctx->label, file, line, what);
}

/* Jansson calls fail only when memory runs out; its *_new functions release the
 * value they were handed even on failure, so nothing leaks on this path. */
#define JSON_CHECK(ctx, ok)                                                    \
    do {                                                                       \
        if (!(ok))                                                             \
            return out_of_memory((ctx), __FILE__, __LINE__, #ok);              \
    } while (0)

/* ---- loading ------------------------------------------------------------ */

static tcb_status topo_open(topo_ctx *ctx, const char *source)
{
    hwloc_topology_t topo;
    HWLOC_CHECK(ctx, hwloc_topology_init(&topo), TCB_ERR_RUNTIME, "hwloc_topology_init");
    ctx->topo = topo;

    /* I/O objects are filtered out by default; "important" keeps GPUs, NICs,
     * storage and their OS devices but drops bridges that lead nowhere. */
    HWLOC_CHECK(ctx, hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT),
                TCB_ERR_RUNTIME, "hwloc_topology_set_io_types_filter");
    /* Instruction caches are dropped by default too; the summary reports L1i. */
    HWLOC_CHECK(ctx, hwloc_topology_set_icache_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_ALL),
                TCB_ERR_RUNTIME, "hwloc_topology_set_icache_types_filter");

    if (source == NULL) {
        /* This machine. HWLOC_XMLFILE / HWLOC_SYNTHETIC in the environment
         * still apply, as for every hwloc program. */
        HWLOC_CHECK(ctx, hwloc_topology_load(topo), TCB_ERR_RUNTIME, "hwloc_topology_load");
        return TCB_OK;
    }

    if (strncmp(source, "synthetic:", 10) == 0) {
        const char *desc = source + 10;
        if (*desc == '\0')
            return tcb_diag_set(ctx->d, TCB_ERR_CONFIG,
                                "topology source '%s': empty synthetic description",
                                ctx->label);
        HWLOC_CHECK(ctx, hwloc_topology_set_synthetic(topo, desc), TCB_ERR_CONFIG,
                    "invalid synthetic description");
    } else if (strncmp(source, "xml:", 4) == 0) {
        const char *path = source + 4;
        if (*path == '\0')
            return tcb_diag_set(ctx->d, TCB_ERR_CONFIG,
                                "topology source '%s': empty XML path", ctx->label);
        HWLOC_CHECK(ctx, hwloc_topology_set_xml(topo, path), TCB_ERR_CONFIG, "cannot load");
    } else {
        return tcb_diag_set(ctx->d, TCB_ERR_CONFIG,
                            "topology source '%s': expected 'synthetic:DESCRIPTION' or "
                            "'xml:PATH'",
                            ctx->label);
    }
    HWLOC_CHECK(ctx, hwloc_topology_load(topo), TCB_ERR_CONFIG, "cannot load");
    return TCB_OK;
}

/* ---- counts ------------------------------------------------------------- */

static int count_of(hwloc_topology_t topo, hwloc_obj_type_t type)
{
    /* -1 means "at several depths", which does not happen for these types;
     * report 0 rather than a negative count if it ever does. */
    int n = hwloc_get_nbobjs_by_type(topo, type);
    return n < 0 ? 0 : n;
}

static tcb_status add_counts(const topo_ctx *ctx, json_t *out)
{
    static const struct {
        const char *key;
        hwloc_obj_type_t type;
    } counts[] = {{"packages", HWLOC_OBJ_PACKAGE},
                  {"numa_nodes", HWLOC_OBJ_NUMANODE},
                  {"cores", HWLOC_OBJ_CORE},
                  {"pus", HWLOC_OBJ_PU}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        JSON_CHECK(ctx, json_object_set_new(out, counts[i].key,
                                            json_integer(count_of(ctx->topo, counts[i].type))) == 0);
    return TCB_OK;
}

/* ---- caches ------------------------------------------------------------- */

typedef struct {
    unsigned level;
    int order; /* data, instruction, unified: the order L1d, L1i, L2 are read in */
    hwloc_uint64_t size;
    int count;
} cache_group;

static int cache_order(hwloc_obj_cache_type_t type)
{
    switch (type) {
    case HWLOC_OBJ_CACHE_DATA: return 0;
    case HWLOC_OBJ_CACHE_INSTRUCTION: return 1;
    default: return 2;
    }
}

static const char *const cache_type_names[] = {"data", "instruction", "unified"};

static int cache_group_cmp(const void *pa, const void *pb)
{
    const cache_group *a = pa, *b = pb;
    if (a->level != b->level)
        return a->level < b->level ? -1 : 1;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    if (a->size != b->size) /* larger first: P-core L2 before E-core L2 */
        return a->size > b->size ? -1 : 1;
    return 0;
}

/* Groups by (level, type, size), not only (level, type): hybrid CPUs have two
 * L2 sizes, and one group with one size would misstate both. */
static tcb_status add_caches(const topo_ctx *ctx, json_t *out)
{
    cache_group *groups = NULL;
    size_t n = 0, cap = 0;
    for (int t = 0; t < HWLOC_OBJ_TYPE_MAX; t++) {
        if (!hwloc_obj_type_is_cache((hwloc_obj_type_t)t))
            continue;
        hwloc_obj_t obj = NULL;
        while ((obj = hwloc_get_next_obj_by_type(ctx->topo, (hwloc_obj_type_t)t, obj))) {
            cache_group key = {obj->attr->cache.depth, cache_order(obj->attr->cache.type),
                               obj->attr->cache.size, 1};
            size_t i = 0;
            while (i < n && cache_group_cmp(&groups[i], &key) != 0)
                i++;
            if (i < n) {
                groups[i].count++;
                continue;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 8;
                cache_group *g = realloc(groups, cap * sizeof *g);
                if (g == NULL) {
                    free(groups);
                    return out_of_memory(ctx, __FILE__, __LINE__, "realloc");
                }
                groups = g;
            }
            groups[n++] = key;
        }
    }
    if (n > 0)
        qsort(groups, n, sizeof *groups, cache_group_cmp);

    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        json_t *c = json_pack("{s:i, s:s, s:I, s:i}", "level", (int)groups[i].level, "type",
                              cache_type_names[groups[i].order], "size_bytes",
                              (json_int_t)groups[i].size, "count", groups[i].count);
        if (json_array_append_new(arr, c) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    free(groups);
    JSON_CHECK(ctx, json_object_set_new(out, "caches", arr) == 0);
    return TCB_OK;
}

/* ---- NUMA nodes --------------------------------------------------------- */

/* "0-15,32-47"; an empty cpuset (a memory-only node such as HBM or GPU memory
 * exposed as NUMA) gives "". */
static tcb_status numa_entry(const topo_ctx *ctx, hwloc_obj_t node, json_t **entry)
{
    char *list = NULL;
    if (node->cpuset != NULL)
        HWLOC_CHECK(ctx, hwloc_bitmap_list_asprintf(&list, node->cpuset), TCB_ERR_RUNTIME,
                    "hwloc_bitmap_list_asprintf");
    *entry = json_pack("{s:i, s:I, s:s, s:s?}", "os_index", (int)node->os_index,
                       "memory_bytes", (json_int_t)node->attr->numanode.local_memory,
                       "cpuset", list ? list : "", "subtype", node->subtype);
    free(list); /* hwloc allocates with malloc */
    JSON_CHECK(ctx, *entry != NULL);
    return TCB_OK;
}

static tcb_status add_numa(const topo_ctx *ctx, json_t *out)
{
    json_t *arr = json_array();
    JSON_CHECK(ctx, json_object_set_new(out, "numa", arr) == 0);
    int n = count_of(ctx->topo, HWLOC_OBJ_NUMANODE);
    for (int i = 0; i < n; i++) {
        hwloc_obj_t node = hwloc_get_obj_by_type(ctx->topo, HWLOC_OBJ_NUMANODE, (unsigned)i);
        json_t *entry;
        TCB_CHECK(numa_entry(ctx, node, &entry));
        JSON_CHECK(ctx, json_array_append_new(arr, entry) == 0);
    }
    return TCB_OK;
}

/* ---- GPUs and NICs ------------------------------------------------------ */

enum { PCI_GPU = 1, PCI_NIC = 2 };

/* A device counts by its PCI class, or by the OS devices a driver gave it:
 * accelerators that report class 0x12 (processing accelerator) or 0x0b still
 * show a CUDA/OpenCL/VE co-processor, and RoCE or Omni-Path adapters a
 * network or OpenFabrics device. */
static int pci_roles(hwloc_obj_t pci)
{
    int roles = 0;
    unsigned base = pci->attr->pcidev.class_id >> 8;
    unsigned vendor = pci->attr->pcidev.vendor_id;
    /* Display class: a 3D controller (0x0302: datacenter GPUs) always; VGA and
     * other display devices only from the GPU vendors, so a server's BMC
     * graphics (ASPEED, Matrox) is not counted as an accelerator. */
    if (base == 0x03 &&
        (pci->attr->pcidev.class_id == 0x0302 || vendor == 0x10de || vendor == 0x1002))
        roles |= PCI_GPU;
    if (base == 0x02) /* network: Ethernet 0x0200, InfiniBand 0x0207, ... */
        roles |= PCI_NIC;
    for (hwloc_obj_t c = pci->io_first_child; c != NULL; c = c->next_sibling) {
        if (c->type != HWLOC_OBJ_OS_DEVICE)
            continue;
        switch (c->attr->osdev.type) {
        case HWLOC_OBJ_OSDEV_GPU:
        case HWLOC_OBJ_OSDEV_COPROC: roles |= PCI_GPU; break;
        case HWLOC_OBJ_OSDEV_NETWORK:
        case HWLOC_OBJ_OSDEV_OPENFABRICS: roles |= PCI_NIC; break;
        default: break;
        }
    }
    return roles;
}

/* The most specific name hwloc has: an object name, then the model a GPU
 * driver reports ("NVIDIA H200"), then the pci.ids name ("MT2910 Family
 * [ConnectX-7]"). NULL when hwloc was built without any of them. */
static const char *pci_name(hwloc_obj_t pci)
{
    if (pci->name != NULL)
        return pci->name;
    for (hwloc_obj_t c = pci->io_first_child; c != NULL; c = c->next_sibling) {
        const char *model = c->type == HWLOC_OBJ_OS_DEVICE
                                ? hwloc_obj_get_info_by_name(c, "GPUModel")
                                : NULL;
        if (model != NULL)
            return model;
    }
    return hwloc_obj_get_info_by_name(pci, "PCIDevice");
}

/* Appends to arr the NUMA nodes (by os_index) in the nodeset of the first
 * CPU-side object above the device: where its DMA lands fastest and where a
 * rank driving it should allocate. Iterating the NUMA objects keeps the list
 * to nodes that exist, even if the ancestor's nodeset is wider. */
static tcb_status pci_numa(const topo_ctx *ctx, hwloc_obj_t pci, json_t *arr)
{
    hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(ctx->topo, pci);
    if (anc == NULL || anc->nodeset == NULL)
        return TCB_OK;
    hwloc_obj_t node = NULL;
    while ((node = hwloc_get_next_obj_by_type(ctx->topo, HWLOC_OBJ_NUMANODE, node))) {
        if (hwloc_bitmap_isset(anc->nodeset, node->os_index))
            JSON_CHECK(ctx, json_array_append_new(arr, json_integer(node->os_index)) == 0);
    }
    return TCB_OK;
}

/* One "gpus"/"nics" entry; *entry is the caller's to decref (also on failure). */
static tcb_status pci_entry(const topo_ctx *ctx, hwloc_obj_t pci, json_t **entry)
{
    const struct hwloc_pcidev_attr_s *a = &pci->attr->pcidev;
    char busid[32], vendor[8], device[8];
    snprintf(busid, sizeof busid, "%04x:%02x:%02x.%x", (unsigned)a->domain, a->bus, a->dev,
             a->func);
    snprintf(vendor, sizeof vendor, "%04x", a->vendor_id);
    snprintf(device, sizeof device, "%04x", a->device_id);

    *entry = json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "pci", busid, "vendor_id", vendor,
                       "device_id", device, "name", pci_name(pci), "vendor",
                       hwloc_obj_get_info_by_name(pci, "PCIVendor"));
    JSON_CHECK(ctx, *entry != NULL);

    json_t *osdevs = json_array();
    JSON_CHECK(ctx, json_object_set_new(*entry, "os_devices", osdevs) == 0);
    for (hwloc_obj_t c = pci->io_first_child; c != NULL; c = c->next_sibling) {
        if (c->type == HWLOC_OBJ_OS_DEVICE && c->name != NULL)
            JSON_CHECK(ctx, json_array_append_new(osdevs, json_string(c->name)) == 0);
    }

    /* Attached before it is filled, so a failure midway leaks nothing. */
    json_t *numa = json_array();
    JSON_CHECK(ctx, json_object_set_new(*entry, "numa", numa) == 0);
    return pci_numa(ctx, pci, numa);
}

static tcb_status add_pci(const topo_ctx *ctx, json_t *out)
{
    /* Each list is owned by out as soon as it exists. */
    json_t *gpus = json_array();
    JSON_CHECK(ctx, json_object_set_new(out, "gpus", gpus) == 0);
    json_t *nics = json_array();
    JSON_CHECK(ctx, json_object_set_new(out, "nics", nics) == 0);

    hwloc_obj_t pci = NULL;
    while ((pci = hwloc_get_next_pcidev(ctx->topo, pci))) {
        int roles = pci_roles(pci);
        if (roles == 0)
            continue;
        json_t *entry = NULL;
        tcb_status st = pci_entry(ctx, pci, &entry);
        if (st != TCB_OK) {
            json_decref(entry);
            return st;
        }
        /* A device with both roles is listed in both, as two copies, so a
         * caller editing one list does not change the other behind its back. */
        if (roles == (PCI_GPU | PCI_NIC) &&
            json_array_append_new(nics, json_deep_copy(entry)) != 0) {
            json_decref(entry);
            return out_of_memory(ctx, __FILE__, __LINE__, "json_deep_copy");
        }
        JSON_CHECK(ctx, json_array_append_new(roles & PCI_GPU ? gpus : nics, entry) == 0);
    }
    return TCB_OK;
}

/* ---- the public entry --------------------------------------------------- */

static tcb_status summarize(const topo_ctx *ctx, json_t *out)
{
    TCB_CHECK(add_counts(ctx, out));
    TCB_CHECK(add_caches(ctx, out));
    TCB_CHECK(add_numa(ctx, out));
    TCB_CHECK(add_pci(ctx, out));
    return TCB_OK;
}

/* Returns a new object; the caller frees it with json_decref. NULL on failure,
 * with *status and *d set (both may be NULL if the caller does not care). */
json_t *tcb_topology_summary(const char *source, tcb_status *status, tcb_diag *d)
{
    topo_ctx ctx = {.topo = NULL, .label = source ? source : "local", .d = d};
    json_t *out = NULL;

    tcb_status st = topo_open(&ctx, source);
    if (st == TCB_OK) {
        out = json_object();
        st = out != NULL ? summarize(&ctx, out)
                         : tcb_diag_set(d, TCB_ERR_RUNTIME, "topology: out of memory");
    }
    if (ctx.topo != NULL)
        hwloc_topology_destroy(ctx.topo);
    if (st != TCB_OK) {
        json_decref(out);
        out = NULL;
    }
    if (status != NULL)
        *status = st;
    return out;
}
