#!/bin/sh
# Faults during training: a real SIGKILL at several moments, Ctrl-C, a full
# disk (a file-size limit), a divergent run, damaged data and a model for
# another network. Each leaves the previous model intact or the new one whole,
# and a resumed run ends bit-identical to an uninterrupted one.
# usage: test_faults.sh CNN SOURCE_ROOT
. "$(dirname "$0")/setup.sh"
run="$cnn train --data $data --limit 6000 --epochs 8 --quiet"

$run --out "$tmp/full.model" || fail "uninterrupted run"

# SIGKILL at three moments after the first model is on disk: the file always
# loads, and resuming from it ends with the uninterrupted run's bytes.
for delay in 0.05 0.4 0.9; do
    rm -f "$tmp/k.model"
    $run --out "$tmp/k.model" &
    pid=$!
    while [ ! -f "$tmp/k.model" ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
    sleep $delay
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    "$cnn" info --model "$tmp/k.model" > "$tmp/info" || fail "killed after ${delay}s: model unreadable"
    epoch=$(sed -n 's/^model: \([0-9]*\) of.*/\1/p' "$tmp/info")
    if [ "$epoch" -lt 8 ]; then
        "$cnn" train --data "$data" --limit 6000 --quiet --resume "$tmp/k.model" ||
            fail "resume after kill"
    fi
    cmp "$tmp/k.model" "$tmp/full.model" || fail "killed at epoch $epoch, resumed: differs"
    echo "SIGKILL ${delay}s after the first save (epoch $epoch on disk): resumed bit-identical"
done

# Ctrl-C: exit status 130, the last finished epoch on disk, resumable
$run --out "$tmp/i.model" > /dev/null 2> "$tmp/int.err" &
pid=$!
while [ ! -f "$tmp/i.model" ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
kill -INT $pid
wait $pid
status=$?
[ $status -eq 130 ] || fail "SIGINT: exit status $status, not 130"
grep -q "interrupted in epoch" "$tmp/int.err" || fail "SIGINT: $(cat "$tmp/int.err")"
"$cnn" train --data "$data" --limit 6000 --quiet --resume "$tmp/i.model" || fail "resume after SIGINT"
cmp "$tmp/i.model" "$tmp/full.model" || fail "SIGINT, resumed: differs"
echo "SIGINT: exit 130, resumed bit-identical"

# a full disk (file-size limit): the save fails, the previous model stays
cp "$tmp/full.model" "$tmp/keep.model"
(ulimit -f 2; $run --out "$tmp/full.model" --seed 7) 2> "$tmp/disk.err"
[ $? -eq 1 ] || fail "full disk: exit status not 1"
grep -q "the previous file is kept" "$tmp/disk.err" || fail "full disk: $(cat "$tmp/disk.err")"
cmp "$tmp/full.model" "$tmp/keep.model" || fail "full disk: the previous model changed"
ls "$tmp" | grep -q "full.model.tmp" && fail "full disk: a temporary file was left"
echo "full disk: $(cat "$tmp/disk.err")"
# a new file on a full disk: none is left, and the message claims no previous one
(ulimit -f 2; $run --epochs 1 --out "$tmp/new.model") 2> "$tmp/new.err"
[ $? -eq 1 ] && grep -q "(nothing was written)" "$tmp/new.err" ||
    fail "full disk, new file: $(cat "$tmp/new.err")"
[ ! -e "$tmp/new.model" ] || fail "full disk, new file: a model was left"

# divergence (a linear layer with squared error and a huge rate grows without
# bound): stops naming epoch, step and layer; the model on disk is kept
printf 'input channels=1 height=28 width=28\ndense units=10\nloss mean-squared-error\n' \
    > "$tmp/linear.net"
"$cnn" train --net "$tmp/linear.net" --data "$data" --limit 2000 --epochs 3 --lr 50 --quiet \
    --out "$tmp/full.model" 2> "$tmp/nan.err"
[ $? -eq 1 ] || fail "divergence: exit status not 1"
grep -Eq "epoch 1 step [0-9]+ of [0-9]+: the (weights|outputs) of layer 1 \(dense, line 2\) went non-finite" \
    "$tmp/nan.err" || fail "divergence: $(cat "$tmp/nan.err")"
cmp "$tmp/full.model" "$tmp/keep.model" || fail "divergence: the previous model changed"
echo "divergence: $(cat "$tmp/nan.err")"

# damaged data and a model for another network: one line, exit 1, at once
mkdir "$tmp/d"
for f in train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    ln -s "$(mnist_file $f)" "$tmp/d/"
done
images=$(mnist_file train-images-idx3-ubyte)
head -c 100000 "$images" > "$tmp/d/${images##*/}"
"$cnn" train --data "$tmp/d" --out "$tmp/x.model" 2> "$tmp/idx.err"
[ $? -eq 1 ] && [ "$(wc -l < "$tmp/idx.err")" -eq 1 ] &&
    grep -q "${images##*/}: " "$tmp/idx.err" || fail "truncated data: $(cat "$tmp/idx.err")"
echo "truncated data: $(cat "$tmp/idx.err")"
# labels beyond the network's classes: the file, the image and the label named
printf '\000\000\010\001\000\000\000\003\001\014\002' > "$tmp/labels12"
printf '\000\000\010\003\000\000\000\003\000\000\000\034\000\000\000\034' > "$tmp/images3"
head -c 2352 /dev/zero >> "$tmp/images3"
"$cnn" train --train-images "$tmp/images3" --train-labels "$tmp/labels12" \
    --test-images "$tmp/images3" --test-labels "$tmp/labels12" --out "$tmp/y.model" 2> "$tmp/lab.err"
[ $? -eq 1 ] && grep -q "labels12: label 12 of image 1 is out of range for a network with 10 classes" \
    "$tmp/lab.err" || fail "label range: $(cat "$tmp/lab.err")"
echo "labels out of range: $(cat "$tmp/lab.err")"
"$cnn" train --data "$data" --resume "$tmp/keep.model" --net lenet --epochs 9 2> "$tmp/net.err"
[ $? -eq 1 ] && grep -q "is for a different network than lenet" "$tmp/net.err" ||
    fail "other network: $(cat "$tmp/net.err")"
echo "other network: $(cat "$tmp/net.err")"

# A second Ctrl-C or SIGTERM ends the run at once, whatever it is doing: both
# arrive while it is stopped, so the first has no chance to end it first.
$run --out "$tmp/s.model" 2> "$tmp/sig.err" &
pid=$!
while [ ! -f "$tmp/s.model" ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
kill -STOP $pid
kill -INT $pid
kill -TERM $pid
kill -CONT $pid
wait $pid
status=$?
[ $status -eq 130 ] || [ $status -eq 143 ] || fail "second signal: exit status $status"
grep -q "stopped at once by a second signal; the model on disk is the last one saved" \
    "$tmp/sig.err" || fail "second signal: $(cat "$tmp/sig.err")"
"$cnn" info --model "$tmp/s.model" > /dev/null || fail "second signal: the model is damaged"
echo "second signal: exit $status, $(tr -d '\n' < "$tmp/sig.err")"

# Memory limits: OpenBLAS retries a refused buffer forever, so each run must
# check first and say "out of memory" (timeout turns a hang into a failure).
# Sanitizers reserve terabytes of address space: no limits for them.
if grep -q __asan_init "$cnn"; then
    echo "memory limits: skipped under AddressSanitizer"
    exit 0
fi
zcat -f "$(mnist_file t10k-images-idx3-ubyte)" | head -c $((16 + 300 * 784)) | tail -c +17 > "$tmp/px"
zcat -f "$(mnist_file t10k-labels-idx1-ubyte)" | head -c $((8 + 300)) | tail -c +9 > "$tmp/lb"
{ printf '\000\000\010\003\000\000\001\054\000\000\000\034\000\000\000\034'; cat "$tmp/px"; } \
    > "$tmp/i300"
{ printf '\000\000\010\001\000\000\001\054'; cat "$tmp/lb"; } > "$tmp/l300"
small="--train-images $tmp/i300 --train-labels $tmp/l300 --test-images $tmp/i300 \
       --test-labels $tmp/l300 --epochs 1 --quiet"
limited() {   # limited KIB WHAT STATUS MESSAGE CMD...
    kib=$1 what=$2 want=$3 msg=$4
    shift 4
    (ulimit -v "$kib" && exec timeout 60 "$@") > /dev/null 2> "$tmp/mem.err"
    status=$?
    [ $status -eq "$want" ] || fail "$what: exit status $status, not $want: $(cat "$tmp/mem.err")"
    [ -z "$msg" ] || grep -q -- "$msg" "$tmp/mem.err" || fail "$what: $(cat "$tmp/mem.err")"
    echo "$what (ulimit -v $kib): exit $status $(cat "$tmp/mem.err")"
}
limited 100000 "no room for OpenBLAS to load" 1 \
    "cnn: out of memory: OpenBLAS needs 136 MiB of address space to start" "$cnn" --help
limited 250000 "room for OpenBLAS, --help" 0 "" "$cnn" --help
limited 250000 "no room for a training thread" 1 \
    "cnn train: out of memory: OpenBLAS and the run need" "$cnn" train $small --out "$tmp/mem.model"
limited 700000 "8 threads asked" 1 \
    "cnn train: out of memory: 8 threads need .* would fit (--threads " \
    "$cnn" train $small --threads 8 --out "$tmp/mem.model"
"$cnn" train $small --threads 1 --out "$tmp/one.model" || fail "1 thread"
limited 500000 "room for 1 or 2 threads, the default" 0 "" \
    "$cnn" train $small --out "$tmp/mem.model"
cmp "$tmp/mem.model" "$tmp/one.model" || fail "under a limit: a different model"
limited 250000 "eval without room" 1 "cnn eval: out of memory" \
    "$cnn" eval --model "$tmp/one.model" --images "$tmp/i300" --labels "$tmp/l300"
limited 250000 "show --maps without room" 1 "cnn show: out of memory" \
    "$cnn" show --model "$tmp/one.model" --maps "$tmp/maps.pgm" --data "$data"
