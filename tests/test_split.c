/* test_split.c: --val's holdout. Each class gives its share of the images
 * (within one), the two sets together are the original images, the same
 * seed holds out the same ones and another seed others; a holdout as large
 * as the data is refused. */
#include "check.h"

enum { N = 1000, HELD = 137, SIZE = 3 }; /* an image: its id (2 bytes), its label */

static void make(cnn_dataset *d)
{
    *d = (cnn_dataset){ .count = N, .channels = 1, .height = 1, .width = SIZE, .image_size = SIZE };
    d->pixels = malloc(N * SIZE);
    d->labels = malloc(N);
    for (int i = 0; i < N; i++) {
        d->labels[i] = (uint8_t)(i % 7 < 4 ? 0 : i % 7 < 6 ? 1 : 2); /* 4:2:1 */
        d->pixels[i * SIZE] = (uint8_t)(i & 255);
        d->pixels[i * SIZE + 1] = (uint8_t)(i >> 8);
        d->pixels[i * SIZE + 2] = d->labels[i];
    }
}

int main(void)
{
    char err[CNN_ERR_LEN];
    cnn_dataset train, val, again, val2;
    make(&train);
    CHECK_OK(cnn_dataset_split(&train, &val, HELD, 42, err), err);
    CHECK_INT(val.count, HELD);
    CHECK_INT(train.count, N - HELD);
    int per_class[3] = { 0 }, all[3] = { 0 }, seen[N] = { 0 };
    for (int i = 0; i < N; i++) all[i % 7 < 4 ? 0 : i % 7 < 6 ? 1 : 2]++;
    for (int i = 0; i < val.count; i++) per_class[val.labels[i]]++;
    for (int c = 0; c < 3; c++) {
        double share = (double)HELD * all[c] / N;
        if (!(fabs(per_class[c] - share) < 1))
            FAIL("class %d: %d held out, its share is %.2f", c, per_class[c], share);
    }
    const cnn_dataset *sets[2] = { &train, &val };
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < sets[s]->count; i++) {
            const uint8_t *px = sets[s]->pixels + i * SIZE;
            int id = px[0] | px[1] << 8;
            CHECK(id >= 0 && id < N && !seen[id]);
            seen[id] = 1;
            CHECK_INT(sets[s]->labels[i], px[2]);
        }
    make(&again);
    CHECK_OK(cnn_dataset_split(&again, &val2, HELD, 42, err), err);
    CHECK(memcmp(val.pixels, val2.pixels, HELD * SIZE) == 0);
    cnn_dataset_free(&again);
    cnn_dataset_free(&val2);
    make(&again);
    CHECK_OK(cnn_dataset_split(&again, &val2, HELD, 43, err), err);
    CHECK(memcmp(val.pixels, val2.pixels, HELD * SIZE) != 0);
    cnn_dataset_free(&val2);
    CHECK(cnn_dataset_split(&again, &val2, again.count, 1, err) == -1);
    CHECK(strstr(err, "a validation holdout of 863 images must be 1 to 862, fewer than the 863") !=
          NULL);
    /* one image leaves nothing to hold out: no "1 to 0" */
    cnn_dataset one = again;
    one.count = 1;
    CHECK(cnn_dataset_split(&one, &val2, 1, 1, err) == -1);
    CHECK(strstr(err, "a validation holdout needs 2 training images or more, not 1") != NULL);
    printf("held out %d of %d: %d, %d, %d of classes 4:2:1; seeded; too many refused\n", HELD, N,
           per_class[0], per_class[1], per_class[2]);
    cnn_dataset_free(&again);
    cnn_dataset_free(&train);
    cnn_dataset_free(&val);
    return 0;
}
