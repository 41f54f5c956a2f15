/* profile.h: optional phase timers. Each thread points prof_current at its
 * own cnn_profile while profiling is on, and at nothing otherwise, so the
 * timers cost one thread-local load when off. */
#ifndef CNN_PROFILE_H
#define CNN_PROFILE_H

#include "cnn.h"

extern _Thread_local cnn_profile *prof_current;

static inline double prof_now(void) { return cnn_clock(); }

/* PROF_START() once in a function, then PROF_ADD(phase) after each phase. */
#define PROF_START() double prof_t0_ = prof_current ? prof_now() : 0.0
#define PROF_ADD(ph) do {                                                  \
        if (prof_current) {                                                \
            double prof_t1_ = prof_now();                                  \
            prof_current->phase[ph] += prof_t1_ - prof_t0_;                \
            prof_t0_ = prof_t1_;                                           \
        }                                                                  \
    } while (0)

#endif
