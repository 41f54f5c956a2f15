/* libFuzzer target: the IDX reader (images + labels, plain or gzip) on
 * arbitrary bytes. The input is split in two at a byte it chooses. */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "cnn.h"

/* A path that reads back exactly these bytes. */
static int as_file(const uint8_t *data, size_t size, char *path)
{
    int fd = memfd_create("fuzz", 0);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) abort();
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t cut = data[0] < size ? data[0] : size - 1; /* labels file size */
    char images[64], labels[64], err[CNN_ERR_LEN];
    int a = as_file(data + 1 + cut, size - 1 - cut, images);
    int b = as_file(data + 1, cut, labels);
    cnn_dataset d;
    if (cnn_dataset_load(&d, images, labels, err) == 0) {
        int keep[2] = { 1, 0 };
        cnn_dataset_filter(&d, keep, 2);
        cnn_dataset_free(&d);
    } else if (!strchr(err, ':')) {
        abort(); /* every error names the file */
    }
    close(a);
    close(b);
    return 0;
}
