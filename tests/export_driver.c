/* export_driver.c: runs a file written by `cnn export --c` over images.
 * Built with -DNAME=the prefix of its entry points. Reads images as bytes
 * (INPUTS each) from stdin, scales them as cnn does (value / 255) and prints
 * one line per image: the class returned and every output, %.9g. Even images
 * go through NAME_predict, odd ones through NAME_predict_scratch on a heap
 * block of exactly SCRATCH floats followed by guard values, which must stay
 * untouched (else exit 1).
 * usage: driver INPUTS CLASSES SCRATCH < images */
#include <stdio.h>
#include <stdlib.h>

#define CAT_(a, b)      a##b
#define CAT(a, b)       CAT_(a, b)
#define PREDICT         CAT(NAME, _predict)
#define PREDICT_SCRATCH CAT(NAME, _predict_scratch)
#define GUARD           64
#define GUARD_VALUE     12345.0f

int PREDICT(const float *image, float *probs);
int PREDICT_SCRATCH(const float *image, float *probs, float *scratch);

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: driver INPUTS CLASSES SCRATCH < images\n");
        return 2;
    }
    size_t inputs = strtoul(argv[1], NULL, 10), classes = strtoul(argv[2], NULL, 10),
           scratch_floats = strtoul(argv[3], NULL, 10);
    unsigned char *bytes = malloc(inputs);
    float *image = malloc(sizeof(float) * inputs), *probs = malloc(sizeof(float) * classes),
          *scratch = malloc(sizeof(float) * (scratch_floats + GUARD));
    if (!bytes || !image || !probs || !scratch) return 1;
    for (size_t i = 0; i < GUARD; i++) scratch[scratch_floats + i] = GUARD_VALUE;
    for (long n = 0; fread(bytes, 1, inputs, stdin) == inputs; n++) {
        for (size_t i = 0; i < inputs; i++) image[i] = (float)bytes[i] / 255.0f;
        int best = n % 2 ? PREDICT_SCRATCH(image, probs, scratch) : PREDICT(image, probs);
        for (size_t i = 0; i < GUARD; i++)
            if (scratch[scratch_floats + i] != GUARD_VALUE) {
                fprintf(stderr, "image %ld: written past the %zu floats of scratch\n", n,
                        scratch_floats);
                return 1;
            }
        printf("%d", best);
        for (size_t k = 0; k < classes; k++) printf(" %.9g", probs[k]);
        putchar('\n');
    }
    free(bytes);
    free(image);
    free(probs);
    free(scratch);
    return 0;
}
