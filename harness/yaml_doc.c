/* The libyaml helpers of yaml_doc.h: reading a file, loading one document
 * with positioned parser errors, and the lookups and checks the readers
 * (suite.c, model.c, hardware.c) share. */
#include "yaml_doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1-based line and column of mark; --set values start after "KEY=", so the
 * columns of their first line are shifted to count in "KEY=VALUE". */
static void position(const tcb_yaml_src *src, const yaml_mark_t *m, int *line, int *col)
{
    *line = (int)m->line + 1;
    *col = (int)m->column + 1 + (m->line == 0 ? src->column_offset : 0);
}

tcb_status tcb_yaml_error(tcb_diag *d, const tcb_yaml_src *src, const yaml_node_t *node,
                          const char *fmt, ...)
{
    char msg[sizeof d->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    yaml_mark_t start = {0, 0, 0};
    int line, col;
    position(src, node != NULL ? &node->start_mark : &start, &line, &col);
    return tcb_diag_set(d, TCB_ERR_CONFIG, "%s:%d:%d: %s", src->name, line, col, msg);
}

/* ---- reading and parsing ---------------------------------------------- */

tcb_status tcb_yaml_read_file(const char *path, char **text, size_t *len, int *err,
                              tcb_diag *d)
{
    int dummy;
    if (err == NULL)
        err = &dummy;
    *err = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *err = errno;
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s: cannot read: %s", path, strerror(*err));
    }
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *bigger = realloc(buf, cap);
            if (bigger == NULL) {
                free(buf);
                fclose(f);
                return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory", path);
            }
            buf = bigger;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    if (ferror(f)) {
        *err = errno;
        fclose(f);
        free(buf);
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s: cannot read: %s", path, strerror(*err));
    }
    fclose(f);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return TCB_OK;
}

static tcb_status parser_error(const tcb_yaml_src *src, const yaml_parser_t *p,
                               const char *text, size_t len, tcb_diag *d)
{
    if (p->error == YAML_MEMORY_ERROR)
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory reading YAML", src->name);
    yaml_mark_t mark = p->problem_mark;
    /* The reader (bad UTF-8, control bytes) reports a byte offset only, and
     * at the end of input libyaml invents a line break: for a --set value
     * without one that would be "line 2", so count from the text instead. */
    size_t offset = p->error == YAML_READER_ERROR ? p->problem_offset : mark.index;
    if (p->error == YAML_READER_ERROR || offset >= len) {
        memset(&mark, 0, sizeof mark);
        for (size_t i = 0; i < offset && i < len; i++) {
            if (text[i] == '\n') {
                mark.line++;
                mark.column = 0;
            } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
                mark.column++;
            }
        }
    }
    int line, col;
    position(src, &mark, &line, &col);
    const char *problem = p->problem != NULL ? p->problem : "unknown problem";
    if (p->context == NULL)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s:%d:%d: invalid YAML: %s", src->name,
                            line, col, problem);
    int cline, ccol;
    position(src, &p->context_mark, &cline, &ccol);
    return tcb_diag_set(d, TCB_ERR_CONFIG,
                        "%s:%d:%d: invalid YAML: %s (%s at line %d, column %d)", src->name,
                        line, col, problem, p->context, cline, ccol);
}

tcb_status tcb_yaml_load(const tcb_yaml_src *src, const char *what, const char *text,
                         size_t len, tcb_diag *d)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return tcb_diag_set(d, TCB_ERR_RUNTIME, "%s: out of memory reading YAML", src->name);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    tcb_status st = TCB_OK;
    if (!yaml_parser_load(&p, src->doc)) { /* libyaml has freed the document */
        st = parser_error(src, &p, text, len, d);
        yaml_parser_delete(&p);
        return st;
    }
    /* A second document would be ignored without a word; say so instead. */
    yaml_document_t extra;
    if (!yaml_parser_load(&p, &extra)) {
        st = parser_error(src, &p, text, len, d);
    } else {
        yaml_node_t *root = yaml_document_get_root_node(&extra);
        if (root != NULL)
            st = tcb_yaml_error(d, src, root, "%s is one YAML document; remove this second one",
                                what);
        yaml_document_delete(&extra);
    }
    if (st != TCB_OK)
        yaml_document_delete(src->doc);
    yaml_parser_delete(&p);
    return st;
}

/* ---- walking a document ----------------------------------------------- */

const char *tcb_yaml_node_kind(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE: return "a single value";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

const char *tcb_yaml_scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

static yaml_node_pair_t *find_pair(const tcb_yaml_src *src, yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(src->doc, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp(tcb_yaml_scalar(k), key) == 0)
            return p;
    }
    return NULL;
}

yaml_node_t *tcb_yaml_map_get(const tcb_yaml_src *src, yaml_node_t *map, const char *key)
{
    yaml_node_pair_t *p = find_pair(src, map, key);
    return p != NULL ? yaml_document_get_node(src->doc, p->value) : NULL;
}

yaml_node_t *tcb_yaml_map_key(const tcb_yaml_src *src, yaml_node_t *map, const char *key)
{
    yaml_node_pair_t *p = find_pair(src, map, key);
    return p != NULL ? yaml_document_get_node(src->doc, p->key) : NULL;
}

tcb_status tcb_yaml_check_map(const tcb_yaml_src *src, yaml_node_t *node, const char *what,
                              const char *const *allowed, tcb_diag *d)
{
    if (node->type != YAML_MAPPING_NODE)
        return tcb_yaml_error(d, src, node, "%s must be a mapping, got %s", what,
                              tcb_yaml_node_kind(node));
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(src->doc, p->key);
        if (k->type != YAML_SCALAR_NODE)
            return tcb_yaml_error(d, src, k, "the keys of %s must be names, got %s", what,
                                  tcb_yaml_node_kind(k));
        const char *key = tcb_yaml_scalar(k);
        /* libyaml keeps duplicate keys; the second would silently win. */
        for (yaml_node_pair_t *q = node->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *prev = yaml_document_get_node(src->doc, q->key);
            if (prev->type != YAML_SCALAR_NODE || strcmp(tcb_yaml_scalar(prev), key) != 0)
                continue;
            if (src->duplicate_names_map)
                return tcb_yaml_error(d, src, k, "duplicate key '%s' in %s", key, what);
            int line, col;
            position(src, &prev->start_mark, &line, &col);
            return tcb_yaml_error(d, src, k,
                                  "duplicate key '%s' (first given at line %d, column %d)",
                                  key, line, col);
        }
        if (allowed == NULL)
            continue;
        bool known = false;
        for (int a = 0; allowed[a] != NULL && !known; a++)
            known = strcmp(allowed[a], key) == 0;
        if (!known) {
            char list[512];
            return tcb_yaml_error(d, src, k, "unknown key '%s' in %s (expected one of: %s)",
                                  key, what, tcb_yaml_join(allowed, list, sizeof list));
        }
    }
    return TCB_OK;
}

/* ---- lists in messages ------------------------------------------------ */

void tcb_yaml_list_append(char *buf, size_t n, const char *word)
{
    size_t used = strlen(buf);
    if (used >= 3 && strcmp(buf + used - 3, "...") == 0)
        return;
    const char *sep = used > 0 ? ", " : "";
    /* 6: room left for ", ..." and the NUL, should a later word not fit. */
    if (used + strlen(sep) + strlen(word) + 6 < n)
        snprintf(buf + used, n - used, "%s%s", sep, word);
    else if (used + 6 < n)
        snprintf(buf + used, n - used, "%s...", sep);
}

const char *tcb_yaml_join(const char *const *words, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; words != NULL && words[i] != NULL; i++)
        tcb_yaml_list_append(buf, n, words[i]);
    return buf;
}

tcb_status tcb_yaml_citation(const tcb_yaml_src *src, const yaml_node_t *v, const char *key,
                             size_t max, tcb_diag *d)
{
    if (v->type != YAML_SCALAR_NODE || tcb_yaml_scalar(v)[0] == '\0')
        return tcb_yaml_error(d, src, v, "source '%s' must be a non-empty citation, got %s", key,
                              v->type == YAML_SCALAR_NODE ? "''" : tcb_yaml_node_kind(v));
    if (strlen(tcb_yaml_scalar(v)) > max)
        return tcb_yaml_error(d, src, v, "source '%s' is longer than %zu characters", key, max);
    return TCB_OK;
}

tcb_status tcb_yaml_load_file(const tcb_yaml_src *src, const char *what, int *err, tcb_diag *d)
{
    char *text = NULL;
    size_t len = 0;
    TCB_CHECK(tcb_yaml_read_file(src->name, &text, &len, err, d));
    /* libyaml copies every scalar into the document, so the text can go. */
    tcb_status st = tcb_yaml_load(src, what, text, len, d);
    free(text);
    return st;
}
