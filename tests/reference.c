/* reference.c: direct-loop convolution and a checker of the engine against it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/net.h"
#include "reference.h"

/* x (n, C, H, W) at image i, channel c, row y, column x; zero outside */
static double at(const float *x, const cnn_layer *L, int i, int c, int y, int xx)
{
    if (y < 0 || y >= L->in.h || xx < 0 || xx >= L->in.w) return 0.0;
    return x[(((size_t)i * L->in.c + c) * L->in.h + y) * L->in.w + xx];
}

void reference_conv(double *out, double *dw, double *db, double *dx, const float *x, const float *w,
                    const float *b, const float *dy, const cnn_layer *L, int n)
{
    int C = L->in.c, F = L->out.c, kh = L->win.kh, kw = L->win.kw, s = L->win.stride,
        p = L->win.pad;
    int Ho = L->out.h, Wo = L->out.w, H = L->in.h, W = L->in.w;
    int Cg = C / L->groups, Fg = F / L->groups; /* filter f sees channels f / Fg * Cg + c */
    memset(dw, 0, sizeof(double) * L->n_w);
    memset(db, 0, sizeof(double) * F);
    memset(dx, 0, sizeof(double) * n * C * H * W);
    for (int i = 0; i < n; i++)
        for (int f = 0; f < F; f++)
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    size_t o = (((size_t)i * F + f) * Ho + oy) * Wo + ox;
                    double sum = b[f];
                    db[f] += dy[o];
                    for (int cg = 0; cg < Cg; cg++)
                        for (int u = 0; u < kh; u++)
                            for (int v = 0; v < kw; v++) {
                                int c = f / Fg * Cg + cg;
                                int y = oy * s + u - p, xx = ox * s + v - p;
                                size_t k = (((size_t)f * Cg + cg) * kh + u) * kw + v;
                                sum += at(x, L, i, c, y, xx) * w[k];
                                dw[k] += at(x, L, i, c, y, xx) * dy[o];
                                if (y >= 0 && y < H && xx >= 0 && xx < W)
                                    dx[(((size_t)i * C + c) * H + y) * W + xx] += w[k] * dy[o];
                            }
                    out[o] = sum;
                }
}

static int compare(const float *got, const double *want, size_t len, const char *what, char *why)
{
    for (size_t i = 0; i < len; i++)
        if (!(fabs(got[i] - want[i]) <= 1e-4 * (1.0 + fabs(want[i])))) {
            snprintf(why, CNN_ERR_LEN, "convolution %s[%zu] = %.7g, reference %.7g", what, i,
                     got[i], want[i]);
            return -1;
        }
    return 0;
}

int reference_check_conv(const cnn_layer *layer, const float *w, int n, int input_grad, char *why)
{
    cnn_layer L = *layer;
    L.act = act_of(CNN_ACT_NONE); /* the convolution itself; activations are checked apart */
    size_t in_len = n * cnn_shape_size(L.in), out_len = n * cnn_shape_size(L.out);
    size_t w_len = L.n_w;
    L.w_off = 0; /* a parameter block of its own: weights, then biases */
    L.b_off = w_len;
    float *x = malloc(sizeof(float) * in_len), *params = malloc(sizeof(float) * (w_len + L.out.c));
    float *dy = malloc(sizeof(float) * out_len), *out = malloc(sizeof(float) * out_len);
    float *dx = malloc(sizeof(float) * in_len), *grad = calloc(w_len + L.out.c, sizeof(float));
    double *rout = malloc(sizeof(double) * out_len), *rdw = malloc(sizeof(double) * w_len);
    double *rdb = malloc(sizeof(double) * L.out.c), *rdx = malloc(sizeof(double) * in_len);
    conv_scratch scratch;
    int rc = -1, have_scratch = conv_scratch_alloc(&scratch, &L, n) == 0;
    if (!x || !params || !dy || !out || !dx || !grad || !rout || !rdw || !rdb || !rdx ||
        !have_scratch) {
        snprintf(why, CNN_ERR_LEN, "reference check: out of memory");
        goto done;
    }
    cnn_rng r = cnn_rng_seed(L.line + 1000u * (unsigned)n);
    memcpy(params, w, sizeof(float) * w_len);
    float *b = params + w_len;
    for (size_t i = 0; i < in_len; i++) x[i] = 2 * cnn_rng_uniform(&r) - 1;
    for (int i = 0; i < L.out.c; i++) b[i] = 2 * cnn_rng_uniform(&r) - 1;
    for (size_t i = 0; i < out_len; i++) dy[i] = 2 * cnn_rng_uniform(&r) - 1;
    reference_conv(rout, rdw, rdb, rdx, x, w, b, dy, &L, n); /* before dy turns into dz */
    layer_pass pass = { &L, n, x, out, { NULL, 0 } };
    layer_grads g = { dy, input_grad ? dx : NULL, grad, GRAD_WRITE };
    conv_forward(&pass, params, &scratch);
    conv_backward(&pass, params, &g, &scratch, act_of(CNN_ACT_NONE));
    if (compare(out, rout, out_len, "output", why) ||
        compare(grad, rdw, w_len, "kernel gradient", why) ||
        compare(grad + w_len, rdb, L.out.c, "bias gradient", why) ||
        (input_grad && compare(dx, rdx, in_len, "input gradient", why)))
        goto done;
    rc = 0;
done:
    if (have_scratch) conv_scratch_free(&scratch);
    free(x);
    free(params);
    free(dy);
    free(out);
    free(dx);
    free(grad);
    free(rout);
    free(rdw);
    free(rdb);
    free(rdx);
    return rc;
}

void reference_example_net(const layer_kind *k, char *text, size_t len)
{
    snprintf(text, len,
             "# the example of the %s entry in the table of layer kinds\n"
             "input channels=1 height=28 width=28\n%s\ndense units=10\n"
             "loss softmax-cross-entropy\n",
             k->name, k->example);
}
