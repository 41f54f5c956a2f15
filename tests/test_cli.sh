#!/bin/sh
# The cnn command end to end on real digits: 1 thread and 2 threads write
# bit-identical models; a resumed run ends bit-identical to an uninterrupted
# one; eval reproduces training's test accuracy; usage errors exit 2.
# usage: test_cli.sh CNN SOURCE_ROOT
. "$(dirname "$0")/setup.sh"
train() { "$cnn" train --data "$data" --limit 1500 --quiet "$@" || fail "cnn train $*"; }

for net in seed000 seed004 lenet; do   # lenet's recipe shifts images at random
    train --net $net --epochs 2 --batch 50 --threads 1 --out "$tmp/$net-1.model"
    train --net $net --epochs 2 --batch 50 --threads 2 --out "$tmp/$net-2.model"
    cmp "$tmp/$net-1.model" "$tmp/$net-2.model" || fail "$net: 1 and 2 threads differ"
    echo "$net: 1 thread and 2 threads give bit-identical models"
done
# an odd batch: shards of unequal size, and a last batch of 1,500 mod 37 = 20
train --epochs 1 --batch 37 --threads 1 --out "$tmp/odd-1.model"
train --epochs 1 --batch 37 --threads 3 --out "$tmp/odd-3.model"
cmp "$tmp/odd-1.model" "$tmp/odd-3.model" || fail "batch 37: 1 and 3 threads differ"
echo "batch 37: 1 thread and 3 threads give bit-identical models"

# resume: 1 epoch, then continue to 3 == 3 epochs at once (momentum, RNG,
# augmentation and the cosine schedule all carry over)
train --epochs 3 --shift 1 --out "$tmp/full.model"
train --epochs 1 --shift 1 --out "$tmp/part.model"
train --resume "$tmp/part.model" --epochs 3
cmp "$tmp/full.model" "$tmp/part.model" || fail "resumed run differs from uninterrupted"
echo "resume: 1 + 2 epochs give the bit-identical model of 3 epochs"

# eval: the test accuracy training printed, from the saved model
"$cnn" train --data "$data" --limit 1500 --epochs 1 --out "$tmp/e.model" > "$tmp/train.txt" ||
    fail "train for eval"
want=$(sed -n 's/.*test loss [0-9.]* acc \([0-9.]*\).*/\1/p' "$tmp/train.txt")
got=$("$cnn" eval --model "$tmp/e.model" --data "$data" | tail -n 1)
[ "$got" = "accuracy: $want" ] || fail "eval says '$got', training said $want"
echo "eval: '$got' as training reported"

# usage errors exit 2 with a one-line reason
for args in "--bogus" "--batch 0" "--lr -1" "--threads 0" "--epochs" "--data"; do
    "$cnn" train $args > /dev/null 2> "$tmp/err"
    [ $? -eq 2 ] || fail "cnn train $args: exit status not 2"
    head -n 1 "$tmp/err" | grep -q "^cnn train: " || fail "cnn train $args: $(cat "$tmp/err")"
done
echo "usage errors: exit 2 with a reason"

# an output folder that does not exist, or a file where a folder should be:
# refused before any training, exit 1
for out in "$tmp/no/such/folder/m.model" "$root/README.md/m.model" "$tmp"; do
    "$cnn" train --data "$data" --out "$out" > /dev/null 2> "$tmp/err"
    [ $? -eq 1 ] && grep -q "^cnn train: $out: " "$tmp/err" || fail "--out $out: $(cat "$tmp/err")"
done
echo "unwritable --out: refused before training"

# predict: a PGM digit (from the test set, through cnn show's reader) and an
# IDX file; show writes kernels and feature maps
"$cnn" show --model "$tmp/e.model" --kernels "$tmp/k.pgm" > /dev/null || fail "show --kernels"
"$cnn" show --model "$tmp/e.model" --maps "$tmp/m.pgm" --data "$data" --index 0 > /dev/null ||
    fail "show --maps"
head -c 2 "$tmp/k.pgm" | grep -q P5 || fail "show: not a PGM"
printf 'P2\n28 28\n255\n' > "$tmp/blank.pgm"
i=0; while [ $i -lt 784 ]; do echo 0; i=$((i + 1)); done >> "$tmp/blank.pgm"
"$cnn" predict --model "$tmp/e.model" "$tmp/blank.pgm" | grep -Eq "blank.pgm: [0-9] \(p=0\.[0-9]+\)" ||
    fail "predict on a PGM"
n=$("$cnn" predict --model "$tmp/e.model" "$data/t10k-images-idx3-ubyte.gz" | wc -l)
[ "$n" -eq 10000 ] || fail "predict on IDX: $n lines"
"$cnn" predict --model "$tmp/e.model" "$tmp/k.pgm" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "images are .* but the network takes 28x28x1" "$tmp/err" ||
    fail "predict on a wrong-size PGM: $(cat "$tmp/err")"
echo "predict and show: PGM and IDX inputs, wrong sizes refused"

# predict reads each file once, front to back: standard input works
n=$(cat "$data/t10k-images-idx3-ubyte.gz" | "$cnn" predict --model "$tmp/e.model" /dev/stdin |
    wc -l)
[ "$n" -eq 10000 ] || fail "predict /dev/stdin (IDX, a pipe): $n lines"
cat "$tmp/blank.pgm" | "$cnn" predict --model "$tmp/e.model" /dev/stdin |
    grep -Eq "^/dev/stdin: [0-9] \(p=" || fail "predict /dev/stdin (PGM, a pipe)"
echo "predict /dev/stdin: IDX and PGM"
# a P2 pixel that is not a number is named as such, not as truncation
sed '10s/0/x/' "$tmp/blank.pgm" > "$tmp/bad.pgm"
"$cnn" predict --model "$tmp/e.model" "$tmp/bad.pgm" 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "bad.pgm: pixel 7 is not a number from 0 to 255" "$tmp/err" ||
    fail "P2 pixel: $(cat "$tmp/err")"
echo "P2 pixel: $(cat "$tmp/err")"

# option values in one strict syntax; --classes errors are usage errors too
for args in "--seed 99999999999999999999999" "--seed  5" "--seed +5" "--seed 0x10" \
            "--lr +0.1" "--lr 0x1p-3" "--lr inf" "--epochs 1e3" "--classes 0,1," \
            "--classes ,0,1" "--classes 0,,1" "--classes 0,+1" "--classes 1,1"; do
    "$cnn" train --data "$data" --limit 100 --epochs 1 --quiet --out "$tmp/o.model" \
        $(echo "$args" | cut -d' ' -f1) "$(echo "$args" | cut -d' ' -f2-)" 2> "$tmp/err"
    [ $? -eq 2 ] || fail "cnn train $args: exit status not 2: $(cat "$tmp/err")"
done
"$cnn" eval --model "$tmp/e.model" --data "$data" --classes 0,1, 2> "$tmp/err"
[ $? -eq 2 ] || fail "cnn eval --classes 0,1,: exit status not 2"
echo "option values: strict, usage errors exit 2 ($(cat "$tmp/err"))"

# a data folder with both X and X.gz: refused, they may differ
mkdir "$tmp/both"
for f in "$data"/*; do ln -s "$f" "$tmp/both/"; done
zcat "$data/t10k-labels-idx1-ubyte.gz" > "$tmp/both/t10k-labels-idx1-ubyte"
"$cnn" eval --model "$tmp/e.model" --data "$tmp/both" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "both t10k-labels-idx1-ubyte and t10k-labels-idx1-ubyte.gz are there" \
    "$tmp/err" || fail "X and X.gz: $(cat "$tmp/err")"
echo "X and X.gz: $(cat "$tmp/err")"

# the re-executed process keeps its name (pgrep -x cnn, top)
"$cnn" train --data "$data" --limit 3000 --epochs 4 --quiet --out "$tmp/n.model" &
pid=$!
while [ ! -f "$tmp/n.model" ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
name=$(cat /proc/$pid/comm)
wait $pid
[ "$name" = cnn ] || fail "process name '$name', not cnn"
echo "process name: $name"
