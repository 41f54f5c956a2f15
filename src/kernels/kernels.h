/*
 * kernels.h: the layer kernels, each on one chunk of n images of one thread,
 * and what they share: the sgemm every product goes through, im2col, the
 * activations, losses and optimiser updates. They know nothing of files,
 * threads, processes or the network around them.
 *
 * A layer sees one chunk of n images through a layer_pass: its input, its
 * output, the thread's profile. Backward passes also get a layer_grads: the
 * gradient of the layer's output (which they overwrite with dL/dz), where the
 * input gradient goes, and the gradient block, which the first chunk of a
 * shard writes (GRAD_WRITE: no zeroing needed) and later chunks add to.
 */
#ifndef CNN_KERNELS_H
#define CNN_KERNELS_H

#include <cblas.h>
#include <math.h>
#include "cnn.h"

typedef enum { GRAD_WRITE, GRAD_ADD } grad_mode;

/* Loops over floats compiled for AVX-512, AVX2 and baseline x86-64, chosen
 * when the program loads: the build targets baseline x86-64, whose 4-wide
 * SSE leaves most of a modern core's vector width idle (seed004's sigmoids:
 * 15% faster training). Every element is computed alone, with no reduction
 * and no contracted multiply-add (ISO C mode), so the bits do not depend on
 * the choice. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) /* clang 14 emits no clones */
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* Where a kernel's time goes when profiling: the thread's profile (NULL when
 * off) and the layer's index in it. */
typedef struct {
    cnn_profile *prof;
    int layer;
} prof_site;

typedef struct {
    const cnn_layer *L;
    int n;           /* images in the chunk */
    const float *in; /* (n, L->in) */
    float *out;      /* (n, L->out), activated */
    prof_site site;
} layer_pass;

typedef struct {
    float *dout; /* (n, L->out): dL/d(output), overwritten by dL/dz */
    float *din;  /* (n, L->in): receives dL/d(input); NULL: not wanted */
    float *grad; /* the gradient block, laid out like the parameters */
    grad_mode mode;
} layer_grads;

/* Every sgemm of the engine goes through here, so that a profile can list
 * each product with its shape and time. Arguments as cblas_sgemm's, row-major. */
void gemm(prof_site site, cnn_gemm_kind kind, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n,
          int k, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* Images per sgemm for a product whose right-hand matrix has `rows` rows and
 * `cols` columns per image: as many of n as keep it within a core's cache
 * (a fixed rule from the shapes, so results never depend on the machine). */
int images_per_gemm(size_t rows, size_t cols, int n);

/* ---- activations (act.c) ---- */
/* An activation without settings: act_of(CNN_ACT_RELU). */
static inline cnn_act act_of(cnn_act_kind k) { return (cnn_act){ k, 0.0f }; }
void act_forward(float *x, size_t len, cnn_act a);
/* d[i] *= f'(z[i]), written with the activation's output y = f(z). */
void act_backward(float *d, const float *y, size_t len, cnn_act a);

/* ---- im2col (im2col.c) ---- */
typedef struct {
    int c, h, w, kh, kw, stride, pad;
} patch_shape;
/* One image x (c, h, w) into rows (c, i, j) of a (c*kh*kw, ld) matrix, from
 * column col0: col[(c*kh+i)*kw+j][col0 + oy*Wo + ox] = x[c][oy*s+i-p][ox*s+j-p]. */
void im2col(float *col, size_t ld, size_t col0, const float *x, const patch_shape *p);
/* x (c, h, w) spread `dilate` apart inside a zero border: padded (c, hp, wp)
 * with x[c][y][x] at [c][top + y*dilate][left + x*dilate]. */
typedef struct {
    int c, h, w, dilate, top, left, hp, wp;
} spread_shape;
void spread(float *padded, const float *x, const spread_shape *p);
/* The same for the input gradient of conv layer L: one image's dz (F, Ho*Wo)
 * zero-dilated by the stride and zero-padded by kh-1-pad (kw-1-pad) into
 * `padded` (F, H+kh-1, W+kw-1), then into H*W columns from col0 of an
 * (F*kh*kw, ld) matrix: a stride-1 "valid" correlation of that with the
 * rotated kernels is the full correlation, which yields H x W. */
void im2col_full(float *col, size_t ld, size_t col0, float *padded, const float *dz,
                 const cnn_layer *L);

/* ---- convolution (conv.c) ---- */
/* A convolution with groups=G splits its C channels and F filters into G
 * channel groups: filter group j sees channel group j only, through its own
 * products (per group: Fg = F/G filters, Cg = C/G channels, Kg = Cg*kh*kw
 * weights a filter). The weights are (F, Cg, kh, kw), as in PyTorch. */
static inline int conv_group_k(const cnn_layer *L)
{
    return L->in.c / L->groups * L->win.kh * L->win.kw;
}

/* One conv layer's buffers for chunks of up to n images. Its products run
 * over image groups of images_per_gemm() images: g for the forward and
 * kernel gradient, gx for the input gradient; within each, one product per
 * channel group. */
typedef struct {
    int g, gx;
    int keep;      /* col holds the whole chunk's im2col, kept for backward */
    float *col;    /* (K, n*P) if keep, else (K, g*P), K = C*kh*kw: im2col,
                       one (K, g*P) block per group */
    float *stage;  /* (F, g*P): a group's product or dz, when g > 1 */
    float *wrot;   /* G x (Cg, Fg*kh*kw): the kernels rotated by 180 degrees */
    float *dwt;    /* G x (Kg, Fg): the chunk's kernel gradient, transposed */
    float *padded; /* one image's dilated, padded dz (F, H+kh-1, W+kw-1), or
                       its zero-padded input (C, H+2pad, W+2pad) */
    float *colf;   /* (F*kh*kw, gx*H*W): im2col of a group's padded dz */
    float *dstage; /* (C, gx*H*W): a group's input gradient, when gx > 1 */
} conv_scratch;

int conv_scratch_alloc(conv_scratch *s, const cnn_layer *L, int n);
void conv_scratch_free(conv_scratch *s);
void conv_forward(const layer_pass *p, const float *params, const conv_scratch *s);
/* act: the activation to differentiate (NONE when dout is already dL/dz). */
void conv_backward(const layer_pass *p, const float *params, const layer_grads *g,
                   const conv_scratch *s, cnn_act act);

/* ---- pooling (pool.c) ---- */
/* mask (n, C, Ho, Wo): index within the image of the input each max/min output
 * took; ties go to the first in row-major window order. NULL for average
 * (pool_backward then spreads each gradient over its window). */
void maxpool_forward(const layer_pass *p, int32_t *mask);
void minpool_forward(const layer_pass *p, int32_t *mask);
void avgpool_forward(const layer_pass *p);
void pool_backward(const layer_pass *p, const layer_grads *g, const int32_t *mask);

/* ---- dropout (dropout.c) ---- */
/* Which images a training chunk holds and the step's key: image i of the
 * chunk is image first + i of the batch, and its mask is a function of
 * (key, first + i, element) alone, whichever thread or shard runs it. */
typedef struct {
    int on;       /* 0: inference, the layer is the identity */
    uint64_t key; /* the step's */
    int first;    /* the chunk's first image's position in the batch */
} dropout_draw;
/* Whether element `elem` of the batch's image `image` is kept at rate r. */
int dropout_keeps(uint64_t key, int image, size_t elem, float rate);
/* out = in masked and scaled by 1/(1-rate), the mask (n, size) of 0/1 kept
 * for backward; draw NULL: out = in. */
void dropout_forward(const layer_pass *p, const dropout_draw *draw, int32_t *mask);
void dropout_backward(const layer_pass *p, const layer_grads *g, const int32_t *mask);

/* ---- dense (dense.c) ---- */
/* out (n, units) = in (n, inputs) W^T + b, then the activation. */
void dense_forward(const layer_pass *p, const float *params);
void dense_backward(const layer_pass *p, const float *params, const layer_grads *g, cnn_act act);

/* ---- batch normalisation (norm.c) ---- */
/* PyTorch's defaults: the variance's epsilon and the running statistics'
 * momentum (running = (1 - m) running + m batch). */
#define BATCHNORM_EPS      1e-5f
#define BATCHNORM_MOMENTUM 0.1f
static inline float batchnorm_inv_std(float var) { return 1.0f / sqrtf(var + BATCHNORM_EPS); }
/* A batchnorm layer's statistics, each (mean C, variance C): in training
 * `batch` receives the chunk's own (biased variance), which normalise it;
 * batch NULL (inference), the running ones do. */
typedef struct {
    const float *running;
    float *batch;
} batchnorm_stats;
/* out = gamma (in - mean) / sqrt(var + eps) + beta per channel, then the
 * activation; gamma are the layer's weights, beta its biases. */
void batchnorm_forward(const layer_pass *p, const float *params, const batchnorm_stats *st);
void batchnorm_backward(const layer_pass *p, const float *params, const batchnorm_stats *st,
                        const layer_grads *g, cnn_act act);
/* The statistics of a whole batch gathered from its chunks', in a fixed
 * order: mean and M2 (the sum of squared deviations) per channel, room for C
 * each, and the count of values so far (start all at 0). */
typedef struct {
    double count;
    double *mean, *m2;
} batchnorm_sums;
/* Join a chunk's statistics (mean C, biased variance C, over count values). */
void batchnorm_merge(batchnorm_sums *s, const float *part, double count, int C);
/* One momentum step of the running statistics (mean C, variance C) towards
 * the batch's mean and unbiased variance, as PyTorch's. */
void batchnorm_update_running(float *running, const batchnorm_sums *s, int C);

/* ---- losses (loss.c) ---- */
/* From the last layer's activated output y (n, classes) and labels: writes
 * dz = scale * dL/dz (z: the last layer's pre-activation output), the network
 * outputs into probs (softmax probabilities, or y itself) and returns the
 * summed loss over the n images. */
double loss_forward_backward(float *dz, float *probs, const float *y, const uint8_t *labels, int n,
                             int classes, cnn_loss_kind kind, cnn_act last_act, float scale);
int argmax(const float *v, int len);
/* How many of n rows of outputs (n, classes) have their largest at the label. */
int count_correct(const float *out, const uint8_t *labels, int n, int classes);

/* ---- optimisers (optim.c) ---- */
/* The blocks an update reads and writes, all laid out like the parameters:
 * m is the momentum buffer (sgd, nesterov) or the first moments (adam,
 * adamw), v the second moments (adam, adamw only). */
typedef struct {
    float *theta;
    const float *grad;
    float *m, *v;
} optim_block;
/* Elements [lo, hi) of one step of o; step counts from 1 (this step's). */
void optim_update(const cnn_sgd *o, uint64_t step, const optim_block *b, size_t lo, size_t hi);

/* 64-byte aligned, zeroed (aligned.c); sgemm and the vector loops like
 * aligned rows. NULL when out of memory. */
void *aligned_calloc(size_t count, size_t size);

#endif
