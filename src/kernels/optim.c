/* optim.c: the optimisers' update of a range of parameters, each line the
 * formula of PyTorch's documentation (torch.optim.SGD, Adam, AdamW). The
 * update is element by element, so any split of the range over threads
 * gives the same bits. */
#include <math.h>
#include <string.h>
#include "kernels/kernels.h"

static const char *const optimizer_names[] = { "sgd", "nesterov", "adam", "adamw" };

const char *cnn_optimizer_name(cnn_optimizer k) { return optimizer_names[k]; }

int cnn_optimizer_parse(const char *name)
{
    for (int k = 0; k <= CNN_OPT_ADAMW; k++)
        if (!strcmp(name, optimizer_names[k])) return k;
    return -1;
}

void optim_update(const cnn_sgd *o, uint64_t step, const optim_block *b, size_t lo, size_t hi)
{
    float lr = o->lr, wd = o->weight_decay;
    float *restrict theta = b->theta, *restrict m = b->m, *restrict v = b->v;
    const float *restrict g = b->grad;
    if (o->kind == CNN_OPT_SGD || o->kind == CNN_OPT_NESTEROV) {
        /* d = g + wd theta; b = mu b + d; d = nesterov ? d + mu b : b;
         * theta -= lr d */
        float mu = o->momentum;
        int nesterov = o->kind == CNN_OPT_NESTEROV;
        for (size_t i = lo; i < hi; i++) {
            float d = g[i] + wd * theta[i];
            if (mu != 0.0f) {
                m[i] = mu * m[i] + d;
                d = nesterov ? d + mu * m[i] : m[i];
            }
            theta[i] -= lr * d;
        }
        return;
    }
    /* Adam: d = g + wd theta (AdamW: theta -= lr wd theta; d = g);
     * m = b1 m + (1-b1) d; v = b2 v + (1-b2) d^2;
     * theta -= lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps) */
    float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    double t = (double)step;
    float step_size = (float)(lr / (1.0 - pow(b1, t)));
    float root_bc2 = (float)sqrt(1.0 - pow(b2, t));
    /* theta -= (lr wd) theta rather than theta *= 1 - lr wd, whose rounded
     * factor would bias every step alike; folded into the step's one
     * subtraction (the moments do not see the decayed theta), so theta is
     * rounded once per step */
    float decay = o->kind == CNN_OPT_ADAMW ? lr * wd : 0.0f;
    float l2 = o->kind == CNN_OPT_ADAM ? wd : 0.0f;
    for (size_t i = lo; i < hi; i++) {
        float d = g[i] + l2 * theta[i];
        m[i] = b1 * m[i] + (1.0f - b1) * d;
        v[i] = b2 * v[i] + (1.0f - b2) * d * d;
        theta[i] -= decay * theta[i] + step_size * m[i] / (sqrtf(v[i]) / root_bc2 + eps);
    }
}
