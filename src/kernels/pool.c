/* pool.c: max, min and average pooling over kh x kw windows with a stride.
 * Max (min) pooling records, per output, the index within the image of the
 * input it took; backward routes the gradient there and only there. Ties go
 * to the first candidate in row-major window order. Average pooling spreads
 * each gradient evenly over its window. */
#include <string.h>
#include "kernels/kernels.h"
#include "kernels/profile.h"

/* One plane; kind is a constant at each call site below, so the compiler
 * builds a separate loop for max, min and average without a test per pixel. */
static inline void pool_plane(float *out, int32_t *mask, const float *plane, int32_t base,
                              const cnn_layer *L, cnn_layer_kind kind)
{
    int W = L->in.w, Ho = L->out.h, Wo = L->out.w, kh = L->win.kh, kw = L->win.kw,
        s = L->win.stride;
    float inv_area = 1.0f / (float)(kh * kw);
    if (kh == 2 && kw == 2 && s == 2) { /* the common case */
        for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++) {
                int k[4] = { 2 * oy * W + 2 * ox, 2 * oy * W + 2 * ox + 1,
                             (2 * oy + 1) * W + 2 * ox, (2 * oy + 1) * W + 2 * ox + 1 };
                if (kind == CNN_AVGPOOL) {
                    out[oy * Wo + ox] = (plane[k[0]] + plane[k[1]] + plane[k[2]] + plane[k[3]]) *
                                        0.25f;
                    continue;
                }
                int at = k[0];
                for (int j = 1; j < 4; j++)
                    if (kind == CNN_MAXPOOL ? plane[k[j]] > plane[at] : plane[k[j]] < plane[at])
                        at = k[j];
                out[oy * Wo + ox] = plane[at];
                mask[oy * Wo + ox] = base + at;
            }
        return;
    }
    for (int oy = 0; oy < Ho; oy++)
        for (int ox = 0; ox < Wo; ox++) {
            int corner = oy * s * W + ox * s, at = corner;
            float best = plane[corner], sum = 0.0f;
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++) {
                    int k = corner + y * W + x;
                    float v = plane[k];
                    if (kind == CNN_AVGPOOL) sum += v;
                    else if (kind == CNN_MAXPOOL ? v > best : v < best) {
                        best = v;
                        at = k;
                    }
                }
            if (kind == CNN_AVGPOOL) {
                out[oy * Wo + ox] = sum * inv_area;
            } else {
                out[oy * Wo + ox] = best;
                mask[oy * Wo + ox] = base + at;
            }
        }
}

/* Every plane of the chunk; kind is a constant at each call below. */
static inline void pool_planes(const layer_pass *p, int32_t *mask, cnn_layer_kind kind)
{
    const cnn_layer *L = p->L;
    int C = L->in.c;
    size_t HW = (size_t)L->in.h * L->in.w, P = (size_t)L->out.h * L->out.w;
    prof_clock clock = prof_start(p->site.prof);
    for (int i = 0; i < p->n; i++)
        for (int c = 0; c < C; c++) {
            size_t plane = (size_t)i * C + c;
            pool_plane(p->out + plane * P, mask ? mask + plane * P : NULL, p->in + plane * HW,
                       (int32_t)(c * HW), L, kind);
        }
    prof_lap(&clock, CNN_PHASE_POOL);
}

void maxpool_forward(const layer_pass *p, int32_t *mask) { pool_planes(p, mask, CNN_MAXPOOL); }
void minpool_forward(const layer_pass *p, int32_t *mask) { pool_planes(p, mask, CNN_MINPOOL); }
void avgpool_forward(const layer_pass *p) { pool_planes(p, NULL, CNN_AVGPOOL); }

void pool_backward(const layer_pass *p, const layer_grads *g, const int32_t *mask)
{
    const cnn_layer *L = p->L;
    int C = L->in.c, H = L->in.h, W = L->in.w, Ho = L->out.h, Wo = L->out.w, n = p->n;
    size_t in_size = cnn_shape_size(L->in), out_size = cnn_shape_size(L->out);
    float *din = g->din;
    const float *dout = g->dout;
    prof_clock clock = prof_start(p->site.prof);
    memset(din, 0, sizeof(float) * n * in_size);
    if (mask) { /* max and min: each output's gradient to the input it took */
        for (int i = 0; i < n; i++) {
            float *dimg = din + i * in_size;
            for (size_t o = 0; o < out_size; o++)
                dimg[mask[i * out_size + o]] += dout[i * out_size + o];
        }
        prof_lap(&clock, CNN_PHASE_POOL);
        return;
    }
    int kh = L->win.kh, kw = L->win.kw, s = L->win.stride;
    float inv_area = 1.0f / (float)(kh * kw);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++) {
            float *plane = din + ((size_t)i * C + c) * H * W;
            const float *d = dout + ((size_t)i * C + c) * Ho * Wo;
            if (kh == 2 && kw == 2 && s == 2) { /* disjoint windows: plain stores */
                for (int oy = 0; oy < Ho; oy++)
                    for (int ox = 0; ox < Wo; ox++) {
                        float share = d[oy * Wo + ox] * 0.25f;
                        float *at = plane + 2 * oy * W + 2 * ox;
                        at[0] = at[1] = at[W] = at[W + 1] = share;
                    }
                continue;
            }
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    float share = d[oy * Wo + ox] * inv_area;
                    for (int y = 0; y < kh; y++)
                        for (int x = 0; x < kw; x++) plane[(oy * s + y) * W + ox * s + x] += share;
                }
        }
    prof_lap(&clock, CNN_PHASE_POOL);
}
