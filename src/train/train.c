/* train.c: mini-batch training, parallel over fixed shards of each batch.
 *
 * A batch of n images is cut into shards by shard_len(), a rule of the
 * network and n alone, never of the thread count. Threads take shards as
 * they come, each shard
 * running forward and backward in its thread's own workspace, chunk_len()
 * images at a time, and writing (then adding) its gradient into its own
 * block. The blocks are then summed over a fixed tree (sum_shards), so the
 * result is bit-identical with any number of threads. OpenBLAS runs
 * single-threaded inside. With several processes (dist.h), each runs and
 * sums an aligned block of the tree's leaves, and dist_sum_tree joins the
 * blocks over the same tree: bit-identical with any number of processes. */
#include <math.h>
#include <omp.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dist/dist.h"
#include "kernels/profile.h"
#include "net/net.h"
#include "sys/blas_room.h"

/* The shard rule, a function of the network and n alone. A network with a
 * dense layer whose weights are worth reading once for many rows
 * (WIDE_DENSE_BYTES and more: lenet's fc1 is 1.6 MB) is "wide": its batch is
 * cut into SHARDS_WIDE shards, which run through the workspace in chunks of
 * up to CHUNK_WIDE images, so its dense sgemms get many rows (lenet's fc1:
 * 33 GFLOP/s with 8 rows, 81 with 32; lenet trains 20% faster at batch 64
 * in 2 shards of 32 than in 4 of 16). Other networks are cut into
 * SHARDS_NARROW shards run in chunks of CHUNK_NARROW, which keep their
 * activations in the L1 cache and give threads shards to balance (seed000
 * and seed004 train 15-25% slower in 2 shards of 32). Shards hold at most
 * SHARD_MAX images, unless that would make more than MAX_SHARDS. */
#define WIDE_DENSE_BYTES (256u << 10)
#define SHARDS_WIDE      2
#define CHUNK_WIDE       32
#define SHARDS_NARROW    8
#define CHUNK_NARROW     8
#define SHARD_MAX        32
#define MAX_SHARDS       64
/* Below this many parameters the update is cheaper than waking threads. */
#define PARALLEL_UPDATE_MIN 65536
/* Parameters per piece of the parallel sum of the shards' gradients and of
 * the parallel update. */
#define REDUCE_CHUNK 4096

struct cnn_trainer {
    cnn_net *net;
    int max_batch, threads;
    cnn_dist *dist;           /* the processes sharing the batches, or NULL */
    workspace *ws;            /* one per thread */
    float *grads[MAX_SHARDS]; /* one gradient block per shard this process runs */
    float *velocity;          /* momentum or first moments, n_params */
    float *moment2;           /* Adam's second moments, n_params */
    uint64_t steps;           /* optimiser steps taken */
    uint64_t dropout_key;     /* the next step's dropout masks */
    int last_bad;             /* first non-finite layer of the last pass */
    int profiling;
    cnn_profile *prof; /* one per thread */
    /* batchnorm: each chunk's statistics in the last gradient pass, one row
     * of n_stats a chunk, shard after shard (chunk_row), and room to join
     * them (a layer's mean and M2) */
    float *norm_rows;
    double *norm_sums;
    double shard_loss[MAX_SHARDS];
    int shard_correct[MAX_SHARDS];
    int shard_bad[MAX_SHARDS]; /* first non-finite layer, when the loss is */
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

static int is_wide(const cnn_net *net)
{
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == CNN_DENSE &&
            net->layers[l].n_w * sizeof(float) >= WIDE_DENSE_BYTES)
            return 1;
    return 0;
}

static int shard_len(const cnn_net *net, int n)
{
    int want = is_wide(net) ? SHARDS_WIDE : SHARDS_NARROW;
    int len = (n + want - 1) / want;
    if (len > SHARD_MAX) len = SHARD_MAX;
    if ((n + len - 1) / len > MAX_SHARDS) len = (n + MAX_SHARDS - 1) / MAX_SHARDS;
    return len;
}

static int shard_count(const cnn_net *net, int n)
{
    return (n + shard_len(net, n) - 1) / shard_len(net, n);
}

/* Images a workspace runs at a time, for shards of `shard` images. */
static int chunk_len(const cnn_net *net, int shard)
{
    int chunk = is_wide(net) ? CHUNK_WIDE : CHUNK_NARROW;
    return shard < chunk ? shard : chunk;
}

/* Batch normalisation normalises each chunk by its own statistics (as
 * per-device batch norm does each device's part): a chunk is a fixed set
 * of images, from the network and n alone, so the results are too, and the
 * normalisation needs no pass over the whole batch between layers. Their
 * rows: chunks_per_shard() a shard, shard after shard. */
static int chunks_per_shard(const cnn_net *net, int n)
{
    int len = shard_len(net, n);
    return (len + chunk_len(net, len) - 1) / chunk_len(net, len);
}

static float *chunk_row(const cnn_trainer *t, int n, int shard, int chunk)
{
    return t->norm_rows + (size_t)(shard * chunks_per_shard(t->net, n) + chunk) * t->net->n_stats;
}

void cnn_trainer_free(cnn_trainer *t)
{
    if (!t) return;
    for (int i = 0; t->ws && i < t->threads; i++) workspace_free(&t->ws[i]);
    free(t->ws);
    for (int s = 0; s < MAX_SHARDS; s++) free(t->grads[s]);
    free(t->velocity);
    free(t->moment2);
    free(t->norm_rows);
    free(t->norm_sums);
    free(t->prof);
    free(t);
}

cnn_trainer *cnn_trainer_new(cnn_net *net, int max_batch, int threads, char *err)
{
    return cnn_trainer_new_dist(net, max_batch, threads, NULL, err);
}

cnn_trainer *cnn_trainer_new_dist(cnn_net *net, int max_batch, int threads, cnn_dist *dist,
                                  char *err)
{
    if (max_batch < 1 || threads < 0) {
        snprintf(err, CNN_ERR_LEN, "trainer: batch must be at least 1 and threads at least 0");
        return NULL;
    }
    int procs = dist ? cnn_dist_size(dist) : 1;
    if (procs & (procs - 1)) {
        snprintf(err, CNN_ERR_LEN,
                 "%d processes: training needs a power of two (1, 2, 4, "
                 "8, ...), so that each owns whole subtrees of the gradient sum",
                 procs);
        return NULL;
    }
    cnn_trainer *t = calloc(1, sizeof *t);
    if (!t) goto oom;
    t->net = net;
    t->dist = dist;
    t->max_batch = max_batch;
    t->threads = threads ? threads : default_threads();
    /* Threads come from OpenMP; BLAS stays single-threaded inside them. */
    openblas_set_num_threads(1);
    if (t->threads > MAX_SHARDS) t->threads = MAX_SHARDS; /* more would idle */
    t->ws = calloc((size_t)t->threads, sizeof *t->ws);
    t->prof = calloc((size_t)t->threads, sizeof *t->prof);
    if (!t->ws || !t->prof) goto oom;
    for (int i = 0; i < t->threads; i++)
        if (workspace_alloc(&t->ws[i], net, chunk_len(net, shard_len(net, max_batch)))) goto oom;
    /* a smaller batch can cut into more shards; a process with none of a
     * batch's shards still receives the sum in grads[0] */
    int blocks = 1, max_block = 1, rows = 1, channels = 1;
    for (int n = 1; n <= max_batch; n++) {
        dist_part p = dist_part_of(dist, shard_count(net, n));
        if (p.count > blocks) blocks = p.count;
        if (p.block > max_block) max_block = p.block;
        if (shard_count(net, n) * chunks_per_shard(net, n) > rows)
            rows = shard_count(net, n) * chunks_per_shard(net, n);
    }
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].n_s && net->layers[l].out.c > channels) channels = net->layers[l].out.c;
    if (net->n_stats &&
        (!(t->norm_rows = aligned_calloc((size_t)rows * net->n_stats, sizeof(float))) ||
         !(t->norm_sums = calloc(2 * (size_t)channels, sizeof(double)))))
        goto oom;
    for (int s = 0; s < blocks; s++)
        if (!(t->grads[s] = aligned_calloc(net->n_params, sizeof(float)))) goto oom;
    if (dist && dist_reserve(dist, net->n_params, max_block)) goto oom;
    if (!(t->velocity = aligned_calloc(net->n_params, sizeof(float)))) goto oom;
    if (!(t->moment2 = aligned_calloc(net->n_params, sizeof(float)))) goto oom;
    /* OpenBLAS maps its buffers when the threads first run; check the room
     * now, leaving some for a batch, the model being saved and the like.
     * Unasked, as many threads as fit: the result is the same with any. */
    size_t extra = sizeof(float) *
                       (3 * net->n_params + (size_t)max_batch * cnn_shape_size(net->input)) +
                   ((size_t)16 << 20);
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
float *cnn_trainer_moment2(cnn_trainer *t) { return t->moment2; }
uint64_t cnn_trainer_steps(const cnn_trainer *t) { return t->steps; }
void cnn_trainer_set_steps(cnn_trainer *t, uint64_t steps) { t->steps = steps; }
void cnn_trainer_set_dropout_key(cnn_trainer *t, uint64_t key) { t->dropout_key = key; }
cnn_dist *trainer_dist(const cnn_trainer *t) { return t->dist; }

/* grads[0][lo, hi) = the sum of the shards' blocks over a fixed pairwise
 * tree: neighbours first (0+1, 2+3, ...), then pairs of pairs, a shard with
 * no partner at a level passing up unchanged. The order depends on the
 * shard count alone; any aligned subtree can be summed apart (by another
 * thread or process) and joined later with the same result. */
static void sum_shards(float *const *grads, int shards, size_t lo, size_t hi)
{
    for (int stride = 1; stride < shards; stride *= 2)
        for (int s = 0; s + stride < shards; s += 2 * stride) {
            float *restrict into = grads[s];
            const float *restrict from = grads[s + stride];
            for (size_t i = lo; i < hi; i++) into[i] += from[i];
        }
}

/* Forward (and, with grads, backward) of every shard of the batch; the
 * gradients end up summed in t->grads[0]. Returns the summed loss. With
 * several processes a gradient pass runs this process's shards, then joins
 * the others' (the loss, correct counts and non-finite layers of every
 * shard come along); inference runs every shard here. */
static double run_shards(cnn_trainer *t, const float *x, const uint8_t *labels, int n,
                         int want_grad, float *out, int *correct)
{
    /* training drops with the step's key, keyed again by each image's place */
    dropout_draw draw = { want_grad, t->dropout_key, 0 };
    const cnn_net *net = t->net;
    int len = shard_len(net, n), shards = shard_count(net, n), chunk = chunk_len(net, len);
    size_t in_size = cnn_shape_size(net->input), P = net->n_params;
    float scale = 1.0f / (float)n; /* the mean over the whole batch */
    dist_part part = want_grad ? dist_part_of(t->dist, shards)
                               : (dist_part){ 0, shards, shards, 1 };
    int team = t->threads < part.count ? t->threads : part.count > 0 ? part.count : 1;

#pragma omp parallel num_threads(team)
    {
        flush_denormals();
        workspace *ws = &t->ws[omp_get_thread_num()];
        ws->prof = t->profiling ? &t->prof[omp_get_thread_num()] : NULL;
#pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < part.count; i++) {
            int s = part.first + i; /* the shard; i, its gradient block here */
            int end = (s + 1) * len < n ? (s + 1) * len : n;
            t->shard_loss[s] = 0.0;
            t->shard_correct[s] = 0;
            t->shard_bad[s] = -1;
            /* the shard in chunks that fit the workspace, in a fixed order */
            for (int first = s * len; first < end; first += chunk) {
                int m = end - first < chunk ? end - first : chunk;
                const float *xs = x + (size_t)first * in_size;
                const uint8_t *ls = labels ? labels + first : NULL;
                ws->dropout = draw;
                ws->dropout.first = first;
                ws->norm_stats = want_grad && net->n_stats
                                     ? chunk_row(t, n, s, (first - s * len) / chunk)
                                     : NULL;
                net_forward(ws, net, net->params, xs, m);
                /* without a gradient wanted, only the loss's value is used */
                double loss = net_loss(ws, net, &(loss_batch){ ls, m, scale },
                                       &t->shard_correct[s]);
                if (want_grad)
                    net_backward(ws, net, net->params,
                                 &(grad_target){ t->grads[i],
                                                 first > s * len ? GRAD_ADD : GRAD_WRITE, NULL },
                                 m);
                t->shard_loss[s] += loss;
                if (!isfinite(loss) && t->shard_bad[s] < 0)
                    t->shard_bad[s] = net_first_nonfinite_output(ws, net, m);
                if (out)
                    memcpy(out + (size_t)first * net->classes, ws->probs,
                           sizeof(float) * m * net->classes);
            }
        }
        prof_clock clock = prof_start(ws->prof);
        if (want_grad && part.count > 1) {
            /* pieces of the parameters go to threads, and vectorise within a
             * piece; this process's blocks are an aligned subtree */
            long pieces = (long)((P + REDUCE_CHUNK - 1) / REDUCE_CHUNK);
#pragma omp for schedule(static) nowait
            for (long c = 0; c < pieces; c++) {
                size_t lo = (size_t)c * REDUCE_CHUNK;
                sum_shards(t->grads, part.count, lo, lo + REDUCE_CHUNK < P ? lo + REDUCE_CHUNK : P);
            }
        }
        prof_lap(&clock, CNN_PHASE_REDUCE);
    }
    if (want_grad && t->dist) {
        dist_sum_tree(t->dist, t->grads[0], P, part.holders);
        dist_share_shards(t->dist, &part, shards, t->shard_loss, t->shard_correct, t->shard_bad);
        if (net->n_stats)
            dist_share_rows(t->dist, &part, shards, t->norm_rows,
                            (size_t)chunks_per_shard(net, n) * net->n_stats);
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

/* After a training step: each batchnorm layer's running statistics take a
 * momentum step towards the whole batch's, joined from its chunks' in the
 * batch's order. */
static void update_running_stats(cnn_trainer *t, int n)
{
    cnn_net *net = t->net;
    int len = shard_len(net, n), shards = shard_count(net, n), chunk = chunk_len(net, len);
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        if (!L->n_s) continue;
        int C = L->out.c;
        batchnorm_sums sums = { 0.0, t->norm_sums, t->norm_sums + C };
        memset(t->norm_sums, 0, 2 * sizeof(double) * C);
        for (int s = 0; s < shards; s++) {
            int end = (s + 1) * len < n ? (s + 1) * len : n;
            for (int first = s * len; first < end; first += chunk) {
                int m = end - first < chunk ? end - first : chunk;
                batchnorm_merge(&sums, chunk_row(t, n, s, (first - s * len) / chunk) + L->s_off,
                                (double)m * L->out.h * L->out.w, C);
            }
        }
        batchnorm_update_running(net->stats + L->s_off, &sums, C);
    }
}

double cnn_train_step(cnn_trainer *t, const float *x, const uint8_t *labels, int n,
                      const cnn_sgd *sgd, int *correct)
{
    cnn_net *net = t->net;
    double loss = run_shards(t, x, labels, n, 1, NULL, correct);
    optim_block b = {
        .theta = net->params, .grad = t->grads[0], .m = t->velocity, .v = t->moment2
    };
    size_t P = net->n_params;
    long pieces = (long)((P + REDUCE_CHUNK - 1) / REDUCE_CHUNK);
    uint64_t step = ++t->steps;
    prof_clock clock = prof_start(t->profiling ? &t->prof[0] : NULL);
#pragma omp parallel num_threads(t->threads) if (P >= PARALLEL_UPDATE_MIN)
    {
        flush_denormals();
#pragma omp for schedule(static)
        for (long c = 0; c < pieces; c++) {
            size_t lo = (size_t)c * REDUCE_CHUNK;
            optim_update(sgd, step, &b, lo, lo + REDUCE_CHUNK < P ? lo + REDUCE_CHUNK : P);
        }
    }
    update_running_stats(t, n);
    prof_lap(&clock, CNN_PHASE_UPDATE);
    if (clock.prof) clock.prof->steps++;
    return loss / n;
}

const char *const cnn_phase_names[CNN_PHASES] = { "im2col",          "sgemm",     "pooling",
                                                  "bias+activation", "batchnorm", "loss",
                                                  "reduction",       "update" };

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
        for (int l = 0; l < CNN_MAX_LAYERS; l++)
            for (int k = 0; k < CNN_GEMM_KINDS; k++) {
                const cnn_gemm_stat *g = &p->gemm[l][k];
                cnn_gemm_stat *sum = &out->gemm[l][k];
                if ((double)g->m * g->n * g->k > (double)sum->m * sum->n * sum->k)
                    *sum = (cnn_gemm_stat){ g->m,       g->n,       g->k,       g->trans_a,
                                            g->trans_b, sum->calls, sum->flops, sum->seconds };
                sum->calls += g->calls;
                sum->flops += g->flops;
                sum->seconds += g->seconds;
            }
        out->steps += p->steps;
    }
}

double cnn_infer(cnn_trainer *t, const float *x, const uint8_t *labels, int n, float *out,
                 int *correct)
{
    return run_shards(t, x, labels, n, 0, out, correct);
}
