#!/bin/sh
# The main job, end to end on a fresh Debian machine: install, build, get real
# MNIST digits, train the default network (seed000) and report the loss
# falling and the test accuracy. Extra arguments go to cnn train.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/build.sh" >/dev/null
data="$root/../shared/data/mnist"
[ -d "$data" ] || data=$("$root/tools/get-mnist.sh")
echo "data: $data"
exec "$root/build/cnn" train --net seed000 --data "$data" --out "$root/seed000.model" "$@"
