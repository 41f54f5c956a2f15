/* recipe.c: the ranges of the training recipe's settings, in one table that
 * the description parser, the command line and the model loader all use. */
#include <math.h>
#include <stdio.h>
#include "net/net.h"

/* batch: a batch buffer of 65536 MNIST images is 205 MB; more buys nothing.
 * shift: augmentation moves of up to 8 pixels already blank most of a digit.
 * momentum, beta1, beta2 below 1, or the moments never decay (and Adam's
 * bias correction divides by zero); eps above 0, or a parameter whose
 * gradients were all zero divides zero by zero. */
const cnn_recipe cnn_recipe_default = {
    .epochs = 20,
    .batch = 32,
    .sgd = { .lr = 0.05f,
             .momentum = 0.9f,
             .weight_decay = 5e-4f,
             .beta1 = 0.9f,
             .beta2 = 0.999f,
             .eps = 1e-8f,
             .kind = CNN_OPT_SGD,
             .warmup = 0,
             .step_every = 30,
             .gamma = 0.1f },
    .schedule = CNN_SCHEDULE_COSINE,
    .shift = 0,
    .flip = 0,
    .resize = 0,
};

const cnn_recipe_limit cnn_recipe_limits[CNN_RECIPE_FIELDS] = {
    [CNN_RECIPE_EPOCHS] = { "epochs", 1, 100000, 1 },
    [CNN_RECIPE_BATCH] = { "batch", 1, 65536, 1 },
    [CNN_RECIPE_LR] = { "lr", 1e-9, 100, 0 },
    [CNN_RECIPE_MOMENTUM] = { "momentum", 0, 0.999, 0 },
    [CNN_RECIPE_WEIGHT_DECAY] = { "weight-decay", 0, 1, 0 },
    [CNN_RECIPE_SHIFT] = { "shift", 0, 8, 1 },
    [CNN_RECIPE_BETA1] = { "beta1", 0, 0.9999, 0 },
    [CNN_RECIPE_BETA2] = { "beta2", 0, 0.99999, 0 },
    [CNN_RECIPE_EPS] = { "eps", 1e-12, 1, 0 },
    [CNN_RECIPE_WARMUP] = { "warmup", 0, 100000, 1 },
    [CNN_RECIPE_STEP_EVERY] = { "step-every", 1, 100000, 1 },
    [CNN_RECIPE_GAMMA] = { "gamma", 1e-6, 1, 0 },
    [CNN_RECIPE_FLIP] = { "flip", 0, 1, 1 },
    [CNN_RECIPE_RESIZE] = { "resize", 0, 1, 1 },
};

double cnn_recipe_get(const cnn_recipe *r, cnn_recipe_field f)
{
    switch (f) {
    case CNN_RECIPE_EPOCHS: return r->epochs;
    case CNN_RECIPE_BATCH: return r->batch;
    case CNN_RECIPE_LR: return r->sgd.lr;
    case CNN_RECIPE_MOMENTUM: return r->sgd.momentum;
    case CNN_RECIPE_WEIGHT_DECAY: return r->sgd.weight_decay;
    case CNN_RECIPE_BETA1: return r->sgd.beta1;
    case CNN_RECIPE_BETA2: return r->sgd.beta2;
    case CNN_RECIPE_EPS: return r->sgd.eps;
    case CNN_RECIPE_WARMUP: return r->sgd.warmup;
    case CNN_RECIPE_STEP_EVERY: return r->sgd.step_every;
    case CNN_RECIPE_GAMMA: return r->sgd.gamma;
    case CNN_RECIPE_SHIFT: return r->shift;
    case CNN_RECIPE_FLIP: return r->flip;
    case CNN_RECIPE_RESIZE: return r->resize;
    case CNN_RECIPE_FIELDS: break; /* the count, not a field */
    }
    return NAN;
}

void cnn_recipe_set(cnn_recipe *r, cnn_recipe_field f, double v)
{
    switch (f) {
    case CNN_RECIPE_EPOCHS: r->epochs = (int)v; break;
    case CNN_RECIPE_BATCH: r->batch = (int)v; break;
    case CNN_RECIPE_LR: r->sgd.lr = (float)v; break;
    case CNN_RECIPE_MOMENTUM: r->sgd.momentum = (float)v; break;
    case CNN_RECIPE_WEIGHT_DECAY: r->sgd.weight_decay = (float)v; break;
    case CNN_RECIPE_BETA1: r->sgd.beta1 = (float)v; break;
    case CNN_RECIPE_BETA2: r->sgd.beta2 = (float)v; break;
    case CNN_RECIPE_EPS: r->sgd.eps = (float)v; break;
    case CNN_RECIPE_WARMUP: r->sgd.warmup = (int)v; break;
    case CNN_RECIPE_STEP_EVERY: r->sgd.step_every = (int)v; break;
    case CNN_RECIPE_GAMMA: r->sgd.gamma = (float)v; break;
    case CNN_RECIPE_SHIFT: r->shift = (int)v; break;
    case CNN_RECIPE_FLIP: r->flip = (int)v; break;
    case CNN_RECIPE_RESIZE: r->resize = (int)v; break;
    case CNN_RECIPE_FIELDS: break; /* the count, not a field */
    }
}

/* Compared as the field stores it: momentum=0.999 is kept as the float
 * 0.99900001, which must pass when a model is read back. */
int cnn_recipe_in_range(cnn_recipe_field f, double v)
{
    const cnn_recipe_limit *L = &cnn_recipe_limits[f];
    double lo = L->whole ? L->lo : (float)L->lo, hi = L->whole ? L->hi : (float)L->hi;
    return v >= lo && v <= hi; /* false for NaN */
}

int cnn_recipe_check(const cnn_recipe *r, const char *source, char *err)
{
    for (int f = 0; f < CNN_RECIPE_FIELDS; f++) {
        const cnn_recipe_limit *L = &cnn_recipe_limits[f];
        double v = cnn_recipe_get(r, (cnn_recipe_field)f);
        if (!cnn_recipe_in_range((cnn_recipe_field)f, v)) {
            snprintf(err, CNN_ERR_LEN,
                     L->whole ? "%s: %s=%.0f is out of range (%g to %g)"
                              : "%s: %s=%g is out of range (%g to %g)",
                     source, L->name, v, L->lo, L->hi);
            return -1;
        }
    }
    if ((unsigned)r->schedule > CNN_SCHEDULE_STEP) {
        snprintf(err, CNN_ERR_LEN, "%s: schedule %d is not constant, cosine or step", source,
                 (int)r->schedule);
        return -1;
    }
    if ((unsigned)r->sgd.kind > CNN_OPT_ADAMW) {
        snprintf(err, CNN_ERR_LEN, "%s: optimizer %d is not sgd, nesterov, adam or adamw", source,
                 (int)r->sgd.kind);
        return -1;
    }
    return 0;
}
