/* blas_info.c: which BLAS library and kernel run the products, for every
 * report that quotes a speed: one OpenBLAS build runs AVX2 or AVX-512 kernels
 * (or SSE3 ones) depending on the CPU and OPENBLAS_CORETYPE. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnn.h"

cnn_blas_info cnn_blas_get_info(void)
{
    cnn_blas_info info = { "?", "?", "?", getenv("OPENBLAS_CORETYPE") };
    /* "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... Haswell MAX_THREADS=64" */
    const char *config = openblas_get_config();
    if (config && !strncmp(config, "OpenBLAS ", 9))
        snprintf(info.version, sizeof info.version, "%.*s", (int)strcspn(config + 9, " "),
                 config + 9);
    const char *core = openblas_get_corename();
    if (core) snprintf(info.kernel, sizeof info.kernel, "%s", core);
    switch (openblas_get_parallel()) {
    case 0: info.threading = "sequential"; break;
    case 1: info.threading = "pthreads"; break;
    case 2: info.threading = "OpenMP"; break;
    }
    return info;
}

void cnn_blas_describe(char *buf, size_t len)
{
    cnn_blas_info b = cnn_blas_get_info();
    snprintf(buf, len, "OpenBLAS %s, %s kernels (OPENBLAS_CORETYPE%s%s), %s threading", b.version,
             b.kernel, b.coretype_env ? "=" : " unset", b.coretype_env ? b.coretype_env : "",
             b.threading);
}
