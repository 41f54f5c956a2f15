/* The room OpenBLAS needs (blas_room.c): the buffer a thread's first GEMM
 * maps is no larger than BLAS_BUFFER_BYTES, the figure every room check
 * uses (meson runs this with OMP_NUM_THREADS=1, so OpenBLAS's load kept the
 * one buffer it reserves and the GEMM below must map its own); and under a
 * real address-space limit blas_check_room gives the threads that fit, or
 * refuses with "out of memory" saying how many would. */
#include <cblas.h>
#include <sys/resource.h>
#include "check.h"
#include "sys/blas_room.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN
#endif
#endif

static long long vm_bytes(void)
{
    char line[256];
    long long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmSize:", 7)) kib = atoll(line + 7);
    fclose(f);
    CHECK(kib > 0);
    return kib * 1024;
}

static void limit_address_space(long long bytes)
{
    struct rlimit lim;
    CHECK(getrlimit(RLIMIT_AS, &lim) == 0);
    lim.rlim_cur = (rlim_t)bytes;
    CHECK(setrlimit(RLIMIT_AS, &lim) == 0);
}

int main(void)
{
    static float a[256 * 256], c[256 * 256];
    char err[CNN_ERR_LEN];
    openblas_set_num_threads(1);
    long long before = vm_bytes();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 256, 256, 256, 1.0f, a, 256, a, 256,
                0.0f, c, 256);
    long long grown = vm_bytes() - before;
    if (grown <= 0) FAIL("the first GEMM mapped nothing (is OMP_NUM_THREADS=1 set?)");
    if (grown > (long long)BLAS_BUFFER_BYTES)
        FAIL("OpenBLAS mapped %lld bytes for one thread, more than BLAS_BUFFER_BYTES (%zu)", grown,
             BLAS_BUFFER_BYTES);
    printf("a thread's first GEMM mapped %lld MiB; BLAS_BUFFER_BYTES is %zu MiB\n", grown >> 20,
           BLAS_BUFFER_BYTES >> 20);
#ifdef UNDER_ASAN
    printf("address-space limits skipped: the sanitizer reserves terabytes of shadow\n");
    return 0;
#endif
    /* room for two and a half buffers: 2 threads fit, 4 do not */
    limit_address_space(vm_bytes() + (long long)(BLAS_BUFFER_BYTES * 5 / 2));
    int threads = 4;
    CHECK_OK(blas_check_room(&threads, 1, 0, err), err);
    CHECK_INT(threads, 2);
    threads = 4;
    CHECK(blas_check_room(&threads, 0, 0, err) == -1);
    CHECK_INT(threads, 4);
    if (!strstr(err, "out of memory: 4 threads") || !strstr(err, "ulimit -v") ||
        !strstr(err, "2 would fit (--threads 2)"))
        FAIL("unexpected message: %s", err);
    printf("limit for 2.5 buffers, 4 threads asked: %s\n", err);
    /* room for half a buffer: not even one */
    limit_address_space(vm_bytes() + (long long)(BLAS_BUFFER_BYTES / 2));
    threads = 1;
    CHECK(blas_check_room(&threads, 1, 0, err) == -1);
    if (!strstr(err, "out of memory") || !strstr(err, "ulimit -v"))
        FAIL("unexpected message: %s", err);
    printf("limit for half a buffer: %s\n", err);
    return 0;
}
