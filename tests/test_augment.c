/* Augmentation: each image is what cnn_augment_image's rule says (bytes
 * / 255, as the network sees them), drawn
 * from the RNG in its order (dx, dy, then the flip), with zeros filling in;
 * over many draws every offset and both flips occur; nothing is drawn for
 * what is off. */
#include "check.h"

enum { C = 3, H = 5, W = 6, DRAWS = 400 };

int main(void)
{
    cnn_shape shape = { C, H, W };
    uint8_t src[C * H * W];
    float out[C * H * W];
    cnn_rng fill = cnn_rng_seed(9);
    for (int k = 0; k < C * H * W; k++) /* never 0: a zero is a filled pixel */
        src[k] = (uint8_t)(1 + cnn_rng_next(&fill) % 255);
    cnn_augment aug = { 2, 1 };
    cnn_rng rng = cnn_rng_seed(4), mirror = rng;
    int seen_dx[5] = { 0 }, seen_flip[2] = { 0 };
    for (int k = 0; k < DRAWS; k++) {
        cnn_augment_image(out, src, shape, &aug, &rng);
        int dx = (int)(cnn_rng_next(&mirror) % 5) - 2, dy = (int)(cnn_rng_next(&mirror) % 5) - 2;
        int flip = (int)(cnn_rng_next(&mirror) & 1);
        seen_dx[dx + 2]++;
        seen_flip[flip]++;
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    int sx = (flip ? W - 1 - x : x) - dx, sy = y - dy; /* shifted, then mirrored */
                    float want = sy >= 0 && sy < H && sx >= 0 && sx < W
                                     ? (float)src[(c * H + sy) * W + sx] / 255.0f
                                     : 0.0f;
                    CHECK_NEAR(out[(c * H + y) * W + x], want, 0);
                }
    }
    CHECK(rng.s == mirror.s);
    for (int i = 0; i < 5; i++) CHECK(seen_dx[i] > DRAWS / 10);
    CHECK(seen_flip[0] > DRAWS / 4 && seen_flip[1] > DRAWS / 4);
    /* off: a copy, and the RNG untouched */
    cnn_augment off = { 0, 0 };
    cnn_rng before = rng;
    cnn_augment_image(out, src, shape, &off, &rng);
    CHECK(rng.s == before.s);
    for (int k = 0; k < C * H * W; k++) CHECK_NEAR(out[k], (float)src[k] / 255.0f, 0);
    printf("augmentation: %d draws of shift 2 and flip as the rule says; off draws nothing\n",
           DRAWS);
    return 0;
}
