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

static void write_all(const char *path, const unsigned char *data, long len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(data, 1, len, f) == (size_t)len && fclose(f) == 0);
}

static void expect_refused(const char *path, const char *why)
{
    char err[CNN_ERR_LEN];
    cnn_train_state st;
    cnn_net *net = cnn_model_load(path, &st, err);
    if (net) FAIL("%s: loaded, expected \"%s\"", path, why);
    if (strncmp(err, path, strlen(path)) || !strstr(err, why))
        FAIL("message \"%s\" does not name %s and say \"%s\"", err, path, why);
}

/* Damaged files: truncated anywhere, any bit flipped, wrong magic, a newer
 * version, and the bytes a big-endian writer would produce. */
static void test_damaged(const char *dir)
{
    unsigned char *data;
    long len;
    char bad[256], good[256], err[CNN_ERR_LEN];
    snprintf(good, sizeof good, "%s/seed000.model", dir);
    cnn_net *net = cnn_net_load("seed000", err);
    CHECK(net != NULL);
    CHECK_OK(cnn_model_save(good, net, NULL, err), err);
    cnn_net_free(net);
    read_all(good, &data, &len);
    snprintf(bad, sizeof bad, "%s/bad.model", dir);
    for (long cut = 0; cut < len; cut += cut < 64 ? 1 : 997) {
        write_all(bad, data, cut);
        expect_refused(bad, cut < 12 ? "not a model file" : "");
    }
    for (long bit = 0; bit < len * 8; bit += 89) {
        data[bit / 8] ^= (unsigned char)(1 << (bit % 8));
        write_all(bad, data, len);
        expect_refused(bad, bit < 64 ? "wrong magic" : bit < 96 ? "version" : "checksum mismatch");
        data[bit / 8] ^= (unsigned char)(1 << (bit % 8));
    }
    unsigned char keep[4];
    memcpy(keep, data + 8, 4);
    data[8] = 2;   /* version 2 */
    write_all(bad, data, len);
    expect_refused(bad, "model format version 2 is newer than this program's (1)");
    /* a big-endian writer puts version 1 as 00 00 00 01: read as 16777216 */
    data[8] = 0, data[9] = 0, data[10] = 0, data[11] = 1;
    write_all(bad, data, len);
    expect_refused(bad, "version 16777216 is newer");
    memcpy(data + 8, keep, 4);
    memcpy(data, "CNNMODEX", 8);
    write_all(bad, data, len);
    expect_refused(bad, "not a model file (wrong magic)");
    expect_refused(dir, "not a regular file");
    free(data);
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
                               .shift = 2,
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
        CHECK_INT(got.shift, 2);
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
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 2", a);
    CHECK(system(cmd) == 0);
    test_damaged(a);
    snprintf(cmd, sizeof cmd, "rm -rf %s", a);
    CHECK(system(cmd) == 0);
    printf("model files: round trips exact for seed000, seed003, lenet; same state, "
           "same bytes; truncated, bit-flipped, wrong-magic, newer and big-endian files "
           "refused\n");
    return 0;
}
