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

/* Padded, dilated position q of the output gradient holds dy[(q - lead) / s]
 * when q - lead is a non-negative multiple of s inside the plane, else zero;
 * lead = k - 1 - pad is the zero border of the full correlation. */
static inline int dilated_index(int q, int lead, int stride, int len)
{
    int t = q - lead;
    if (t < 0 || t % stride) return -1;
    t /= stride;
    return t < len ? t : -1;
}

INLINE_COPIES void im2col_full(float *col, size_t ld, size_t col0, const float *dy, size_t fstride,
                 int F, int Ho, int Wo, int H, int W, int kh, int kw, int stride, int pad)
{
    int lead_y = kh - 1 - pad, lead_x = kw - 1 - pad;
    for (int f = 0; f < F; f++)
        for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++) {
                float *row = col + (size_t)((f * kh + i) * kw + j) * ld + col0;
                const float *plane = dy + (size_t)f * fstride;
                /* stride 1: row y holds dy's row y+i-lead_y shifted by j-lead_x,
                 * columns [x0, x1) from dy, zeros around them */
                int x0 = lead_x - j > 0 ? lead_x - j : 0;
                int x1 = lead_x - j + Wo < W ? lead_x - j + Wo : W;
                for (int y = 0; y < H; y++) {
                    int sy = dilated_index(y + i, lead_y, stride, Ho);
                    float *dst = row + (size_t)y * W;
                    if (sy < 0) {
                        memset(dst, 0, sizeof(float) * W);
                        continue;
                    }
                    if (stride == 1) {
                        const float *src = plane + (size_t)sy * Wo;
                        int x = 0;
                        for (; x < x0; x++) dst[x] = 0.0f;
                        if (x1 > x0) {
                            copy_row(dst + x0, src + (x0 + j - lead_x), x1 - x0);
                            x = x1;
                        }
                        for (; x < W; x++) dst[x] = 0.0f;
                        continue;
                    }
                    for (int x = 0; x < W; x++) {
                        int sx = dilated_index(x + j, lead_x, stride, Wo);
                        dst[x] = sx < 0 ? 0.0f : plane[(size_t)sy * Wo + sx];
                    }
                }
            }
}
