/* Text that goes into report.html and report.md: the HTML escaper, the
 * Markdown table-cell escaper and the frame of the one self-contained page
 * (inline CSS, no scripts, no external URLs). */
#ifndef TCB_HTML_H
#define TCB_HTML_H

#include "tcb_error.h"

#include <stdbool.h>
#include <stdio.h>

/* Writes s to out with & < > " ' replaced by entities, so the text is safe
 * in HTML/SVG element content and in quoted attribute values. NULL writes
 * nothing. */
void tcb_html_escape(FILE *out, const char *s);

/* Writes s as one Markdown table cell's text: '|' becomes "\|" and line
 * breaks become spaces. NULL writes nothing. */
void tcb_md_escape(FILE *out, const char *s);

/* Writes s as one CSV field: quoted, with '"' doubled, when it holds a
 * comma, a quote or a line break; as is otherwise. */
void tcb_csv_field(FILE *out, const char *s);

/* The page: doctype, head with the title (escaped) and the inline style
 * sheet, the opening of the body and an <h1> with the title. */
void tcb_html_begin(FILE *out, const char *title);
void tcb_html_end(FILE *out);

/* ---- a report page: report.md and report.html written side by side, and a
 * CSV per table. Everything is kept in memory until tcb_page_write, so a
 * failure before it writes nothing. */

#define TCB_PAGE_MAX_CSV 8

typedef struct {
    FILE *md, *html;
    char *md_buf, *html_buf;
    size_t md_len, html_len;
    struct { char name[64]; char *buf; size_t len; FILE *f; } csv[TCB_PAGE_MAX_CSV];
    int ncsv;
} tcb_page;

/* Starts both documents with the title (escaped). tcb_page_free frees. */
tcb_status tcb_page_open(tcb_page *p, const char *title);
/* An <h2> / "## " heading; a paragraph of text; a bulleted list (begin with
 * open = true, items, end with open = false). Text is escaped. */
void tcb_page_section(tcb_page *p, const char *title);
void tcb_page_note(tcb_page *p, const char *text);
void tcb_page_list(tcb_page *p, bool open);
void tcb_page_item(tcb_page *p, const char *text);
/* Raw HTML (a chart): the stream to write it to. */
static inline FILE *tcb_page_html(tcb_page *p) { return p->html; }
/* Finishes both documents and writes report.md, report.html and the CSVs
 * into dir (made if missing), each atomically. */
tcb_status tcb_page_write(tcb_page *p, const char *dir);
void tcb_page_free(tcb_page *p);

/* A table in both documents and in its own CSV file (csv_name, in the page's
 * directory). Cells are text; "-" stands for no value (empty in the CSV). */
typedef struct {
    tcb_page *p;
    FILE *csv; /* NULL past TCB_PAGE_MAX_CSV tables: no CSV */
    int ncols;
} tcb_table;

void tcb_table_begin(tcb_table *t, tcb_page *p, const char *csv_name, const char *const *cols,
                     int ncols);
void tcb_table_row(tcb_table *t, const char *const *cells);
void tcb_table_end(tcb_table *t);

#endif
