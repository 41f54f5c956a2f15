/* resize.c: --resize. An image is scaled so that it covers the network's
 * input (its shorter side, relative to the input's, becomes the input's),
 * then cropped to it about the centre. Each output pixel is the mean of the
 * source area it covers, each source pixel weighted by its overlap: area
 * averaging, as OpenCV's INTER_AREA shrinks, and used alike when enlarging
 * (an output pixel then mixes the at most 2 x 2 pixels under it). A function
 * of the bytes alone, computed in double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image.h"
#include "layers.h"

/* The source interval [*lo, *hi) under output pixel i of `outputs`, for a
 * source of `size` pixels scaled by s and cropped about the centre. */
static void footprint(int i, int outputs, int size, double s, double *lo, double *hi)
{
    double offset = (size * s - outputs) / 2;
    *lo = fmax(0, (i + offset) / s);
    *hi = fmin(size, (i + 1 + offset) / s);
}

/* The weight of source pixel j in [lo, hi): its overlap, over the length. */
static double weight(int j, double lo, double hi)
{
    return fmax(0, fmin(j + 1, hi) - fmax(j, lo)) / (hi - lo);
}

int image_resize(uint8_t *out, int W, int H, const uint8_t *in, int w, int h, int channels)
{
    double s = fmax((double)W / w, (double)H / h);
    double *rows = malloc(sizeof(double) * (size_t)h * W);   /* (h, W): scaled across */
    if (!rows) return -1;
    for (int c = 0; c < channels; c++) {
        const uint8_t *plane = in + (size_t)c * w * h;
        for (int x = 0; x < W; x++) {
            double lo, hi;
            footprint(x, W, w, s, &lo, &hi);
            for (int y = 0; y < h; y++) {
                double sum = 0;
                for (int j = (int)lo; j < w && j < hi; j++)
                    sum += weight(j, lo, hi) * plane[(size_t)y * w + j];
                rows[(size_t)y * W + x] = sum;
            }
        }
        for (int y = 0; y < H; y++) {
            double lo, hi;
            footprint(y, H, h, s, &lo, &hi);
            for (int x = 0; x < W; x++) {
                double sum = 0;
                for (int i = (int)lo; i < h && i < hi; i++)
                    sum += weight(i, lo, hi) * rows[(size_t)i * W + x];
                long v = lrint(sum);
                out[((size_t)c * H + y) * W + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    }
    free(rows);
    return 0;
}

int cnn_dataset_resize(cnn_dataset *d, const cnn_image_spec *spec, char *err)
{
    const cnn_shape *to = &spec->shape;
    if (!spec->resize || (d->height == to->h && d->width == to->w)) return 0;
    size_t size = cnn_shape_size((cnn_shape){ d->channels, to->h, to->w });
    uint8_t *px = malloc(size * (d->count ? d->count : 1));
    if (!px) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory scaling the images", d->images_path);
        return -1;
    }
    for (int i = 0; i < d->count; i++)
        if (image_resize(px + i * size, to->w, to->h, d->pixels + (size_t)i * d->image_size,
                         d->width, d->height, d->channels)) {
            free(px);
            snprintf(err, CNN_ERR_LEN, "%s: out of memory scaling the images", d->images_path);
            return -1;
        }
    free(d->pixels);
    d->pixels = px;
    d->height = to->h;
    d->width = to->w;
    d->image_size = size;
    return 0;
}
