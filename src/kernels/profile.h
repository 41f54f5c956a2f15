/* profile.h: optional phase timers. A kernel starts a prof_clock on its
 * prof_site and laps it after each phase; with no profile (the default) a lap
 * is one test of a NULL pointer. */
#ifndef CNN_PROFILE_H
#define CNN_PROFILE_H

#include "kernels/kernels.h"

typedef struct {
    cnn_profile *prof;
    double t;
} prof_clock;

static inline prof_clock prof_start(cnn_profile *prof)
{
    return (prof_clock){ prof, prof ? cnn_clock() : 0.0 };
}

static inline void prof_lap(prof_clock *c, cnn_phase phase)
{
    if (!c->prof) return;
    double now = cnn_clock();
    c->prof->phase[phase] += now - c->t;
    c->t = now;
}

#endif
