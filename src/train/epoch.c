/* epoch.c: passes over a data set, batch by batch, for training and
 * evaluation. Batches are gathered into one reused buffer per call site. */
#define _DEFAULT_SOURCE /* M_PI */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dist/dist.h"
#include "net/net.h"

int cnn_net_first_nonfinite(const cnn_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        const float *p = net->params + L->w_off;
        for (size_t i = 0; i < L->n_w + L->n_b; i++)
            if (!isfinite(p[i])) return l;
    }
    return -1;
}

static const char *const schedule_names[] = { "constant", "cosine", "step" };

const char *cnn_schedule_name(cnn_schedule s) { return schedule_names[s]; }

int cnn_schedule_parse(const char *name)
{
    for (int k = 0; k <= CNN_SCHEDULE_STEP; k++)
        if (!strcmp(name, schedule_names[k])) return k;
    return -1;
}

float cnn_schedule_lr(cnn_schedule s, const cnn_sgd *o, int e, int epochs)
{
    double lr = o->lr;
    if (e < o->warmup) return (float)(lr * (e + 1) / (o->warmup + 1));
    e -= o->warmup;
    epochs -= o->warmup;
    switch (s) {
    case CNN_SCHEDULE_CONSTANT: return (float)lr;
    case CNN_SCHEDULE_COSINE:
        return epochs <= 1 ? (float)lr : (float)(lr * 0.5 * (1.0 + cos(M_PI * e / epochs)));
    case CNN_SCHEDULE_STEP: return (float)(lr * pow(o->gamma, e / o->step_every));
    }
    return (float)lr;
}

/* dst = src / 255 moved by (dx, dy) pixels, zeros where nothing moves in. */
static void shifted(float *dst, const uint8_t *src, cnn_shape shape, int dx, int dy)
{
    int H = shape.h, W = shape.w;
    for (int c = 0; c < shape.c; c++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int sy = y - dy, sx = x - dx;
                dst[((size_t)c * H + y) * W + x] = sy >= 0 && sy < H && sx >= 0 && sx < W
                                                       ? (float)src[((size_t)c * H + sy) * W + sx] /
                                                             255.0f
                                                       : 0.0f;
            }
}

void cnn_augment_image(float *dst, const uint8_t *src, cnn_shape shape, const cnn_augment *aug,
                       cnn_rng *rng)
{
    if (aug->shift) {
        int span = 2 * aug->shift + 1;
        int dx = (int)(cnn_rng_next(rng) % span) - aug->shift;
        int dy = (int)(cnn_rng_next(rng) % span) - aug->shift;
        shifted(dst, src, shape, dx, dy);
    } else {
        for (size_t k = 0; k < cnn_shape_size(shape); k++) dst[k] = (float)src[k] / 255.0f;
    }
    if (aug->flip && cnn_rng_next(rng) & 1)
        for (int r = 0; r < shape.c * shape.h; r++) {
            float *row = dst + (size_t)r * shape.w;
            for (int x = 0; x < shape.w / 2; x++) {
                float keep = row[x];
                row[x] = row[shape.w - 1 - x];
                row[shape.w - 1 - x] = keep;
            }
        }
}

int cnn_train_epoch(cnn_trainer *t, const cnn_dataset *d, int batch, const cnn_augment *aug,
                    const cnn_sgd *sgd, cnn_rng *rng, cnn_progress_fn progress, void *ctx,
                    cnn_epoch_stats *stats, char *err)
{
    static const cnn_augment none = { 0, 0 };
    const cnn_shape shape = { d->channels, d->height, d->width };
    if (!aug) aug = &none;
    const cnn_net *net = cnn_trainer_net(t);
    size_t isz = d->image_size;
    /* a batch larger than the data set holds all of it, no more */
    size_t most = (size_t)(batch < d->count ? batch : d->count > 0 ? d->count : 1);
    int *order = malloc(sizeof(int) * (d->count ? d->count : 1));
    float *x = aligned_calloc(most * isz, sizeof(float));
    uint8_t *y = malloc(most);
    int rc = 0;
    memset(stats, 0, sizeof *stats);
    /* under MPI every process stops here if one is short of memory */
    int short_of_memory = !order || !x || !y;
    cnn_dist *dist = trainer_dist(t);
    if (dist) short_of_memory = cnn_dist_agree(dist, short_of_memory) >= 0;
    if (short_of_memory) {
        snprintf(err, CNN_ERR_LEN, "training: out of memory");
        rc = -1;
        goto done;
    }
    for (int i = 0; i < d->count; i++) order[i] = i;
    cnn_rng_shuffle(rng, order, d->count);
    int steps = (d->count + batch - 1) / batch;
    /* only a network with dropout draws its keys, leaving the others' RNG
     * stream (and models) as they were */
    int has_dropout = 0;
    for (int l = 0; l < net->n_layers; l++) has_dropout |= net->layers[l].kind == CNN_DROPOUT;
    double loss_sum = 0;
    long correct = 0;
    for (int s = 0; s < steps; s++) {
        int first = s * batch, n = d->count - first < batch ? d->count - first : batch;
        for (int i = 0; i < n; i++) {
            const uint8_t *src = d->pixels + (size_t)order[first + i] * isz;
            cnn_augment_image(x + (size_t)i * isz, src, shape, aug, rng);
            y[i] = d->labels[order[first + i]];
        }
        int right = 0;
        if (has_dropout) cnn_trainer_set_dropout_key(t, cnn_rng_next(rng));
        double loss = cnn_train_step(t, x, y, n, sgd, &right);
        int bad = cnn_net_first_nonfinite(net);
        if (!isfinite(loss) || bad >= 0) {
            const char *what = "weights";
            if (bad < 0) {
                bad = cnn_trainer_nonfinite_layer(t);
                what = "outputs";
            }
            if (bad < 0)
                snprintf(err, CNN_ERR_LEN,
                         "step %d of %d: the loss became %s (the "
                         "learning rate may be too high)",
                         s + 1, steps, isnan(loss) ? "NaN" : "infinite");
            else
                snprintf(err, CNN_ERR_LEN,
                         "step %d of %d: the %s of layer %d (%s, line "
                         "%d) went non-finite (the learning rate may be too high)",
                         s + 1, steps, what, bad + 1, cnn_layer_name(net->layers[bad].kind),
                         net->layers[bad].line);
            rc = -1;
            goto done;
        }
        loss_sum += loss * n;
        correct += right;
        stats->images = first + n;
        stats->loss = loss_sum / stats->images;
        stats->accuracy = (double)correct / stats->images;
        if (progress && progress(ctx, s + 1, steps, stats)) {
            rc = 1;
            break;
        }
    }
done:
    free(order);
    free(x);
    free(y);
    return rc;
}

/* With several processes each takes a range of the batches; every batch's
 * loss and correct count then go to all of them and are summed in batch
 * order, the sums one process makes alone, bit for bit. */
cnn_epoch_stats cnn_evaluate(cnn_trainer *t, const cnn_dataset *d, int *confusion)
{
    const cnn_net *net = cnn_trainer_net(t);
    cnn_dist *dist = trainer_dist(t);
    int batch = cnn_trainer_max_batch(t), classes = net->classes;
    int batches = (d->count + batch - 1) / batch, lo, hi;
    dist_range(dist, batches, &lo, &hi);
    float *out = malloc(sizeof(float) * (size_t)batch * classes);
    float *x = aligned_calloc((size_t)batch * d->image_size, sizeof(float));
    double *per_batch = calloc(2 * (size_t)(batches ? batches : 1), sizeof(double));
    cnn_epoch_stats st = { 0, 0, d->count };
    if (confusion) memset(confusion, 0, sizeof(int) * classes * classes);
    for (int b = lo; out && x && per_batch && b < hi; b++) {
        int first = b * batch, n = d->count - first < batch ? d->count - first : batch;
        int right = 0;
        cnn_dataset_images(d, first, n, x);
        per_batch[2 * b] = cnn_infer(t, x, d->labels + first, n, out, &right);
        per_batch[2 * b + 1] = right;
        for (int i = 0; confusion && i < n; i++)
            confusion[d->labels[first + i] * classes +
                      argmax(out + (size_t)i * classes, classes)]++;
    }
    if (dist && per_batch) {
        dist_share_range(dist, per_batch, batches, 2);
        if (confusion) dist_sum_ints(dist, confusion, classes * classes);
    }
    double loss = 0;
    long correct = 0;
    for (int b = 0; per_batch && b < batches; b++) {
        loss += per_batch[2 * b];
        correct += (long)per_batch[2 * b + 1];
    }
    free(out);
    free(x);
    free(per_batch);
    if (d->count) {
        st.loss = loss / d->count;
        st.accuracy = (double)correct / d->count;
    }
    return st;
}
