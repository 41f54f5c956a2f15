/* pgm.c: read and write PGM images for cnn predict and cnn show. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnn.h"
#include "pgm.h"

#define PGM_MAX_SIDE 4096

/* Next number of the header or of P2 pixels, skipping white space and #
 * comments: 0, or -1 at the end of the file, -2 on anything else. */
static int next_number(FILE *f, int *v)
{
    int c;
    for (;;) {
        c = fgetc(f);
        if (c == '#')
            while (c != '\n' && c != EOF) c = fgetc(f);
        else if (!isspace(c))
            break;
    }
    if (c == EOF) return -1;
    if (!isdigit(c)) return -2;
    long x = 0;
    while (isdigit(c)) {
        x = x * 10 + (c - '0');
        if (x > 1 << 20) return -2;
        c = fgetc(f);
    }
    *v = (int)x;
    return isspace(c) || c == EOF ? 0 : -2;   /* one white-space byte ends a number */
}

int pgm_read(FILE *f, const char *name, float **pixels, int *width, int *height, char *err)
{
    char magic[2] = { 0 }, why[96] = "not a PGM image (P2 or P5)";
    int maxval = 0;
    *pixels = NULL;
    if (fread(magic, 1, 2, f) != 2 || magic[0] != 'P' || (magic[1] != '5' && magic[1] != '2'))
        goto bad;
    snprintf(why, sizeof why, "bad PGM header");
    if (next_number(f, width) || next_number(f, height) || next_number(f, &maxval)) goto bad;
    snprintf(why, sizeof why, "PGM size or maximum value out of range (1-4096 pixels a "
             "side, 8-bit)");
    if (*width < 1 || *height < 1 || *width > PGM_MAX_SIDE || *height > PGM_MAX_SIDE ||
        maxval < 1 || maxval > 255)
        goto bad;
    size_t n = (size_t)*width * *height;
    snprintf(why, sizeof why, "out of memory");
    if (!(*pixels = malloc(sizeof(float) * n))) goto bad;
    for (size_t i = 0; i < n; i++) {
        int v = 0, rc = 0;
        if (magic[1] == '5')
            rc = (v = fgetc(f)) == EOF ? -1 : 0;
        else
            rc = next_number(f, &v);
        if (rc == -1) {
            snprintf(why, sizeof why, "truncated PGM data: %zu of %zu pixels", i, n);
            goto bad;
        }
        if (rc == -2) {
            snprintf(why, sizeof why, "pixel %zu is not a number from 0 to %d", i + 1, maxval);
            goto bad;
        }
        if (v > maxval) {
            snprintf(why, sizeof why, "pixel %zu is %d, above the maximum value %d", i + 1, v,
                     maxval);
            goto bad;
        }
        (*pixels)[i] = (float)v / (float)maxval;
    }
    return 0;
bad:
    free(*pixels);
    *pixels = NULL;
    if (ferror(f)) snprintf(why, sizeof why, "%s", strerror(errno));
    snprintf(err, CNN_ERR_LEN, "%s: %s", name, why);
    return -1;
}

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
