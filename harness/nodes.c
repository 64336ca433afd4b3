#include "nodes.h"
#include "topology.h"

#include <stdlib.h>
#include <string.h>

#ifdef TCB_HAVE_MPI
#include "mpi_dtype.h"
#endif

/* This node's description; only node leaders build one. New reference. */
static json_t *describe_node(const tcb_world *w)
{
    json_t *node = json_object();
    json_object_set_new(node, "node", json_integer(w->node));
    json_object_set_new(node, "hostname", json_string(w->host));
    json_object_set_new(node, "sysinfo", tcb_sysinfo_collect());
    tcb_status s;
    tcb_diag d = {{0}};
    json_t *topo = tcb_topology_summary(NULL, &s, &d);
    if (topo != NULL) {
        json_object_set_new(node, "topology", topo);
    } else {
        json_object_set_new(node, "topology", json_null());
        json_object_set_new(node, "topology_error", json_string(d.msg));
    }
    return node;
}

#ifdef TCB_HAVE_MPI
/* Every rank's node index, so rank 0 can list the ranks of each node. */
static tcb_status gather_rank_nodes(const tcb_world *w, int **out)
{
    int *all = w->rank == 0 ? malloc(sizeof(int) * (size_t)w->size) : NULL;
    if (w->rank == 0)
        TCB_ALLOC_CHECK(all);
    TCB_MPI_CHECK(MPI_Gather(&w->node, 1, MPI_INT, all, 1, MPI_INT, 0, w->world));
    *out = all;
    return TCB_OK;
}

/* Leaders send their node's JSON text (with its NUL) to rank 0, the others
 * nothing. Leaders are in world-rank order, which is node order (the cross
 * communicator is split by world rank). */
static tcb_status gather_texts(const tcb_world *w, const char *mine, char ***out)
{
    *out = NULL;
    int len = w->local_rank == 0 ? (int)strlen(mine) + 1 : 0;
    int *lens = NULL;
    char *buf = NULL;
    tcb_status s = tcb_world_gather_bytes(w, mine, len, &buf, &lens);
    if (s == TCB_OK && w->rank == 0) {
        char **texts = calloc((size_t)w->nodes + 1, sizeof *texts);
        long off = 0;
        for (int r = 0, node = 0; texts != NULL && r < w->size; off += lens[r], r++)
            if (lens[r] > 0 && node < w->nodes)
                texts[node++] = strdup(buf + off);
        *out = texts;
        if (texts == NULL)
            s = TCB_ERR_RUNTIME;
    }
    free(buf);
    free(lens);
    return s;
}
#endif

json_t *tcb_nodes_gather(const tcb_world *w, tcb_status *status)
{
    *status = TCB_OK;
    json_t *mine = w->local_rank == 0 ? describe_node(w) : NULL;
#ifdef TCB_HAVE_MPI
    char *text = mine != NULL ? json_dumps(mine, JSON_COMPACT) : NULL;
    json_decref(mine);
    char **texts = NULL;
    int *rank_nodes = NULL;
    *status = gather_texts(w, text != NULL ? text : "", &texts);
    free(text);
    if (*status == TCB_OK)
        *status = gather_rank_nodes(w, &rank_nodes);
    if (w->rank != 0 || *status != TCB_OK) {
        if (texts != NULL)
            for (int i = 0; texts[i] != NULL; i++)
                free(texts[i]);
        free(texts);
        free(rank_nodes);
        return NULL;
    }
    json_t *nodes = json_array();
    for (int i = 0; i < w->nodes; i++) {
        json_t *node = texts[i] != NULL ? json_loads(texts[i], 0, NULL) : NULL;
        free(texts[i]);
        if (node == NULL)
            node = json_object();
        json_t *ranks = json_array();
        for (int r = 0; r < w->size; r++)
            if (rank_nodes[r] == i)
                json_array_append_new(ranks, json_integer(r));
        json_object_set_new(node, "ranks", ranks);
        json_array_append_new(nodes, node);
    }
    free(texts);
    free(rank_nodes);
    return nodes;
#else
    json_t *nodes = json_array();
    json_t *ranks = json_array();
    json_array_append_new(ranks, json_integer(0));
    json_object_set_new(mine, "ranks", ranks);
    json_array_append_new(nodes, mine);
    return nodes;
#endif
}
