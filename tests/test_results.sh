#!/bin/sh
# Results do not change unannounced: every shipped network and the test
# networks train a short fixed recipe on data tests/results.py makes (the same
# bytes everywhere), on 1 and 2 threads and, where mpirun is, 2 processes;
# the SHA-256 of each model file (and .best) and CSV log (without its timing
# columns) must be the one recorded in tests/results.sha256 for the BLAS
# kernel running (their rounding differs). A change that alters results on
# purpose says so and records the new figures in the same commit:
#   tests/test_results.sh build/cnn . --record   (once under each kernel that
#   OPENBLAS_CORETYPE can name: tools/test-kernels.sh runs the numerics suite)
# usage: test_results.sh CNN SOURCE_ROOT [--record]
set -u
cnn=$1 root=$2 record=${3:-}
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
sums=$root/tests/results.sha256
kernel=$("$cnn" --version | sed -n 's/^BLAS: .*, \([A-Za-z0-9_]*\) kernels.*/\1/p')
[ -n "$kernel" ] || fail "cnn --version names no BLAS kernel"
/usr/bin/python3 "$root/tests/results.py" "$tmp/data" || fail "results.py"

# NAME DATA ARGS...: the cases, each run with the epochs and images below
cases() {
    echo "seed000 grey --net seed000"
    echo "seed002 grey --net seed002 --classes 0,1"
    echo "seed003 grey --net seed003 --optimizer nesterov"
    echo "seed004 grey --net seed004 --schedule step --step-every 1 --gamma 0.5 --warmup 1"
    echo "lenet grey --net lenet --optimizer adam --val 64 --keep-best"
    echo "vgg grey --net vgg --limit 96 --batch 32"
    echo "cifar colour --net cifar --limit 96"
    echo "resnet28 grey --net resnet28 --limit 96 --batch 32"
    echo "resnet colour --net resnet --limit 64"
    echo "colour colour --net $root/tests/colour.net --flip --crop 2"
    echo "export_mix grey --net $root/tests/export_mix.net --optimizer adamw"
    echo "export_single grey --net $root/tests/export_single.net --weight-decay 0"
    echo "export_residual grey --net $root/tests/export_residual.net"
}
hash_run() {   # NAME WHERE: the model's, .best's and the log's SHA-256
    for f in "$tmp/$1.model" "$tmp/$1.model.best"; do
        [ -f "$f" ] && printf '%s ' "$(sha256sum < "$f" | cut -c1-64)"
    done
    cut -d, -f1-5,8- "$tmp/$1.csv" | sha256sum | cut -c1-64
}
train() {   # NAME LAUNCHER DATA ARGS...
    name=$1 launcher=$2 set=$3
    shift 3
    rm -f "$tmp/$name.model" "$tmp/$name.model.best" "$tmp/$name.csv"
    # the bytes of short fixed runs, whatever their loss does (lenet with Adam at
    # its SGD rate stands at 100 times a uniform guess's loss after one epoch)
    $launcher "$cnn" train --data "$tmp/data/$set" --epochs 2 --limit 256 --seed 7 --quiet \
        --no-divergence-check \
        "$@" --out "$tmp/$name.model" --log "$tmp/$name.csv" < /dev/null || fail "$name: cnn train $*"
    # a strict CSV: the header's ten fields on every row, with --val or without
    awk -F, 'NF != 10 { exit 1 }' "$tmp/$name.csv" ||
        fail "$name: a log row without the header's 10 fields"
}
mpi=""
if command -v mpirun > /dev/null && ! "$cnn" --version | grep -q "^MPI: not built in"; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    mpi="timeout -k 5 300 mpirun --oversubscribe -np 2"
fi

cases | while read -r name set args; do
    train "$name" "" "$set" $args --threads 1
    got=$(hash_run "$name")
    train "$name" "" "$set" $args --threads 2
    [ "$(hash_run "$name")" = "$got" ] || fail "$name: 2 threads differ from 1"
    if [ -n "$mpi" ]; then
        train "$name" "$mpi" "$set" $args --threads 1
        [ "$(hash_run "$name")" = "$got" ] || fail "$name: 2 MPI processes differ from 1"
    fi
    echo "$kernel $name $got"
done > "$tmp/got" || { cat "$tmp/got"; exit 1; }

if [ "$record" = --record ]; then
    { grep -v "^$kernel " "$sums" 2> /dev/null; cat "$tmp/got"; } | sort -s -k1,1 > "$tmp/new"
    cp "$tmp/new" "$sums"
    echo "recorded $(wc -l < "$tmp/got") results for $kernel kernels in $sums"
    exit 0
fi
grep -q "^$kernel " "$sums" || {
    echo "skipped: no results recorded for $kernel kernels (tests/test_results.sh CNN ROOT --record)"
    exit 77
}
grep "^$kernel " "$sums" | diff - "$tmp/got" > "$tmp/diff" ||
    fail "results differ from those recorded for $kernel kernels (< recorded, > now):
$(cat "$tmp/diff")"
echo "$(wc -l < "$tmp/got") networks under $kernel kernels: the recorded models and logs, on 1 and 2 threads${mpi:+ and 2 processes}"
