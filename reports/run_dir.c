#include "run_dir.h"

#include "fnv.h"
#include "yaml_doc.h" /* tcb_yaml_read_file: any file, whole */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *string_at(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* One line of results.jsonl: a record of this run, or a message. */
static tcb_status check_record(json_t *rec, const char *run_id, const char *path, int line,
                               tcb_diag *d)
{
    const char *schema = string_at(rec, "schema");
    if (schema == NULL || strcmp(schema, "tcbench.result/1") != 0)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s:%d: not a tcbench.result/1 record", path,
                            line);
    const char *id = string_at(rec, "run_id");
    if (id == NULL || strcmp(id, run_id) != 0)
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s:%d: run_id '%s' is not run.json's '%s'",
                            path, line, id ? id : "(none)", run_id);
    if (!json_is_string(json_object_get(rec, "workload")) ||
        !json_is_object(json_object_get(rec, "params")) ||
        !json_is_object(json_object_get(rec, "check")))
        return tcb_diag_set(d, TCB_ERR_CONFIG, "%s:%d: a record needs workload, params and check",
                            path, line);
    return TCB_OK;
}

static tcb_status read_records(tcb_run_dir *r, const char *path, char *text, tcb_diag *d)
{
    int line = 0;
    for (char *p = text, *end; *p != '\0'; p = end) {
        end = strchr(p, '\n');
        end = end != NULL ? end + 1 : p + strlen(p);
        line++;
        if (strspn(p, " \t\r\n") >= (size_t)(end - p))
            continue; /* a blank line: nothing */
        json_error_t err;
        json_t *rec = json_loadb(p, (size_t)(end - p), 0, &err);
        if (rec == NULL)
            return tcb_diag_set(d, TCB_ERR_CONFIG, "%s:%d: not JSON: %s", path, line, err.text);
        tcb_status st = check_record(rec, r->run_id, path, line, d);
        json_t **grown = st == TCB_OK ? realloc(r->records, (size_t)(r->n + 1) * sizeof *grown)
                                      : NULL;
        if (grown == NULL) {
            json_decref(rec);
            return st != TCB_OK ? st : tcb_diag_set(d, TCB_ERR_RUNTIME, "out of memory");
        }
        r->records = grown;
        r->records[r->n++] = rec;
    }
    return TCB_OK;
}

tcb_status tcb_run_dir_read(const char *dir, tcb_run_dir *out, tcb_diag *d)
{
    memset(out, 0, sizeof *out);
    out->dir = dir;
    char path[2][1100];
    snprintf(path[0], sizeof path[0], "%s/run.json", dir);
    snprintf(path[1], sizeof path[1], "%s/results.jsonl", dir);
    char *text[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    tcb_status st = tcb_yaml_read_file(path[0], &text[0], &len[0], NULL, d);
    if (st == TCB_OK)
        st = tcb_yaml_read_file(path[1], &text[1], &len[1], NULL, d);
    if (st == TCB_OK) {
        json_error_t err;
        out->manifest = json_loadb(text[0], len[0], 0, &err);
        const char *schema = string_at(out->manifest, "schema");
        out->run_id = string_at(out->manifest, "run_id");
        if (out->manifest == NULL)
            st = tcb_diag_set(d, TCB_ERR_CONFIG, "%s:%d: not JSON: %s", path[0], err.line,
                              err.text);
        else if (schema == NULL || strcmp(schema, "tcbench.run/1") != 0 || out->run_id == NULL)
            st = tcb_diag_set(d, TCB_ERR_CONFIG, "%s: not a tcbench.run/1 manifest with a run_id",
                              path[0]);
    }
    if (st == TCB_OK)
        st = read_records(out, path[1], text[1], d);
    if (st == TCB_OK) {
        uint64_t h = tcb_fnv1a64(TCB_FNV_BASIS, text[0], len[0]);
        tcb_fnv_hex(tcb_fnv1a64(h, text[1], len[1]), out->hash);
    }
    free(text[0]);
    free(text[1]);
    if (st != TCB_OK)
        tcb_run_dir_free(out);
    return st;
}

void tcb_run_dir_free(tcb_run_dir *r)
{
    for (int i = 0; i < r->n; i++)
        json_decref(r->records[i]);
    free(r->records);
    json_decref(r->manifest);
    memset(r, 0, sizeof *r);
}

char *tcb_case_key(json_t *rec)
{
    char *params = json_dumps(json_object_get(rec, "params"), JSON_COMPACT | JSON_SORT_KEYS);
    if (params == NULL)
        return NULL;
    const char *wl = string_at(rec, "workload"), *be = string_at(rec, "backend");
    json_int_t ranks = json_integer_value(json_object_get(rec, "ranks"));
    json_int_t nodes = json_integer_value(json_object_get(rec, "nodes"));
#define KEY_FMT "%s %s ranks=%" JSON_INTEGER_FORMAT " nodes=%" JSON_INTEGER_FORMAT " %s"
    const char *w = wl ? wl : "?", *b = be && *be ? be : "-";
    int n = snprintf(NULL, 0, KEY_FMT, w, b, ranks, nodes, params);
    char *key = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (key != NULL)
        snprintf(key, (size_t)n + 1, KEY_FMT, w, b, ranks, nodes, params);
#undef KEY_FMT
    free(params);
    return key;
}

static int compare_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends printf output to the growing string *buf (*len bytes so far). */
static bool append(char **buf, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool append(char **buf, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *grown = n >= 0 ? realloc(*buf, *len + (size_t)n + 1) : NULL;
    if (grown == NULL)
        return false;
    *buf = grown;
    va_start(ap, fmt);
    vsnprintf(*buf + *len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
    return true;
}

char *tcb_case_label(json_t *rec)
{
    const char *wl = string_at(rec, "workload"), *be = string_at(rec, "backend");
    char *buf = NULL;
    size_t len = 0;
    bool ok = append(&buf, &len, "%s %s ranks=%" JSON_INTEGER_FORMAT " nodes=%" JSON_INTEGER_FORMAT,
                     wl ? wl : "?", be && *be ? be : "-",
                     json_integer_value(json_object_get(rec, "ranks")),
                     json_integer_value(json_object_get(rec, "nodes")));
    json_t *params = json_object_get(rec, "params");
    /* Sorted keys, as in the case key: the same case reads the same. */
    size_t n = json_object_size(params), i = 0;
    const char **keys = n ? malloc(n * sizeof *keys) : NULL;
    const char *k;
    json_t *v;
    if (n && keys == NULL)
        ok = false;
    if (ok)
        json_object_foreach(params, k, v) keys[i++] = k;
    if (ok && n > 1) /* qsort wants a non-NULL array even for none */
        qsort(keys, n, sizeof *keys, compare_text);
    for (i = 0; ok && i < n; i++) {
        v = json_object_get(params, keys[i]);
        char *text = json_is_string(v)
                         ? NULL
                         : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
        ok = (json_is_string(v) || text != NULL) &&
             append(&buf, &len, " %s=%s", keys[i], text ? text : json_string_value(v));
        free(text);
    }
    free(keys);
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

static const char *hostname_of(json_t *node, const char *fallback)
{
    const char *h = string_at(node, "hostname");
    return h != NULL ? h : fallback;
}

void tcb_run_dir_hosts(const tcb_run_dir *run, char *buf, size_t size)
{
    size_t i, len = 0;
    json_t *node;
    buf[0] = '\0';
    json_array_foreach(json_object_get(run->manifest, "nodes"), i, node) {
        int n = snprintf(buf + len, size - len, "%s%s", i ? "," : "", hostname_of(node, "?"));
        if (n < 0 || (size_t)n >= size - len) {
            buf[len] = '\0';
            break;
        }
        len += (size_t)n;
    }
}

const char *tcb_run_dir_system(const tcb_run_dir *run)
{
    return hostname_of(json_array_get(json_object_get(run->manifest, "nodes"), 0), "unknown");
}
