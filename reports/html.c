#include "html.h"
#include "results.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void tcb_html_escape(FILE *out, const char *s)
{
    for (; s != NULL && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

void tcb_md_escape(FILE *out, const char *s)
{
    for (; s != NULL && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

void tcb_csv_field(FILE *out, const char *s)
{
    if (s == NULL)
        return;
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void tcb_html_begin(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", out);
    tcb_html_escape(out, title);
    fputs("</title>\n<style>\n"
          "body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222}\n"
          "h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #ccc}\n"
          "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}\n"
          "th,td{border:1px solid #ccc;padding:2px 8px;text-align:right}\n"
          "th{background:#f4f4f4}td.t{text-align:left}\n"
          "svg{display:block;margin:1em 0;background:#fff}\n"
          ".note{color:#555}\n"
          "</style>\n</head>\n<body>\n<h1>", out);
    tcb_html_escape(out, title);
    fputs("</h1>\n", out);
}

void tcb_html_end(FILE *out)
{
    fputs("</body>\n</html>\n", out);
}

/* ---- the page ------------------------------------------------------------- */

tcb_status tcb_page_open(tcb_page *p, const char *title)
{
    memset(p, 0, sizeof *p);
    p->md = open_memstream(&p->md_buf, &p->md_len);
    p->html = open_memstream(&p->html_buf, &p->html_len);
    if (p->md == NULL || p->html == NULL) {
        tcb_page_free(p);
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "open_memstream",
                               "no memory");
    }
    tcb_html_begin(p->html, title);
    fputs("# ", p->md);
    tcb_md_escape(p->md, title);
    fputs("\n\nThe charts are in report.html.\n", p->md);
    return TCB_OK;
}

/* text, escaped for each, between the Markdown and the HTML wrappers. */
static void both(tcb_page *p, const char *md_open, const char *md_close, const char *html_open,
                 const char *html_close, const char *text)
{
    fputs(md_open, p->md);
    tcb_md_escape(p->md, text);
    fputs(md_close, p->md);
    fputs(html_open, p->html);
    tcb_html_escape(p->html, text);
    fputs(html_close, p->html);
}

void tcb_page_section(tcb_page *p, const char *title)
{
    both(p, "\n## ", "\n", "<h2>", "</h2>\n", title);
}

void tcb_page_note(tcb_page *p, const char *text)
{
    both(p, "\n", "\n", "<p class=\"note\">", "</p>\n", text);
}

void tcb_page_list(tcb_page *p, bool open)
{
    fputs(open ? "<ul>\n" : "</ul>\n", p->html);
    fputs("\n", p->md);
}

void tcb_page_item(tcb_page *p, const char *text)
{
    both(p, "- ", "\n", "<li>", "</li>\n", text);
}

static void close_streams(tcb_page *p)
{
    if (p->md != NULL)
        fclose(p->md);
    if (p->html != NULL)
        fclose(p->html);
    for (int i = 0; i < p->ncsv; i++)
        if (p->csv[i].f != NULL)
            fclose(p->csv[i].f);
    p->md = p->html = NULL;
    for (int i = 0; i < p->ncsv; i++)
        p->csv[i].f = NULL;
}

tcb_status tcb_page_write(tcb_page *p, const char *dir)
{
    tcb_html_end(p->html);
    close_streams(p);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        tcb_log_error("report: cannot make %s: %s", dir, strerror(errno));
        return TCB_ERR_RUNTIME;
    }
    tcb_status st = tcb_file_write_atomic(dir, "report.md", p->md_buf);
    if (st == TCB_OK)
        st = tcb_file_write_atomic(dir, "report.html", p->html_buf);
    for (int i = 0; st == TCB_OK && i < p->ncsv; i++)
        st = tcb_file_write_atomic(dir, p->csv[i].name, p->csv[i].buf ? p->csv[i].buf : "");
    return st;
}

void tcb_page_free(tcb_page *p)
{
    close_streams(p);
    free(p->md_buf);
    free(p->html_buf);
    for (int i = 0; i < p->ncsv; i++)
        free(p->csv[i].buf);
    memset(p, 0, sizeof *p);
}

/* ---- tables --------------------------------------------------------------- */

static void row(tcb_table *t, const char *const *cells, bool header)
{
    FILE *html = t->p->html, *md = t->p->md;
    fputs("<tr>", html);
    for (int i = 0; i < t->ncols; i++) {
        char *end;
        strtod(cells[i], &end);
        bool numeric = (cells[i][0] != '\0' && *end == '\0') || strcmp(cells[i], "-") == 0;
        fputs(header ? "<th>" : numeric ? "<td>" : "<td class=\"t\">", html);
        tcb_html_escape(html, cells[i]);
        fputs(header ? "</th>" : "</td>", html);
        fputs("| ", md);
        tcb_md_escape(md, cells[i]);
        fputs(i + 1 < t->ncols ? " " : " |\n", md);
        if (t->csv != NULL) {
            tcb_csv_field(t->csv, strcmp(cells[i], "-") == 0 ? "" : cells[i]);
            fputs(i + 1 < t->ncols ? "," : "\n", t->csv);
        }
    }
    fputs("</tr>\n", html);
    if (header) {
        for (int i = 0; i < t->ncols; i++)
            fputs("|---", md);
        fputs("|\n", md);
    }
}

void tcb_table_begin(tcb_table *t, tcb_page *p, const char *csv_name, const char *const *cols,
                     int ncols)
{
    t->p = p;
    t->ncols = ncols;
    t->csv = NULL;
    if (p->ncsv < TCB_PAGE_MAX_CSV) {
        snprintf(p->csv[p->ncsv].name, sizeof p->csv[p->ncsv].name, "%s", csv_name);
        t->csv = open_memstream(&p->csv[p->ncsv].buf, &p->csv[p->ncsv].len);
        if (t->csv != NULL)
            p->csv[p->ncsv++].f = t->csv;
    }
    fputs("<table>\n", p->html);
    fputs("\n(also in ", p->md);
    tcb_md_escape(p->md, csv_name);
    fputs(")\n\n", p->md);
    row(t, cols, true);
}

void tcb_table_row(tcb_table *t, const char *const *cells)
{
    row(t, cells, false);
}

void tcb_table_end(tcb_table *t)
{
    fputs("</table>\n", t->p->html);
}
