/* runtime.h: the start-up step of the cnn and benchmark programs
 * (runtime.c). It is not part of the library: a program that embeds the
 * library keeps its own environment. */
#ifndef CNN_RUNTIME_H
#define CNN_RUNTIME_H

/* Call first in main(). Linking it in also links a step that runs before the
 * libraries load: it re-executes the program with OMP_NUM_THREADS=1 (so
 * OpenBLAS maps one buffer at load, not one per core) and OMP_WAIT_POLICY=
 * passive, and fails with "out of memory" when the memory limits leave no
 * room for OpenBLAS. This call restores the user's thread count and, where
 * OpenBLAS would run slow generic kernels on this CPU, sets OPENBLAS_CORETYPE
 * and re-executes once more. User settings are kept. */
void cnn_runtime_setup(char **argv);

#endif
