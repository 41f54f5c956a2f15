# setup.sh: sourced by the shell tests, which meson runs as SCRIPT CNN SOURCE_ROOT.
# Sets cnn, root, data (the MNIST folder, found as tests/check.h finds it:
# $CNN_TEST_DATA when set, else ../shared/data/mnist beside the checkout, else
# data/mnist from tools/get-mnist.sh; without any the test is skipped), a
# temporary folder tmp removed at exit, fail MESSAGE, and mnist_file NAME
# (the data folder's NAME.gz, or NAME when it is not compressed).
set -u
cnn=$1
root=$2
fail() { echo "FAIL: $*"; exit 1; }
mnist_file() {
    if [ -f "$data/$1.gz" ]; then echo "$data/$1.gz"; else echo "$data/$1"; fi
}
has_mnist() {
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
             t10k-labels-idx1-ubyte; do
        [ -f "$1/$f.gz" ] || [ -f "$1/$f" ] || return 1
    done
}
if [ -n "${CNN_TEST_DATA+set}" ]; then
    data=$CNN_TEST_DATA
    has_mnist "$data" || fail "CNN_TEST_DATA=$data: not a folder with the four MNIST files"
elif has_mnist "$root/../shared/data/mnist"; then
    data=$root/../shared/data/mnist
elif has_mnist "$root/data/mnist"; then
    data=$root/data/mnist
else
    echo "skipped: no MNIST data (run tools/get-mnist.sh, or set CNN_TEST_DATA=DIR)"
    exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
