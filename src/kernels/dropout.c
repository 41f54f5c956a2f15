/* dropout.c: inverted dropout. In training each element is kept with
 * probability 1 - rate and scaled by 1/(1 - rate), so inference is the
 * identity. The mask is a hash of (the step's key, the image's position in
 * the batch, the element): no RNG state is shared between threads, so any
 * thread count or shard order draws the same masks, and a resumed run (whose
 * keys come from the saved RNG) draws them again. */
#include <string.h>
#include "kernels/kernels.h"

/* splitmix64's finaliser: a bijection that mixes every input bit. */
static inline uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t image_key(uint64_t key, int image)
{
    return mix(key + 0x9e3779b97f4a7c15ULL * ((uint64_t)image + 1));
}

/* keep when the element's 24-bit uniform is at or above rate */
static inline int keeps(uint64_t image_key, size_t elem, uint32_t threshold)
{
    return (uint32_t)(mix(image_key + 0x9e3779b97f4a7c15ULL * (elem + 1)) >> 40) >= threshold;
}

static uint32_t threshold(float rate) { return (uint32_t)(rate * 16777216.0f); }

int dropout_keeps(uint64_t key, int image, size_t elem, float rate)
{
    return keeps(image_key(key, image), elem, threshold(rate));
}

void dropout_forward(const layer_pass *p, const dropout_draw *draw, int32_t *mask)
{
    size_t size = cnn_shape_size(p->L->in);
    if (!draw) {
        memcpy(p->out, p->in, sizeof(float) * size * p->n);
        return;
    }
    uint32_t t = threshold(p->L->rate);
    float scale = 1.0f / (1.0f - p->L->rate);
    for (int i = 0; i < p->n; i++) {
        uint64_t k = image_key(draw->key, draw->first + i);
        const float *x = p->in + (size_t)i * size;
        float *y = p->out + (size_t)i * size;
        int32_t *m = mask + (size_t)i * size;
        for (size_t e = 0; e < size; e++) {
            m[e] = keeps(k, e, t);
            y[e] = m[e] ? x[e] * scale : 0.0f;
        }
    }
}

void dropout_backward(const layer_pass *p, const layer_grads *g, const int32_t *mask)
{
    size_t len = cnn_shape_size(p->L->in) * p->n;
    float scale = 1.0f / (1.0f - p->L->rate);
    for (size_t e = 0; e < len; e++) g->din[e] = mask[e] ? g->dout[e] * scale : 0.0f;
}
