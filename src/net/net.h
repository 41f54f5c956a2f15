/*
 * net.h: the network: the table of layer kinds, one thread's workspace, a
 * chunk of images forward through the graph and back, and the description
 * parser's internals.
 */
#ifndef CNN_NET_H
#define CNN_NET_H

#include "kernels/kernels.h"

/* ---- the table of layer kinds (layer_kinds.c) ---- */
/* One layer's buffers in one thread's workspace, as its kind needs them. */
typedef struct {
    conv_scratch conv; /* conv */
    int32_t *mask;     /* maxpool, minpool: choices; dropout: the mask (n, out) */
} layer_scratch;

/* One layer run on one chunk: the pass, its second input (add), and what
 * its kind reads besides. */
typedef struct {
    layer_pass pass;
    const float *in2; /* (n, L->in): add's second input */
    const float *params;
    layer_scratch *s;
    const dropout_draw *draw; /* dropout in training; NULL: the identity */
    cnn_act act;              /* backward: the activation to differentiate
                                   (NONE when dout is already dL/dz) */
    batchnorm_stats stats;    /* batchnorm: its running statistics, and in
                                 training where the chunk's go */
} layer_run;

/* A description line being read into a layer: what its setup reads through
 * line_int() and friends, and where errors go ("source:line: reason"). */
typedef struct layer_line layer_line;
int line_fail(layer_line *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The option's value, or NULL when the line does not give it. */
const char *line_value(const layer_line *p, const char *key);
/* -1 with "conv needs filters=" when the option is missing. */
int line_need(layer_line *p, const char *key);
/* The option as a number in range; left as it is when not given. */
int line_int(layer_line *p, const char *key, int lo, int hi, int *out);
int line_float(layer_line *p, const char *key, double lo, double hi, float *out);
/* size=5 or size=5x3, when given. */
int line_size(layer_line *p, int *h, int *w);
/* act=none|relu|sigmoid|tanh|leaky (none when not given), and slope= with
 * leaky. */
int line_act(layer_line *p, cnn_act *a);
/* An activation as info and messages show it: "relu", "leaky 0.2". */
typedef struct {
    char text[32];
} act_words;
act_words act_describe(cnn_act a);
/* The shape of the second input (add), and both inputs' names for messages. */
cnn_shape line_second_input(const layer_line *p);
const char *line_input_name(const layer_line *p, int i);

#define LAYER_MAX_DIM  65536 /* any one size or count in a description */
#define LAYER_MAX_KEYS 8     /* a kind's options, with the NULL after them */

/* One kind of layer: everything the engine does differently per kind. The
 * table has one entry per cnn_layer_kind, in its order (the build checks
 * the count; test_layer_kinds checks each entry). The exporters keep tables
 * of their own, checked the same way. */
typedef struct {
    cnn_layer_kind kind;
    const char *name;                 /* the description's word: "conv" */
    const char *keys[LAYER_MAX_KEYS]; /* its options, NULL after the last; every kind also
                                         takes name= and from= */
    int inputs;                       /* 1, or 2 (add) */
    /* Lines the tests try after a 1x28x28 input, before a dense layer
     * (reference_example_net), the last one of this kind: they must parse,
     * train, pass the gradient check and export. */
    const char *example;
    /* From the line's options: the settings, out, n_w and n_b (in is set). */
    int (*setup)(layer_line *p, cnn_layer *L);
    /* info's words for it: "conv 4@3x3 stride 1 pad 0 relu" */
    void (*describe)(const cnn_layer *L, char *buf, size_t len);
    double (*macs)(const cnn_layer *L); /* multiply-adds per image, forward */
    /* Glorot's fans of its weights (NULL: it has none, or they are scales,
     * which start at 1: batchnorm's). */
    void (*fans)(const cnn_layer *L, double *fan_in, double *fan_out);
    /* Its buffers for chunks of n images (NULL: it needs none). */
    int (*alloc)(layer_scratch *s, const cnn_layer *L, int n);
    void (*forward)(const layer_run *r);
    /* dout becomes dL/dz; din (when not NULL) receives dL/d(input). A kind
     * that sums its inputs leaves din alone: its input gradients are dz. */
    void (*backward)(const layer_run *r, const layer_grads *g);
    int sums_inputs; /* add: each input's gradient is dz itself */
} layer_kind;

extern const layer_kind layer_kinds[CNN_LAYER_KINDS];
/* The entry of a description word, or NULL. */
const layer_kind *layer_kind_named(const char *name);

/* ---- per-thread workspace (workspace.c) ---- */
typedef struct {
    int n;                      /* images it holds */
    const float *input;         /* the images of the last forward pass */
    float *act[CNN_MAX_LAYERS]; /* layer outputs (n, out) */
    layer_scratch scratch[CNN_MAX_LAYERS];
    dropout_draw dropout; /* set per chunk by the trainer */
    /* Training: where batchnorm layers put the chunk's statistics, laid out
     * like net->stats (set per chunk by the trainer); NULL: inference, they
     * normalise with the running statistics. */
    float *norm_stats;
    /* Gradients of layer outputs in backward: an output read by the next
     * layer alone takes one of the two ping-pong buffers d; one read
     * elsewhere or by two layers sums its gradients in its own dsum[l]. */
    float *d[2];
    float *dsum[CNN_MAX_LAYERS];
    float *probs;      /* (n, classes) network outputs */
    cnn_profile *prof; /* this thread's profile, or NULL */
} workspace;

/* Whether the gradient of layer l's output (CNN_INPUT: the network's) is
 * summed in a buffer of its own: it is read by more than one layer, or by a
 * layer other than the next. */
int net_output_summed(const cnn_net *net, int l);

int workspace_alloc(workspace *ws, const cnn_net *net, int n);
void workspace_free(workspace *ws);

/* ---- one chunk of images through the network (net.c) ---- */
void net_forward(workspace *ws, const cnn_net *net, const float *params, const float *x, int n);
/* The n images' labels (NULL: none, as in prediction) and the factor of
 * the loss's gradient (1 / batch size in training). */
typedef struct {
    const uint8_t *labels;
    int n;
    float scale;
} loss_batch;
/* After net_forward: the network's outputs into ws->probs and scale times
 * the gradient of the loss into ws->d[0], for net_backward; returns the
 * summed loss and adds the correct answers to *correct (NULL, or no labels:
 * not counted). Training, evaluation and the gradient check all run it. */
double net_loss(workspace *ws, const cnn_net *net, const loss_batch *b, int *correct);

/* Where backward's gradients go: written (GRAD_WRITE) or added (GRAD_ADD)
 * into grad, laid out like the parameters; dx (NULL: not wanted) receives
 * the gradient with respect to the input. */
typedef struct {
    float *grad;
    grad_mode mode;
    float *dx;
} grad_target;
/* After net_loss on the same n images: the gradient back through the graph. */
void net_backward(workspace *ws, const cnn_net *net, const float *params, const grad_target *to,
                  int n);

/* After net_forward: the first layer whose output holds a NaN or infinity,
 * or -1. */
int net_first_nonfinite_output(const workspace *ws, const cnn_net *net, int n);

/* The running statistics at their start: means 0, variances 1. */
void net_reset_stats(cnn_net *net);

/* ---- descriptions (parse.c) ---- */
/* cnn_net_parse without the parameter block (params stays NULL), for a model
 * loader that first checks that its file holds that many parameters. */
cnn_net *net_parse_layout(const char *text, const char *source, char *err);
int net_alloc_params(cnn_net *net, const char *source, char *err);

#endif
