/* pgm.c: write PGM images for cnn show. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnn.h"
#include "pgm.h"

int pgm_write(const char *path, const uint8_t *pixels, int width, int height, char *err)
{
    size_t len = strlen(path) + 8;
    char *tmp = malloc(len);
    if (!tmp) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
        return -1;
    }
    snprintf(tmp, len, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fprintf(f, "P5\n%d %d\n255\n", width, height) > 0 &&
             fwrite(pixels, 1, (size_t)width * height, f) == (size_t)width * height;
    if (f && fclose(f)) ok = 0;
    if (!ok || rename(tmp, path)) {
        snprintf(err, CNN_ERR_LEN, "%s: cannot write: %s", path, strerror(errno));
        if (f) remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}
