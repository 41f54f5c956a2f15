/* parse.c: the plain-text network description.
 *
 *   # comment (anywhere on a line)
 *   input   channels=1 height=28 width=28
 *   conv    filters=2 size=5 [stride=1] [pad=0] [act=relu|sigmoid|tanh|none]
 *   maxpool size=2 [stride=size]        (also minpool, avgpool)
 *   dense   units=10 [act=...]
 *   dropout rate=0.5                    (0 <= rate < 1; the identity but in training)
 *   add     from=a[,b] [act=...]        (the sum of two layers' outputs of one shape)
 *   gap                                 (global average pooling to C x 1 x 1; gmp: max)
 *   loss    softmax-cross-entropy | binary-cross-entropy | mean-squared-error
 *   train   [epochs=20] [batch=32] [lr=0.05] [momentum=0.9] [weight-decay=5e-4]
 *           [schedule=cosine|constant|step] [warmup=0] [step-every=30] [gamma=0.1]
 *           [shift=0 | crop=0] [flip=0|1] [resize=0|1] [optimizer=sgd|nesterov|adam|adamw]
 *           [beta1=0.9] [beta2=0.999] [eps=1e-8]   (optional: the default recipe)
 *
 * size may be one number or HxW. Any layer may take name=NAME, and read
 * the output of an earlier named layer (or of `input`) with from=NAME
 * rather than the previous layer's: a network is a graph whose lines come
 * in an order that computes it. add takes two inputs: from=a,b, or from=a
 * with the previous layer. Every layer's output but the last must be read.
 * Every shape is checked as the network is built; each error reads
 * "source:line: reason". What each kind takes is in layer_kinds.c. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/net.h"

#define MAX_LINE   1024
#define MAX_DIM    LAYER_MAX_DIM
#define MAX_ELEMS  ((size_t)1 << 26) /* values in one layer's output per image */
#define MAX_PARAMS ((size_t)1 << 28)

typedef struct {
    const char *source;
    int line;
    char *err;
} parser;

/* "source:line: reason" into p->err; returns -1. */
static int vfail(parser *p, const char *fmt, va_list ap)
{
    int len = snprintf(p->err, CNN_ERR_LEN, "%s:%d: ", p->source, p->line);
    vsnprintf(p->err + len, CNN_ERR_LEN - len, fmt, ap);
    return -1;
}

static int fail(parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(p, fmt, ap);
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
    if (v < lo || v > hi) return fail(p, "%s=%ld is out of range (%d to %d)", key, v, lo, hi);
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

static int parse_float(parser *p, const char *key, const char *s, double lo, double hi, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || v != v) return fail(p, "%s=%s is not a number", key, s);
    if (v < lo || v > hi) return fail(p, "%s=%s is out of range (%g to %g)", key, s, lo, hi);
    *out = (float)v;
    return 0;
}

static int parse_act(parser *p, const char *s, cnn_act_kind *a)
{
    for (int k = 0; k < CNN_ACT_KINDS; k++)
        if (!strcmp(s, cnn_act_name((cnn_act_kind)k))) {
            *a = (cnn_act_kind)k;
            return 0;
        }
    return fail(p, "act=%s is not an activation (none, relu, sigmoid, tanh, leaky)", s);
}

/* Split "key=value" tokens into opts (whose keys are the allowed ones). */
static int read_options(parser *p, const char *layer, char **tok, int ntok, option *opts, int nopts)
{
    for (int t = 0; t < ntok; t++) {
        char *eq = strchr(tok[t], '=');
        if (!eq || eq == tok[t] || !eq[1]) return fail(p, "'%s' is not key=value", tok[t]);
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

/* ---- a layer's line, read by its kind's setup (layer_kinds.c) ---- */

#define MAX_KEYS (LAYER_MAX_KEYS + 2) /* with name= and from= */

struct layer_line {
    parser *p;
    const char *kind;      /* its word, for messages */
    option opts[MAX_KEYS]; /* the kind's keys and the values the line gave */
    int n_opts;
    cnn_shape in2; /* the second input's shape (add) */
    const char *input_names[2];
};

int line_fail(layer_line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(l->p, fmt, ap);
    va_end(ap);
    return -1;
}

const char *line_value(const layer_line *l, const char *key)
{
    for (int k = 0; k < l->n_opts; k++)
        if (!strcmp(l->opts[k].key, key)) return l->opts[k].value;
    return NULL;
}

int line_need(layer_line *l, const char *key)
{
    return line_value(l, key) ? 0 : line_fail(l, "%s needs %s=", l->kind, key);
}

int line_int(layer_line *l, const char *key, int lo, int hi, int *out)
{
    const char *v = line_value(l, key);
    return v ? parse_int(l->p, key, v, lo, hi, out) : 0;
}

int line_float(layer_line *l, const char *key, double lo, double hi, float *out)
{
    const char *v = line_value(l, key);
    return v ? parse_float(l->p, key, v, lo, hi, out) : 0;
}

int line_size(layer_line *l, int *h, int *w)
{
    const char *v = line_value(l, "size");
    return v ? parse_size(l->p, v, h, w) : 0;
}

/* act= and, for leaky, slope=: the negative slope PyTorch defaults to, 0.01,
 * unless given. A slope of 0 or below would be ReLU or flip signs, which the
 * backward pass (written with the output) cannot tell apart. */
int line_act(layer_line *l, cnn_act *a)
{
    const char *v = line_value(l, "act");
    if (v && parse_act(l->p, v, &a->kind)) return -1;
    a->slope = a->kind == CNN_ACT_LEAKY ? 0.01f : 0.0f;
    if (!line_value(l, "slope")) return 0;
    if (a->kind != CNN_ACT_LEAKY) return line_fail(l, "slope= goes with act=leaky");
    if (line_float(l, "slope", 1e-6, 1.0, &a->slope)) return -1;
    return 0;
}

cnn_shape line_second_input(const layer_line *l) { return l->in2; }
const char *line_input_name(const layer_line *l, int i) { return l->input_names[i]; }

static int set_loss(parser *p, cnn_net *net, char **tok, int ntok)
{
    if (ntok != 1) return fail(p, "loss takes one name");
    int k = 0;
    while (k <= CNN_LOSS_MSE && strcmp(tok[0], cnn_loss_name((cnn_loss_kind)k))) k++;
    if (k > CNN_LOSS_MSE)
        return fail(p,
                    "unknown loss '%s' (softmax-cross-entropy, binary-cross-entropy, "
                    "mean-squared-error)",
                    tok[0]);
    net->loss = (cnn_loss_kind)k;
    if (net->n_layers == 0) return fail(p, "loss before any layer");
    const cnn_layer *last = &net->layers[net->n_layers - 1];
    if (last->kind != CNN_DENSE && last->kind != CNN_CONV)
        return fail(p, "the loss needs a conv or dense layer before it, not %s",
                    cnn_layer_name(last->kind));
    if (net->loss == CNN_LOSS_SOFTMAX_CE && last->act.kind != CNN_ACT_NONE)
        return fail(p,
                    "softmax-cross-entropy applies its own softmax: the last layer "
                    "must have act=none, not %s",
                    cnn_act_name(last->act.kind));
    if (net->loss == CNN_LOSS_BCE && last->act.kind != CNN_ACT_SIGMOID)
        return fail(p, "binary-cross-entropy needs sigmoid outputs: the last layer "
                       "must have act=sigmoid");
    size_t classes = cnn_shape_size(last->out);
    if (classes < 2 || classes > 256)
        return fail(p, "the last layer has %zu outputs; a classifier needs 2 to 256", classes);
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
    option *crop = &o[CNN_RECIPE_FIELDS + 2]; /* shift by its CIFAR name */
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

/* ---- the graph: names and inputs ---- */

/* The layer named `name` above this line (CNN_INPUT for "input"), or -2. */
static int find_layer(const cnn_net *net, const char *name)
{
    if (!strcmp(name, "input")) return CNN_INPUT;
    for (int l = 0; l < net->n_layers; l++)
        if (!strcmp(net->layers[l].name, name)) return l;
    return -2;
}

static int set_name(parser *p, const cnn_net *net, cnn_layer *L, const char *name)
{
    size_t len = strlen(name);
    if (len > CNN_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_-") != len)
        return fail(p, "name=%s: a name is 1 to %d letters, digits, '_' or '-'", name,
                    CNN_NAME_MAX);
    if (!strcmp(name, "input")) return fail(p, "name=input: input names the network's input");
    int taken = find_layer(net, name);
    if (taken >= 0) return fail(p, "name=%s is taken by line %d", name, net->layers[taken].line);
    memcpy(L->name, name, len + 1);
    return 0;
}

/* from=a (one input; for a two-input kind, the previous layer and a) or
 * from=a,b; without it, the previous layer. */
static int set_inputs(parser *p, const cnn_net *net, const layer_kind *kind, cnn_layer *L,
                      char *from)
{
    int previous = net->n_layers - 1; /* CNN_INPUT (-1) for the first layer */
    L->n_from = kind->inputs;
    L->from[0] = previous;
    L->from[1] = previous;
    if (!from) {
        if (kind->inputs == 2) return fail(p, "%s needs from= (its second input)", kind->name);
        return 0;
    }
    char *names[3], *rest;
    int n = 0;
    for (char *s = strtok_r(from, ",", &rest); s && n < 3; s = strtok_r(NULL, ",", &rest))
        names[n++] = s;
    if (n == 0) return fail(p, "from= names no layer");
    if (n > kind->inputs)
        return fail(p, "%s takes %d input%s; from= names %d", kind->name, kind->inputs,
                    kind->inputs == 1 ? "" : "s", n);
    for (int i = 0; i < n; i++) {
        int l = find_layer(net, names[i]);
        if (l == -2)
            return fail(p,
                        "from=%s: no layer above is named %s (a layer reads only layers "
                        "above it)",
                        names[i], names[i]);
        L->from[kind->inputs - n + i] = l;
    }
    return 0;
}

static cnn_shape output_of(const cnn_net *net, int l)
{
    return l == CNN_INPUT ? net->input : net->layers[l].out;
}

static const char *name_of(const cnn_net *net, int l, char *buf, size_t len)
{
    if (l == CNN_INPUT) return "input";
    if (net->layers[l].name[0]) return net->layers[l].name;
    snprintf(buf, len, "line %d", net->layers[l].line);
    return buf;
}

/* A layer's line: name= and from=, then its kind's own options. */
static int read_layer_line(parser *p, const cnn_net *net, const layer_kind *kind, cnn_layer *L,
                           char **tok, int ntok)
{
    layer_line line = { .p = p, .kind = kind->name };
    option *name = &line.opts[0], *from = &line.opts[1];
    *name = (option){ "name", 0 };
    *from = (option){ "from", 0 };
    line.n_opts = 2;
    for (int k = 0; kind->keys[k]; k++) line.opts[line.n_opts++] = (option){ kind->keys[k], 0 };
    if (read_options(p, kind->name, tok, ntok, line.opts, line.n_opts) ||
        (name->value && set_name(p, net, L, name->value)) ||
        set_inputs(p, net, kind, L, from->value))
        return -1;
    char names[2][32];
    L->in = output_of(net, L->from[0]);
    line.in2 = output_of(net, L->from[1]);
    for (int i = 0; i < 2; i++)
        line.input_names[i] = name_of(net, L->from[i], names[i], sizeof names[i]);
    return kind->setup(&line, L);
}

/* Every layer's output but the last is read by a later layer. */
static int check_all_read(parser *p, const cnn_net *net)
{
    for (int l = 0; l + 1 < net->n_layers; l++) {
        int read = 0;
        for (int k = l + 1; k < net->n_layers && !read; k++)
            for (int i = 0; i < net->layers[k].n_from; i++) read |= net->layers[k].from[i] == l;
        if (!read) {
            p->line = net->layers[l].line;
            return fail(p,
                        "%s's output is never read (every layer but the last feeds a "
                        "later one)",
                        cnn_layer_name(net->layers[l].kind));
        }
    }
    return 0;
}

static int parse_line(parser *p, cnn_net *net, char *line, int *have_input, int *have_loss,
                      int *have_recipe)
{
    for (char *c = line; *c; c++)
        if (!isprint((unsigned char)*c) && *c != '\t' && *c != '\r')
            return fail(p, "unexpected byte 0x%02x: not a text description", (unsigned char)*c);
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
    const layer_kind *kind = layer_kind_named(tok[0]);
    if (!kind && strcmp(tok[0], "loss")) {
        char list[256] = "input";
        for (int k = 0; k < CNN_LAYER_KINDS; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), ", %s", layer_kinds[k].name);
        return fail(p, "unknown layer '%s' (%s, loss, train)", tok[0], list);
    }
    if (!*have_input) return fail(p, "%s before the input line", tok[0]);
    if (!strcmp(tok[0], "loss")) {
        *have_loss = 1;
        return set_loss(p, net, tok + 1, ntok - 1);
    }
    if (net->n_layers == CNN_MAX_LAYERS) return fail(p, "more than %d layers", CNN_MAX_LAYERS);
    cnn_layer *L = &net->layers[net->n_layers];
    memset(L, 0, sizeof *L);
    L->kind = kind->kind;
    L->line = p->line;
    if (read_layer_line(p, net, kind, L, tok + 1, ntok - 1)) return -1;
    if (cnn_shape_size(L->out) > MAX_ELEMS)
        return fail(p, "%s output of %zu values per image is too large", tok[0],
                    cnn_shape_size(L->out));
    L->w_off = net->n_params;
    L->b_off = L->w_off + L->n_w;
    net->n_params = L->b_off + L->n_b;
    if (net->n_params > MAX_PARAMS) return fail(p, "more than %zu parameters", MAX_PARAMS);
    L->s_off = net->n_stats;
    net->n_stats += L->n_s;
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
    net->recipe = cnn_recipe_default;
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
    if (check_all_read(&p, net)) goto bad;
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
    net->stats = aligned_calloc(net->n_stats ? net->n_stats : 1, sizeof(float));
    if (!net->params || !net->stats) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory for %zu parameters", source, net->n_params);
        return -1;
    }
    net_reset_stats(net);
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
                 !buf        ? "out of memory"
                 : bad       ? "cannot read (is it a folder?)"
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
        if (!strchr(name_or_path, '/') && !strchr(name_or_path, '.')) {
            char shipped[256] = ""; /* the names, from the table: never out of date */
            size_t len = 0;
            for (const cnn_builtin_net *b = cnn_builtin_nets; b->name && len < sizeof shipped; b++)
                len += (size_t)snprintf(shipped + len, sizeof shipped - len, "%s%s",
                                        len ? ", " : "", b->name);
            snprintf(err, CNN_ERR_LEN, "%s: no such network (shipped: %s) or file", name_or_path,
                     shipped);
        }
        return NULL;
    }
    cnn_net *net = cnn_net_parse(text, name_or_path, err);
    free(text);
    return net;
}
