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

#define FAIL(...) do {                                                   \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                  \
        fprintf(stderr, __VA_ARGS__);                                    \
        fputc('\n', stderr);                                             \
        exit(1);                                                         \
    } while (0)

#define CHECK(cond) do { if (!(cond)) FAIL("check failed: %s", #cond); } while (0)

#define CHECK_INT(a, b) do {                                             \
        long long a_ = (long long)(a), b_ = (long long)(b);              \
        if (a_ != b_) FAIL("%s == %s: %lld != %lld", #a, #b, a_, b_);    \
    } while (0)

#define CHECK_NEAR(a, b, tol) do {                                       \
        double a_ = (double)(a), b_ = (double)(b);                       \
        if (!(fabs(a_ - b_) <= (tol)))                                   \
            FAIL("%s ~ %s: %.9g vs %.9g (tolerance %g)", #a, #b, a_, b_, \
                 (double)(tol));                                         \
    } while (0)

#define CHECK_OK(call, err) do {                                         \
        if ((call) != 0) FAIL("%s failed: %s", #call, err);              \
    } while (0)

static inline void fill_uniform(float *x, size_t n, float lo, float hi, cnn_rng *r)
{
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * cnn_rng_uniform(r);
}

static inline int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The MNIST folder: the shared copy, else the one tools/get-mnist.sh made;
 * without either the test is skipped. */
static inline const char *mnist_dir(void)
{
    static char path[4096];
    const char *candidates[] = { SOURCE_ROOT "/../shared/data/mnist", SOURCE_ROOT "/data/mnist" };
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s", candidates[i]);
        if (is_dir(path)) return path;
    }
    fprintf(stderr, "skipped: no MNIST data in ../shared/data/mnist or data/mnist "
                    "(run tools/get-mnist.sh)\n");
    exit(77);
}

static inline void load_mnist(cnn_dataset *d, const char *dir, const char *part)
{
    char img[4200], lab[4200], err[CNN_ERR_LEN];
    snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte.gz", dir, part);
    snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte.gz", dir, part);
    CHECK_OK(cnn_dataset_load(d, img, lab, err), err);
}

#endif
