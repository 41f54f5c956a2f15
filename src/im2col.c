/* im2col.c: unroll image patches into matrix columns so that a convolution
 * becomes one sgemm. Rows are (channel, kernel row, kernel column); columns
 * are output positions. Positions outside the image read as zero. */
#include <string.h>
#include "layers.h"

/* Rows here are short (8 to 28 floats): an inlined, vectorised loop is several
 * times faster than a call to memcpy, which GCC would otherwise make of it. */
#if defined(__GNUC__) && !defined(__clang__)
#define INLINE_COPIES __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define INLINE_COPIES
#endif

static inline void copy_row(float *restrict dst, const float *restrict src, int len)
{
    for (int x = 0; x < len; x++) dst[x] = src[x];
}

INLINE_COPIES void im2col(float *col, size_t ld, size_t col0, const float *x, int C, int H, int W,
            int kh, int kw, int stride, int pad)
{
    int Ho = (H - kh + 2 * pad) / stride + 1, Wo = (W - kw + 2 * pad) / stride + 1;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++) {
                float *row = col + (size_t)((c * kh + i) * kw + j) * ld + col0;
                const float *plane = x + (size_t)c * H * W;
                for (int oy = 0; oy < Ho; oy++) {
                    int y = oy * stride + i - pad;
                    float *dst = row + (size_t)oy * Wo;
                    if (y < 0 || y >= H) {
                        memset(dst, 0, sizeof(float) * Wo);
                        continue;
                    }
                    const float *src = plane + (size_t)y * W;
                    if (stride == 1 && pad == 0) {       /* the common case */
                        copy_row(dst, src + j, Wo);
                        continue;
                    }
                    for (int ox = 0; ox < Wo; ox++) {
                        int xx = ox * stride + j - pad;
                        dst[ox] = (xx >= 0 && xx < W) ? src[xx] : 0.0f;
                    }
                }
            }
}

/* The full correlation's input: dy's planes spread `stride` apart (zero-
 * dilated) inside a zero border of lead = k-1-pad, so that a stride-1 "valid"
 * correlation with the kernels yields H x W. Then plain im2col. */
void im2col_full(float *col, size_t ld, size_t col0, float *padded, const float *dy,
                 size_t fstride, int F, int Ho, int Wo, int H, int W, int kh, int kw,
                 int stride, int pad)
{
    int Hp = H + kh - 1, Wp = W + kw - 1, lead_y = kh - 1 - pad, lead_x = kw - 1 - pad;
    memset(padded, 0, sizeof(float) * F * Hp * Wp);
    for (int f = 0; f < F; f++)
        for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++)
                padded[((size_t)f * Hp + lead_y + oy * stride) * Wp + lead_x + ox * stride] =
                    dy[(size_t)f * fstride + (size_t)oy * Wo + ox];
    im2col(col, ld, col0, padded, F, Hp, Wp, kh, kw, 1, 0);
}
