/* reports/notes.c: a note is said once, each row under it once, in the
 * order first seen; overflow is counted, never silently lost. */
#include "notes.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static char *written(const tcb_notes *ns, bool md)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    if (md)
        tcb_notes_write_md(ns, f);
    else
        tcb_notes_write(ns, f, "# ");
    fclose(f);
    return buf;
}

Test(notes, same_note_and_row_kept_once_in_first_seen_order)
{
    static tcb_notes ns;
    memset(&ns, 0, sizeof ns);
    tcb_notes_add(&ns, "B200", "no %s price", "on-demand");
    tcb_notes_add(&ns, "MI250X", "no on-demand price");
    tcb_notes_add(&ns, "B200", "no on-demand price");
    tcb_notes_add(&ns, NULL, "no collective fit");
    tcb_notes_add(&ns, "TPU v5e", "no TDP");
    cr_expect_eq(ns.n, 3);
    char *text = written(&ns, false);
    cr_expect_str_eq(text, "# no on-demand price: B200, MI250X\n# no collective fit\n"
                           "# no TDP: TPU v5e\n");
    free(text);
    json_t *j = tcb_notes_json(&ns);
    char *s = json_dumps(j, JSON_COMPACT);
    cr_expect_str_eq(s, "[{\"note\":\"no on-demand price\",\"rows\":[\"B200\",\"MI250X\"]},"
                        "{\"note\":\"no collective fit\",\"rows\":[]},"
                        "{\"note\":\"no TDP\",\"rows\":[\"TPU v5e\"]}]");
    free(s);
    json_decref(j);
}

Test(notes, markdown_escapes_rows_and_text)
{
    static tcb_notes ns;
    memset(&ns, 0, sizeof ns);
    tcb_notes_add(&ns, "a|b", "x|y");
    char *md = written(&ns, true);
    cr_expect_str_eq(md, "- x\\|y: a\\|b\n");
    free(md);
}

Test(notes, overflow_is_counted)
{
    static tcb_notes ns;
    memset(&ns, 0, sizeof ns);
    for (int i = 0; i < TCB_NOTE_ROWS + 3; i++) {
        char row[16];
        snprintf(row, sizeof row, "r%d", i);
        tcb_notes_add(&ns, row, "many rows");
    }
    for (int i = 0; i < TCB_NOTES_MAX + 2; i++)
        tcb_notes_add(&ns, NULL, "note %d", i);
    cr_expect_eq(ns.notes[0].nrows, TCB_NOTE_ROWS);
    cr_expect_eq(ns.notes[0].dropped, 3);
    cr_expect_eq(ns.n, TCB_NOTES_MAX);
    cr_expect_eq(ns.dropped, 3); /* "note 0".."note 24" less the 23 that fit */
    char *text = written(&ns, false);
    cr_expect(strstr(text, ", r63 and 3 more\n") != NULL, "%s", text);
    cr_expect(strstr(text, "# 3 more note(s) left out\n") != NULL);
    free(text);
}
