/* clock.c: the monotonic clock, for timing epochs and profiles. */
#include <time.h>
#include "cnn.h"

double cnn_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
