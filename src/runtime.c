/* runtime.c: settings OpenBLAS and OpenMP read from the environment when
 * they load, before main() runs, so a program sets them and re-executes
 * itself once.
 *
 * - OPENBLAS_CORETYPE: OpenBLAS 0.3.21 (Debian 12) does not recognise newer
 *   CPUs such as Sapphire Rapids and falls back to its SSE3 "Prescott"
 *   kernels, 2-3x slower; we name the kernel family the CPU does support.
 * - OMP_WAIT_POLICY=passive: threads that finish their shards sleep instead of
 *   spinning, so a busy core elsewhere (another process, another training
 *   run) does not turn waiting into lost time. */
#define _GNU_SOURCE   /* execv of /proc/self/exe */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cnn.h"

#define REEXEC_MARK "CNN_RUNTIME_SET"

static const char *best_coretype(void)
{
    const char *now = openblas_get_corename();
    if (!now || strcmp(now, "Prescott") != 0) return NULL;   /* recognised: keep it */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "SkylakeX";
    if (__builtin_cpu_supports("avx2")) return "Haswell";
    return NULL;
}

double cnn_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void cnn_runtime_setup(char **argv)
{
    if (getenv(REEXEC_MARK)) return;   /* already done, or tried */
    setenv(REEXEC_MARK, "1", 1);
    int changed = 0;
    const char *core = getenv("OPENBLAS_CORETYPE") ? NULL : best_coretype();
    if (core) changed = !setenv("OPENBLAS_CORETYPE", core, 1);
    if (!getenv("OMP_WAIT_POLICY")) changed |= !setenv("OMP_WAIT_POLICY", "passive", 1);
    if (changed) execv("/proc/self/exe", argv);   /* returns only on failure: go on */
}
