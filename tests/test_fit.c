/* cnn_fit, the whole run the cnn command makes: on 600 real digits, seed000
 * with its recipe for 3 epochs reports each epoch once, in order, with the
 * schedule's rate, and saves after each; a run stopped after its first
 * epoch by a hook (CNN_FIT_FAILED, the model of epoch 1 on disk) and
 * resumed from that file ends with the bytes of the uninterrupted run. */
#include <stdlib.h>
#include <unistd.h>
#include "check.h"

typedef struct {
    int reports, stop_after;   /* stop_after: the epoch whose report fails the run (0: none) */
    float lrs[8];
} seen;

static int on_epoch(void *p, const cnn_epoch_report *r, char *err)
{
    seen *s = p;
    if (r->epoch != s->reports + 1 || r->train.images != 600 || !(r->seconds > 0))
        FAIL("report %d: epoch %d, %d images, %.3fs", s->reports, r->epoch, r->train.images,
             r->seconds);
    s->lrs[s->reports++] = r->lr;
    if (r->epoch == s->stop_after) {
        snprintf(err, CNN_ERR_LEN, "stopped by the test");
        return -1;
    }
    return 0;
}

/* Run net from st to its end, saving to out; returns how it ended. */
static cnn_fit_end run(cnn_net *net, cnn_train_state *st, const cnn_fit_data *data,
                       const char *out, seen *s)
{
    char err[CNN_ERR_LEN];
    cnn_trainer *t = cnn_trainer_new(net, st->batch, 2, err);
    if (!t) FAIL("%s", err);
    if (st->velocity) memcpy(cnn_trainer_velocity(t), st->velocity, sizeof(float) * net->n_params);
    free(st->velocity);
    st->velocity = cnn_trainer_velocity(t);
    cnn_trainer_set_steps(t, st->steps);
    cnn_fit_hooks hooks = { .out = out, .on_epoch = on_epoch, .ctx = s };
    cnn_fit_end end = cnn_fit(t, st, data, &hooks, err);
    if (end != CNN_FIT_DONE && end != CNN_FIT_FAILED) FAIL("cnn_fit ended %d: %s", end, err);
    if (end == CNN_FIT_FAILED && strcmp(err, "stopped by the test")) FAIL("%s", err);
    st->velocity = NULL;
    cnn_trainer_free(t);
    return end;
}

static unsigned char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) FAIL("%s: cannot read", path);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)*len);
    if (!b || fread(b, 1, (size_t)*len, f) != (size_t)*len) FAIL("%s: cannot read", path);
    fclose(f);
    return b;
}

int main(void)
{
    const char *dir = mnist_dir();
    cnn_dataset train, test;
    char err[CNN_ERR_LEN], tmp[] = "/tmp/test_fit.XXXXXX", whole[64], part[64];
    load_mnist(&train, dir, "train");
    load_mnist(&test, dir, "t10k");
    train.count = 600;
    test.count = 200;
    cnn_fit_data data = { &train, &test, NULL };
    if (!mkdtemp(tmp)) FAIL("mkdtemp");
    snprintf(whole, sizeof whole, "%s/whole.model", tmp);
    snprintf(part, sizeof part, "%s/part.model", tmp);

    /* the uninterrupted run */
    cnn_net *net = cnn_net_load("seed000", err);
    if (!net) FAIL("%s", err);
    cnn_train_state st;
    cnn_train_begin(net, 7, &st);
    st.epochs = 3;
    seen s = { 0 };
    CHECK(run(net, &st, &data, whole, &s) == CNN_FIT_DONE);
    CHECK(s.reports == 3 && st.epoch == 3);
    for (int e = 0; e < 3; e++) CHECK(s.lrs[e] == cnn_schedule_lr(st.schedule, &st.sgd, e, 3));
    cnn_net_free(net);

    /* stopped after epoch 1, then resumed from its file */
    net = cnn_net_load("seed000", err);
    cnn_train_begin(net, 7, &st);
    st.epochs = 3;
    seen first = { .stop_after = 1 };
    CHECK(run(net, &st, &data, part, &first) == CNN_FIT_FAILED);
    CHECK(first.reports == 1 && st.epoch == 1);
    cnn_net_free(net);
    net = cnn_model_load(part, &st, err);
    if (!net) FAIL("%s", err);
    CHECK(st.epoch == 1);
    seen rest = { .reports = 1 };
    CHECK(run(net, &st, &data, part, &rest) == CNN_FIT_DONE);
    CHECK(rest.reports == 3);
    long a, b;
    unsigned char *x = slurp(whole, &a), *y = slurp(part, &b);
    if (a != b || memcmp(x, y, (size_t)a)) FAIL("the resumed run's model differs");
    printf("cnn_fit: 3 epochs reported in order with the schedule's rates; stopped after "
           "epoch 1 and resumed, the same %ld bytes\n", a);
    free(x);
    free(y);
    free(st.moment2);
    cnn_net_free(net);
    unlink(whole);
    unlink(part);
    rmdir(tmp);
    cnn_dataset_free(&train);
    cnn_dataset_free(&test);
    return 0;
}
