/* ensure.h: ENSURE(cond), an assertion that stays in release builds
 * (assert() goes with NDEBUG), for what the code relies on and a checker
 * such as cppcheck cannot see: a broken one stops the program, naming
 * itself, rather than reading out of bounds. */
#ifndef CNN_ENSURE_H
#define CNN_ENSURE_H

#include <stdio.h>
#include <stdlib.h>

#define ENSURE(cond)                                                                         \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: internal error: %s does not hold\n", __FILE__, __LINE__, \
                    #cond);                                                                  \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#endif
