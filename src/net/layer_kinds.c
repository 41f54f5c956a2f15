/* layer_kinds.c: the table of layer kinds. Each entry gathers what one kind
 * does: the options its description line takes and the shape and
 * parameters they give, its words in `cnn info`, its multiply-adds, the
 * fans of its initialisation, its buffers, and its forward and backward
 * passes (the kernels: conv.c, pool.c, dense.c, dropout.c, norm.c, act.c). A new
 * kind is one entry here, its kernels, and one entry in each exporter's
 * table (export_onnx.c, export_c.c); the build fails while any is missing. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/net.h"

/* ---- windows: conv and the pools ---- */

/* Output extent of a window sliding over `in` ((W - F + 2P) / S + 1), or
 * -1 with an error. */
static int slide(layer_line *p, const char *what, int in, int k, int stride, int pad)
{
    if (k > in + 2 * pad)
        return line_fail(p, "%s %d is larger than its input %d%s", what, k, in,
                         pad ? " plus padding" : "");
    return (in - k + 2 * pad) / stride + 1;
}

/* size= (required), stride= (default: 1 for conv, the window's height for
 * pools), and the output's height and width; pad is set. */
static int window_setup(layer_line *p, cnn_layer *L, int conv)
{
    cnn_window *w = &L->win;
    if (line_need(p, "size") || line_size(p, &w->kh, &w->kw)) return -1;
    w->stride = conv ? 1 : w->kh;
    if (line_int(p, "stride", 1, LAYER_MAX_DIM, &w->stride)) return -1;
    if (w->pad >= w->kh || w->pad >= w->kw)
        return line_fail(p, "pad=%d must be smaller than the kernel %dx%d", w->pad, w->kh, w->kw);
    L->out.h = slide(p, conv ? "kernel height" : "window height", L->in.h, w->kh, w->stride,
                     w->pad);
    if (L->out.h < 0) return -1;
    L->out.w = slide(p, conv ? "kernel width" : "window width", L->in.w, w->kw, w->stride, w->pad);
    return L->out.w < 0 ? -1 : 0;
}

/* ---- conv ---- */

/* Each output of a grouped convolution sees its group's channels, and each
 * input feeds its group's filters. */
static void conv_fans(const cnn_layer *L, double *fan_in, double *fan_out)
{
    double area = (double)L->win.kh * L->win.kw;
    *fan_in = (double)L->in.c / L->groups * area;
    *fan_out = (double)L->out.c / L->groups * area;
}

static int conv_setup(layer_line *p, cnn_layer *L)
{
    int filters = 0;
    L->groups = 1;
    if (line_need(p, "filters") || line_int(p, "filters", 1, LAYER_MAX_DIM, &filters) ||
        line_act(p, &L->act) || line_int(p, "pad", 0, LAYER_MAX_DIM, &L->win.pad) ||
        line_int(p, "groups", 1, LAYER_MAX_DIM, &L->groups) || window_setup(p, L, 1))
        return -1;
    if (L->in.c % L->groups)
        return line_fail(p, "groups=%d does not divide the input's %d channels", L->groups,
                         L->in.c);
    if (filters % L->groups)
        return line_fail(p, "groups=%d does not divide filters=%d", L->groups, filters);
    L->out.c = filters;
    L->n_w = (size_t)filters * conv_group_k(L);
    L->n_b = (size_t)filters;
    return 0;
}

static void conv_describe(const cnn_layer *L, char *buf, size_t len)
{
    char groups[32] = "";
    if (L->groups > 1) snprintf(groups, sizeof groups, " groups %d", L->groups);
    snprintf(buf, len, "conv %d@%dx%d stride %d pad %d%s %s", L->out.c, L->win.kh, L->win.kw,
             L->win.stride, L->win.pad, groups, act_describe(L->act).text);
}

static double conv_macs(const cnn_layer *L)
{
    return (double)cnn_shape_size(L->out) * conv_group_k(L);
}

static int conv_alloc(layer_scratch *s, const cnn_layer *L, int n)
{
    return conv_scratch_alloc(&s->conv, L, n);
}

static void conv_run(const layer_run *r) { conv_forward(&r->pass, r->params, &r->s->conv); }

static void conv_back(const layer_run *r, const layer_grads *g)
{
    conv_backward(&r->pass, r->params, g, &r->s->conv, r->act);
}

/* ---- max, min and average pooling ---- */

static int pool_setup(layer_line *p, cnn_layer *L)
{
    L->out.c = L->in.c;
    return window_setup(p, L, 0);
}

static void pool_describe(const cnn_layer *L, char *buf, size_t len)
{
    snprintf(buf, len, "%s %dx%d stride %d", cnn_layer_name(L->kind), L->win.kh, L->win.kw,
             L->win.stride);
}

/* Pools and dropout compare, add or scale: no multiply-adds. */
static double no_macs(const cnn_layer *L)
{
    (void)L;
    return 0.0;
}

/* The mask of max/min pooling's choices, or of dropout's draws. */
static int mask_alloc(layer_scratch *s, const cnn_layer *L, int n)
{
    s->mask = aligned_calloc((size_t)n * cnn_shape_size(L->out), sizeof(int32_t));
    return s->mask ? 0 : -1;
}

static void maxpool_run(const layer_run *r) { maxpool_forward(&r->pass, r->s->mask); }
static void minpool_run(const layer_run *r) { minpool_forward(&r->pass, r->s->mask); }
static void avgpool_run(const layer_run *r) { avgpool_forward(&r->pass); }

static void pool_back(const layer_run *r, const layer_grads *g)
{
    if (g->din) pool_backward(&r->pass, g, r->s->mask);
}

/* ---- dense ---- */

static int dense_setup(layer_line *p, cnn_layer *L)
{
    int units = 0;
    if (line_need(p, "units") || line_int(p, "units", 1, LAYER_MAX_DIM, &units) ||
        line_act(p, &L->act))
        return -1;
    L->out = (cnn_shape){ units, 1, 1 };
    L->n_w = (size_t)units * cnn_shape_size(L->in);
    L->n_b = (size_t)units;
    return 0;
}

static void dense_describe(const cnn_layer *L, char *buf, size_t len)
{
    snprintf(buf, len, "dense %d %s", L->out.c, act_describe(L->act).text);
}

static double dense_macs(const cnn_layer *L)
{
    return (double)cnn_shape_size(L->out) * (double)cnn_shape_size(L->in);
}

static void dense_fans(const cnn_layer *L, double *fan_in, double *fan_out)
{
    *fan_in = (double)cnn_shape_size(L->in);
    *fan_out = L->out.c;
}

static void dense_run(const layer_run *r) { dense_forward(&r->pass, r->params); }

static void dense_back(const layer_run *r, const layer_grads *g)
{
    dense_backward(&r->pass, r->params, g, r->act);
}

/* ---- dropout ---- */

static int dropout_setup(layer_line *p, cnn_layer *L)
{
    if (line_need(p, "rate") || line_float(p, "rate", 0, 0.99, &L->rate)) return -1;
    L->out = L->in;
    return 0;
}

static void dropout_describe(const cnn_layer *L, char *buf, size_t len)
{
    snprintf(buf, len, "dropout rate %g (training only)", L->rate);
}

static void dropout_run(const layer_run *r) { dropout_forward(&r->pass, r->draw, r->s->mask); }

static void dropout_back(const layer_run *r, const layer_grads *g)
{
    if (g->din) dropout_backward(&r->pass, g, r->s->mask);
}

/* ---- add: the element-wise sum of two layers' outputs ---- */

static int add_setup(layer_line *p, cnn_layer *L)
{
    cnn_shape a = L->in, b = line_second_input(p);
    if (line_act(p, &L->act)) return -1;
    if (a.c != b.c || a.h != b.h || a.w != b.w)
        return line_fail(p,
                         "add: %s's output is %dx%dx%d but %s's is %dx%dx%d (they must "
                         "match)",
                         line_input_name(p, 0), a.c, a.h, a.w, line_input_name(p, 1), b.c, b.h,
                         b.w);
    L->out = L->in;
    return 0;
}

static void add_describe(const cnn_layer *L, char *buf, size_t len)
{
    snprintf(buf, len, "add %s", act_describe(L->act).text);
}

static void add_run(const layer_run *r)
{
    const layer_pass *p = &r->pass;
    size_t len = (size_t)p->n * cnn_shape_size(p->L->out);
    for (size_t i = 0; i < len; i++) p->out[i] = p->in[i] + r->in2[i];
    act_forward(p->out, len, p->L->act);
}

static void add_back(const layer_run *r, const layer_grads *g)
{
    const layer_pass *p = &r->pass;
    act_backward(g->dout, p->out, (size_t)p->n * cnn_shape_size(p->L->out), r->act);
}

/* ---- gap and gmp: global average and max pooling, a window the size of
 * the input, so the pool kernels run them ---- */

static int global_setup(layer_line *p, cnn_layer *L)
{
    L->win = (cnn_window){ L->in.h, L->in.w, 1, 0 };
    L->out = (cnn_shape){ L->in.c, 1, 1 };
    return 0;
}

static void global_describe(const cnn_layer *L, char *buf, size_t len)
{
    snprintf(buf, len, "%s %dx%d", L->kind == CNN_GAP ? "gap (average)" : "gmp (max)", L->in.h,
             L->in.w);
}

/* ---- batchnorm: per channel of a convolution, per unit of a dense layer ---- */

static int batchnorm_setup(layer_line *p, cnn_layer *L)
{
    if (line_act(p, &L->act)) return -1;
    L->out = L->in;
    L->n_w = L->n_b = (size_t)L->in.c;
    L->n_s = 2 * (size_t)L->in.c;
    return 0;
}

static void batchnorm_describe(const cnn_layer *L, char *buf, size_t len)
{
    snprintf(buf, len, "batchnorm %d %s %s", L->out.c,
             L->out.h * L->out.w > 1 ? "channels" : "units", act_describe(L->act).text);
}

/* Inference: one multiply-add a value (the scale and shift folded). */
static double batchnorm_macs(const cnn_layer *L) { return (double)cnn_shape_size(L->out); }

static void batchnorm_run(const layer_run *r) { batchnorm_forward(&r->pass, r->params, &r->stats); }

static void batchnorm_back(const layer_run *r, const layer_grads *g)
{
    batchnorm_backward(&r->pass, r->params, &r->stats, g, r->act);
}

/* ---- the table ---- */

/* One entry per kind, in the order of cnn_layer_kind. */
/* clang-format off */
const layer_kind layer_kinds[] = {
    { CNN_CONV, "conv", { "filters", "size", "stride", "pad", "groups", "act", "slope" }, 1,
      "conv filters=4 size=3x2 stride=2 pad=1 act=tanh\n"
      "conv filters=8 size=3 pad=1 groups=4 act=relu",
      conv_setup, conv_describe, conv_macs, conv_fans, conv_alloc, conv_run,
      conv_back, 0 },
    { CNN_MAXPOOL, "maxpool", { "size", "stride" }, 1, "maxpool size=3 stride=2",
      pool_setup, pool_describe, no_macs, NULL, mask_alloc, maxpool_run, pool_back, 0 },
    { CNN_MINPOOL, "minpool", { "size", "stride" }, 1, "minpool size=2",
      pool_setup, pool_describe, no_macs, NULL, mask_alloc, minpool_run, pool_back, 0 },
    { CNN_AVGPOOL, "avgpool", { "size", "stride" }, 1, "avgpool size=3 stride=1",
      pool_setup, pool_describe, no_macs, NULL, NULL, avgpool_run, pool_back, 0 },
    { CNN_DENSE, "dense", { "units", "act", "slope" }, 1, "dense units=5 act=sigmoid",
      dense_setup, dense_describe, dense_macs, dense_fans, NULL, dense_run, dense_back, 0 },
    { CNN_DROPOUT, "dropout", { "rate" }, 1, "dropout rate=0.3",
      dropout_setup, dropout_describe, no_macs, NULL, mask_alloc, dropout_run, dropout_back,
      0 },
    { CNN_ADD, "add", { "act", "slope" }, 2, "add from=input act=leaky slope=0.2",
      add_setup, add_describe, no_macs, NULL, NULL, add_run, add_back, 1 },
    { CNN_GAP, "gap", { NULL }, 1, "conv filters=3 size=3 act=tanh\ngap",
      global_setup, global_describe, no_macs, NULL, NULL, avgpool_run, pool_back, 0 },
    { CNN_GMP, "gmp", { NULL }, 1, "conv filters=3 size=3 act=tanh\ngmp",
      global_setup, global_describe, no_macs, NULL, mask_alloc, maxpool_run, pool_back, 0 },
    { CNN_BATCHNORM, "batchnorm", { "act", "slope" }, 1,
      "conv filters=4 size=3\nbatchnorm act=relu\ndense units=6\nbatchnorm act=tanh",
      batchnorm_setup, batchnorm_describe, batchnorm_macs, NULL, NULL, batchnorm_run,
      batchnorm_back, 0 },
};
/* clang-format on */
static_assert(sizeof layer_kinds / sizeof layer_kinds[0] == CNN_LAYER_KINDS,
              "layer_kinds needs one entry per cnn_layer_kind");

const layer_kind *layer_kind_named(const char *name)
{
    for (int k = 0; k < CNN_LAYER_KINDS; k++)
        if (!strcmp(layer_kinds[k].name, name)) return &layer_kinds[k];
    return NULL;
}

const char *cnn_layer_name(cnn_layer_kind k) { return layer_kinds[k].name; }

double cnn_layer_macs(const cnn_layer *L) { return layer_kinds[L->kind].macs(L); }

void cnn_layer_describe(const cnn_layer *L, char *buf, size_t len)
{
    layer_kinds[L->kind].describe(L, buf, len);
}
