/* picture.c: write cnn show's pictures; see picture.h. */
#include <spng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cnn.h"
#include "sys/outbuf.h"
#include "picture.h"

/* The PNG encoding of the picture, malloc'ed, or NULL with err. */
static void *encode_png(const uint8_t *px, int w, int h, int channels, size_t *len,
                        const char *path, char *err)
{
    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    struct spng_ihdr ih = { .width = (uint32_t)w,
                            .height = (uint32_t)h,
                            .bit_depth = 8,
                            .color_type = channels == 3 ? SPNG_COLOR_TYPE_TRUECOLOR
                                                        : SPNG_COLOR_TYPE_GRAYSCALE };
    void *png = NULL;
    int e = ctx ? 0 : SPNG_EMEM;
    if (!e) e = spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
    if (!e) e = spng_set_ihdr(ctx, &ih);
    if (!e)
        e = spng_encode_image(ctx, px, (size_t)w * h * channels, SPNG_FMT_PNG,
                              SPNG_ENCODE_FINALIZE);
    if (!e) png = spng_get_png_buffer(ctx, len, &e); /* ours to free */
    if (e) snprintf(err, CNN_ERR_LEN, "%s: cannot encode the PNG: %s", path, spng_strerror(e));
    spng_ctx_free(ctx);
    return e ? NULL : png;
}

int picture_write(const char *path, const uint8_t *px, int w, int h, int channels, char *err)
{
    size_t n = strlen(path), len = 0;
    uint8_t *file = NULL;
    if (n >= 4 && !strcasecmp(path + n - 4, ".png")) {
        file = encode_png(px, w, h, channels, &len, path, err);
        if (!file) return -1;
    } else { /* binary PGM (P5) or PPM (P6) */
        char head[32];
        int at = snprintf(head, sizeof head, "P%d\n%d %d\n255\n", channels == 3 ? 6 : 5, w, h);
        len = (size_t)at + (size_t)w * h * channels;
        if (!(file = malloc(len))) {
            snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
            return -1;
        }
        memcpy(file, head, (size_t)at);
        memcpy(file + at, px, len - (size_t)at);
    }
    int rc = write_file_atomically(path, file, len, err);
    free(file);
    return rc;
}
