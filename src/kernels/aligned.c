/* aligned.c: zeroed 64-byte aligned blocks, for the kernels' buffers. */
#include <stdlib.h>
#include <string.h>
#include "kernels/kernels.h"

void *aligned_calloc(size_t count, size_t size)
{
    size_t bytes = count * size;
    if (count && bytes / count != size) return NULL;
    bytes = (bytes + 63) / 64 * 64;
    if (bytes == 0) bytes = 64;
    void *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}
