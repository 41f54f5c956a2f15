#!/bin/sh
# The trainer's options end to end on real digits: on lenet with dropout
# and Adam (whose moments and step count the model keeps), 1 and 2 threads,
# and 1 + 2 resumed epochs against 3, are byte-identical; each optimiser
# trains; the schedules' rates are logged; bad values exit 2 with a reason.
# usage: test_trainer.sh CNN SOURCE_ROOT
. "$(dirname "$0")/setup.sh"
train() { "$cnn" train --data "$data" --limit 1000 --quiet "$@" || fail "cnn train $*"; }

# lenet with dropout after its conv layers and its hidden dense layer
sed -e 's/^\(maxpool.*\)$/\1\ndropout rate=0.25/' -e 's/^\(dense units=500.*\)$/\1\ndropout rate=0.5/' \
    "$root/src/nets/lenet.net" > "$tmp/dropout.net"
[ "$(grep -c '^dropout' "$tmp/dropout.net")" -eq 3 ] || fail "no dropout in $(cat "$tmp/dropout.net")"
adam="--net $tmp/dropout.net --optimizer adam --lr 0.001 --weight-decay 1e-4 --batch 50
      --val 200 --keep-best"
train $adam --epochs 2 --threads 1 --out "$tmp/adam-1.model"
train $adam --epochs 2 --threads 2 --out "$tmp/adam-2.model"
cmp "$tmp/adam-1.model" "$tmp/adam-2.model" || fail "adam: 1 and 2 threads differ"
cmp "$tmp/adam-1.model.best" "$tmp/adam-2.model.best" || fail "adam: 1 and 2 threads' best differ"
# info --model names the optimiser and its settings, and the validation
"$cnn" info --model "$tmp/adam-1.model" > "$tmp/info" || fail "info --model of the Adam run"
grep -q "^model: 2 of 2 epochs trained, batch 50, adam (beta1 0.9, beta2 0.999, eps 1e-08), lr 0.001 " "$tmp/info" &&
    grep -q "^validation: [0-9]* images held out (seed [0-9]*); best epoch [12], accuracy 0\.[0-9]*; --keep-best" "$tmp/info" ||
    fail "info --model: $(cat "$tmp/info")"
echo "adam + dropout: 1 thread and 2 threads give byte-identical models"
train $adam --epochs 3 --out "$tmp/full.model"
train $adam --epochs 1 --out "$tmp/part.model"
train --resume "$tmp/part.model" --epochs 3
cmp "$tmp/full.model" "$tmp/part.model" || fail "adam: resumed run differs from uninterrupted"
cmp "$tmp/full.model.best" "$tmp/part.model.best" || fail "adam: resumed run's best differs"
echo "adam + dropout: 1 + 2 resumed epochs give the byte-identical model of 3 epochs"

# augmentation (--flip, --crop) is drawn from the run's seed: the same for any
# thread count and after a resume; the model records it; and it changes the run
aug="--net seed000 --flip --crop 2"
train $aug --epochs 2 --threads 1 --out "$tmp/aug-1.model"
train $aug --epochs 2 --threads 2 --out "$tmp/aug-2.model"
cmp "$tmp/aug-1.model" "$tmp/aug-2.model" || fail "--flip --crop: 1 and 2 threads differ"
train $aug --epochs 1 --out "$tmp/aug-part.model"
train --resume "$tmp/aug-part.model" --epochs 2
cmp "$tmp/aug-1.model" "$tmp/aug-part.model" || fail "--flip --crop: resumed run differs"
"$cnn" info --model "$tmp/aug-1.model" | grep -q "^model: .*shift 2, flip$" ||
    fail "the model does not record the augmentation: $("$cnn" info --model "$tmp/aug-1.model")"
train --net seed000 --crop 2 --epochs 2 --out "$tmp/crop.model"
cmp -s "$tmp/crop.model" "$tmp/aug-1.model" && fail "--flip changed nothing"
printf '%s\n' "$(grep -v '^train' "$root/src/nets/seed000.net")" 'train flip=1 crop=2 epochs=2' \
    > "$tmp/aug.net"
train --net "$tmp/aug.net" --out "$tmp/aug-line.model"
"$cnn" info --model "$tmp/aug-line.model" | grep -q "^model: .*shift 2, flip$" ||
    fail "the train line's flip=1 crop=2 are not used"
echo "--flip --crop 2: 1 and 2 threads, and 1 + 1 resumed epochs, give byte-identical models; the train line sets them"

# every optimiser learns: test accuracy after one epoch on 1,000 digits
for opt in "sgd --lr 0.05" "nesterov --lr 0.05" "adam --lr 0.002" "adamw --lr 0.002"; do
    "$cnn" train --data "$data" --limit 1000 --net lenet --epochs 1 --optimizer $opt \
        --out "$tmp/o.model" > "$tmp/out.txt" || fail "--optimizer $opt"
    acc=$(sed -n 's/.*test loss [0-9.]* acc \([0-9.]*\).*/\1/p' "$tmp/out.txt")
    grep -q "^training .*, ${opt%% *}, lr" "$tmp/out.txt" || fail "$opt: not named: $(head -n 1 "$tmp/out.txt")"
    awk -v a="$acc" 'BEGIN { exit !(a > 0.5) }' || fail "--optimizer $opt: test accuracy $acc"
    echo "--optimizer $opt: test accuracy $acc after 1 epoch on 1,000 digits"
done

# the rate in force goes to the progress line and the CSV log
"$cnn" train --data "$data" --limit 300 --epochs 3 --schedule step --step-every 1 --gamma 0.5 \
    --warmup 1 --lr 0.04 --log "$tmp/log.csv" --out "$tmp/s.model" > "$tmp/out.txt" ||
    fail "step schedule"
rates=$(cut -d, -f8 "$tmp/log.csv" | tr '\n' ' ')
[ "$rates" = "lr 0.02 0.04 0.02 " ] || fail "step schedule with warm-up: rates $rates"
[ "$(sed -n 's/^epoch [0-9/]*  lr \([0-9.]*\) .*/\1/p' "$tmp/out.txt" | tr '\n' ' ')" = \
  "0.02 0.04 0.02 " ] || fail "progress lines: $(cat "$tmp/out.txt")"
echo "--warmup 1 --schedule step: rates 0.02 0.04 0.02 in the log and the progress lines"

# --val: validation in the progress line and the log; --patience stops a run
# whose validation accuracy cannot improve (a rate too small to move it)
"$cnn" train --data "$data" --limit 600 --epochs 6 --lr 1e-9 --schedule constant --val 100 \
    --patience 2 --log "$tmp/val.csv" --out "$tmp/p.model" > "$tmp/out.txt" || fail "--patience"
grep -q "^stopped after epoch 3: no better validation accuracy in 2 epochs (best .*, epoch 1)" \
    "$tmp/out.txt" || fail "--patience 2: $(cat "$tmp/out.txt")"
[ "$(grep -c "val loss [0-9.]* acc [0-9.]*" "$tmp/out.txt")" -eq 3 ] || fail "no val in progress"
[ "$(cut -d, -f9,10 "$tmp/val.csv" | grep -c '^[0-9.]*,[0-9.]*$')" -eq 3 ] || fail "no val in log"
echo "--val 100 --patience 2: validation reported, stopped after epoch 3"

# bad values: exit 2, one line naming the option
for args in "--beta2 1" "--beta1 1" "--eps 0" "--optimizer rmsprop" "--schedule exp" \
            "--gamma 0" "--gamma 2" "--step-every 0" "--warmup -1" "--val 10000" \
            "--patience 2" "--keep-best"; do
    "$cnn" train --data "$data" $args > /dev/null 2> "$tmp/err"
    [ $? -eq 2 ] || fail "cnn train $args: exit status not 2"
    [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "^cnn train: ${args% *} " "$tmp/err" ||
        fail "cnn train $args: $(cat "$tmp/err")"
done
echo "bad optimiser and schedule values: exit 2 with a one-line reason"
# a resumed run's holdout comes from its model, not from an option: on data
# too small for it, exit 1 naming the model, not a usage error
"$cnn" train --data "$data" --limit 600 --val 100 --epochs 1 --quiet --out "$tmp/v.model" ||
    fail "train --val 100"
gzip -dcf "$(mnist_file train-images-idx3-ubyte)" 2> /dev/null | head -c $((16 + 50 * 784)) |
    { printf '\000\000\010\003\000\000\000\062'; tail -c +9; } > "$tmp/img50"
gzip -dcf "$(mnist_file train-labels-idx1-ubyte)" 2> /dev/null | head -c 58 |
    { printf '\000\000\010\001\000\000\000\062'; tail -c +9; } > "$tmp/lab50"
"$cnn" train --resume "$tmp/v.model" --epochs 2 --train-images "$tmp/img50" \
    --train-labels "$tmp/lab50" --test-images "$(mnist_file t10k-images-idx3-ubyte)" \
    --test-labels "$(mnist_file t10k-labels-idx1-ubyte)" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "^cnn train: $tmp/v.model holds out 100 images (its --val): .* 1 to 49" \
    "$tmp/err" || fail "resume on 50 images with --val 100: $(cat "$tmp/err")"
echo "a model's --val on too little data: exit 1, named as the model's"
# dropout rate=1 would drop everything: the description is refused at its
# line (exit 1, as every bad description file)
sed 's/^dropout rate=0.5/dropout rate=1/' "$tmp/dropout.net" > "$tmp/rate1.net"
"$cnn" train --net "$tmp/rate1.net" --data "$data" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] &&
    grep -q "^cnn train: $tmp/rate1.net:[0-9]*: rate=1 is out of range (0 to 0.99)" "$tmp/err" ||
    fail "dropout rate=1: $(cat "$tmp/err")"
echo "dropout rate=1: refused at its line"
