/*
 * layers.h: the engine's internals, shared by src/ and the tests.
 *
 * Layer functions follow one convention: outputs first, sizes last; n is the
 * number of images in the chunk; backward functions write the weight and bias
 * gradients as beta * old + new with beta 0 or 1 (the first chunk of a shard
 * overwrites its gradient block, so it needs no zeroing; later chunks add)
 * and OVERWRITE the input gradient.
 */
#ifndef CNN_LAYERS_H
#define CNN_LAYERS_H

#include "cnn.h"

/* ---- activations (act.c) ---- */
void act_forward(float *x, size_t len, cnn_act a);
/* d[i] *= f'(z[i]), written with the activation's output y = f(z). */
void act_backward(float *d, const float *y, size_t len, cnn_act a);

/* ---- im2col (im2col.c) ---- */
/* One image (C, H, W) into rows (c, i, j) of a (C*kh*kw, ld) matrix, starting
 * at column col0: col[(c*kh+i)*kw+j][col0 + oy*Wo + ox] = x[c][oy*s+i-p][ox*s+j-p]. */
void im2col(float *col, size_t ld, size_t col0, const float *x, int C, int H, int W,
            int kh, int kw, int stride, int pad);
/* The same for the input gradient: one image's output gradient dy (F planes
 * of Ho x Wo, plane f at dy + f*fstride), zero-dilated by `stride` and
 * zero-padded by kh-1-pad (kw-1-pad) into `padded` (F, H+kh-1, W+kw-1), then
 * into H*W columns from col0 of a (F*kh*kw, ld) matrix, for a stride-1
 * "valid" correlation that yields H x W. */
void im2col_full(float *col, size_t ld, size_t col0, float *padded, const float *dy,
                 size_t fstride, int F, int Ho, int Wo, int H, int W, int kh, int kw,
                 int stride, int pad);

/* ---- convolution (conv.c) ---- */
/* out (n, F, Ho, Wo); col (C*kh*kw, n*Ho*Wo) kept for backward; stage (F, n*Ho*Wo). */
void conv_forward(float *out, float *col, float *stage, const float *in,
                  const float *w, const float *b, const cnn_layer *L, int n);
/* dout (n, F, Ho, Wo) is the gradient of the layer's activated output; act is
 * the activation to differentiate (NONE when dout is already dL/dz).
 * din (n, C, H, W) may be NULL. Scratch: dz (F, n*Ho*Wo), wrot (C, F*kh*kw),
 * colf (F*kh*kw, g*H*W) for groups of g images, g from conv_group(), and
 * dstage of conv_dstage_size() floats. */
void conv_backward(float *din, float *dw, float *db, float *dz, float *wrot,
                   float *colf, float *dstage, const float *dout, const float *out,
                   const float *col, const float *w, const cnn_layer *L, cnn_act act, int n,
                   float beta);
/* Images per input-gradient sgemm: as many of n as keep colf near 1M floats. */
int conv_group(const cnn_layer *L, int n);
/* dstage holds a group's input gradient (C, g*H*W) from the sgemm and, before
 * that, one image's padded output gradient (F, H+kh-1, W+kw-1). */
size_t conv_dstage_size(const cnn_layer *L, int n);

/* ---- pooling (pool.c) ---- */
/* mask (n, C, Ho, Wo): index within the image of the input each max/min output
 * took; ties go to the first in row-major window order. Unused for average. */
void pool_forward(float *out, int32_t *mask, const float *in, const cnn_layer *L, int n);
void pool_backward(float *din, const float *dout, const int32_t *mask,
                   const cnn_layer *L, int n);

/* ---- dense (dense.c) ---- */
/* out (n, units) = in (n, inputs) W^T + b, then the activation. */
void dense_forward(float *out, const float *in, const float *w, const float *b,
                   const cnn_layer *L, int n);
/* dout (n, units) is overwritten by dL/dz. din (n, inputs) may be NULL. */
void dense_backward(float *din, float *dw, float *db, float *dout, const float *out,
                    const float *in, const float *w, const cnn_layer *L, cnn_act act,
                    int n, float beta);

/* ---- losses (loss.c) ---- */
/* From the last layer's activated output y (n, classes) and labels: writes
 * dz = scale * dL/dz (z: the last layer's pre-activation output), the network
 * outputs into probs (softmax probabilities, or y itself) and returns the
 * summed loss over the n images. */
double loss_forward_backward(float *dz, float *probs, const float *y,
                             const uint8_t *labels, int n, int classes,
                             cnn_loss_kind kind, cnn_act last_act, float scale);
int argmax(const float *v, int len);
/* How many of n rows of outputs (n, classes) have their largest at the label. */
int count_correct(const float *out, const uint8_t *labels, int n, int classes);

/* ---- per-thread workspace (workspace.c) ---- */
typedef struct {
    int n;                          /* images it holds */
    float *act[CNN_MAX_LAYERS];     /* layer outputs (n, out) */
    int32_t *mask[CNN_MAX_LAYERS];  /* max/min pool masks */
    float *col[CNN_MAX_LAYERS];     /* conv im2col matrices, reused in backward */
    float *stage;                   /* conv (F, n*P) staging / dz */
    float *wrot;                    /* rotated, channel-transposed kernels */
    float *colf;                    /* im2col of a group's padded output gradients */
    float *dstage;                  /* conv_dstage_size(): a group's input gradient */
    float *d[2];                    /* ping-pong activation gradients */
    float *probs;                   /* (n, classes) network outputs */
} workspace;

int workspace_alloc(workspace *ws, const cnn_net *net, int n);
void workspace_free(workspace *ws);

/* ---- one chunk of images through the network (net.c) ---- */
void net_forward(workspace *ws, const cnn_net *net, const float *params,
                 const float *x, int n);
/* Forward must have run. Writes scale * gradient into grad (adds it, when
 * accumulate is set); if dx is not
 * NULL it receives the gradient with respect to the input. Returns the
 * summed loss, counting correct answers into *correct. */
double net_backward(workspace *ws, const cnn_net *net, const float *params,
                    float *grad, float *dx, const float *x, const uint8_t *labels,
                    int n, float scale, int accumulate, int *correct);

/* After net_forward: the first layer whose output holds a NaN or infinity,
 * or -1. */
int net_first_nonfinite_output(const workspace *ws, const cnn_net *net, int n);

void *aligned_calloc(size_t count, size_t size);

/* ---- room for OpenBLAS (blas_room.c) ---- */
/* OpenBLAS 0.3 maps one buffer of this size (BUFFER_SIZE, 32 << 22 on x86-64
 * and arm64) for each thread running a GEMM, and retries forever when the
 * mapping fails; test_blas_room checks the figure against the library. */
#define BLAS_BUFFER_BYTES ((size_t)128 << 20)
/* Whether `bytes` more address space can be mapped now: 0 or -1. */
int address_space_room(size_t bytes);
/* The limits in force, for messages: "the address-space limit of 244 MiB
 * (ulimit -v)". */
void describe_memory_limits(char *buf, size_t len);
/* Whether *threads threads can each run GEMMs (a BLAS buffer and a stack
 * each) and leave `extra` bytes for the rest of the run. If not all fit and
 * fewer_ok, *threads becomes the number that does; else -1 with err saying
 * "out of memory", the limit and how many would fit. */
int blas_check_room(int *threads, int fewer_ok, size_t extra, char *err);

#endif
