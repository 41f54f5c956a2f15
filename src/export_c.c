/* export_c.c: a network and its parameters as one self-contained C99 file.
 *
 * The file holds the parameters as static const float arrays in hexadecimal
 * literals (%a: every bit kept), one function per layer with that layer's
 * sizes as constants (so the compiler can unroll and vectorise its loops,
 * which gcc -O2 does only for loops of known length), the activations this
 * network uses and no other (-Wunused-function would catch one), and two
 * entry points: NAME_predict, with its scratch on the stack, and
 * NAME_predict_scratch, taking the caller's. Scratch is two buffers the size
 * of the largest layer output, which the layers write in turn; the last
 * layer writes into probs. Convolutions are plain loops: the file depends on
 * nothing but libm. Nothing is allocated and nothing changes but the
 * caller's buffers, so calls are reentrant.
 *
 * Sums run in the engine's order (the bias last), and dense weights are
 * stored inputs x units, so each output's sum is built input by input in a
 * loop over the units, which vectorises without reordering any sum. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export.h"
#include "outbuf.h"

/* ---- the code of each layer kind, after its constants ---- */

/* Constants: IN_C, IN_H, IN_W, OUT_C, OUT_H, OUT_W, KH, KW, STRIDE, PAD;
 * w (OUT_C x IN_C x KH x KW) and b (OUT_C). */
static const char CONV_BODY[] =
    "    for (int f = 0; f < OUT_C; f++, out += OUT_H * OUT_W) {\n"
    "        for (int k = 0; k < OUT_H * OUT_W; k++) out[k] = 0.0f;\n"
    "        for (int c = 0; c < IN_C; c++)\n"
    "            for (int i = 0; i < KH; i++)\n"
    "                for (int j = 0; j < KW; j++) {\n"
    "                    float wk = w[((f * IN_C + c) * KH + i) * KW + j];\n"
    "                    for (int oy = 0; oy < OUT_H; oy++) {\n"
    "                        int y = oy * STRIDE + i - PAD;\n"
    "                        if (PAD > 0 && (y < 0 || y >= IN_H)) continue;\n"
    "                        for (int ox = 0; ox < OUT_W; ox++) {\n"
    "                            int x = ox * STRIDE + j - PAD;\n"
    "                            if (PAD == 0 || (x >= 0 && x < IN_W))\n"
    "                                out[oy * OUT_W + ox] += wk * in[(c * IN_H + y) * IN_W + x];\n"
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

/* Constants: INPUTS, UNITS; w (INPUTS x UNITS) and b (UNITS). */
static const char DENSE_BODY[] =
    "    for (int o = 0; o < UNITS; o++) out[o] = 0.0f;\n"
    "    for (int i = 0; i < INPUTS; i++)\n"
    "        for (int o = 0; o < UNITS; o++) out[o] += w[i * UNITS + o] * in[i];\n"
    "    for (int o = 0; o < UNITS; o++) out[o] += b[o];\n"
    "}\n\n";

/* Indexed by cnn_act; NONE has none. */
static const char *const ACT_FUNCTION[] = { NULL, "relu", "sigmoid", "tanh_all" };
static const char *const ACT_CODE[] = {
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

static const char ARGMAX_CODE[] =
    "/* The index of the largest value, the first of equals. */\n"
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
        if ((prev == '*' && c == '/') || (prev == '/' && c == '*') ||
            (prev == '?' && c == '?'))
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

static void put_header(FILE *f, const cnn_net *net, const cnn_export_info *about,
                       size_t scratch)
{
    const char *name = about->name;
    char upper[64];
    upper_case(upper, sizeof upper, name);
    fprintf(f, "/* %s_predict: a network with its trained parameters, from the model\n * ", name);
    put_comment_text(f, about->model ? about->model : "(memory)",
                     strlen(about->model ? about->model : "(memory)"));
    fprintf(f, ", written by `cnn export --c`. Self-contained C99: link with -lm.\n"
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
    fprintf(f, " */\n#include <math.h>\n\n#define %s_SCRATCH_FLOATS %zu\n\n"
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

/* Each conv and dense layer's weights and biases; dense weights transposed
 * to inputs x units. */
static void put_parameters(FILE *f, const cnn_net *net)
{
    fprintf(f, "/* ---- parameters ---- */\n\n");
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        const float *w = net->params + L->w_off, *b = net->params + L->b_off;
        char layer[32];
        if (L->kind != CNN_CONV && L->kind != CNN_DENSE) continue;
        layer_name(layer, sizeof layer, net, l);
        size_t units = (size_t)L->out.c, inputs = L->n_w / units, k = 0;
        if (L->kind == CNN_CONV) {
            fprintf(f, "/* %zu filters x %d channels x %d x %d */\n", units, L->in.c, L->win.kh,
                    L->win.kw);
            fprintf(f, "static const float %s_w[%zu] = {", layer, L->n_w);
            for (; k < L->n_w; k++) put_value(f, w[k], k);
        } else {
            fprintf(f, "/* %zu inputs x %zu units */\n", inputs, units);
            fprintf(f, "static const float %s_w[%zu] = {", layer, L->n_w);
            for (size_t i = 0; i < inputs; i++)
                for (size_t o = 0; o < units; o++, k++) put_value(f, w[o * inputs + i], k);
        }
        fprintf(f, "\n};\nstatic const float %s_b[%zu] = {", layer, L->n_b);
        for (k = 0; k < L->n_b; k++) put_value(f, b[k], k);
        fprintf(f, "\n};\n\n");
    }
}

/* One layer's function: what it is, its sizes as constants, then the body
 * of its kind. */
static void put_layer(FILE *f, const cnn_net *net, int l)
{
    const cnn_layer *L = &net->layers[l];
    char layer[32];
    layer_name(layer, sizeof layer, net, l);
    fprintf(f, "/* Layer %d (line %d of the description): %s", l + 1, L->line,
            cnn_layer_name(L->kind));
    if (L->kind == CNN_CONV)
        fprintf(f, " %d@%dx%d stride %d pad %d", L->out.c, L->win.kh, L->win.kw, L->win.stride, L->win.pad);
    else if (L->kind != CNN_DENSE)
        fprintf(f, " %dx%d stride %d", L->win.kh, L->win.kw, L->win.stride);
    fprintf(f, ", %dx%dx%d -> %dx%dx%d. */\n"
            "static void %s(float *restrict out, const float *restrict in)\n{\n",
            L->in.c, L->in.h, L->in.w, L->out.c, L->out.h, L->out.w, layer);
    if (L->kind == CNN_DENSE) {
        fprintf(f, "    enum { INPUTS = %zu, UNITS = %d };\n"
                "    const float *w = %s_w, *b = %s_b;\n", cnn_shape_size(L->in), L->out.c,
                layer, layer);
        fputs(DENSE_BODY, f);
        return;
    }
    fprintf(f, "    enum { IN_C = %d, IN_H = %d, IN_W = %d, OUT_C = %d, OUT_H = %d, OUT_W = %d,\n"
            "           KH = %d, KW = %d, STRIDE = %d, PAD = %d };\n", L->in.c, L->in.h,
            L->in.w, L->out.c, L->out.h, L->out.w, L->win.kh, L->win.kw, L->win.stride, L->win.pad);
    switch (L->kind) {
    case CNN_CONV:
        fprintf(f, "    const float *w = %s_w, *b = %s_b;\n", layer, layer);
        fputs(CONV_BODY, f);
        break;
    case CNN_MAXPOOL: fprintf(f, EXTREME_POOL_BODY, ">"); break;
    case CNN_MINPOOL: fprintf(f, EXTREME_POOL_BODY, "<"); break;
    default:          fputs(AVGPOOL_BODY, f); break;
    }
}

/* The activations the network uses, each layer's function, softmax for a
 * softmax network, argmax. */
static void put_layers(FILE *f, const cnn_net *net)
{
    int used[CNN_ACT_TANH + 1] = { 0 };
    for (int l = 0; l < net->n_layers; l++) used[net->layers[l].act] = 1;
    fprintf(f, "/* ---- layers ---- */\n\n");
    for (int a = CNN_ACT_RELU; a <= CNN_ACT_TANH; a++)
        if (used[a]) fputs(ACT_CODE[a], f);
    for (int l = 0; l < net->n_layers; l++) put_layer(f, net, l);
    if (net->loss == CNN_LOSS_SOFTMAX_CE) fputs(SOFTMAX_CODE, f);
    fputs(ARGMAX_CODE, f);
}

/* The floats of each of the two scratch buffers: the largest output of any
 * layer but the last, which writes into probs. */
static size_t scratch_half(const cnn_net *net)
{
    size_t half = 0;
    for (int l = 0; l + 1 < net->n_layers; l++) {
        size_t n = cnn_shape_size(net->layers[l].out);
        if (n > half) half = n;
    }
    return half;
}

/* Two buffers when there are two layers or more between image and probs,
 * one for one, and a float for none (C has no empty arrays). */
static size_t scratch_floats(const cnn_net *net)
{
    size_t half = scratch_half(net);
    return net->n_layers >= 3 ? 2 * half : net->n_layers == 2 ? half : 1;
}

/* The layers in turn: layer l writes buffer l % 2 (ping, pong), the last
 * one probs. */
static void put_predict(FILE *f, const cnn_net *net, const char *name)
{
    static const char *const buffer[] = { "ping", "pong" };
    int n = net->n_layers;
    char upper[64];
    upper_case(upper, sizeof upper, name);
    fprintf(f, "/* ---- prediction ---- */\n\n"
            "int %s_predict_scratch(const float *image, float *probs, float *scratch)\n{\n",
            name);
    if (n == 1) fprintf(f, "    (void)scratch;\n");
    if (n == 2) fprintf(f, "    float *ping = scratch;\n");
    if (n >= 3) fprintf(f, "    float *ping = scratch, *pong = scratch + %zu;\n",
                        scratch_half(net));
    for (int l = 0; l < n; l++) {
        const cnn_layer *L = &net->layers[l];
        const char *out = l + 1 < n ? buffer[l % 2] : "probs";
        char layer[32];
        layer_name(layer, sizeof layer, net, l);
        fprintf(f, "    %s(%s, %s);\n", layer, out, l ? buffer[(l - 1) % 2] : "image");
        if (L->act != CNN_ACT_NONE)
            fprintf(f, "    %s(%s, %zu);\n", ACT_FUNCTION[L->act], out, cnn_shape_size(L->out));
    }
    if (net->loss == CNN_LOSS_SOFTMAX_CE) fprintf(f, "    softmax(probs, %d);\n", net->classes);
    fprintf(f, "    return argmax(probs, %d);\n}\n\n"
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

int cnn_export_c(const char *path, const cnn_net *net, const cnn_export_info *about,
                 char *err)
{
    if (!about || !is_identifier(about->name)) {
        snprintf(err, CNN_ERR_LEN, "%s: not written: the name '%s' is not a C identifier "
                 "(letters, digits and _, not starting with a digit, at most 63)", path,
                 about && about->name ? about->name : "");
        return -1;
    }
    if (export_check_params(net, path, err)) return -1;
    cnn_net inference;
    export_inference_net(net, &inference);
    net = &inference;

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
        return -1;
    }
    put_header(f, net, about, scratch_floats(net));
    put_parameters(f, net);
    put_layers(f, net);
    put_predict(f, net, about->name);
    int failed = ferror(f);
    int rc = -1;
    if (fclose(f) || failed) snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
    else rc = write_file_atomically(path, text, len, err);
    free(text);
    return rc;
}
