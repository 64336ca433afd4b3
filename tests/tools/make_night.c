/* Makes a synthetic night from a real run, for the nightly gate's tests:
 *
 *   tcb_make_night SRC_RUN_DIR DST_RUN_DIR --run-id ID --start-utc ISO8601
 *                  [--scale S] [--noise SIGMA] [--seed N]
 *
 * DST gets SRC's run.json and results.jsonl with the run id replaced (in
 * run.json and in every record) and run.json's start_utc set. In every timed
 * record (one with a samples_s array) each sample becomes
 *
 *     s * S * (1 + SIGMA * z),   z ~ N(0, 1)   (mt19937 seeded with N)
 *
 * redrawn while that factor is not positive, so a sample stays > 0. time_s is
 * recomputed from the new samples, and every judged metric
 * (reports/directions.h) follows the new median the way it follows time:
 * rates (higher is better) times old_median / new_median, times (lower is
 * better) times new_median / old_median. `--scale 1.10` is a night 10%
 * slower than SRC in every timed case, with SRC's noise; `--noise 0.02` adds
 * 2% of its own. Other regular files of SRC are copied as they are.
 *
 * Defaults: scale 1, noise 0, seed 1. Exit 0 done; 2 bad arguments or a
 * SRC that is not a run directory; 3 an I/O failure. Messages go to stderr. */
#include "directions.h"
#include "stats.h"
#include "tcb_error.h"

#include <dirent.h>
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DUMP_FLAGS (JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))

typedef struct {
    const char *src, *dst;
    const char *run_id, *start_utc;
    double scale, noise;
    unsigned long seed;
} night_options;

static tcb_status say(tcb_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static tcb_status say(tcb_status s, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "tcb_make_night: %s\n", msg);
    return s;
}

static void usage(FILE *out)
{
    fputs("usage: tcb_make_night SRC_RUN_DIR DST_RUN_DIR --run-id ID --start-utc ISO8601\n"
          "                      [--scale S] [--noise SIGMA] [--seed N]\n"
          "  copies a run directory as another night: new run id and start time, every\n"
          "  timed sample times S*(1+SIGMA*z); defaults S=1, SIGMA=0, N=1\n",
          out);
}

/* ---- arguments ------------------------------------------------------------- */

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* YYYY-MM-DDTHH:MM:SS, optionally .digits, then Z: what run.json writes. */
static bool is_iso8601_utc(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i = 0;
    for (; shape[i] != '\0'; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return false;
    }
    int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
    int hour = (s[11] - '0') * 10 + (s[12] - '0'), min = (s[14] - '0') * 10 + (s[15] - '0');
    int sec = (s[17] - '0') * 10 + (s[18] - '0');
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return false;
    if (s[i] == '.') {
        size_t digits = 0;
        for (i++; s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
        if (digits == 0)
            return false;
    }
    return s[i] == 'Z' && s[i + 1] == '\0';
}

static tcb_status parse_args(int argc, char **argv, night_options *o)
{
    *o = (night_options){.scale = 1.0, .noise = 0.0, .seed = 1};
    const char *positional[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-') {
            if (i + 1 >= argc)
                return say(TCB_ERR_CONFIG, "%s needs a value", a);
            const char *v = argv[++i];
            if (strcmp(a, "--run-id") == 0) {
                if (v[0] == '\0' || strchr(v, '"') != NULL || strchr(v, '/') != NULL)
                    return say(TCB_ERR_CONFIG, "--run-id '%s': give a non-empty id "
                                               "without '/' or '\"'", v);
                o->run_id = v;
            } else if (strcmp(a, "--start-utc") == 0) {
                if (!is_iso8601_utc(v))
                    return say(TCB_ERR_CONFIG, "--start-utc '%s' is not ISO 8601 UTC "
                                               "(2026-11-22T03:00:00Z)", v);
                o->start_utc = v;
            } else if (strcmp(a, "--scale") == 0) {
                if (!parse_double(v, &o->scale) || o->scale <= 0)
                    return say(TCB_ERR_CONFIG, "--scale '%s' is not a number > 0", v);
            } else if (strcmp(a, "--noise") == 0) {
                if (!parse_double(v, &o->noise) || o->noise < 0 || o->noise > 10)
                    return say(TCB_ERR_CONFIG, "--noise '%s' is not a number in [0, 10]", v);
            } else if (strcmp(a, "--seed") == 0) {
                char *end;
                errno = 0;
                unsigned long long n = strtoull(v, &end, 10);
                if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n > ULONG_MAX)
                    return say(TCB_ERR_CONFIG, "--seed '%s' is not a non-negative integer", v);
                o->seed = (unsigned long)n;
            } else {
                return say(TCB_ERR_CONFIG, "unknown option '%s'", a);
            }
        } else {
            if (npos == 2)
                return say(TCB_ERR_CONFIG, "one SRC and one DST run directory; '%s' is a third",
                           a);
            positional[npos++] = a;
        }
    }
    if (npos < 2)
        return say(TCB_ERR_CONFIG, "SRC_RUN_DIR and DST_RUN_DIR are required");
    if (o->run_id == NULL || o->start_utc == NULL)
        return say(TCB_ERR_CONFIG, "--run-id and --start-utc are required");
    o->src = positional[0];
    o->dst = positional[1];
    return TCB_OK;
}

/* ---- one timed record ---------------------------------------------------------- */

/* Replaces time_s with the statistics of the new samples (sorted copy). */
static tcb_status set_time_stats(json_t *rec, const double *samples, int n, tcb_stats *st)
{
    double *copy = malloc((size_t)n * sizeof *copy);
    TCB_ALLOC_CHECK(copy);
    memcpy(copy, samples, (size_t)n * sizeof *copy);
    tcb_stats_compute(copy, n, st);
    free(copy);
    json_t *t = json_object();
    TCB_ALLOC_CHECK(t);
    json_object_set_new(t, "min", json_real(st->min));
    json_object_set_new(t, "median", json_real(st->median));
    json_object_set_new(t, "mean", json_real(st->mean));
    json_object_set_new(t, "p95", json_real(st->p95));
    json_object_set_new(t, "max", json_real(st->max));
    json_object_set_new(t, "stddev", json_real(st->stddev));
    json_object_set_new(rec, "time_s", t);
    return TCB_OK;
}

/* *median of n samples, left in their order. */
static tcb_status median_of(const double *samples, size_t n, double *median)
{
    double *copy = malloc(n * sizeof *copy);
    TCB_ALLOC_CHECK(copy);
    memcpy(copy, samples, n * sizeof *copy);
    tcb_stats st;
    tcb_stats_compute(copy, (int)n, &st);
    free(copy);
    *median = st.median;
    return TCB_OK;
}

/* Rescales samples_s, time_s and the judged metrics of one record. where
 * names it in messages ("DIR/results.jsonl:LINE"). */
static tcb_status rescale_record(json_t *rec, const night_options *o, gsl_rng *rng,
                                 const char *where)
{
    json_t *arr = json_object_get(rec, "samples_s");
    if (arr == NULL)
        return TCB_OK; /* not timed */
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n == 0 || n > INT_MAX)
        return say(TCB_ERR_CONFIG, "%s: samples_s is not a non-empty array", where);

    double *old = malloc(n * sizeof *old);
    TCB_ALLOC_CHECK(old);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_number(v) || !(json_number_value(v) > 0)) {
            free(old);
            return say(TCB_ERR_CONFIG, "%s: samples_s[%zu] is not a number > 0", where, i);
        }
        old[i] = json_number_value(v);
    }
    /* The metrics were computed from the record's median; use it when there. */
    double old_median = tcb_direction_value(rec, "time_s");
    tcb_stats st;
    if (!(old_median > 0)) {
        tcb_status s = median_of(old, n, &old_median);
        if (s != TCB_OK)
            free(old);
        TCB_CHECK(s);
    }

    json_t *fresh = json_array();
    if (fresh == NULL)
        free(old);
    TCB_ALLOC_CHECK(fresh);
    for (size_t i = 0; i < n; i++) {
        double factor;
        do
            factor = 1.0 + o->noise * gsl_ran_gaussian(rng, 1.0);
        while (!(factor > 0)); /* keep every sample > 0 */
        old[i] *= o->scale * factor;
        json_array_append_new(fresh, json_real(old[i]));
    }
    json_object_set_new(rec, "samples_s", fresh);

    tcb_status s = set_time_stats(rec, old, (int)n, &st);
    free(old);
    TCB_CHECK(s);

    json_t *metrics = json_object_get(rec, "metrics");
    for (const tcb_direction *d = tcb_directions; d->name != NULL; d++) {
        if (strcmp(d->name, "time_s") == 0)
            continue; /* recomputed above */
        json_t *v = json_object_get(metrics, d->name);
        if (!json_is_number(v))
            continue; /* absent, or null (not finite) */
        double ratio = d->higher_is_better ? old_median / st.median : st.median / old_median;
        json_object_set_new(metrics, d->name, json_real(json_number_value(v) * ratio));
    }
    return TCB_OK;
}

/* ---- files ------------------------------------------------------------------------- */

static tcb_status write_text(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return say(TCB_ERR_RUNTIME, "%s: cannot write: %s", path, strerror(errno));
    bool ok = fwrite(text, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    return ok ? TCB_OK : say(TCB_ERR_RUNTIME, "%s: write failed", path);
}

static tcb_status copy_run_json(const night_options *o)
{
    char in[PATH_MAX], out[PATH_MAX];
    snprintf(in, sizeof in, "%s/run.json", o->src);
    snprintf(out, sizeof out, "%s/run.json", o->dst);
    json_error_t err;
    json_t *run = json_load_file(in, JSON_DECODE_ANY, &err);
    if (run == NULL)
        return say(TCB_ERR_CONFIG, "%s:%d: not JSON: %s", in, err.line, err.text);
    if (!json_is_object(run)) {
        json_decref(run);
        return say(TCB_ERR_CONFIG, "%s: not a JSON object", in);
    }
    json_object_set_new(run, "run_id", json_string(o->run_id));
    json_object_set_new(run, "start_utc", json_string(o->start_utc));
    char *text = json_dumps(run, DUMP_FLAGS | JSON_INDENT(2));
    json_decref(run);
    TCB_ALLOC_CHECK(text);
    size_t len = strlen(text);
    char *lined = realloc(text, len + 2); /* run.json ends in a newline, as tcbench writes it */
    if (lined == NULL)
        free(text);
    TCB_ALLOC_CHECK(lined);
    lined[len] = '\n';
    lined[len + 1] = '\0';
    tcb_status s = write_text(out, lined, len + 1);
    free(lined);
    return s;
}

static tcb_status copy_results(const night_options *o)
{
    char in[PATH_MAX], out[PATH_MAX], where[PATH_MAX + 32];
    snprintf(in, sizeof in, "%s/results.jsonl", o->src);
    snprintf(out, sizeof out, "%s/results.jsonl", o->dst);
    FILE *f = fopen(in, "r");
    if (f == NULL)
        return say(TCB_ERR_CONFIG, "%s: cannot read: %s", in, strerror(errno));
    FILE *g = fopen(out, "w");
    if (g == NULL) {
        fclose(f);
        return say(TCB_ERR_RUNTIME, "%s: cannot write: %s", out, strerror(errno));
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (rng == NULL) {
        fclose(f);
        fclose(g);
        return say(TCB_ERR_RUNTIME, "out of memory");
    }
    gsl_rng_set(rng, o->seed);

    tcb_status s = TCB_OK;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    for (int lineno = 1; s == TCB_OK && (n = getline(&line, &cap, f)) > 0; lineno++) {
        snprintf(where, sizeof where, "%s:%d", in, lineno);
        json_error_t err;
        json_t *rec = json_loadb(line, (size_t)n, 0, &err);
        if (!json_is_object(rec)) {
            s = say(TCB_ERR_CONFIG, "%s: not a JSON record: %s", where,
                    rec == NULL ? err.text : "not an object");
            json_decref(rec);
            break;
        }
        json_object_set_new(rec, "run_id", json_string(o->run_id));
        s = rescale_record(rec, o, rng, where);
        if (s == TCB_OK) {
            char *text = json_dumps(rec, DUMP_FLAGS | JSON_COMPACT);
            if (text == NULL || fputs(text, g) == EOF || fputc('\n', g) == EOF)
                s = say(TCB_ERR_RUNTIME, "%s: write failed", out);
            free(text);
        }
        json_decref(rec);
    }
    free(line);
    gsl_rng_free(rng);
    fclose(f);
    if (fclose(g) != 0 && s == TCB_OK)
        s = say(TCB_ERR_RUNTIME, "%s: write failed", out);
    return s;
}

/* Other regular files of the run directory, byte for byte. */
static tcb_status copy_others(const night_options *o)
{
    DIR *d = opendir(o->src);
    if (d == NULL)
        return say(TCB_ERR_CONFIG, "%s: cannot read: %s", o->src, strerror(errno));
    tcb_status s = TCB_OK;
    for (struct dirent *e; s == TCB_OK && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, "run.json") == 0 || strcmp(e->d_name, "results.jsonl") == 0)
            continue;
        char in[PATH_MAX], out[PATH_MAX];
        snprintf(in, sizeof in, "%s/%s", o->src, e->d_name);
        snprintf(out, sizeof out, "%s/%s", o->dst, e->d_name);
        struct stat st;
        if (stat(in, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(in, "rb"), *g = f ? fopen(out, "wb") : NULL;
        if (f == NULL || g == NULL) {
            s = say(TCB_ERR_RUNTIME, "%s: cannot copy: %s", in, strerror(errno));
        } else {
            char buf[65536];
            size_t k;
            while ((k = fread(buf, 1, sizeof buf, f)) > 0)
                if (fwrite(buf, 1, k, g) != k)
                    break;
            if (ferror(f) || ferror(g))
                s = say(TCB_ERR_RUNTIME, "%s: cannot copy", in);
        }
        if (f)
            fclose(f);
        if (g && fclose(g) != 0 && s == TCB_OK)
            s = say(TCB_ERR_RUNTIME, "%s: write failed", out);
    }
    closedir(d);
    return s;
}

static tcb_status make_night(const night_options *o)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/run.json", o->src);
    if (access(path, R_OK) != 0)
        return say(TCB_ERR_CONFIG, "%s is not a run directory (no readable run.json)", o->src);
    if (mkdir(o->dst, 0755) != 0 && errno != EEXIST)
        return say(TCB_ERR_RUNTIME, "%s: cannot create: %s", o->dst, strerror(errno));
    snprintf(path, sizeof path, "%s/run.json", o->dst);
    if (access(path, F_OK) == 0)
        return say(TCB_ERR_CONFIG, "%s already holds a run; give another DST", o->dst);
    TCB_CHECK(copy_results(o));
    TCB_CHECK(copy_others(o));
    return copy_run_json(o); /* last: a DST with run.json is a whole night */
}

int main(int argc, char **argv)
{
    night_options o;
    tcb_status s = parse_args(argc, argv, &o);
    if (s != TCB_OK) {
        usage(stderr);
        return s;
    }
    return make_night(&o);
}
