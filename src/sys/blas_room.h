/* blas_room.h: whether the memory limits leave room for OpenBLAS's buffers. */
#ifndef CNN_BLAS_ROOM_H
#define CNN_BLAS_ROOM_H

#include <stddef.h>

/* OpenBLAS 0.3 maps one buffer of this size (BUFFER_SIZE, 32 << 22 on x86-64
 * and arm64) for each thread running a GEMM, and retries forever when the
 * mapping fails; test_blas_room checks the figure against the library. */
#define BLAS_BUFFER_BYTES ((size_t)128 << 20)
/* Whether `bytes` more address space can be mapped now: 0 or -1. */
int address_space_room(size_t bytes);
/* The limits in force, for messages: "the address-space limit of 244 MiB
 * (ulimit -v)". */
void describe_memory_limits(char *buf, size_t len);
/* Whether *threads threads can each run GEMMs (a BLAS buffer and a stack
 * each) and leave `extra` bytes for the rest of the run. If not all fit and
 * fewer_ok, *threads becomes the number that does; else -1 with err saying
 * "out of memory", the limit and how many would fit. */
int blas_check_room(int *threads, int fewer_ok, size_t extra, char *err);

#endif
