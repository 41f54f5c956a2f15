/* Run under mpirun (tests/test_mpi.sh): every process computes, for many
 * batch sizes, the gradient, loss and correct count of a batch with a
 * trainer shared by all processes and with one of its own, and requires
 * them bit-identical; the same for an evaluation split among the
 * processes. Batch sizes from 1 to past the 64-shard limit give every shape
 * of the shard tree: processes with no shard, blocks cut short, one shard.
 * The networks have an odd parameter count (seed000: 1,138; seed004: 6,070
 * halves to odd) and a wide one (lenet) cut differently. */
#include "check.h"

static int check_net(const char *name, cnn_dist *dist, const int *sizes, int n_sizes)
{
    char err[CNN_ERR_LEN];
    cnn_net *net = cnn_net_load(name, err);
    CHECK(net != NULL);
    cnn_rng rng = cnn_rng_seed(11);
    cnn_net_init(net, &rng);
    int max = 0;
    for (int i = 0; i < n_sizes; i++) max = sizes[i] > max ? sizes[i] : max;
    size_t isz = cnn_shape_size(net->input), P = net->n_params;
    float *x = malloc(sizeof(float) * isz * max), *alone_g = malloc(sizeof(float) * P);
    uint8_t *y = malloc(max);
    CHECK(x && alone_g && y);
    fill_uniform(x, isz * (size_t)max, 0, 1, &rng);
    for (int i = 0; i < max; i++) y[i] = (uint8_t)(cnn_rng_next(&rng) % net->classes);
    cnn_trainer *alone = cnn_trainer_new(net, max, 1, err);
    cnn_trainer *shared = cnn_trainer_new_dist(net, max, 2, dist, err);
    CHECK(alone && shared);
    for (int i = 0; i < n_sizes; i++) {
        int n = sizes[i];
        const float *g;
        double loss = cnn_gradient(alone, x, y, n, &g);
        memcpy(alone_g, g, sizeof(float) * P);
        double shared_loss = cnn_gradient(shared, x, y, n, &g);
        if (memcmp(&loss, &shared_loss, sizeof loss))
            FAIL("%s, batch %d: the loss %.17g differs from one process's %.17g", name, n,
                 shared_loss, loss);
        for (size_t k = 0; k < P; k++)
            if (memcmp(&g[k], &alone_g[k], sizeof(float)))
                FAIL("%s, batch %d: gradient[%zu] %.9g differs from one process's %.9g", name, n, k,
                     g[k], alone_g[k]);
    }
    /* a training step: the correct count comes from every process's shards */
    cnn_sgd sgd = { .lr = 0.01f, .momentum = 0.9f };
    int right_alone = 0, right_shared = 0;
    double l1 = cnn_train_step(alone, x, y, max, &sgd, &right_alone);
    cnn_net *net2 = cnn_net_load(name, err); /* the same start for the shared trainer */
    CHECK(net2 != NULL);
    cnn_trainer_free(shared);
    rng = cnn_rng_seed(11);
    cnn_net_init(net2, &rng);
    shared = cnn_trainer_new_dist(net2, max, 2, dist, err);
    CHECK(shared != NULL);
    double l2 = cnn_train_step(shared, x, y, max, &sgd, &right_shared);
    CHECK(memcmp(&l1, &l2, sizeof l1) == 0);
    CHECK_INT(right_shared, right_alone);
    CHECK(memcmp(net->params, net2->params, sizeof(float) * P) == 0);
    /* evaluation: batches split among processes, sums in batch order */
    uint8_t *px = malloc(isz * max);
    CHECK(px);
    for (size_t k = 0; k < isz * (size_t)max; k++) px[k] = (uint8_t)(cnn_rng_next(&rng) & 255);
    cnn_dataset d = { .count = max,
                      .channels = net->input.c,
                      .height = net->input.h,
                      .width = net->input.w,
                      .image_size = isz,
                      .pixels = px,
                      .labels = y };
    int *conf1 = calloc((size_t)net->classes * net->classes, sizeof(int));
    int *conf2 = calloc((size_t)net->classes * net->classes, sizeof(int));
    CHECK(conf1 && conf2);
    cnn_trainer *eval_alone = cnn_trainer_new(net2, 37, 1, err);
    cnn_trainer *eval_shared = cnn_trainer_new_dist(net2, 37, 2, dist, err);
    CHECK(eval_alone && eval_shared);
    cnn_epoch_stats e1 = cnn_evaluate(eval_alone, &d, conf1);
    cnn_epoch_stats e2 = cnn_evaluate(eval_shared, &d, conf2);
    CHECK(memcmp(&e1.loss, &e2.loss, sizeof e1.loss) == 0);
    CHECK(e1.accuracy == e2.accuracy);
    CHECK(memcmp(conf1, conf2, sizeof(int) * net->classes * net->classes) == 0);
    cnn_trainer_free(eval_alone);
    cnn_trainer_free(eval_shared);
    cnn_trainer_free(alone);
    cnn_trainer_free(shared);
    free(conf1);
    free(conf2);
    free(x);
    free(px);
    free(alone_g);
    free(y);
    cnn_net_free(net);
    cnn_net_free(net2);
    return n_sizes;
}

int main(void)
{
    char err[CNN_ERR_LEN];
    cnn_dist *dist = cnn_dist_start(err);
    CHECK(dist != NULL);
    static const int narrow[] = { 1,  2,  3,  5,   7,   8,   9,   16,  17,   31,   32,  33,
                                  63, 64, 65, 100, 255, 256, 257, 600, 2048, 2049, 2100 };
    static const int wide[] = { 1, 2, 31, 33, 64, 65, 97, 130, 200 };
    int n = check_net("seed000", dist, narrow, sizeof narrow / sizeof narrow[0]);
    n += check_net("seed004", dist, narrow, 15);
    n += check_net("lenet", dist, wide, sizeof wide / sizeof wide[0]);
    if (cnn_dist_rank(dist) == 0)
        printf("%d processes: %d batch sizes of 3 networks: gradients, losses, correct counts, "
               "a step and an evaluation bit-identical to one process\n",
               cnn_dist_size(dist), n);
    cnn_dist_end(dist);
    return 0;
}
