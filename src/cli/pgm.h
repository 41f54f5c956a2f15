/* pgm.h: binary (P5) and plain (P2) greymaps, 8-bit. */
#ifndef CNN_CLI_PGM_H
#define CNN_CLI_PGM_H

#include <stdint.h>
#include <stdio.h>

/* Reads from f (named `name` in messages) into *pixels (malloc'ed, scaled
 * to [0, 1]); -1 with err on failure. */
int pgm_read(FILE *f, const char *name, float **pixels, int *width, int *height, char *err);
/* Writes bytes atomically (temporary file, rename). */
int pgm_write(const char *path, const uint8_t *pixels, int width, int height, char *err);

#endif
