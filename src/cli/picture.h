/* picture.h: the pictures cnn show writes, as PNG (libspng) when the name
 * ends in .png, else PGM (grey) or PPM (colour); written atomically through
 * a new temporary file, never through a symlink. */
#ifndef CNN_CLI_PICTURE_H
#define CNN_CLI_PICTURE_H

#include <stdint.h>

/* px: h rows of w pixels of `channels` interleaved bytes (1 grey, 3 RGB). */
int picture_write(const char *path, const uint8_t *px, int w, int h, int channels, char *err);

#endif
