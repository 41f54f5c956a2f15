/* model.c: model files, self-describing and written atomically.
 *
 * Format version 6, all little-endian and fixed-width:
 *   "CNNMODEL"          8 bytes magic
 *   u32 version         4
 *   sections, each a 4-letter tag, a u64 length and that many bytes, in
 *   this order:
 *     DESC  the network description (text)
 *     PARM  f32[n_params] parameters
 *     NORM  f32[n_stats] running statistics (only for a network that keeps
 *           them: each batchnorm layer's means, then its variances)
 *     VELO  f32[n_params] momentum buffer or Adam's first moments (only when
 *           the run keeps one)
 *     MOM2  f32[n_params] Adam's second moments (only when the run keeps them)
 *     STAT  i32 epoch, i32 epochs, u32 schedule, u32 shift, u64 rng state,
 *           f32 lr, f32 momentum, f32 weight decay, i32 batch
 *     OPTM  u32 optimizer (0 sgd, 1 nesterov, 2 adam, 3 adamw), f32 beta1,
 *           f32 beta2, f32 eps, u64 steps taken, i32 warmup, i32 step-every,
 *           f32 gamma
 *     AUGM  u32 flip (1: half the training images mirrored), u32 resize (1:
 *           images of another size scaled to the input, in training and after)
 *     DATA  i32 limit (0: all images), u32 select (1: only the images of the
 *           classes below, as train --classes chose them)
 *     VALD  (only with validation) i32 images held out, u64 their seed,
 *           u32 keep-best, i32 patience, i32 best epoch, f32 best accuracy
 *     CLAS  u32 count (the network's outputs), then for each output a u32
 *           length and the class's name ("7" for IDX label 7, or "cat")
 *     LABL  (only for IDX data the run named: train --class-names) u32 count,
 *           then for each output the u32 IDX label it stands for
 *   u32 crc32           of every byte before it
 * A reader refuses a section it does not know: a new section comes with a
 * new version. Version 1 (the same fields up to STAT without tags, a u32
 * text length, a u64 parameter count and a u32 velocity flag in front of
 * theirs, and no DATA or CLAS), version 2 (no MOM2, OPTM or VALD: SGD),
 * version 3 (no AUGM: no flip, no resize), version 4 (no LABL) and version 5
 * (no NORM: no batchnorm) are still read.
 * Every length is checked against the file's before anything is allocated
 * for it, and every number against its range (the recipe against
 * cnn_recipe_limits, parameters and velocities for NaN and infinity).
 * No timestamps, host names or thread counts: the same training writes the
 * same bytes. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "net/net.h"
#include "sys/outbuf.h"

#define MODEL_MAGIC     "CNNMODEL"
#define MODEL_VERSION   6u
#define MODEL_MAX_BYTES ((size_t)1 << 31)

/* ---- reading it back, with bounds on every field ---- */
typedef struct {
    const unsigned char *p;
    size_t len, at;
} cursor;

static int get(cursor *c, void *dst, size_t len)
{
    if (len > c->len - c->at) return -1;
    memcpy(dst, c->p + c->at, len);
    c->at += len;
    return 0;
}

static int get_u32(cursor *c, uint32_t *v)
{
    unsigned char x[4];
    if (get(c, x, 4)) return -1;
    *v = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
    return 0;
}

static int get_u64(cursor *c, uint64_t *v)
{
    uint32_t lo, hi;
    if (get_u32(c, &lo) || get_u32(c, &hi)) return -1;
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

static int get_f32(cursor *c, float *f)
{
    uint32_t v;
    if (get_u32(c, &v)) return -1;
    memcpy(f, &v, 4);
    return 0;
}

/* The next len bytes as a cursor of their own: a section or a field. */
static int take(cursor *c, uint64_t len, cursor *part)
{
    if (len > c->len - c->at) return -1;
    *part = (cursor){ c->p + c->at, (size_t)len, 0 };
    c->at += (size_t)len;
    return 0;
}

/* A cursor's remaining bytes as floats: n of them, exactly. */
static int get_floats(cursor *c, float *f, size_t n)
{
    if (c->len - c->at != 4 * n) return -1;
    for (size_t i = 0; i < n; i++) get_f32(c, &f[i]);
    return 0;
}

/* ---- saving ---- */

/* A section: its tag, its length (patched in by end_section), its bytes. */
static size_t begin_section(outbuf *b, const char tag[4])
{
    outbuf_put(b, tag, 4);
    outbuf_u64(b, 0);
    return b->len;
}

static void end_section(outbuf *b, size_t start)
{
    uint64_t len = b->len - start;
    for (int i = 0; !b->oom && i < 8; i++) b->p[start - 8 + i] = (unsigned char)(len >> (8 * i));
}

int cnn_model_save(const char *path, const cnn_net *net, const cnn_train_state *st, char *err)
{
    /* without a training state: the network's recipe, nothing trained yet */
    cnn_train_state none = { .epochs = net->recipe.epochs,
                             .schedule = net->recipe.schedule,
                             .shift = net->recipe.shift,
                             .flip = net->recipe.flip,
                             .resize = net->recipe.resize,
                             .sgd = net->recipe.sgd,
                             .batch = net->recipe.batch };
    if (!st) st = &none;
    cnn_recipe r = {
        st->epochs, st->batch, st->sgd, st->schedule, st->shift, st->flip, st->resize
    };
    if (cnn_recipe_check(&r, path, err)) return -1; /* it could not be read back */
    outbuf b = { 0 };
    outbuf_put(&b, MODEL_MAGIC, 8);
    outbuf_u32(&b, MODEL_VERSION);
    size_t at = begin_section(&b, "DESC");
    outbuf_put(&b, net->text, strlen(net->text));
    end_section(&b, at);
    at = begin_section(&b, "PARM");
    outbuf_floats(&b, net->params, net->n_params);
    end_section(&b, at);
    if (net->n_stats) {
        at = begin_section(&b, "NORM");
        outbuf_floats(&b, net->stats, net->n_stats);
        end_section(&b, at);
    }
    if (st->velocity) {
        at = begin_section(&b, "VELO");
        outbuf_floats(&b, st->velocity, net->n_params);
        end_section(&b, at);
    }
    if (st->moment2) {
        at = begin_section(&b, "MOM2");
        outbuf_floats(&b, st->moment2, net->n_params);
        end_section(&b, at);
    }
    at = begin_section(&b, "STAT");
    outbuf_u32(&b, (uint32_t)st->epoch);
    outbuf_u32(&b, (uint32_t)st->epochs);
    outbuf_u32(&b, (uint32_t)st->schedule);
    outbuf_u32(&b, (uint32_t)st->shift);
    outbuf_u64(&b, st->rng.s);
    outbuf_floats(&b, &st->sgd.lr, 1);
    outbuf_floats(&b, &st->sgd.momentum, 1);
    outbuf_floats(&b, &st->sgd.weight_decay, 1);
    outbuf_u32(&b, (uint32_t)st->batch);
    end_section(&b, at);
    at = begin_section(&b, "OPTM");
    outbuf_u32(&b, (uint32_t)st->sgd.kind);
    outbuf_floats(&b, &st->sgd.beta1, 1);
    outbuf_floats(&b, &st->sgd.beta2, 1);
    outbuf_floats(&b, &st->sgd.eps, 1);
    outbuf_u64(&b, st->steps);
    outbuf_u32(&b, (uint32_t)st->sgd.warmup);
    outbuf_u32(&b, (uint32_t)st->sgd.step_every);
    outbuf_floats(&b, &st->sgd.gamma, 1);
    end_section(&b, at);
    at = begin_section(&b, "AUGM");
    outbuf_u32(&b, (uint32_t)st->flip);
    outbuf_u32(&b, (uint32_t)st->resize);
    end_section(&b, at);
    at = begin_section(&b, "DATA");
    outbuf_u32(&b, (uint32_t)(st->limit > 0 ? st->limit : 0));
    outbuf_u32(&b, st->select_classes == 1);
    end_section(&b, at);
    if (st->val.count > 0) {
        at = begin_section(&b, "VALD");
        outbuf_u32(&b, (uint32_t)st->val.count);
        outbuf_u64(&b, st->val.seed);
        outbuf_u32(&b, st->val.keep_best == 1);
        outbuf_u32(&b, (uint32_t)st->val.patience);
        outbuf_u32(&b, (uint32_t)st->val.best_epoch);
        outbuf_floats(&b, &st->val.best_accuracy, 1);
        end_section(&b, at);
    }
    at = begin_section(&b, "CLAS");
    outbuf_u32(&b, (uint32_t)net->classes);
    for (int k = 0; k < net->classes; k++) {
        outbuf_u32(&b, (uint32_t)strlen(net->class_names[k]));
        outbuf_put(&b, net->class_names[k], strlen(net->class_names[k]));
    }
    end_section(&b, at);
    if (net->class_labels) {
        at = begin_section(&b, "LABL");
        outbuf_u32(&b, (uint32_t)net->classes);
        for (int k = 0; k < net->classes; k++) outbuf_u32(&b, (uint32_t)net->class_labels[k]);
        end_section(&b, at);
    }
    if (!b.oom) outbuf_u32(&b, (uint32_t)crc32(0L, b.p, (uInt)b.len));
    if (b.oom) {
        outbuf_free(&b);
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
        return -1;
    }
    int rc = write_file_atomically(path, b.p, b.len, err);
    outbuf_free(&b);
    return rc;
}

/* ---- loading ---- */

static unsigned char *read_file(const char *path, size_t *len, char *err)
{
    struct stat st;
    FILE *f = NULL;
    unsigned char *data = NULL;
    if (stat(path, &st)) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, CNN_ERR_LEN, "%s: not a regular file", path);
        return NULL;
    }
    if ((size_t)st.st_size > MODEL_MAX_BYTES) {
        snprintf(err, CNN_ERR_LEN, "%s: %lld bytes is too large for a model", path,
                 (long long)st.st_size);
        return NULL;
    }
    *len = (size_t)st.st_size;
    if (!(f = fopen(path, "rb")) || !(data = malloc(*len + 1)) || fread(data, 1, *len, f) != *len) {
        snprintf(err, CNN_ERR_LEN, "%s: cannot read: %s", path,
                 errno ? strerror(errno) : "short read");
        free(data);
        data = NULL;
    }
    if (f) fclose(f);
    return data;
}

/* What a model file holds, gathered section by section. */
typedef struct {
    const char *path;
    char *err;
    cnn_net *net;
    float *velocity, *moment2;
    int has_stats; /* the NORM section was read */
    cnn_train_state st;
} model;

static int refuse(model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(model *m, const char *fmt, ...)
{
    int len = snprintf(m->err, CNN_ERR_LEN, "%s: ", m->path);
    va_list ap;
    va_start(ap, fmt);
    if (len > 0 && len < CNN_ERR_LEN) vsnprintf(m->err + len, CNN_ERR_LEN - len, fmt, ap);
    va_end(ap);
    return -1;
}

/* A NaN or infinity in a block laid out like the parameters is refused,
 * naming the layer, its description line and the part. */
static int check_finite(model *m, const float *block, const char *whose)
{
    const cnn_net *net = m->net;
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        for (size_t i = 0; i < L->n_w + L->n_b; i++)
            if (!isfinite(block[L->w_off + i]))
                return refuse(m, "layer %d (%s, line %d): %s%s is %s (the model is damaged)", l + 1,
                              cnn_layer_name(L->kind), L->line, whose,
                              i < L->n_w ? "a weight" : "a bias",
                              isnan(block[L->w_off + i]) ? "NaN" : "infinite");
    }
    return 0;
}

static int read_description(model *m, cursor *s)
{
    if (memchr(s->p, 0, s->len)) return refuse(m, "the network description holds a NUL byte");
    char *text = malloc(s->len + 1);
    if (!text) return refuse(m, "out of memory");
    memcpy(text, s->p, s->len);
    text[s->len] = 0;
    m->net = net_parse_layout(text, m->path, m->err);
    free(text);
    return m->net ? 0 : -1;
}

/* The section's size is checked before the block is allocated: a few bytes
 * describing a huge network must not cost its memory. */
static int read_parameters(model *m, cursor *s)
{
    size_t n = m->net->n_params;
    if (s->len != 4 * n)
        return refuse(m, "%zu bytes of parameters for a network of %zu parameters (%zu bytes)",
                      s->len, n, 4 * n);
    if (net_alloc_params(m->net, m->path, m->err)) return -1;
    get_floats(s, m->net->params, n);
    return check_finite(m, m->net->params, "");
}

/* A block laid out like the parameters, into *into. */
static int read_block(model *m, cursor *s, float **into, const char *what, const char *whose)
{
    size_t n = m->net->n_params;
    if (s->len != 4 * n)
        return refuse(m, "%zu bytes of %s for a network of %zu parameters (%zu bytes)", s->len,
                      what, n, 4 * n);
    if (!(*into = malloc(sizeof(float) * (n ? n : 1)))) return refuse(m, "out of memory");
    get_floats(s, *into, n);
    return check_finite(m, *into, whose);
}

/* Running statistics: finite, and variances not negative. */
static int read_stats(model *m, cursor *s)
{
    const cnn_net *net = m->net;
    if (s->len != 4 * net->n_stats)
        return refuse(m, "%zu bytes of running statistics for a network that keeps %zu (%zu bytes)",
                      s->len, net->n_stats, 4 * net->n_stats);
    get_floats(s, net->stats, net->n_stats);
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        for (size_t i = 0; i < L->n_s; i++) {
            float v = net->stats[L->s_off + i];
            int variance = i >= L->n_s / 2;
            if (!isfinite(v) || (variance && v < 0))
                return refuse(
                    m, "layer %d (%s, line %d): a running %s is %g (the model is damaged)", l + 1,
                    cnn_layer_name(L->kind), L->line, variance ? "variance" : "mean", v);
        }
    }
    m->has_stats = 1;
    return 0;
}

static int read_velocity(model *m, cursor *s)
{
    return read_block(m, s, &m->velocity, "velocities", "the velocity of ");
}

static int read_moment2(model *m, cursor *s)
{
    return read_block(m, s, &m->moment2, "second moments", "the second moment of ");
}

static int read_state(model *m, cursor *s)
{
    uint32_t epoch, epochs, schedule, shift, batch;
    uint64_t rng;
    /* before version 3: SGD, with the default recipe's other settings should
     * a resume switch optimiser */
    cnn_sgd sgd = cnn_recipe_default.sgd;
    if (s->len != 40 || get_u32(s, &epoch) || get_u32(s, &epochs) || get_u32(s, &schedule) ||
        get_u32(s, &shift) || get_u64(s, &rng) || get_f32(s, &sgd.lr) ||
        get_f32(s, &sgd.momentum) || get_f32(s, &sgd.weight_decay) || get_u32(s, &batch))
        return refuse(m, "the training state is %zu bytes, not 40", s->len);
    /* as signed numbers, the way they are used */
    cnn_recipe r = {
        (int32_t)epochs, (int32_t)batch, sgd, (cnn_schedule)(int32_t)schedule, (int32_t)shift, 0, 0
    };
    if (cnn_recipe_check(&r, m->path, m->err)) return -1;
    if (epoch > epochs) return refuse(m, "%u of %u epochs done: more than planned", epoch, epochs);
    m->st = (cnn_train_state){ .epoch = (int)epoch,
                               .epochs = r.epochs,
                               .schedule = r.schedule,
                               .shift = r.shift,
                               .rng = { rng },
                               .sgd = sgd,
                               .batch = r.batch,
                               .limit = -1,
                               .select_classes = -1 };
    return 0;
}

static int read_optimizer(model *m, cursor *s)
{
    uint32_t kind, warmup, step_every;
    cnn_sgd *o = &m->st.sgd;
    if (s->len != 36 || get_u32(s, &kind) || get_f32(s, &o->beta1) || get_f32(s, &o->beta2) ||
        get_f32(s, &o->eps) || get_u64(s, &m->st.steps) || get_u32(s, &warmup) ||
        get_u32(s, &step_every) || get_f32(s, &o->gamma))
        return refuse(m, "the optimizer section is %zu bytes, not 36", s->len);
    o->kind = (cnn_optimizer)kind;
    o->warmup = (int32_t)warmup;
    o->step_every = (int32_t)step_every;
    cnn_recipe r = { m->st.epochs, m->st.batch, *o,          m->st.schedule,
                     m->st.shift,  m->st.flip,  m->st.resize };
    if (kind > CNN_OPT_ADAMW)
        return refuse(m, "optimizer %u is not sgd, nesterov, adam or adamw", kind);
    return cnn_recipe_check(&r, m->path, m->err);
}

static int read_augmentation(model *m, cursor *s)
{
    uint32_t flip, resize;
    if (s->len != 8 || get_u32(s, &flip) || get_u32(s, &resize))
        return refuse(m, "the augmentation section is %zu bytes, not 8", s->len);
    if (flip > 1) return refuse(m, "flip=%u is out of range (0 to 1)", flip);
    if (resize > 1) return refuse(m, "resize=%u is out of range (0 to 1)", resize);
    m->st.flip = (int)flip;
    m->st.resize = (int)resize;
    return 0;
}

static int read_validation(model *m, cursor *s)
{
    uint32_t count, keep_best, patience, best_epoch;
    float best;
    uint64_t seed;
    if (s->len != 28 || get_u32(s, &count) || get_u64(s, &seed) || get_u32(s, &keep_best) ||
        get_u32(s, &patience) || get_u32(s, &best_epoch) || get_f32(s, &best))
        return refuse(m, "the validation section is %zu bytes, not 28", s->len);
    if (count < 1 || count > INT32_MAX || keep_best > 1 || patience > INT32_MAX ||
        best_epoch > (uint32_t)m->st.epoch || !(best >= 0 && best <= 1))
        return refuse(m,
                      "bad validation state (%u images, keep-best %u, patience %u, best "
                      "%g at epoch %u)",
                      count, keep_best, patience, best, best_epoch);
    m->st.val.count = (int)count;
    m->st.val.seed = seed;
    m->st.val.keep_best = (int)keep_best;
    m->st.val.patience = (int)patience;
    m->st.val.best_epoch = (int)best_epoch;
    m->st.val.best_accuracy = best;
    return 0;
}

static int read_data(model *m, cursor *s)
{
    uint32_t limit, select;
    if (s->len != 8 || get_u32(s, &limit) || get_u32(s, &select))
        return refuse(m, "the data section is %zu bytes, not 8", s->len);
    if (limit > INT32_MAX || select > 1)
        return refuse(m, "bad data selection (limit %u, select %u)", limit, select);
    m->st.limit = (int)limit;
    m->st.select_classes = (int)select;
    return 0;
}

static int read_classes(model *m, cursor *s)
{
    uint32_t count, len;
    int classes = m->net->classes;
    if (get_u32(s, &count) || count != (uint32_t)classes)
        return refuse(m, "the class list does not have the network's %d classes", classes);
    /* the names, each followed by a NUL, fit in the section plus one byte each */
    char *block = malloc(s->len + (size_t)classes), *at = block;
    const char *names[256];
    if (!block) return refuse(m, "out of memory");
    for (int k = 0; k < classes; k++) {
        cursor name;
        if (get_u32(s, &len) || len > CNN_CLASS_NAME_MAX || take(s, len, &name)) {
            free(block);
            return refuse(m, "the name of class %d runs past its section", k);
        }
        memcpy(at, name.p, name.len);
        at[name.len] = 0;
        names[k] = at;
        at += name.len + 1;
    }
    int rc = s->at != s->len ? refuse(m, "the class list ends with %zu unread byte%s",
                                      s->len - s->at, s->len - s->at == 1 ? "" : "s")
                             : cnn_net_set_class_names(m->net, names, classes, m->path, m->err);
    free(block);
    return rc;
}

static int read_labels(model *m, cursor *s)
{
    int labels[256], classes = m->net->classes;
    uint32_t count, label;
    if (s->len != 4 * (size_t)(classes + 1) || get_u32(s, &count) || count != (uint32_t)classes)
        return refuse(m, "the label list does not have the network's %d classes", classes);
    for (int k = 0; k < classes; k++) {
        if (get_u32(s, &label) || label > 255)
            return refuse(m, "class %d's IDX label is not 0 to 255", k);
        labels[k] = (int)label;
    }
    return cnn_net_set_class_labels(m->net, labels, classes, m->path, m->err);
}

/* Version 6's sections in their order (version 5: without NORM; version 4:
 * without LABL; version 3: without AUGM; version 2: without MOM2, OPTM and
 * AUGM); each appears once at most. */
static const struct {
    char tag[5];
    int optional;
    int (*read)(model *, cursor *);
} kinds[] = {
    { "DESC", 0, read_description }, { "PARM", 0, read_parameters },   { "NORM", 1, read_stats },
    { "VELO", 1, read_velocity },    { "MOM2", 1, read_moment2 },      { "STAT", 0, read_state },
    { "OPTM", 1, read_optimizer },   { "AUGM", 1, read_augmentation }, { "DATA", 0, read_data },
    { "VALD", 1, read_validation },  { "CLAS", 0, read_classes },      { "LABL", 1, read_labels },
};
enum { N_KINDS = sizeof kinds / sizeof kinds[0] };

/* Refuse when a section that must come before kinds[to] is not there. */
static int missing(model *m, int from, int to)
{
    for (int k = from; k < to; k++)
        if (!kinds[k].optional) return refuse(m, "the %s section is missing", kinds[k].tag);
    return 0;
}

static int read_sections(model *m, cursor *c)
{
    int next = 0;
    while (c->at < c->len) {
        char tag[5] = { 0 };
        uint64_t len;
        cursor s;
        if (get(c, tag, 4) || get_u64(c, &len) || take(c, len, &s))
            return refuse(m, "a section runs past the end of the file");
        int k = next;
        while (k < N_KINDS && memcmp(tag, kinds[k].tag, 4)) k++;
        for (int i = 0; i < 4; i++)
            if (tag[i] < 0x20 || tag[i] > 0x7e) tag[i] = '?';
        if (k == N_KINDS)
            return refuse(m, "unexpected section \"%s\" (unknown, repeated or out of order)", tag);
        if (missing(m, next, k) || kinds[k].read(m, &s)) return -1;
        next = k + 1;
    }
    if (m->net && m->net->n_stats && !m->has_stats)
        return refuse(m, "the NORM section is missing (its batchnorm layers' statistics)");
    return missing(m, next, N_KINDS);
}

/* Version 1: description, parameters, velocity and training state, without
 * tags; it did not record the classes or the data. */
static int read_version1(model *m, cursor *c)
{
    uint32_t text_len, has_velocity;
    uint64_t n_params;
    cursor s;
    if (get_u32(c, &text_len) || take(c, text_len, &s)) return refuse(m, "truncated description");
    if (read_description(m, &s)) return -1;
    if (m->net->n_stats) return refuse(m, "a version 1 model holds no batchnorm statistics");
    if (get_u64(c, &n_params) || n_params != m->net->n_params)
        return refuse(m, "the parameter count does not match its network");
    if (take(c, 4 * n_params, &s)) return refuse(m, "truncated parameters");
    if (read_parameters(m, &s)) return -1;
    if (get_u32(c, &has_velocity) || has_velocity > 1) return refuse(m, "bad velocity flag");
    if (has_velocity && take(c, 4 * n_params, &s)) return refuse(m, "truncated velocity");
    if (has_velocity && read_velocity(m, &s)) return -1;
    if (take(c, 40, &s) || c->at != c->len) return refuse(m, "bad training state");
    if (read_state(m, &s)) return -1;
    m->net->class_names_guessed = 1;
    return 0;
}

static void discard(model *m)
{
    cnn_net_free(m->net);
    free(m->velocity);
    free(m->moment2);
    m->net = NULL;
    m->velocity = m->moment2 = NULL;
}

cnn_net *cnn_model_load(const char *path, cnn_train_state *st, char *err)
{
    size_t len;
    unsigned char *data = read_file(path, &len, err);
    if (!data) return NULL;
    model m = { .path = path, .err = err };
    cursor c = { data, len, 0 };
    char magic[8];
    uint32_t version, crc;
    if (len < 12 || get(&c, magic, 8) || memcmp(magic, MODEL_MAGIC, 8)) {
        refuse(&m, "not a model file (wrong magic)");
        goto done;
    }
    get_u32(&c, &version);
    if (version > MODEL_VERSION) {
        refuse(&m, "model format version %u is newer than this program's (%u): upgrade cnn",
               version, MODEL_VERSION);
        goto done;
    }
    if (version == 0) {
        refuse(&m, "model format version 0 is invalid");
        goto done;
    }
    if (len < 16) {
        refuse(&m, "truncated");
        goto done;
    }
    crc = (uint32_t)data[len - 4] | (uint32_t)data[len - 3] << 8 | (uint32_t)data[len - 2] << 16 |
          (uint32_t)data[len - 1] << 24;
    if (crc != (uint32_t)crc32(0L, data, (uInt)(len - 4))) {
        refuse(&m, "checksum mismatch: the file is truncated or corrupt");
        goto done;
    }
    c.len = len - 4;
    if ((version == 1 ? read_version1(&m, &c) : read_sections(&m, &c)) == 0) {
        if (st) {
            *st = m.st;
            st->velocity = m.velocity;
            st->moment2 = m.moment2;
            m.velocity = m.moment2 = NULL;
        }
        free(m.velocity);
        free(m.moment2);
        free(data);
        return m.net;
    }
done:
    discard(&m);
    free(data);
    return NULL;
}
