/* decode: how fast an image-folder data set loads (decoding, conversion,
 * --resize), the way cnn train loads it: images/sec and the peak resident
 * memory, for a thread count. It checks that the load is the same with one
 * thread as with the count asked for, byte for byte.
 *   decode DIR CHANNELS HEIGHT WIDTH [--resize] [--threads T]   (DIR/<class>/...) */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "cnn.h"
#include "machine.h"
#include "sys/runtime.h"

static double load(cnn_dataset *d, const char *dir, const cnn_image_spec *spec, int threads)
{
    char err[CNN_ERR_LEN];
    omp_set_num_threads(threads);
    double t0 = cnn_clock();
    if (cnn_dataset_load_folders(d, dir, spec, NULL, err)) {
        fprintf(stderr, "decode: %s\n", err);
        exit(1);
    }
    return cnn_clock() - t0;
}

int main(int argc, char **argv)
{
    cnn_runtime_setup(argv);
    if (argc < 5) {
        fprintf(stderr, "usage: decode DIR CHANNELS HEIGHT WIDTH [--resize] [--threads T]\n");
        return 2;
    }
    cnn_image_spec spec = { { atoi(argv[2]), atoi(argv[3]), atoi(argv[4]) }, 0 };
    int threads = omp_get_max_threads();
    for (int a = 5; a < argc; a++) {
        if (!strcmp(argv[a], "--resize")) spec.resize = 1;
        else if (!strcmp(argv[a], "--threads") && a + 1 < argc) threads = atoi(argv[++a]);
        else return fprintf(stderr, "decode: unknown argument '%s'\n", argv[a]), 2;
    }
    if (threads < 1) return fprintf(stderr, "decode: --threads must be at least 1\n"), 2;
    cnn_dataset one, many;
    double seconds = load(&many, argv[1], &spec, threads);
    struct rusage ru; /* the peak of one load, before the check's */
    getrusage(RUSAGE_SELF, &ru);
    load(&one, argv[1], &spec, 1);
    size_t bytes = (size_t)many.count * many.image_size;
    if (one.count != many.count || memcmp(one.pixels, many.pixels, bytes) ||
        memcmp(one.labels, many.labels, (size_t)many.count)) {
        fprintf(stderr, "decode: %d threads decoded other bytes than 1 thread\n", threads);
        return 1;
    }
    machine_print_header();
    printf("%s: %d images to %dx%dx%d%s, %d thread%s: %.2f s, %.0f images/s; set %.1f MiB, "
           "peak RSS %.1f MiB\n",
           argv[1], many.count, spec.shape.h, spec.shape.w, spec.shape.c,
           spec.resize ? " (--resize)" : "", threads, threads == 1 ? "" : "s", seconds,
           many.count / seconds, bytes / 1048576.0, ru.ru_maxrss / 1024.0);
    cnn_dataset_free(&one);
    cnn_dataset_free(&many);
    return 0;
}
