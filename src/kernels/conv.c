/* conv.c: convolution (cross-correlation, as every framework computes it),
 * forward and backward, every multiply-add in one of three sgemm calls:
 *
 *   forward         Z  (F, gP)  = W (F, K) * col (K, gP)          K = C*kh*kw
 *   kernel gradient dW^T (K, F) += col (K, gP) * dZ^T (gP, F)     the input correlated with dE/dY
 *   input gradient  dX (C, gHW) = Wrot (C, F*kh*kw) * colf (F*kh*kw, gHW):
 *                   the full cross-correlation of dZ with the kernels rotated
 *                   by 180 degrees (dE/dX = dE/dY full-star rot180(K))
 *
 * P = Ho*Wo, for groups of g images (images_per_gemm), so that each product's
 * im2col matrix stays in cache. A group of one image is already in NCHW
 * order: its product goes straight to the layer's output (or input
 * gradient); larger groups pass through a staging matrix.
 *
 * With groups=G each of the three runs once per channel group, on that
 * group's rows: the rows of col, W, dz and colf that belong to one channel
 * group are contiguous, so its product is the same call on a slice (lda Kg,
 * or Fg*kh*kw for the input gradient). */
#include <stdlib.h>
#include <string.h>
#include "kernels/profile.h"

/* A chunk's im2col is kept for the kernel gradient when it is this small,
 * and made again group by group when larger, so that one group's matrix
 * stays in cache instead of a chunk's going to memory and back. Measured at
 * batch 64, alternating runs: vgg (conv2: 29 MB a chunk) trains 8-10% faster
 * making it again, lenet (conv2: 4 MB) 3-5% faster keeping it, and seed000
 * (conv1: 1.8 MB) 20% faster keeping it. */
#define KEEP_COL_BYTES (4u << 20)

/* A stride-1 convolution with padding reads each image through a zero-padded
 * copy, so that every im2col row is a plain copy (vgg's conv2: 56 -> 40 us an
 * image). */
static int pads_first(const cnn_layer *L) { return L->win.stride == 1 && L->win.pad > 0; }

static patch_shape input_patches(const cnn_layer *L)
{
    const cnn_window *w = &L->win;
    if (pads_first(L))
        return (patch_shape){ L->in.c, L->in.h + 2 * w->pad, L->in.w + 2 * w->pad, w->kh, w->kw, 1,
                              0 };
    return (patch_shape){ L->in.c, L->in.h, L->in.w, w->kh, w->kw, w->stride, w->pad };
}

int conv_scratch_alloc(conv_scratch *s, const cnn_layer *L, int n)
{
    size_t C = L->in.c, F = L->out.c, KK = (size_t)L->win.kh * L->win.kw, K = C * KK;
    size_t Fg = F / L->groups;
    size_t P = (size_t)L->out.h * L->out.w, HW = (size_t)L->in.h * L->in.w;
    size_t padded = F * (L->in.h + L->win.kh - 1) * (L->in.w + L->win.kw - 1);
    size_t padded_in = C * (L->in.h + 2 * L->win.pad) * (L->in.w + 2 * L->win.pad);
    if (padded_in > padded) padded = padded_in;
    memset(s, 0, sizeof *s);
    s->g = images_per_gemm(K, P, n);
    s->gx = images_per_gemm(F * KK, HW, n);
    s->keep = K * P * n * sizeof(float) <= KEEP_COL_BYTES;
    int ok = (s->col = aligned_calloc(K * P * (s->keep ? n : s->g), sizeof(float))) != NULL;
    ok &= (s->stage = aligned_calloc(F * P * s->g, sizeof(float))) != NULL;
    ok &= (s->wrot = aligned_calloc(C * Fg * KK, sizeof(float))) != NULL;
    ok &= (s->dwt = aligned_calloc(K * Fg, sizeof(float))) != NULL;
    ok &= (s->padded = aligned_calloc(padded, sizeof(float))) != NULL;
    ok &= (s->colf = aligned_calloc(F * KK * HW * s->gx, sizeof(float))) != NULL;
    ok &= (s->dstage = aligned_calloc(C * HW * s->gx, sizeof(float))) != NULL;
    if (!ok) conv_scratch_free(s);
    return ok ? 0 : -1;
}

void conv_scratch_free(conv_scratch *s)
{
    free(s->col);
    free(s->stage);
    free(s->wrot);
    free(s->dwt);
    free(s->padded);
    free(s->colf);
    free(s->dstage);
    memset(s, 0, sizeof *s);
}

/* Where the im2col block of the group from image `first` lives. */
static float *group_col(const conv_scratch *s, const cnn_layer *L, int first)
{
    size_t K = (size_t)L->in.c * L->win.kh * L->win.kw, P = (size_t)L->out.h * L->out.w;
    return s->keep ? s->col + K * P * first : s->col;
}

/* im2col of images first..first+m-1 into their block (K, m*P). */
static void group_im2col(const layer_pass *p, const conv_scratch *s, int first, int m)
{
    const cnn_layer *L = p->L;
    size_t in_size = cnn_shape_size(L->in), mP = (size_t)m * L->out.h * L->out.w;
    patch_shape shape = input_patches(L);
    spread_shape margin = {
        L->in.c, L->in.h, L->in.w, 1, L->win.pad, L->win.pad, shape.h, shape.w
    };
    for (int i = 0; i < m; i++) {
        const float *x = p->in + (first + i) * in_size;
        if (pads_first(L)) {
            spread(s->padded, x, &margin);
            x = s->padded;
        }
        im2col(group_col(s, L, first), mP, (size_t)i * L->out.h * L->out.w, x, &shape);
    }
}

void conv_forward(const layer_pass *p, const float *params, const conv_scratch *s)
{
    const cnn_layer *L = p->L;
    const float *w = params + L->w_off, *b = params + L->b_off;
    int F = L->out.c, G = L->groups, Fg = F / G, Kg = conv_group_k(L), P = L->out.h * L->out.w;
    prof_clock clock = prof_start(p->site.prof);
    for (int first = 0; first < p->n; first += s->g) {
        int m = p->n - first < s->g ? p->n - first : s->g;
        size_t mP = (size_t)m * P;
        group_im2col(p, s, first, m);
        prof_lap(&clock, CNN_PHASE_IM2COL);
        float *out = p->out + (size_t)first * F * P;
        float *z = m == 1 ? out : s->stage; /* (F, mP) */
        const float *col = group_col(s, L, first);
        for (int j = 0; j < G; j++)
            gemm(p->site, CNN_GEMM_FORWARD, CblasNoTrans, CblasNoTrans, Fg, (int)mP, Kg,
                 w + (size_t)j * Fg * Kg, Kg, col + (size_t)j * Kg * mP, (int)mP, 0.0f,
                 z + (size_t)j * Fg * mP, (int)mP);
        prof_lap(&clock, CNN_PHASE_SGEMM);
        /* to NCHW with bias and activation, each plane while it is in cache */
        for (int i = 0; i < m; i++)
            for (int f = 0; f < F; f++) {
                const float *src = z + (size_t)f * mP + (size_t)i * P;
                float *dst = out + ((size_t)i * F + f) * P;
                for (int q = 0; q < P; q++) dst[q] = src[q] + b[f];
                act_forward(dst, (size_t)P, L->act);
            }
        prof_lap(&clock, CNN_PHASE_ACT);
    }
}

/* dz through the activation (in place, in NCHW order), its sums into the
 * bias gradient, then the kernel gradient from each group's im2col, kept
 * from the forward pass or made again (KEEP_COL_BYTES). The product runs as
 * dW^T (K, F) = col (K, gP) * dz^T (gP, F), which OpenBLAS runs 5-35% faster
 * than dW = dz * col^T on these shapes (vgg conv4: 110 -> 126 GFLOP/s), and
 * goes into the gradient block transposed. */
static void kernel_gradient(const layer_pass *p, const layer_grads *g, const conv_scratch *s,
                            cnn_act act, prof_clock *clock)
{
    const cnn_layer *L = p->L;
    int F = L->out.c, G = L->groups, Fg = F / G, Kg = conv_group_k(L), P = L->out.h * L->out.w;
    float *dw = g->grad + L->w_off, *db = g->grad + L->b_off;
    act_backward(g->dout, p->out, (size_t)p->n * F * P, act);
    if (g->mode == GRAD_WRITE)
        for (int f = 0; f < F; f++) db[f] = 0.0f;
    for (int i = 0; i < p->n; i++)
        for (int f = 0; f < F; f++) {
            const float *plane = g->dout + ((size_t)i * F + f) * P;
            float sum = 0.0f;
            for (int q = 0; q < P; q++) sum += plane[q];
            db[f] += sum;
        }
    prof_lap(clock, CNN_PHASE_ACT);
    for (int first = 0; first < p->n; first += s->g) {
        int m = p->n - first < s->g ? p->n - first : s->g;
        size_t mP = (size_t)m * P;
        const float *dz = g->dout + (size_t)first * F * P;
        if (m > 1) { /* (m, F, P) to (F, mP) */
            for (int i = 0; i < m; i++)
                for (int f = 0; f < F; f++)
                    memcpy(s->stage + (size_t)f * mP + (size_t)i * P, dz + ((size_t)i * F + f) * P,
                           sizeof(float) * P);
            dz = s->stage;
            prof_lap(clock, CNN_PHASE_ACT);
        }
        if (!s->keep) {
            group_im2col(p, s, first, m);
            prof_lap(clock, CNN_PHASE_IM2COL);
        }
        const float *col = group_col(s, L, first);
        for (int j = 0; j < G; j++)
            gemm(p->site, CNN_GEMM_WEIGHT_GRAD, CblasNoTrans, CblasTrans, Kg, Fg, (int)mP,
                 col + (size_t)j * Kg * mP, (int)mP, dz + (size_t)j * Fg * mP, (int)mP,
                 first ? 1.0f : 0.0f, s->dwt + (size_t)j * Kg * Fg, Fg);
        prof_lap(clock, CNN_PHASE_SGEMM);
    }
    /* group j's (Kg, Fg) block back to its filters' rows (Fg, Kg) */
    for (int f = 0; f < F; f++) {
        const float *dwt = s->dwt + (size_t)(f / Fg) * Kg * Fg + f % Fg;
        for (int k = 0; k < Kg; k++) {
            float v = dwt[(size_t)k * Fg];
            dw[(size_t)f * Kg + k] = g->mode == GRAD_WRITE ? v : dw[(size_t)f * Kg + k] + v;
        }
    }
    prof_lap(clock, CNN_PHASE_ACT);
}

static void input_gradient(const layer_pass *p, const float *params, const layer_grads *g,
                           const conv_scratch *s, prof_clock *clock)
{
    const cnn_layer *L = p->L;
    const float *w = params + L->w_off;
    int C = L->in.c, F = L->out.c, KK = L->win.kh * L->win.kw, P = L->out.h * L->out.w;
    int HW = L->in.h * L->in.w, G = L->groups, Cg = C / G, Fg = F / G;
    /* wrot, per channel group j, (Cg, Fg*kh*kw): each kernel rotated by 180
     * degrees, channels first; channel c belongs to group c / Cg. */
    for (int c = 0; c < C; c++)
        for (int f = 0; f < Fg; f++) {
            const float *kernel = w + ((size_t)(c / Cg * Fg + f) * Cg + c % Cg) * KK;
            float *rot = s->wrot + ((size_t)c * Fg + f) * KK;
            for (int k = 0; k < KK; k++) rot[k] = kernel[KK - 1 - k];
        }
    for (int first = 0; first < p->n; first += s->gx) {
        int m = p->n - first < s->gx ? p->n - first : s->gx;
        size_t mHW = (size_t)m * HW;
        for (int i = 0; i < m; i++)
            im2col_full(s->colf, mHW, (size_t)i * HW, s->padded,
                        g->dout + (size_t)(first + i) * F * P, L);
        prof_lap(clock, CNN_PHASE_IM2COL);
        float *din = g->din + (size_t)first * C * HW;
        float *dx = m == 1 ? din : s->dstage; /* (C, mHW) */
        for (int j = 0; j < G; j++)
            gemm(p->site, CNN_GEMM_INPUT_GRAD, CblasNoTrans, CblasNoTrans, Cg, (int)mHW, Fg * KK,
                 s->wrot + (size_t)j * Cg * Fg * KK, Fg * KK, s->colf + (size_t)j * Fg * KK * mHW,
                 (int)mHW, 0.0f, dx + (size_t)j * Cg * mHW, (int)mHW);
        prof_lap(clock, CNN_PHASE_SGEMM);
        if (m > 1) {
            for (int i = 0; i < m; i++)
                for (int c = 0; c < C; c++)
                    memcpy(din + ((size_t)i * C + c) * HW, dx + c * mHW + (size_t)i * HW,
                           sizeof(float) * HW);
            prof_lap(clock, CNN_PHASE_IM2COL);
        }
    }
}

void conv_backward(const layer_pass *p, const float *params, const layer_grads *g,
                   const conv_scratch *s, cnn_act act)
{
    prof_clock clock = prof_start(p->site.prof);
    kernel_gradient(p, g, s, act, &clock);
    if (g->din) input_gradient(p, params, g, s, &clock);
}
