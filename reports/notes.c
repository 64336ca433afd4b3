#include "notes.h"

#include "html.h"

#include <stdarg.h>
#include <string.h>

void tcb_notes_add(tcb_notes *ns, const char *row, const char *fmt, ...)
{
    char text[sizeof ns->notes[0].text];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    tcb_note *note = NULL;
    for (int i = 0; i < ns->n && note == NULL; i++)
        if (strcmp(ns->notes[i].text, text) == 0)
            note = &ns->notes[i];
    if (note == NULL) {
        if (ns->n == TCB_NOTES_MAX) {
            ns->dropped++;
            return;
        }
        note = &ns->notes[ns->n++];
        memset(note, 0, sizeof *note);
        memcpy(note->text, text, sizeof text);
    }
    if (row == NULL)
        return;
    for (int r = 0; r < note->nrows; r++)
        if (strcmp(note->rows[r], row) == 0)
            return;
    if (note->nrows == TCB_NOTE_ROWS) {
        note->dropped++;
        return;
    }
    snprintf(note->rows[note->nrows++], sizeof note->rows[0], "%s", row);
}

static void write_rows(const tcb_note *note, FILE *out, void (*put)(FILE *, const char *))
{
    for (int r = 0; r < note->nrows; r++) {
        fputs(r == 0 ? ": " : ", ", out);
        put(out, note->rows[r]);
    }
    if (note->dropped > 0)
        fprintf(out, " and %d more", note->dropped);
}

static void put_plain(FILE *out, const char *s)
{
    fputs(s, out);
}

void tcb_notes_write(const tcb_notes *ns, FILE *out, const char *prefix)
{
    for (int i = 0; i < ns->n; i++) {
        fprintf(out, "%s%s", prefix, ns->notes[i].text);
        write_rows(&ns->notes[i], out, put_plain);
        fputc('\n', out);
    }
    if (ns->dropped > 0)
        fprintf(out, "%s%d more note(s) left out\n", prefix, ns->dropped);
}

void tcb_notes_write_md(const tcb_notes *ns, FILE *out)
{
    for (int i = 0; i < ns->n; i++) {
        fputs("- ", out);
        tcb_md_escape(out, ns->notes[i].text);
        write_rows(&ns->notes[i], out, tcb_md_escape);
        fputc('\n', out);
    }
    if (ns->dropped > 0)
        fprintf(out, "- %d more note(s) left out\n", ns->dropped);
}

json_t *tcb_notes_json(const tcb_notes *ns)
{
    json_t *a = json_array();
    for (int i = 0; i < ns->n; i++) {
        json_t *rows = json_array();
        for (int r = 0; r < ns->notes[i].nrows; r++)
            json_array_append_new(rows, json_string(ns->notes[i].rows[r]));
        json_array_append_new(a, json_pack("{s:s, s:o}", "note", ns->notes[i].text, "rows", rows));
    }
    return a;
}
