/* im2col + sgemm convolution against the direct loops of reference.c (the
 * only place a direct convolution exists), forward and all three gradients,
 * on many random shapes: channels, filters, channel groups (1, some,
 * depthwise), kernel height and width, stride, padding, batch. */
#include "check.h"
#include "reference.h"

#define CASES 300

static int rand_int(cnn_rng *r, int lo, int hi)
{
    return lo + (int)(cnn_rng_next(r) % (uint64_t)(hi - lo + 1));
}

typedef struct {
    int channels, filters, groups;
} conv_widths;

static cnn_layer conv_layer(conv_widths c, int k, int stride, int pad, int H, int W)
{
    cnn_layer L = { .kind = CNN_CONV,
                    .win = { k, k, stride, pad },
                    .groups = c.groups,
                    .in = { c.channels, H, W },
                    .line = H * W };
    L.out = (cnn_shape){ c.filters, (H - k + 2 * pad) / stride + 1,
                         (W - k + 2 * pad) / stride + 1 };
    L.n_w = (size_t)c.filters * conv_group_k(&L);
    return L;
}

/* Images large enough that a product takes fewer images than the chunk
 * holds (images_per_gemm), so image groups of one, full groups and a short
 * last group all run: each must land on its own images, also with channel
 * groups. */
static void check_image_groups(cnn_rng *r)
{
    struct {
        cnn_layer L;
        int n;
    } cases[] = {
        { conv_layer((conv_widths){ 2, 3, 1 }, 3, 1, 1, 41, 41), 3 },    /* 1,681 columns: 1s */
        { conv_layer((conv_widths){ 3, 4, 1 }, 3, 1, 1, 26, 26), 5 },    /* 676: 2, 2, 1 */
        { conv_layer((conv_widths){ 8, 6, 1 }, 5, 2, 2, 48, 40), 4 },    /* strided, 480: 3, 1 */
        { conv_layer((conv_widths){ 32, 32, 1 }, 3, 1, 1, 28, 28), 3 },  /* vgg's conv2 */
        { conv_layer((conv_widths){ 32, 32, 4 }, 3, 1, 1, 28, 28), 3 },  /* in 4 groups */
        { conv_layer((conv_widths){ 32, 32, 32 }, 3, 1, 1, 28, 28), 3 }, /* depthwise */
        { conv_layer((conv_widths){ 8, 16, 8 }, 5, 2, 2, 48, 40), 4 },   /* 2 filters a channel */
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        cnn_layer *L = &cases[t].L;
        float *w = malloc(sizeof(float) * L->n_w);
        fill_uniform(w, L->n_w, -1, 1, r);
        char why[CNN_ERR_LEN];
        if (reference_check_conv(L, w, cases[t].n, 1, why))
            FAIL("image group case %zu (C %d F %d groups %d input %dx%d batch %d): %s", t, L->in.c,
                 L->out.c, L->groups, L->in.h, L->in.w, cases[t].n, why);
        free(w);
    }
}

int main(void)
{
    cnn_rng r = cnn_rng_seed(2026);
    int strided = 0, padded = 0, grouped = 0, depthwise = 0;
    for (int t = 0; t < CASES; t++) {
        cnn_layer L = { 0 };
        L.kind = CNN_CONV;
        L.line = t;
        /* a third in groups; of those, a third depthwise (a filter or two a channel) */
        L.groups = t % 3 ? 1 : rand_int(&r, 2, 4);
        L.in.c = L.groups * (t % 9 == 0 ? 1 : rand_int(&r, 1, 3));
        L.out.c = L.groups * rand_int(&r, 1, L.groups > 1 ? 2 : 5);
        L.win.kh = rand_int(&r, 1, 5);
        L.win.kw = rand_int(&r, 1, 5);
        L.win.stride = rand_int(&r, 1, 3);
        int kmin = L.win.kh < L.win.kw ? L.win.kh : L.win.kw;
        L.win.pad = rand_int(&r, 0, kmin - 1);
        L.in.h = rand_int(&r, L.win.kh, 12);
        L.in.w = rand_int(&r, L.win.kw, 12);
        L.out.h = (L.in.h - L.win.kh + 2 * L.win.pad) / L.win.stride + 1;
        L.out.w = (L.in.w - L.win.kw + 2 * L.win.pad) / L.win.stride + 1;
        L.n_w = (size_t)L.out.c * conv_group_k(&L);
        int n = rand_int(&r, 1, 3);
        strided += L.win.stride > 1;
        padded += L.win.pad > 0;
        grouped += L.groups > 1;
        depthwise += L.groups > 1 && L.groups == L.in.c;
        float *w = malloc(sizeof(float) * L.n_w);
        fill_uniform(w, L.n_w, -1, 1, &r);
        char why[CNN_ERR_LEN];
        if (reference_check_conv(&L, w, n, 1, why))
            FAIL("case %d (C %d F %d groups %d kernel %dx%d stride %d pad %d input %dx%d batch "
                 "%d): %s",
                 t, L.in.c, L.out.c, L.groups, L.win.kh, L.win.kw, L.win.stride, L.win.pad, L.in.h,
                 L.in.w, n, why);
        free(w);
    }
    /* the cases cover each */
    CHECK(strided > CASES / 3 && padded > CASES / 4 && grouped >= CASES / 4 && depthwise >= 20);
    check_image_groups(&r);
    printf("%d random shapes (%d strided, %d padded, %d in channel groups, %d of them "
           "depthwise): forward and the kernel, bias and input gradients match the direct "
           "loops within 1e-4 relative, and in groups of images\n",
           CASES, strided, padded, grouped, depthwise);
    return 0;
}
