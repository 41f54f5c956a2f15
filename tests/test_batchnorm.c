/* Batch normalisation's running statistics, against arithmetic that does
 * not depend on the trainer: with batchnorm on the input, the batch's
 * statistics are those of the pixels, so after each step the running mean
 * and variance must be the momentum rule applied to the batch's mean and
 * unbiased variance, computed here directly in double, whatever chunks and
 * shards the batch was cut into. The 1- and 2-thread trainers must agree
 * bit for bit; inference must normalise by the running statistics; a model
 * file must keep them. */
#include "check.h"
#include <unistd.h>
#include "kernels/kernels.h"

#define C     2
#define PLANE 25 /* 5x5 */
#define STEPS 3

static const char NET[] = "input channels=2 height=5 width=5\n"
                          "batchnorm\n"
                          "dense units=3\n"
                          "loss softmax-cross-entropy\n";

/* The running statistics (mean C, variance C) after PyTorch's rule on n
 * images from x, once per step, from the start (0, 1). */
static void expected_running(double *want, const float *x, int n)
{
    for (int c = 0; c < C; c++) {
        want[c] = 0.0;
        want[C + c] = 1.0;
    }
    for (int step = 0; step < STEPS; step++) {
        const float *batch = x + (size_t)step * n * C * PLANE;
        for (int c = 0; c < C; c++) {
            double sum = 0.0, squares = 0.0, count = (double)n * PLANE;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < PLANE; k++) sum += batch[((size_t)i * C + c) * PLANE + k];
            double mean = sum / count;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < PLANE; k++) {
                    double d = batch[((size_t)i * C + c) * PLANE + k] - mean;
                    squares += d * d;
                }
            want[c] = 0.9 * want[c] + 0.1 * mean;
            want[C + c] = 0.9 * want[C + c] + 0.1 * squares / (count - 1);
        }
    }
}

/* STEPS steps of n images on `threads` threads; the running statistics. */
static void train(cnn_net *net, const float *x, const uint8_t *y, int n, int threads)
{
    char err[CNN_ERR_LEN];
    cnn_rng rng = cnn_rng_seed(3);
    cnn_net_init(net, &rng);
    cnn_trainer *t = cnn_trainer_new(net, n, threads, err);
    if (!t) FAIL("%s", err);
    cnn_sgd sgd = { .lr = 0.01f, .momentum = 0.9f };
    for (int step = 0; step < STEPS; step++)
        CHECK(isfinite(cnn_train_step(t, x + (size_t)step * n * C * PLANE, y, n, &sgd, NULL)));
    cnn_trainer_free(t);
}

int main(void)
{
    char err[CNN_ERR_LEN];
    cnn_net *net = cnn_net_parse(NET, "test", err);
    if (!net) FAIL("%s", err);
    const int max = 300;
    float *x = malloc(sizeof(float) * C * PLANE * max * STEPS);
    uint8_t y[300];
    cnn_rng rng = cnn_rng_seed(11);
    /* channel 1 brighter and wider than channel 0, so a swap would show */
    for (size_t i = 0; i < (size_t)C * PLANE * max * STEPS; i++)
        x[i] = (i / PLANE) % C ? 3.0f * cnn_rng_uniform(&rng) + 1.0f : cnn_rng_uniform(&rng);
    for (int i = 0; i < max; i++) y[i] = (uint8_t)(i % 3);

    const int batches[] = { 2, 7, 8, 9, 50, 64, 100, 300 };
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        int n = batches[b];
        double want[2 * C];
        float one[2 * C];
        expected_running(want, x, n);
        train(net, x, y, n, 1);
        memcpy(one, net->stats, sizeof one);
        for (int k = 0; k < 2 * C; k++)
            if (!(fabs(one[k] - want[k]) <= 1e-5 * fabs(want[k]) + 1e-7))
                FAIL("batch %d: running %s %d is %.9g, not %.9g", n, k < C ? "mean" : "variance",
                     k % C, one[k], want[k]);
        train(net, x, y, n, 2);
        if (memcmp(one, net->stats, sizeof one))
            FAIL("batch %d: 2 threads' running statistics differ from 1 thread's", n);
    }

    /* inference: (x - running mean) * gamma / sqrt(running var + eps) + beta */
    for (int c = 0; c < C; c++) {
        net->params[net->layers[0].w_off + c] = 0.5f + c;
        net->params[net->layers[0].b_off + c] = -0.25f * c;
    }
    float out[C * PLANE];
    CHECK_OK(cnn_layer_output(net, x, 0, out, err), err);
    for (int k = 0; k < C * PLANE; k++) {
        int c = k / PLANE;
        double want = (x[k] - net->stats[c]) / sqrt(net->stats[C + c] + (double)BATCHNORM_EPS) *
                          (0.5 + c) -
                      0.25 * c;
        CHECK_NEAR(out[k], want, 1e-5);
    }

    /* the model file keeps them */
    char path[] = "/tmp/test_batchnorm_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_OK(cnn_model_save(path, net, NULL, err), err);
    cnn_net *back = cnn_model_load(path, NULL, err);
    if (!back) FAIL("%s", err);
    CHECK(back->n_stats == 2 * C);
    CHECK(memcmp(back->stats, net->stats, sizeof(float) * 2 * C) == 0);
    unlink(path);
    cnn_net_free(back);
    cnn_net_free(net);
    free(x);
    printf("running statistics as PyTorch's rule gives them for %zu batch sizes\n",
           sizeof batches / sizeof batches[0]);
    return 0;
}
