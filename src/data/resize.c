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
#include "cnn.h"
#include "data/image.h"
#include "sys/blas_room.h"

/* For each of `outputs` pixels, the source pixels under it and their
 * weights: taps[i].first, .count, and weights[i * stride + k] for the k-th.
 * The source has `size` pixels, scaled by s and cropped about the centre; an
 * output pixel covers [lo, hi) of it, each source pixel weighted by its
 * overlap over the length. */
typedef struct {
    int first, count;
} tap;

static void taps_of(tap *taps, double *weights, int stride, int outputs, int size, double s)
{
    double offset = (size * s - outputs) / 2;
    for (int i = 0; i < outputs; i++) {
        double lo = fmax(0, (i + offset) / s), hi = fmin(size, (i + 1 + offset) / s);
        taps[i].first = (int)lo;
        taps[i].count = 0;
        for (int j = (int)lo; j < size && j < hi && taps[i].count < stride; j++)
            weights[i * stride + taps[i].count++] = (fmin(j + 1, hi) - fmax(j, lo)) / (hi - lo);
    }
}

int image_resize(uint8_t *out, int W, int H, const uint8_t *in, int w, int h, int channels)
{
    double s = fmax((double)W / w, (double)H / h);
    int stride = (int)ceil(1 / s) + 2; /* the most source pixels under one output pixel */
    double *rows = malloc(sizeof(double) * (size_t)h * W); /* (h, W): scaled across */
    tap *tx = malloc(sizeof(tap) * W), *ty = malloc(sizeof(tap) * H);
    double *wx = malloc(sizeof(double) * W * stride), *wy = malloc(sizeof(double) * H * stride);
    int ok = rows && tx && ty && wx && wy;
    if (ok) {
        taps_of(tx, wx, stride, W, w, s);
        taps_of(ty, wy, stride, H, h, s);
    }
    for (int c = 0; ok && c < channels; c++) {
        const uint8_t *plane = in + (size_t)c * w * h;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < W; x++) {
                const uint8_t *src = plane + (size_t)y * w + tx[x].first;
                double sum = 0;
                for (int k = 0; k < tx[x].count; k++) sum += wx[x * stride + k] * src[k];
                rows[(size_t)y * W + x] = sum;
            }
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                double sum = 0;
                for (int k = 0; k < ty[y].count; k++)
                    sum += wy[y * stride + k] * rows[(size_t)(ty[y].first + k) * W + x];
                long v = lrint(sum);
                out[((size_t)c * H + y) * W + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    }
    free(rows);
    free(tx);
    free(ty);
    free(wx);
    free(wy);
    return ok ? 0 : -1;
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
