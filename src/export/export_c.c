/* export_c.c: a network and its parameters as one self-contained C99 file.
 *
 * The file holds the parameters as static const float arrays in hexadecimal
 * literals (%a: every bit kept), one function per layer with that layer's
 * sizes as constants (so the compiler can unroll and vectorise its loops,
 * which gcc -O2 does only for loops of known length), the activations this
 * network uses and no other (-Wunused-function would catch one), and two
 * entry points: NAME_predict, with its scratch on the stack, and
 * NAME_predict_scratch, taking the caller's. Scratch is a few buffers the
 * size of the largest layer output, which the layers write in turn (two for
 * a chain; a graph holds a buffer until its last reader has run); the last
 * layer writes into probs. Convolutions are plain loops: the
 * file depends on nothing but libm. Nothing is allocated and nothing changes
 * but the caller's buffers, so calls are reentrant.
 *
 * Sums run in the engine's order (the bias last), and dense weights are
 * stored inputs x units, so each output's sum is built input by input in a
 * loop over the units, which vectorises without reordering any sum. */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export/export.h"
#include "kernels/kernels.h"
#include "sys/outbuf.h"

/* ---- the code of each layer kind, after its constants ---- */

/* Constants: IN_C, IN_H, IN_W, OUT_C, OUT_H, OUT_W, KH, KW, STRIDE, PAD and
 * GROUP_C, GROUP_F (the channels and filters of a group; IN_C and OUT_C
 * without groups); w (OUT_C x GROUP_C x KH x KW) and b (OUT_C). */
static const char CONV_BODY[] =
    "    for (int f = 0; f < OUT_C; f++, out += OUT_H * OUT_W) {\n"
    "        const float *group = in + f / GROUP_F * GROUP_C * IN_H * IN_W;\n"
    "        for (int k = 0; k < OUT_H * OUT_W; k++) out[k] = 0.0f;\n"
    "        for (int c = 0; c < GROUP_C; c++)\n"
    "            for (int i = 0; i < KH; i++)\n"
    "                for (int j = 0; j < KW; j++) {\n"
    "                    float wk = w[((f * GROUP_C + c) * KH + i) * KW + j];\n"
    "                    for (int oy = 0; oy < OUT_H; oy++) {\n"
    "                        int y = oy * STRIDE + i - PAD;\n"
    "                        if (PAD > 0 && (y < 0 || y >= IN_H)) continue;\n"
    "                        for (int ox = 0; ox < OUT_W; ox++) {\n"
    "                            int x = ox * STRIDE + j - PAD;\n"
    "                            if (PAD == 0 || (x >= 0 && x < IN_W))\n"
    "                                out[oy * OUT_W + ox] +=\n"
    "                                    wk * group[(c * IN_H + y) * IN_W + x];\n"
    "                        }\n"
    "                    }\n"
    "                }\n"
    "        for (int k = 0; k < OUT_H * OUT_W; k++) out[k] += b[f];\n"
    "    }\n"
    "}\n\n";

/* Max and min pooling differ in their comparison only. Constants: IN_C,
 * IN_H, IN_W, OUT_H, OUT_W, KH, KW, STRIDE. */
static const char EXTREME_POOL_BODY[] =
    "    for (int c = 0; c < IN_C; c++)\n"
    "        for (int oy = 0; oy < OUT_H; oy++)\n"
    "            for (int ox = 0; ox < OUT_W; ox++) {\n"
    "                const float *p = in + (c * IN_H + oy * STRIDE) * IN_W + ox * STRIDE;\n"
    "                float best = p[0];\n"
    "                for (int i = 0; i < KH; i++)\n"
    "                    for (int j = 0; j < KW; j++)\n"
    "                        if (p[i * IN_W + j] %s best) best = p[i * IN_W + j];\n"
    "                *out++ = best;\n"
    "            }\n"
    "}\n\n";

static const char AVGPOOL_BODY[] =
    "    const float inv_area = 1.0f / (float)(KH * KW);\n"
    "    for (int c = 0; c < IN_C; c++)\n"
    "        for (int oy = 0; oy < OUT_H; oy++)\n"
    "            for (int ox = 0; ox < OUT_W; ox++) {\n"
    "                const float *p = in + (c * IN_H + oy * STRIDE) * IN_W + ox * STRIDE;\n"
    "                float sum = 0.0f;\n"
    "                for (int i = 0; i < KH; i++)\n"
    "                    for (int j = 0; j < KW; j++) sum += p[i * IN_W + j];\n"
    "                *out++ = sum * inv_area;\n"
    "            }\n"
    "}\n\n";

/* Constants: SIZE; inputs a and b. */
static const char ADD_BODY[] = "    for (int k = 0; k < SIZE; k++) out[k] = a[k] + b[k];\n"
                               "}\n\n";

/* Constants: INPUTS, UNITS; w (INPUTS x UNITS) and b (UNITS). */
static const char DENSE_BODY[] =
    "    for (int o = 0; o < UNITS; o++) out[o] = 0.0f;\n"
    "    for (int i = 0; i < INPUTS; i++)\n"
    "        for (int o = 0; o < UNITS; o++) out[o] += w[i * UNITS + o] * in[i];\n"
    "    for (int o = 0; o < UNITS; o++) out[o] += b[o];\n"
    "}\n\n";

/* Constants: C, PLANE (values a channel); m (the running means), s (the
 * scales: gamma / sqrt(var + eps) as the engine rounds them) and b (C). */
static const char BATCHNORM_BODY[] =
    "    for (int c = 0; c < C; c++)\n"
    "        for (int k = 0; k < PLANE; k++)\n"
    "            out[c * PLANE + k] = (in[c * PLANE + k] - m[c]) * s[c] + b[c];\n"
    "}\n\n";

/* Indexed by cnn_act_kind; NONE has none. Leaky takes its slope as well. */
static const char *const ACT_FUNCTION[] = { NULL, "relu", "sigmoid", "tanh_all", "leaky_relu" };
static_assert(sizeof ACT_FUNCTION / sizeof ACT_FUNCTION[0] == CNN_ACT_KINDS,
              "a function for every activation");
static const char *const ACT_CODE[CNN_ACT_KINDS] = {
    NULL,
    "static void relu(float *x, int n)\n"
    "{\n"
    "    for (int i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;\n"
    "}\n\n",
    "static void sigmoid(float *x, int n)\n"
    "{\n"
    "    for (int i = 0; i < n; i++) x[i] = 1.0f / (1.0f + expf(-x[i]));\n"
    "}\n\n",
    "static void tanh_all(float *x, int n)\n"
    "{\n"
    "    for (int i = 0; i < n; i++) x[i] = tanhf(x[i]);\n"
    "}\n\n",
    "static void leaky_relu(float *x, int n, float slope)\n"
    "{\n"
    "    for (int i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : slope * x[i];\n"
    "}\n\n",
};

static const char SOFTMAX_CODE[] =
    "/* In place, shifted by the largest value, summed in double. */\n"
    "static void softmax(float *z, int n)\n"
    "{\n"
    "    float max = z[0];\n"
    "    for (int k = 1; k < n; k++)\n"
    "        if (z[k] > max) max = z[k];\n"
    "    double sum = 0.0;\n"
    "    for (int k = 0; k < n; k++) sum += exp((double)(z[k] - max));\n"
    "    double log_sum = log(sum);\n"
    "    for (int k = 0; k < n; k++) z[k] = (float)exp((double)(z[k] - max) - log_sum);\n"
    "}\n\n";

static const char ARGMAX_CODE[] = "/* The index of the largest value, the first of equals. */\n"
                                  "static int argmax(const float *v, int n)\n"
                                  "{\n"
                                  "    int best = 0;\n"
                                  "    for (int k = 1; k < n; k++)\n"
                                  "        if (v[k] > v[best]) best = k;\n"
                                  "    return best;\n"
                                  "}\n\n";

/* ---- writing ---- */

/* Text inside a comment, one line: no character can end the comment, start
 * a nested one or form a trigraph. */
static void put_comment_text(FILE *f, const char *s, size_t len)
{
    char prev = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!isprint((unsigned char)c)) c = '.';
        if ((prev == '*' && c == '/') || (prev == '/' && c == '*') || (prev == '?' && c == '?'))
            fputc(' ', f);
        fputc(c, f);
        prev = c;
    }
}

/* The name in capitals, for the scratch size's macro. */
static void upper_case(char *upper, size_t size, const char *name)
{
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++) upper[i] = (char)toupper((unsigned char)name[i]);
    upper[i] = 0;
}

static void put_header(FILE *f, const cnn_net *net, const cnn_export_info *about, size_t scratch)
{
    const char *name = about->name;
    char upper[64];
    upper_case(upper, sizeof upper, name);
    fprintf(f, "/* %s_predict: a network with its trained parameters, from the model\n * ", name);
    put_comment_text(f, about->model ? about->model : "(memory)",
                     strlen(about->model ? about->model : "(memory)"));
    fprintf(f,
            ", written by `cnn export --c`. Self-contained C99: link with -lm.\n"
            " *\n"
            " *   int %s_predict(const float *image, float *probs);\n"
            " *\n"
            " * image: %zu floats, %d x %d x %d (channels, height, width: NCHW),\n"
            " *        %s.\n"
            " * probs: receives %d floats, %s.\n"
            " * Returns the class: the index of the largest, the first of equals.\n"
            " *\n"
            " * It keeps %s_SCRATCH_FLOATS = %zu floats (%zu bytes) on the stack. Where\n"
            " * that is too much, call\n"
            " *\n"
            " *   int %s_predict_scratch(const float *image, float *probs, float *scratch);\n"
            " *\n"
            " * with scratch pointing to that many floats of your own (one block per\n"
            " * concurrent call). Neither allocates or keeps state: both are reentrant.\n"
            " * probs must not overlap image or scratch.\n"
            " *\n"
            " * The network's description:\n",
            name, cnn_shape_size(net->input), net->input.c, net->input.h, net->input.w,
            export_pixels(net), net->classes, export_output_kind(net), upper, scratch,
            scratch * sizeof(float), name);
    for (const char *line = net->text; *line;) {
        size_t len = strcspn(line, "\n");
        fputs(" *   ", f);
        put_comment_text(f, line, len);
        fputc('\n', f);
        line += len + (line[len] == '\n');
    }
    fprintf(f,
            " */\n#include <math.h>\n\n#define %s_SCRATCH_FLOATS %zu\n\n"
            "int %s_predict(const float *image, float *probs);\n"
            "int %s_predict_scratch(const float *image, float *probs, float *scratch);\n\n",
            upper, scratch, name, name);
}

static void layer_name(char *name, size_t size, const cnn_net *net, int l)
{
    snprintf(name, size, "%s%d", cnn_layer_name(net->layers[l].kind), l + 1);
}

/* One value of an array, five to a line. */
static void put_value(FILE *f, float v, size_t k)
{
    fprintf(f, "%s%af,", k % 5 ? " " : "\n    ", (double)v);
}

/* ---- each kind: its parameters as arrays, and its function's body ---- */

/* An array of n values: static const float LAYER_SUFFIX[n] = {...}; */
static void put_array(FILE *f, const char *layer, const char *suffix, const float *v, size_t n)
{
    fprintf(f, "static const float %s_%s[%zu] = {", layer, suffix, n);
    for (size_t k = 0; k < n; k++) put_value(f, v[k], k);
    fprintf(f, "\n};\n");
}

static void conv_parameters(FILE *f, const cnn_net *net, const cnn_layer *L, const char *layer)
{
    const float *params = net->params;
    fprintf(f, "/* %d filters x %d channels x %d x %d */\n", L->out.c, L->in.c / L->groups,
            L->win.kh, L->win.kw);
    put_array(f, layer, "w", params + L->w_off, L->n_w);
    put_array(f, layer, "b", params + L->b_off, L->n_b);
    fputc('\n', f);
}

/* Dense weights transposed to inputs x units. */
static void dense_parameters(FILE *f, const cnn_net *net, const cnn_layer *L, const char *layer)
{
    const float *w = net->params + L->w_off;
    size_t units = (size_t)L->out.c, inputs = L->n_w / units, k = 0;
    fprintf(f, "/* %zu inputs x %zu units */\n", inputs, units);
    fprintf(f, "static const float %s_w[%zu] = {", layer, L->n_w);
    for (size_t i = 0; i < inputs; i++)
        for (size_t o = 0; o < units; o++, k++) put_value(f, w[o * inputs + i], k);
    fprintf(f, "\n};\n");
    put_array(f, layer, "b", net->params + L->b_off, L->n_b);
    fputc('\n', f);
}

/* The running means, the scales folded as the engine folds them, the shifts. */
static void batchnorm_parameters(FILE *f, const cnn_net *net, const cnn_layer *L, const char *layer)
{
    const float *gamma = net->params + L->w_off, *running = net->stats + L->s_off;
    int C = L->out.c;
    fprintf(f, "/* %d channels: running means, scales, shifts */\n", C);
    put_array(f, layer, "m", running, (size_t)C);
    fprintf(f, "static const float %s_s[%d] = {", layer, C);
    for (int c = 0; c < C; c++) put_value(f, gamma[c] * batchnorm_inv_std(running[C + c]), c);
    fprintf(f, "\n};\n");
    put_array(f, layer, "b", net->params + L->b_off, L->n_b);
    fputc('\n', f);
}

static void window_constants(FILE *f, const cnn_layer *L)
{
    fprintf(f,
            "    enum { IN_C = %d, IN_H = %d, IN_W = %d, OUT_C = %d, OUT_H = %d, OUT_W = %d,\n"
            "           KH = %d, KW = %d, STRIDE = %d, PAD = %d };\n",
            L->in.c, L->in.h, L->in.w, L->out.c, L->out.h, L->out.w, L->win.kh, L->win.kw,
            L->win.stride, L->win.pad);
}

static void conv_body(FILE *f, const cnn_layer *L, const char *layer)
{
    window_constants(f, L);
    fprintf(f, "    enum { GROUP_C = %d, GROUP_F = %d };\n", L->in.c / L->groups,
            L->out.c / L->groups);
    fprintf(f, "    const float *w = %s_w, *b = %s_b;\n", layer, layer);
    fputs(CONV_BODY, f);
}

static void maxpool_body(FILE *f, const cnn_layer *L, const char *layer)
{
    window_constants(f, L);
    fprintf(f, EXTREME_POOL_BODY, ">");
}

static void minpool_body(FILE *f, const cnn_layer *L, const char *layer)
{
    window_constants(f, L);
    fprintf(f, EXTREME_POOL_BODY, "<");
}

static void avgpool_body(FILE *f, const cnn_layer *L, const char *layer)
{
    window_constants(f, L);
    fputs(AVGPOOL_BODY, f);
}

static void dense_body(FILE *f, const cnn_layer *L, const char *layer)
{
    fprintf(f,
            "    enum { INPUTS = %zu, UNITS = %d };\n"
            "    const float *w = %s_w, *b = %s_b;\n",
            cnn_shape_size(L->in), L->out.c, layer, layer);
    fputs(DENSE_BODY, f);
}

static void batchnorm_body(FILE *f, const cnn_layer *L, const char *layer)
{
    fprintf(f,
            "    enum { C = %d, PLANE = %d };\n"
            "    const float *m = %s_m, *s = %s_s, *b = %s_b;\n",
            L->out.c, L->out.h * L->out.w, layer, layer, layer);
    fputs(BATCHNORM_BODY, f);
}

static void add_body(FILE *f, const cnn_layer *L, const char *layer)
{
    fprintf(f, "    enum { SIZE = %zu };\n", cnn_shape_size(L->out));
    fputs(ADD_BODY, f);
}

/* Dropout, the identity outside training, has no code: its readers read its
 * input. */
static const struct {
    void (*parameters)(FILE *f, const cnn_net *net, const cnn_layer *L, const char *layer);
    void (*body)(FILE *f, const cnn_layer *L, const char *layer);
} kinds[] = {
    [CNN_CONV] = { conv_parameters, conv_body },
    [CNN_MAXPOOL] = { NULL, maxpool_body },
    [CNN_MINPOOL] = { NULL, minpool_body },
    [CNN_AVGPOOL] = { NULL, avgpool_body },
    [CNN_DENSE] = { dense_parameters, dense_body },
    [CNN_DROPOUT] = { NULL, NULL },
    [CNN_ADD] = { NULL, add_body },
    [CNN_GAP] = { NULL, avgpool_body }, /* one window, the whole input */
    [CNN_GMP] = { NULL, maxpool_body },
    [CNN_BATCHNORM] = { batchnorm_parameters, batchnorm_body },
};
static_assert(sizeof kinds / sizeof kinds[0] == CNN_LAYER_KINDS,
              "export_c.c needs an entry for every cnn_layer_kind");

static void put_parameters(FILE *f, const cnn_net *net)
{
    fprintf(f, "/* ---- parameters ---- */\n\n");
    for (int l = 0; l < net->n_layers; l++) {
        char layer[32];
        layer_name(layer, sizeof layer, net, l);
        if (kinds[net->layers[l].kind].parameters)
            kinds[net->layers[l].kind].parameters(f, net, &net->layers[l], layer);
    }
}

/* One layer's function: what it is, then its kind's constants and body. */
static void put_layer(FILE *f, const cnn_net *net, int l)
{
    const cnn_layer *L = &net->layers[l];
    char layer[32], what[96];
    if (!kinds[L->kind].body) return;
    layer_name(layer, sizeof layer, net, l);
    cnn_layer_describe(L, what, sizeof what);
    fprintf(f, "/* Layer %d (line %d of the description): %s, %dx%dx%d -> %dx%dx%d. */\n", l + 1,
            L->line, what, L->in.c, L->in.h, L->in.w, L->out.c, L->out.h, L->out.w);
    if (L->n_from > 1)
        fprintf(f,
                "static void %s(float *restrict out, const float *restrict a,\n"
                "    const float *restrict b)\n{\n",
                layer);
    else fprintf(f, "static void %s(float *restrict out, const float *restrict in)\n{\n", layer);
    kinds[L->kind].body(f, L, layer);
}

/* The activations the network uses, each layer's function, softmax for a
 * softmax network, argmax. */
static void put_layers(FILE *f, const cnn_net *net)
{
    int used[CNN_ACT_KINDS] = { 0 };
    for (int l = 0; l < net->n_layers; l++) used[net->layers[l].act.kind] = 1;
    fprintf(f, "/* ---- layers ---- */\n\n");
    for (int a = CNN_ACT_RELU; a < CNN_ACT_KINDS; a++)
        if (used[a]) fputs(ACT_CODE[a], f);
    for (int l = 0; l < net->n_layers; l++) put_layer(f, net, l);
    if (net->loss == CNN_LOSS_SOFTMAX_CE) fputs(SOFTMAX_CODE, f);
    fputs(ARGMAX_CODE, f);
}

/* ---- where each layer's output lives ---- */

#define IN_IMAGE (-1) /* a value held by the caller's image */
#define IN_PROBS (-2) /* the last layer's output: probs */

/* The buffer of every layer's output: the lowest-numbered scratch buffer
 * that no value still to be read holds (a chain alternates 0 and 1), the
 * caller's image for a dropout on the input, and probs for the last. */
typedef struct {
    int buffer[CNN_MAX_LAYERS];
    int buffers; /* scratch buffers used */
    size_t size; /* floats each: the largest output held in one */
} placement;

/* The last layer that reads layer l's output (through dropouts, which pass
 * their input on). */
static int last_reader(const cnn_net *net, int l)
{
    int last = l;
    for (int k = l + 1; k < net->n_layers; k++)
        for (int i = 0; i < net->layers[k].n_from; i++)
            if (net->layers[k].from[i] == l) {
                int reader = kinds[net->layers[k].kind].body ? k : last_reader(net, k);
                if (reader > last) last = reader;
            }
    return last;
}

static placement place(const cnn_net *net)
{
    placement p = { { 0 }, 0, 0 };
    int held_until[CNN_MAX_LAYERS]; /* per buffer: the last reader of its value */
    int last = net->n_layers - 1;
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        if (!kinds[L->kind].body) { /* dropout: its input's buffer */
            p.buffer[l] = L->from[0] == CNN_INPUT ? IN_IMAGE : p.buffer[L->from[0]];
            continue;
        }
        if (l == last) {
            p.buffer[l] = IN_PROBS;
            continue;
        }
        int b = 0;
        while (b < p.buffers && held_until[b] >= l) b++;
        if (b == p.buffers) p.buffers++;
        held_until[b] = last_reader(net, l);
        p.buffer[l] = b;
        if (cnn_shape_size(L->out) > p.size) p.size = cnn_shape_size(L->out);
    }
    return p;
}

/* Scratch floats: the buffers, and a float for none (C has no empty arrays). */
static size_t scratch_floats(const placement *p) { return p->buffers ? p->buffers * p->size : 1; }

static void buffer_name(char *name, size_t size, const placement *p, int l)
{
    int b = l == CNN_INPUT ? IN_IMAGE : p->buffer[l];
    if (b == IN_IMAGE) snprintf(name, size, "image");
    else if (b == IN_PROBS) snprintf(name, size, "probs");
    else snprintf(name, size, "scratch + %zu", b * p->size);
}

/* The layers in order, each writing its buffer from its inputs'; the last
 * writes probs. */
static void put_predict(FILE *f, const cnn_net *net, const placement *p, const char *name)
{
    char upper[64];
    upper_case(upper, sizeof upper, name);
    fprintf(f,
            "/* ---- prediction ---- */\n\n"
            "int %s_predict_scratch(const float *image, float *probs, float *scratch)\n{\n",
            name);
    if (!p->buffers) fprintf(f, "    (void)scratch;\n");
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        char layer[32], out[48], a[48], b[48];
        if (!kinds[L->kind].body) continue;
        layer_name(layer, sizeof layer, net, l);
        buffer_name(out, sizeof out, p, l);
        buffer_name(a, sizeof a, p, L->from[0]);
        if (L->n_from > 1) {
            buffer_name(b, sizeof b, p, L->from[1]);
            fprintf(f, "    %s(%s, %s, %s);\n", layer, out, a, b);
        } else {
            fprintf(f, "    %s(%s, %s);\n", layer, out, a);
        }
        if (L->act.kind == CNN_ACT_LEAKY)
            fprintf(f, "    %s(%s, %zu, %.9ef);\n", ACT_FUNCTION[L->act.kind], out,
                    cnn_shape_size(L->out), L->act.slope);
        else if (L->act.kind != CNN_ACT_NONE)
            fprintf(f, "    %s(%s, %zu);\n", ACT_FUNCTION[L->act.kind], out,
                    cnn_shape_size(L->out));
    }
    if (net->loss == CNN_LOSS_SOFTMAX_CE) fprintf(f, "    softmax(probs, %d);\n", net->classes);
    fprintf(f,
            "    return argmax(probs, %d);\n}\n\n"
            "int %s_predict(const float *image, float *probs)\n{\n"
            "    float scratch[%s_SCRATCH_FLOATS];\n"
            "    return %s_predict_scratch(image, probs, scratch);\n}\n",
            net->classes, name, upper, name);
}

static int is_identifier(const char *s)
{
    if (!s || !*s || isdigit((unsigned char)*s) || strlen(s) > 63) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_') return 0;
    return 1;
}

int cnn_export_c(const char *path, const cnn_net *net, const cnn_export_info *about, char *err)
{
    if (!about || !is_identifier(about->name)) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: not written: the name '%s' is not a C identifier "
                 "(letters, digits and _, not starting with a digit, at most 63)",
                 path, about && about->name ? about->name : "");
        return -1;
    }
    if (export_check_params(net, path, err)) return -1;
    placement where = place(net);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
        return -1;
    }
    put_header(f, net, about, scratch_floats(&where));
    put_parameters(f, net);
    put_layers(f, net);
    put_predict(f, net, &where, about->name);
    int failed = ferror(f);
    int rc = -1;
    if (fclose(f) || failed) snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
    else rc = write_file_atomically(path, text, len, err);
    free(text);
    return rc;
}
