/* export_onnx.c: a network and its parameters as an ONNX model, opset 13.
 *
 * The protobuf encoding is written here directly: a message is a list of
 * fields, each a varint key (field number << 3 | wire type) and a value,
 * either a varint (wire type 0) or a varint length and that many bytes
 * (wire type 2: strings, raw tensor data, nested messages). That is all an
 * ONNX model needs. A nested message is built in a buffer of its own and
 * appended with its length. Field numbers are onnx.proto's.
 *
 * Layer by layer:
 *   conv        Conv (kernel_shape, strides, pads) [+ Relu | Sigmoid | Tanh]
 *   maxpool     MaxPool (kernel_shape, strides; no padding, windows that do
 *               not fit are dropped, as the engine's floor does)
 *   minpool     Neg, MaxPool, Neg: min(x) = -max(-x), exactly
 *   avgpool     AveragePool (every window whole, so always kh*kw values)
 *   dense       Flatten (after a 4-d value) + Gemm (transB=1) [+ activation]
 *   dropout     nothing: the identity outside training
 *   add         Add of its two inputs [+ activation]
 *   gap, gmp    GlobalAveragePool, GlobalMaxPool
 *   batchnorm   BatchNormalization with the running statistics [+ activation]
 * then Softmax for softmax-cross-entropy networks. A conv or pool after a
 * dense layer first reshapes its (N, units) to (N, units, 1, 1). The graph
 * follows the network's: each node reads the value its input layer wrote.
 * The input is "image" (N, C, H, W), the output "probs" (N, classes). */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "export/export.h"
#include "kernels/kernels.h"
#include "sys/outbuf.h"

#define ONNX_IR_VERSION 7 /* the IR version that came with opset 13 */
#define ONNX_OPSET      13

enum { WIRE_VARINT = 0, WIRE_LEN = 2, WIRE_FIXED32 = 5 };
enum { TENSOR_FLOAT = 1, TENSOR_INT64 = 7 };          /* TensorProto.DataType */
enum { ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_INTS = 7 }; /* AttributeProto.AttributeType */

/* Field numbers, per message. */
enum { MODEL_IR_VERSION = 1, MODEL_PRODUCER = 2, MODEL_DOC = 6, MODEL_GRAPH = 7, MODEL_OPSET = 8 };
enum { OPSET_VERSION = 2 };
enum {
    GRAPH_NODE = 1,
    GRAPH_NAME = 2,
    GRAPH_INITIALIZER = 5,
    GRAPH_DOC = 10,
    GRAPH_INPUT = 11,
    GRAPH_OUTPUT = 12
};
enum { NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP = 4, NODE_ATTRIBUTE = 5 };
enum { ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_INTS_FIELD = 8, ATTR_TYPE = 20 };
enum { TENSOR_DIMS = 1, TENSOR_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW = 9 };
enum { VALUE_NAME = 1, VALUE_TYPE = 2 };
enum { TYPE_TENSOR = 1, TENSOR_TYPE_ELEM = 1, TENSOR_TYPE_SHAPE = 2 };
enum { SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2 };

/* ---- protobuf ---- */

static void pb_varint(outbuf *b, uint64_t v)
{
    unsigned char x[10];
    int n = 0;
    do {
        x[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    outbuf_put(b, x, (size_t)n);
}

static void pb_key(outbuf *b, int field, int wire)
{
    pb_varint(b, (uint64_t)field << 3 | (uint64_t)wire);
}

/* int64 and int32 fields; a negative value takes ten bytes (two's complement). */
static void pb_int(outbuf *b, int field, int64_t v)
{
    pb_key(b, field, WIRE_VARINT);
    pb_varint(b, (uint64_t)v);
}

/* A float field: four little-endian bytes. */
static void pb_float(outbuf *b, int field, float v)
{
    pb_key(b, field, WIRE_FIXED32);
    outbuf_floats(b, &v, 1);
}

static void pb_string(outbuf *b, int field, const char *s)
{
    size_t len = strlen(s);
    pb_key(b, field, WIRE_LEN);
    pb_varint(b, len);
    outbuf_put(b, s, len);
}

/* Append the message built in *m as field `field` of b, and free m. */
static void pb_message(outbuf *b, int field, outbuf *m)
{
    pb_key(b, field, WIRE_LEN);
    pb_varint(b, m->len);
    outbuf_put(b, m->p, m->len);
    b->oom |= m->oom;
    outbuf_free(m);
}

/* ---- the graph ---- */

typedef struct {
    outbuf nodes, weights; /* GraphProto's node and initializer fields */
    outbuf node;           /* the last node, still without its output name */
    char value[64];        /* the name of that output: what the next node reads */
    int rank;              /* of that value: 4 (N, C, H, W) or 2 (N, features) */
    char second[64];       /* add's second input */
    const float *stats;    /* the network's running statistics (batchnorm) */
} graph;

/* The pending node gets its output name and joins the graph. */
static void finish_node(graph *g, const char *output)
{
    if (!g->node.len && !g->node.oom) return; /* no node yet */
    pb_string(&g->node, NODE_OUTPUT, output);
    pb_message(&g->nodes, GRAPH_NODE, &g->node);
}

/* A node: its operator, its name, and the initializers it reads after the
 * current value (weight and bias, or fewer; batchnorm's four). */
#define NODE_PARAMS 4
typedef struct {
    const char *op, *name, *params[NODE_PARAMS];
} node;

/* Node n reading the current value, with the attributes encoded in attrs
 * (freed; may be NULL). Its output is named when the next node comes (its
 * name) or the graph ends ("probs"). */
static void add_node(graph *g, node n, outbuf *attrs)
{
    finish_node(g, g->value);
    pb_string(&g->node, NODE_INPUT, g->value);
    for (int i = 0; i < NODE_PARAMS && n.params[i]; i++)
        pb_string(&g->node, NODE_INPUT, n.params[i]);
    pb_string(&g->node, NODE_NAME, n.name);
    pb_string(&g->node, NODE_OP, n.op);
    if (attrs) {
        outbuf_put(&g->node, attrs->p, attrs->len);
        g->node.oom |= attrs->oom;
        outbuf_free(attrs);
    }
    snprintf(g->value, sizeof g->value, "%s", n.name);
}

static void attr_int(outbuf *attrs, const char *name, int64_t v)
{
    outbuf a = { 0 };
    pb_string(&a, ATTR_NAME, name);
    pb_int(&a, ATTR_TYPE, ATTR_INT);
    pb_int(&a, ATTR_I, v);
    pb_message(attrs, NODE_ATTRIBUTE, &a);
}

static void attr_float(outbuf *attrs, const char *name, float v)
{
    outbuf a = { 0 };
    pb_string(&a, ATTR_NAME, name);
    pb_int(&a, ATTR_TYPE, ATTR_FLOAT);
    pb_float(&a, ATTR_F, v);
    pb_message(attrs, NODE_ATTRIBUTE, &a);
}

static void attr_ints(outbuf *attrs, const char *name, const int64_t *v, int n)
{
    outbuf a = { 0 };
    pb_string(&a, ATTR_NAME, name);
    pb_int(&a, ATTR_TYPE, ATTR_INTS);
    for (int i = 0; i < n; i++) pb_int(&a, ATTR_INTS_FIELD, v[i]);
    pb_message(attrs, NODE_ATTRIBUTE, &a);
}

/* An initializer: dims, element type and its little-endian bytes in raw
 * (freed). */
static void add_initializer(graph *g, const char *name, int type, const int64_t *dims, int rank,
                            outbuf *raw)
{
    outbuf t = { 0 };
    for (int i = 0; i < rank; i++) pb_int(&t, TENSOR_DIMS, dims[i]);
    pb_int(&t, TENSOR_TYPE, type);
    pb_string(&t, TENSOR_NAME, name);
    pb_message(&t, TENSOR_RAW, raw);
    pb_message(&g->weights, GRAPH_INITIALIZER, &t);
}

static void add_floats(graph *g, const char *name, const int64_t *dims, int rank, const float *data)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    outbuf raw = { 0 };
    outbuf_floats(&raw, data, n);
    add_initializer(g, name, TENSOR_FLOAT, dims, rank, &raw);
}

static void add_activation(graph *g, cnn_act act, const char *layer)
{
    static const char *const ops[] = { NULL, "Relu", "Sigmoid", "Tanh", "LeakyRelu" };
    static_assert(sizeof ops / sizeof ops[0] == CNN_ACT_KINDS, "an op for every activation");
    char name[64];
    if (act.kind == CNN_ACT_NONE) return;
    snprintf(name, sizeof name, "%s_%s", layer, cnn_act_name(act.kind));
    outbuf attrs = { 0 };
    if (act.kind == CNN_ACT_LEAKY) attr_float(&attrs, "alpha", act.slope);
    add_node(g, (node){ .op = ops[act.kind], .name = name }, &attrs);
}

/* A dense layer's (N, units) as (N, units, 1, 1) for a conv or pool after it. */
static void to_rank4(graph *g, const cnn_layer *L, const char *layer)
{
    char name[64], shape_name[64];
    if (g->rank == 4) return;
    snprintf(name, sizeof name, "%s_reshape", layer);
    snprintf(shape_name, sizeof shape_name, "%s_reshape.shape", layer);
    int64_t dims[1] = { 4 };
    outbuf raw = { 0 };
    outbuf_u64(&raw, 0); /* 0: keep N */
    outbuf_u64(&raw, (uint64_t)L->in.c);
    outbuf_u64(&raw, (uint64_t)L->in.h);
    outbuf_u64(&raw, (uint64_t)L->in.w);
    add_initializer(g, shape_name, TENSOR_INT64, dims, 1, &raw);
    add_node(g, (node){ .op = "Reshape", .name = name, .params = { shape_name } }, NULL);
    g->rank = 4;
}

/* The same for add's second input (g->second), as node LAYERb_reshape. */
static void second_as_maps(graph *g, const cnn_layer *L, const char *layer)
{
    char first[64], name[40];
    snprintf(first, sizeof first, "%s", g->value);
    snprintf(g->value, sizeof g->value, "%s", g->second);
    snprintf(name, sizeof name, "%sb", layer);
    to_rank4(g, L, name);
    finish_node(g, g->value);
    snprintf(g->second, sizeof g->second, "%s", g->value);
    snprintf(g->value, sizeof g->value, "%s", first);
}

static void to_rank2(graph *g, const char *layer)
{
    char name[64];
    if (g->rank == 2) return;
    snprintf(name, sizeof name, "%s_flatten", layer);
    outbuf attrs = { 0 };
    attr_int(&attrs, "axis", 1);
    add_node(g, (node){ .op = "Flatten", .name = name }, &attrs);
    g->rank = 2;
}

/* kernel_shape and strides of a conv or pool. */
static outbuf window_attrs(const cnn_layer *L)
{
    outbuf attrs = { 0 };
    attr_ints(&attrs, "kernel_shape", (const int64_t[]){ L->win.kh, L->win.kw }, 2);
    attr_ints(&attrs, "strides", (const int64_t[]){ L->win.stride, L->win.stride }, 2);
    return attrs;
}

static void add_conv(graph *g, const cnn_layer *L, const float *params, const char *layer)
{
    char w[64], b[64];
    to_rank4(g, L, layer);
    snprintf(w, sizeof w, "%s.weight", layer);
    snprintf(b, sizeof b, "%s.bias", layer);
    add_floats(g, w, (const int64_t[]){ L->out.c, L->in.c / L->groups, L->win.kh, L->win.kw }, 4,
               params + L->w_off);
    add_floats(g, b, (const int64_t[]){ L->out.c }, 1, params + L->b_off);
    outbuf attrs = window_attrs(L);
    attr_ints(&attrs, "pads", (const int64_t[]){ L->win.pad, L->win.pad, L->win.pad, L->win.pad },
              4);
    if (L->groups > 1) attr_int(&attrs, "group", L->groups);
    add_node(g, (node){ .op = "Conv", .name = layer, .params = { w, b } }, &attrs);
    add_activation(g, L->act, layer);
}

static void add_maxpool(graph *g, const cnn_layer *L, const float *params, const char *layer)
{
    outbuf attrs = window_attrs(L);
    add_node(g, (node){ .op = "MaxPool", .name = layer }, &attrs);
}

static void add_avgpool(graph *g, const cnn_layer *L, const float *params, const char *layer)
{
    outbuf attrs = window_attrs(L);
    add_node(g, (node){ .op = "AveragePool", .name = layer }, &attrs);
}

/* ONNX has no MinPool: min(x) = -max(-x). */
static void add_minpool(graph *g, const cnn_layer *L, const float *params, const char *layer)
{
    char name[64];
    outbuf attrs = window_attrs(L);
    snprintf(name, sizeof name, "%s_neg", layer);
    add_node(g, (node){ .op = "Neg", .name = name }, NULL);
    snprintf(name, sizeof name, "%s_max", layer);
    add_node(g, (node){ .op = "MaxPool", .name = name }, &attrs);
    add_node(g, (node){ .op = "Neg", .name = layer }, NULL);
}

static void add_dense(graph *g, const cnn_layer *L, const float *params, const char *layer)
{
    char w[64], b[64];
    to_rank2(g, layer);
    snprintf(w, sizeof w, "%s.weight", layer);
    snprintf(b, sizeof b, "%s.bias", layer);
    add_floats(g, w, (const int64_t[]){ L->out.c, (int64_t)cnn_shape_size(L->in) }, 2,
               params + L->w_off);
    add_floats(g, b, (const int64_t[]){ L->out.c }, 1, params + L->b_off);
    outbuf attrs = { 0 };
    attr_int(&attrs, "transB", 1);
    add_node(g, (node){ .op = "Gemm", .name = layer, .params = { w, b } }, &attrs);
    add_activation(g, L->act, layer);
}

/* Dropout is the identity outside training: no node. */
static void add_dropout(graph *g, const cnn_layer *L, const float *params, const char *layer) {}

static void add_gap(graph *g, const cnn_layer *L, const float *params, const char *layer)
{
    add_node(g, (node){ .op = "GlobalAveragePool", .name = layer }, NULL);
}

static void add_gmp(graph *g, const cnn_layer *L, const float *params, const char *layer)
{
    add_node(g, (node){ .op = "GlobalMaxPool", .name = layer }, NULL);
}

/* Normalised by the running statistics, as the engine outside training. */
static void add_batchnorm(graph *g, const cnn_layer *L, const float *params, const char *layer)
{
    static const char *const inputs[NODE_PARAMS] = { "scale", "bias", "mean", "var" };
    const float *data[NODE_PARAMS] = { params + L->w_off, params + L->b_off, g->stats + L->s_off,
                                       g->stats + L->s_off + L->out.c };
    char names[NODE_PARAMS][64];
    for (int i = 0; i < NODE_PARAMS; i++) {
        snprintf(names[i], sizeof names[i], "%s.%s", layer, inputs[i]);
        add_floats(g, names[i], (const int64_t[]){ L->out.c }, 1, data[i]);
    }
    outbuf attrs = { 0 };
    attr_float(&attrs, "epsilon", BATCHNORM_EPS);
    add_node(g,
             (node){ .op = "BatchNormalization",
                     .name = layer,
                     .params = { names[0], names[1], names[2], names[3] } },
             &attrs);
    add_activation(g, L->act, layer);
}

/* Add reads the current value and g->second, of the same rank. */
static void add_sum(graph *g, const cnn_layer *L, const float *params, const char *layer)
{
    add_node(g, (node){ .op = "Add", .name = layer, .params = { g->second } }, NULL);
    add_activation(g, L->act, layer);
}

/* Each kind's nodes, reading the current value (to_rank4 has run unless the
 * kind takes any rank). */
static const struct {
    void (*write)(graph *g, const cnn_layer *L, const float *params, const char *layer);
    int any_rank; /* dense flattens what it gets; dropout, add and batchnorm keep it */
} writers[] = {
    [CNN_CONV] = { add_conv, 0 },       [CNN_MAXPOOL] = { add_maxpool, 0 },
    [CNN_MINPOOL] = { add_minpool, 0 }, [CNN_AVGPOOL] = { add_avgpool, 0 },
    [CNN_DENSE] = { add_dense, 1 },     [CNN_DROPOUT] = { add_dropout, 1 },
    [CNN_ADD] = { add_sum, 1 },         [CNN_GAP] = { add_gap, 0 },
    [CNN_GMP] = { add_gmp, 0 },         [CNN_BATCHNORM] = { add_batchnorm, 1 },
};
static_assert(sizeof writers / sizeof writers[0] == CNN_LAYER_KINDS,
              "export_onnx.c needs a writer for every cnn_layer_kind");

/* A graph input or output: float, with N symbolic and the other dims fixed. */
static void add_value_info(outbuf *graph_msg, int field, const char *name, const int64_t *dims,
                           int rank)
{
    outbuf shape = { 0 }, dim = { 0 }, tensor = { 0 }, type = { 0 }, info = { 0 };
    pb_string(&dim, DIM_PARAM, "N");
    pb_message(&shape, SHAPE_DIM, &dim);
    for (int i = 0; i < rank; i++) {
        pb_int(&dim, DIM_VALUE, dims[i]);
        pb_message(&shape, SHAPE_DIM, &dim);
    }
    pb_int(&tensor, TENSOR_TYPE_ELEM, TENSOR_FLOAT);
    pb_message(&tensor, TENSOR_TYPE_SHAPE, &shape);
    pb_message(&type, TYPE_TENSOR, &tensor);
    pb_string(&info, VALUE_NAME, name);
    pb_message(&info, VALUE_TYPE, &type);
    pb_message(graph_msg, field, &info);
}

/* The layers in order; each reads the values its inputs wrote (the node
 * output that a layer's name names, or "image"), in the rank they have. */
static void build_graph(graph *g, const cnn_net *net)
{
    char values[CNN_MAX_LAYERS][64];
    int ranks[CNN_MAX_LAYERS];
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        char layer[32];
        snprintf(layer, sizeof layer, "%s%d", cnn_layer_name(L->kind), l + 1);
        int a = L->from[0], b = L->from[1];
        snprintf(g->value, sizeof g->value, "%s", a == CNN_INPUT ? "image" : values[a]);
        g->rank = a == CNN_INPUT ? 4 : ranks[a];
        if (L->n_from > 1) { /* add: both inputs in one rank, 2 only when both are */
            snprintf(g->second, sizeof g->second, "%s", b == CNN_INPUT ? "image" : values[b]);
            int second_rank = b == CNN_INPUT ? 4 : ranks[b];
            if (g->rank == 2 && second_rank == 4) to_rank4(g, L, layer);
            if (g->rank == 4 && second_rank == 2) second_as_maps(g, L, layer);
        }
        if (!writers[L->kind].any_rank) to_rank4(g, L, layer);
        writers[L->kind].write(g, L, net->params, layer);
        if (l + 1 < net->n_layers) finish_node(g, g->value); /* the last one's is "probs" */
        snprintf(values[l], sizeof values[l], "%s", g->value);
        ranks[l] = g->rank;
    }
    to_rank2(g, "output"); /* a conv last: its maps as one row of outputs */
    if (net->loss == CNN_LOSS_SOFTMAX_CE) {
        outbuf attrs = { 0 };
        attr_int(&attrs, "axis", 1);
        add_node(g, (node){ .op = "Softmax", .name = "softmax" }, &attrs);
    }
    finish_node(g, "probs");
}

int cnn_export_onnx(const char *path, const cnn_net *net, const cnn_export_info *about, char *err)
{
    if (export_check_params(net, path, err)) return -1;
    graph g = { .stats = net->stats };
    build_graph(&g, net);

    outbuf gm = { 0 }, model = { 0 }, opset = { 0 };
    outbuf_put(&gm, g.nodes.p, g.nodes.len);
    pb_string(&gm, GRAPH_NAME, "cnn");
    outbuf_put(&gm, g.weights.p, g.weights.len);
    gm.oom |= g.nodes.oom | g.weights.oom;
    outbuf_free(&g.nodes);
    outbuf_free(&g.weights);
    pb_string(&gm, GRAPH_DOC, net->text);
    add_value_info(&gm, GRAPH_INPUT, "image",
                   (const int64_t[]){ net->input.c, net->input.h, net->input.w }, 3);
    add_value_info(&gm, GRAPH_OUTPUT, "probs", (const int64_t[]){ net->classes }, 1);

    char doc[5120]; /* room for a path of PATH_MAX */
    snprintf(doc, sizeof doc,
             "A cnn network exported from %s (its description is the graph's doc "
             "string). Input \"image\": N x %d x %d x %d floats (N x channels x height x "
             "width), %s. Output \"probs\": N x %d, %s.",
             about && about->model ? about->model : "memory", net->input.c, net->input.h,
             net->input.w, export_pixels(net), net->classes, export_output_kind(net));
    pb_int(&model, MODEL_IR_VERSION, ONNX_IR_VERSION);
    pb_string(&model, MODEL_PRODUCER, "cnn");
    pb_string(&model, MODEL_DOC, doc);
    pb_message(&model, MODEL_GRAPH, &gm);
    pb_int(&opset, OPSET_VERSION, ONNX_OPSET); /* domain unset: the default ai.onnx */
    pb_message(&model, MODEL_OPSET, &opset);

    int rc = -1;
    if (model.oom) snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
    else rc = write_file_atomically(path, model.p, model.len, err);
    outbuf_free(&model);
    return rc;
}
