/* dense.c: fully connected layer over the chunk; the input (n, C, H, W) is
 * read as (n, C*H*W): flattened in channel, row, column order.
 *
 *   forward   Y  (n, out) = X (n, in) * W^T (in, out) + b
 *   backward  dW (out, in)  = beta dW + dZ^T (out, n) * X (n, in)
 *             dX (n, in)    = dZ (n, out) * W (out, in)                     */
#include "kernels/profile.h"

void dense_forward(const layer_pass *p, const float *params)
{
    const cnn_layer *L = p->L;
    const float *w = params + L->w_off, *b = params + L->b_off;
    int ni = (int)cnn_shape_size(L->in), no = L->out.c;
    prof_clock clock = prof_start(p->site.prof);
    for (int i = 0; i < p->n; i++)
        for (int o = 0; o < no; o++) p->out[(size_t)i * no + o] = b[o];
    gemm(p->site, CNN_GEMM_FORWARD, CblasNoTrans, CblasTrans, p->n, no, ni, p->in, ni, w, ni, 1.0f,
         p->out, no);
    prof_lap(&clock, CNN_PHASE_SGEMM);
    act_forward(p->out, (size_t)p->n * no, L->act);
    prof_lap(&clock, CNN_PHASE_ACT);
}

void dense_backward(const layer_pass *p, const float *params, const layer_grads *g, cnn_act act)
{
    const cnn_layer *L = p->L;
    int ni = (int)cnn_shape_size(L->in), no = L->out.c;
    float *dw = g->grad + L->w_off, *db = g->grad + L->b_off;
    prof_clock clock = prof_start(p->site.prof);
    act_backward(g->dout, p->out, (size_t)p->n * no, act);
    if (g->mode == GRAD_WRITE) /* not 0 * db: the old values may be anything, NaN too */
        for (int o = 0; o < no; o++) db[o] = 0.0f;
    for (int i = 0; i < p->n; i++)
        for (int o = 0; o < no; o++) db[o] += g->dout[(size_t)i * no + o];
    prof_lap(&clock, CNN_PHASE_ACT);
    gemm(p->site, CNN_GEMM_WEIGHT_GRAD, CblasTrans, CblasNoTrans, no, ni, p->n, g->dout, no, p->in,
         ni, g->mode == GRAD_WRITE ? 0.0f : 1.0f, dw, ni);
    if (g->din)
        gemm(p->site, CNN_GEMM_INPUT_GRAD, CblasNoTrans, CblasNoTrans, p->n, ni, no, g->dout, no,
             params + L->w_off, ni, 0.0f, g->din, ni);
    prof_lap(&clock, CNN_PHASE_SGEMM);
}
