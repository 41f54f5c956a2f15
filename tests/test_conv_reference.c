/* im2col + sgemm convolution against direct loops (the only place a direct
 * convolution exists), forward and all three gradients, on many random
 * shapes: channels, filters, kernel height and width, stride, padding, batch. */
#include "check.h"
#include "layers.h"

#define CASES 300

/* x (n, C, H, W) at image i, channel c, row y, column x; zero outside */
static double at(const float *x, const cnn_layer *L, int i, int c, int y, int xx)
{
    if (y < 0 || y >= L->in.h || xx < 0 || xx >= L->in.w) return 0.0;
    return x[(((size_t)i * L->in.c + c) * L->in.h + y) * L->in.w + xx];
}

static void reference(double *out, double *dw, double *db, double *dx, const float *x,
                      const float *w, const float *b, const float *dy, const cnn_layer *L,
                      int n)
{
    int C = L->in.c, F = L->out.c, kh = L->kh, kw = L->kw, s = L->stride, p = L->pad;
    int Ho = L->out.h, Wo = L->out.w, H = L->in.h, W = L->in.w;
    memset(dw, 0, sizeof(double) * F * C * kh * kw);
    memset(db, 0, sizeof(double) * F);
    memset(dx, 0, sizeof(double) * n * C * H * W);
    for (int i = 0; i < n; i++)
        for (int f = 0; f < F; f++)
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    size_t o = (((size_t)i * F + f) * Ho + oy) * Wo + ox;
                    double sum = b[f];
                    db[f] += dy[o];
                    for (int c = 0; c < C; c++)
                        for (int u = 0; u < kh; u++)
                            for (int v = 0; v < kw; v++) {
                                int y = oy * s + u - p, xx = ox * s + v - p;
                                size_t k = (((size_t)f * C + c) * kh + u) * kw + v;
                                sum += at(x, L, i, c, y, xx) * w[k];
                                dw[k] += at(x, L, i, c, y, xx) * dy[o];
                                if (y >= 0 && y < H && xx >= 0 && xx < W)
                                    dx[(((size_t)i * C + c) * H + y) * W + xx] += w[k] * dy[o];
                            }
                    out[o] = sum;
                }
}

static int rand_int(cnn_rng *r, int lo, int hi)
{
    return lo + (int)(cnn_rng_next(r) % (uint64_t)(hi - lo + 1));
}

static void compare(const float *got, const double *want, size_t len, const char *what,
                    int case_no)
{
    for (size_t i = 0; i < len; i++) {
        double tol = 1e-4 * (1.0 + fabs(want[i]));
        if (!(fabs(got[i] - want[i]) <= tol))
            FAIL("case %d: %s[%zu] = %.7g, reference %.7g", case_no, what, i, got[i], want[i]);
    }
}

int main(void)
{
    cnn_rng r = cnn_rng_seed(2026);
    int strided = 0, padded = 0;
    for (int t = 0; t < CASES; t++) {
        cnn_layer L = { 0 };
        L.kind = CNN_CONV;
        L.in.c = rand_int(&r, 1, 4);
        L.out.c = rand_int(&r, 1, 5);
        L.kh = rand_int(&r, 1, 5);
        L.kw = rand_int(&r, 1, 5);
        L.stride = rand_int(&r, 1, 3);
        int kmin = L.kh < L.kw ? L.kh : L.kw;
        L.pad = rand_int(&r, 0, kmin - 1);
        L.in.h = rand_int(&r, L.kh, 12);
        L.in.w = rand_int(&r, L.kw, 12);
        L.out.h = (L.in.h - L.kh + 2 * L.pad) / L.stride + 1;
        L.out.w = (L.in.w - L.kw + 2 * L.pad) / L.stride + 1;
        int n = rand_int(&r, 1, 3);
        strided += L.stride > 1;
        padded += L.pad > 0;

        size_t in_len = n * cnn_shape_size(L.in), out_len = n * cnn_shape_size(L.out);
        size_t w_len = (size_t)L.out.c * L.in.c * L.kh * L.kw;
        size_t P = (size_t)L.out.h * L.out.w;
        float *x = malloc(sizeof(float) * in_len), *w = malloc(sizeof(float) * w_len);
        float *b = malloc(sizeof(float) * L.out.c), *dy = malloc(sizeof(float) * out_len);
        float *out = malloc(sizeof(float) * out_len), *dx = malloc(sizeof(float) * in_len);
        float *col = malloc(sizeof(float) * w_len / L.out.c * n * P);
        float *dz = malloc(sizeof(float) * out_len), *wrot = malloc(sizeof(float) * w_len);
        float *colf = malloc(sizeof(float) * L.out.c * L.kh * L.kw * L.in.h * L.in.w);
        float *dw = calloc(w_len, sizeof(float)), *db = calloc(L.out.c, sizeof(float));
        double *rout = malloc(sizeof(double) * out_len), *rdw = malloc(sizeof(double) * w_len);
        double *rdb = malloc(sizeof(double) * L.out.c), *rdx = malloc(sizeof(double) * in_len);
        fill_uniform(x, in_len, -1, 1, &r);
        fill_uniform(w, w_len, -1, 1, &r);
        fill_uniform(b, L.out.c, -1, 1, &r);
        fill_uniform(dy, out_len, -1, 1, &r);

        conv_forward(out, col, dz, x, w, b, &L, n);
        conv_backward(dx, dw, db, dz, wrot, colf, dy, out, col, w, &L, CNN_ACT_NONE, n);
        reference(rout, rdw, rdb, rdx, x, w, b, dy, &L, n);
        compare(out, rout, out_len, "output", t);
        compare(dw, rdw, w_len, "kernel gradient", t);
        compare(db, rdb, L.out.c, "bias gradient", t);
        compare(dx, rdx, in_len, "input gradient", t);

        free(x); free(w); free(b); free(dy); free(out); free(dx); free(col); free(dz);
        free(wrot); free(colf); free(dw); free(db); free(rout); free(rdw); free(rdb); free(rdx);
    }
    CHECK(strided > CASES / 3 && padded > CASES / 4);   /* the cases cover both */
    printf("%d random shapes (%d strided, %d padded): forward and the kernel, bias and "
           "input gradients match the direct loops within 1e-4 relative\n",
           CASES, strided, padded);
    return 0;
}
