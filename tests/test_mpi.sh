#!/bin/sh
# Training over MPI. test_dist: the shared gradient, loss, correct count and
# evaluation bit-identical to one process's for many batch sizes, on 1, 2
# and 4 processes. Then the cnn command: models byte-identical to one
# process's on 1, 2 and 4 processes at 1 and 2 threads; a run resumed under
# -np 2 equal to an uninterrupted one; SIGTERM to mpirun; a killed rank; a
# rank whose data is missing or different; 3 processes.
# usage: test_mpi.sh CNN SOURCE_ROOT TEST_DIST
. "$(dirname "$0")/setup.sh"
test_dist=$3
command -v mpirun > /dev/null ||
    { echo "skipped: no mpirun (tools/install-deps.sh installs openmpi-bin)"; exit 77; }
"$cnn" --version | grep -q "^MPI: not built in" &&
    { echo "skipped: cnn is built without MPI (-Dmpi=disabled)"; exit 77; }
# Open MPI refuses root unless told twice; 4 processes on a 2-core machine
# need --oversubscribe. Under AddressSanitizer, Open MPI's own allocations
# outlive MPI_Finalize in plugins it has unloaded, which no suppression can
# name: leak checking is off for these processes (the one-process tests
# check ours), every other check of the sanitizers stays on.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
mpi() { np=$1; shift; timeout -k 5 300 mpirun --oversubscribe -np "$np" "$@"; }

for np in 1 2 4; do
    mpi $np "$test_dist" || fail "test_dist on $np processes"
done

# the first 1,000 test digits: evaluation after each epoch stays short
python3 - "$(mnist_file t10k-images-idx3-ubyte)" "$(mnist_file t10k-labels-idx1-ubyte)" \
    "$tmp" <<'EOF' || fail "a small test set"
import gzip, struct, sys
def read(path):
    return (gzip.open if path.endswith('.gz') else open)(path, 'rb').read()
images, labels, n = read(sys.argv[1]), read(sys.argv[2]), 1000
rows, cols = struct.unpack('>II', images[8:16])
with open(sys.argv[3] + '/test-images', 'wb') as f:
    f.write(images[:4] + struct.pack('>I', n) + images[8:16] + images[16:16 + n * rows * cols])
with open(sys.argv[3] + '/test-labels', 'wb') as f:
    f.write(labels[:4] + struct.pack('>I', n) + labels[8:8 + n])
EOF
args="--data $data --test-images $tmp/test-images --test-labels $tmp/test-labels --limit 1500"
alone() { "$cnn" train $args --quiet "$@" || fail "cnn train $*"; }
on() { np=$1; shift; mpi $np "$cnn" train $args --quiet "$@" || fail "-np $np cnn train $*"; }

check() {   # NAME ARGS: one process on one thread against mpirun -np NP --threads T
    name=$1; shift
    alone "$@" --threads 1 --out "$tmp/$name.model"
    for np in 1 2 4; do
        for threads in 1 2; do
            [ $np = 1 ] && [ $threads = 1 ] && continue
            on $np "$@" --threads $threads --out "$tmp/$name-$np-$threads.model"
            cmp "$tmp/$name.model" "$tmp/$name-$np-$threads.model" ||
                fail "$name: -np $np --threads $threads differs from one process"
        done
    done
    echo "$name: -np 1, 2 and 4 at 1 and 2 threads: the one-process model, byte for byte"
}
check seed000 --net seed000 --epochs 2         # 8 shards of 4, the last batch 7
check lenet --net lenet --epochs 2             # 2 shards of 32: -np 4 leaves 2 idle
check lenet-b140 --net lenet --epochs 2 --batch 140   # 5 shards: blocks 4+1, 2+2+1+0

# resume under -np 2: 1 epoch, then on to 3, equals 3 at once
on 2 --net lenet --epochs 3 --out "$tmp/full.model"
on 2 --net lenet --epochs 1 --out "$tmp/part.model"
on 2 --resume "$tmp/part.model" --epochs 3
cmp "$tmp/full.model" "$tmp/part.model" || fail "-np 2: resumed run differs from uninterrupted"
echo "resume under -np 2: 1 + 2 epochs give the bytes of 3"

# the process ids of $1's children
children() { grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2> /dev/null | cut -d/ -f3; }
# wait up to 20 s for process $1 to end; its status in $status
ends_soon() {
    i=0
    while kill -0 "$1" 2> /dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$1" 2> /dev/null; then
        kill -9 "$1"
        fail "$2: mpirun still running after 20 s"
    fi
    wait "$1"
    status=$?
}
# start lenet for $2 epochs of 6,000 images on 2 processes in the background,
# writing $1; returns once its first model is on disk, mpirun's id in $pid.
# (An epoch of 1,500 images can end before a signal sent then arrives.)
long_args="--net lenet --limit 6000"
start_long() {
    mpirun --oversubscribe -np 2 "$cnn" train $args $long_args --epochs $2 --out "$1" \
        > "$1.out" 2>&1 &
    pid=$!
    while [ ! -f "$1" ] && kill -0 $pid 2> /dev/null; do sleep 0.02; done
    [ -f "$1" ] || fail "no model from $(cat "$1.out")"
}

# SIGTERM to mpirun: every process stops at the same step, rank 0 says so,
# and the last finished epoch's model resumes to the uninterrupted bytes
on 2 $long_args --epochs 3 --out "$tmp/long.model"
start_long "$tmp/int.model" 3   # the run of long.model, stopped in epoch 2
kill -TERM $pid
ends_soon $pid "SIGTERM"
[ $status -ne 0 ] || fail "SIGTERM: exit status 0"
grep -q "^cnn train: interrupted in epoch [0-9]*; .* holds epoch [0-9]*" "$tmp/int.model.out" ||
    fail "SIGTERM: $(cat "$tmp/int.model.out")"
"$cnn" info --model "$tmp/int.model" > /dev/null || fail "SIGTERM: the model on disk does not load"
on 2 --limit 6000 --resume "$tmp/int.model" --epochs 3
cmp "$tmp/int.model" "$tmp/long.model" ||
    fail "SIGTERM, resumed: differs from uninterrupted ($(grep '^cnn train' "$tmp/int.model.out"))"
echo "SIGTERM to mpirun: $(grep -c '^cnn train' "$tmp/int.model.out") line from rank 0, resumed to the same bytes"

# a rank killed: mpirun ends the other within seconds and names the dead one
start_long "$tmp/kill.model" 30
victim=$(children $pid | tail -n 1)
[ -n "$victim" ] || fail "no rank to kill"
kill -9 "$victim"
ends_soon $pid "a killed rank"
[ $status -ne 0 ] || fail "a killed rank: exit status 0"
grep -q "exited on signal 9" "$tmp/kill.model.out" || fail "a killed rank: $(cat "$tmp/kill.model.out")"
"$cnn" info --model "$tmp/kill.model" > /dev/null || fail "a killed rank: the model is damaged"
echo "a killed rank: $(grep 'exited on signal 9' "$tmp/kill.model.out" | sed 's/ with PID [0-9]*//')"

# one line from the process that failed, none from the others
one_line() {   # WHAT PATTERN
    [ $status -ne 0 ] || fail "$1: exit status 0"
    [ "$(grep -c '^cnn train' "$tmp/err")" -eq 1 ] && grep -q "$2" "$tmp/err" ||
        fail "$1: $(cat "$tmp/err")"
    echo "$1: $(grep '^cnn train' "$tmp/err")"
}
# MPMD: rank 1 gets other arguments, as a machine without the data would
mpirun -q --oversubscribe -np 1 "$cnn" train $args --out "$tmp/m.model" : \
    -np 1 "$cnn" train --data "$tmp/nowhere" --limit 1500 --out "$tmp/m.model" 2> "$tmp/err"
status=$?
one_line "data missing on rank 1" "^cnn train: rank 1 of 2 on .*: $tmp/nowhere: No such file"
mpirun -q --oversubscribe -np 1 "$cnn" train $args --out "$tmp/m.model" : \
    -np 1 "$cnn" train $args --limit 1400 --out "$tmp/m.model" 2> "$tmp/err"
status=$?
one_line "other data on rank 1" "^cnn train: rank 1 of 2 on .*: the training data here differs"
mpi 3 "$cnn" train $args --out "$tmp/m.model" > /dev/null 2> "$tmp/err"
status=$?
one_line "3 processes" "^cnn train: rank 0 of 3 on .*: 3 processes: training needs a power of two"
[ ! -f "$tmp/m.model" ] || fail "a failed start wrote a model"
