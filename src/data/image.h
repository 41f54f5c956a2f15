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
    IMAGE_RGB_TO_GREY = 1,   /* ITU-R BT.601 luma, OpenCV's fixed-point weights */
    IMAGE_GREY_TO_RGB = 2,   /* the grey copied into R, G and B */
    IMAGE_ALPHA_DROPPED = 4, /* composed over black */
    IMAGE_PALETTE = 8,       /* palette entries looked up */
    IMAGE_SCALED_8BIT = 16,  /* PGM/PPM with a maximum value below 255 */
    IMAGE_RESIZED = 32       /* scaled to the network's size (--resize) */
};

/* resize.c: in (channels, h, w) scaled to cover W x H, its shorter side
 * (relative) to the target's, cropped about the centre, into out (channels,
 * H, W), by area averaging. 0, or -1 out of memory. */
int image_resize(uint8_t *out, int W, int H, const uint8_t *in, int w, int h, int channels);

/* ITU-R BT.601 luma in OpenCV's fixed point: 0.299, 0.587, 0.114 as 4899,
 * 9617, 1868 / 16384, rounded; the one RGB-to-grey rule of every loader. */
static inline uint8_t image_luma(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14);
}

/* "PNG", "JPEG", "PGM/PPM" when the bytes start like one, else NULL. */
const char *image_kind(const uint8_t *data, size_t len);

/* cnn_image_decode (cnn.h) is this file's entry point: an image of another
 * size than the network's is an error naming both sizes, found from the
 * header before the pixels are decoded; so are 16-bit PNGs and CMYK JPEGs.
 * Its *conversions gets the bits above. */

/* "RGB converted to grey, alpha dropped" for *done, in buf. */
void image_describe_conversions(char *buf, size_t len, unsigned done);

#endif
