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
    static const char *names[] = { "conv", "maxpool", "minpool", "avgpool", "dense" };
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
    case CNN_CONV:  return out * L->in.c * L->kh * L->kw;
    case CNN_DENSE: return out * (double)cnn_shape_size(L->in);
    default:        return 0.0;   /* pooling compares or adds, no multiplies */
    }
}

void cnn_net_free(cnn_net *net)
{
    if (!net) return;
    free(net->params);
    free(net->text);
    free(net);
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
    const float *in = x;
    for (int l = 0; l < net->n_layers; l++) {
        double t0 = prof_current ? prof_now() : 0.0;
        const cnn_layer *L = &net->layers[l];
        const float *w = params + L->w_off, *b = params + L->b_off;
        switch (L->kind) {
        case CNN_CONV:
            conv_forward(ws->act[l], ws->col[l], ws->stage, in, w, b, L, n);
            break;
        case CNN_DENSE:
            dense_forward(ws->act[l], in, w, b, L, n);
            break;
        default:
            pool_forward(ws->act[l], ws->mask[l], in, L, n);
            break;
        }
        in = ws->act[l];
        if (prof_current) prof_current->forward[l] += prof_now() - t0;
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

double net_backward(workspace *ws, const cnn_net *net, const float *params,
                    float *grad, float *dx, const float *x, const uint8_t *labels,
                    int n, float scale, int accumulate, int *correct)
{
    int last = net->n_layers - 1;
    float *dout = ws->d[0], *spare = ws->d[1];
    PROF_START();
    double loss = loss_forward_backward(dout, ws->probs, ws->act[last], labels, n,
                                        net->classes, net->loss,
                                        net->layers[last].act, scale);
    if (correct) *correct += count_correct(ws->probs, labels, n, net->classes);
    PROF_ADD(CNN_PHASE_LOSS);
    for (int l = last; l >= 0; l--) {
        double t0 = prof_current ? prof_now() : 0.0;
        const cnn_layer *L = &net->layers[l];
        const float *in = l ? ws->act[l - 1] : x;
        float *din = l ? spare : dx;
        /* The loss already differentiated the last layer's activation. */
        cnn_act act = l == last ? CNN_ACT_NONE : L->act;
        const float *w = params + L->w_off;
        float *dw = grad + L->w_off, *db = grad + L->b_off;
        switch (L->kind) {
        case CNN_CONV:
            conv_backward(din, dw, db, ws->stage, ws->wrot, ws->colf, ws->dstage, dout,
                          ws->act[l], ws->col[l], w, L, act, n, accumulate ? 1.0f : 0.0f);
            break;
        case CNN_DENSE:
            dense_backward(din, dw, db, dout, ws->act[l], in, w, L, act, n,
                           accumulate ? 1.0f : 0.0f);
            break;
        default:
            if (din) pool_backward(din, dout, ws->mask[l], L, n);
            break;
        }
        spare = dout;
        dout = din;
        if (prof_current) prof_current->backward[l] += prof_now() - t0;
    }
    return loss;
}
