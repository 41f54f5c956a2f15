/* net.c: a network as a list of layers over one parameter block; one chunk
 * of images forward through it and back. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/net.h"
#include "kernels/profile.h"
#include "sys/blas_room.h"

const char *cnn_act_name(cnn_act_kind k)
{
    static const char *names[] = { "none", "relu", "sigmoid", "tanh", "leaky" };
    static_assert(sizeof names / sizeof names[0] == CNN_ACT_KINDS, "a name for every activation");
    return names[k];
}

act_words act_describe(cnn_act a)
{
    act_words w;
    if (a.kind == CNN_ACT_LEAKY) snprintf(w.text, sizeof w.text, "leaky %g", a.slope);
    else snprintf(w.text, sizeof w.text, "%s", cnn_act_name(a.kind));
    return w;
}

const char *cnn_loss_name(cnn_loss_kind k)
{
    static const char *names[] = { "softmax-cross-entropy", "binary-cross-entropy",
                                   "mean-squared-error" };
    return names[k];
}

static void free_names(char **names, int n)
{
    for (int k = 0; names && k < n; k++) free(names[k]);
    free(names);
}

void cnn_net_free(cnn_net *net)
{
    if (!net) return;
    free(net->params);
    free(net->stats);
    free(net->text);
    free_names(net->class_names, net->classes);
    free(net->class_labels);
    free(net);
}

int cnn_net_set_class_names(cnn_net *net, const char *const *names, int n, const char *source,
                            char *err)
{
    if (n != net->classes || n < 1) {
        snprintf(err, CNN_ERR_LEN, "%s: %d class names for a network with %d outputs", source, n,
                 net->classes);
        return -1;
    }
    for (int k = 0; k < n; k++) {
        size_t len = strlen(names[k]);
        const char *why = len == 0 ? "is empty" : len > CNN_CLASS_NAME_MAX ? "is too long" : NULL;
        for (size_t i = 0; !why && i < len; i++)
            if ((unsigned char)names[k][i] < 0x20 || names[k][i] == 0x7f)
                why = "holds a control character";
        for (int j = 0; !why && j < k; j++)
            if (!strcmp(names[j], names[k])) why = "is given twice";
        if (why) {
            snprintf(err, CNN_ERR_LEN, "%s: the name of class %d %s", source, k, why);
            return -1;
        }
    }
    char **copy = calloc((size_t)n, sizeof *copy);
    int ok = copy != NULL;
    for (int k = 0; ok && k < n; k++) ok = (copy[k] = strdup(names[k])) != NULL;
    if (!ok) {
        free_names(copy, n);
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", source);
        return -1;
    }
    free_names(net->class_names, net->classes);
    net->class_names = copy;
    return 0;
}

int cnn_net_set_class_labels(cnn_net *net, const int *labels, int n, const char *source, char *err)
{
    int seen[256] = { 0 };
    if (n != net->classes) {
        snprintf(err, CNN_ERR_LEN, "%s: %d labels for a network with %d outputs", source, n,
                 net->classes);
        return -1;
    }
    for (int k = 0; k < n; k++)
        if (labels[k] < 0 || labels[k] > 255 || seen[labels[k]]++) {
            snprintf(err, CNN_ERR_LEN, "%s: class %d's IDX label %d is %s", source, k, labels[k],
                     labels[k] < 0 || labels[k] > 255 ? "not 0 to 255" : "repeated");
            return -1;
        }
    int *copy = malloc(sizeof(int) * (size_t)n);
    if (!copy) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", source);
        return -1;
    }
    memcpy(copy, labels, sizeof(int) * (size_t)n);
    free(net->class_labels);
    net->class_labels = copy;
    return 0;
}

void net_reset_stats(cnn_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        for (size_t i = 0; i < L->n_s; i++) net->stats[L->s_off + i] = i < L->n_s / 2 ? 0.0f : 1.0f;
    }
}

void cnn_net_init(cnn_net *net, cnn_rng *rng)
{
    memset(net->params, 0, sizeof(float) * net->n_params);
    net_reset_stats(net);
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        if (!L->n_w) continue;
        float *w = net->params + L->w_off;
        if (!layer_kinds[L->kind].fans) {
            for (size_t i = 0; i < L->n_w; i++) w[i] = 1.0f;
            continue;
        }
        double fan_in, fan_out;
        layer_kinds[L->kind].fans(L, &fan_in, &fan_out);
        float bound = (float)sqrt(6.0 / (fan_in + fan_out));
        for (size_t i = 0; i < L->n_w; i++) w[i] = (2.0f * cnn_rng_uniform(rng) - 1.0f) * bound;
    }
}

/* Layer l's input i (0 or 1) in the workspace's forward pass. */
static const float *input_of(const workspace *ws, const cnn_layer *L, int i)
{
    return L->from[i] == CNN_INPUT ? ws->input : ws->act[L->from[i]];
}

/* Layer L's running statistics, and where its chunk statistics go in
 * training (none for a layer that keeps no statistics). */
static batchnorm_stats layer_stats(const workspace *ws, const cnn_net *net, const cnn_layer *L)
{
    if (!L->n_s) return (batchnorm_stats){ NULL, NULL };
    return (batchnorm_stats){ net->stats + L->s_off,
                              ws->norm_stats ? ws->norm_stats + L->s_off : NULL };
}

void net_forward(workspace *ws, const cnn_net *net, const float *params, const float *x, int n)
{
    ws->input = x;
    for (int l = 0; l < net->n_layers; l++) {
        double t0 = ws->prof ? cnn_clock() : 0.0;
        const cnn_layer *L = &net->layers[l];
        layer_run r = { { L, n, input_of(ws, L, 0), ws->act[l], { ws->prof, l } },
                        L->n_from > 1 ? input_of(ws, L, 1) : NULL,
                        params,
                        &ws->scratch[l],
                        ws->dropout.on ? &ws->dropout : NULL,
                        L->act,
                        layer_stats(ws, net, L) };
        layer_kinds[L->kind].forward(&r);
        if (ws->prof) ws->prof->forward[l] += cnn_clock() - t0;
    }
}

int cnn_layer_output(const cnn_net *net, const float *x, int layer, float *out, char *err)
{
    workspace ws;
    if (layer < 0 || layer >= net->n_layers || workspace_alloc(&ws, net, 1)) {
        snprintf(err, CNN_ERR_LEN, "layer %d: no such layer, or out of memory", layer + 1);
        return -1;
    }
    int one = 1;
    if (blas_check_room(&one, 0, 0, err)) {
        workspace_free(&ws);
        return -1;
    }
    net_forward(&ws, net, net->params, x, 1);
    memcpy(out, ws.act[layer], sizeof(float) * cnn_shape_size(net->layers[layer].out));
    workspace_free(&ws);
    return 0;
}

int net_first_nonfinite_output(const workspace *ws, const cnn_net *net, int n)
{
    for (int l = 0; l < net->n_layers; l++) {
        size_t len = (size_t)n * cnn_shape_size(net->layers[l].out);
        for (size_t i = 0; i < len; i++)
            if (!isfinite(ws->act[l][i])) return l;
    }
    return -1;
}

int net_output_summed(const cnn_net *net, int l)
{
    int readers = 0, by_next = 0;
    for (int k = l + 1; k < net->n_layers; k++)
        for (int i = 0; i < net->layers[k].n_from; i++)
            if (net->layers[k].from[i] == l) {
                readers++;
                by_next |= k == l + 1;
            }
    return readers > 1 || (readers == 1 && !by_next);
}

/* The gradients of layer outputs as backward fills them in: where each
 * one is (NULL: none yet), and for the network's input, dx (NULL: not
 * wanted). */
typedef struct {
    float *of[CNN_MAX_LAYERS + 1]; /* [l + 1]: layer l's output; [0]: the input's */
    float *dx;
} grad_slots;

/* A ping-pong buffer other than `busy`. */
static float *other_buffer(const workspace *ws, const float *busy)
{
    return busy == ws->d[0] ? ws->d[1] : ws->d[0];
}

/* Where the gradient a layer sends to source `src` is written, when it is
 * not simply added (*sum set then: add it into the slot afterwards). */
static float *gradient_target(const workspace *ws, const cnn_net *net, grad_slots *gs, int src,
                              const float *dout, int *sum)
{
    *sum = 0;
    float *own = src == CNN_INPUT ? gs->dx : ws->dsum[src]; /* set where net_output_summed */
    if (src == CNN_INPUT && !gs->dx) return NULL;
    if (!own) return gs->of[src + 1] = other_buffer(ws, dout);
    if (!gs->of[src + 1]) return gs->of[src + 1] = own;
    *sum = 1;
    return other_buffer(ws, dout);
}

static void add_into(float *sum, const float *x, size_t len)
{
    for (size_t i = 0; i < len; i++) sum[i] += x[i];
}

/* Layer L's gradient for its input i, g (dz for a kind that sums its
 * inputs), into the source's slot: copied or written there, or added. */
static void send_gradient(const workspace *ws, const cnn_net *net, grad_slots *gs,
                          const cnn_layer *L, int i, const float *g, int n)
{
    int src = L->from[i], sum;
    float *to = gradient_target(ws, net, gs, src, g, &sum);
    size_t len = (size_t)n * cnn_shape_size(L->in);
    if (!to) return;
    if (sum) add_into(gs->of[src + 1], g, len);
    else memcpy(to, g, sizeof(float) * len);
}

double net_loss(workspace *ws, const cnn_net *net, const loss_batch *b, int *correct)
{
    int last = net->n_layers - 1;
    prof_clock clock = prof_start(ws->prof);
    double loss = loss_forward_backward(ws->d[0], ws->probs, ws->act[last], b->labels, b->n,
                                        net->classes, net->loss, net->layers[last].act, b->scale);
    if (correct && b->labels) *correct += count_correct(ws->probs, b->labels, b->n, net->classes);
    prof_lap(&clock, CNN_PHASE_LOSS);
    return loss;
}

void net_backward(workspace *ws, const cnn_net *net, const float *params, const grad_target *to,
                  int n)
{
    int last = net->n_layers - 1;
    float *grad = to->grad;
    grad_mode mode = to->mode;
    grad_slots gs = { { NULL }, to->dx };
    gs.of[last + 1] = ws->d[0]; /* where net_loss put the loss's gradient */
    for (int l = last; l >= 0; l--) {
        double t0 = ws->prof ? cnn_clock() : 0.0;
        const cnn_layer *L = &net->layers[l];
        const layer_kind *kind = &layer_kinds[L->kind];
        float *dout = gs.of[l + 1];
        /* The loss already differentiated the last layer's activation. */
        layer_run r = { { L, n, input_of(ws, L, 0), ws->act[l], { ws->prof, l } },
                        L->n_from > 1 ? input_of(ws, L, 1) : NULL,
                        params,
                        &ws->scratch[l],
                        ws->dropout.on ? &ws->dropout : NULL,
                        l == last ? act_of(CNN_ACT_NONE) : L->act,
                        layer_stats(ws, net, L) };
        if (kind->sums_inputs) {
            kind->backward(&r, &(layer_grads){ dout, NULL, grad, mode });
            for (int i = 0; i < L->n_from; i++) send_gradient(ws, net, &gs, L, i, dout, n);
        } else {
            int sum;
            float *din = gradient_target(ws, net, &gs, L->from[0], dout, &sum);
            kind->backward(&r, &(layer_grads){ dout, din, grad, mode });
            if (sum) add_into(gs.of[L->from[0] + 1], din, (size_t)n * cnn_shape_size(L->in));
        }
        if (ws->prof) ws->prof->backward[l] += cnn_clock() - t0;
    }
}
