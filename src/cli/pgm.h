/* pgm.h: binary (P5) greymaps, 8-bit, for cnn show (reading images is
 * src/image.c's). */
#ifndef CNN_CLI_PGM_H
#define CNN_CLI_PGM_H

#include <stdint.h>
#include <stdio.h>

/* Writes bytes atomically (temporary file, rename). */
int pgm_write(const char *path, const uint8_t *pixels, int width, int height, char *err);

#endif
