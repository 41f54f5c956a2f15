/* machine.h: what a benchmark ran on, for its report: the CPU and the BLAS
 * kernel, without which no speed can be compared. */
#ifndef BENCH_MACHINE_H
#define BENCH_MACHINE_H

#include <stddef.h>

/* The CPU's model name from /proc/cpuinfo and the cores online:
 * "AMD EPYC, 2 cores". */
void machine_cpu(char *buf, size_t len);

/* One line for a report's header: "# AMD EPYC, 2 cores; OpenBLAS 0.3.21,
 * Haswell kernels (OPENBLAS_CORETYPE=Haswell), OpenMP threading". */
void machine_print_header(void);

#endif
