/* check.h: assertions for the tests. They print the expression, both values
 * and file:line, and are never compiled out; a failing test exits 1, a test
 * without its data exits 77 (meson's "skipped"). */
#ifndef CHECK_H
#define CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cnn.h"

#define FAIL(...)                                       \
    do {                                                \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__);                   \
        fputc('\n', stderr);                            \
        exit(1);                                        \
    } while (0)

#define CHECK(cond)                                   \
    do {                                              \
        if (!(cond)) FAIL("check failed: %s", #cond); \
    } while (0)

#define CHECK_INT(a, b)                                               \
    do {                                                              \
        long long a_ = (long long)(a), b_ = (long long)(b);           \
        if (a_ != b_) FAIL("%s == %s: %lld != %lld", #a, #b, a_, b_); \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                            \
    do {                                                                                 \
        double a_ = (double)(a), b_ = (double)(b);                                       \
        if (!(fabs(a_ - b_) <= (tol)))                                                   \
            FAIL("%s ~ %s: %.9g vs %.9g (tolerance %g)", #a, #b, a_, b_, (double)(tol)); \
    } while (0)

#define CHECK_OK(call, err)                                 \
    do {                                                    \
        if ((call) != 0) FAIL("%s failed: %s", #call, err); \
    } while (0)

static inline void fill_uniform(float *x, size_t n, float lo, float hi, cnn_rng *r)
{
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * cnn_rng_uniform(r);
}

/* path = dir/name.gz if that file exists, else dir/name (plain IDX); 1 if
 * either exists. */
static inline int mnist_file(char *path, size_t len, const char *dir, const char *name)
{
    struct stat st;
    snprintf(path, len, "%s/%s.gz", dir, name);
    if (stat(path, &st) == 0) return 1;
    snprintf(path, len, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

static inline int has_mnist(const char *dir)
{
    const char *names[] = { "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" };
    char path[4200];
    for (int i = 0; i < 4; i++)
        if (!mnist_file(path, sizeof path, dir, names[i])) return 0;
    return 1;
}

/* The MNIST folder, found as tests/setup.sh finds it: $CNN_TEST_DATA when set
 * (a folder without the four files is then an error), else the one
 * tools/train-default.sh uses: a copy beside the checkout in
 * ../shared/data/mnist, or data/mnist from tools/get-mnist.sh. Without any
 * the test is skipped. */
static inline const char *mnist_dir(void)
{
    static char path[4096];
    const char *chosen = getenv("CNN_TEST_DATA");
    if (chosen) {
        if (!has_mnist(chosen))
            FAIL("CNN_TEST_DATA=%s: not a folder with the four MNIST files", chosen);
        return chosen;
    }
    const char *candidates[] = { SOURCE_ROOT "/../shared/data/mnist", SOURCE_ROOT "/data/mnist" };
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s", candidates[i]);
        if (has_mnist(path)) return path;
    }
    fprintf(stderr, "skipped: no MNIST data (run tools/get-mnist.sh, or set CNN_TEST_DATA=DIR)\n");
    exit(77);
}

/* dir's PART-images-idx3-ubyte[.gz] and PART-labels-idx1-ubyte[.gz] */
static inline void load_mnist(cnn_dataset *d, const char *dir, const char *part)
{
    char img[4200], lab[4200], name[64], err[CNN_ERR_LEN];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", part);
    mnist_file(img, sizeof img, dir, name);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", part);
    mnist_file(lab, sizeof lab, dir, name);
    CHECK_OK(cnn_dataset_load(d, img, lab, err), err);
}

#endif
