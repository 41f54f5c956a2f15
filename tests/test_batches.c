/* Every batch size: a trainer made for batches of up to B takes any n <= B
 * (a smaller n can cut into more shards than B does), and the gradient of n
 * images is bit-identical with 1, 2 and 3 threads. */
#include "check.h"

int main(void)
{
    char err[CNN_ERR_LEN];
    cnn_net *net = cnn_net_load("seed004", err);
    CHECK(net != NULL);
    cnn_rng rng = cnn_rng_seed(5);
    cnn_net_init(net, &rng);
    const int max = 300;
    float *x = malloc(sizeof(float) * 784 * max), *g1 = malloc(sizeof(float) * net->n_params);
    uint8_t *y = malloc(max);
    fill_uniform(x, 784 * (size_t)max, 0, 1, &rng);
    for (int i = 0; i < max; i++) y[i] = (uint8_t)(i % 10);
    cnn_trainer *t[3];
    for (int k = 0; k < 3; k++) CHECK((t[k] = cnn_trainer_new(net, max, k + 1, err)) != NULL);
    int checked = 0;
    for (int n = 1; n <= max; n += n < 40 ? 1 : 13) {
        const float *g;
        double loss = cnn_gradient(t[0], x, y, n, &g);
        memcpy(g1, g, sizeof(float) * net->n_params);
        for (int k = 1; k < 3; k++) {
            CHECK(cnn_gradient(t[k], x, y, n, &g) == loss);
            if (memcmp(g, g1, sizeof(float) * net->n_params))
                FAIL("batch %d: the %d-thread gradient differs from the 1-thread one", n, k + 1);
        }
        checked++;
    }
    for (int k = 0; k < 3; k++) cnn_trainer_free(t[k]);
    /* trainers sized for each batch up to 64 take every smaller batch */
    for (int b = 1; b <= 64; b++) {
        cnn_trainer *tb = cnn_trainer_new(net, b, 2, err);
        CHECK(tb != NULL);
        cnn_sgd sgd = { .lr = 0.01f, .momentum = 0.9f };
        for (int n = 1; n <= b; n++) CHECK(isfinite(cnn_train_step(tb, x, y, n, &sgd, NULL)));
        cnn_trainer_free(tb);
    }
    printf("%d batch sizes: gradients bit-identical with 1, 2, 3 threads; every n <= B fits\n",
           checked);
    free(x);
    free(g1);
    free(y);
    cnn_net_free(net);
    return 0;
}
