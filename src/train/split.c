/* split.c: a validation set held out of the training images, stratified by
 * class: each class gives its share of n (largest remainders first, ties to
 * the lower label), the images chosen by a shuffle of the given seed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/net.h"
#include "sys/ensure.h"

/* quota[c]: how many images of class c go to the validation set. */
static void class_quotas(const cnn_dataset *d, int n, int *quota)
{
    long count[256] = { 0 };
    long rem[256];
    int given = 0;
    for (int i = 0; i < d->count; i++) count[d->labels[i]]++;
    for (int c = 0; c < 256; c++) {
        quota[c] = (int)(count[c] * n / d->count);
        rem[c] = count[c] * n % d->count;
        given += quota[c];
    }
    for (; given < n; given++) {
        int best = -1;
        for (int c = 0; c < 256; c++)
            if (quota[c] < count[c] && (best < 0 || rem[c] > rem[best])) best = c;
        ENSURE(best >= 0); /* n is below d->count: some class has images left */
        quota[best]++;
        rem[best] = -1;
    }
}

int cnn_dataset_split(cnn_dataset *train, cnn_dataset *val, int n, uint64_t seed, char *err)
{
    memset(val, 0, sizeof *val);
    if (n < 1 || n >= train->count) {
        if (train->count < 2)
            snprintf(err, CNN_ERR_LEN,
                     "a validation holdout needs 2 training images or more, not %d", train->count);
        else
            snprintf(err, CNN_ERR_LEN,
                     "a validation holdout of %d images must be 1 to %d, fewer than the %d "
                     "training images",
                     n, train->count - 1, train->count);
        return -1;
    }
    int quota[256];
    class_quotas(train, n, quota);
    int *order = malloc(sizeof(int) * train->count);
    uint8_t *held = calloc((size_t)train->count, 1);
    *val = *train;
    val->count = n;
    val->pixels = malloc(train->image_size * n);
    val->labels = malloc((size_t)n);
    if (!order || !held || !val->pixels || !val->labels) {
        free(order);
        free(held);
        free(val->pixels);
        free(val->labels);
        memset(val, 0, sizeof *val);
        snprintf(err, CNN_ERR_LEN, "--val %d: out of memory", n);
        return -1;
    }
    cnn_rng rng = cnn_rng_seed(seed);
    for (int i = 0; i < train->count; i++) order[i] = i;
    cnn_rng_shuffle(&rng, order, train->count);
    for (int i = 0; i < train->count; i++)
        if (quota[train->labels[order[i]]] > 0) {
            quota[train->labels[order[i]]]--;
            held[order[i]] = 1;
        }
    /* both sets keep the images' order in the file */
    size_t isz = train->image_size;
    int kept = 0, out = 0;
    for (int i = 0; i < train->count; i++) {
        const uint8_t *img = train->pixels + (size_t)i * isz;
        if (held[i]) {
            memcpy(val->pixels + (size_t)out * isz, img, isz);
            val->labels[out++] = train->labels[i];
        } else {
            memmove(train->pixels + (size_t)kept * isz, img, isz);
            train->labels[kept++] = train->labels[i];
        }
    }
    train->count = kept;
    free(order);
    free(held);
    return 0;
}
