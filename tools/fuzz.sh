#!/bin/sh
# Build the libFuzzer targets (clang, ASan + UBSan) and run each for SECONDS
# (default 60), starting from the seed corpus in tests/fuzz/corpus/NAME and
# growing a work corpus in build-fuzz/corpus/NAME. Crashes are written to
# build-fuzz/crash-*; turn each into a regression test.
#   tools/fuzz.sh [SECONDS] [idx|parse|model ...]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-idx parse model}
cd "$root"
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
fi
meson compile -C build-fuzz >/dev/null
for t in $targets; do
    mkdir -p "build-fuzz/corpus/$t"
    echo "== fuzz_$t for ${seconds}s"
    OMP_NUM_THREADS=1 "build-fuzz/tests/fuzz/fuzz_$t" -max_total_time="$seconds" \
        -print_final_stats=1 -artifact_prefix="build-fuzz/crash-$t-" \
        "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" 2>&1 |
        grep -E "DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss|ERROR|SUMMARY|crash-" || true
done
