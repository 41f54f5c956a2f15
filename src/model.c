/* model.c: model files, self-describing and written atomically.
 *
 * Layout, all little-endian and fixed-width:
 *   "CNNMODEL"            8 bytes magic
 *   u32 version           MODEL_VERSION
 *   u32 text_len, text    the network description
 *   u64 n_params, f32[n_params] parameters
 *   u32 has_velocity, f32[n_params] momentum buffer when has_velocity = 1
 *   i32 epoch, i32 epochs, u32 schedule, u32 shift, u64 rng state,
 *   f32 lr, f32 momentum, f32 weight decay, i32 batch
 *   u32 crc32             of every byte before it
 * No timestamps, host names or thread counts: the same training writes the
 * same bytes. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "layers.h"

#define MODEL_MAGIC "CNNMODEL"
#define MODEL_VERSION 1u
#define MODEL_MAX_BYTES ((size_t)1 << 31)

/* ---- a byte buffer written little-endian ---- */
typedef struct {
    unsigned char *p;
    size_t len, cap;
    int oom;
} buf;

static void put(buf *b, const void *src, size_t len)
{
    if (b->oom) return;
    if (b->len + len > b->cap) {
        size_t cap = (b->len + len) * 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, len);
    b->len += len;
}

static void put_u32(buf *b, uint32_t v)
{
    unsigned char x[4] = { v, v >> 8, v >> 16, v >> 24 };
    put(b, x, 4);
}

static void put_u64(buf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(buf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(b, v);
}

static void put_floats(buf *b, const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++) put_f32(b, f[i]);
}

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

static int get_floats(cursor *c, float *f, size_t n)
{
    if (n > (c->len - c->at) / 4) return -1;
    for (size_t i = 0; i < n; i++) get_f32(c, &f[i]);
    return 0;
}

/* ---- saving ---- */

/* The replaced file's permissions, or for a new file what the umask allows
 * (mkstemp makes it 0600). */
static mode_t new_file_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) return st.st_mode & 07777;
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* Write all of data to a temporary file beside path, fsync it, rename it over
 * path and fsync the folder: a crash leaves the old file or the new one. */
static int write_atomically(const char *path, const void *data, size_t len, char *err)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16), *dircopy = strdup(path);
    int fd = -1, rc = -1;
    if (!tmp || !dircopy) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
        goto done;
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, CNN_ERR_LEN, "%s: cannot create a file there: %s", path,
                 strerror(errno));
        goto done;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t k = write(fd, p, left);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            snprintf(err, CNN_ERR_LEN, "%s: write failed: %s (the previous file is kept)",
                     path, k < 0 ? strerror(errno) : "no space");
            goto done;
        }
        p += k;
        left -= (size_t)k;
    }
    if (fchmod(fd, new_file_mode(path)) || fsync(fd)) {
        snprintf(err, CNN_ERR_LEN, "%s: cannot sync: %s (the previous file is kept)", path,
                 strerror(errno));
        goto done;
    }
    if (close(fd)) {
        fd = -1;
        snprintf(err, CNN_ERR_LEN, "%s: close failed: %s (the previous file is kept)",
                 path, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp, path)) {
        snprintf(err, CNN_ERR_LEN, "%s: cannot replace: %s (the previous file is kept)",
                 path, strerror(errno));
        goto done;
    }
    int dfd = open(dirname(dircopy), O_RDONLY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = 0;
done:
    if (fd >= 0) close(fd);
    if (rc && tmp) unlink(tmp);
    free(tmp);
    free(dircopy);
    return rc;
}

int cnn_model_save(const char *path, const cnn_net *net, const cnn_train_state *st,
                   char *err)
{
    buf b = { 0 };
    size_t text_len = strlen(net->text);
    put(&b, MODEL_MAGIC, 8);
    put_u32(&b, MODEL_VERSION);
    put_u32(&b, (uint32_t)text_len);
    put(&b, net->text, text_len);
    put_u64(&b, net->n_params);
    put_floats(&b, net->params, net->n_params);
    put_u32(&b, st && st->velocity ? 1u : 0u);
    if (st && st->velocity) put_floats(&b, st->velocity, net->n_params);
    cnn_train_state none = { 0 };
    if (!st) st = &none;
    put_u32(&b, (uint32_t)st->epoch);
    put_u32(&b, (uint32_t)st->epochs);
    put_u32(&b, (uint32_t)st->schedule);
    put_u32(&b, (uint32_t)st->shift);
    put_u64(&b, st->rng.s);
    put_f32(&b, st->sgd.lr);
    put_f32(&b, st->sgd.momentum);
    put_f32(&b, st->sgd.weight_decay);
    put_u32(&b, (uint32_t)st->batch);
    if (!b.oom) put_u32(&b, (uint32_t)crc32(0L, b.p, (uInt)b.len));
    if (b.oom) {
        free(b.p);
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
        return -1;
    }
    int rc = write_atomically(path, b.p, b.len, err);
    free(b.p);
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
    if (!(f = fopen(path, "rb")) || !(data = malloc(*len + 1)) ||
        fread(data, 1, *len, f) != *len) {
        snprintf(err, CNN_ERR_LEN, "%s: cannot read: %s", path,
                 errno ? strerror(errno) : "short read");
        free(data);
        data = NULL;
    }
    if (f) fclose(f);
    return data;
}

cnn_net *cnn_model_load(const char *path, cnn_train_state *st, char *err)
{
    size_t len;
    unsigned char *data = read_file(path, &len, err);
    if (!data) return NULL;
    cursor c = { data, len, 0 };
    cnn_net *net = NULL;
    char *text = NULL;
    float *velocity = NULL;
    const char *why = NULL;
    char magic[8];
    uint32_t version, text_len, has_v, epoch, epochs, schedule, shift, batch, crc;
    uint64_t n_params, rng;
    float lr, mom, wd;

    if (len < 12 || get(&c, magic, 8) || memcmp(magic, MODEL_MAGIC, 8)) {
        why = "not a model file (wrong magic)";
        goto bad;
    }
    get_u32(&c, &version);
    if (version > MODEL_VERSION) {
        snprintf(err, CNN_ERR_LEN, "%s: model format version %u is newer than this "
                 "program's (%u): upgrade cnn", path, version, MODEL_VERSION);
        goto fail;
    }
    if (version == 0) {
        why = "model format version 0 is invalid";
        goto bad;
    }
    if (len < 16) {
        why = "truncated";
        goto bad;
    }
    crc = (uint32_t)data[len - 4] | (uint32_t)data[len - 3] << 8 |
          (uint32_t)data[len - 2] << 16 | (uint32_t)data[len - 1] << 24;
    if (crc != (uint32_t)crc32(0L, data, (uInt)(len - 4))) {
        why = "checksum mismatch: the file is truncated or corrupt";
        goto bad;
    }
    c.len = len - 4;
    if (get_u32(&c, &text_len) || text_len > c.len - c.at || !(text = malloc(text_len + 1))) {
        why = "bad network description length";
        goto bad;
    }
    get(&c, text, text_len);
    text[text_len] = 0;
    if (!(net = cnn_net_parse(text, path, err))) goto fail;
    if (get_u64(&c, &n_params) || n_params != net->n_params ||
        get_floats(&c, net->params, net->n_params)) {
        why = "the parameter count does not match its network";
        goto bad;
    }
    if (get_u32(&c, &has_v) || has_v > 1) {
        why = "bad optimiser state";
        goto bad;
    }
    if (has_v) {
        if (!(velocity = malloc(sizeof(float) * (net->n_params ? net->n_params : 1))) ||
            get_floats(&c, velocity, net->n_params)) {
            why = "bad optimiser state";
            goto bad;
        }
    }
    if (get_u32(&c, &epoch) || get_u32(&c, &epochs) || get_u32(&c, &schedule) ||
        get_u32(&c, &shift) || get_u64(&c, &rng) || get_f32(&c, &lr) || get_f32(&c, &mom) ||
        get_f32(&c, &wd) || get_u32(&c, &batch) || c.at != c.len || epoch > 1000000 ||
        epochs > 1000000 || schedule > CNN_SCHEDULE_COSINE || shift > 64 ||
        batch > 1000000) {
        why = "bad training state";
        goto bad;
    }
    if (st) {
        st->epoch = (int)epoch;
        st->epochs = (int)epochs;
        st->schedule = (cnn_schedule)schedule;
        st->shift = (int)shift;
        st->rng.s = rng;
        st->sgd = (cnn_sgd){ lr, mom, wd };
        st->batch = (int)batch;
        st->velocity = velocity;
        velocity = NULL;
    }
    free(velocity);
    free(text);
    free(data);
    return net;
bad:
    snprintf(err, CNN_ERR_LEN, "%s: %s", path, why);
fail:
    cnn_net_free(net);
    free(velocity);
    free(text);
    free(data);
    return NULL;
}
