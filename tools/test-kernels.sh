#!/bin/sh
# Run a meson test suite (default: numerics, the tests whose numbers come from
# BLAS products; "" for every test) once under each OpenBLAS kernel family a user may have:
# OPENBLAS_CORETYPE unset (OpenBLAS picks for the CPU), Haswell (AVX2),
# SkylakeX (AVX-512), Zen and Prescott (SSE3). The variable is set only for
# these runs; the README's test command runs with the environment as it is.
#   tools/test-kernels.sh [BUILD [SUITE [KERNEL...]]]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build} suite=${2-numerics}
[ $# -gt 2 ] && shift 2 && kernels=$* || kernels="unset Haswell SkylakeX Zen Prescott"
cd "$root"
for k in $kernels; do
    if [ "$k" = unset ]; then set -- env -u OPENBLAS_CORETYPE; else set -- env OPENBLAS_CORETYPE="$k"; fi
    echo "== suite $suite, OpenBLAS kernel: $("$@" "$build/cnn" --version | sed -n 's/^BLAS: //p')"
    # shellcheck disable=SC2086
    "$@" meson test -C "$build" --no-rebuild ${suite:+--suite "$suite"} --print-errorlogs \
        --logbase "kernel-$k"
done
