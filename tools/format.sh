#!/bin/sh
# The C sources in the layout of .clang-format. With --check (as CI runs it)
# nothing is changed and any file out of layout fails, named; without it the
# files are reformatted in place.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
files=$(git ls-files '*.c' '*.h')
if [ "${1:-}" = --check ]; then
    # shellcheck disable=SC2086
    clang-format --dry-run --Werror $files
    echo "clang-format: every file in layout"
else
    # shellcheck disable=SC2086
    clang-format -i $files
fi
