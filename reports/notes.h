/* What a table had to assume or could not find, said once each after it:
 * a note is a sentence and the rows it applies to ("no on-demand price in
 * the catalog: B200, GB200 (per GPU)"). Adding the same note or the same row
 * twice keeps one. */
#ifndef TCB_NOTES_H
#define TCB_NOTES_H

#include <jansson.h>
#include <stdio.h>

#define TCB_NOTES_MAX 24
#define TCB_NOTE_ROWS 64

typedef struct {
    char text[400];
    char rows[TCB_NOTE_ROWS][128];
    int nrows;
    int dropped; /* rows past TCB_NOTE_ROWS: counted, not named */
} tcb_note;

typedef struct {
    tcb_note notes[TCB_NOTES_MAX];
    int n;
    int dropped; /* notes past TCB_NOTES_MAX */
} tcb_notes;

/* Adds row (NULL: none) under the note with this text, made if new. */
void tcb_notes_add(tcb_notes *ns, const char *row, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One line per note: "PREFIX text: row, row" (md: "- text: row, row", the
 * rows escaped for Markdown). Nothing when there are no notes. */
void tcb_notes_write(const tcb_notes *ns, FILE *out, const char *prefix);
void tcb_notes_write_md(const tcb_notes *ns, FILE *out);

/* [{"note": text, "rows": [row, ...]}, ...] */
json_t *tcb_notes_json(const tcb_notes *ns);

#endif
