/* rng.c: splitmix64, one explicit state passed down (never rand()), so a seed
 * reproduces a run and the state fits in a model file. */
#include "cnn.h"

cnn_rng cnn_rng_seed(uint64_t seed)
{
    cnn_rng r = { seed };
    return r;
}

uint64_t cnn_rng_next(cnn_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

float cnn_rng_uniform(cnn_rng *r)
{
    return (float)(cnn_rng_next(r) >> 40) * (1.0f / 16777216.0f); /* 24 bits */
}

/* Fisher-Yates; the modulo bias is below 2^-32 for any n we shuffle. */
void cnn_rng_shuffle(cnn_rng *r, int *idx, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(cnn_rng_next(r) % (uint64_t)(i + 1));
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}
