/* reference.h: arithmetic that does not depend on the engine's schedule or
 * on a BLAS kernel, to check the engine against: the direct-loop convolution
 * (the one place a convolution is written as loops) and a whole network's
 * loss in double. */
#ifndef CNN_REFERENCE_H
#define CNN_REFERENCE_H

#include "net/net.h"

/* out (n, F, Ho, Wo), dw (F, C, kh, kw), db (F), dx (n, C, H, W), in double,
 * from input x, weights w, bias b and output gradient dy. */
void reference_conv(double *out, double *dw, double *db, double *dx, const float *x, const float *w,
                    const float *b, const float *dy, const cnn_layer *L, int n);

/* Run the engine's conv_forward and conv_backward for layer L with weights w
 * on n random images and compare output, kernel, bias and (if input_grad)
 * input gradients with the reference, within 1e-4 relative. Returns 0, or -1
 * with the first mismatch described in why (CNN_ERR_LEN bytes). */
int reference_check_conv(const cnn_layer *L, const float *w, int n, int input_grad, char *why);

/* A network around layer kind k's example line (layer_kind.example), for
 * the tests that loop over the table: a 1x28x28 input, the line, a dense
 * layer of 10 outputs and softmax cross-entropy. */
void reference_example_net(const layer_kind *k, char *text, size_t len);

/* A network's mean loss in double precision by direct loops, on the branches
 * an engine forward pass took: which ReLUs passed their input, which input
 * each max/min pool output took, which elements dropout kept. On fixed
 * branches the loss is a smooth function of every weight and input, so
 * central differences of it are exact to about 1e-9 and have no kinks, and
 * its derivatives are what the engine's backward pass must compute from that
 * forward pass, whatever BLAS kernel rounded it. */
typedef struct {
    const cnn_net *net;
    int n;                            /* images */
    const uint8_t *labels;            /* (n) */
    dropout_draw dropout;             /* the engine pass's */
    int norm_train;                   /* 1: batchnorm by the images' own statistics, as
                                         the engine's pass in training; 0: by the
                                         running ones */
    double *norm[CNN_MAX_LAYERS];     /* batchnorm: (C) means, then (C) 1 / std */
    double *params;                   /* (net->n_params): perturb these... */
    double *x;                        /* (n, input): ...or these */
    double *act[CNN_MAX_LAYERS];      /* (n, out): layer outputs */
    double *pre[CNN_MAX_LAYERS];      /* (n, out): ReLU layers' inputs */
    uint8_t *relu_on[CNN_MAX_LAYERS]; /* (n, out): 1 where the engine's (leaky) ReLU passed */
    int32_t *pick[CNN_MAX_LAYERS];    /* (n, out): max/min pool choices, dropout masks */
} ref_net;

/* From the engine's last forward pass in ws over x (n images) with the
 * network's parameters: copies of both in double, and the branches. 0, or -1
 * when out of memory. */
int ref_net_init(ref_net *r, const cnn_net *net, const workspace *ws, const float *x,
                 const uint8_t *labels, int n);
void ref_net_free(ref_net *r);
/* The mean loss over the images, recomputing layers from `from` on (the
 * outputs of earlier layers are kept from the last call). */
double ref_net_loss(ref_net *r, int from);
/* Whether the frozen branches are ones the forward pass may take at the
 * reference's point: each pool choice in its window and at its max (min), a
 * ReLU passing inputs >= 0 and stopping inputs <= 0, to within 1e-4 of the
 * layer's largest value; dropout masks as drawn. 0, or -1 with why. */
int ref_net_check_branches(ref_net *r, char *why);

#endif
