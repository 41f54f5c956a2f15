/* A short training run on real digits: seed000 on the 10,000 training
 * images for 3 epochs (plain SGD, batch 32, learning rate 0.1, as PyTorch's
 * recipe), tested on the 10,000 official test images. The test loss must
 * fall at least 5-fold from its starting value (about ln 10 = 2.3; it reaches
 * about 0.33) and the accuracy must pass 88% (it reaches about 91%), far
 * above chance (10%). */
#include "check.h"

#define TRAIN 10000
#define TEST 10000

int main(void)
{
    const char *dir = mnist_dir();
    cnn_dataset train, test;
    char err[CNN_ERR_LEN];
    load_mnist(&train, dir, "train");
    load_mnist(&test, dir, "t10k");
    CHECK(train.count >= TRAIN && test.count >= TEST);
    train.count = TRAIN;
    test.count = TEST;

    cnn_net *net = cnn_net_load("seed000", err);
    CHECK(net != NULL);
    cnn_rng rng = cnn_rng_seed(1);
    cnn_net_init(net, &rng);
    cnn_trainer *t = cnn_trainer_new(net, 32, 0, err);
    CHECK(t != NULL);
    cnn_epoch_stats before = cnn_evaluate(t, &test, NULL), after = before;
    printf("before: test loss %.4f, accuracy %.4f\n", before.loss, before.accuracy);
    cnn_sgd sgd = { 0.1f, 0.0f, 0.0f };
    for (int e = 1; e <= 3; e++) {
        cnn_epoch_stats st;
        CHECK_OK(cnn_train_epoch(t, &train, 32, 0, &sgd, &rng, NULL, NULL, &st, err), err);
        after = cnn_evaluate(t, &test, NULL);
        printf("epoch %d: train loss %.4f, test loss %.4f, accuracy %.4f\n", e, st.loss,
               after.loss, after.accuracy);
    }
    CHECK(before.loss > 2.0);
    CHECK(after.loss * 5 < before.loss);
    CHECK(after.accuracy > 0.88);
    cnn_trainer_free(t);
    cnn_net_free(net);
    cnn_dataset_free(&train);
    cnn_dataset_free(&test);
    return 0;
}
