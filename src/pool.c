/* pool.c: max, min and average pooling over kh x kw windows with a stride.
 * Max (min) pooling records, per output, the index within the image of the
 * input it took; backward routes the gradient there and only there (seeds 000,
 * 001). Ties go to the first candidate in row-major window order. Average
 * pooling spreads each gradient evenly over its window (seed 004). */
#include <string.h>
#include "layers.h"
#include "profile.h"

void pool_forward(float *out, int32_t *mask, const float *in, const cnn_layer *L, int n)
{
    int C = L->in.c, H = L->in.h, W = L->in.w, Ho = L->out.h, Wo = L->out.w;
    int kh = L->kh, kw = L->kw, s = L->stride;
    float inv_area = 1.0f / (float)(kh * kw);
    PROF_START();
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++) {
            const float *plane = in + ((size_t)i * C + c) * H * W;
            int32_t base = c * H * W;
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    size_t o = (((size_t)i * C + c) * Ho + oy) * Wo + ox;
                    int at = oy * s * W + ox * s;
                    float best = plane[at], sum = 0.0f;
                    for (int y = 0; y < kh; y++)
                        for (int x = 0; x < kw; x++) {
                            int k = (oy * s + y) * W + ox * s + x;
                            float v = plane[k];
                            sum += v;
                            if ((L->kind == CNN_MAXPOOL && v > best) ||
                                (L->kind == CNN_MINPOOL && v < best)) {
                                best = v;
                                at = k;
                            }
                        }
                    if (L->kind == CNN_AVGPOOL) {
                        out[o] = sum * inv_area;
                    } else {
                        out[o] = best;
                        mask[o] = base + at;
                    }
                }
        }
    PROF_ADD(CNN_PHASE_POOL);
}

void pool_backward(float *din, const float *dout, const int32_t *mask,
                   const cnn_layer *L, int n)
{
    int C = L->in.c, H = L->in.h, W = L->in.w, Ho = L->out.h, Wo = L->out.w;
    size_t in_size = cnn_shape_size(L->in), out_size = cnn_shape_size(L->out);
    PROF_START();
    memset(din, 0, sizeof(float) * n * in_size);
    if (L->kind != CNN_AVGPOOL) {
        for (int i = 0; i < n; i++) {
            float *dimg = din + i * in_size;
            for (size_t o = 0; o < out_size; o++)
                dimg[mask[i * out_size + o]] += dout[i * out_size + o];
        }
        PROF_ADD(CNN_PHASE_POOL);
        return;
    }
    int kh = L->kh, kw = L->kw, s = L->stride;
    float inv_area = 1.0f / (float)(kh * kw);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++) {
            float *plane = din + ((size_t)i * C + c) * H * W;
            const float *d = dout + ((size_t)i * C + c) * Ho * Wo;
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    float g = d[oy * Wo + ox] * inv_area;
                    for (int y = 0; y < kh; y++)
                        for (int x = 0; x < kw; x++)
                            plane[(oy * s + y) * W + ox * s + x] += g;
                }
        }
    PROF_ADD(CNN_PHASE_POOL);
}
