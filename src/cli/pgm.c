/* pgm.c: read and write PGM images for cnn predict and cnn show. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnn.h"
#include "pgm.h"

#define PGM_MAX_SIDE 4096

/* Next header number, skipping white space and # comments. */
static int header_int(FILE *f, int *v)
{
    int c;
    for (;;) {
        c = fgetc(f);
        if (c == '#')
            while (c != '\n' && c != EOF) c = fgetc(f);
        else if (!isspace(c))
            break;
    }
    if (!isdigit(c)) return -1;
    long x = 0;
    while (isdigit(c)) {
        x = x * 10 + (c - '0');
        if (x > 1 << 20) return -1;
        c = fgetc(f);
    }
    *v = (int)x;
    return isspace(c) || c == EOF ? 0 : -1;   /* one white-space byte ends a number */
}

int pgm_read(const char *path, float **pixels, int *width, int *height, char *err)
{
    FILE *f = fopen(path, "rb");
    *pixels = NULL;
    if (!f) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", path, strerror(errno));
        return -1;
    }
    char magic[2] = { 0 };
    int maxval = 0, rc = -1;
    const char *why = "not a PGM image (P2 or P5)";
    if (fread(magic, 1, 2, f) != 2 || magic[0] != 'P' || (magic[1] != '5' && magic[1] != '2'))
        goto done;
    why = "bad PGM header";
    if (header_int(f, width) || header_int(f, height) || header_int(f, &maxval)) goto done;
    why = "PGM size or maximum value out of range (1-4096 pixels a side, 8-bit)";
    if (*width < 1 || *height < 1 || *width > PGM_MAX_SIDE || *height > PGM_MAX_SIDE ||
        maxval < 1 || maxval > 255)
        goto done;
    size_t n = (size_t)*width * *height;
    why = "out of memory";
    if (!(*pixels = malloc(sizeof(float) * n))) goto done;
    why = "truncated PGM data";
    for (size_t i = 0; i < n; i++) {
        int v;
        if (magic[1] == '5') {
            if ((v = fgetc(f)) == EOF) goto done;
        } else if (header_int(f, &v)) {
            goto done;
        }
        if (v > maxval) {
            why = "PGM pixel above the maximum value";
            goto done;
        }
        (*pixels)[i] = (float)v / (float)maxval;
    }
    rc = 0;
done:
    fclose(f);
    if (rc) {
        free(*pixels);
        *pixels = NULL;
        snprintf(err, CNN_ERR_LEN, "%s: %s", path, why);
    }
    return rc;
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
