/* runtime.c: settings OpenBLAS and OpenMP read from the environment when
 * they load, before main() runs, so a program sets them and re-executes
 * itself; and the room OpenBLAS needs to load at all.
 *
 * A program that calls cnn_runtime_setup() links in before_libraries(), which
 * the dynamic loader runs before any library's constructor (.preinit_array).
 * It re-executes the program at once with
 * - OMP_NUM_THREADS=1: OpenBLAS's OpenMP build maps a 128 MiB buffer at load
 *   for every thread it expects to use (one per core), and retries forever
 *   when a memory limit refuses one. BLAS runs single-threaded inside our own
 *   threads, so one buffer is all it needs; cnn_runtime_setup() gives OpenMP
 *   back the user's thread count (kept in REEXEC_MARK).
 * - OMP_WAIT_POLICY=passive: threads that finish their shards sleep instead
 *   of spinning, so a busy core elsewhere (another process, another training
 *   run) does not turn waiting into lost time.
 * and in the new process checks that the memory limits leave room for that
 * buffer, failing with "out of memory" instead of hanging.
 *
 * In main(), OPENBLAS_CORETYPE: OpenBLAS 0.3.21 (Debian 12) does not
 * recognise newer CPUs such as Sapphire Rapids and falls back to its SSE3
 * "Prescott" kernels, 2-3x slower; we name the kernel family the CPU does
 * support. That needs OpenBLAS's own verdict, hence a second re-execution,
 * only on such CPUs.
 *
 * Settings the user made are kept; CNN_RUNTIME_SET=1 in the environment
 * turns all of this off (valgrind cannot follow a re-execution). */
#define _GNU_SOURCE /* execve of /proc/self/exe */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "cnn.h"
#include "sys/blas_room.h"
#include "sys/runtime.h"

#define REEXEC_MARK   "CNN_RUNTIME_SET"
#define SAVED_THREADS "threads=" /* REEXEC_MARK's value when we set it */

/* NAME's value in an environment array, or NULL. */
static const char *env_value(char **envp, const char *name)
{
    size_t len = strlen(name);
    for (; *envp; envp++)
        if (!strncmp(*envp, name, len) && (*envp)[len] == '=') return *envp + len + 1;
    return NULL;
}

static void reexec_with_settings(char **argv, char **envp)
{
    size_t n = 0;
    while (envp[n]) n++;
    const char *threads = env_value(envp, "OMP_NUM_THREADS");
    size_t mark_len = sizeof REEXEC_MARK "=" SAVED_THREADS + (threads ? strlen(threads) : 0);
    char mark[mark_len], *env[n + 4];
    snprintf(mark, mark_len, "%s=%s%s", REEXEC_MARK, SAVED_THREADS, threads ? threads : "");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(envp[i], "OMP_NUM_THREADS=", 16)) env[k++] = envp[i];
    env[k++] = "OMP_NUM_THREADS=1";
    if (!env_value(envp, "OMP_WAIT_POLICY")) env[k++] = "OMP_WAIT_POLICY=passive";
    env[k++] = mark;
    env[k] = NULL;
    execve("/proc/self/exe", argv, env); /* returns only on failure: go on */
}

/* Runs before the libraries' constructors: only system calls and string
 * functions here. */
static void before_libraries(int argc, char **argv, char **envp)
{
    (void)argc;
    if (!env_value(envp, REEXEC_MARK)) reexec_with_settings(argv, envp);
    if (address_space_room(BLAS_BUFFER_BYTES + (8u << 20)) == 0) return;
    char limits[128], msg[384];
    const char *name = argv[0] && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : "cnn";
    describe_memory_limits(limits, sizeof limits);
    int len = snprintf(msg, sizeof msg,
                       "%s: out of memory: OpenBLAS needs %zu MiB of "
                       "address space to start, more than %s leaves free\n",
                       name, (BLAS_BUFFER_BYTES >> 20) + 8, limits);
    (void)!write(STDERR_FILENO, msg, (size_t)len); /* nothing to do if it fails */
    _exit(1);
}
__attribute__((section(".preinit_array"),
               used)) static void (*const run_before_libraries)(int, char **,
                                                                char **) = before_libraries;

static const char *best_coretype(void)
{
    const char *now = openblas_get_corename();
    if (!now || strcmp(now, "Prescott") != 0) return NULL; /* recognised: keep it */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "SkylakeX";
    if (__builtin_cpu_supports("avx2")) return "Haswell";
    return NULL;
}

void cnn_runtime_setup(char **argv)
{
    const char *mark = getenv(REEXEC_MARK);
    if (!mark || strncmp(mark, SAVED_THREADS, strlen(SAVED_THREADS))) return; /* user's */
    const char *core = getenv("OPENBLAS_CORETYPE") ? NULL : best_coretype();
    if (core && !setenv("OPENBLAS_CORETYPE", core, 1)) execv("/proc/self/exe", argv);
    /* from here on this is the process that runs: the user's thread count back */
    const char *threads = mark + strlen(SAVED_THREADS);
    int n = atoi(threads);
    if (*threads) setenv("OMP_NUM_THREADS", threads, 1);
    else unsetenv("OMP_NUM_THREADS");
    omp_set_num_threads(n > 0 ? n : omp_get_num_procs());
    unsetenv(REEXEC_MARK);
    /* and its name, which execution through /proc/self/exe made "exe" */
    const char *name = argv[0] && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (name && *name) prctl(PR_SET_NAME, name, 0, 0, 0);
}
