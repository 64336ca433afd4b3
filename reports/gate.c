/* What the four gate writers share: verdict names, counts, the report's
 * sanity check, the UTF-8 cleaner and the all-or-nothing flush. */
#include "gate.h"

#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[TCB_GATE_NVERDICTS] = {
    [TCB_GATE_OK] = "ok",           [TCB_GATE_REGRESSION] = "regression",
    [TCB_GATE_IMPROVEMENT] = "improvement", [TCB_GATE_NOISE] = "noise",
    [TCB_GATE_NEW] = "new",         [TCB_GATE_MISSING] = "missing",
    [TCB_GATE_FAILED] = "failed",
};

const char *tcb_gate_verdict_name(tcb_gate_verdict v)
{
    /* Through unsigned, so a negative value read from a bad enum is caught
     * too. */
    return (unsigned)v < TCB_GATE_NVERDICTS ? verdict_names[v] : "unknown";
}

void tcb_gate_count(const tcb_gate_report *r, int counts[TCB_GATE_NVERDICTS])
{
    memset(counts, 0, TCB_GATE_NVERDICTS * sizeof counts[0]);
    for (int i = 0; i < r->n; i++)
        if ((unsigned)r->items[i].verdict < TCB_GATE_NVERDICTS)
            counts[r->items[i].verdict]++;
}

static bool terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

tcb_status tcb_gate_check(const tcb_gate_report *r)
{
    if (r == NULL || r->n < 0 || (r->n > 0 && r->items == NULL)) {
        tcb_log_error("gate report: no items array for %d items", r == NULL ? 0 : r->n);
        return TCB_ERR_CONFIG;
    }
#define TERMINATED(s) terminated(s, sizeof(s))
    if (!TERMINATED(r->system) || !TERMINATED(r->hosts) || !TERMINATED(r->current_run) ||
        !TERMINATED(r->baseline) || !TERMINATED(r->test)) {
        tcb_log_error("gate report: a header field is not NUL-terminated");
        return TCB_ERR_CONFIG;
    }
    for (int i = 0; i < r->n; i++) {
        const tcb_gate_item *it = &r->items[i];
        if (!TERMINATED(it->case_id) || !TERMINATED(it->workload) || !TERMINATED(it->metric) ||
            !TERMINATED(it->detail)) {
            tcb_log_error("gate report: item %d has a text field that is not NUL-terminated", i);
            return TCB_ERR_CONFIG;
        }
        if ((unsigned)it->verdict >= TCB_GATE_NVERDICTS) {
            tcb_log_error("gate report: item %d has verdict %d, not a tcb_gate_verdict", i,
                          (int)it->verdict);
            return TCB_ERR_CONFIG;
        }
    }
#undef TERMINATED
    return TCB_OK;
}

/* The length of the well-formed UTF-8 sequence at s (1 to 4 bytes), 0 when
 * s does not begin one. RFC 3629's table: no overlong forms, no surrogates,
 * nothing past U+10FFFF. A byte is read only when the one before it was a
 * lead or continuation byte, so a string's NUL stops the reading. */
static int utf8_length(const unsigned char *s)
{
    unsigned char lo = 0x80, hi = 0xBF;
    int n;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
        lo = s[0] == 0xE0 ? 0xA0 : lo;
        hi = s[0] == 0xED ? 0x9F : hi;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        lo = s[0] == 0xF0 ? 0x90 : lo;
        hi = s[0] == 0xF4 ? 0x8F : hi;
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

const char *tcb_gate_clean(char *dst, size_t cap, const char *s)
{
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    if (cap == 0)
        return dst;
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    while (*p) {
        int n = utf8_length(p);
        const char *src = (const char *)p;
        size_t len = (size_t)n;
        /* XML 1.0's Char production: C0 controls but tab, LF and CR, and the
         * noncharacters U+FFFE and U+FFFF, may not appear even escaped. */
        bool forbidden = n == 0 ||
                         (n == 1 && p[0] < 0x20 && p[0] != '\t' && p[0] != '\n' && p[0] != '\r') ||
                         (n == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE);
        if (forbidden) {
            src = replacement;
            len = sizeof replacement - 1;
        }
        if (o + len >= cap)
            break;
        memcpy(dst + o, src, len);
        o += len;
        p += n > 0 ? n : 1;
    }
    dst[o] = '\0';
    return dst;
}

tcb_status tcb_gate_flush(FILE *mem, char **buf, size_t *len, FILE *out)
{
    bool formatted = !ferror(mem);
    formatted = fclose(mem) == 0 && formatted;
    bool written = formatted && fwrite(*buf, 1, *len, out) == *len && fflush(out) == 0;
    free(*buf);
    *buf = NULL;
    *len = 0;
    if (!formatted)
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "open_memstream",
                               "out of memory formatting the gate report");
    if (!written)
        return tcb_log_failure(TCB_ERR_RUNTIME, __FILE__, __LINE__, "fwrite",
                               "could not write the gate report");
    return TCB_OK;
}
