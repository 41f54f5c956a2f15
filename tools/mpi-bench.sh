#!/bin/sh
# Data-parallel training speed on this machine: bench/mpi_throughput under
# mpirun with 1 process on every core, then 2 processes sharing the cores,
# for lenet and vgg (or the networks and batches given: extra arguments go
# to mpi_throughput, e.g. --batch 64,256 --seconds 5). Reports images/sec,
# ms per step, the part spent exchanging, and bytes sent per step and
# process. Run it on an otherwise idle machine.
# usage: tools/mpi-bench.sh [mpi_throughput options]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bench=$root/${BUILD:-build}/bench/mpi_throughput
[ -x "$bench" ] || { echo "mpi-bench: build first (tools/build.sh)" >&2; exit 1; }
command -v mpirun > /dev/null || { echo "mpi-bench: no mpirun (tools/install-deps.sh)" >&2; exit 1; }
cores=$(nproc)
# as root, Open MPI wants both confirmations; without binding, each process
# may use the cores its --threads ask for
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for np in 1 2; do
    threads=$((cores / np > 0 ? cores / np : 1))
    mpirun --oversubscribe --bind-to none -np $np "$bench" --threads $threads "$@"
done
