/* outbuf.c: a growing byte buffer, and its atomic write to a file. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cnn.h"
#include "sys/outbuf.h"

void outbuf_put(outbuf *b, const void *src, size_t len)
{
    if (b->oom || len == 0) return; /* src may be NULL then */
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

void outbuf_u32(outbuf *b, uint32_t v)
{
    unsigned char x[4] = { v, v >> 8, v >> 16, v >> 24 };
    outbuf_put(b, x, 4);
}

void outbuf_u64(outbuf *b, uint64_t v)
{
    outbuf_u32(b, (uint32_t)v);
    outbuf_u32(b, (uint32_t)(v >> 32));
}

void outbuf_floats(outbuf *b, const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, &f[i], 4);
        outbuf_u32(b, v);
    }
}

void outbuf_free(outbuf *b)
{
    free(b->p);
    *b = (outbuf){ 0 };
}

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

int write_file_atomically(const char *path, const void *data, size_t len, char *err)
{
    /* what a failure leaves: the file as it was, or none */
    const char *kept = access(path, F_OK) == 0 ? "the previous file is kept"
                                               : "nothing was written";
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
        snprintf(err, CNN_ERR_LEN, "%s: cannot create a file there: %s", path, strerror(errno));
        goto done;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t k = write(fd, p, left);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            snprintf(err, CNN_ERR_LEN, "%s: write failed: %s (%s)", path,
                     k < 0 ? strerror(errno) : "no space", kept);
            goto done;
        }
        p += k;
        left -= (size_t)k;
    }
    if (fchmod(fd, new_file_mode(path)) || fsync(fd)) {
        snprintf(err, CNN_ERR_LEN, "%s: cannot sync: %s (%s)", path, strerror(errno), kept);
        goto done;
    }
    if (close(fd)) {
        fd = -1;
        snprintf(err, CNN_ERR_LEN, "%s: close failed: %s (%s)", path, strerror(errno), kept);
        goto done;
    }
    fd = -1;
    if (rename(tmp, path)) {
        snprintf(err, CNN_ERR_LEN, "%s: cannot replace: %s (%s)", path, strerror(errno), kept);
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
