/* The worked examples of the seed documents, as exact numbers. */
#include "check.h"
#include "net/net.h"

static cnn_net *parse(const char *text)
{
    char err[CNN_ERR_LEN];
    cnn_net *net = cnn_net_parse(text, "test", err);
    if (!net) FAIL("parse: %s", err);
    return net;
}

static const float X[9] = { 1, 6, 2, 5, 3, 1, 7, 0, 4 }; /* seed 002's input */
static const char *CONV_3x3_2x2 =
    "input channels=1 height=3 width=3\nconv filters=1 size=2\nloss softmax-cross-entropy\n";

/* Forward of a 1-channel 3x3 input through one 2x2 kernel, bias 0. */
static void correlate(const float k[4], float out[4])
{
    cnn_net *net = parse(CONV_3x3_2x2);
    workspace ws;
    CHECK(workspace_alloc(&ws, net, 1) == 0);
    memcpy(net->params, k, 4 * sizeof(float));
    net_forward(&ws, net, net->params, X, 1);
    memcpy(out, ws.act[0], 4 * sizeof(float));
    workspace_free(&ws);
    cnn_net_free(net);
}

static void test_cross_correlation_and_convolution(void)
{
    const float k[4] = { 1, 2, -1, 0 }, rot[4] = { 0, -1, 2, 1 };
    const float want_xcorr[4] = { 8, 7, 4, 5 }, want_conv[4] = { 7, 5, 11, 3 };
    float out[4];
    correlate(k, out);
    for (int i = 0; i < 4; i++) CHECK_NEAR(out[i], want_xcorr[i], 0);
    /* convolution = cross-correlation with the kernel rotated by 180 degrees */
    correlate(rot, out);
    for (int i = 0; i < 4; i++) CHECK_NEAR(out[i], want_conv[i], 0);
}

/* Seed 002's backward formulas on the same example: with dE/dY = [[1,0],[0,0]],
 * dE/dK = X star dE/dY = the top-left 2x2 of X, dE/dB = 1 and
 * dE/dX = dE/dY full-star rot180(K) = K placed at the top-left corner. */
static void test_conv_gradients_of_seed002(void)
{
    cnn_net *net = parse(CONV_3x3_2x2);
    const cnn_layer *L = &net->layers[0];
    const float k[4] = { 1, 2, -1, 0 }, dy[4] = { 1, 0, 0, 0 };
    float out[4], dout[4], dx[9], grad[5];
    conv_scratch scratch;
    CHECK(conv_scratch_alloc(&scratch, L, 1) == 0);
    memcpy(net->params, k, sizeof k);
    layer_pass pass = { L, 1, X, out, { NULL, 0 } };
    layer_grads g = { dout, dx, grad, GRAD_WRITE };
    conv_forward(&pass, net->params, &scratch);
    memcpy(dout, dy, sizeof dy);
    conv_backward(&pass, net->params, &g, &scratch, act_of(CNN_ACT_NONE));
    const float want_dw[4] = { 1, 6, 5, 3 }, want_dx[9] = { 1, 2, 0, -1, 0, 0, 0, 0, 0 };
    for (int i = 0; i < 4; i++) CHECK_NEAR(grad[i], want_dw[i], 0);
    CHECK_NEAR(grad[4], 1, 0);
    for (int i = 0; i < 9; i++) CHECK_NEAR(dx[i], want_dx[i], 0);
    /* and a gradient at the bottom-right output: the kernel lands bottom-right */
    const float dy2[4] = { 0, 0, 0, 2 }, want_dx2[9] = { 0, 0, 0, 0, 2, 4, 0, -2, 0 };
    memcpy(dout, dy2, sizeof dy2);
    conv_backward(&pass, net->params, &g, &scratch, act_of(CNN_ACT_NONE));
    for (int i = 0; i < 9; i++) CHECK_NEAR(dx[i], want_dx2[i], 0);
    conv_scratch_free(&scratch);
    cnn_net_free(net);
}

/* The sigmoid's own exp: within 2 float ulps of the exact value everywhere,
 * exactly 0 and 1 far out, never NaN. */
static void test_sigmoid(void)
{
    enum { N = 200001 };
    static float x[N], y[N];
    for (int i = 0; i < N; i++) x[i] = y[i] = -100.0f + 200.0f * i / (N - 1);
    act_forward(y, N, act_of(CNN_ACT_SIGMOID));
    double worst = 0;
    for (int i = 0; i < N; i++) {
        double exact = 1.0 / (1.0 + exp(-(double)x[i]));
        CHECK(y[i] >= 0.0f && y[i] <= 1.0f);
        worst = fmax(worst, fabs(y[i] - exact) / fmax(exact, 1e-30));
    }
    if (!(worst < 2.5e-7)) FAIL("worst relative error %g", worst);
    CHECK_NEAR(y[0], 0.0, 1e-37);
    CHECK_NEAR(y[N - 1], 1.0, 0);
}

/* Every float input has a defined result (UBSan checks the integer
 * arithmetic): NaN stays NaN through each activation but ReLU, which gives
 * 0; the infinities saturate (the sigmoid to within 1e-37 of 0). In the
 * vectorised loop and in its tail. */
static void test_activations_nonfinite(void)
{
    enum { N = 37 };
    for (int a = CNN_ACT_RELU; a <= CNN_ACT_TANH; a++)
        for (int at = 0; at < N; at += 9) {
            float v[N];
            for (int i = 0; i < N; i++) v[i] = 0.25f * (i - N / 2);
            v[at] = NAN;
            v[(at + 1) % N] = INFINITY;
            v[(at + 2) % N] = -INFINITY;
            act_forward(v, N, act_of((cnn_act_kind)a));
            CHECK(a == CNN_ACT_RELU ? v[at] == 0.0f : isnan(v[at]));
            CHECK(v[(at + 1) % N] == (a == CNN_ACT_RELU ? INFINITY : 1.0f));
            CHECK_NEAR(v[(at + 2) % N], a == CNN_ACT_TANH ? -1.0 : 0.0, 1e-37);
            for (int i = 3; i < N; i++) CHECK(isfinite(v[(at + i) % N]));
        }
}

static void test_relu(void)
{
    float z[4] = { -478, 494, 460, -477 };
    const float want[4] = { 0, 494, 460, 0 };
    act_forward(z, 4, act_of(CNN_ACT_RELU));
    for (int i = 0; i < 4; i++) CHECK_NEAR(z[i], want[i], 0);
}

/* Leaky ReLU scales what is not above 0 by its slope, forward and back; NaN
 * and the infinities pass through it (the slope is positive). */
static void test_leaky(void)
{
    cnn_act leaky = { CNN_ACT_LEAKY, 0.25f };
    float z[6] = { -4, 2, 0, NAN, INFINITY, -INFINITY };
    act_forward(z, 6, leaky);
    CHECK_NEAR(z[0], -1.0, 0);
    CHECK_NEAR(z[1], 2.0, 0);
    CHECK_NEAR(z[2], 0.0, 0);
    CHECK(isnan(z[3]) && z[4] == INFINITY && z[5] == -INFINITY);
    float d[3] = { 8, 8, 8 };
    act_backward(d, z, 3, leaky);
    CHECK_NEAR(d[0], 2.0, 0);
    CHECK_NEAR(d[1], 8.0, 0);
    CHECK_NEAR(d[2], 2.0, 0); /* at 0, the slope, as PyTorch takes it */
}

/* (W - F + 2P) / S + 1, seed 003 */
static void test_output_size(void)
{
    struct {
        int w, f, p, s, want;
    } cases[] = {
        { 28, 5, 0, 1, 24 }, { 28, 4, 1, 2, 14 }, { 3, 2, 0, 1, 2 }, { 7, 3, 1, 2, 4 },
        { 12, 3, 0, 1, 10 }, { 32, 5, 2, 1, 32 }, { 9, 3, 0, 3, 3 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "input channels=1 height=%d width=%d\n"
                 "conv filters=2 size=%d pad=%d stride=%d\ndense units=2\n"
                 "loss softmax-cross-entropy\n",
                 cases[i].w, cases[i].w, cases[i].f, cases[i].p, cases[i].s);
        cnn_net *net = parse(text);
        CHECK_INT(net->layers[0].out.w, cases[i].want);
        CHECK_INT(net->layers[0].out.h, cases[i].want);
        cnn_net_free(net);
    }
}

static void test_parameter_counts(void)
{
    struct {
        const char *name;
        size_t params;
        int classes;
    } nets[] = {
        { "seed000", 1138, 10 }, { "seed002", 338352, 2 }, { "seed003", 11872, 10 },
        { "seed004", 6070, 10 }, { "lenet", 431080, 10 },  { "vgg", 870634, 10 },
    };
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        char err[CNN_ERR_LEN];
        cnn_net *net = cnn_net_load(nets[i].name, err);
        if (!net) FAIL("%s", err);
        CHECK_INT(net->n_params, nets[i].params);
        CHECK_INT(net->classes, nets[i].classes);
        cnn_net_free(net);
    }
    /* seed 000's shapes: 24x24x2, 12x12x2, 10x10x4, 5x5x4, 10 */
    char err[CNN_ERR_LEN];
    cnn_net *net = cnn_net_load("seed000", err);
    const int shapes[5][3] = {
        { 2, 24, 24 }, { 2, 12, 12 }, { 4, 10, 10 }, { 4, 5, 5 }, { 10, 1, 1 }
    };
    for (int l = 0; l < 5; l++) {
        CHECK_INT(net->layers[l].out.c, shapes[l][0]);
        CHECK_INT(net->layers[l].out.h, shapes[l][1]);
        CHECK_INT(net->layers[l].out.w, shapes[l][2]);
    }
    cnn_net_free(net);
}

/* Seeds 001 and 004: delta = S - Y for softmax with cross-entropy. */
static void test_softmax_cross_entropy(void)
{
    const float z[3] = { 1, 2, 3 };
    const uint8_t label = 2;
    float dz[3], probs[3];
    double loss = loss_forward_backward(dz, probs, z, &label, 1, 3, CNN_LOSS_SOFTMAX_CE,
                                        act_of(CNN_ACT_NONE), 1.0f);
    double e1 = exp(1), e2 = exp(2), e3 = exp(3), sum = e1 + e2 + e3;
    CHECK_NEAR(probs[0], e1 / sum, 1e-6);
    CHECK_NEAR(probs[2], e3 / sum, 1e-6);
    CHECK_NEAR(loss, -log(e3 / sum), 1e-6);
    CHECK_NEAR(dz[0], e1 / sum, 1e-6);
    CHECK_NEAR(dz[1], e2 / sum, 1e-6);
    CHECK_NEAR(dz[2], e3 / sum - 1, 1e-6);
    /* huge logits stay finite (log-sum-exp) */
    const float big[3] = { 1000, -1000, 0 };
    const uint8_t one = 1;
    loss = loss_forward_backward(dz, probs, big, &one, 1, 3, CNN_LOSS_SOFTMAX_CE,
                                 act_of(CNN_ACT_NONE), 1.0f);
    CHECK_NEAR(loss, 2000, 1e-3);
    CHECK_NEAR(dz[0], 1, 1e-6);
}

/* Seed 002: E = -1/n sum t log y + (1-t) log(1-y); through the sigmoid
 * dE/dz = (y - t)/n. Seed 003: E = (y' - O)^2 / 2, dE/dO = -(y' - O). */
static void test_bce_and_mse(void)
{
    const float y[2] = { 0.8f, 0.3f };
    const uint8_t label = 0; /* targets (1, 0) */
    float dz[2], probs[2];
    double loss = loss_forward_backward(dz, probs, y, &label, 1, 2, CNN_LOSS_BCE,
                                        act_of(CNN_ACT_SIGMOID), 1.0f);
    CHECK_NEAR(loss, -(log(0.8) + log(0.7)) / 2, 1e-6);
    CHECK_NEAR(dz[0], (0.8 - 1) / 2, 1e-7);
    CHECK_NEAR(dz[1], 0.3 / 2, 1e-7);
    const float sat[2] = { 1.0f, 0.0f };
    const uint8_t wrong = 1;
    loss = loss_forward_backward(dz, probs, sat, &wrong, 1, 2, CNN_LOSS_BCE,
                                 act_of(CNN_ACT_SIGMOID), 1.0f);
    CHECK(isfinite(loss) && loss > 10);
    loss = loss_forward_backward(dz, probs, y, &label, 1, 2, CNN_LOSS_MSE, act_of(CNN_ACT_NONE),
                                 1.0f);
    CHECK_NEAR(loss, (0.04 + 0.09) / 2, 1e-6);
    CHECK_NEAR(dz[0], -0.2, 1e-6);
    CHECK_NEAR(dz[1], 0.3, 1e-6);
}

/* Seed 004: Glorot bounds sqrt(6 / (fan_in + fan_out)), biases zero. */
static void test_initialisation(void)
{
    char err[CNN_ERR_LEN];
    cnn_net *net = cnn_net_load("seed004", err);
    cnn_rng rng = cnn_rng_seed(1);
    cnn_net_init(net, &rng);
    const double bounds[4] = { sqrt(6.0 / (25 + 100)), sqrt(6.0 / (100 + 150)),
                               sqrt(6.0 / (96 + 50)), sqrt(6.0 / (50 + 10)) };
    int with_weights[4] = { 0, 2, 4, 5 };
    for (int i = 0; i < 4; i++) {
        const cnn_layer *L = &net->layers[with_weights[i]];
        double max = 0, sum = 0;
        for (size_t k = 0; k < L->n_w; k++) {
            double w = net->params[L->w_off + k];
            max = fmax(max, fabs(w));
            sum += w;
        }
        CHECK(max <= bounds[i]);
        CHECK(max > 0.9 * bounds[i]);
        CHECK(fabs(sum / L->n_w) < 0.2 * bounds[i]);
        for (size_t k = 0; k < L->n_b; k++) CHECK_NEAR(net->params[L->b_off + k], 0, 0);
    }
    /* the same seed gives the same weights */
    float first = net->params[0];
    rng = cnn_rng_seed(1);
    cnn_net_init(net, &rng);
    CHECK_NEAR(net->params[0], first, 0);
    cnn_net_free(net);
}

int main(void)
{
    test_cross_correlation_and_convolution();
    test_conv_gradients_of_seed002();
    test_relu();
    test_leaky();
    test_sigmoid();
    test_activations_nonfinite();
    test_output_size();
    test_parameter_counts();
    test_softmax_cross_entropy();
    test_bce_and_mse();
    test_initialisation();
    printf("seed examples: all exact\n");
    return 0;
}
