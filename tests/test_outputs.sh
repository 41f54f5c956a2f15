#!/bin/sh
# What the commands write: an output that is a device, a FIFO, one of the
# run's inputs or another of its outputs is refused before any work; output
# lost to a full device or a closed stdout fails the command; a second run on
# the same model is refused naming the first; stale temporary files go (only
# those a save left: mode 0600, the model magic or empty), neither the lock
# file nor the log is written through a symlink; and
# models keep the replaced file's mode, else follow the umask.
# usage: test_outputs.sh CNN SOURCE_ROOT
. "$(dirname "$0")/setup.sh"
small="--limit 200 --epochs 1 --quiet"
images=$(mnist_file t10k-images-idx3-ubyte) labels=$(mnist_file t10k-labels-idx1-ubyte)
"$cnn" train --data "$data" $small --out "$tmp/m.model" || fail "train"
cp "$tmp/m.model" "$tmp/m.copy"

# expect STATUS WHAT MESSAGE CMD...: the exit status and the one-line reason
expect() {
    want=$1 what=$2 msg=$3
    shift 3
    "$@" > "$tmp/out" 2> "$tmp/err"
    status=$?
    [ $status -eq "$want" ] || fail "$what: exit status $status, not $want: $(cat "$tmp/err")"
    grep -q -- "$msg" "$tmp/err" || fail "$what: '$(cat "$tmp/err")' does not say '$msg'"
    [ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "$what: more than one line: $(cat "$tmp/err")"
    echo "$what: $(cat "$tmp/err")"
}

# --- outputs that are not files to replace, or are the run's own files ---
mkfifo "$tmp/fifo"
expect 1 "--out FIFO" "fifo: is a FIFO; --out must name a regular file or a new one" \
    "$cnn" train --data "$data" $small --out "$tmp/fifo"
[ -p "$tmp/fifo" ] || fail "--out FIFO: the FIFO was replaced"
if mknod "$tmp/null" c 1 3 2>/dev/null; then   # a /dev/null of our own (root only)
    expect 1 "--out device" "null: is a character device" \
        "$cnn" train --data "$data" $small --out "$tmp/null"
    expect 1 "show --kernels device" "null: is a character device" \
        "$cnn" show --model "$tmp/m.model" --kernels "$tmp/null"
    [ -c "$tmp/null" ] || fail "a device was replaced"
fi
expect 2 "--out ''" "--out: an empty name" "$cnn" train --data "$data" --out ''
expect 2 "--log ''" "--log: an empty name" "$cnn" train --data "$data" --log ''
expect 2 "show --kernels ''" "--kernels: an empty name" \
    "$cnn" show --model "$tmp/m.model" --kernels ''
expect 1 "--log = --out" "is the same file as --out" \
    "$cnn" train --data "$data" $small --out "$tmp/m.model" --log "$tmp/m.model"
expect 1 "--log = --resume" "is the same file as --resume" \
    "$cnn" train --data "$data" --resume "$tmp/m.model" --epochs 2 --log "$tmp/m.model"
cmp "$tmp/m.model" "$tmp/m.copy" || fail "a refused run changed the model"
zcat -f "$images" > "$tmp/images"   # a data file of our own, to keep
cp "$tmp/images" "$tmp/images.copy"
expect 1 "--out = a data file" "images: is the same file as --train-images" \
    "$cnn" train --train-images "$tmp/images" --train-labels "$labels" \
    --test-images "$images" --test-labels "$labels" $small \
    --out "$tmp/images"
expect 1 "--log = a data file" "is the same file as --test-images" \
    "$cnn" train --data "$data" $small --test-images "$tmp/images" \
    --test-labels "$labels" --log "$tmp/images"
ln -s "$tmp/images" "$tmp/images.link"
expect 1 "--log = a data file through a link" "is the same file as --test-images" \
    "$cnn" train --data "$data" $small --test-images "$tmp/images" \
    --test-labels "$labels" --log "$tmp/images.link"
expect 1 "show --kernels = the model" "is the same file as --model" \
    "$cnn" show --model "$tmp/m.model" --kernels "$tmp/m.model"
expect 1 "export --onnx = the model" "is the same file as --model" \
    "$cnn" export --model "$tmp/m.model" --onnx "$tmp/m.model"
expect 1 "export --c FIFO" "fifo: is a FIFO; --c must name a regular file or a new one" \
    "$cnn" export --model "$tmp/m.model" --c "$tmp/fifo"
expect 2 "export --c ''" "--c: an empty name" "$cnn" export --model "$tmp/m.model" --c ''
expect 1 "--log = OUT.best" "is the same file as --keep-best" \
    "$cnn" train --data "$data" $small --val 50 --keep-best --out "$tmp/k.model" \
    --log "$tmp/k.model.best"
cp "$tmp/images" "$tmp/d.best"
expect 1 "OUT.best = a data file" "d.best: is the same file as --train-images" \
    "$cnn" train --train-images "$tmp/d.best" --train-labels "$labels" \
    --test-images "$images" --test-labels "$labels" $small --val 50 --keep-best \
    --out "$tmp/d"
cmp "$tmp/d.best" "$tmp/images" || fail "OUT.best = a data file: the data file changed"
cmp "$tmp/images" "$tmp/images.copy" && cmp "$tmp/m.model" "$tmp/m.copy" ||
    fail "a refused run changed its input"
"$cnn" train --data "$data" $small --resume "$tmp/m.copy" --epochs 2 --out "$tmp/m.copy" ||
    fail "--resume M --out M: the model is written back"

# --- lost output ---
for cmd in "info --model $tmp/m.model" "eval --model $tmp/m.model --data $data" \
           "predict --model $tmp/m.model $images" "--help"; do
    expect 1 "cnn $cmd > /dev/full" "standard output: write failed: No space left on device" \
        sh -c "\"\$0\" $cmd > /dev/full" "$cnn"
    expect 1 "cnn $cmd >&-" "standard output: write failed: Bad file descriptor" \
        sh -c "\"\$0\" $cmd >&-" "$cnn"
done
expect 1 "train > /dev/full" "epoch 1: standard output: write failed: No space left" \
    sh -c "\"\$0\" train --data \"\$1\" --limit 200 --epochs 2 --out \"\$2\" > /dev/full" \
    "$cnn" "$data" "$tmp/full.model"
"$cnn" info --model "$tmp/full.model" | grep -q "^model: 1 of 2 epochs" ||
    fail "train > /dev/full: the model of epoch 1 is not on disk"
expect 1 "train >&-" "epoch 1: standard output: write failed: Bad file descriptor" \
    sh -c "\"\$0\" train --data \"\$1\" --limit 200 --epochs 1 --out \"\$2\" >&-" \
    "$cnn" "$data" "$tmp/closed.model"
"$cnn" info --model "$tmp/closed.model" > /dev/null || fail "train >&-: the model is damaged"
expect 1 "--log /dev/full" "/dev/full: write failed: No space left on device" \
    "$cnn" train --data "$data" $small --out "$tmp/l.model" --log /dev/full
# a log on a really full file system (a 64 KiB tmpfs, filled): root only
mkdir "$tmp/disk"
if mount -t tmpfs -o size=64k tmpfs "$tmp/disk" 2>/dev/null; then
    dd if=/dev/zero of="$tmp/disk/fill" bs=4k 2>/dev/null
    "$cnn" train --data "$data" $small --out "$tmp/l.model" --log "$tmp/disk/log.csv" \
        2> "$tmp/err"
    status=$?
    umount "$tmp/disk"
    [ $status -eq 1 ] && grep -q "log.csv: write failed: No space left on device" "$tmp/err" ||
        fail "--log on a full disk: status $status, $(cat "$tmp/err")"
    echo "--log on a full tmpfs: $(cat "$tmp/err")"
fi

# --- a reader gone, a file-size limit: one line, exit 1, nothing half-written ---
{ "$cnn" predict --model "$tmp/m.model" --all "$images" 2> "$tmp/err"; echo $? > "$tmp/status"; } |
    head -n 1 > /dev/null
[ "$(cat "$tmp/status")" -eq 1 ] && grep -q "standard output: write failed: Broken pipe" "$tmp/err" ||
    fail "predict | head -1: status $(cat "$tmp/status"), $(cat "$tmp/err")"
echo "predict | head -1: $(cat "$tmp/err")"
mkfifo "$tmp/log.fifo"
head -c 10 "$tmp/log.fifo" > /dev/null &
"$cnn" train --data "$data" --limit 300 --epochs 3 --quiet --out "$tmp/pipe.model" \
    --log "$tmp/log.fifo" 2> "$tmp/err"
status=$?
wait
[ $status -eq 1 ] && grep -q "log.fifo: write failed: Broken pipe; .*pipe.model holds epoch 1" \
    "$tmp/err" || fail "--log FIFO whose reader quit: status $status, $(cat "$tmp/err")"
[ -e "$tmp/pipe.model.lock" ] && fail "--log FIFO whose reader quit: the lock file was left"
"$cnn" info --model "$tmp/pipe.model" | grep -q "model: 1 of 3 epochs trained" ||
    fail "--log FIFO whose reader quit: the model of epoch 1 is not intact"
echo "--log FIFO whose reader quit: $(cat "$tmp/err")"
(ulimit -f 4; exec "$cnn" export --model "$tmp/m.model" --onnx "$tmp/big.onnx") 2> "$tmp/err"
status=$?
[ $status -eq 1 ] && grep -q "big.onnx: write failed: File too large" "$tmp/err" ||
    fail "export under ulimit -f: status $status, $(cat "$tmp/err")"
ls "$tmp" | grep -q '^big.onnx' && fail "export under ulimit -f left $(ls "$tmp" | grep '^big')"
echo "export under ulimit -f 4: $(cat "$tmp/err")"

# --- two runs, one model: the second is refused, naming the first ---
"$cnn" train --data "$data" --limit 3000 --epochs 4 --quiet --out "$tmp/lock.model" &
pid=$!
while [ ! -f "$tmp/lock.model.lock" ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
expect 1 "a second run on the same --out" "another run (cnn, process $pid) is writing this model" \
    "$cnn" train --data "$data" $small --out "$tmp/lock.model"
wait $pid || fail "the first run failed"
[ -e "$tmp/lock.model.lock" ] && fail "the lock file was left behind"
# with --keep-best, OUT.best is the run's too: another run may not write it
"$cnn" train --data "$data" --limit 3000 --epochs 4 --quiet --val 100 --keep-best \
    --out "$tmp/kb.model" &
pid=$!
while [ ! -f "$tmp/kb.model.best.lock" ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
expect 1 "a run on another's OUT.best" "another run (cnn, process $pid) is writing this model" \
    "$cnn" train --data "$data" $small --out "$tmp/kb.model.best"
wait $pid || fail "the --keep-best run failed"
[ -e "$tmp/kb.model.lock" ] || [ -e "$tmp/kb.model.best.lock" ] && fail "a lock file was left behind"
# a run killed holding the lock, and while saving: the next run takes over
"$cnn" train --data "$data" --limit 3000 --epochs 4 --quiet --out "$tmp/lock.model" &
pid=$!
while [ ! -f "$tmp/lock.model.lock" ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
kill -9 $pid
wait $pid 2>/dev/null
# as a save cut short by SIGKILL leaves it: mode 0600, the model's magic or
# nothing yet; files under such names that are not that are the user's
( umask 077; printf 'CNNMODEL\005\000' > "$tmp/lock.model.tmp.Ab12Cd"
  : > "$tmp/lock.model.best.tmp.Ef34Gh" )   # the same of --keep-best's model, empty
echo mine > "$tmp/lock.model.tmp.notes"
echo backup > "$tmp/lock.model.tmp.backup"
( umask 077; echo secret > "$tmp/lock.model.tmp.secret" )   # 0600, but not a model
cp "$tmp/lock.model.tmp.Ab12Cd" "$tmp/lock.model.tmp.mycopy" && chmod 644 "$tmp/lock.model.tmp.mycopy"
"$cnn" train --data "$data" $small --val 50 --keep-best --out "$tmp/lock.model" 2> "$tmp/err" ||
    fail "after a killed run: $(cat "$tmp/err")"
[ -e "$tmp/lock.model.tmp.Ab12Cd" ] && fail "a stale temporary file was left"
[ -e "$tmp/lock.model.best.tmp.Ef34Gh" ] && fail "a stale temporary file of OUT.best was left"
for f in notes backup mycopy secret; do
    [ -e "$tmp/lock.model.tmp.$f" ] || fail "the user's lock.model.tmp.$f was removed"
done
# the lock file is never made through a symlink
echo PRECIOUS > "$tmp/victim"
ln -s "$tmp/victim" "$tmp/sym.model.lock"
"$cnn" train --data "$data" $small --out "$tmp/sym.model" 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "cannot create its lock file" "$tmp/err" ||
    fail "a symlinked lock file: $(cat "$tmp/err")"
[ "$(cat "$tmp/victim")" = PRECIOUS ] && [ ! -e "$tmp/sym.model" ] || fail "written through the lock's symlink"
# nor the log, which a resumed run appends to under one header
ln -s "$tmp/victim" "$tmp/sym.csv"
"$cnn" train --data "$data" $small --log "$tmp/sym.csv" --out "$tmp/log.model" 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "sym.csv: cannot write the log: it is a symlink" "$tmp/err" &&
    [ "$(cat "$tmp/victim")" = PRECIOUS ] || fail "--log through a symlink: $(cat "$tmp/err")"
"$cnn" train --data "$data" $small --log "$tmp/log.csv" --out "$tmp/log.model" &&
    "$cnn" train --data "$data" --resume "$tmp/log.model" --epochs 2 --quiet --log "$tmp/log.csv" ||
    fail "a resumed run with --log"
[ "$(grep -c '^epoch,' "$tmp/log.csv")" -eq 1 ] && [ "$(wc -l < "$tmp/log.csv")" -eq 3 ] ||
    fail "the resumed log: $(cat "$tmp/log.csv")"
[ -e "$tmp/lock.model.lock" ] && fail "the lock file was left behind"
echo "after SIGKILL: the next run takes the model over and removes its stale temporary file"

# --- file modes: the replaced file's, else what the umask allows ---
rm -f "$tmp/mode.model"
(umask 027 && "$cnn" train --data "$data" $small --out "$tmp/mode.model") || fail "umask run"
[ "$(stat -c %a "$tmp/mode.model")" = 640 ] ||
    fail "umask 027: mode $(stat -c %a "$tmp/mode.model"), not 640"
chmod 604 "$tmp/mode.model"
"$cnn" train --data "$data" $small --resume "$tmp/mode.model" --epochs 2 || fail "resume"
[ "$(stat -c %a "$tmp/mode.model")" = 604 ] ||
    fail "replaced 604 file: mode $(stat -c %a "$tmp/mode.model")"
echo "modes: a new model 640 under umask 027, a replaced 604 model stays 604"
