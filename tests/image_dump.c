/* image_dump: decode image files as the engine does (--resize: scaled as
 * train --resize scales them) and write their bytes (planar C x H x W, each
 * file after the other) to standard output, for test_images.sh to compare
 * with OpenCV. Exits 1 with the reason on the first file it cannot decode.
 *   image_dump CHANNELS HEIGHT WIDTH [--resize] FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnn.h"

int main(int argc, char **argv)
{
    int resize = argc > 4 && !strcmp(argv[4], "--resize");
    if (argc < 5 + resize) {
        fprintf(stderr, "usage: image_dump CHANNELS HEIGHT WIDTH [--resize] FILE...\n");
        return 2;
    }
    cnn_image_spec spec = { { atoi(argv[1]), atoi(argv[2]), atoi(argv[3]) }, resize };
    size_t size = cnn_shape_size(spec.shape);
    uint8_t *px = malloc(size);
    char err[CNN_ERR_LEN];
    for (int a = 4 + resize; px && a < argc; a++) {
        unsigned conversions = 0;
        if (cnn_image_file_read(px, &spec, argv[a], &conversions, err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        fwrite(px, 1, size, stdout);
    }
    free(px);
    return px && fflush(stdout) == 0 ? 0 : 1;
}
