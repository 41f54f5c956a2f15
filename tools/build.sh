#!/bin/sh
# Install the build dependencies (if missing), configure build/ (once; pass
# meson options such as -Db_sanitize=address,undefined to configure another
# folder with BUILD=build-asan) and compile.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
"$root/tools/install-deps.sh"
cd "$root"
if [ -f "$build/build.ninja" ]; then
    [ $# -gt 0 ] && meson configure "$build" "$@"
else
    meson setup "$build" "$@"
fi
meson compile -C "$build"
