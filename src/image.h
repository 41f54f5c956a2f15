/* image.h: one PNG, JPEG or PGM/PPM file, decoded (libspng, libjpeg-turbo's
 * TurboJPEG, our own PNM parser) and converted to a network's input: 8-bit
 * channels, planar (C, H, W). */
#ifndef CNN_IMAGE_H
#define CNN_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "cnn.h"

/* The largest side a header may claim; larger is refused before allocating. */
#define IMAGE_MAX_SIDE 16384

/* What a decode had to do to reach the wanted channels, or-ed together. */
enum {
    IMAGE_RGB_TO_GREY = 1,    /* ITU-R BT.601 luma, OpenCV's fixed-point weights */
    IMAGE_GREY_TO_RGB = 2,    /* the grey copied into R, G and B */
    IMAGE_ALPHA_DROPPED = 4,  /* composed over black */
    IMAGE_PALETTE = 8,        /* palette entries looked up */
    IMAGE_SCALED_8BIT = 16    /* PGM/PPM with a maximum value below 255 */
};

/* "PNG", "JPEG", "PGM/PPM" when the bytes start like one, else NULL. */
const char *image_kind(const uint8_t *data, size_t len);

/* Decode an image file's bytes (`name` in messages) into out, shape->c
 * channels (1 grey, 3 RGB) of shape->h x shape->w bytes each, or-ing into
 * *done what was converted. An image of another size is an error naming
 * both sizes, found from the header before the pixels are decoded; so are
 * 16-bit PNGs and CMYK JPEGs. 0, or -1 with err. */
int image_decode(uint8_t *out, const cnn_shape *shape, const uint8_t *data, size_t len,
                 const char *name, unsigned *done, char *err);

/* "RGB converted to grey, alpha dropped" for *done, in buf. */
void image_describe_conversions(char *buf, size_t len, unsigned done);

#endif
