/* test_optim.c: each optimiser's update, 100 steps on a fixed sequence of
 * gradients, against a double-precision transcription of PyTorch's
 * documented algorithm (torch.optim.SGD, Adam, AdamW), with and without
 * weight decay. The transcription follows the documentation's pseudocode,
 * not the engine's arrangement of it (AdamW decays before the moments;
 * Adam's bias corrections divide m and v). */
#define _DEFAULT_SOURCE /* M_PI */
#include <stdint.h>
#include "check.h"
#include "net/net.h"

#define P     97
#define STEPS 100

/* The gradient of step k: smooth, of both signs, some near zero, the first
 * parameter's always zero (Adam then divides 0 by eps). */
static float gradient(int k, int i)
{
    if (i == 0) return 0.0f;
    return (float)(sin(0.37 * k + 1.3 * i) * (1.0 + i % 3) + 0.1 * cos(0.11 * k * i));
}

/* PyTorch's pseudocode in double. */
static void reference(const cnn_sgd *o, double *theta)
{
    double b[P] = { 0 }, m[P] = { 0 }, v[P] = { 0 };
    double lr = o->lr, wd = o->weight_decay, mu = o->momentum;
    double b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    for (int t = 1; t <= STEPS; t++)
        for (int i = 0; i < P; i++) {
            double g = gradient(t - 1, i);
            switch (o->kind) {
            case CNN_OPT_SGD:
            case CNN_OPT_NESTEROV:
                if (wd != 0) g = g + wd * theta[i];
                if (mu != 0) {
                    b[i] = t > 1 ? mu * b[i] + g : g;
                    g = o->kind == CNN_OPT_NESTEROV ? g + mu * b[i] : b[i];
                }
                theta[i] = theta[i] - lr * g;
                break;
            case CNN_OPT_ADAM:
            case CNN_OPT_ADAMW:
                if (o->kind == CNN_OPT_ADAMW) theta[i] = theta[i] - lr * wd * theta[i];
                else if (wd != 0) g = g + wd * theta[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mhat = m[i] / (1 - pow(b1, t)), vhat = v[i] / (1 - pow(b2, t));
                theta[i] = theta[i] - lr * mhat / (sqrt(vhat) + eps);
                break;
            }
        }
}

static void check_optimizer(cnn_optimizer kind, float lr, float wd)
{
    cnn_sgd o = { .lr = lr,
                  .momentum = 0.9f,
                  .weight_decay = wd,
                  .beta1 = 0.9f,
                  .beta2 = 0.999f,
                  .eps = 1e-8f,
                  .kind = kind };
    float theta[P], grad[P], m[P] = { 0 }, v[P] = { 0 };
    double want[P];
    for (int i = 0; i < P; i++) want[i] = theta[i] = (float)(1.0 + 0.5 * sin(i));
    reference(&o, want);
    optim_block b = { .theta = theta, .grad = grad, .m = m, .v = v };
    for (int k = 0; k < STEPS; k++) {
        for (int i = 0; i < P; i++) grad[i] = gradient(k, i);
        /* in two pieces, as threads would split it */
        optim_update(&o, (uint64_t)k + 1, &b, 0, P / 2);
        optim_update(&o, (uint64_t)k + 1, &b, P / 2, P);
    }
    double worst = 0, moved = 0;
    for (int i = 0; i < P; i++) {
        double rel = fabs(theta[i] - want[i]) / fabs(want[i]);
        if (!(rel <= worst)) worst = rel;
        moved += fabs(want[i] - (1.0 + 0.5 * sin(i)));
    }
    printf("%-8s weight decay %-5g: largest relative difference %.3g, mean move %.3g\n",
           cnn_optimizer_name(kind), wd, worst, moved / P);
    if (!(worst <= 1e-6))
        FAIL("%s, weight decay %g: parameters differ from PyTorch's by %.3g relative",
             cnn_optimizer_name(kind), wd, worst);
    CHECK(moved / P > 0.01); /* the steps did move the parameters */
}

/* The rate of every epoch: warm-up, then each schedule. */
static void check_schedules(void)
{
    cnn_sgd o = { .lr = 0.9f, .warmup = 2, .step_every = 3, .gamma = 0.5f };
    const double step[10] = { 0.3, 0.6, 0.9, 0.9, 0.9, 0.45, 0.45, 0.45, 0.225, 0.225 };
    for (int e = 0; e < 10; e++) {
        double cosine = e < 2 ? 0.3 * (e + 1) : 0.45 * (1 + cos(M_PI * (e - 2) / 8));
        CHECK_NEAR(cnn_schedule_lr(CNN_SCHEDULE_STEP, &o, e, 10), step[e], 1e-6);
        CHECK_NEAR(cnn_schedule_lr(CNN_SCHEDULE_COSINE, &o, e, 10), cosine, 1e-6);
        CHECK_NEAR(cnn_schedule_lr(CNN_SCHEDULE_CONSTANT, &o, e, 10), e < 2 ? 0.3 * (e + 1) : 0.9,
                   1e-6);
    }
    o.warmup = 0;
    CHECK_NEAR(cnn_schedule_lr(CNN_SCHEDULE_COSINE, &o, 0, 10), 0.9, 1e-7);
    CHECK_NEAR(cnn_schedule_lr(CNN_SCHEDULE_COSINE, &o, 5, 10), 0.45, 1e-7);
    printf("schedules: warm-up, constant, cosine and step give the expected rates\n");
}

int main(void)
{
    check_schedules();
    for (int k = CNN_OPT_SGD; k <= CNN_OPT_ADAMW; k++) {
        float lr = k == CNN_OPT_SGD || k == CNN_OPT_NESTEROV ? 0.002f : 0.005f;
        check_optimizer((cnn_optimizer)k, lr, 0.0f);
        check_optimizer((cnn_optimizer)k, lr, 0.05f);
    }
    return 0;
}
