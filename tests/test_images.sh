#!/bin/sh
# Image folders and CIFAR-10 as data (tests/images.py makes the files):
# - real digits as PNG and PGM class folders train models byte-identical to
#   the IDX model of the same digits in the same order; as JPEG, identical to
#   the IDX model of what OpenCV decodes of them;
# - PNGs of every colour type, and JPEGs and PGM/PPM files: OpenCV's pixels;
# - a colour set as PNG and as CIFAR-10 files: byte-identical models far
#   above chance, also under mpirun -np 2; eval and predict name the classes;
# - hostile files (a CMYK JPEG made by tests/cmyk_jpeg.c among them): one
#   line, exit 1, no model written.
# usage: test_images.sh CNN SOURCE_ROOT IMAGE_DUMP CMYK_JPEG
. "$(dirname "$0")/setup.sh"
dump=$3 cmyk=$4
py=/usr/bin/python3
images="$py $root/tests/images.py"
$py -c "import cv2, numpy" 2> /dev/null || fail "needs python3-opencv (tools/install-deps.sh)"

# --- real digits: PNG, PGM and JPEG folders against IDX ---
$images digits "$data" "$tmp/d" 1000 300 || fail "images.py digits"
run="--epochs 2 --quiet --seed 3"
for kind in idx png pgm jpeg idx-jpeg; do
    "$cnn" train --data "$tmp/d/$kind" $run --out "$tmp/$kind.model" || fail "train on $kind"
done
cmp -s "$tmp/idx.model" "$tmp/png.model" || fail "PNG folders: a model unlike the IDX one"
cmp -s "$tmp/idx.model" "$tmp/pgm.model" || fail "PGM folders: a model unlike the IDX one"
cmp -s "$tmp/idx-jpeg.model" "$tmp/jpeg.model" ||
    fail "JPEG folders: a model unlike the IDX one of OpenCV's decoding"
cmp -s "$tmp/idx.model" "$tmp/jpeg.model" && fail "JPEG at quality 100 should still be lossy"
echo "digits: PNG and PGM folders give the IDX model byte for byte; JPEG folders the model of OpenCV's decoding"
"$cnn" eval --model "$tmp/png.model" --data "$tmp/d/png" > "$tmp/eval" || fail "eval on PNG folders"
"$cnn" eval --model "$tmp/idx.model" --data "$tmp/d/idx" > "$tmp/eval-idx" || fail "eval on IDX"
cmp -s "$tmp/eval" "$tmp/eval-idx" || fail "eval: PNG folders and IDX differ"

# --- every colour type against OpenCV ---
$images kinds "$tmp/k" || fail "images.py kinds"
$images compare "$dump" "$tmp"/k/* || fail "decoding differs from OpenCV's"

# --- a colour set: PNG folders and CIFAR-10 files ---
$images colour "$data" "$tmp/c" 1000 300 || fail "images.py colour"
for kind in png cifar jpeg; do
    "$cnn" train --net "$root/tests/colour.net" --data "$tmp/c/$kind" --quiet --out "$tmp/c-$kind.model" ||
        fail "train on colour $kind"
done
cmp -s "$tmp/c-png.model" "$tmp/c-cifar.model" || fail "colour: PNG and CIFAR-10 models differ"
# over MPI, each rank decodes the folders itself: the same model
if command -v mpirun > /dev/null && ! "$cnn" --version | grep -q "^MPI: not built in"; then
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        timeout -k 5 300 mpirun --oversubscribe -np 2 "$cnn" train --net "$root/tests/colour.net" \
        --data "$tmp/c/png" --quiet --threads 1 --out "$tmp/c-mpi.model" || fail "mpirun -np 2 on PNG folders"
    cmp -s "$tmp/c-png.model" "$tmp/c-mpi.model" || fail "colour: 2 MPI processes differ from one"
    echo "colour: PNG folders under mpirun -np 2 give the one-process model"
fi
"$cnn" eval --model "$tmp/c-cifar.model" --data "$tmp/c/cifar" > "$tmp/eval" || fail "eval CIFAR"
acc=$(sed -n 's/^accuracy: //p' "$tmp/eval")
"$cnn" eval --model "$tmp/c-jpeg.model" --data "$tmp/c/jpeg" > "$tmp/eval-jpeg" || fail "eval JPEG"
acc_jpeg=$(sed -n 's/^accuracy: //p' "$tmp/eval-jpeg")
awk -v a="$acc" -v b="$acc_jpeg" 'BEGIN { exit !(a > 0.9 && b > 0.9) }' ||
    fail "colour: accuracy $acc (PNG, CIFAR-10), $acc_jpeg (JPEG); chance is 0.1"
grep -q "^ *3-blue " "$tmp/eval" || fail "eval does not name the classes: $(head "$tmp/eval")"
# predict names the classes: on the test folder, a line is right where the
# name it prints is the image's class folder, as many as eval counts
first=$(ls "$tmp/c/png/test/3-blue" | head -n 1)
"$cnn" predict --model "$tmp/c-png.model" --top 2 "$tmp/c/png/test/3-blue/$first" |
    grep -Eq "^.*: [0-9]-[a-z]+ \(p=[01]\.[0-9]+\), [0-9]-[a-z]+ \(p=" || fail "predict --top 2"
"$cnn" predict --model "$tmp/c-png.model" "$tmp/c/png/test" > "$tmp/predict" || fail "predict"
[ "$(wc -l < "$tmp/predict")" -eq 300 ] || fail "predict on a folder: $(wc -l < "$tmp/predict") lines for 300 images"
right=$(awk '{ n = split($1, dirs, "/"); if ($2 == dirs[n - 1]) right++ } END { print right + 0 }' \
    "$tmp/predict")
awk -v r="$right" -v a="$acc" 'BEGIN { exit !(r == int(a * 300 + 0.5)) }' ||
    fail "predict is right on $right of 300 images, eval says $acc"
echo "colour: PNG folders and CIFAR-10 files give the same model; accuracy $acc (JPEG $acc_jpeg), classes named"
"$cnn" show --model "$tmp/c-png.model" --kernels "$tmp/k.png" > /dev/null || fail "show --kernels colour"
"$cnn" show --model "$tmp/c-png.model" --maps "$tmp/m.png" --image "$tmp/c/png/test/3-blue/$first" \
    > /dev/null || fail "show --maps --image"
"$cnn" show --model "$tmp/c-png.model" --maps "$tmp/m.ppm" --data "$tmp/c/png" --index 0 \
    > /dev/null || fail "show --maps --data (folders)"
$py - "$tmp/k.png" "$tmp/m.png" "$tmp/m.ppm" <<'EOF' || fail "show: not colour pictures"
import sys, cv2
for path in sys.argv[1:]:
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert img is not None and img.ndim == 3 and img.shape[2] == 3, path
    assert (img[:, :, 0] != img[:, :, 2]).any(), path + ": grey in three channels"
EOF
echo "show: colour kernels and maps, as PNG and PPM"

# --- a grey network on colour files: converted, said once per part ---
printf '%s\n' 'input channels=1 height=32 width=32' 'conv filters=4 size=5 act=relu' \
    'maxpool size=2' 'dense units=10' 'loss softmax-cross-entropy' > "$tmp/grey32.net"
"$cnn" train --data "$tmp/c/png" --net "$tmp/grey32.net" --epochs 1 --out "$tmp/g.model" \
    > /dev/null 2> "$tmp/err" || fail "grey network on colour PNGs: $(cat "$tmp/err")"
[ "$(grep -c "colour converted to grey" "$tmp/err")" -eq 2 ] ||
    fail "conversion not said once per part: $(cat "$tmp/err")"
echo "conversion: $(head -n 1 "$tmp/err")"

# --- --resize: the rule against numpy and OpenCV; mixed sizes train, eval and predict ---
$images resize "$dump" "$tmp/r" || fail "--resize differs from its rule"
printf '%s\n' 'input channels=3 height=28 width=28' 'conv filters=4 size=5 act=relu' \
    'maxpool size=2' 'dense units=2' 'loss softmax-cross-entropy' > "$tmp/two-colour.net"
"$cnn" train --net "$tmp/two-colour.net" --data "$tmp/r/folders" --epochs 3 --quiet \
    --out "$tmp/r.model" 2> "$tmp/err" && fail "mixed sizes trained without --resize"
grep -q "pixels (height x width), but the network takes 28x28 (--resize scales images to it)" \
    "$tmp/err" || fail "mixed sizes without --resize: $(cat "$tmp/err")"
"$cnn" train --net "$tmp/two-colour.net" --data "$tmp/r/folders" --epochs 5 --resize --quiet \
    --out "$tmp/r.model" || fail "train --resize"
"$cnn" info --model "$tmp/r.model" | grep -q "^model: .*resize" || fail "the model does not record --resize"
acc=$("$cnn" eval --model "$tmp/r.model" --data "$tmp/r/folders" | sed -n 's/^accuracy: //p')
[ "$acc" = 1.0000 ] || fail "--resize: accuracy $acc on two colours"
"$cnn" predict --model "$tmp/r.model" "$tmp/r/256x256.png" | grep -q "^.*256x256.png: c[01] (p=" ||
    fail "predict does not scale as the model's run did"
"$cnn" predict --model "$tmp/c-png.model" "$tmp/r/256x256.png" 2> "$tmp/err" &&
    fail "a model trained without --resize scaled an image"
echo "--resize: mixed sizes refused without it; with it trained to accuracy $acc, and eval and predict scale the same way"
# a set that would not fit the memory limits: refused before decoding, with
# the figure (sanitizers reserve terabytes of address space: not under them)
if ! grep -q __asan_init "$cnn"; then
    printf '%s\n' 'input channels=3 height=2048 width=2048' 'avgpool size=64' 'dense units=2' \
        'loss softmax-cross-entropy' > "$tmp/huge.net"
    (ulimit -v 600000 && exec timeout 60 "$cnn" train --net "$tmp/huge.net" --resize \
        --data "$tmp/r/folders" --epochs 1 --out "$tmp/huge.model") 2> "$tmp/err" &&
        fail "a 481 MiB set trained under a 585 MiB limit"
    grep -q "out of memory: 40 images of 2048x2048x3 need 481 MiB, more than the address-space limit" \
        "$tmp/err" || fail "memory limit: $(cat "$tmp/err")"
    echo "memory: $(cat "$tmp/err")"
fi

# --- hostile data: one line, exit 1, nothing written ---
$images bad "$tmp/bad" || fail "images.py bad"
printf '%s\n' 'input channels=1 height=28 width=28' 'dense units=2' \
    'loss softmax-cross-entropy' > "$tmp/two.net"
expect_refused() {   # CASE NET MESSAGE
    "$cnn" train --data "$tmp/bad/$1" --net "$2" --epochs 1 --quiet --out "$tmp/bad.model" \
        2> "$tmp/err"
    status=$?
    [ $status -eq 1 ] || fail "$1: exit status $status: $(cat "$tmp/err")"
    grep -q -- "$3" "$tmp/err" || fail "$1: '$(cat "$tmp/err")' does not say '$3'"
    [ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "$1: more than one line: $(cat "$tmp/err")"
    [ -e "$tmp/bad.model" ] && fail "$1: a model was written"
    echo "$1: $(cat "$tmp/err")"
}
expect_refused truncated-png "$tmp/two.net" "a.png: corrupt or truncated PNG"
expect_refused corrupt-png "$tmp/two.net" "a.png: corrupt or truncated PNG"
expect_refused truncated-jpeg "$tmp/two.net" "a.jpg: corrupt or truncated JPEG"
expect_refused 16-bit-png "$tmp/two.net" "a.png: a 16-bit PNG"
expect_refused 1x1-png "$tmp/two.net" "a.png: 1x1 pixels (height x width), but the network takes 28x28"
expect_refused 100000x100000-png "$tmp/two.net" "a.png: not a PNG libspng can read"
expect_refused wrong-size "$tmp/two.net" "a.png: 30x30 pixels"
expect_refused missing-test-class "$tmp/two.net" "'2' is only in the first"
expect_refused no-images "$tmp/two.net" "train/0: no images in this class folder"
expect_refused not-an-image "$tmp/two.net" "a.png: not a PNG, JPEG, PGM or PPM image"
expect_refused symlink-cycle "$tmp/two.net" "a symlink cycle"
mkdir -p "$tmp/bad/cmyk-jpeg/train/0" && cp -r "$tmp/bad/wrong-size/test" "$tmp/bad/cmyk-jpeg/" &&
    cp -r "$tmp/bad/wrong-size/train/1" "$tmp/bad/cmyk-jpeg/train/" &&
    "$cmyk" "$tmp/bad/cmyk-jpeg/train/0/a.jpg" || fail "cmyk_jpeg"
expect_refused cmyk-jpeg "$tmp/two.net" "a.jpg: a CMYK JPEG; grey and colour (YCbCr) JPEGs only"
expect_refused cifar-length "$tmp/grey32.net" "data_batch_1.bin: 6151 bytes, not a whole number of CIFAR-10 records"
echo "hostile image data: refused, one line each"
