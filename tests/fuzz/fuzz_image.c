/* libFuzzer targets: cnn_image_decode on arbitrary bytes behind one format's
 * magic, so that each decoder gets all of its target's time: fuzz_png
 * (libspng), fuzz_jpeg (TurboJPEG) and fuzz_pnm (PGM/PPM), built from this
 * file with FUZZ_PNG, FUZZ_JPEG or FUZZ_PNM defined. Each input is decoded
 * into a grey and a colour 28x28 input, as it is and scaled (--resize). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "data/image.h"

#if defined FUZZ_PNG
static const uint8_t magic[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
#elif defined FUZZ_JPEG
static const uint8_t magic[] = { 0xff, 0xd8, 0xff };
#elif defined FUZZ_PNM
static const uint8_t magic[] = { 'P' };
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static uint8_t out[3 * 28 * 28];
    char err[CNN_ERR_LEN];
    unsigned done = 0;
    uint8_t *file = malloc(sizeof magic + len);
    if (!file) return 0;
    memcpy(file, magic, sizeof magic);
    if (len) memcpy(file + sizeof magic, data, len);
    for (int c = 1; c <= 3; c += 2)
        for (int resize = 0; resize <= 1; resize++) {
            cnn_image_spec spec = { { c, 28, 28 }, resize };
            cnn_image_decode(out, &spec, file, sizeof magic + len, "fuzz", &done, err);
        }
    free(file);
    return 0;
}
