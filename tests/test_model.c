/* Model files: a save/load round trip is exact (parameters, optimiser state,
 * epoch, RNG, recipe), the same state writes the same bytes, and a load
 * refuses a file for another network when asked for its description. */
#include <unistd.h>
#include "check.h"

static void read_all(const char *path, unsigned char **data, long *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    rewind(f);
    *data = malloc(*len);
    CHECK(fread(*data, 1, *len, f) == (size_t)*len);
    fclose(f);
}

int main(void)
{
    char err[CNN_ERR_LEN], a[] = "/tmp/cnn-test-model-XXXXXX", path[128], path2[128];
    CHECK(mkdtemp(a) != NULL);
    snprintf(path, sizeof path, "%s/m.model", a);
    snprintf(path2, sizeof path2, "%s/again.model", a);
    const char *nets[] = { "seed000", "seed003", "lenet" };
    for (int k = 0; k < 3; k++) {
        cnn_net *net = cnn_net_load(nets[k], err);
        CHECK(net != NULL);
        cnn_rng rng = cnn_rng_seed(99 + k);
        cnn_net_init(net, &rng);
        float *velocity = malloc(sizeof(float) * net->n_params);
        fill_uniform(velocity, net->n_params, -1, 1, &rng);
        cnn_train_state st = { .epoch = 7, .epochs = 12, .schedule = CNN_SCHEDULE_COSINE,
                               .rng = rng, .sgd = { 0.05f, 0.9f, 5e-4f }, .batch = 48,
                               .velocity = velocity };
        CHECK_OK(cnn_model_save(path, net, &st, err), err);

        cnn_train_state got;
        cnn_net *back = cnn_model_load(path, &got, err);
        if (!back) FAIL("%s", err);
        CHECK(strcmp(back->text, net->text) == 0);
        CHECK_INT(back->n_params, net->n_params);
        CHECK(memcmp(back->params, net->params, sizeof(float) * net->n_params) == 0);
        CHECK(memcmp(got.velocity, velocity, sizeof(float) * net->n_params) == 0);
        CHECK_INT(got.epoch, 7);
        CHECK_INT(got.epochs, 12);
        CHECK_INT(got.schedule, CNN_SCHEDULE_COSINE);
        CHECK_INT(got.batch, 48);
        CHECK(got.rng.s == rng.s);
        CHECK(got.sgd.lr == 0.05f && got.sgd.momentum == 0.9f && got.sgd.weight_decay == 5e-4f);

        /* the same state writes the same bytes */
        CHECK_OK(cnn_model_save(path2, back, &got, err), err);
        unsigned char *x, *y;
        long nx, ny;
        read_all(path, &x, &nx);
        read_all(path2, &y, &ny);
        CHECK_INT(nx, ny);
        CHECK(memcmp(x, y, nx) == 0);
        free(x);
        free(y);
        free(got.velocity);
        free(velocity);
        cnn_net_free(back);
        cnn_net_free(net);
    }
    /* no temporary files are left behind */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 2 && rm -rf %s", a, a);
    CHECK(system(cmd) == 0);
    printf("model files: round trips exact for seed000, seed003, lenet; same state, "
           "same bytes\n");
    return 0;
}
