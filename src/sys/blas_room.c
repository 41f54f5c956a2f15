/* blas_room.c: address space for OpenBLAS's buffers, checked before a GEMM
 * needs it.
 *
 * OpenBLAS maps a BLAS_BUFFER_BYTES buffer for each thread that runs a GEMM
 * at the same time, and when that mapping fails it retries forever: under a
 * memory limit (ulimit -v, ulimit -d) or strict overcommit the program would
 * spin instead of failing. So before any thread starts, we map the room
 * OpenBLAS will need (without touching it: nothing becomes resident), unmap
 * it, and fail with a reason when the kernel refuses. Nothing else allocates
 * per step, so the room is still there when OpenBLAS takes it. */
#define _GNU_SOURCE /* pthread_getattr_default_np */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include "cnn.h"
#include "sys/blas_room.h"

int address_space_room(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) return -1;
    munmap(p, bytes);
    return 0;
}

/* The stack OpenMP gives each thread it starts: the POSIX threads default
 * (OMP_STACKSIZE changes it; libgomp then fails in its own words if the
 * stacks do not fit). */
static size_t thread_stack_bytes(void)
{
    pthread_attr_t attr;
    size_t bytes = 8u << 20;
    if (pthread_getattr_default_np(&attr) == 0) {
        pthread_attr_getstacksize(&attr, &bytes);
        pthread_attr_destroy(&attr);
    }
    return bytes;
}

/* The main thread runs GEMMs too: it needs a buffer, not a stack. */
static size_t bytes_for_threads(int threads, size_t extra)
{
    return (size_t)threads * BLAS_BUFFER_BYTES + (size_t)(threads - 1) * thread_stack_bytes() +
           extra;
}

static int threads_that_fit(int threads, size_t extra)
{
    while (threads > 0 && address_space_room(bytes_for_threads(threads, extra))) threads--;
    return threads;
}

void describe_memory_limits(char *buf, size_t len)
{
    struct rlimit as, data;
    getrlimit(RLIMIT_AS, &as);
    getrlimit(RLIMIT_DATA, &data);
    if (as.rlim_cur != RLIM_INFINITY && data.rlim_cur != RLIM_INFINITY)
        snprintf(buf, len,
                 "the address-space limit of %llu MiB (ulimit -v) and the data "
                 "limit of %llu MiB (ulimit -d)",
                 (unsigned long long)as.rlim_cur >> 20, (unsigned long long)data.rlim_cur >> 20);
    else if (as.rlim_cur != RLIM_INFINITY)
        snprintf(buf, len, "the address-space limit of %llu MiB (ulimit -v)",
                 (unsigned long long)as.rlim_cur >> 20);
    else if (data.rlim_cur != RLIM_INFINITY)
        snprintf(buf, len, "the data limit of %llu MiB (ulimit -d)",
                 (unsigned long long)data.rlim_cur >> 20);
    else snprintf(buf, len, "the system's memory (overcommit limit)");
}

int blas_check_room(int *threads, int fewer_ok, size_t extra, char *err)
{
    int fit = threads_that_fit(*threads, extra);
    if (fit == *threads || (fewer_ok && fit > 0)) {
        *threads = fit;
        return 0;
    }
    char limits[128];
    describe_memory_limits(limits, sizeof limits);
    size_t mib = bytes_for_threads(*threads, extra) >> 20;
    if (fit > 0)
        snprintf(err, CNN_ERR_LEN,
                 "out of memory: %d threads need %zu MiB more address "
                 "space (OpenBLAS's %zu MiB buffer and a stack each), more than %s leaves "
                 "free; "
                 "%d would fit (--threads %d)",
                 *threads, mib, BLAS_BUFFER_BYTES >> 20, limits, fit, fit);
    else
        snprintf(err, CNN_ERR_LEN,
                 "out of memory: OpenBLAS and the run need %zu MiB more "
                 "address space, more than %s leaves free",
                 bytes_for_threads(1, extra) >> 20, limits);
    return -1;
}
