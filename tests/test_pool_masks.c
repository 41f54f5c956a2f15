/* Pooling masks: max (min) pooling sends each output's gradient to the one
 * input it took and nowhere else, ties to the first in row-major window
 * order; average pooling spreads it evenly. */
#include "check.h"
#include "net/net.h"

static cnn_layer pool_layer(cnn_layer_kind kind, int c, int h, int w, int size, int stride)
{
    cnn_layer L = { 0 };
    L.kind = kind;
    L.win.kh = L.win.kw = size;
    L.win.stride = stride;
    L.in = (cnn_shape){ c, h, w };
    L.out = (cnn_shape){ c, (h - size) / stride + 1, (w - size) / stride + 1 };
    return L;
}

/* A 4x4 plane, 2x2 windows, stride 2. */
static const float X[16] = {
    1, 3,  2, 9, 4, 2, 7, 7, /* window (0,1): 9 is the max, 2 the min */
    0, -5, 6, 6, 8, 1, 6, 6, /* window (1,1): all four tie */
};

/* Through the kind's entry in the table, as the network runs it. */
static void forward(const cnn_layer *L, const float *x, float *out, int32_t *mask, int n)
{
    layer_scratch s = { .mask = mask };
    layer_run r = { .pass = { L, n, x, out, { NULL, 0 } }, .s = &s, .act = act_of(CNN_ACT_NONE) };
    layer_kinds[L->kind].forward(&r);
}

static void backward(const cnn_layer *L, float *dout, float *din, const int32_t *mask, int n)
{
    layer_pass p = { L, n, NULL, NULL, { NULL, 0 } };
    layer_grads g = { dout, din, NULL, GRAD_WRITE };
    pool_backward(&p, &g, mask);
}

static void test_max_and_min(void)
{
    struct {
        cnn_layer_kind kind;
        float out[4];
        int at[4];
    } cases[] = {
        { CNN_MAXPOOL, { 4, 9, 8, 6 }, { 4, 3, 12, 10 } },
        { CNN_MINPOOL, { 1, 2, -5, 6 }, { 0, 2, 9, 10 } },
    };
    for (int k = 0; k < 2; k++) {
        cnn_layer L = pool_layer(cases[k].kind, 1, 4, 4, 2, 2);
        float out[4], din[16];
        int32_t mask[4];
        forward(&L, X, out, mask, 1);
        for (int o = 0; o < 4; o++) {
            CHECK_NEAR(out[o], cases[k].out[o], 0);
            CHECK_INT(mask[o], cases[k].at[o]);
        }
        float dout[4] = { 10, 20, 30, 40 };
        backward(&L, dout, din, mask, 1);
        for (int i = 0; i < 16; i++) {
            float want = 0;
            for (int o = 0; o < 4; o++)
                if (cases[k].at[o] == i) want = dout[o];
            CHECK_NEAR(din[i], want, 0); /* only the argmax/argmin gets it */
        }
    }
}

static void test_average(void)
{
    cnn_layer L = pool_layer(CNN_AVGPOOL, 1, 4, 4, 2, 2);
    float out[4], din[16];
    forward(&L, X, out, NULL, 1);
    CHECK_NEAR(out[0], 2.5, 1e-6);
    CHECK_NEAR(out[1], 6.25, 1e-6);
    CHECK_NEAR(out[2], 1, 1e-6);
    CHECK_NEAR(out[3], 6, 1e-6);
    float dout[4] = { 4, 8, 12, 16 };
    backward(&L, dout, din, NULL, 1);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) CHECK_NEAR(din[y * 4 + x], dout[(y / 2) * 2 + x / 2] / 4, 0);
}

/* Masks index within each image and channel; overlapping windows add up. */
static void test_batches_channels_and_overlap(void)
{
    cnn_layer L = pool_layer(CNN_MAXPOOL, 2, 3, 3, 2, 1); /* 2x2 windows, stride 1 */
    float x[2 * 2 * 9], out[2 * 2 * 4], din[2 * 2 * 9], dout[2 * 2 * 4];
    int32_t mask[2 * 2 * 4];
    for (int i = 0; i < 36; i++) x[i] = (float)((i * 7) % 36);
    x[2 * 9 + 4] = 100; /* image 1, channel 0: centre wins all 4 windows */
    forward(&L, x, out, mask, 2);
    for (int o = 0; o < 4; o++) {
        CHECK_INT(mask[2 * 4 + o], 4);
        dout[2 * 4 + o] = 1;
    }
    for (int o = 0; o < 16; o++)
        if (o / 4 != 2) dout[o] = 0;
    backward(&L, dout, din, mask, 2);
    for (int i = 0; i < 36; i++) CHECK_NEAR(din[i], i == 22 ? 4 : 0, 0);
}

int main(void)
{
    test_max_and_min();
    test_average();
    test_batches_channels_and_overlap();
    printf("pooling: gradients land only on the recorded max/min, averages spread evenly\n");
    return 0;
}
