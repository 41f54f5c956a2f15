/* fit.c: a whole training run, epoch after epoch: train, evaluate the test
 * set (and the held-out images), check that the processes still agree,
 * save the model (and the best one), report, stop on patience. The cnn
 * command is this call with options, a progress line and a CSV log around
 * it; a program that embeds the library gets the same run. A trainer made
 * without processes (cnn_trainer_new) runs alone. */
#include <math.h>
#include <stdio.h>
#include "dist/dist.h"

/* Within an epoch: the caller's progress, and every process's stop. */
typedef struct {
    const cnn_fit_hooks *hooks;
    cnn_dist *dist;
} step_ctx;

static int on_step(void *p, int step, int steps, const cnn_epoch_stats *so_far)
{
    const step_ctx *c = p;
    int stop = c->hooks->on_step ? c->hooks->on_step(c->hooks->ctx, step, steps, so_far) : 0;
    return stop | (c->dist && cnn_dist_stopping(c->dist));
}

/* Whether another process failed (a trainer without processes: none). */
static int peer_failed(cnn_dist *dist) { return dist && cnn_dist_agree(dist, 0) >= 0; }

/* Rank 0 saves: the model after every epoch, the best one when it is. */
static int save(const cnn_fit_hooks *hooks, cnn_dist *dist, const cnn_net *net,
                const cnn_train_state *st, int better, char *err)
{
    if (dist && cnn_dist_rank(dist) != 0) return 0;
    if (hooks->out && cnn_model_save(hooks->out, net, st, err)) return -1;
    if (better && st->val.keep_best && hooks->best && cnn_model_save(hooks->best, net, st, err))
        return -1;
    return 0;
}

double cnn_diverged_loss(const cnn_net *net)
{
    switch (net->loss) {
    case CNN_LOSS_SOFTMAX_CE: return 100 * log(net->classes);
    case CNN_LOSS_BCE: return 100 * log(2.0);
    case CNN_LOSS_MSE: return 100 * 0.5;
    }
    return 0.0;
}

void cnn_train_begin(cnn_net *net, uint64_t seed, cnn_train_state *st)
{
    const cnn_recipe *r = &net->recipe;
    *st = (cnn_train_state){ .epochs = r->epochs,
                             .schedule = r->schedule,
                             .shift = r->shift,
                             .flip = r->flip,
                             .resize = r->resize,
                             .rng = cnn_rng_seed(seed),
                             .sgd = r->sgd,
                             .batch = r->batch };
    st->val.seed = seed;
    cnn_net_init(net, &st->rng);
}

cnn_fit_end cnn_fit(cnn_trainer *t, cnn_train_state *st, const cnn_fit_data *data,
                    const cnn_fit_hooks *hooks, char *err)
{
    static const cnn_fit_hooks none = { 0 };
    if (!hooks) hooks = &none;
    cnn_dist *dist = trainer_dist(t);
    const cnn_net *net = cnn_trainer_net(t);
    step_ctx steps = { hooks, dist };
    for (int e = st->epoch; e < st->epochs; e++) {
        cnn_epoch_report r = { .epoch = e + 1, .epochs = st->epochs };
        cnn_sgd sgd = st->sgd;
        r.lr = sgd.lr = cnn_schedule_lr(st->schedule, &st->sgd, e, st->epochs);
        if (hooks->on_epoch_start) hooks->on_epoch_start(hooks->ctx, e, r.lr);
        cnn_augment aug = { st->shift, st->flip };
        double start = cnn_clock();
        int stop = cnn_train_epoch(t, data->train, st->batch, &aug, &sgd, &st->rng, on_step, &steps,
                                   &r.train, err);
        if (stop) return stop < 0 ? CNN_FIT_EPOCH_FAILED : CNN_FIT_INTERRUPTED;
        if (hooks->diverged_loss > 0 && r.train.loss > hooks->diverged_loss) {
            snprintf(err, CNN_ERR_LEN,
                     "diverged: training loss %.4g is over %.4g, 100 times a uniform guess's "
                     "(a lower learning rate may train)",
                     r.train.loss, hooks->diverged_loss);
            return CNN_FIT_EPOCH_FAILED;
        }
        r.seconds = cnn_clock() - start;
        r.test = cnn_evaluate(t, data->test, NULL);
        st->epoch = e + 1;
        st->steps = cnn_trainer_steps(t);
        if (data->val && data->val->count) {
            r.val = cnn_evaluate(t, data->val, NULL);
            r.better = st->val.best_epoch == 0 || (float)r.val.accuracy > st->val.best_accuracy;
            if (r.better) {
                st->val.best_epoch = e + 1;
                st->val.best_accuracy = (float)r.val.accuracy;
            }
        }
        /* the processes' parameters must have stayed identical: check before saving */
        if (dist && cnn_dist_check_run(dist, net, st, NULL, NULL, err)) return CNN_FIT_FAILED;
        if (peer_failed(dist)) return CNN_FIT_PEER_FAILED;
        if (save(hooks, dist, net, st, r.better, err)) return CNN_FIT_FAILED;
        if (hooks->on_epoch && hooks->on_epoch(hooks->ctx, &r, err)) return CNN_FIT_FAILED;
        if (peer_failed(dist)) return CNN_FIT_PEER_FAILED;
        if (st->val.patience && e + 1 - st->val.best_epoch >= st->val.patience)
            return CNN_FIT_PATIENCE;
    }
    return CNN_FIT_DONE;
}
