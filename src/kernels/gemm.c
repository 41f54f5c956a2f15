/* gemm.c: the engine's one door to cblas_sgemm, and the rule for how many
 * images go into each product. */
#include "kernels/profile.h"

void gemm(prof_site site, cnn_gemm_kind kind, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n,
          int k, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    if (!site.prof) {
        cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    double t0 = cnn_clock();
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
    double flops = 2.0 * m * n * k;
    cnn_gemm_stat *s = &site.prof->gemm[site.layer][kind];
    if (flops > 2.0 * s->m * s->n * s->k)
        *s = (cnn_gemm_stat){ m,        n,        k,         ta == CblasTrans, tb == CblasTrans,
                              s->calls, s->flops, s->seconds };
    s->calls++;
    s->flops += flops;
    s->seconds += cnn_clock() - t0;
}

/* Measured with OpenBLAS's SkylakeX and Haswell kernels on the shapes of the
 * shipped networks: products reach their best speed while the im2col matrix
 * stays within about 1 MB and 1,600 columns (lenet conv1 drops from 140 to 40
 * GFLOP/s past 2 images, vgg conv2 from 110 to 80 past 1); dense layers, with
 * no im2col, take the whole chunk. */
#define GEMM_COLS_MAX  1600
#define GEMM_BYTES_MAX (1 << 20)

int images_per_gemm(size_t rows, size_t cols, int n)
{
    size_t by_cols = GEMM_COLS_MAX / cols;
    size_t by_bytes = GEMM_BYTES_MAX / (rows * cols * sizeof(float));
    size_t g = by_cols < by_bytes ? by_cols : by_bytes;
    return g < 1 ? 1 : g > (size_t)n ? n : (int)g;
}
