/* The gate's Markdown job summary, sized for a CI job summary. */
#include "gate.h"

#include "html.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the Markdown summary --------------------------------------------------- */

/* Which table a row goes into; failed checks lead the first because a wrong
 * answer outranks any slowdown. */
enum { ROW_FAILED, ROW_REGRESSION, ROW_IMPROVEMENT };

typedef struct {
    const tcb_gate_item *item;
    int index; /* in the report: ties keep the report's order */
    int kind;  /* ROW_* */
    double key; /* how much worse (regressions) or better (improvements); higher first */
} row;

/* The relative change in the bad direction: +0.2 is 20 % worse whichever way
 * the metric points. */
static double worsening(const tcb_gate_item *it)
{
    return it->higher_is_better ? -it->change : it->change;
}

static int row_order(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    bool an = isnan(a->key), bn = isnan(b->key); /* unknown change: last */
    if (an != bn)
        return an ? 1 : -1;
    if (!an && a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Text from the report as Markdown. tcb_md_escape covers what breaks a
 * table ('|' and line breaks); text from result files can also carry markup
 * that GitHub renders (emphasis, links, images, HTML, code spans, math), so
 * a backslash first goes before the punctuation that opens it: CommonMark
 * reads "\c" as a literal c for any ASCII punctuation. An underscore inside
 * a word opens nothing, so "busbw_GBps" stays as it is. */
static void md_text(FILE *f, const char *s)
{
    char clean[TCB_GATE_CLEAN_MAX], literal[2 * TCB_GATE_CLEAN_MAX];
    tcb_gate_clean(clean, sizeof clean, s);
    size_t o = 0;
    for (size_t i = 0; clean[i] != '\0'; i++) {
        char c = clean[i];
        bool inside_word = c == '_' && i > 0 && isalnum((unsigned char)clean[i - 1]) &&
                           isalnum((unsigned char)clean[i + 1]);
        if (strchr("\\`*_[]<>&~$", c) != NULL && !inside_word)
            literal[o++] = '\\';
        literal[o++] = c;
    }
    literal[o] = '\0';
    tcb_md_escape(f, literal);
}

static void md_number(FILE *f, const char *fmt, double v)
{
    if (isfinite(v))
        fprintf(f, fmt, v);
    else
        fputs("-", f);
}

static const char *plural(int n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* "**2 regressions**, 1 failed check, 3 improvements in 412 comparisons":
 * what a reader of the CI page needs before anything else. */
static void write_head(FILE *f, const tcb_gate_report *r, const int *counts)
{
    int bad = counts[TCB_GATE_REGRESSION], failed = counts[TCB_GATE_FAILED],
        good = counts[TCB_GATE_IMPROVEMENT];
    if (bad > 0)
        fprintf(f, "**%d %s**", bad, plural(bad, "regression", "regressions"));
    else
        fputs("no regressions", f);
    if (failed > 0)
        fprintf(f, ", %d %s", failed, plural(failed, "failed check", "failed checks"));
    if (good > 0)
        fprintf(f, ", %d %s", good, plural(good, "improvement", "improvements"));
    fprintf(f, " in %d %s\n\n", r->n, plural(r->n, "comparison", "comparisons"));
    fputs("- machine: ", f);
    md_text(f, r->system);
    fputs(" (", f);
    md_text(f, r->hosts);
    fputs(")\n- current run: ", f);
    md_text(f, r->current_run);
    fputs("\n- baseline: ", f);
    md_text(f, r->baseline);
    fputs("\n- test: ", f);
    md_text(f, r->test);
    fprintf(f, ", alpha %g\n", r->alpha);
}

static void write_tail(FILE *f, const int *counts)
{
    fprintf(f,
            "\n### Other comparisons\n\n"
            "- new (current run only): %d\n"
            "- missing (baseline only): %d\n"
            "- noise (beyond tolerance, not significant): %d\n"
            "- ok: %d\n",
            counts[TCB_GATE_NEW], counts[TCB_GATE_MISSING], counts[TCB_GATE_NOISE],
            counts[TCB_GATE_OK]);
}

#define TABLE_COLUMNS                                                                    \
    "| case | workload | metric | baseline | current | change | tolerance | p-value | n " \
    "| verdict |\n|:--|:--|:--|--:|--:|--:|--:|--:|--:|:--|\n"

static const char *const section_heads[] = {
    [ROW_FAILED] = "\n### Regressions and failed checks, worst first\n\n" TABLE_COLUMNS,
    [ROW_REGRESSION] = "\n### Regressions and failed checks, worst first\n\n" TABLE_COLUMNS,
    [ROW_IMPROVEMENT] = "\n### Improvements, best first\n\n" TABLE_COLUMNS,
};

/* Failed checks and regressions share the first table. */
static int section_of(int kind)
{
    return kind == ROW_IMPROVEMENT ? 1 : 0;
}

static void write_row(FILE *f, const tcb_gate_item *it)
{
    fputs("| ", f);
    md_text(f, it->case_id);
    fputs(" | ", f);
    md_text(f, it->workload);
    fputs(" | ", f);
    md_text(f, it->metric);
    fputs(" | ", f);
    md_number(f, "%.4g", it->baseline);
    fputs(" | ", f);
    md_number(f, "%.4g", it->current);
    fputs(" | ", f);
    md_number(f, "%+.1f%%", 100.0 * it->change);
    fputs(" | ", f);
    md_number(f, "%.3g%%", 100.0 * it->tolerance);
    fputs(" | ", f);
    md_number(f, "%.2g", it->p_value);
    fprintf(f, " | %d/%d | ", it->n_baseline, it->n_current);
    fputs(it->verdict == TCB_GATE_FAILED ? "check failed" : tcb_gate_verdict_name(it->verdict), f);
    if (it->detail[0] != '\0') {
        fputs(": ", f);
        md_text(f, it->detail);
    }
    fputs(" |\n", f);
}

#define LEFT_OUT_LINE                                                                    \
    "\n_%d %s left out to keep this summary within %zu bytes (regressions and failed "   \
    "checks: %d, improvements: %d)._\n"

tcb_status tcb_gate_write_summary(const tcb_gate_report *r, FILE *out, size_t cap_bytes)
{
    TCB_CHECK(tcb_gate_check(r));
    int counts[TCB_GATE_NVERDICTS];
    tcb_gate_count(r, counts);

    int nrows = counts[TCB_GATE_FAILED] + counts[TCB_GATE_REGRESSION] +
                counts[TCB_GATE_IMPROVEMENT];
    int nbad = nrows - counts[TCB_GATE_IMPROVEMENT];
    row *rows = malloc(((size_t)nrows + 1) * sizeof *rows);
    size_t *row_end = malloc(((size_t)nrows + 1) * sizeof *row_end);
    char *head = NULL, *tail = NULL, *text = NULL, *doc = NULL;
    size_t head_len = 0, tail_len = 0, text_len = 0, doc_len = 0;
    FILE *fh = open_memstream(&head, &head_len), *ft = open_memstream(&tail, &tail_len),
         *fr = open_memstream(&text, &text_len);
    tcb_status st = TCB_OK;
    if (rows == NULL || row_end == NULL || fh == NULL || ft == NULL || fr == NULL) {
        st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "malloc", "out of memory");
        goto done;
    }

    int k = 0;
    for (int i = 0; i < r->n; i++) {
        const tcb_gate_item *it = &r->items[i];
        int kind = it->verdict == TCB_GATE_FAILED       ? ROW_FAILED
                   : it->verdict == TCB_GATE_REGRESSION ? ROW_REGRESSION
                   : it->verdict == TCB_GATE_IMPROVEMENT ? ROW_IMPROVEMENT
                                                         : -1;
        if (kind >= 0)
            rows[k++] = (row){it, i, kind,
                              kind == ROW_IMPROVEMENT ? -worsening(it) : worsening(it)};
    }
    qsort(rows, (size_t)nrows, sizeof *rows, row_order);

    write_head(fh, r, counts);
    write_tail(ft, counts);
    /* Every row formatted once into one buffer; row i is text[row_end[i-1],
     * row_end[i]). Deciding what fits needs their lengths first. */
    for (int i = 0; i < nrows; i++) {
        write_row(fr, rows[i].item);
        long at = ftell(fr);
        row_end[i] = at < 0 ? 0 : (size_t)at;
    }
    bool formatted = !ferror(fh) && !ferror(ft) && !ferror(fr);
    formatted = fclose(fh) == 0 && formatted;
    formatted = fclose(ft) == 0 && formatted;
    formatted = fclose(fr) == 0 && formatted;
    fh = ft = fr = NULL;
    if (!formatted) {
        st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "open_memstream",
                             "out of memory formatting the summary");
        goto done;
    }

    /* What fits: everything, or the rows in order until the next would push
     * the document, with room kept for the "left out" line, past the cap. A
     * table's heading is paid for by its first row. The line's length is
     * bounded by the longest numbers it can hold. */
    size_t fixed = head_len + tail_len;
    size_t all = fixed + text_len + (nbad > 0 ? strlen(section_heads[0]) : 0) +
                 (nrows > nbad ? strlen(section_heads[ROW_IMPROVEMENT]) : 0);
    int kept = nrows;
    if (all > cap_bytes) {
        size_t used = fixed + (size_t)snprintf(NULL, 0, LEFT_OUT_LINE, nrows, "rows", cap_bytes,
                                               nrows, nrows);
        if (used > cap_bytes) {
            tcb_log_error("gate summary: a cap of %zu bytes cannot hold even the verdict and "
                          "the counts (%zu bytes)",
                          cap_bytes, used);
            st = TCB_ERR_CONFIG;
            goto done;
        }
        for (kept = 0; kept < nrows; kept++) {
            size_t cost = row_end[kept] - (kept > 0 ? row_end[kept - 1] : 0);
            if (kept == 0 || section_of(rows[kept].kind) != section_of(rows[kept - 1].kind))
                cost += strlen(section_heads[rows[kept].kind]);
            if (used + cost > cap_bytes)
                break;
            used += cost;
        }
    }

    FILE *fd = open_memstream(&doc, &doc_len);
    if (fd == NULL) {
        st = tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "open_memstream",
                             "out of memory");
        goto done;
    }
    fwrite(head, 1, head_len, fd);
    for (int i = 0; i < kept; i++) {
        if (i == 0 || section_of(rows[i].kind) != section_of(rows[i - 1].kind))
            fputs(section_heads[rows[i].kind], fd);
        size_t start = i > 0 ? row_end[i - 1] : 0;
        fwrite(text + start, 1, row_end[i] - start, fd);
    }
    fwrite(tail, 1, tail_len, fd);
    if (kept < nrows) {
        int bad_left = kept < nbad ? nbad - kept : 0;
        fprintf(fd, LEFT_OUT_LINE, nrows - kept, plural(nrows - kept, "row", "rows"), cap_bytes,
                bad_left, nrows - kept - bad_left);
    }
    st = tcb_gate_flush(fd, &doc, &doc_len, out);

done:
    if (fh != NULL)
        fclose(fh);
    if (ft != NULL)
        fclose(ft);
    if (fr != NULL)
        fclose(fr);
    free(head);
    free(tail);
    free(text);
    free(rows);
    free(row_end);
    return st;
}
