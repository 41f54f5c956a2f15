/* net.c: a network as a list of layers over one parameter block; one chunk
 * of images forward through it and back. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "layers.h"
#include "profile.h"

const char *cnn_act_name(cnn_act a)
{
    static const char *names[] = { "none", "relu", "sigmoid", "tanh" };
    return names[a];
}

const char *cnn_layer_name(cnn_layer_kind k)
{
    static const char *names[] = { "conv", "maxpool", "minpool", "avgpool", "dense",
                                   "dropout" };
    return names[k];
}

const char *cnn_loss_name(cnn_loss_kind k)
{
    static const char *names[] = { "softmax-cross-entropy", "binary-cross-entropy",
                                   "mean-squared-error" };
    return names[k];
}

double cnn_layer_macs(const cnn_layer *L)
{
    double out = (double)cnn_shape_size(L->out);
    switch (L->kind) {
    case CNN_CONV:    return out * L->in.c * L->kh * L->kw;
    case CNN_DENSE:   return out * (double)cnn_shape_size(L->in);
    case CNN_MAXPOOL:
    case CNN_MINPOOL:
    case CNN_AVGPOOL:
    case CNN_DROPOUT: return 0.0;   /* pooling compares or adds, no multiplies */
    }
    return 0.0;
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
    free(net->text);
    free_names(net->class_names, net->classes);
    free(net->class_labels);
    free(net);
}

int cnn_net_set_class_names(cnn_net *net, const char *const *names, int n,
                            const char *source, char *err)
{
    if (n != net->classes || n < 1) {
        snprintf(err, CNN_ERR_LEN, "%s: %d class names for a network with %d outputs",
                 source, n, net->classes);
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

int cnn_net_set_class_labels(cnn_net *net, const int *labels, int n, const char *source,
                             char *err)
{
    int seen[256] = { 0 };
    if (n != net->classes) {
        snprintf(err, CNN_ERR_LEN, "%s: %d labels for a network with %d outputs", source, n,
                 net->classes);
        return -1;
    }
    for (int k = 0; k < n; k++)
        if (labels[k] < 0 || labels[k] > 255 || seen[labels[k]]++) {
            snprintf(err, CNN_ERR_LEN, "%s: class %d's IDX label %d is %s", source, k,
                     labels[k], labels[k] < 0 || labels[k] > 255 ? "not 0 to 255" : "repeated");
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

void cnn_net_init(cnn_net *net, cnn_rng *rng)
{
    memset(net->params, 0, sizeof(float) * net->n_params);
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        if (!L->n_w) continue;
        double area = (double)L->kh * L->kw;
        double fan_in = L->kind == CNN_CONV ? L->in.c * area : (double)cnn_shape_size(L->in);
        double fan_out = L->kind == CNN_CONV ? L->out.c * area : (double)L->out.c;
        float bound = (float)sqrt(6.0 / (fan_in + fan_out));
        float *w = net->params + L->w_off;
        for (size_t i = 0; i < L->n_w; i++)
            w[i] = (2.0f * cnn_rng_uniform(rng) - 1.0f) * bound;
    }
}

void net_forward(workspace *ws, const cnn_net *net, const float *params,
                 const float *x, int n)
{
    const float *in = ws->input = x;
    for (int l = 0; l < net->n_layers; l++) {
        double t0 = ws->prof ? cnn_clock() : 0.0;
        const cnn_layer *L = &net->layers[l];
        layer_pass p = { L, n, in, ws->act[l], { ws->prof, l } };
        switch (L->kind) {
        case CNN_CONV:    conv_forward(&p, params, &ws->conv[l]); break;
        case CNN_DENSE:   dense_forward(&p, params); break;
        case CNN_MAXPOOL:
        case CNN_MINPOOL: pool_forward(&p, ws->mask[l]); break;
        case CNN_AVGPOOL: pool_forward(&p, NULL); break;
        case CNN_DROPOUT: dropout_forward(&p, ws->dropout.on ? &ws->dropout : NULL,
                                          ws->mask[l]); break;
        }
        in = ws->act[l];
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

double net_backward(workspace *ws, const cnn_net *net, const float *params, float *grad,
                    grad_mode mode, float *dx, const uint8_t *labels, int n, float scale,
                    int *correct)
{
    int last = net->n_layers - 1;
    float *dout = ws->d[0], *spare = ws->d[1];
    prof_clock clock = prof_start(ws->prof);
    double loss = loss_forward_backward(dout, ws->probs, ws->act[last], labels, n,
                                        net->classes, net->loss,
                                        net->layers[last].act, scale);
    if (correct) *correct += count_correct(ws->probs, labels, n, net->classes);
    prof_lap(&clock, CNN_PHASE_LOSS);
    for (int l = last; l >= 0; l--) {
        double t0 = ws->prof ? cnn_clock() : 0.0;
        const cnn_layer *L = &net->layers[l];
        layer_pass p = { L, n, l ? ws->act[l - 1] : ws->input, ws->act[l], { ws->prof, l } };
        layer_grads g = { dout, l ? spare : dx, grad, mode };
        /* The loss already differentiated the last layer's activation. */
        cnn_act act = l == last ? CNN_ACT_NONE : L->act;
        switch (L->kind) {
        case CNN_CONV:  conv_backward(&p, params, &g, &ws->conv[l], act); break;
        case CNN_DENSE: dense_backward(&p, params, &g, act); break;
        case CNN_MAXPOOL:
        case CNN_MINPOOL:
        case CNN_AVGPOOL:
            if (g.din) pool_backward(&p, &g, ws->mask[l]);
            break;
        case CNN_DROPOUT:
            if (g.din) dropout_backward(&p, &g, ws->mask[l]);
            break;
        }
        spare = dout;
        dout = g.din;
        if (ws->prof) ws->prof->backward[l] += cnn_clock() - t0;
    }
    return loss;
}
