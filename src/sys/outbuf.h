/* outbuf.h: bytes gathered in memory, then written to a file atomically.
 * Used by model files and the exporters, so that nothing a user saved is ever
 * half-written. */
#ifndef CNN_OUTBUF_H
#define CNN_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

/* A growing byte buffer; after a failed allocation oom is set and further
 * appends are ignored, so callers check once at the end. Zero-initialise. */
typedef struct {
    unsigned char *p;
    size_t len, cap;
    int oom;
} outbuf;

void outbuf_put(outbuf *b, const void *src, size_t len);
/* Little-endian, fixed width. */
void outbuf_u32(outbuf *b, uint32_t v);
void outbuf_u64(outbuf *b, uint64_t v);
void outbuf_floats(outbuf *b, const float *f, size_t n);
void outbuf_free(outbuf *b);

/* Write len bytes to a temporary file beside path, fsync it, rename it over
 * path and fsync the folder: a crash leaves the old file or the new one.
 * Returns -1 with a one-line reason naming path in err (CNN_ERR_LEN bytes). */
int write_file_atomically(const char *path, const void *data, size_t len, char *err);

#endif
