/* Finite-difference gradient checks: every layer type, every activation,
 * every loss, every parameter kind (weights, biases, inputs), and end to end
 * through each shipped network.
 *
 * Central differences of the mean loss L with step h, computed by the
 * engine's own forward pass in float32, whose rounding makes a difference
 * quotient uncertain by about NOISE = 4 * FLT_EPSILON * |L| / h. An analytic
 * gradient g passes against the numeric g' when
 *     |g - g'| <= RTOL * max(|g|, |g'|) + ATOL * gmax + NOISE,
 * gmax being the largest |g| of that parameter group. The step h is H_MIN,
 * raised where needed (up to H_MAX) so that NOISE stays below gmax / 50: the
 * check never passes by comparing noise with noise, nor zero with zero. A
 * point whose one-sided differences disagree by more
 * than that tolerance sits on a ReLU or max kink; it is skipped, and at most
 * 5% of the points may be skipped. */
#include <float.h>
#include "check.h"
#include "layers.h"

#define H_MIN 1e-4
#define H_MAX 3e-2
#define RTOL 2e-2
#define ATOL 2e-3
#define MAX_PER_GROUP 60   /* checked entries per group, spread evenly */

static double mean_loss(workspace *ws, const cnn_net *net, const float *x,
                        const uint8_t *labels, int n)
{
    net_forward(ws, net, net->params, x, n);
    int last = net->n_layers - 1;
    return loss_forward_backward(ws->d[0], ws->probs, ws->act[last], labels, n,
                                 net->classes, net->loss, net->layers[last].act, 1.0f) / n;
}

typedef struct { int checked, skipped; } tally;

/* Check the analytic gradient g[0..len) of the values v[0..len). */
static void check_group(const char *net_name, const char *group, float *v, const float *g,
                        size_t len, workspace *ws, const cnn_net *net, const float *x,
                        const uint8_t *labels, int n, tally *t)
{
    double gmax = 0, rounding = 4 * FLT_EPSILON * fabs(mean_loss(ws, net, x, labels, n));
    for (size_t i = 0; i < len; i++) gmax = fmax(gmax, fabs(g[i]));
    float h = (float)fmax(H_MIN, 50 * rounding / gmax);
    if (!(gmax > 0) || h > H_MAX)
        FAIL("%s %s: the largest gradient %.3g is too small to check", net_name, group, gmax);
    double noise = rounding / h;
    size_t step = len > MAX_PER_GROUP ? len / MAX_PER_GROUP : 1;
    for (size_t i = 0; i < len; i += step) {
        float keep = v[i];
        v[i] = keep + h;
        double up = mean_loss(ws, net, x, labels, n);
        v[i] = keep - h;
        double down = mean_loss(ws, net, x, labels, n);
        v[i] = keep;
        double mid = mean_loss(ws, net, x, labels, n);
        double fwd = (up - mid) / h, bwd = (mid - down) / h, num = (up - down) / (2 * h);
        t->checked++;
        double floor = ATOL * gmax + noise;
        if (fabs(fwd - bwd) > RTOL * fmax(fabs(fwd), fabs(bwd)) + 2 * floor) {
            t->skipped++; if (getenv("GRADCHECK_VERBOSE")) fprintf(stderr, "skip %s %s[%zu] g=%.4g fwd=%.4g bwd=%.4g gmax=%.3g\n", net_name, group, i, g[i], fwd, bwd, gmax);
            continue;
        }
        double tol = RTOL * fmax(fabs(g[i]), fabs(num)) + floor;
        if (!(fabs(g[i] - num) <= tol))
            FAIL("%s %s[%zu]: analytic %.6g, numeric %.6g (one-sided %.6g, %.6g; tolerance %.3g)", net_name,
                 group, i, g[i], num, fwd, bwd, tol);
    }
}

/* gain scales the Glorot weights: sigmoid networks at their initial weights
 * pass back input gradients too small to tell from float32 rounding. */
static void check_net(const char *name, cnn_net *net, int n, uint64_t seed, float gain)
{
    cnn_rng r = cnn_rng_seed(seed);
    cnn_net_init(net, &r);
    for (size_t i = 0; i < net->n_params; i++) net->params[i] *= gain;
    /* non-zero biases, so their effect is exercised too */
    for (int l = 0; l < net->n_layers; l++)
        fill_uniform(net->params + net->layers[l].b_off, net->layers[l].n_b, -0.2f, 0.2f, &r);
    size_t in_len = (size_t)n * cnn_shape_size(net->input);
    float *x = malloc(sizeof(float) * in_len), *dx = malloc(sizeof(float) * in_len);
    float *grad = calloc(net->n_params, sizeof(float));
    uint8_t labels[8];
    fill_uniform(x, in_len, 0, 1, &r);
    for (int i = 0; i < n; i++) labels[i] = (uint8_t)(cnn_rng_next(&r) % net->classes);
    workspace ws;
    CHECK(workspace_alloc(&ws, net, n) == 0);
    /* training mode with one key: every forward pass draws the same dropout
     * masks, so the loss is a fixed function for the differences */
    ws.dropout = (dropout_draw){ 1, 0x5eed, 0 };
    net_forward(&ws, net, net->params, x, n);
    net_backward(&ws, net, net->params, grad, GRAD_WRITE, dx, labels, n, 1.0f / n, NULL);

    tally t = { 0, 0 };
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        char group[64];
        if (!L->n_w) continue;
        snprintf(group, sizeof group, "layer %d %s weights", l, cnn_layer_name(L->kind));
        check_group(name, group, net->params + L->w_off, grad + L->w_off, L->n_w, &ws, net,
                    x, labels, n, &t);
        snprintf(group, sizeof group, "layer %d %s biases", l, cnn_layer_name(L->kind));
        check_group(name, group, net->params + L->b_off, grad + L->b_off, L->n_b, &ws, net,
                    x, labels, n, &t);
    }
    check_group(name, "input", x, dx, in_len, &ws, net, x, labels, n, &t);
    if (t.skipped * 20 > t.checked)
        FAIL("%s: %d of %d points sat on kinks", name, t.skipped, t.checked);
    printf("%-28s %4d points agree, %d skipped at kinks\n", name, t.checked - t.skipped,
           t.skipped);
    workspace_free(&ws);
    free(x);
    free(dx);
    free(grad);
}

static void check_text(const char *name, const char *body)
{
    char text[1024], err[CNN_ERR_LEN];
    snprintf(text, sizeof text, "%s", body);
    cnn_net *net = cnn_net_parse(text, name, err);
    if (!net) FAIL("%s", err);
    check_net(name, net, 3, 7, 1.0f);
    cnn_net_free(net);
}

int main(void)
{
    /* one layer kind or activation or loss at a time, in small networks */
    check_text("dropout after conv and dense",
               "input channels=1 height=6 width=6\n"
               "conv filters=3 size=3 act=tanh\n"
               "dropout rate=0.3\n"
               "dense units=6 act=tanh\n"
               "dropout rate=0.5\n"
               "dense units=3\n"
               "loss softmax-cross-entropy\n");
    check_text("conv none, stride 2, pad 1",
               "input channels=2 height=7 width=6\n"
               "conv filters=3 size=3x2 stride=2 pad=1\n"
               "dense units=4\nloss softmax-cross-entropy\n");
    check_text("conv relu", "input channels=1 height=6 width=6\n"
               "conv filters=3 size=3 act=relu\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("conv sigmoid, stride 3", "input channels=2 height=8 width=8\n"
               "conv filters=2 size=2 stride=3 act=sigmoid\nconv filters=2 size=2 act=tanh\n"
               "dense units=3\nloss softmax-cross-entropy\n");
    check_text("conv tanh, pad 2", "input channels=1 height=5 width=5\n"
               "conv filters=2 size=3 pad=2 act=tanh\ndense units=3\n"
               "loss softmax-cross-entropy\n");
    check_text("maxpool 2/2", "input channels=1 height=8 width=8\n"
               "conv filters=2 size=3 act=sigmoid\nmaxpool size=2\ndense units=3\n"
               "loss softmax-cross-entropy\n");
    check_text("minpool 2/2", "input channels=1 height=8 width=8\n"
               "conv filters=2 size=3 act=sigmoid\nminpool size=2\ndense units=3\n"
               "loss softmax-cross-entropy\n");
    check_text("avgpool 2/2", "input channels=1 height=8 width=8\n"
               "conv filters=2 size=3 act=tanh\navgpool size=2\ndense units=3\n"
               "loss softmax-cross-entropy\n");
    check_text("maxpool 3/2 (overlapping)", "input channels=2 height=9 width=9\n"
               "maxpool size=3 stride=2\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("avgpool 3x2/1 (overlapping)", "input channels=1 height=6 width=6\n"
               "avgpool size=3x2 stride=1\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("dense relu", "input channels=1 height=4 width=4\n"
               "dense units=6 act=relu\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("dense sigmoid", "input channels=1 height=4 width=4\n"
               "dense units=6 act=sigmoid\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("dense tanh", "input channels=2 height=3 width=3\n"
               "dense units=6 act=tanh\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("binary cross-entropy", "input channels=1 height=5 width=5\n"
               "dense units=4 act=tanh\ndense units=2 act=sigmoid\nloss binary-cross-entropy\n");
    check_text("mse, sigmoid output", "input channels=1 height=5 width=5\n"
               "dense units=4 act=relu\ndense units=3 act=sigmoid\nloss mean-squared-error\n");
    check_text("mse, linear output", "input channels=1 height=5 width=5\n"
               "dense units=3\nloss mean-squared-error\n");
    check_text("mse, tanh output", "input channels=1 height=5 width=5\n"
               "conv filters=3 size=5 act=tanh\nloss mean-squared-error\n");

    /* end to end through every shipped network */
    /* the sigmoid networks need gain 3; with it, vgg's four ReLU layers put
     * kinks under every step, and with gain 1 its first layer's effect on
     * the loss drowns in float32 rounding */
    struct { const char *name; float gain; } shipped[] = {
        { "seed000", 3.0f }, { "seed002", 3.0f }, { "seed003", 3.0f },
        { "seed004", 3.0f }, { "lenet", 3.0f }, { "vgg", 2.0f },
    };
    for (int i = 0; i < 6; i++) {
        char err[CNN_ERR_LEN];
        cnn_net *net = cnn_net_load(shipped[i].name, err);
        if (!net) FAIL("%s", err);
        check_net(shipped[i].name, net, 2, 11 + i, shipped[i].gain);
        cnn_net_free(net);
    }
    return 0;
}
