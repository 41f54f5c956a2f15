/* im2col.c: unroll image patches into matrix columns so that a convolution
 * becomes one sgemm. Rows are (channel, kernel row, kernel column); columns
 * are output positions. Positions outside the image read as zero. */
#include <string.h>
#include "kernels/kernels.h"

/* Rows here are short (8 to 28 floats): an inlined, vectorised loop is several
 * times faster than a call to memcpy, which GCC would otherwise make of it. */
#if defined(__GNUC__) && !defined(__clang__)
#define INLINE_COPIES __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define INLINE_COPIES
#endif

/* Rows here are short (8 to 28 floats) and there are many of them; what
 * costs is the overhead per row, not the bytes. Rows of 8 or more go as
 * blocks of 8 floats, the last one overlapping the one before it, which
 * compilers turn into a few vector moves with no loop tail. */
static inline void copy_row(float *restrict dst, const float *restrict src, int len)
{
    if (len < 8) {
        for (int x = 0; x < len; x++) dst[x] = src[x];
        return;
    }
    int x = 0;
    for (; x + 8 <= len; x += 8) memcpy(dst + x, src + x, 8 * sizeof(float));
    if (x < len) memcpy(dst + len - 8, src + len - 8, 8 * sizeof(float));
}

static inline void zero_row(float *dst, int len)
{
    for (int x = 0; x < len; x++) dst[x] = 0.0f;
}

/* One output row of kernel column j: dst[ox] = src[ox*stride + j - pad]. */
static inline void patch_row(float *dst, const float *src, int Wo, int W, int j,
                             const patch_shape *p)
{
    if (p->stride != 1) {
        for (int ox = 0; ox < Wo; ox++) {
            int x = ox * p->stride + j - p->pad;
            dst[ox] = (x >= 0 && x < W) ? src[x] : 0.0f;
        }
        return;
    }
    if (p->pad == 0) {
        copy_row(dst, src + j, Wo);
        return;
    }
    /* stride 1: zeros, then a straight copy, then zeros */
    int lo = p->pad - j, hi = W + p->pad - j; /* ox with 0 <= x < W */
    lo = lo < 0 ? 0 : lo > Wo ? Wo : lo;
    hi = hi > Wo ? Wo : hi < lo ? lo : hi;
    zero_row(dst, lo);
    copy_row(dst + lo, src + lo + j - p->pad, hi - lo);
    zero_row(dst + hi, Wo - hi);
}

INLINE_COPIES VECTOR_CLONES void im2col(float *col, size_t ld, size_t col0, const float *x,
                                        const patch_shape *p)
{
    int H = p->h, W = p->w;
    int Ho = (H - p->kh + 2 * p->pad) / p->stride + 1;
    int Wo = (W - p->kw + 2 * p->pad) / p->stride + 1;
    for (int c = 0; c < p->c; c++)
        for (int i = 0; i < p->kh; i++)
            for (int j = 0; j < p->kw; j++) {
                float *row = col + (size_t)((c * p->kh + i) * p->kw + j) * ld + col0;
                const float *plane = x + (size_t)c * H * W;
                for (int oy = 0; oy < Ho; oy++) {
                    int y = oy * p->stride + i - p->pad;
                    float *dst = row + (size_t)oy * Wo;
                    if (y < 0 || y >= H) zero_row(dst, Wo);
                    else patch_row(dst, plane + (size_t)y * W, Wo, W, j, p);
                }
            }
}

void spread(float *padded, const float *x, const spread_shape *p)
{
    memset(padded, 0, sizeof(float) * p->c * p->hp * p->wp);
    for (int c = 0; c < p->c; c++)
        for (int y = 0; y < p->h; y++) {
            const float *src = x + ((size_t)c * p->h + y) * p->w;
            float *dst = padded + ((size_t)c * p->hp + p->top + y * p->dilate) * p->wp + p->left;
            if (p->dilate == 1) copy_row(dst, src, p->w);
            else
                for (int xx = 0; xx < p->w; xx++) dst[xx * p->dilate] = src[xx];
        }
}

/* The full correlation's input: dz's planes spread `stride` apart (zero-
 * dilated) inside a zero border of lead = k-1-pad, so that a stride-1 "valid"
 * correlation with the kernels yields H x W. Then plain im2col. */
void im2col_full(float *col, size_t ld, size_t col0, float *padded, const float *dz,
                 const cnn_layer *L)
{
    patch_shape p = {
        L->out.c, L->in.h + L->win.kh - 1, L->in.w + L->win.kw - 1, L->win.kh, L->win.kw, 1, 0
    };
    spread_shape sp = { L->out.c,
                        L->out.h,
                        L->out.w,
                        L->win.stride,
                        L->win.kh - 1 - L->win.pad,
                        L->win.kw - 1 - L->win.pad,
                        p.h,
                        p.w };
    spread(padded, dz, &sp);
    im2col(col, ld, col0, padded, &p);
}
