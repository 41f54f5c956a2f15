#!/bin/sh
# valgrind memcheck over a short training run with two threads, saving a
# model: no errors, nothing definitely or indirectly lost. (libgomp's thread
# stacks show as "possibly lost"; they are not ours.) OpenBLAS is held to its
# AVX2 kernels, which valgrind can run (it has no AVX-512), and cnn is kept
# from re-executing itself out of valgrind's sight.
# usage: test_memcheck.sh CNN SOURCE_ROOT
. "$(dirname "$0")/setup.sh"
command -v valgrind >/dev/null || fail "no valgrind (tools/install-deps.sh installs it)"
"$cnn" train --data "$data" --limit 300 --epochs 1 --quiet --out "$tmp/t.model" || exit 1
OPENBLAS_CORETYPE=Haswell CNN_RUNTIME_SET=1 valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
    "$cnn" train --data "$data" --limit 200 --epochs 2 --batch 32 --threads 2 --quiet \
    --out "$tmp/m.model" --log "$tmp/log.csv" 2> "$tmp/vg.txt"
status=$?
cat "$tmp/vg.txt"
[ $status -eq 0 ] || fail "valgrind exit status $status"
OPENBLAS_CORETYPE=Haswell CNN_RUNTIME_SET=1 valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
    "$cnn" eval --model "$tmp/t.model" --data "$data" > /dev/null || exit 1
echo "memcheck: training, saving and evaluating: no errors, no leaks"
