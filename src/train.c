/* train.c: mini-batch SGD, parallel over fixed shards of each batch.
 *
 * A batch of n images is cut into shards of ceil(n / 8) images, at most
 * SHARD_CAP unless that would make more than MAX_SHARDS; the cut depends on n
 * alone, never on the thread count. Threads take shards as they come, each
 * shard running forward and backward, CHUNK images at a time, in its thread's
 * own workspace and writing (then adding) its gradient into its own block. The
 * blocks are then summed in shard order, element by element, so the result is
 * bit-identical with any number of threads. OpenBLAS runs single-threaded
 * inside. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "layers.h"
#include "profile.h"

#define MAX_SHARDS 32
#define SHARD_CAP 32
/* Below this many parameters the reduction is cheaper than waking threads. */
#define PARALLEL_UPDATE_MIN 65536
#define REDUCE_CHUNK 4096
/* Images a workspace holds: a shard runs through it in chunks of this many,
 * which keeps each layer's buffers in a core's cache. */
#define CHUNK 8

struct cnn_trainer {
    cnn_net *net;
    int max_batch, threads;
    workspace *ws;                  /* one per thread */
    float *grads[MAX_SHARDS];       /* one gradient block per shard */
    float *velocity;                /* momentum, n_params */
    int last_bad;                   /* first non-finite layer of the last pass */
    int profiling;
    cnn_profile *prof;              /* one per thread */
    double shard_loss[MAX_SHARDS];
    int shard_correct[MAX_SHARDS];
    int shard_bad[MAX_SHARDS];      /* first non-finite layer, when the loss is */
};

/* All cores, or OMP_NUM_THREADS: read once, before OpenBLAS's OpenMP build
 * (whose openblas_set_num_threads also sets OpenMP's default) changes it. */
static int default_threads(void)
{
    static int n;
    if (!n) n = omp_get_max_threads();
    return n;
}

/* Denormal floats take ~100x longer per operation on x86. Momentum decays
 * unused weights' velocities into that range within a few hundred steps, so
 * every thread that computes flushes them to zero (MXCSR FTZ and DAZ). The
 * setting is per thread, the same in all of them, so results stay
 * independent of the thread count. */
static inline void flush_denormals(void)
{
#if defined(__SSE__)
    _mm_setcsr(_mm_getcsr() | 0x8040);
#endif
}

static int shard_len(int n)
{
    int len = (n + 7) / 8;
    if (len > SHARD_CAP) len = SHARD_CAP;
    if ((n + len - 1) / len > MAX_SHARDS) len = (n + MAX_SHARDS - 1) / MAX_SHARDS;
    return len;
}

static int shard_count(int n) { return (n + shard_len(n) - 1) / shard_len(n); }

void cnn_trainer_free(cnn_trainer *t)
{
    if (!t) return;
    for (int i = 0; t->ws && i < t->threads; i++) workspace_free(&t->ws[i]);
    free(t->ws);
    for (int s = 0; s < MAX_SHARDS; s++) free(t->grads[s]);
    free(t->velocity);
    free(t->prof);
    free(t);
}

cnn_trainer *cnn_trainer_new(cnn_net *net, int max_batch, int threads, char *err)
{
    if (max_batch < 1 || threads < 0) {
        snprintf(err, CNN_ERR_LEN, "trainer: batch must be at least 1 and threads at least 0");
        return NULL;
    }
    cnn_trainer *t = calloc(1, sizeof *t);
    if (!t) goto oom;
    t->net = net;
    t->max_batch = max_batch;
    t->threads = threads ? threads : default_threads();
    /* Threads come from OpenMP; BLAS stays single-threaded inside them. */
    openblas_set_num_threads(1);
    if (t->threads > MAX_SHARDS) t->threads = MAX_SHARDS;   /* more would idle */
    t->ws = calloc((size_t)t->threads, sizeof *t->ws);
    t->prof = calloc((size_t)t->threads, sizeof *t->prof);
    if (!t->ws || !t->prof) goto oom;
    for (int i = 0; i < t->threads; i++)
        if (workspace_alloc(&t->ws[i], net, shard_len(max_batch) < CHUNK ? shard_len(max_batch)
                                                                          : CHUNK))
            goto oom;
    /* a smaller batch can cut into more shards (16 images: 8 of 2; 17: 6 of 3) */
    int shards = 0;
    for (int n = 1; n <= max_batch; n++)
        if (shard_count(n) > shards) shards = shard_count(n);
    for (int s = 0; s < shards; s++)
        if (!(t->grads[s] = aligned_calloc(net->n_params, sizeof(float)))) goto oom;
    if (!(t->velocity = aligned_calloc(net->n_params, sizeof(float)))) goto oom;
    /* OpenBLAS maps its buffers when the threads first run; check the room
     * now, leaving some for a batch, the model being saved and the like.
     * Unasked, as many threads as fit: the result is the same with any. */
    size_t extra = sizeof(float) * (2 * net->n_params + (size_t)max_batch *
                                    cnn_shape_size(net->input)) + ((size_t)16 << 20);
    int fit = t->threads;
    if (blas_check_room(&fit, threads == 0, extra, err)) {
        cnn_trainer_free(t);
        return NULL;
    }
    while (t->threads > fit) workspace_free(&t->ws[--t->threads]);
    return t;
oom:
    snprintf(err, CNN_ERR_LEN, "trainer: out of memory for batch %d", max_batch);
    cnn_trainer_free(t);
    return NULL;
}

int cnn_trainer_threads(const cnn_trainer *t) { return t->threads; }
int cnn_trainer_nonfinite_layer(const cnn_trainer *t) { return t->last_bad; }
int cnn_trainer_max_batch(const cnn_trainer *t) { return t->max_batch; }
const cnn_net *cnn_trainer_net(const cnn_trainer *t) { return t->net; }
float *cnn_trainer_velocity(cnn_trainer *t) { return t->velocity; }

/* Forward (and, with grads, backward) of every shard of the batch; the
 * gradients end up summed in t->grads[0]. Returns the summed loss. */
static double run_shards(cnn_trainer *t, const float *x, const uint8_t *labels, int n,
                         int want_grad, float *out, int *correct)
{
    const cnn_net *net = t->net;
    int len = shard_len(n), shards = shard_count(n);
    size_t in_size = cnn_shape_size(net->input), P = net->n_params;
    float scale = 1.0f / (float)n;   /* the mean over the whole batch */

    #pragma omp parallel num_threads(t->threads < shards ? t->threads : shards)
    {
        flush_denormals();
        prof_current = t->profiling ? &t->prof[omp_get_thread_num()] : NULL;
        #pragma omp for schedule(dynamic, 1)
        for (int s = 0; s < shards; s++) {
            workspace *ws = &t->ws[omp_get_thread_num()];
            int end = (s + 1) * len < n ? (s + 1) * len : n;
            t->shard_loss[s] = 0.0;
            t->shard_correct[s] = 0;
            t->shard_bad[s] = -1;
            /* the shard in chunks that fit the workspace, in a fixed order */
            for (int first = s * len; first < end; first += CHUNK) {
                int m = end - first < CHUNK ? end - first : CHUNK;
                const float *xs = x + (size_t)first * in_size;
                const uint8_t *ls = labels ? labels + first : NULL;
                double loss;
                net_forward(ws, net, net->params, xs, m);
                if (want_grad) {
                    loss = net_backward(ws, net, net->params, t->grads[s], NULL, xs, ls, m,
                                        scale, first > s * len, &t->shard_correct[s]);
                } else {
                    /* the loss's gradient goes to scratch; only its value is used */
                    loss = loss_forward_backward(
                        ws->d[0], ws->probs, ws->act[net->n_layers - 1], ls, m,
                        net->classes, net->loss, net->layers[net->n_layers - 1].act, scale);
                    if (ls) t->shard_correct[s] += count_correct(ws->probs, ls, m, net->classes);
                }
                t->shard_loss[s] += loss;
                if (!isfinite(loss) && t->shard_bad[s] < 0)
                    t->shard_bad[s] = net_first_nonfinite_output(ws, net, m);
                if (out)
                    memcpy(out + (size_t)first * net->classes, ws->probs,
                           sizeof(float) * m * net->classes);
            }
        }
        PROF_START();
        if (want_grad && shards > 1) {
            /* each element is g0 + g1 + g2 + ... in shard order; chunks of
             * parameters go to threads, and vectorise within a chunk */
            long chunks = (long)((P + REDUCE_CHUNK - 1) / REDUCE_CHUNK);
            #pragma omp for schedule(static) nowait
            for (long c = 0; c < chunks; c++) {
                size_t lo = (size_t)c * REDUCE_CHUNK, hi = lo + REDUCE_CHUNK < P ? lo + REDUCE_CHUNK : P;
                float *restrict g0 = t->grads[0];
                for (int s = 1; s < shards; s++) {
                    const float *restrict gs = t->grads[s];
                    for (size_t i = lo; i < hi; i++) g0[i] += gs[i];
                }
            }
        }
        PROF_ADD(CNN_PHASE_REDUCE);
        prof_current = NULL;
    }
    double loss = 0.0;
    t->last_bad = -1;
    for (int s = 0; s < shards; s++) {
        if (t->shard_bad[s] >= 0 && (t->last_bad < 0 || t->shard_bad[s] < t->last_bad))
            t->last_bad = t->shard_bad[s];
        loss += t->shard_loss[s];
        if (correct) *correct += t->shard_correct[s];
    }
    return loss;
}

double cnn_gradient(cnn_trainer *t, const float *x, const uint8_t *labels, int n,
                   const float **grad)
{
    double loss = run_shards(t, x, labels, n, 1, NULL, NULL);
    *grad = t->grads[0];
    return loss / n;
}

double cnn_train_step(cnn_trainer *t, const float *x, const uint8_t *labels,
                     int n, const cnn_sgd *sgd, int *correct)
{
    cnn_net *net = t->net;
    double loss = run_shards(t, x, labels, n, 1, NULL, correct);
    const float *g = t->grads[0];
    float *theta = net->params, *v = t->velocity;
    float lr = sgd->lr, mu = sgd->momentum, wd = sgd->weight_decay;
    long P = (long)net->n_params;
    prof_current = t->profiling ? &t->prof[0] : NULL;
    PROF_START();
    /* v <- mu v + (g + wd theta); theta <- theta - lr v  (PyTorch's SGD) */
    #pragma omp parallel num_threads(t->threads) if (P >= PARALLEL_UPDATE_MIN)
    {
        flush_denormals();
        #pragma omp for schedule(static)
        for (long i = 0; i < P; i++) {
            float gi = g[i] + wd * theta[i];
            if (mu != 0.0f) gi = v[i] = mu * v[i] + gi;
            theta[i] -= lr * gi;
        }
    }
    PROF_ADD(CNN_PHASE_UPDATE);
    if (prof_current) prof_current->steps++;
    prof_current = NULL;
    return loss / n;
}

_Thread_local cnn_profile *prof_current;

const char *const cnn_phase_names[CNN_PHASES] = {
    "im2col", "sgemm", "pooling", "bias+activation", "loss", "reduction", "update"
};

void cnn_trainer_profile(cnn_trainer *t, int on)
{
    t->profiling = on;
    memset(t->prof, 0, sizeof(cnn_profile) * t->threads);
}

void cnn_trainer_profile_read(const cnn_trainer *t, cnn_profile *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < t->threads; i++) {
        const cnn_profile *p = &t->prof[i];
        for (int l = 0; l < CNN_MAX_LAYERS; l++) {
            out->forward[l] += p->forward[l];
            out->backward[l] += p->backward[l];
        }
        for (int k = 0; k < CNN_PHASES; k++) out->phase[k] += p->phase[k];
        out->steps += p->steps;
    }
}

double cnn_infer(cnn_trainer *t, const float *x, const uint8_t *labels, int n,
                 float *out, int *correct)
{
    return run_shards(t, x, labels, n, 0, out, correct);
}
