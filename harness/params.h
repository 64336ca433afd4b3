/* Workload parameters: what a workload declares it accepts (tcb_param_spec)
 * and the concrete values one expanded case carries (tcb_params).
 *
 * A workload lists its parameters in a table terminated by a row whose name is
 * NULL. The suite loader validates every value in a suite against that table
 * (type, minimum, allowed choices) and fills in defaults, so a workload's setup
 * never sees a missing or ill-typed parameter.
 */
#ifndef TCB_PARAMS_H
#define TCB_PARAMS_H

#include <stdbool.h>

typedef enum {
    TCB_PARAM_INT,   /* integer: 3, -1 */
    TCB_PARAM_SIZE,  /* byte count: 8, 4096, "64KiB", "1MiB", "1GiB" (binary units) */
    TCB_PARAM_FLOAT, /* real number: 0.5, 2 */
    TCB_PARAM_BOOL,  /* true / false */
    TCB_PARAM_ENUM,  /* one string out of spec->choices */
    TCB_PARAM_NAME,  /* a name from an open set (a model of the zoo): letters,
                        digits, '.', '_', '-'; at most TCB_PARAM_NAME_MAX chars */
} tcb_param_type;

#define TCB_PARAM_NAME_MAX 39

typedef struct {
    const char *name;
    tcb_param_type type;
    const char *def;             /* default as YAML scalar text; NULL: required */
    double min;                  /* smallest allowed value (INT, SIZE, FLOAT) */
    const char *const *choices;  /* NULL-terminated list (ENUM only) */
    const char *help;            /* one line for `tcbench list` and docs */
} tcb_param_spec;

typedef struct {
    const tcb_param_spec *spec; /* the row this value fills */
    union {
        long long i;   /* INT and SIZE */
        double f;      /* FLOAT */
        bool b;        /* BOOL */
        int choice;    /* ENUM: index into spec->choices */
        char name[TCB_PARAM_NAME_MAX + 1]; /* NAME: held in place, so a case
                                              owns no strings to free */
    } v;
} tcb_param;

/* The values of one case, one per row of the workload's spec table, in the
 * table's order. Owned by the case; freed with it. */
typedef struct {
    tcb_param *items;
    int count;
} tcb_params;

/* "int", "size", "float", "bool", "enum", "name". */
const char *tcb_param_type_name(tcb_param_type t);

/* Lookups by name. Asking for a name the workload did not declare, or with the
 * wrong type, is a programming error: they abort with a message naming it. */
long long tcb_params_int(const tcb_params *p, const char *name);   /* INT, SIZE */
double tcb_params_float(const tcb_params *p, const char *name);
bool tcb_params_bool(const tcb_params *p, const char *name);
const char *tcb_params_enum(const tcb_params *p, const char *name); /* choice text */
int tcb_params_choice(const tcb_params *p, const char *name);       /* choice index */
const char *tcb_params_name(const tcb_params *p, const char *name);  /* NAME */

/* Parses a scalar as `type` would accept it ("1MiB" -> 1048576 for SIZE).
 * Returns false if text is not such a value. For ENUM, *out_choice is set;
 * a NAME is only validated (tcb_param_value keeps it). */
bool tcb_param_parse(const tcb_param_spec *spec, const char *text,
                     long long *out_i, double *out_f, bool *out_b, int *out_choice);

/* Parses text as a value of spec into out (spec and value); false if text is
 * not such a value. */
bool tcb_param_value(const tcb_param_spec *spec, const char *text, tcb_param *out);

/* Formats a byte count the way people read them: 8B, 64KiB, 1MiB, 1.5GiB.
 * Writes at most n bytes into buf and returns buf. */
char *tcb_size_format(long long bytes, char *buf, int n);

#endif
