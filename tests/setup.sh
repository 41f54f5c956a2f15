# setup.sh: sourced by the shell tests, which meson runs as SCRIPT CNN SOURCE_ROOT.
# Sets cnn, root, data (the shared MNIST copy, else tools/get-mnist.sh's;
# without either the test is skipped), a temporary folder tmp removed at exit,
# and fail MESSAGE.
set -u
cnn=$1
root=$2
data=$root/../shared/data/mnist
[ -d "$data" ] || data=$root/data/mnist
[ -d "$data" ] || { echo "skipped: no MNIST data (run tools/get-mnist.sh)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
