/* list.c: see list.h. */
#include <stdlib.h>
#include "list.h"

int parse_list(const char *s, int *out, int most, int *n)
{
    *n = 0;
    while (*s && *n < most) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 65536 || (*end && *end != ',')) return -1;
        out[(*n)++] = (int)v;
        s = *end ? end + 1 : end;
    }
    return *n ? 0 : -1;
}
