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
# eval takes train's names for the test files too
images=$(mnist_file t10k-images-idx3-ubyte) labels=$(mnist_file t10k-labels-idx1-ubyte)
"$cnn" eval --model "$tmp/e.model" --images "$images" --labels "$labels" > "$tmp/short.txt" &&
    "$cnn" eval --model "$tmp/e.model" --test-images "$images" --test-labels "$labels" \
        > "$tmp/long.txt" && cmp -s "$tmp/short.txt" "$tmp/long.txt" ||
    fail "eval --test-images/--test-labels differ from --images/--labels"
echo "eval: --test-images and --test-labels, as train names them"

# divergence: a training loss over 100 times a uniform guess's (230.3 for 10
# classes) stops the run before saving that epoch; --no-divergence-check runs on
diverge="--data $data --limit 1000 --epochs 4 --quiet"
"$cnn" train $diverge --lr 50 --out "$tmp/div1.model" 2> "$tmp/err"
status=$?
[ $status -eq 1 ] && grep -q "epoch 1 diverged: training loss .* is over 230.3.*no model was written" \
    "$tmp/err" && [ ! -e "$tmp/div1.model" ] || fail "--lr 50: status $status, $(cat "$tmp/err")"
echo "--lr 50: $(cat "$tmp/err")"
# a later epoch diverges: the model on disk is the epoch before it
"$cnn" train $diverge --warmup 3 --schedule constant --lr 30 --out "$tmp/div.model" 2> "$tmp/err"
status=$?
kept=$(sed -n 's/.*diverged: .* keeps the model of epoch \([0-9]*\)$/\1/p' "$tmp/err")
[ $status -eq 1 ] && [ -n "$kept" ] || fail "--lr 30 after warm-up: status $status, $(cat "$tmp/err")"
"$cnn" info --model "$tmp/div.model" | grep -q "^model: $kept of 4 epochs trained" ||
    fail "a diverged run's model is not that of epoch $kept"
echo "--lr 30 after warm-up: $(cat "$tmp/err")"
"$cnn" train $diverge --warmup 3 --schedule constant --lr 30 --no-divergence-check \
    --out "$tmp/div.model" || fail "--no-divergence-check: the run stopped"
echo "--no-divergence-check: the same run trains its 4 epochs"

# help: -h and --help on every command, and cnn help CMD, print its usage
for cmd in train eval predict info show export; do
    for how in "$cmd -h" "$cmd --help" "help $cmd"; do
        # shellcheck disable=SC2086
        "$cnn" $how > "$tmp/help.txt" || fail "cnn $how: exit $?"
        head -n 1 "$tmp/help.txt" | grep -q "^usage: cnn $cmd " || fail "cnn $how: no usage line"
    done
    "$cnn" "$cmd" -h > "$tmp/h.txt"
    cmp -s "$tmp/help.txt" "$tmp/h.txt" || fail "cnn help $cmd differs from cnn $cmd -h"
done
[ "$("$cnn" -V)" = "$("$cnn" --version)" ] || fail "cnn -V differs from cnn --version"
echo "help: -h, --help and cnn help CMD on every command; cnn -V"

# usage errors exit 2 with a one-line reason; the recipe's limits are the
# table that descriptions and model files are checked against too
for args in "--bogus" "--batch 0" "--batch 65537" "--lr -1" "--lr 0" "--momentum 1" \
            "--momentum -0.1" "--weight-decay -1" "--shift 9" "--epochs 0" "--threads 0" \
            "--epochs" "--data"; do
    "$cnn" train $args > /dev/null 2> "$tmp/err"
    [ $? -eq 2 ] || fail "cnn train $args: exit status not 2"
    head -n 1 "$tmp/err" | grep -q "^cnn train: " || fail "cnn train $args: $(cat "$tmp/err")"
    case $args in *" "*) grep -q "^cnn train: ${args% *} .*: out of range" "$tmp/err" ||
        fail "cnn train $args: $(cat "$tmp/err")";; esac
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
# one line per image: as many as the IDX header (bytes 4-7, big-endian) counts
images=$(mnist_file t10k-images-idx3-ubyte)
count=$(gzip -dcf "$images" | head -c 8 | od -An -tu1 |
        awk '{ print ((($5 * 256 + $6) * 256 + $7) * 256 + $8) }')
n=$("$cnn" predict --model "$tmp/e.model" "$images" | wc -l)
[ "$count" -gt 0 ] && [ "$n" -eq "$count" ] || fail "predict on IDX: $n lines for $count images"
"$cnn" predict --model "$tmp/e.model" "$tmp/k.pgm" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "k.pgm: [0-9]*x[0-9]* pixels (height x width), but the network takes 28x28" "$tmp/err" ||
    fail "predict on a wrong-size PGM: $(cat "$tmp/err")"
echo "predict and show: PGM and IDX inputs, wrong sizes refused"

# a run on two classes: the model records them and the run's --limit
printf '%s\n' 'input channels=1 height=28 width=28' 'conv filters=2 size=5 act=relu' \
    'maxpool size=2' 'dense units=2' 'loss softmax-cross-entropy' > "$tmp/two.net"
two() { "$cnn" train --net "$tmp/two.net" --data "$data" --classes 7,8 --limit 600 "$@" ||
        fail "cnn train --classes 7,8 --limit 600 $*"; }
two --epochs 2 --out "$tmp/78.model" > "$tmp/train78.txt"
two --epochs 1 --quiet --out "$tmp/78-part.model"

# --resume without --classes and --limit uses the recorded ones: bit-identical
# to the uninterrupted run; given differently, they are refused
"$cnn" train --data "$data" --resume "$tmp/78-part.model" --epochs 2 --quiet ||
    fail "resume of a --classes --limit run"
cmp "$tmp/78.model" "$tmp/78-part.model" || fail "resumed --classes --limit run differs"
for args in "--limit 700" "--classes 8,7" "--classes 0,1"; do
    "$cnn" train --data "$data" --resume "$tmp/78-part.model" --epochs 3 $args 2> "$tmp/err"
    [ $? -eq 1 ] && grep -q "^cnn train: ${args% *} ${args#* } contradicts .*78-part.model, whose" \
        "$tmp/err" || fail "resume with $args: $(cat "$tmp/err")"
done
"$cnn" train --data "$data" --resume "$tmp/e.model" --epochs 2 --classes 7,8 2> "$tmp/err"
grep -q "whose run used every label" "$tmp/err" || fail "resume adding --classes: $(cat "$tmp/err")"
echo "resume: recorded --classes and --limit reused, bit-identical; contradictions refused"

# eval, predict and show use the recorded classes: the 7s and 8s of the test
# set, rows and predictions named 7 and 8
want=$(sed -n 's/^epoch 2.*test loss [0-9.]* acc \([0-9.]*\).*/\1/p' "$tmp/train78.txt")
"$cnn" eval --model "$tmp/78.model" --data "$data" > "$tmp/eval78" || fail "eval of a 7/8 model"
[ "$(tail -n 1 "$tmp/eval78")" = "accuracy: $want" ] ||
    fail "eval of the 7/8 model: $(tail -n 1 "$tmp/eval78"), training said $want"
counts=$(python3 -c 'import gzip, sys
f = sys.argv[1]
labels = (gzip.open if f.endswith(".gz") else open)(f, "rb").read()[8:]
print(labels.count(7) + labels.count(8), len(labels))' "$(mnist_file t10k-labels-idx1-ubyte)") ||
    fail "count the 7s and 8s of the test labels"
sevens_eights=${counts% *} test_images=${counts#* }
grep -q "^images: $sevens_eights$" "$tmp/eval78" && grep -q "^  class   7: " "$tmp/eval78" &&
    grep -q "^  class   8: " "$tmp/eval78" || fail "eval rows: $(cat "$tmp/eval78")"
[ "$("$cnn" eval --model "$tmp/78.model" --data "$data" --classes 7,8 | tail -n 1)" = \
  "accuracy: $want" ] || fail "eval --classes 7,8 of the 7/8 model"
"$cnn" eval --model "$tmp/e.model" --data "$data" --classes 7,8 > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "^cnn eval: --classes 7,8 contradicts .*e.model, whose classes are 0,1,2,3,4,5,6,7,8,9" \
    "$tmp/err" || fail "eval --classes on a 10-class model: $(cat "$tmp/err")"
"$cnn" predict --model "$tmp/78.model" --all "$(mnist_file t10k-images-idx3-ubyte)" > "$tmp/p78" ||
    fail "predict with the 7/8 model"
[ "$(grep -Ec '^[^ ]*\[[0-9]+\]: [78] \(p=[01]\.[0-9]+\)  probabilities: 7:[01]\.[0-9]+ 8:[01]\.[0-9]+$' "$tmp/p78")" -eq "$test_images" ] ||
    fail "predict names: $(head -n 2 "$tmp/p78")"
"$cnn" show --model "$tmp/78.model" --maps "$tmp/m78.pgm" --data "$data" --index $((sevens_eights - 1)) > /dev/null ||
    fail "show --maps of a 2-class model"
"$cnn" show --model "$tmp/78.model" --maps "$tmp/m78.pgm" --data "$data" --index "$sevens_eights" 2> "$tmp/err"
grep -q "the test set has $sevens_eights images of the model's classes" "$tmp/err" || fail "show --index: $(cat "$tmp/err")"
echo "eval, predict, show: the recorded classes 7,8 ($(tail -n 1 "$tmp/eval78")); eval --classes checked"

# --class-names: IDX labels named by a file's lines, recorded in the model
# with their labels. Training is the same (the probabilities are the unnamed
# model's); eval's rows and predict's lines carry the names; a resumed run
# keeps them; eval --class-names names an unnamed model's classes the same.
printf 'zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n\n' > "$tmp/names"
two --epochs 2 --quiet --class-names "$tmp/names" --out "$tmp/78n.model"
two --epochs 1 --quiet --class-names "$tmp/names" --out "$tmp/78n-part.model"
"$cnn" train --data "$data" --resume "$tmp/78n-part.model" --epochs 2 --quiet ||
    fail "resume of a --class-names run"
cmp "$tmp/78n.model" "$tmp/78n-part.model" || fail "resumed --class-names run differs"
"$cnn" eval --model "$tmp/78n.model" --data "$data" > "$tmp/eval78n" || fail "eval, named"
grep -q "^  class seven: " "$tmp/eval78n" && grep -q "^  class eight: " "$tmp/eval78n" &&
    [ "$(tail -n 1 "$tmp/eval78n")" = "accuracy: $want" ] || fail "eval, named: $(cat "$tmp/eval78n")"
"$cnn" eval --model "$tmp/78.model" --data "$data" --class-names "$tmp/names" |
    cmp - "$tmp/eval78n" || fail "eval --class-names of the unnamed model"
images=$(mnist_file t10k-images-idx3-ubyte)
"$cnn" predict --model "$tmp/78n.model" --probs "$images" > "$tmp/p78n" || fail "predict, named"
"$cnn" predict --model "$tmp/78.model" --probs "$images" |
    sed 's/\]: 7 /]: seven /; s/\]: 8 /]: eight /; s/ 7:\([^ ]*\) 8:/ seven:\1 eight:/' |
    cmp - "$tmp/p78n" || fail "predict, named: $(head -n 1 "$tmp/p78n")"
refused() {   # PATTERN COMMAND...: exit 1 and a line matching PATTERN
    pattern=$1; shift
    "$@" > /dev/null 2> "$tmp/err"
    [ $? -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "$pattern" "$tmp/err" ||
        fail "$*: $(cat "$tmp/err")"
}
refused "names its classes already (seven,eight)" \
    "$cnn" eval --model "$tmp/78n.model" --data "$data" --class-names "$tmp/names"
refused "a resumed run keeps the classes" \
    "$cnn" train --data "$data" --resume "$tmp/78n-part.model" --epochs 3 --class-names "$tmp/names"
head -n 8 "$tmp/names" > "$tmp/eight-names"
refused "eight-names: 8 class names, none for label 8" "$cnn" train --net "$tmp/two.net" \
    --data "$data" --classes 7,8 --epochs 1 --class-names "$tmp/eight-names" --out "$tmp/x.model"
refused "eight-names: 8 class names for a network with 10 outputs" \
    "$cnn" train --data "$data" --epochs 1 --class-names "$tmp/eight-names" --out "$tmp/x.model"
printf '%s\n' 0 1 2 3 4 5 6 7 8 0 > "$tmp/twice"
refused "twice: the name of class 9 is given twice" \
    "$cnn" predict --model "$tmp/e.model" --class-names "$tmp/twice" "$images"
printf 'a\0b\nc\n' > "$tmp/nul"
refused "nul:1: the line holds a NUL byte" \
    "$cnn" eval --model "$tmp/78.model" --data "$data" --class-names "$tmp/nul"
[ ! -e "$tmp/x.model" ] || fail "a refused --class-names run wrote a model"
echo "--class-names: recorded, resumed, eval and predict named; bad files refused by line"

# lost output is a failure: a full device, a closed stdout, a full log
refuse_output() {   # WHAT: the command ran with its stdout or log gone
    [ "$status" -eq 1 ] || fail "$1: exit $status, not 1"
    grep -q "failed" "$tmp/err" || fail "$1: no reason: $(cat "$tmp/err")"
}
"$cnn" info --net lenet > /dev/full 2> "$tmp/err"; status=$?; refuse_output "info > /dev/full"
"$cnn" eval --model "$tmp/e.model" --data "$data" > /dev/full 2> "$tmp/err"; status=$?
refuse_output "eval > /dev/full"
"$cnn" info --net lenet >&- 2> "$tmp/err"; status=$?; refuse_output "info with stdout closed"
"$cnn" train --data "$data" --limit 300 --epochs 1 --quiet --out "$tmp/l.model" \
    --log /dev/full 2> "$tmp/err"; status=$?; refuse_output "train --log /dev/full"
echo "output: /dev/full, a closed stdout and a full log exit 1 with the reason"

# --out must be a regular file or absent, and no input or other output
mkfifo "$tmp/fifo"
cp "$tmp/e.model" "$tmp/keep.model"
mkdir "$tmp/d"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
         t10k-labels-idx1-ubyte; do
    cp "$data/$f"* "$tmp/d/"
done
labels=$(ls "$tmp/d"/t10k-labels*)
cp "$labels" "$tmp/labels.copy"
for args in "--out $tmp/fifo" "--out $tmp" "--log=$tmp/keep.model --out $tmp/keep.model" \
            "--out $labels" "--log $labels"; do
    # shellcheck disable=SC2086
    "$cnn" train --data "$tmp/d" --limit 300 --epochs 1 --quiet $args > "$tmp/out" 2> "$tmp/err"
    status=$?
    [ "$status" -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] ||
        fail "train $args: exit $status: $(cat "$tmp/err")"
    [ -s "$tmp/out" ] && fail "train $args: trained before refusing"
done
[ -p "$tmp/fifo" ] || fail "the FIFO was replaced"
cmp -s "$tmp/e.model" "$tmp/keep.model" || fail "--log over the model changed it"
cmp -s "$labels" "$tmp/labels.copy" || fail "a data file was overwritten"
echo "--out: a FIFO, a folder, the log's file and the data's files are refused untouched"

# predict reads each file once, front to back: standard input works
n=$(cat "$(mnist_file t10k-images-idx3-ubyte)" | "$cnn" predict --model "$tmp/e.model" /dev/stdin |
    wc -l)
[ "$n" -eq "$test_images" ] || fail "predict /dev/stdin (IDX, a pipe): $n lines"
cat "$tmp/blank.pgm" | "$cnn" predict --model "$tmp/e.model" /dev/stdin |
    grep -Eq "^/dev/stdin: [0-9] \(p=" || fail "predict /dev/stdin (PGM, a pipe)"
echo "predict /dev/stdin: IDX and PGM"
# a P2 pixel that is not a number is named as such, not as truncation
sed '10s/0/x/' "$tmp/blank.pgm" > "$tmp/bad.pgm"
"$cnn" predict --model "$tmp/e.model" "$tmp/bad.pgm" 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "bad.pgm: sample 7 is not a number from 0 to 255" "$tmp/err" ||
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
labels=$(mnist_file t10k-labels-idx1-ubyte)
case $labels in
*.gz) zcat "$labels" > "$tmp/both/t10k-labels-idx1-ubyte" ;;
*) gzip -c "$labels" > "$tmp/both/t10k-labels-idx1-ubyte.gz" ;;
esac
"$cnn" eval --model "$tmp/e.model" --data "$tmp/both" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "both t10k-labels-idx1-ubyte and t10k-labels-idx1-ubyte.gz are there" \
    "$tmp/err" || fail "X and X.gz: $(cat "$tmp/err")"
echo "X and X.gz: $(cat "$tmp/err")"

# the re-executed process keeps its name (pgrep -x cnn, top)
"$cnn" train --net lenet --data "$data" --limit 3000 --epochs 3 --quiet --out "$tmp/n.model" &
pid=$!
while [ ! -f "$tmp/n.model" ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
name=$(cat /proc/$pid/comm)
wait $pid
[ "$name" = cnn ] || fail "process name '$name', not cnn"
echo "process name: $name"

# progress where stderr is no terminal: a plain line every --progress-every
# seconds with the step, rate and time left; the epoch line gives the
# evaluation's time apart; none with --quiet
"$cnn" train --net lenet --data "$data" --limit 640 --epochs 2 --progress-every 0.01 \
    --out "$tmp/p.model" > "$tmp/p.out" 2> "$tmp/p.err" || fail "train --progress-every"
line='^epoch 2/2  step [0-9]+/10  lr [0-9.e-]+  loss [0-9.]+  acc [0-9.]+  [0-9]+ img/s  [0-9]+s left$'
[ "$(grep -Ec "$line" "$tmp/p.err")" -ge 2 ] || fail "no progress lines in a pipe: $(cat "$tmp/p.err")"
grep -Eq '^epoch 2/2  lr .*  [0-9.]+s \+ [0-9.]+s eval  [0-9]+ img/s$' "$tmp/p.out" ||
    fail "the epoch line does not give the evaluation's time: $(cat "$tmp/p.out")"
"$cnn" train --net lenet --data "$data" --limit 640 --epochs 1 --progress-every 0.01 --quiet \
    --out "$tmp/q.model" 2> "$tmp/q.err" || fail "train --quiet --progress-every"
[ ! -s "$tmp/q.err" ] || fail "--quiet printed progress: $(cat "$tmp/q.err")"
echo "progress: plain lines through a pipe, the evaluation's time apart, none with --quiet"
