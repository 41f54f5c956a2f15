/* cnn_fit, the whole run the cnn command makes: on 600 real digits, seed000
 * with its recipe for 3 epochs reports each epoch once, in order, with the
 * schedule's rate, and saves after each; a run stopped after its first
 * epoch by a hook (CNN_FIT_FAILED, the model of epoch 1 on disk) and
 * resumed from that file ends with the bytes of the uninterrupted run; with
 * images held out, an epoch is "better" exactly when its accuracy beats all
 * before it, OUT.best holds the best epoch, and patience 1 stops the run
 * at the first epoch that is not better. */
#include <stdlib.h>
#include <unistd.h>
#include "check.h"

typedef struct {
    int reports, stop_after; /* stop_after: the epoch whose report fails the run (0: none) */
    int images;              /* training images an epoch */
    float lrs[8];
    double val[8]; /* validation accuracies */
} seen;

static int on_epoch(void *p, const cnn_epoch_report *r, char *err)
{
    seen *s = p;
    if (r->epoch != s->reports + 1 || r->train.images != s->images || !(r->seconds > 0))
        FAIL("report %d: epoch %d, %d images, %.3fs", s->reports, r->epoch, r->train.images,
             r->seconds);
    /* better: above every earlier epoch's validation accuracy */
    int better = r->val.images > 0;
    for (int e = 0; e < s->reports; e++) better &= (float)r->val.accuracy > (float)s->val[e];
    if (r->better != better) FAIL("epoch %d: better %d, not %d", r->epoch, r->better, better);
    s->val[s->reports] = r->val.accuracy;
    s->lrs[s->reports++] = r->lr;
    if (r->epoch == s->stop_after) {
        snprintf(err, CNN_ERR_LEN, "stopped by the test");
        return -1;
    }
    return 0;
}

/* Run net from st to its end, saving to out; returns how it ended. */
static char best_path[64]; /* OUT.best of the validation run */

static cnn_fit_end run(cnn_net *net, cnn_train_state *st, const cnn_fit_data *data, const char *out,
                       seen *s)
{
    char err[CNN_ERR_LEN];
    cnn_trainer *t = cnn_trainer_new(net, st->batch, 2, err);
    if (!t) FAIL("%s", err);
    if (st->velocity) memcpy(cnn_trainer_velocity(t), st->velocity, sizeof(float) * net->n_params);
    free(st->velocity);
    st->velocity = cnn_trainer_velocity(t);
    cnn_trainer_set_steps(t, st->steps);
    cnn_fit_hooks hooks = { .out = out, .best = best_path, .on_epoch = on_epoch, .ctx = s };
    cnn_fit_end end = cnn_fit(t, st, data, &hooks, err);
    if (end != CNN_FIT_DONE && end != CNN_FIT_FAILED && end != CNN_FIT_PATIENCE)
        FAIL("cnn_fit ended %d: %s", end, err);
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
    seen s = { .images = 600 };
    CHECK(run(net, &st, &data, whole, &s) == CNN_FIT_DONE);
    CHECK(s.reports == 3 && st.epoch == 3);
    for (int e = 0; e < 3; e++) CHECK(s.lrs[e] == cnn_schedule_lr(st.schedule, &st.sgd, e, 3));
    cnn_net_free(net);

    /* stopped after epoch 1, then resumed from its file */
    net = cnn_net_load("seed000", err);
    cnn_train_begin(net, 7, &st);
    st.epochs = 3;
    seen first = { .stop_after = 1, .images = 600 };
    CHECK(run(net, &st, &data, part, &first) == CNN_FIT_FAILED);
    CHECK(first.reports == 1 && st.epoch == 1);
    cnn_net_free(net);
    net = cnn_model_load(part, &st, err);
    if (!net) FAIL("%s", err);
    CHECK(st.epoch == 1);
    seen rest = { .reports = 1, .images = 600 };
    CHECK(run(net, &st, &data, part, &rest) == CNN_FIT_DONE);
    CHECK(rest.reports == 3);
    long a, b;
    unsigned char *x = slurp(whole, &a), *y = slurp(part, &b);
    if (a != b || memcmp(x, y, (size_t)a)) FAIL("the resumed run's model differs");
    printf("cnn_fit: 3 epochs reported in order with the schedule's rates; stopped after "
           "epoch 1 and resumed, the same %ld bytes\n",
           a);
    free(x);
    free(y);
    free(st.moment2);
    cnn_net_free(net);

    /* validation: 100 images held out, the best model kept, patience 1 */
    cnn_dataset val;
    net = cnn_net_load("seed000", err);
    cnn_train_begin(net, 3, &st);
    st.epochs = 8;
    st.sgd.lr = 0.1f;
    st.schedule = CNN_SCHEDULE_CONSTANT;
    st.val.count = 100;
    st.val.keep_best = 1;
    st.val.patience = 1;
    if (cnn_dataset_split(&train, &val, 100, st.val.seed, err)) FAIL("%s", err);
    snprintf(best_path, sizeof best_path, "%s/whole.model.best", tmp);
    cnn_fit_data with_val = { &train, &test, &val };
    seen v = { .images = 500 };
    cnn_fit_end end = run(net, &st, &with_val, whole, &v);
    int best = 0; /* the first epoch of the highest accuracy, from 1 */
    for (int e = 0; e < v.reports; e++)
        if ((float)v.val[e] > (float)v.val[best]) best = e;
    CHECK(st.val.best_epoch == best + 1 && st.val.best_accuracy == (float)v.val[best]);
    if (end == CNN_FIT_PATIENCE) CHECK(v.reports - st.val.best_epoch == 1);
    else CHECK(end == CNN_FIT_DONE && v.reports == 8 && st.val.best_epoch == 8);
    cnn_train_state kept;
    cnn_net *best_net = cnn_model_load(best_path, &kept, err);
    if (!best_net) FAIL("%s", err);
    CHECK(kept.epoch == st.val.best_epoch);
    printf("validation: %d epochs, %s; the best, epoch %d (%.4f), is in OUT.best\n", v.reports,
           end == CNN_FIT_PATIENCE ? "stopped by patience 1" : "all run", st.val.best_epoch,
           st.val.best_accuracy);
    free(kept.velocity);
    free(kept.moment2);
    cnn_net_free(best_net);
    cnn_dataset_free(&val);
    unlink(best_path);
    cnn_net_free(net);
    unlink(whole);
    unlink(part);
    rmdir(tmp);
    cnn_dataset_free(&train);
    cnn_dataset_free(&test);
    return 0;
}
