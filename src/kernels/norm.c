/* norm.c: batch normalisation of one chunk, per channel: a convolution's
 * output has C planes of H*W values an image, a dense layer's C units of
 * one. In training each channel is normalised by the chunk's own mean and
 * variance, which the caller keeps (for the running statistics and for
 * backward); in inference by the running statistics. Sums run in a fixed
 * order (plane_sum), so the bits depend on the chunk alone. */
#include "kernels/kernels.h"
#include "kernels/profile.h"

/* Value k of channel c's plane in image i. */
static size_t at(const cnn_layer *L, int i, int c, size_t k)
{
    size_t plane = (size_t)L->out.h * L->out.w;
    return ((size_t)i * L->out.c + c) * plane + k;
}

/* Sums over one plane in LANES interleaved float sums, then the lanes and
 * the tail in order, in double: a fixed order (the same bits under every
 * clone) that the compiler vectorises, where one running sum would be a
 * chain of dependent additions. The planes' sums add up in double. */
#define LANES 16

/* Sum of x. */
VECTOR_CLONES static double plane_sum(const float *x, size_t len)
{
    float lane[LANES] = { 0 };
    size_t k = 0;
    for (; k + LANES <= len; k += LANES)
        for (int j = 0; j < LANES; j++) lane[j] += x[k + j];
    double sum = 0.0;
    for (int j = 0; j < LANES; j++) sum += lane[j];
    for (; k < len; k++) sum += x[k];
    return sum;
}

/* Sum of (x - mean)^2. */
VECTOR_CLONES static double plane_squares(const float *x, float mean, size_t len)
{
    float lane[LANES] = { 0 };
    size_t k = 0;
    for (; k + LANES <= len; k += LANES)
        for (int j = 0; j < LANES; j++) lane[j] += (x[k + j] - mean) * (x[k + j] - mean);
    double sum = 0.0;
    for (int j = 0; j < LANES; j++) sum += lane[j];
    for (; k < len; k++) sum += (double)(x[k] - mean) * (x[k] - mean);
    return sum;
}

/* Sum of dz (x - mean) is, that is of dz times x^. */
VECTOR_CLONES static double plane_dot_xhat(const float *dz, const float *x, float mean, float is,
                                           size_t len)
{
    float lane[LANES] = { 0 };
    size_t k = 0;
    for (; k + LANES <= len; k += LANES)
        for (int j = 0; j < LANES; j++) lane[j] += dz[k + j] * ((x[k + j] - mean) * is);
    double sum = 0.0;
    for (int j = 0; j < LANES; j++) sum += lane[j];
    for (; k < len; k++) sum += (double)dz[k] * ((x[k] - mean) * is);
    return sum;
}

/* The chunk's mean and biased variance of each channel, two passes. */
static void chunk_statistics(float *batch, const layer_pass *p)
{
    const cnn_layer *L = p->L;
    int C = L->out.c;
    size_t plane = (size_t)L->out.h * L->out.w;
    double count = (double)p->n * plane;
    for (int c = 0; c < C; c++) {
        double sum = 0.0, squares = 0.0;
        for (int i = 0; i < p->n; i++) sum += plane_sum(p->in + at(L, i, c, 0), plane);
        float mean = (float)(sum / count);
        for (int i = 0; i < p->n; i++)
            squares += plane_squares(p->in + at(L, i, c, 0), mean, plane);
        batch[c] = mean;
        batch[C + c] = (float)(squares / count);
    }
}

/* One channel's normalisation, y = (x - mean) scale + shift with x^ = (x -
 * mean) inv_std, and in backward the means of dz and of dz x^ over the
 * values normalised together (0 for running statistics). */
typedef struct {
    float mean, inv_std, scale, shift;
    float mean_dz, mean_dz_xhat;
} channel_terms;

VECTOR_CLONES static void plane_normalise(float *restrict y, const float *restrict x,
                                          const channel_terms *t, size_t len)
{
    for (size_t k = 0; k < len; k++) y[k] = (x[k] - t->mean) * t->scale + t->shift;
}

/* din = scale (dz - mean_dz - x^ mean_dz_xhat). */
VECTOR_CLONES static void plane_input_grad(float *restrict din, const float *restrict dz,
                                           const float *restrict x, const channel_terms *t,
                                           size_t len)
{
    for (size_t k = 0; k < len; k++)
        din[k] = t->scale * (dz[k] - t->mean_dz - (x[k] - t->mean) * t->inv_std * t->mean_dz_xhat);
}

void batchnorm_forward(const layer_pass *p, const float *params, const batchnorm_stats *st)
{
    const cnn_layer *L = p->L;
    int C = L->out.c;
    size_t plane = (size_t)L->out.h * L->out.w;
    prof_clock clock = prof_start(p->site.prof);
    if (st->batch) chunk_statistics(st->batch, p);
    const float *use = st->batch ? st->batch : st->running;
    const float *gamma = params + L->w_off, *beta = params + L->b_off;
    for (int c = 0; c < C; c++) {
        float is = batchnorm_inv_std(use[C + c]);
        channel_terms t = {
            .mean = use[c], .inv_std = is, .scale = gamma[c] * is, .shift = beta[c]
        };
        for (int i = 0; i < p->n; i++)
            plane_normalise(p->out + at(L, i, c, 0), p->in + at(L, i, c, 0), &t, plane);
    }
    prof_lap(&clock, CNN_PHASE_NORM);
    act_forward(p->out, (size_t)p->n * cnn_shape_size(L->out), L->act);
    prof_lap(&clock, CNN_PHASE_ACT);
}

/* With x^ = (x - mean) / std and y = gamma x^ + beta, per channel over the
 * N values normalised together: dgamma = sum dz x^, dbeta = sum dz, and
 * dx = gamma / std (dz - dbeta / N - x^ dgamma / N) when the mean and
 * variance are the chunk's (they depend on x), gamma / std dz when they are
 * the running statistics (constants). */
void batchnorm_backward(const layer_pass *p, const float *params, const batchnorm_stats *st,
                        const layer_grads *g, cnn_act act)
{
    const cnn_layer *L = p->L;
    int C = L->out.c;
    size_t plane = (size_t)L->out.h * L->out.w;
    prof_clock clock = prof_start(p->site.prof);
    act_backward(g->dout, p->out, (size_t)p->n * cnn_shape_size(L->out), act);
    prof_lap(&clock, CNN_PHASE_ACT);
    const float *use = st->batch ? st->batch : st->running;
    const float *gamma = params + L->w_off;
    double count = (double)p->n * plane;
    for (int c = 0; c < C; c++) {
        float mean = use[c], is = batchnorm_inv_std(use[C + c]);
        double sum_dz = 0.0, sum_dz_xhat = 0.0;
        for (int i = 0; i < p->n; i++) {
            size_t e = at(L, i, c, 0);
            sum_dz += plane_sum(g->dout + e, plane);
            sum_dz_xhat += plane_dot_xhat(g->dout + e, p->in + e, mean, is, plane);
        }
        float *dgamma = g->grad + L->w_off + c, *dbeta = g->grad + L->b_off + c;
        *dgamma = (g->mode == GRAD_ADD ? *dgamma : 0.0f) + (float)sum_dz_xhat;
        *dbeta = (g->mode == GRAD_ADD ? *dbeta : 0.0f) + (float)sum_dz;
        if (!g->din) continue;
        channel_terms t = { .mean = mean,
                            .inv_std = is,
                            .scale = gamma[c] * is,
                            .mean_dz = st->batch ? (float)(sum_dz / count) : 0.0f,
                            .mean_dz_xhat = st->batch ? (float)(sum_dz_xhat / count) : 0.0f };
        for (int i = 0; i < p->n; i++) {
            size_t e = at(L, i, c, 0);
            plane_input_grad(g->din + e, g->dout + e, p->in + e, &t, plane);
        }
    }
    prof_lap(&clock, CNN_PHASE_NORM);
}

/* Chan, Golub and LeVeque's pairwise update: (count, mean, M2) of the
 * values seen so far, joined with a part of `count` values. */
void batchnorm_merge(batchnorm_sums *s, const float *part, double count, int C)
{
    double total = s->count + count;
    for (int c = 0; c < C; c++) {
        double delta = part[c] - s->mean[c];
        s->mean[c] += delta * count / total;
        s->m2[c] += (double)part[C + c] * count + delta * delta * s->count * count / total;
    }
    s->count = total;
}

void batchnorm_update_running(float *running, const batchnorm_sums *s, int C)
{
    for (int c = 0; c < C; c++) {
        float mean = (float)s->mean[c];
        float var = s->count > 1 ? (float)(s->m2[c] / (s->count - 1)) : 0.0f;
        running[c] = (1.0f - BATCHNORM_MOMENTUM) * running[c] + BATCHNORM_MOMENTUM * mean;
        running[C + c] = (1.0f - BATCHNORM_MOMENTUM) * running[C + c] + BATCHNORM_MOMENTUM * var;
    }
}
