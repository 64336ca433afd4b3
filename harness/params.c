/* Workload parameters: parsing scalar text into typed values, formatting byte
 * counts, and the typed lookups a workload's setup calls. */
#include "params.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tcb_param_type_name(tcb_param_type t)
{
    switch (t) {
    case TCB_PARAM_INT: return "int";
    case TCB_PARAM_SIZE: return "size";
    case TCB_PARAM_FLOAT: return "float";
    case TCB_PARAM_BOOL: return "bool";
    case TCB_PARAM_ENUM: return "enum";
    case TCB_PARAM_NAME: return "name";
    }
    return "?";
}

/* ---- lookups ---------------------------------------------------------- */

/* A workload asking for a parameter it did not declare, or as the wrong type,
 * is a bug in that workload, not a user error: stop loudly at the call. */
static const tcb_param *lookup(const tcb_params *p, const char *name,
                               tcb_param_type want, tcb_param_type want2,
                               const char *caller)
{
    for (int i = 0; p != NULL && i < p->count; i++) {
        const tcb_param *it = &p->items[i];
        if (strcmp(it->spec->name, name) != 0)
            continue;
        if (it->spec->type != want && it->spec->type != want2) {
            fprintf(stderr,
                    "tcbench: %s(\"%s\"): the parameter is of type %s, not %s "
                    "(programming error)\n",
                    caller, name, tcb_param_type_name(it->spec->type), tcb_param_type_name(want));
            abort();
        }
        return it;
    }
    fprintf(stderr,
            "tcbench: %s(\"%s\"): no such parameter in this case "
            "(programming error)\n",
            caller, name);
    abort();
}

long long tcb_params_int(const tcb_params *p, const char *name)
{
    return lookup(p, name, TCB_PARAM_INT, TCB_PARAM_SIZE, __func__)->v.i;
}

double tcb_params_float(const tcb_params *p, const char *name)
{
    return lookup(p, name, TCB_PARAM_FLOAT, TCB_PARAM_FLOAT, __func__)->v.f;
}

bool tcb_params_bool(const tcb_params *p, const char *name)
{
    return lookup(p, name, TCB_PARAM_BOOL, TCB_PARAM_BOOL, __func__)->v.b;
}

const char *tcb_params_enum(const tcb_params *p, const char *name)
{
    const tcb_param *it = lookup(p, name, TCB_PARAM_ENUM, TCB_PARAM_ENUM, __func__);
    return it->spec->choices[it->v.choice];
}

int tcb_params_choice(const tcb_params *p, const char *name)
{
    return lookup(p, name, TCB_PARAM_ENUM, TCB_PARAM_ENUM, __func__)->v.choice;
}

const char *tcb_params_name(const tcb_params *p, const char *name)
{
    return lookup(p, name, TCB_PARAM_NAME, TCB_PARAM_NAME, __func__)->v.name;
}

/* ---- parsing ---------------------------------------------------------- */

static bool is_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > TCB_PARAM_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (!ok)
            return false;
    }
    return true;
}

static bool parse_int(const char *s, long long *out)
{
    const char *d = (*s == '+' || *s == '-') ? s + 1 : s;
    if (*d == '\0')
        return false;
    for (const char *c = d; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = v;
    return true;
}

/* Reads a run of decimal digits (at least one) as an unsigned value; false on
 * overflow or when there is no digit. *ndigits counts what was read. */
static bool read_digits(const char **s, unsigned long long *out, int *ndigits)
{
    unsigned long long v = 0;
    int n = 0;
    for (; **s >= '0' && **s <= '9'; (*s)++, n++) {
        unsigned digit = (unsigned)(**s - '0');
        if (v > (ULLONG_MAX - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    *out = v;
    *ndigits = n;
    return n > 0;
}

/* "8", "8B", "64K", "64KiB", "1.5GiB": binary units only, because the sizes a
 * benchmark sweeps are powers of two and "1MB" would be ambiguous. A fraction
 * is allowed when it lands on a whole byte, so every tcb_size_format output
 * parses back to the same number. */
static bool parse_size(const char *s, long long *out)
{
    static const struct {
        const char *suffix;
        int shift;
    } units[] = {
        {"", 0},    {"B", 0},    {"K", 10},  {"KiB", 10}, {"M", 20},
        {"MiB", 20}, {"G", 30},  {"GiB", 30}, {"T", 40},  {"TiB", 40},
    };
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    unsigned long long whole, frac = 0;
    int nwhole, nfrac = 0;
    if (!read_digits(&s, &whole, &nwhole))
        return false;
    if (*s == '.') {
        s++;
        if (!read_digits(&s, &frac, &nfrac) || nfrac > 18)
            return false;
    }
    int shift = -1;
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
        if (strcmp(s, units[u].suffix) == 0)
            shift = units[u].shift;
    if (shift < 0)
        return false;

    if (whole > ((unsigned long long)LLONG_MAX >> shift))
        return false;
    unsigned long long bytes = whole << shift;

    /* frac / 10^nfrac * 2^shift must be whole: 5^nfrac must divide frac,
     * and what is left times 2^(shift - nfrac) must be an integer. */
    if (nfrac > 0) {
        unsigned long long five = 1;
        for (int i = 0; i < nfrac; i++)
            five *= 5;
        if (frac % five != 0)
            return false;
        unsigned long long q = frac / five;
        if (shift >= nfrac) {
            q <<= shift - nfrac; /* q < 2^nfrac, so this cannot overflow */
        } else {
            unsigned long long mask = (1ULL << (nfrac - shift)) - 1;
            if (q & mask)
                return false;
            q >>= nfrac - shift;
        }
        if (bytes > (unsigned long long)LLONG_MAX - q)
            return false;
        bytes += q;
    }
    *out = neg ? -(long long)bytes : (long long)bytes;
    return true;
}

static bool parse_float(const char *s, double *out)
{
    /* strtod also takes "inf", "nan" and hex floats; a suite means none. */
    bool digit = false;
    for (const char *c = s; *c; c++) {
        if (*c >= '0' && *c <= '9')
            digit = true;
        else if (!strchr("+-.eE", *c))
            return false;
    }
    if (!digit)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool tcb_param_parse(const tcb_param_spec *spec, const char *text,
                     long long *out_i, double *out_f, bool *out_b, int *out_choice)
{
    long long i = 0;
    double f = 0;
    switch (spec->type) {
    case TCB_PARAM_INT:
    case TCB_PARAM_SIZE:
        if (!(spec->type == TCB_PARAM_INT ? parse_int(text, &i) : parse_size(text, &i)))
            return false;
        if ((double)i < spec->min)
            return false;
        if (out_i)
            *out_i = i;
        return true;
    case TCB_PARAM_FLOAT:
        if (!parse_float(text, &f) || f < spec->min)
            return false;
        if (out_f)
            *out_f = f;
        return true;
    case TCB_PARAM_BOOL:
        /* Only the two words: YAML 1.1's yes/no/on/off surprise people. */
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            return false;
        if (out_b)
            *out_b = text[0] == 't';
        return true;
    case TCB_PARAM_ENUM:
        for (int c = 0; spec->choices != NULL && spec->choices[c] != NULL; c++) {
            if (strcmp(text, spec->choices[c]) == 0) {
                if (out_choice)
                    *out_choice = c;
                return true;
            }
        }
        return false;
    case TCB_PARAM_NAME:
        return is_name(text);
    }
    return false;
}

bool tcb_param_value(const tcb_param_spec *spec, const char *text, tcb_param *out)
{
    memset(out, 0, sizeof *out);
    out->spec = spec;
    if (!tcb_param_parse(spec, text, &out->v.i, &out->v.f, &out->v.b, &out->v.choice))
        return false;
    if (spec->type == TCB_PARAM_NAME)
        snprintf(out->v.name, sizeof out->v.name, "%s", text);
    return true;
}

/* ---- formatting ------------------------------------------------------- */

char *tcb_size_format(long long bytes, char *buf, int n)
{
    static const struct {
        const char *unit;
        int shift;
    } units[] = {{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}};
    if (buf == NULL || n <= 0)
        return buf;
    const char *sign = bytes < 0 ? "-" : "";
    unsigned long long mag = bytes < 0 ? -(unsigned long long)bytes : (unsigned long long)bytes;

    /* The largest unit that shows the value exactly with at most two
     * decimals; otherwise plain bytes. Exact, so a printed size in a record or
     * a --dry-run line is the size that ran, and it parses back. */
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        unsigned long long unit = 1ULL << units[u].shift;
        if (mag < unit)
            continue;
        unsigned long long rest = mag % unit;
        if (rest == 0) {
            snprintf(buf, (size_t)n, "%s%llu%s", sign, mag / unit, units[u].unit);
            return buf;
        }
        if (rest * 100 % unit == 0) { /* rest < 2^40: no overflow */
            unsigned long long cents = rest * 100 / unit;
            if (cents % 10 == 0)
                snprintf(buf, (size_t)n, "%s%llu.%llu%s", sign, mag / unit,
                         cents / 10, units[u].unit);
            else
                snprintf(buf, (size_t)n, "%s%llu.%02llu%s", sign, mag / unit,
                         cents, units[u].unit);
            return buf;
        }
    }
    snprintf(buf, (size_t)n, "%s%lluB", sign, mag);
    return buf;
}
