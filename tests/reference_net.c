/* reference_net.c: a whole network's mean loss in double by direct loops, on
 * the branches an engine forward pass chose. See reference.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/net.h"
#include "reference.h"

/* Whether layer l's branches come from pooling choices or dropout masks. */
static int picks(const cnn_layer *L)
{
    return L->kind == CNN_MAXPOOL || L->kind == CNN_MINPOOL || L->kind == CNN_GMP ||
           L->kind == CNN_DROPOUT;
}

/* Whether the activation bends at 0, so that the reference takes the engine's
 * side of it (ReLU, leaky ReLU). */
static int has_kink(cnn_act a) { return a.kind == CNN_ACT_RELU || a.kind == CNN_ACT_LEAKY; }

int ref_net_init(ref_net *r, const cnn_net *net, const workspace *ws, const float *x,
                 const uint8_t *labels, int n)
{
    memset(r, 0, sizeof *r);
    r->net = net;
    r->n = n;
    r->labels = labels;
    r->dropout = ws->dropout;
    r->norm_train = ws->norm_stats != NULL;
    size_t in_len = (size_t)n * cnn_shape_size(net->input);
    r->params = malloc(sizeof(double) * net->n_params);
    r->x = malloc(sizeof(double) * in_len);
    int ok = r->params && r->x;
    for (size_t i = 0; ok && i < net->n_params; i++) r->params[i] = net->params[i];
    for (size_t i = 0; ok && i < in_len; i++) r->x[i] = x[i];
    for (int l = 0; ok && l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        size_t len = (size_t)n * cnn_shape_size(L->out);
        ok = (r->act[l] = malloc(sizeof(double) * len)) != NULL;
        if (ok && L->n_s) ok = (r->norm[l] = malloc(sizeof(double) * L->n_s)) != NULL;
        if (ok && has_kink(L->act)) {
            ok = (r->relu_on[l] = malloc(len)) && (r->pre[l] = malloc(sizeof(double) * len));
            for (size_t k = 0; ok && k < len; k++) r->relu_on[l][k] = ws->act[l][k] > 0.0f;
        }
        if (ok && picks(L)) {
            ok = (r->pick[l] = malloc(sizeof(int32_t) * len)) != NULL;
            if (ok) memcpy(r->pick[l], ws->scratch[l].mask, sizeof(int32_t) * len);
        }
    }
    if (!ok) {
        ref_net_free(r);
        return -1;
    }
    ref_net_loss(r, 0);
    return 0;
}

void ref_net_free(ref_net *r)
{
    for (int l = 0; r->net && l < r->net->n_layers; l++) {
        free(r->act[l]);
        free(r->relu_on[l]);
        free(r->pre[l]);
        free(r->pick[l]);
        free(r->norm[l]);
    }
    free(r->params);
    free(r->x);
    memset(r, 0, sizeof *r);
}

/* The first and last output o whose input o * s + offset lies in [0, size). */
static int first_inside(int offset, int s) { return offset >= 0 ? 0 : (-offset + s - 1) / s; }
static int last_inside(int offset, int s, int size, int outputs)
{
    int last = size - 1 - offset < 0 ? -1 : (size - 1 - offset) / s;
    return last < outputs - 1 ? last : outputs - 1;
}

/* out (F, Ho, Wo) = the correlation of one image x (C, H, W) with w (F, C, kh, kw), + b */
static void conv_image(double *out, const double *x, const double *w, const double *b,
                       const cnn_layer *L)
{
    int H = L->in.h, W = L->in.w, F = L->out.c, Ho = L->out.h, Wo = L->out.w;
    int kh = L->win.kh, kw = L->win.kw, s = L->win.stride, pad = L->win.pad;
    int Cg = L->in.c / L->groups, Fg = F / L->groups; /* filter f: channels f / Fg * Cg + c */
    for (int f = 0; f < F; f++) {
        double *o = out + (size_t)f * Ho * Wo;
        for (int k = 0; k < Ho * Wo; k++) o[k] = b[f];
        for (int c = 0; c < Cg; c++)
            for (int u = 0; u < kh; u++)
                for (int v = 0; v < kw; v++) {
                    double wk = w[(((size_t)f * Cg + c) * kh + u) * kw + v];
                    const double *plane = x + (size_t)(f / Fg * Cg + c) * H * W;
                    /* the outputs whose tap (u, v) falls inside the image */
                    int ox0 = first_inside(v - pad, s), ox1 = last_inside(v - pad, s, W, Wo);
                    int oy0 = first_inside(u - pad, s), oy1 = last_inside(u - pad, s, H, Ho);
                    for (int oy = oy0; oy <= oy1; oy++) {
                        const double *row = plane + (size_t)(oy * s + u - pad) * W + v - pad;
                        for (int ox = ox0; ox <= ox1; ox++) o[oy * Wo + ox] += wk * row[ox * s];
                    }
                }
    }
}

/* One image's pooling (C, Ho, Wo) from x (C, H, W): averages, or the inputs
 * at the engine's choices `pick` (indices within the image). */
static void pool_image(double *out, const double *x, const int32_t *pick, const cnn_layer *L)
{
    int H = L->in.h, W = L->in.w, Ho = L->out.h, Wo = L->out.w, s = L->win.stride;
    size_t P = (size_t)Ho * Wo;
    for (int c = 0; c < L->out.c; c++)
        for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++) {
                size_t o = c * P + (size_t)oy * Wo + ox;
                if (pick) {
                    out[o] = x[pick[o]];
                    continue;
                }
                double sum = 0.0;
                for (int y = 0; y < L->win.kh; y++)
                    for (int xx = 0; xx < L->win.kw; xx++)
                        sum += x[((size_t)c * H + oy * s + y) * W + ox * s + xx];
                out[o] = sum / (L->win.kh * L->win.kw);
            }
}

static void activate(double *z, const uint8_t *relu_on, size_t len, cnn_act a)
{
    for (size_t k = 0; k < len; k++) switch (a.kind) {
        case CNN_ACT_NONE: break;
        case CNN_ACT_RELU: z[k] = relu_on[k] ? z[k] : 0.0; break;
        case CNN_ACT_SIGMOID: z[k] = 1.0 / (1.0 + exp(-z[k])); break;
        case CNN_ACT_TANH: z[k] = tanh(z[k]); break;
        case CNN_ACT_LEAKY: z[k] = relu_on[k] ? z[k] : a.slope * z[k]; break;
        }
}

static double image_loss(const double *y, int label, int m, cnn_loss_kind kind)
{
    double loss = 0.0, ymax = y[0];
    switch (kind) {
    case CNN_LOSS_SOFTMAX_CE:
        for (int k = 1; k < m; k++) ymax = fmax(ymax, y[k]);
        for (int k = 0; k < m; k++) loss += exp(y[k] - ymax);
        return log(loss) + ymax - y[label];
    case CNN_LOSS_BCE:
        for (int k = 0; k < m; k++) loss -= k == label ? log(y[k]) : log(1.0 - y[k]);
        return loss / m;
    case CNN_LOSS_MSE:
        for (int k = 0; k < m; k++) loss += 0.5 * (y[k] - (k == label)) * (y[k] - (k == label));
        return loss;
    }
    return NAN;
}

/* Layer L's input k in the reference, image i: (C, H, W) */
static const double *input_image(const ref_net *r, const cnn_layer *L, int k, int i)
{
    size_t in = cnn_shape_size(L->in);
    return (L->from[k] == CNN_INPUT ? r->x : r->act[L->from[k]]) + i * in;
}

/* Batchnorm layer l's means and 1 / std per channel into r->norm[l]: over
 * the images' values of the channel (biased variance) when training, else
 * the running statistics'. */
static void norm_statistics(ref_net *r, int l)
{
    const cnn_layer *L = &r->net->layers[l];
    int C = L->out.c;
    size_t plane = (size_t)L->out.h * L->out.w;
    const float *running = r->net->stats + L->s_off;
    double *mean = r->norm[l], *inv_std = r->norm[l] + C;
    for (int c = 0; c < C; c++) {
        double sum = 0.0, squares = 0.0, var = running[C + c];
        mean[c] = running[c];
        if (r->norm_train) {
            for (int i = 0; i < r->n; i++)
                for (size_t k = 0; k < plane; k++) sum += input_image(r, L, 0, i)[c * plane + k];
            mean[c] = sum / ((double)r->n * plane);
            for (int i = 0; i < r->n; i++)
                for (size_t k = 0; k < plane; k++) {
                    double d = input_image(r, L, 0, i)[c * plane + k] - mean[c];
                    squares += d * d;
                }
            var = squares / ((double)r->n * plane);
        }
        inv_std[c] = 1.0 / sqrt(var + BATCHNORM_EPS);
    }
}

double ref_net_loss(ref_net *r, int from)
{
    const cnn_net *net = r->net;
    for (int l = from; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        size_t in = cnn_shape_size(L->in), out = cnn_shape_size(L->out);
        const double *w = r->params + L->w_off, *b = r->params + L->b_off;
        if (L->kind == CNN_BATCHNORM) norm_statistics(r, l);
        for (int i = 0; i < r->n; i++) {
            const double *x = input_image(r, L, 0, i);
            double *y = r->act[l] + i * out;
            const int32_t *pick = r->pick[l] ? r->pick[l] + i * out : NULL;
            switch (L->kind) {
            case CNN_CONV: conv_image(y, x, w, b, L); break;
            case CNN_DENSE:
                for (size_t o = 0; o < out; o++) {
                    double sum = b[o];
                    for (size_t k = 0; k < in; k++) sum += w[o * in + k] * x[k];
                    y[o] = sum;
                }
                break;
            case CNN_MAXPOOL:
            case CNN_MINPOOL:
            case CNN_AVGPOOL:
            case CNN_GAP:
            case CNN_GMP: pool_image(y, x, pick, L); break;
            case CNN_DROPOUT:
                for (size_t k = 0; k < out; k++)
                    y[k] = !r->dropout.on ? x[k] : pick[k] ? x[k] / (1.0 - L->rate) : 0.0;
                break;
            case CNN_ADD:
                for (size_t k = 0; k < out; k++) y[k] = x[k] + input_image(r, L, 1, i)[k];
                break;
            case CNN_BATCHNORM:
                for (size_t k = 0; k < out; k++) {
                    int c = (int)(k / (out / L->out.c));
                    y[k] = (x[k] - r->norm[l][c]) * r->norm[l][L->out.c + c] * w[c] + b[c];
                }
                break;
            case CNN_LAYER_KINDS: /* the count, not a kind */ break;
            }
            if (r->pre[l]) memcpy(r->pre[l] + i * out, y, sizeof(double) * out);
            activate(y, r->relu_on[l] ? r->relu_on[l] + i * out : NULL, out, L->act);
        }
    }
    const double *y = r->act[net->n_layers - 1];
    double total = 0.0;
    for (int i = 0; i < r->n; i++)
        total += image_loss(y + (size_t)i * net->classes, r->labels[i], net->classes, net->loss);
    return total / r->n;
}

/* Whether the engine's choice for output o of a max/min pool lies in o's
 * window and holds its extreme to within tol; 0 or -1 with why. */
static int check_pick(const cnn_layer *L, const double *x, size_t o, int32_t pick, double tol,
                      char *why)
{
    int H = L->in.h, W = L->in.w, Wo = L->out.w, s = L->win.stride;
    size_t P = (size_t)L->out.h * Wo, c = o / P;
    int oy = (int)(o % P) / Wo, ox = (int)(o % P) % Wo, in_window = 0;
    double best = x[(c * H + oy * s) * W + ox * s];
    for (int y = 0; y < L->win.kh; y++)
        for (int xx = 0; xx < L->win.kw; xx++) {
            size_t k = (c * H + oy * s + y) * W + ox * s + xx;
            best = L->kind == CNN_MINPOOL ? fmin(best, x[k]) : fmax(best, x[k]);
            in_window |= (size_t)pick == k;
        }
    if (in_window && fabs(x[pick] - best) <= tol) return 0;
    snprintf(why, CNN_ERR_LEN, "output %zu took input %d (%.9g), %s; the window's %s is %.9g", o,
             pick, in_window ? x[pick] : NAN, in_window ? "in its window" : "outside its window",
             L->kind == CNN_MINPOOL ? "min" : "max", best);
    return -1;
}

int ref_net_check_branches(ref_net *r, char *why)
{
    const cnn_net *net = r->net;
    char detail[CNN_ERR_LEN / 2];
    ref_net_loss(r, 0);
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        size_t out = cnn_shape_size(L->out), len = r->n * out;
        if (has_kink(L->act)) {
            /* Where the engine's (leaky) ReLU passed its input, the
             * reference's input must be >= 0, and where it stopped (scaled)
             * it <= 0, to within float rounding: a tie may go either way. */
            const double *z = r->pre[l];
            double tol = 0.0;
            for (size_t k = 0; k < len; k++) tol = fmax(tol, 1e-4 * fabs(z[k]));
            for (size_t k = 0; k < len; k++)
                if (r->relu_on[l][k] ? z[k] < -tol : z[k] > tol) {
                    snprintf(why, CNN_ERR_LEN,
                             "layer %d %s, element %zu: the engine %s "
                             "its input %.9g",
                             l, cnn_act_name(L->act.kind), k,
                             r->relu_on[l][k] ? "passed" : "stopped or scaled", z[k]);
                    return -1;
                }
        }
        for (int i = 0; i < r->n && picks(L) && (L->kind != CNN_DROPOUT || r->dropout.on); i++) {
            const int32_t *pick = r->pick[l] + i * out;
            const double *x = input_image(r, L, 0, i);
            double top = 0.0;
            for (size_t k = 0; k < cnn_shape_size(L->in); k++) top = fmax(top, fabs(x[k]));
            for (size_t o = 0; o < out; o++) {
                int bad = L->kind == CNN_DROPOUT
                              ? pick[o] !=
                                    dropout_keeps(r->dropout.key, r->dropout.first + i, o, L->rate)
                              : check_pick(L, x, o, pick[o], 1e-4 * top, detail);
                if (bad && L->kind == CNN_DROPOUT)
                    snprintf(detail, sizeof detail, "element %zu: mask %d, the draw says %d", o,
                             pick[o], !pick[o]);
                if (bad) {
                    snprintf(why, CNN_ERR_LEN, "layer %d %s, image %d: %s", l,
                             cnn_layer_name(L->kind), i, detail);
                    return -1;
                }
            }
        }
    }
    return 0;
}
