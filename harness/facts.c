#include "facts.h"

#include <stdlib.h>
#include <string.h>

/* A handful of keys per run: a list is the right structure. */
typedef struct fact {
    struct fact *next;
    double value;
    int case_index;
    char key[];
} fact;

struct tcb_facts {
    fact *head;
};

tcb_facts *tcb_facts_new(void)
{
    return calloc(1, sizeof(tcb_facts));
}

void tcb_facts_free(tcb_facts *f)
{
    if (f == NULL)
        return;
    for (fact *it = f->head, *next; it != NULL; it = next) {
        next = it->next;
        free(it);
    }
    free(f);
}

static fact *find(const tcb_facts *f, const char *key)
{
    for (fact *it = f->head; it != NULL; it = it->next)
        if (strcmp(it->key, key) == 0)
            return it;
    return NULL;
}

void tcb_facts_offer_max(tcb_facts *f, const char *key, double value, int case_index)
{
    if (f == NULL)
        return;
    fact *it = find(f, key);
    if (it == NULL) {
        size_t len = strlen(key) + 1;
        it = malloc(sizeof *it + len);
        if (it == NULL)
            return; /* a lost fact only costs a later case its comparison */
        memcpy(it->key, key, len);
        it->next = f->head;
        it->value = value;
        it->case_index = case_index;
        f->head = it;
    } else if (value > it->value) {
        it->value = value;
        it->case_index = case_index;
    }
}

bool tcb_facts_get(const tcb_facts *f, const char *key, double *value, int *case_index)
{
    const fact *it = f != NULL ? find(f, key) : NULL;
    if (it == NULL)
        return false;
    *value = it->value;
    *case_index = it->case_index;
    return true;
}
