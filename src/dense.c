/* dense.c: fully connected layer over the batch; the input (n, C, H, W) is
 * read as (n, C*H*W), which is the flatten of seeds 002 and 003.
 *
 *   forward   Y  (n, out) = X (n, in) * W^T (in, out) + b
 *   backward  dW (out, in)  = beta dW + dZ^T (out, n) * X (n, in)
 *             dX (n, in)    = dZ (n, out) * W (out, in)                     */
#include <cblas.h>
#include "layers.h"
#include "profile.h"

void dense_forward(float *out, const float *in, const float *w, const float *b,
                   const cnn_layer *L, int n)
{
    int ni = (int)cnn_shape_size(L->in), no = L->out.c;
    PROF_START();
    for (int i = 0; i < n; i++)
        for (int o = 0; o < no; o++) out[(size_t)i * no + o] = b[o];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, no, ni,
                1.0f, in, ni, w, ni, 1.0f, out, no);
    PROF_ADD(CNN_PHASE_SGEMM);
    act_forward(out, (size_t)n * no, L->act);
    PROF_ADD(CNN_PHASE_ACT);
}

void dense_backward(float *din, float *dw, float *db, float *dout, const float *out,
                    const float *in, const float *w, const cnn_layer *L, cnn_act act,
                    int n, float beta)
{
    int ni = (int)cnn_shape_size(L->in), no = L->out.c;
    PROF_START();
    act_backward(dout, out, (size_t)n * no, act);
    if (beta == 0.0f)   /* not 0 * db: the old values may be anything, NaN too */
        for (int o = 0; o < no; o++) db[o] = 0.0f;
    for (int i = 0; i < n; i++)
        for (int o = 0; o < no; o++) db[o] += dout[(size_t)i * no + o];
    PROF_ADD(CNN_PHASE_ACT);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, no, ni, n,
                1.0f, dout, no, in, ni, beta, dw, ni);
    if (din)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, ni, no,
                    1.0f, dout, no, w, ni, 0.0f, din, ni);
    PROF_ADD(CNN_PHASE_SGEMM);
}
