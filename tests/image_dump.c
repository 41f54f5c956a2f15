/* image_dump: decode image files as the engine does and write their bytes
 * (planar C x H x W, each file after the other) to standard output, for
 * test_images.sh to compare with OpenCV. Exits 1 with the reason on the
 * first file it cannot decode.
 *   image_dump CHANNELS HEIGHT WIDTH FILE... */
#include <stdio.h>
#include <stdlib.h>
#include "cnn.h"

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: image_dump CHANNELS HEIGHT WIDTH FILE...\n");
        return 2;
    }
    cnn_shape shape = { atoi(argv[1]), atoi(argv[2]), atoi(argv[3]) };
    size_t size = cnn_shape_size(shape);
    uint8_t *px = malloc(size);
    char err[CNN_ERR_LEN];
    for (int a = 4; px && a < argc; a++) {
        unsigned conversions = 0;
        if (cnn_image_file_read(px, &shape, argv[a], &conversions, err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        fwrite(px, 1, size, stdout);
    }
    free(px);
    return px && fflush(stdout) == 0 ? 0 : 1;
}
