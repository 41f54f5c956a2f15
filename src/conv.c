/* conv.c: convolution (cross-correlation, as every framework computes it),
 * forward and backward, every multiply-add in one of three sgemm calls:
 *
 *   forward         Z  (F, nP)  = W (F, K) * col (K, nP)          K = C*kh*kw
 *   kernel gradient dW (F, K)   = dZ (F, nP) * col^T (nP, K)       seed 002: X star dE/dY
 *   input gradient  dX (C, HW)  = Wrot (C, F*kh*kw) * colf (F*kh*kw, HW), per image:
 *                   the full cross-correlation of dZ with the kernels rotated
 *                   by 180 degrees (seed 002: dE/dX = dE/dY full-star rot180(K))
 *
 * P = Ho*Wo. The sgemms work in (F, n*P) layout, one large product per chunk;
 * a single pass moves results to NCHW, adding bias and activation on the way. */
#include <cblas.h>
#include <string.h>
#include "layers.h"
#include "profile.h"

void conv_forward(float *out, float *col, float *stage, const float *in,
                  const float *w, const float *b, const cnn_layer *L, int n)
{
    int C = L->in.c, H = L->in.h, W = L->in.w, F = L->out.c;
    int K = C * L->kh * L->kw, P = L->out.h * L->out.w;
    size_t nP = (size_t)n * P, in_size = cnn_shape_size(L->in);
    PROF_START();
    for (int i = 0; i < n; i++)
        im2col(col, nP, (size_t)i * P, in + i * in_size, C, H, W, L->kh, L->kw,
               L->stride, L->pad);
    PROF_ADD(CNN_PHASE_IM2COL);
    /* stage (F, nP) = W (F, K) * col (K, nP) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, F, (int)nP, K,
                1.0f, w, K, col, (int)nP, 0.0f, stage, (int)nP);
    PROF_ADD(CNN_PHASE_SGEMM);
    for (int i = 0; i < n; i++)
        for (int f = 0; f < F; f++) {
            const float *src = stage + (size_t)f * nP + (size_t)i * P;
            float *dst = out + ((size_t)i * F + f) * P;
            for (int p = 0; p < P; p++) dst[p] = src[p] + b[f];
            act_forward(dst, (size_t)P, L->act);   /* while the plane is in cache */
        }
    PROF_ADD(CNN_PHASE_ACT);
}

#define GROUP_FLOATS (1 << 20)

int conv_group(const cnn_layer *L, int n)
{
    size_t per_image = (size_t)L->out.c * L->kh * L->kw * L->in.h * L->in.w;
    size_t g = GROUP_FLOATS / (per_image ? per_image : 1);
    return g < 1 ? 1 : g > (size_t)n ? n : (int)g;
}

size_t conv_dstage_size(const cnn_layer *L, int n)
{
    size_t out = (size_t)L->in.c * L->in.h * L->in.w * conv_group(L, n);
    size_t padded = (size_t)L->out.c * (L->in.h + L->kh - 1) * (L->in.w + L->kw - 1);
    return out > padded ? out : padded;
}

void conv_backward(float *din, float *dw, float *db, float *dz, float *wrot,
                   float *colf, float *dstage, const float *dout, const float *out,
                   const float *col, const float *w, const cnn_layer *L, cnn_act act, int n,
                   float beta)
{
    int C = L->in.c, F = L->out.c, kh = L->kh, kw = L->kw;
    int K = C * kh * kw, P = L->out.h * L->out.w, KK = kh * kw;
    size_t nP = (size_t)n * P;
    PROF_START();
    /* dz (F, nP) from dout (n, F, P), through the activation's derivative. */
    for (int i = 0; i < n; i++)
        for (int f = 0; f < F; f++) {
            size_t at = ((size_t)i * F + f) * P;
            float *dst = dz + (size_t)f * nP + (size_t)i * P;
            memcpy(dst, dout + at, sizeof(float) * P);
            act_backward(dst, out + at, P, act);
        }
    for (int f = 0; f < F; f++) {
        const float *row = dz + (size_t)f * nP;
        float s = 0.0f;
        for (size_t p = 0; p < nP; p++) s += row[p];
        db[f] = beta == 0.0f ? s : db[f] + s;
    }
    PROF_ADD(CNN_PHASE_ACT);
    /* dw (F, K) = beta dw + dz (F, nP) * col^T (nP, K) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, F, K, (int)nP,
                1.0f, dz, (int)nP, col, (int)nP, beta, dw, K);
    PROF_ADD(CNN_PHASE_SGEMM);
    if (!din) return;

    /* wrot (C, F*kh*kw): each kernel rotated by 180 degrees, channels first. */
    for (int c = 0; c < C; c++)
        for (int f = 0; f < F; f++)
            for (int k = 0; k < KK; k++)
                wrot[((size_t)c * F + f) * KK + k] = w[((size_t)f * C + c) * KK + KK - 1 - k];
    int H = L->in.h, W = L->in.w, HW = H * W, g = conv_group(L, n);
    for (int first = 0; first < n; first += g) {
        int m = n - first < g ? n - first : g;
        size_t ld = (size_t)m * HW;
        /* image i's dz planes sit at dz + f*nP + i*P */
        for (int i = 0; i < m; i++)
            im2col_full(colf, ld, (size_t)i * HW, dstage, dz + (size_t)(first + i) * P, nP, F,
                        L->out.h, L->out.w, H, W, kh, kw, L->stride, L->pad);
        PROF_ADD(CNN_PHASE_IM2COL);
        /* dstage (C, m*HW) = wrot (C, F*kh*kw) * colf (F*kh*kw, m*HW) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, C, (int)ld, F * KK,
                    1.0f, wrot, F * KK, colf, (int)ld, 0.0f, dstage, (int)ld);
        PROF_ADD(CNN_PHASE_SGEMM);
        for (int i = 0; i < m; i++)
            for (int c = 0; c < C; c++)
                memcpy(din + ((size_t)(first + i) * C + c) * HW, dstage + c * ld + (size_t)i * HW,
                       sizeof(float) * HW);
        PROF_ADD(CNN_PHASE_IM2COL);
    }
}
