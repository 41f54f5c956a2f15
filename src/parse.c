/* parse.c: the plain-text network description.
 *
 *   # comment (anywhere on a line)
 *   input   channels=1 height=28 width=28
 *   conv    filters=2 size=5 [stride=1] [pad=0] [act=relu|sigmoid|tanh|none]
 *   maxpool size=2 [stride=size]        (also minpool, avgpool)
 *   dense   units=10 [act=...]
 *   dropout rate=0.5                    (0 <= rate < 1; the identity but in training)
 *   loss    softmax-cross-entropy | binary-cross-entropy | mean-squared-error
 *   train   [epochs=20] [batch=32] [lr=0.05] [momentum=0.9] [weight-decay=5e-4]
 *           [schedule=cosine|constant|step] [warmup=0] [step-every=30] [gamma=0.1]
 *           [shift=0 | crop=0] [flip=0|1] [resize=0|1] [optimizer=sgd|nesterov|adam|adamw]
 *           [beta1=0.9] [beta2=0.999] [eps=1e-8]   (optional: the default recipe)
 *
 * size may be one number or HxW. Every shape is checked as the network is
 * built; each error reads "source:line: reason". */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "layers.h"

#define MAX_LINE 1024
#define MAX_DIM 65536                 /* any one size or count */
#define MAX_ELEMS ((size_t)1 << 26)   /* values in one layer's output per image */
#define MAX_PARAMS ((size_t)1 << 28)

typedef struct {
    const char *source;
    int line;
    char *err;
} parser;

static int fail(parser *p, const char *fmt, ...)
{
    int len = snprintf(p->err, CNN_ERR_LEN, "%s:%d: ", p->source, p->line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + len, CNN_ERR_LEN - len, fmt, ap);
    va_end(ap);
    return -1;
}

/* One key=value option; the keys a layer accepts and what it got. */
typedef struct {
    const char *key;
    char *value;
} option;

static int parse_int(parser *p, const char *key, const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || !isdigit((unsigned char)*s))
        return fail(p, "%s=%s is not a whole number", key, s);
    if (v < lo || v > hi)
        return fail(p, "%s=%ld is out of range (%d to %d)", key, v, lo, hi);
    *out = (int)v;
    return 0;
}

/* size=5 or size=5x3 */
static int parse_size(parser *p, const char *s, int *h, int *w)
{
    char buf[64];
    const char *x = strchr(s, 'x');
    if (!x) {
        if (parse_int(p, "size", s, 1, MAX_DIM, h)) return -1;
        *w = *h;
        return 0;
    }
    if ((size_t)(x - s) >= sizeof buf) return fail(p, "size=%s is not a size", s);
    memcpy(buf, s, x - s);
    buf[x - s] = 0;
    if (parse_int(p, "size", buf, 1, MAX_DIM, h)) return -1;
    return parse_int(p, "size", x + 1, 1, MAX_DIM, w);
}

static int parse_float(parser *p, const char *key, const char *s, double lo, double hi,
                       float *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || v != v)
        return fail(p, "%s=%s is not a number", key, s);
    if (v < lo || v > hi) return fail(p, "%s=%s is out of range (%g to %g)", key, s, lo, hi);
    *out = (float)v;
    return 0;
}

static int parse_act(parser *p, const char *s, cnn_act *a)
{
    for (int k = CNN_ACT_NONE; k <= CNN_ACT_TANH; k++)
        if (!strcmp(s, cnn_act_name((cnn_act)k))) {
            *a = (cnn_act)k;
            return 0;
        }
    return fail(p, "act=%s is not an activation (none, relu, sigmoid, tanh)", s);
}

/* Split "key=value" tokens into opts (whose keys are the allowed ones). */
static int read_options(parser *p, const char *layer, char **tok, int ntok,
                        option *opts, int nopts)
{
    for (int t = 0; t < ntok; t++) {
        char *eq = strchr(tok[t], '=');
        if (!eq || eq == tok[t] || !eq[1])
            return fail(p, "'%s' is not key=value", tok[t]);
        *eq = 0;
        int k = 0;
        while (k < nopts && strcmp(opts[k].key, tok[t])) k++;
        if (k == nopts) return fail(p, "unknown option '%s' for %s", tok[t], layer);
        if (opts[k].value) return fail(p, "option '%s' given twice", tok[t]);
        opts[k].value = eq + 1;
    }
    return 0;
}

static int need(parser *p, const char *layer, const option *o)
{
    if (!o->value) return fail(p, "%s needs %s=", layer, o->key);
    return 0;
}

/* Output extent of a window sliding over `in` (seed 003: (W - F + 2P)/S + 1). */
static int slide(parser *p, const char *what, int in, int k, int stride, int pad)
{
    if (k > in + 2 * pad)
        return fail(p, "%s %d is larger than its input %d%s", what, k, in,
                    pad ? " plus padding" : "");
    return (in - k + 2 * pad) / stride + 1;
}

static int add_conv_or_pool(parser *p, cnn_layer *L, cnn_layer_kind kind,
                            char **tok, int ntok)
{
    const char *name = cnn_layer_name(kind);
    option o[] = { { "filters", 0 }, { "size", 0 }, { "stride", 0 }, { "pad", 0 }, { "act", 0 } };
    int nopts = kind == CNN_CONV ? 5 : 2;
    option *opts = kind == CNN_CONV ? o : o + 1;   /* pools: size, stride */
    if (read_options(p, name, tok, ntok, opts, nopts)) return -1;
    L->kind = kind;
    int filters = 0;
    if (kind == CNN_CONV) {
        if (need(p, name, &o[0]) || parse_int(p, "filters", o[0].value, 1, MAX_DIM, &filters))
            return -1;
        if (o[4].value && parse_act(p, o[4].value, &L->act)) return -1;
        if (o[3].value && parse_int(p, "pad", o[3].value, 0, MAX_DIM, &L->pad)) return -1;
    }
    if (need(p, name, &o[1]) || parse_size(p, o[1].value, &L->kh, &L->kw)) return -1;
    L->stride = kind == CNN_CONV ? 1 : L->kh;
    if (o[2].value && parse_int(p, "stride", o[2].value, 1, MAX_DIM, &L->stride)) return -1;
    if (L->pad >= L->kh || L->pad >= L->kw)
        return fail(p, "pad=%d must be smaller than the kernel %dx%d", L->pad, L->kh, L->kw);
    int ho = slide(p, kind == CNN_CONV ? "kernel height" : "window height",
                   L->in.h, L->kh, L->stride, L->pad);
    if (ho < 0) return -1;
    int wo = slide(p, kind == CNN_CONV ? "kernel width" : "window width",
                   L->in.w, L->kw, L->stride, L->pad);
    if (wo < 0) return -1;
    L->out = (cnn_shape){ kind == CNN_CONV ? filters : L->in.c, ho, wo };
    if (kind == CNN_CONV) {
        L->n_w = (size_t)filters * L->in.c * L->kh * L->kw;
        L->n_b = (size_t)filters;
    }
    return 0;
}

static int add_dense(parser *p, cnn_layer *L, char **tok, int ntok)
{
    option o[] = { { "units", 0 }, { "act", 0 } };
    if (read_options(p, "dense", tok, ntok, o, 2)) return -1;
    int units;
    if (need(p, "dense", &o[0]) || parse_int(p, "units", o[0].value, 1, MAX_DIM, &units))
        return -1;
    if (o[1].value && parse_act(p, o[1].value, &L->act)) return -1;
    L->kind = CNN_DENSE;
    L->kh = L->kw = L->stride = 1;
    L->out = (cnn_shape){ units, 1, 1 };
    L->n_w = (size_t)units * cnn_shape_size(L->in);
    L->n_b = (size_t)units;
    return 0;
}

static int add_dropout(parser *p, cnn_layer *L, char **tok, int ntok)
{
    option o[] = { { "rate", 0 } };
    if (read_options(p, "dropout", tok, ntok, o, 1)) return -1;
    if (need(p, "dropout", &o[0]) || parse_float(p, "rate", o[0].value, 0, 0.99, &L->rate))
        return -1;
    L->kind = CNN_DROPOUT;
    L->kh = L->kw = L->stride = 1;
    L->out = L->in;
    return 0;
}

static int set_loss(parser *p, cnn_net *net, char **tok, int ntok)
{
    if (ntok != 1) return fail(p, "loss takes one name");
    int k = 0;
    while (k <= CNN_LOSS_MSE && strcmp(tok[0], cnn_loss_name((cnn_loss_kind)k))) k++;
    if (k > CNN_LOSS_MSE)
        return fail(p, "unknown loss '%s' (softmax-cross-entropy, binary-cross-entropy, "
                       "mean-squared-error)", tok[0]);
    net->loss = (cnn_loss_kind)k;
    if (net->n_layers == 0) return fail(p, "loss before any layer");
    const cnn_layer *last = &net->layers[net->n_layers - 1];
    if (last->kind != CNN_DENSE && last->kind != CNN_CONV)
        return fail(p, "the loss needs a conv or dense layer before it, not %s",
                    cnn_layer_name(last->kind));
    if (net->loss == CNN_LOSS_SOFTMAX_CE && last->act != CNN_ACT_NONE)
        return fail(p, "softmax-cross-entropy applies its own softmax: the last layer "
                       "must have act=none, not %s", cnn_act_name(last->act));
    if (net->loss == CNN_LOSS_BCE && last->act != CNN_ACT_SIGMOID)
        return fail(p, "binary-cross-entropy needs sigmoid outputs: the last layer "
                       "must have act=sigmoid");
    size_t classes = cnn_shape_size(last->out);
    if (classes < 2 || classes > 256)
        return fail(p, "the last layer has %zu outputs; a classifier needs 2 to 256",
                    classes);
    net->classes = (int)classes;
    return 0;
}

/* A recipe value, whole or not as the table says, within the table's range. */
static int parse_recipe_value(parser *p, cnn_recipe *r, cnn_recipe_field f, const char *s)
{
    const cnn_recipe_limit *L = &cnn_recipe_limits[f];
    if (L->whole) {
        int v = 0;
        if (parse_int(p, L->name, s, (int)L->lo, (int)L->hi, &v)) return -1;
        cnn_recipe_set(r, f, v);
    } else {
        float v = 0;
        if (parse_float(p, L->name, s, L->lo, L->hi, &v)) return -1;
        cnn_recipe_set(r, f, v);
    }
    return 0;
}

static int set_recipe(parser *p, cnn_recipe *r, char **tok, int ntok)
{
    option o[CNN_RECIPE_FIELDS + 3];
    for (int f = 0; f < CNN_RECIPE_FIELDS; f++) o[f] = (option){ cnn_recipe_limits[f].name, 0 };
    option *schedule = &o[CNN_RECIPE_FIELDS], *optimizer = &o[CNN_RECIPE_FIELDS + 1];
    option *crop = &o[CNN_RECIPE_FIELDS + 2];   /* shift by its CIFAR name */
    *schedule = (option){ "schedule", 0 };
    *optimizer = (option){ "optimizer", 0 };
    *crop = (option){ "crop", 0 };
    if (read_options(p, "train", tok, ntok, o, CNN_RECIPE_FIELDS + 3)) return -1;
    if (crop->value && o[CNN_RECIPE_SHIFT].value)
        return fail(p, "crop= and shift= are one setting; give it once");
    if (crop->value) o[CNN_RECIPE_SHIFT].value = crop->value;
    for (int f = 0; f < CNN_RECIPE_FIELDS; f++)
        if (o[f].value && parse_recipe_value(p, r, (cnn_recipe_field)f, o[f].value)) return -1;
    if (schedule->value) {
        int k = cnn_schedule_parse(schedule->value);
        if (k < 0) return fail(p, "schedule=%s is not constant, cosine or step", schedule->value);
        r->schedule = (cnn_schedule)k;
    }
    if (optimizer->value) {
        int k = cnn_optimizer_parse(optimizer->value);
        if (k < 0)
            return fail(p, "optimizer=%s is not sgd, nesterov, adam or adamw", optimizer->value);
        r->sgd.kind = (cnn_optimizer)k;
    }
    return 0;
}

static int set_input(parser *p, cnn_net *net, char **tok, int ntok)
{
    option o[] = { { "channels", 0 }, { "height", 0 }, { "width", 0 } };
    if (read_options(p, "input", tok, ntok, o, 3)) return -1;
    for (int k = 0; k < 3; k++)
        if (need(p, "input", &o[k])) return -1;
    if (parse_int(p, "channels", o[0].value, 1, MAX_DIM, &net->input.c) ||
        parse_int(p, "height", o[1].value, 1, MAX_DIM, &net->input.h) ||
        parse_int(p, "width", o[2].value, 1, MAX_DIM, &net->input.w))
        return -1;
    if (cnn_shape_size(net->input) > MAX_ELEMS) return fail(p, "the input is too large");
    return 0;
}

/* Split a line into whitespace-separated tokens, dropping the comment. */
static int tokenize(char *line, char **tok, int max)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    int n = 0;
    for (char *s = strtok(line, " \t\r"); s; s = strtok(NULL, " \t\r")) {
        if (n == max) return max + 1;
        tok[n++] = s;
    }
    return n;
}

static int parse_line(parser *p, cnn_net *net, char *line, int *have_input, int *have_loss,
                      int *have_recipe)
{
    for (char *c = line; *c; c++)
        if (!isprint((unsigned char)*c) && *c != '\t' && *c != '\r')
            return fail(p, "unexpected byte 0x%02x: not a text description",
                        (unsigned char)*c);
    char *tok[16];
    int ntok = tokenize(line, tok, 16);
    if (ntok == 0) return 0;
    if (ntok > 16) return fail(p, "too many words on one line");
    if (!strcmp(tok[0], "train")) {
        if (*have_recipe) return fail(p, "train given twice");
        *have_recipe = 1;
        return set_recipe(p, &net->recipe, tok + 1, ntok - 1);
    }
    if (*have_loss) return fail(p, "only a train line may follow the loss line");
    if (!strcmp(tok[0], "input")) {
        if (*have_input) return fail(p, "input given twice");
        *have_input = 1;
        return set_input(p, net, tok + 1, ntok - 1);
    }
    int is_layer = !strcmp(tok[0], "conv") || !strcmp(tok[0], "dense") ||
                   !strcmp(tok[0], "maxpool") || !strcmp(tok[0], "minpool") ||
                   !strcmp(tok[0], "avgpool") || !strcmp(tok[0], "dropout");
    if (!is_layer && strcmp(tok[0], "loss"))
        return fail(p, "unknown layer '%s' (input, conv, maxpool, minpool, avgpool, "
                       "dense, dropout, loss, train)", tok[0]);
    if (!*have_input) return fail(p, "%s before the input line", tok[0]);
    if (!strcmp(tok[0], "loss")) {
        *have_loss = 1;
        return set_loss(p, net, tok + 1, ntok - 1);
    }
    if (net->n_layers == CNN_MAX_LAYERS)
        return fail(p, "more than %d layers", CNN_MAX_LAYERS);
    cnn_layer *L = &net->layers[net->n_layers];
    memset(L, 0, sizeof *L);
    L->line = p->line;
    L->in = net->n_layers ? net->layers[net->n_layers - 1].out : net->input;
    int rc;
    if (!strcmp(tok[0], "dense")) {
        rc = add_dense(p, L, tok + 1, ntok - 1);
    } else if (!strcmp(tok[0], "dropout")) {
        rc = add_dropout(p, L, tok + 1, ntok - 1);
    } else {
        cnn_layer_kind kind = !strcmp(tok[0], "conv") ? CNN_CONV
                            : !strcmp(tok[0], "maxpool") ? CNN_MAXPOOL
                            : !strcmp(tok[0], "minpool") ? CNN_MINPOOL : CNN_AVGPOOL;
        rc = add_conv_or_pool(p, L, kind, tok + 1, ntok - 1);
    }
    if (rc) return -1;
    if (cnn_shape_size(L->out) > MAX_ELEMS)
        return fail(p, "%s output of %zu values per image is too large",
                    tok[0], cnn_shape_size(L->out));
    L->w_off = net->n_params;
    L->b_off = L->w_off + L->n_w;
    net->n_params = L->b_off + L->n_b;
    if (net->n_params > MAX_PARAMS)
        return fail(p, "more than %zu parameters", MAX_PARAMS);
    net->n_layers++;
    return 0;
}

cnn_net *net_parse_layout(const char *text, const char *source, char *err)
{
    parser p = { source, 0, err };
    cnn_net *net = calloc(1, sizeof *net);
    if (!net || !(net->text = strdup(text))) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", source);
        cnn_net_free(net);
        return NULL;
    }
    int have_input = 0, have_loss = 0, have_recipe = 0;
    net->recipe = (cnn_recipe){ 20, 32, { 0.05f, 0.9f, 5e-4f, 0.9f, 0.999f, 1e-8f, CNN_OPT_SGD, 0, 30, 0.1f }, CNN_SCHEDULE_COSINE, 0, 0, 0 };
    const char *s = text;
    char line[MAX_LINE + 1];
    while (*s) {
        p.line++;
        size_t len = strcspn(s, "\n");
        if (len > MAX_LINE) {
            fail(&p, "line longer than %d characters", MAX_LINE);
            goto bad;
        }
        memcpy(line, s, len);
        line[len] = 0;
        s += len + (s[len] == '\n');
        if (parse_line(&p, net, line, &have_input, &have_loss, &have_recipe)) goto bad;
    }
    p.line++;
    if (!have_input) {
        fail(&p, "no input line: the description is empty");
        goto bad;
    }
    if (!have_loss) {
        fail(&p, "no loss line at the end");
        goto bad;
    }
    /* until a training run names them: output k is class "k" */
    char names[256][12];
    const char *name_of[256];
    for (int k = 0; k < net->classes; k++) {
        snprintf(names[k], sizeof names[k], "%d", k);
        name_of[k] = names[k];
    }
    if (cnn_net_set_class_names(net, name_of, net->classes, source, err)) goto bad;
    return net;
bad:
    cnn_net_free(net);
    return NULL;
}

int net_alloc_params(cnn_net *net, const char *source, char *err)
{
    net->params = aligned_calloc(net->n_params, sizeof(float));
    if (!net->params) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory for %zu parameters", source,
                 net->n_params);
        return -1;
    }
    return 0;
}

cnn_net *cnn_net_parse(const char *text, const char *source, char *err)
{
    cnn_net *net = net_parse_layout(text, source, err);
    if (net && net_alloc_params(net, source, err)) {
        cnn_net_free(net);
        return NULL;
    }
    return net;
}

/* Read a whole description file, refusing anything implausibly large. */
static char *read_text_file(const char *path, char *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    if (buf) len = fread(buf, 1, cap + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad || len > cap || memchr(buf, 0, len)) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", path,
                 !buf ? "out of memory" : bad ? "cannot read (is it a folder?)"
                 : len > cap ? "larger than 1 MiB: not a network description"
                 : "contains NUL bytes: not a network description");
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    return buf;
}

cnn_net *cnn_net_load(const char *name_or_path, char *err)
{
    for (const cnn_builtin_net *b = cnn_builtin_nets; b->name; b++)
        if (!strcmp(b->name, name_or_path)) return cnn_net_parse(b->text, b->name, err);
    char *text = read_text_file(name_or_path, err);
    if (!text) {
        if (!strchr(name_or_path, '/') && !strchr(name_or_path, '.'))
            snprintf(err, CNN_ERR_LEN, "%s: no such network (shipped: seed000, seed002, "
                     "seed003, seed004, lenet) or file", name_or_path);
        return NULL;
    }
    cnn_net *net = cnn_net_parse(text, name_or_path, err);
    free(text);
    return net;
}
