/* Reads what a run wrote, for the MPI integration tests (bash scripts).
 *
 *   tcb_check_run lines FILE.jsonl           every line a whole result record? prints the count
 *   tcb_check_run count FILE.jsonl PATH VAL  how many records have PATH == VAL (JSON text)
 *   tcb_check_run field FILE.jsonl I PATH    PATH of record I (negative: from the end)
 *   tcb_check_run json FILE.json PATH        PATH of a JSON document
 *   tcb_check_run close A.jsonl B.jsonl I PATH TOL
 *                                            PATH of record I in A and in B (numbers or
 *                                            arrays of them) agree within relative TOL?
 *                                            prints the largest relative difference
 *
 * PATH is dot-separated ("check.status", "nodes.0.hostname"); "." is the root.
 * Values print as compact JSON ("ok" with its quotes). Exit 1 on any problem. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const required[] = {"schema", "run_id", "case", "workload", "backend",
                                       "params", "ranks", "nodes", "iters", "time_s",
                                       "metrics", "check", "energy", NULL};

static json_t *at(json_t *v, const char *path)
{
    if (strcmp(path, ".") == 0)
        return v;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && v;
         tok = strtok_r(NULL, ".", &save))
        v = json_is_array(v) ? json_array_get(v, (size_t)atol(tok)) : json_object_get(v, tok);
    return v;
}

static void print(json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    puts(s ? s : "<missing>");
    free(s);
}

/* Loads every line; fails on the first that is not a whole record. */
static json_t *load_lines(const char *file)
{
    FILE *f = fopen(file, "r");
    if (f == NULL) {
        perror(file);
        return NULL;
    }
    json_t *all = json_array();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        json_error_t err;
        if (line[n - 1] != '\n') {
            fprintf(stderr, "%s:%d: line not terminated (torn write)\n", file, lineno);
            goto fail;
        }
        json_t *rec = json_loads(line, 0, &err);
        if (rec == NULL) {
            fprintf(stderr, "%s:%d: not JSON: %s\n", file, lineno, err.text);
            goto fail;
        }
        for (int i = 0; required[i]; i++)
            if (json_object_get(rec, required[i]) == NULL) {
                fprintf(stderr, "%s:%d: no key %s\n", file, lineno, required[i]);
                json_decref(rec);
                goto fail;
            }
        json_array_append_new(all, rec);
    }
    free(line);
    fclose(f);
    return all;
fail:
    free(line);
    fclose(f);
    json_decref(all);
    return NULL;
}

/* The largest |a - b| / max(|a|, |b|) over two numbers or two arrays of
 * numbers of the same length; -1 when they are not comparable. */
static double max_rel_diff(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        double scale = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
        return scale > 0 ? fabs(x - y) / scale : 0;
    }
    if (!json_is_array(a) || !json_is_array(b) || json_array_size(a) != json_array_size(b) ||
        json_array_size(a) == 0)
        return -1;
    double worst = 0;
    for (size_t i = 0; i < json_array_size(a); i++) {
        double d = max_rel_diff(json_array_get(a, i), json_array_get(b, i));
        if (d < 0)
            return -1;
        worst = d > worst ? d : worst;
    }
    return worst;
}

static int close_enough(const char *fa, const char *fb, long i, const char *path, double tol)
{
    json_t *a = load_lines(fa), *b = a ? load_lines(fb) : NULL;
    int rc = 1;
    if (a != NULL && b != NULL) {
        double d = max_rel_diff(at(json_array_get(a, (size_t)i), path),
                                at(json_array_get(b, (size_t)i), path));
        if (d < 0)
            fprintf(stderr, "%s of record %ld: not two numbers or equal-length arrays\n",
                    path, i);
        else
            printf("%.3g\n", d);
        rc = d >= 0 && d <= tol ? 0 : 1;
    }
    json_decref(a);
    json_decref(b);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 7 && strcmp(argv[1], "close") == 0)
        return close_enough(argv[2], argv[3], atol(argv[4]), argv[5], atof(argv[6]));
    if (argc >= 3 && strcmp(argv[1], "json") == 0 && argc == 4) {
        json_error_t err;
        json_t *doc = json_load_file(argv[2], 0, &err);
        if (doc == NULL) {
            fprintf(stderr, "%s:%d: %s\n", argv[2], err.line, err.text);
            return 1;
        }
        print(at(doc, argv[3]));
        json_decref(doc);
        return 0;
    }
    if (argc < 3)
        goto usage;
    json_t *all = load_lines(argv[2]);
    if (all == NULL)
        return 1;
    int rc = 0;
    if (strcmp(argv[1], "lines") == 0 && argc == 3) {
        printf("%zu\n", json_array_size(all));
    } else if (strcmp(argv[1], "count") == 0 && argc == 5) {
        size_t i, hits = 0;
        json_t *rec;
        json_array_foreach(all, i, rec) {
            json_t *v = at(rec, argv[3]);
            char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
            hits += s && strcmp(s, argv[4]) == 0;
            free(s);
        }
        printf("%zu\n", hits);
    } else if (strcmp(argv[1], "field") == 0 && argc == 5) {
        long i = atol(argv[3]);
        if (i < 0)
            i += (long)json_array_size(all);
        print(i >= 0 ? at(json_array_get(all, (size_t)i), argv[4]) : NULL);
    } else {
        rc = 2;
    }
    json_decref(all);
    if (rc != 2)
        return rc;
usage:
    fprintf(stderr, "usage: tcb_check_run lines|count|field|json|close ...\n");
    return 2;
}
