#!/bin/sh
# cppcheck over the engine, the command, the benchmarks and the tests, as CI
# runs it: any finding fails. What it cannot see the code states with
# ENSURE (src/sys/ensure.h), an assertion that stays in release builds.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cppcheck -q --enable=warning,performance,portability --std=c11 -D__GNUC__ --error-exitcode=1 \
    --suppress=missingIncludeSystem -I include -I src \
    -I /usr/include/x86_64-linux-gnu/openblas-openmp src src/cli bench tests
echo "cppcheck: no findings"
