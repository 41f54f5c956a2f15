/* A short training run on real digits: seed000 with PyTorch's plain recipe
 * (SGD, batch 32, learning rate 0.1) on up to 10,000 training images for
 * about 30,000 images seen (3 epochs of 10,000; 4 of the npm set's 8,337),
 * tested on up to 10,000 test images. Whatever the data folder holds, the
 * test loss must fall at least 5-fold from its starting value (about
 * ln 10 = 2.3; it reaches about 0.3) and the accuracy must pass 88% (it
 * reaches about 91%), far above chance (10%). */
#include "check.h"

#define MAX_TRAIN   10000 /* a full 60,000 set trains no longer than 10,000 */
#define MAX_TEST    10000
#define MIN_TRAIN   1000 /* fewer could not support the claims above */
#define MIN_TEST    500
#define IMAGES_SEEN 30000

int main(void)
{
    const char *dir = mnist_dir();
    cnn_dataset train, test;
    char err[CNN_ERR_LEN];
    load_mnist(&train, dir, "train");
    load_mnist(&test, dir, "t10k");
    if (train.count < MIN_TRAIN || test.count < MIN_TEST)
        FAIL("%s: %d training and %d test images; the test needs %d and %d", dir, train.count,
             test.count, MIN_TRAIN, MIN_TEST);
    if (train.count > MAX_TRAIN) train.count = MAX_TRAIN;
    if (test.count > MAX_TEST) test.count = MAX_TEST;
    int epochs = (IMAGES_SEEN + train.count - 1) / train.count;
    printf("%s: %d training images for %d epochs, %d test images\n", dir, train.count, epochs,
           test.count);

    cnn_net *net = cnn_net_load("seed000", err);
    CHECK(net != NULL);
    cnn_rng rng = cnn_rng_seed(1);
    cnn_net_init(net, &rng);
    cnn_trainer *t = cnn_trainer_new(net, 32, 0, err);
    CHECK(t != NULL);
    cnn_epoch_stats before = cnn_evaluate(t, &test, NULL), after = before;
    printf("before: test loss %.4f, accuracy %.4f\n", before.loss, before.accuracy);
    cnn_sgd sgd = { .lr = 0.1f };
    for (int e = 1; e <= epochs; e++) {
        cnn_epoch_stats st;
        CHECK_OK(cnn_train_epoch(t, &train, 32, NULL, &sgd, &rng, NULL, NULL, &st, err), err);
        after = cnn_evaluate(t, &test, NULL);
        printf("epoch %d: train loss %.4f, test loss %.4f, accuracy %.4f\n", e, st.loss, after.loss,
               after.accuracy);
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
