#!/bin/sh
# Build the libFuzzer targets (clang, ASan + UBSan) and run each for SECONDS
# (default 60), starting from the seed corpus in tests/fuzz/corpus/NAME and
# growing a work corpus in build-fuzz/corpus/NAME. Crashes are written to
# build-fuzz/crash-*; turn each into a regression test. Exits 1 when a target
# found a crash or could not run (its full output: build-fuzz/fuzz_NAME.log).
#   tools/fuzz.sh [SECONDS] [idx|parse|model|png|jpeg|pnm ...]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-idx parse model png jpeg pnm}
cd "$root"
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dbuildtype=debugoptimized
fi
meson compile -C build-fuzz
failed=0
for t in $targets; do
    mkdir -p "build-fuzz/corpus/$t"
    echo "== fuzz_$t for ${seconds}s"
    log="build-fuzz/fuzz_$t.log"
    status=0
    OMP_NUM_THREADS=1 "build-fuzz/tests/fuzz/fuzz_$t" -max_total_time="$seconds" \
        -print_final_stats=1 -artifact_prefix="build-fuzz/crash-$t-" \
        "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" > "$log" 2>&1 || status=$?
    grep -E "DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss|ERROR|SUMMARY|crash-" "$log" || true
    if [ $status -ne 0 ]; then
        tail -n 20 "$log" >&2
        echo "fuzz: fuzz_$t exited with status $status (all of its output: $log)" >&2
        failed=1
    fi
done
exit $failed
