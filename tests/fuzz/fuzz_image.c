/* libFuzzer target: cnn_image_decode on arbitrary bytes, as PNG, JPEG or
 * PGM/PPM by their magic, into a grey and a colour 28x28 input, as they
 * are and scaled (--resize). */
#include <stdint.h>
#include <stdlib.h>
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static uint8_t out[3 * 28 * 28];
    char err[CNN_ERR_LEN];
    unsigned done = 0;
    for (int c = 1; c <= 3; c += 2)
        for (int resize = 0; resize <= 1; resize++) {
            cnn_image_spec spec = { { c, 28, 28 }, resize };
            cnn_image_decode(out, &spec, data, len, "fuzz", &done, err);
        }
    return 0;
}
