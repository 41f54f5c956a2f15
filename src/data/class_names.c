/* class_names.c: class names from a text file, one per line in label order:
 * CIFAR-10's batches.meta.txt, or the names a user gives IDX labels
 * (train --class-names). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnn.h"

/* 256 names of 255 bytes fill 64 KiB; more than this is not a names file
 * (and /dev/zero or a FIFO that never ends is refused after it). */
#define NAMES_FILE_MAX ((size_t)1 << 20)

int cnn_class_names_read(const char *path, char **names, int max, int *n, char *err)
{
    FILE *f = fopen(path, "r");
    char *text = malloc(NAMES_FILE_MAX + 1);
    size_t size = 0;
    *n = 0;
    if (!f || !text) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", path, f ? "out of memory" : strerror(errno));
        goto fail;
    }
    size = fread(text, 1, NAMES_FILE_MAX + 1, f);
    if (ferror(f) || size > NAMES_FILE_MAX) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", path,
                 ferror(f) ? strerror(errno) : "more than 1 MiB: not a file of class names");
        goto fail;
    }
    int number = 1;
    for (size_t at = 0; at < size; number++) {
        const char *end = memchr(text + at, '\n', size - at);
        size_t next = end ? (size_t)(end - text) + 1 : size, len = next - at - (end != NULL);
        if (len && text[at + len - 1] == '\r') len--; /* a file from Windows */
        const char *why = memchr(text + at, '\0', len) ? "holds a NUL byte"
                          : len > CNN_CLASS_NAME_MAX   ? "is longer than 255 bytes"
                          : len && *n == max           ? "is one name too many"
                                                       : NULL;
        if (why) {
            snprintf(err, CNN_ERR_LEN,
                     "%s:%d: the line %s (one class name a line, at most "
                     "%d)",
                     path, number, why, max);
            goto fail;
        }
        if (len && !(names[(*n)++] = strndup(text + at, len))) { /* blank lines are skipped */
            snprintf(err, CNN_ERR_LEN, "%s: out of memory", path);
            goto fail;
        }
        at = next;
    }
    free(text);
    fclose(f);
    return 0;
fail:
    free(text);
    if (f) fclose(f);
    for (int k = 0; k < *n; k++) free(names[k]);
    *n = 0;
    return -1;
}
