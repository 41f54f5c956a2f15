/* idx.c: the IDX files of MNIST (and Fashion-MNIST), plain or gzip-compressed,
 * read through zlib (which passes plain files through unchanged).
 *
 *   bytes 0-1  zero          byte 2  type (0x08: unsigned byte)
 *   byte 3     dimensions    then one big-endian uint32 per dimension, then data
 *
 * Images are 0x00000803 (count, rows, columns), labels 0x00000801 (count).
 * Everything is checked; memory grows only as data actually arrives, so a
 * header that lies about its size cannot make us allocate gigabytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "layers.h"

#define MAX_COUNT 100000000u        /* images or labels in one file */
#define MAX_SIDE 4096u              /* rows or columns */
#define CHUNK (1u << 20)

typedef struct {
    gzFile gz;
    const char *path;
    char *err;
} reader;

static int fail(reader *r, const char *what)
{
    snprintf(r->err, CNN_ERR_LEN, "%s: %s", r->path, what);
    return -1;
}

/* Read exactly len bytes, the part of `what` from byte `at` of `total`; a
 * short read is truncation, a zlib error is named. */
static int read_exact(reader *r, void *buf, size_t len, const char *what, size_t at,
                      size_t total)
{
    char msg[CNN_ERR_LEN / 2];
    size_t got = 0;
    while (got < len) {
        unsigned ask = len - got > CHUNK ? CHUNK : (unsigned)(len - got);
        int k = gzread(r->gz, (char *)buf + got, ask);
        if (k < 0) {
            int code;
            const char *z = gzerror(r->gz, &code);
            snprintf(msg, sizeof msg, "%s (%s)", code == Z_ERRNO ? strerror(errno) : z,
                     code == Z_DATA_ERROR ? "corrupt gzip data" : "read error");
            return fail(r, msg);
        }
        if (k == 0) {
            snprintf(msg, sizeof msg, "truncated: %s ends after %zu of %zu bytes", what,
                     at + got, total);
            return fail(r, msg);
        }
        got += (size_t)k;
    }
    return 0;
}

static int open_reader(reader *r, const char *path, char *err)
{
    struct stat st;
    r->path = path;
    r->err = err;
    r->gz = NULL;
    if (stat(path, &st) != 0) return fail(r, strerror(errno));
    if (S_ISDIR(st.st_mode)) return fail(r, "is a folder, not an IDX file");
    if (!S_ISREG(st.st_mode)) return fail(r, "is not a regular file");
    if (st.st_size == 0) return fail(r, "is empty");
    r->gz = gzopen(path, "rb");
    if (!r->gz) return fail(r, errno ? strerror(errno) : "cannot open");
    gzbuffer(r->gz, 1u << 17);
    return 0;
}

/* Header: magic, then dims big-endian counts. */
static int read_header(reader *r, int want_dims, uint32_t *dims)
{
    unsigned char h[4], d[12];
    char msg[128];
    if (read_exact(r, h, 4, "the header", 0, 4)) return -1;
    if (h[0] || h[1]) {
        snprintf(msg, sizeof msg, "wrong magic %02x%02x%02x%02x: not an IDX file",
                 h[0], h[1], h[2], h[3]);
        return fail(r, msg);
    }
    if (h[2] != 0x08) {
        snprintf(msg, sizeof msg, "type code 0x%02x: only unsigned bytes (0x08) are "
                 "supported", h[2]);
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
    int k = gzread(r->gz, &extra, 1);
    if (k != 0) {
        free(buf);
        fail(r, k > 0 ? "trailing bytes after the data the header declares"
                      : "corrupt gzip data after the declared data");
        return NULL;
    }
    return buf;
}

static void close_reader(reader *r)
{
    if (r->gz) gzclose(r->gz);
    r->gz = NULL;
}

int cnn_idx_read_images(cnn_dataset *d, const char *path, char *err)
{
    reader r;
    uint32_t dims[3];
    memset(d, 0, sizeof *d);
    if (open_reader(&r, path, err) || read_header(&r, 3, dims)) {
        close_reader(&r);
        return -1;
    }
    size_t image = (size_t)dims[1] * dims[2];
    unsigned char *bytes = read_body(&r, (size_t)dims[0] * image);
    close_reader(&r);
    if (!bytes) return -1;
    snprintf(d->images_path, sizeof d->images_path, "%s", path);
    d->count = (int)dims[0];
    d->channels = 1;
    d->height = (int)dims[1];
    d->width = (int)dims[2];
    d->image_size = image;
    d->images = aligned_calloc((size_t)dims[0] * image, sizeof(float));
    if (!d->images) {
        free(bytes);
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
        return -1;
    }
    for (size_t i = 0; i < (size_t)dims[0] * image; i++)
        d->images[i] = (float)bytes[i] / 255.0f;
    free(bytes);
    return 0;
}

int cnn_dataset_load(cnn_dataset *d, const char *images_path, const char *labels_path,
                     char *err)
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
        snprintf(err, CNN_ERR_LEN, "%s: %u labels for the %d images of %s", labels_path,
                 count, d->count, images_path);
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

void cnn_dataset_free(cnn_dataset *d)
{
    free(d->images);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

void cnn_dataset_filter(cnn_dataset *d, const int *keep, int n_keep)
{
    int out = 0;
    for (int i = 0; i < d->count; i++) {
        int k = 0;
        while (k < n_keep && keep[k] != d->labels[i]) k++;
        if (k == n_keep) continue;
        memmove(d->images + (size_t)out * d->image_size,
                d->images + (size_t)i * d->image_size, sizeof(float) * d->image_size);
        d->labels[out++] = (uint8_t)k;
    }
    d->count = out;
}
