/* The synthetic token stream the transformer workload trains on: a fixed
 * random walk through a small alphabet that a model can learn, so the loss
 * falls as a real training run's does, and the same data on every machine.
 *
 * Sample g (a global index over the whole run: step * batch * ranks + ...)
 * starts at a random token of the alphabet and then follows a fixed random
 * permutation of it (token -> next token), except that one position in eight
 * is a random token: the noise keeps the loss from reaching zero. Everything
 * is a pure function of (seed, g, position): a data-parallel run on R ranks
 * sees exactly the samples one rank with R times the batch would. */
#ifndef TCB_TOKENS_H
#define TCB_TOKENS_H

#include <stdint.h>

/* The alphabet: the first min(vocab, TCB_TOKENS_ALPHABET) token ids. */
#define TCB_TOKENS_ALPHABET 256

/* Fills inputs and targets (B rows of T) with samples first, first+1, ...
 * first+B-1: targets[b][t] = inputs[b][t+1] of the same walk. */
void tcb_tokens_fill(int32_t *inputs, int32_t *targets, int B, int T, int vocab,
                     uint64_t seed, long long first);

#endif
