/* Finite-difference gradient checks: every layer type, every activation,
 * every loss, every parameter kind (weights, biases, inputs), and end to end
 * through each shipped network.
 *
 * The engine runs forward and backward in float32 through its BLAS kernel.
 * The numeric gradient is not taken from that forward pass, whose rounding
 * depends on the kernel, but from the double-precision reference network
 * (reference.h) on the branches the engine's forward pass took: ReLU signs,
 * pooling choices and dropout masks. There the loss is smooth, so central
 * differences with step H are exact to about 1e-9 and no point sits on a
 * kink; the branches themselves are checked against the reference's values.
 * An analytic gradient g passes against the numeric g' when
 *     |g - g'| <= RTOL * max(|g|, |g'|) + ATOL * gmax,
 * gmax being the largest |g| of that parameter group, which must not be 0:
 * the check never passes by comparing zero with zero. The float32 gradient's
 * own rounding uses under a tenth of that tolerance under every kernel, and
 * about a fifth in resnet, whose 20 batchnorm layers in training carry it
 * through (the largest fraction used is printed per network); a wrong
 * gradient, even one term of it, uses many times all of it. */
#include "check.h"
#include "net/net.h"
#include "reference.h"

#define H    1e-5
#define RTOL 1e-4
#define ATOL 1e-5

/* Checked entries per group, spread evenly: MAX_PER_GROUP, or fewer in a
 * network of more than GROUP_BUDGET_MACS multiply-adds an image, where each
 * costs two passes of the double-precision reference (at least
 * MIN_PER_GROUP: resnet's 41 million get 2 a group). */
#define MAX_PER_GROUP     60
#define MIN_PER_GROUP     2
#define GROUP_BUDGET_MACS 2e6

/* Training: dropout drops and batchnorm uses the images' statistics;
 * inference: neither. */
typedef enum { TRAINING, INFERENCE } pass_mode;

typedef struct {
    size_t per_group; /* entries to check in each group */
    int checked;
    double worst; /* the largest |g - g'| / tolerance seen */
} tally;

static size_t points_per_group(const cnn_net *net)
{
    double macs = 0;
    for (int l = 0; l < net->n_layers; l++) macs += cnn_layer_macs(&net->layers[l]);
    double fit = MAX_PER_GROUP * GROUP_BUDGET_MACS / macs;
    return macs <= GROUP_BUDGET_MACS ? MAX_PER_GROUP
           : fit < MIN_PER_GROUP     ? MIN_PER_GROUP
                                     : (size_t)fit;
}

/* Check the analytic gradient g[0..len) of the reference's values v[0..len),
 * which feed layer `from` on. */
static void check_group(const char *net_name, const char *group, double *v, const float *g,
                        size_t len, ref_net *r, int from, tally *t)
{
    double gmax = 0;
    for (size_t i = 0; i < len; i++) gmax = fmax(gmax, fabs(g[i]));
    if (!(gmax > 0)) FAIL("%s %s: the gradient is zero", net_name, group);
    size_t step = len > t->per_group ? len / t->per_group : 1;
    for (size_t i = 0; i < len; i += step) {
        double keep = v[i];
        v[i] = keep + H;
        double up = ref_net_loss(r, from);
        v[i] = keep - H;
        double down = ref_net_loss(r, from);
        v[i] = keep;
        double num = (up - down) / (2 * H);
        double tol = RTOL * fmax(fabs(g[i]), fabs(num)) + ATOL * gmax;
        t->checked++;
        t->worst = fmax(t->worst, fabs(g[i] - num) / tol);
        if (!(fabs(g[i] - num) <= tol))
            FAIL("%s %s[%zu]: analytic %.7g, numeric %.7g (tolerance %.3g)", net_name, group, i,
                 g[i], num, tol);
    }
    ref_net_loss(r, from); /* back to the unperturbed outputs */
}

/* Whether layer l's output goes only into batchnorm layers that normalise
 * by the batch's statistics: its biases then have no effect (the
 * normalisation subtracts any constant), and their gradient must be 0. */
static int biases_cancelled(const cnn_net *net, int l, pass_mode mode)
{
    int readers = 0;
    for (int k = l + 1; k < net->n_layers; k++)
        for (int i = 0; i < net->layers[k].n_from; i++)
            if (net->layers[k].from[i] == l) {
                if (net->layers[k].kind != CNN_BATCHNORM) return 0;
                readers++;
            }
    return mode == TRAINING && readers > 0;
}

/* The gradients of such biases: zero to within float rounding of the
 * layer's weight gradients. */
static void check_cancelled(const char *net_name, const cnn_layer *L, const float *grad)
{
    double wmax = 0;
    for (size_t i = 0; i < L->n_w; i++) wmax = fmax(wmax, fabs(grad[L->w_off + i]));
    for (size_t i = 0; i < L->n_b; i++)
        if (!(fabs(grad[L->b_off + i]) <= 1e-5 * wmax))
            FAIL("%s: %s bias %zu before batchnorm: gradient %.3g, not 0 (weights' up to %.3g)",
                 net_name, cnn_layer_name(L->kind), i, grad[L->b_off + i], wmax);
}

static void check_pass(const char *name, cnn_net *net, int n, uint64_t seed, pass_mode mode)
{
    cnn_rng rng = cnn_rng_seed(seed);
    cnn_net_init(net, &rng);
    /* non-zero biases, so their effect is exercised too */
    for (int l = 0; l < net->n_layers; l++)
        fill_uniform(net->params + net->layers[l].b_off, net->layers[l].n_b, -0.2f, 0.2f, &rng);
    /* batchnorm: scales other than 1, and running statistics other than
     * their start (means, then variances) */
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        if (!L->n_s) continue;
        fill_uniform(net->params + L->w_off, L->n_w, 0.5f, 1.5f, &rng);
        fill_uniform(net->stats + L->s_off, L->n_s / 2, -0.3f, 0.3f, &rng);
        fill_uniform(net->stats + L->s_off + L->n_s / 2, L->n_s / 2, 0.2f, 2.0f, &rng);
    }
    size_t in_len = (size_t)n * cnn_shape_size(net->input);
    float *x = malloc(sizeof(float) * in_len), *dx = malloc(sizeof(float) * in_len);
    float *grad = calloc(net->n_params, sizeof(float));
    uint8_t labels[8];
    fill_uniform(x, in_len, 0, 1, &rng);
    for (int i = 0; i < n; i++) labels[i] = (uint8_t)(cnn_rng_next(&rng) % net->classes);
    float *chunk_stats = calloc(net->n_stats + 1, sizeof(float));
    workspace ws;
    CHECK(workspace_alloc(&ws, net, n) == 0);
    /* training mode with one key: every forward pass draws the same dropout
     * masks, so the loss is a fixed function for the differences */
    ws.dropout = (dropout_draw){ mode == TRAINING, 0x5eed, 0 };
    ws.norm_stats = mode == TRAINING ? chunk_stats : NULL;
    net_forward(&ws, net, net->params, x, n);
    double loss = net_loss(&ws, net, &(loss_batch){ labels, n, 1.0f / n }, NULL) / n;
    net_backward(&ws, net, net->params, &(grad_target){ grad, GRAD_WRITE, dx }, n);
    ref_net r;
    char why[CNN_ERR_LEN];
    CHECK(ref_net_init(&r, net, &ws, x, labels, n) == 0);
    if (ref_net_check_branches(&r, why)) FAIL("%s: %s", name, why);
    CHECK_NEAR(loss, ref_net_loss(&r, 0), 1e-4 * fabs(loss));

    tally t = { points_per_group(net), 0, 0.0 };
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        char group[64];
        if (!L->n_w) continue;
        snprintf(group, sizeof group, "layer %d %s weights", l, cnn_layer_name(L->kind));
        check_group(name, group, r.params + L->w_off, grad + L->w_off, L->n_w, &r, l, &t);
        snprintf(group, sizeof group, "layer %d %s biases", l, cnn_layer_name(L->kind));
        if (biases_cancelled(net, l, mode)) check_cancelled(name, L, grad);
        else check_group(name, group, r.params + L->b_off, grad + L->b_off, L->n_b, &r, l, &t);
    }
    check_group(name, "input", r.x, dx, in_len, &r, 0, &t);
    printf("%-28s %s %4d points agree, at most %.3f of the tolerance used\n", name,
           net->n_stats ? (mode == TRAINING ? "(training) " : "(inference)") : "", t.checked,
           t.worst);
    ref_net_free(&r);
    workspace_free(&ws);
    free(chunk_stats);
    free(x);
    free(dx);
    free(grad);
}

/* Batchnorm differs between training and inference: both are checked. */
static void check_net(const char *name, cnn_net *net, int n, uint64_t seed)
{
    check_pass(name, net, n, seed, TRAINING);
    if (net->n_stats) check_pass(name, net, n, seed, INFERENCE);
}

static void check_text(const char *name, const char *body)
{
    char text[1024], err[CNN_ERR_LEN];
    snprintf(text, sizeof text, "%s", body);
    cnn_net *net = cnn_net_parse(text, name, err);
    if (!net) FAIL("%s", err);
    check_net(name, net, 3, 7);
    cnn_net_free(net);
}

int main(void)
{
    /* one layer kind or activation or loss at a time, in small networks */
    check_text("dropout after conv and dense", "input channels=1 height=6 width=6\n"
                                               "conv filters=3 size=3 act=tanh\n"
                                               "dropout rate=0.3\n"
                                               "dense units=6 act=tanh\n"
                                               "dropout rate=0.5\n"
                                               "dense units=3\n"
                                               "loss softmax-cross-entropy\n");
    check_text("conv none, stride 2, pad 1", "input channels=2 height=7 width=6\n"
                                             "conv filters=3 size=3x2 stride=2 pad=1\n"
                                             "dense units=4\nloss softmax-cross-entropy\n");
    check_text("conv relu",
               "input channels=1 height=6 width=6\n"
               "conv filters=3 size=3 act=relu\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("conv sigmoid, stride 3",
               "input channels=2 height=8 width=8\n"
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
    check_text("maxpool 3/2 (overlapping)",
               "input channels=2 height=9 width=9\n"
               "maxpool size=3 stride=2\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("avgpool 3x2/1 (overlapping)",
               "input channels=1 height=6 width=6\n"
               "avgpool size=3x2 stride=1\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("conv groups=2", "input channels=4 height=6 width=6\n"
                                "conv filters=4 size=3 groups=2 act=tanh\ndense units=3\n"
                                "loss softmax-cross-entropy\n");
    check_text("conv depthwise (groups=C), then 2 filters a channel",
               "input channels=3 height=6 width=6\n"
               "conv filters=3 size=3 pad=1 groups=3 act=tanh\n"
               "conv filters=6 size=2 stride=2 groups=3\ndense units=3\n"
               "loss softmax-cross-entropy\n");
    check_text("conv leaky, slope 0.2", "input channels=1 height=6 width=6\n"
                                        "conv filters=3 size=3 act=leaky slope=0.2\ndense units=3\n"
                                        "loss softmax-cross-entropy\n");
    check_text("dense leaky (slope 0.01)",
               "input channels=1 height=4 width=4\n"
               "dense units=6 act=leaky\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("mse, leaky output", "input channels=1 height=5 width=5\n"
                                    "dense units=4 act=tanh\ndense units=3 act=leaky slope=0.3\n"
                                    "loss mean-squared-error\n");
    check_text("batchnorm after conv, stride 2", "input channels=2 height=7 width=7\n"
                                                 "conv filters=3 size=3 stride=2 pad=1\n"
                                                 "batchnorm act=leaky slope=0.1\n"
                                                 "dense units=3\nloss softmax-cross-entropy\n");
    /* tanh: a scale before a batchnorm of a linear layer would cancel */
    check_text("batchnorm on the input, then dense",
               "input channels=1 height=4 width=4\nbatchnorm act=tanh\n"
               "dense units=5\nbatchnorm act=sigmoid\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("dense relu", "input channels=1 height=4 width=4\n"
                             "dense units=6 act=relu\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("dense sigmoid",
               "input channels=1 height=4 width=4\n"
               "dense units=6 act=sigmoid\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("dense tanh", "input channels=2 height=3 width=3\n"
                             "dense units=6 act=tanh\ndense units=3\nloss softmax-cross-entropy\n");
    check_text("binary cross-entropy",
               "input channels=1 height=5 width=5\n"
               "dense units=4 act=tanh\ndense units=2 act=sigmoid\nloss binary-cross-entropy\n");
    check_text("mse, sigmoid output",
               "input channels=1 height=5 width=5\n"
               "dense units=4 act=relu\ndense units=3 act=sigmoid\nloss mean-squared-error\n");
    check_text("mse, linear output", "input channels=1 height=5 width=5\n"
                                     "dense units=3\nloss mean-squared-error\n");
    check_text("mse, tanh output", "input channels=1 height=5 width=5\n"
                                   "conv filters=3 size=5 act=tanh\nloss mean-squared-error\n");

    /* every entry of the table of layer kinds, by its example line */
    for (int k = 0; k < CNN_LAYER_KINDS; k++) {
        char text[1024], name[64];
        reference_example_net(&layer_kinds[k], text, sizeof text);
        snprintf(name, sizeof name, "the %s example", layer_kinds[k].name);
        check_text(name, text);
    }
    /* a graph: residual blocks, outputs read twice and out of turn */
    char err[CNN_ERR_LEN];
    cnn_net *graph = cnn_net_load(SOURCE_ROOT "/tests/export_residual.net", err);
    if (!graph) FAIL("%s", err);
    check_net("export_residual", graph, 2, 5);
    cnn_net_free(graph);

    /* end to end through every shipped network, at its initial weights */
    for (const cnn_builtin_net *b = cnn_builtin_nets; b->name; b++) {
        cnn_net *net = cnn_net_load(b->name, err);
        if (!net) FAIL("%s", err);
        check_net(b->name, net, 2, 11 + (uint64_t)(b - cnn_builtin_nets));
        cnn_net_free(net);
    }
    return 0;
}
