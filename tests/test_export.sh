#!/bin/sh
# cnn export against cnn predict, for every shipped network (src/nets/*.net),
# tests/export_*.net (the layer kinds, shapes and graphs those lack) and the
# example of every entry in the table of layer kinds (KIND_EXAMPLES writes
# them), each trained for one short epoch on real digits:
#   c:      the C file compiles with gcc and clang at -std=c99 -Wall -Wextra
#           -Werror -O2; a driver built from each predicts the first 1,000
#           test images with the same class and outputs within 1e-5 (its
#           plain loops take 0.1 s an image for resnet28: all 10,000 for
#           each network and compiler would take minutes);
#   onnx:   onnx.checker accepts the model; OpenCV's DNN module gives the
#           same class and outputs within 1e-5 on the first 1,000 test
#           images (skipped, 77, without python3-onnx and python3-opencv);
#   errors: a damaged model, NaN parameters, unwritable paths, an unknown
#           format, a bad name: a one-line reason, exit 1 or 2, no file
#           written or replaced.
# usage: test_export.sh CNN SOURCE_ROOT c|onnx|errors KIND_EXAMPLES
. "$(dirname "$0")/setup.sh"
mode=$3 kind_examples=$4
here=$root/tests
images=$data/t10k-images-idx3-ubyte.gz
[ -f "$images" ] || images=$data/t10k-images-idx3-ubyte

# A python3 with what the checks import: a pyenv or virtualenv python3 first
# in PATH may lack Debian's python3-onnx and python3-opencv.
modules=sys
[ "$mode" = onnx ] && modules="onnx, cv2, numpy"
python=
for p in python3 /usr/bin/python3; do
    "$p" -c "import $modules" 2> /dev/null && { python=$p; break; }
done
if [ -z "$python" ]; then
    [ "$mode" = onnx ] && { echo "skipped: no python3 with onnx and cv2" \
        "(apt-get install python3-onnx python3-opencv)"; exit 77; }
    fail "no python3"
fi

# NAME: a model of network FILE after one epoch on 500 images (colour digits
# for a colour network); a network with fewer than 10 outputs learns the
# first classes only (seed002: 0 and 1).
# Sets classes and shape (CxHxW) from cnn info.
train() {
    info=$("$cnn" info --net "$2" | head -n 1)
    classes=$(echo "$info" | sed -n 's/.*, \([0-9]*\) classes$/\1/p')
    shape=$(echo "$info" | sed -n 's/.*: input \([0-9x]*\),.*/\1/p')
    keep= from=$data
    [ "$classes" -lt 10 ] && keep="--classes $(seq -s, 0 $((classes - 1)))"
    case $shape in 3x*) from=$tmp/colour/png ;; esac   # made below
    "$cnn" train --net "$2" --data "$from" --epochs 1 --limit 500 --quiet \
        --out "$tmp/$1.model" $keep > /dev/null || fail "$1: cnn train"
}

# Exit status $1 and a one-line "cnn export: ..." reason on stderr matching
# $2 from cnn export with the remaining arguments.
refused() {
    want=$1 pattern=$2
    shift 2
    "$cnn" export "$@" > "$tmp/out" 2> "$tmp/err"
    status=$?
    [ $status -eq "$want" ] || fail "export $*: exit $status, not $want"
    [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "^cnn export: .*$pattern" "$tmp/err" ||
        fail "export $*: '$(cat "$tmp/err")' does not say '$pattern'"
    [ -s "$tmp/out" ] && fail "export $*: printed '$(cat "$tmp/out")'"
    echo "refused, exit $want: $(cat "$tmp/err")"
}

if [ "$mode" = errors ]; then
    train good "$root/src/nets/seed000.net"
    good=$tmp/good.model
    echo "previous file" > "$tmp/kept"
    # a damaged model: one byte changed, so its checksum fails
    cp "$good" "$tmp/damaged.model"
    printf 'X' | dd of="$tmp/damaged.model" bs=1 seek=100 conv=notrunc 2> /dev/null
    refused 1 "checksum mismatch" --model "$tmp/damaged.model" --onnx "$tmp/kept"
    refused 1 "No such file" --model "$tmp/none.model" --c "$tmp/kept"
    # a whole model whose first weight is NaN (checksum recomputed): the
    # PARM section's floats follow its tag and u64 length
    "$python" - "$good" "$tmp/nan.model" <<'EOF'
import struct, sys, zlib
data = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<f", data, data.index(b"PARM") + 12, float("nan"))
data[-4:] = struct.pack("<I", zlib.crc32(bytes(data[:-4])))
open(sys.argv[2], "wb").write(data)
EOF
    refused 1 "a weight is NaN" --model "$tmp/nan.model" --onnx "$tmp/kept"
    refused 1 "a weight is NaN" --model "$tmp/nan.model" --c "$tmp/kept"
    [ "$(cat "$tmp/kept")" = "previous file" ] || fail "a refused export replaced a file"
    # where nothing can be written
    refused 1 "cannot create a file there" --model "$good" --onnx "$tmp/no/such/dir/m.onnx"
    refused 1 "is a folder; --c must name a regular file" --model "$good" --c "$tmp"
    refused 1 "cannot create a file there" --model "$good" --c "$root/README.md/m.c"
    # formats and names
    refused 2 "unknown format or option '--tflite'" --model "$good" --tflite "$tmp/m"
    refused 2 "usage" --model "$good"
    refused 2 "usage" --model "$good" --onnx "$tmp/a.onnx" --c "$tmp/a.c"
    refused 2 "needs a value" --model "$good" --onnx
    refused 1 "'2fast' is not a C identifier" --model "$good" --c "$tmp/m.c" --name 2fast
    ls "$tmp" | grep -q "\.tmp\." && fail "temporary files left behind: $(ls "$tmp")"
    # the default C name comes from the file name
    "$cnn" export --model "$good" --c "$tmp/7-up.c" | grep -q "int net_7_up_predict(" ||
        fail "export --c 7-up.c: not named net_7_up"
    echo "errors: one-line reasons, nothing written or replaced, no temporary files left"
    exit 0
fi

case $images in
*.gz) gzip -dc "$images" ;;
*) cat "$images" ;;
esac | tail -c +17 > "$tmp/images.u8"   # the pixels, after the 16-byte IDX header
if [ "$mode" = c ]; then
    clang=$(command -v clang || command -v clang-14) ||
        fail "no clang (tools/install-deps.sh installs it)"
fi

# NAME INPUT PIXELS: model NAME's exports against cnn predict --probs on
# INPUT (an IDX file or a folder of images), whose images PIXELS holds as raw
# planar bytes in the same order; shape and classes as train sets them.
compare_exports() {
    name=$1 model=$tmp/$1.model
    "$cnn" predict --model "$model" --probs "$2" > "$tmp/predict" || fail "$name: cnn predict"
    if [ "$mode" = onnx ]; then
        "$cnn" export --model "$model" --onnx "$tmp/$name.onnx" > /dev/null ||
            fail "$name: cnn export --onnx"
        "$python" "$here/export_compare.py" onnx "$name, ONNX in OpenCV" "$tmp/predict" \
            "$tmp/$name.onnx" "$3" "$shape" 1000 || exit 1
        return
    fi
    "$cnn" export --model "$model" --c "$tmp/$name.c" > /dev/null || fail "$name: cnn export --c"
    scratch=$(sed -n 's/^#define [A-Za-z0-9_]*_SCRATCH_FLOATS \([0-9]*\)$/\1/p' "$tmp/$name.c")
    inputs=$(($(echo "$shape" | tr x "*")))
    head -n 1000 "$tmp/predict" > "$tmp/predict.first"
    head -c $((inputs * 1000)) "$3" > "$tmp/pixels.first"
    for cc in gcc "$clang"; do
        "$cc" -std=c99 -Wall -Wextra -Werror -O2 -c "$tmp/$name.c" -o "$tmp/net.o" ||
            fail "$name: $cc does not compile the export"
        "$cc" -std=c99 -Wall -Wextra -Werror -O2 -DNAME="$name" "$here/export_driver.c" \
            "$tmp/net.o" -lm -o "$tmp/driver" || fail "$name: building the driver with $cc"
        "$tmp/driver" "$inputs" "$classes" "$scratch" < "$tmp/pixels.first" > "$tmp/driver.out" ||
            fail "$name: the $cc driver"
        "$python" "$here/export_compare.py" c "$name, C by $(basename "$cc")" \
            "$tmp/predict.first" "$tmp/driver.out" || exit 1
    done
}

# colour networks (R, G, B planes) train on the colour digits of
# tests/images.py: cnn predict reads their PNG folder, the exports the same
# images' bytes from the CIFAR-10 file, written in folder order
/usr/bin/python3 "$here/images.py" colour "$data" "$tmp/colour" 500 300 ||
    fail "images.py colour (needs python3-opencv)"
/usr/bin/python3 - "$tmp/colour/cifar/test_batch.bin" "$tmp/colour.u8" <<'EOF' || fail "colour bytes"
import sys
data = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(b"".join(data[i + 1:i + 3073] for i in range(0, len(data), 3073)))
EOF

mkdir "$tmp/kinds" && "$kind_examples" "$tmp/kinds" || fail "kind_examples"
for file in "$root"/src/nets/*.net "$here"/export_*.net "$tmp"/kinds/*.net; do
    name=$(basename "$file" .net)
    case $name in   # a kind's example: cnn info shows its layer first, in its words
    kind_*) "$cnn" info --net "$file" | grep -Eq "^ +[0-9]+ +[0-9]+  ${name#kind_} " ||
                fail "$name: cnn info does not show the layer" ;;
    esac
    train "$name" "$file"
    case $shape in
    3x*)
        "$cnn" export --model "$tmp/$name.model" --onnx "$tmp/doc.onnx" > /dev/null &&
            grep -aq "the planes R, G, B" "$tmp/doc.onnx" ||
            fail "$name: the ONNX doc string does not name the planes R, G, B"
        compare_exports "$name" "$tmp/colour/png/test" "$tmp/colour.u8" ;;
    *)  compare_exports "$name" "$images" "$tmp/images.u8" ;;
    esac
done
