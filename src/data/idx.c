/* idx.c: the IDX files of MNIST (and Fashion-MNIST), plain or gzip-compressed
 * (told apart by gzip's magic bytes, 1f 8b), read through zlib's inflate.
 *
 *   bytes 0-1  zero          byte 2  type (0x08: unsigned byte)
 *   byte 3     dimensions    then one big-endian uint32 per dimension, then data
 *
 * Images are 0x00000803 (count, rows, columns), labels 0x00000801 (count).
 * Everything is checked, including that nothing follows the data, inside the
 * compressed stream or after it (gzread would skip such bytes silently); memory
 * grows only as data actually arrives, so a header that lies about its size
 * cannot make us allocate gigabytes. Reading goes front to back once, so a
 * pipe or standard input works as well as a file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "cnn.h"
#include "sys/blas_room.h"

#define MAX_COUNT 100000000u /* images or labels in one file */
#define MAX_SIDE  4096u      /* rows or columns */
#define CHUNK     (1u << 20)

typedef struct {
    FILE *f;
    int owned; /* opened here: closed here */
    int gzip, inflating, eof;
    int member_done; /* a gzip member ended; another may follow */
    int members;
    z_stream z; /* next_in/avail_in: read but not yet used */
    unsigned char in[1u << 16];
    const char *path;
    char *err;
} reader;

static int fail(reader *r, const char *what)
{
    snprintf(r->err, CNN_ERR_LEN, "%s: %s", r->path, what);
    return -1;
}

/* More bytes from the file into `in` once it is used up. */
static int refill(reader *r)
{
    if (r->z.avail_in > 0 || r->eof) return 0;
    size_t k = fread(r->in, 1, sizeof r->in, r->f);
    if (k == 0) {
        if (ferror(r->f)) return fail(r, strerror(errno));
        r->eof = 1;
    }
    r->z.next_in = r->in;
    r->z.avail_in = (uInt)k;
    return 0;
}

/* Up to len bytes of data: how many, 0 at the end, -1 on an error. */
static long read_some(reader *r, unsigned char *buf, unsigned len)
{
    if (!r->gzip) {
        if (refill(r)) return -1;
        unsigned k = r->z.avail_in < len ? r->z.avail_in : len;
        memcpy(buf, r->z.next_in, k);
        r->z.next_in += k;
        r->z.avail_in -= k;
        return k;
    }
    r->z.next_out = buf;
    r->z.avail_out = len;
    while (r->z.avail_out == len) {
        if (refill(r)) return -1;
        if (r->member_done) {
            if (r->z.avail_in == 0) return 0; /* the end of the file */
            inflateReset(&r->z);              /* gzip members may be concatenated */
            r->member_done = 0;
        }
        if (r->z.avail_in == 0) return fail(r, "truncated: the gzip data ends early");
        int rc = inflate(&r->z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            r->member_done = 1;
            r->members++;
        } else if (rc == Z_DATA_ERROR && r->members > 0 && r->z.total_out == 0) {
            return fail(r, "trailing bytes after the gzip data");
        } else if (rc == Z_MEM_ERROR) {
            return fail(r, "out of memory");
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            char msg[128];
            snprintf(msg, sizeof msg, "corrupt gzip data (%s)", r->z.msg ? r->z.msg : "?");
            return fail(r, msg);
        }
    }
    return (long)(len - r->z.avail_out);
}

/* Read exactly len bytes, the part of `what` from byte `at` of `total`; a
 * short read is truncation. */
static int read_exact(reader *r, void *buf, size_t len, const char *what, size_t at, size_t total)
{
    size_t got = 0;
    while (got < len) {
        unsigned ask = len - got > CHUNK ? CHUNK : (unsigned)(len - got);
        long k = read_some(r, (unsigned char *)buf + got, ask);
        if (k < 0) return -1;
        if (k == 0) {
            char msg[CNN_ERR_LEN / 2];
            snprintf(msg, sizeof msg, "truncated: %s ends after %zu of %zu bytes", what, at + got,
                     total);
            return fail(r, msg);
        }
        got += (size_t)k;
    }
    return 0;
}

/* Plain or gzip, from the first two bytes (left to be read). */
static int start_reader(reader *r, FILE *f, int owned, const char *name, char *err)
{
    memset(&r->z, 0, sizeof r->z);
    r->f = f;
    r->owned = owned;
    r->path = name;
    r->err = err;
    r->gzip = r->inflating = r->eof = r->member_done = r->members = 0;
    if (refill(r)) return -1; /* fread returns less only at the end */
    r->gzip = r->z.avail_in >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b;
    if (r->gzip) {
        if (inflateInit2(&r->z, 15 + 16) != Z_OK) return fail(r, "out of memory");
        r->inflating = 1;
    }
    return 0;
}

static int open_reader(reader *r, const char *path, char *err)
{
    struct stat st;
    r->f = NULL;
    r->inflating = 0;
    r->path = path;
    r->err = err;
    if (stat(path, &st) != 0) return fail(r, strerror(errno));
    if (S_ISDIR(st.st_mode)) return fail(r, "is a folder, not an IDX file");
    if (!S_ISREG(st.st_mode)) return fail(r, "is not a regular file");
    if (st.st_size == 0) return fail(r, "is empty");
    FILE *f = fopen(path, "rb");
    if (!f) return fail(r, strerror(errno));
    return start_reader(r, f, 1, path, err);
}

static void close_reader(reader *r)
{
    if (r->inflating) inflateEnd(&r->z);
    if (r->f && r->owned) fclose(r->f);
    r->f = NULL;
    r->inflating = 0;
}

/* Header: magic, then dims big-endian counts. */
static int read_header(reader *r, int want_dims, uint32_t *dims)
{
    unsigned char h[4], d[12];
    char msg[128];
    if (read_exact(r, h, 4, "the header", 0, 4)) return -1;
    if (h[0] || h[1]) {
        snprintf(msg, sizeof msg, "wrong magic %02x%02x%02x%02x: not an IDX file", h[0], h[1], h[2],
                 h[3]);
        return fail(r, msg);
    }
    if (h[2] != 0x08) {
        snprintf(msg, sizeof msg,
                 "type code 0x%02x: only unsigned bytes (0x08) are "
                 "supported",
                 h[2]);
        return fail(r, msg);
    }
    if (h[3] != want_dims) {
        snprintf(msg, sizeof msg, "%d dimensions where %s files have %d", h[3],
                 want_dims == 3 ? "image" : "label", want_dims);
        return fail(r, msg);
    }
    if (read_exact(r, d, 4u * want_dims, "the header", 4, 4 + 4u * want_dims)) return -1;
    for (int i = 0; i < want_dims; i++) {
        const unsigned char *b = d + 4 * i;
        dims[i] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        uint32_t max = i == 0 ? MAX_COUNT : MAX_SIDE;
        if (dims[i] == 0 || dims[i] > max) {
            snprintf(msg, sizeof msg, "dimension %d is %u (must be 1 to %u)", i, dims[i], max);
            return fail(r, msg);
        }
    }
    return 0;
}

/* The data part (len bytes), growing the buffer as it arrives, then a check
 * that nothing follows it. */
static unsigned char *read_body(reader *r, size_t len)
{
    size_t cap = len < CHUNK ? len : CHUNK, got = 0;
    unsigned char *buf = malloc(cap);
    while (buf && got < len) {
        if (got == cap) {
            cap = cap * 2 < len ? cap * 2 : len;
            unsigned char *grown = realloc(buf, cap);
            if (!grown) break;
            buf = grown;
        }
        if (read_exact(r, buf + got, cap - got, "the data", got, len)) {
            free(buf);
            return NULL;
        }
        got = cap;
    }
    if (!buf || got < len) {
        free(buf);
        fail(r, "out of memory");
        return NULL;
    }
    unsigned char extra;
    long k = read_some(r, &extra, 1);
    if (k != 0) {
        free(buf);
        if (k > 0) fail(r, "trailing bytes after the data the header declares");
        return NULL;
    }
    return buf;
}

/* The images of an opened reader, which this closes. */
static int read_images(cnn_dataset *d, reader *r, char *err)
{
    uint32_t dims[3];
    if (read_header(r, 3, dims)) {
        close_reader(r);
        return -1;
    }
    size_t image = (size_t)dims[1] * dims[2];
    unsigned char *bytes = read_body(r, (size_t)dims[0] * image);
    close_reader(r);
    if (!bytes) return -1;
    snprintf(d->images_path, sizeof d->images_path, "%s", r->path);
    d->count = (int)dims[0];
    d->channels = 1;
    d->height = (int)dims[1];
    d->width = (int)dims[2];
    d->image_size = image;
    d->pixels = bytes;
    return 0;
}

int cnn_idx_read_images(cnn_dataset *d, const char *path, char *err)
{
    reader r;
    memset(d, 0, sizeof *d);
    if (open_reader(&r, path, err)) {
        close_reader(&r);
        return -1;
    }
    return read_images(d, &r, err);
}

int cnn_idx_read_images_from(cnn_dataset *d, FILE *f, const char *name, char *err)
{
    reader r;
    memset(d, 0, sizeof *d);
    if (start_reader(&r, f, 0, name, err)) {
        close_reader(&r);
        return -1;
    }
    return read_images(d, &r, err);
}

int cnn_dataset_load(cnn_dataset *d, const char *images_path, const char *labels_path, char *err)
{
    if (cnn_idx_read_images(d, images_path, err)) return -1;
    reader r;
    uint32_t count;
    if (open_reader(&r, labels_path, err) || read_header(&r, 1, &count)) {
        close_reader(&r);
        cnn_dataset_free(d);
        return -1;
    }
    if (count != (uint32_t)d->count) {
        snprintf(err, CNN_ERR_LEN, "%s: %u labels for the %d images of %s", labels_path, count,
                 d->count, images_path);
        close_reader(&r);
        cnn_dataset_free(d);
        return -1;
    }
    snprintf(d->labels_path, sizeof d->labels_path, "%s", labels_path);
    d->labels = read_body(&r, count);
    close_reader(&r);
    if (!d->labels) {
        cnn_dataset_free(d);
        return -1;
    }
    return 0;
}

void cnn_dataset_images(const cnn_dataset *d, int first, int n, float *out)
{
    const uint8_t *px = d->pixels + (size_t)first * d->image_size;
    for (size_t k = 0; k < (size_t)n * d->image_size; k++) out[k] = (float)px[k] / 255.0f;
}

void cnn_dataset_free(cnn_dataset *d)
{
    free(d->pixels);
    free(d->labels);
    for (int k = 0; d->class_names && k < d->n_classes; k++) free(d->class_names[k]);
    free(d->class_names);
    memset(d, 0, sizeof *d);
}

void cnn_dataset_filter(cnn_dataset *d, const int *keep, int n_keep)
{
    int out = 0;
    for (int i = 0; i < d->count; i++) {
        int k = 0;
        while (k < n_keep && keep[k] != d->labels[i]) k++;
        if (k == n_keep) continue;
        memmove(d->pixels + (size_t)out * d->image_size, d->pixels + (size_t)i * d->image_size,
                d->image_size);
        d->labels[out++] = (uint8_t)k;
    }
    d->count = out;
}
