#!/bin/sh
# bench/throughput and PyTorch on the same networks, batches and threads, in
# one run, with the ratios side by side (needs Debian's python3-torch).
#   tools/compare-torch.sh [--net seed000,seed004,lenet,vgg,cifar] [--batch 1,16,64,256]
#                          [--threads 1,2] [--seconds 0.5] [--data DIR]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
nets=seed000,seed004,lenet,vgg,cifar batch=1,16,64,256 threads=1,2 seconds=0.5 data=""
while [ $# -gt 0 ]; do
    case $1 in
        --net) nets=$2 ;; --batch) batch=$2 ;; --threads) threads=$2 ;;
        --seconds) seconds=$2 ;; --data) data=$2 ;;
        *) echo "usage: $0 [--net LIST] [--batch LIST] [--threads LIST] [--seconds S] [--data DIR]" >&2
           exit 2 ;;
    esac
    shift 2
done
/usr/bin/python3 -c "import torch" 2>/dev/null ||
    { echo "compare-torch: needs python3-torch (apt-get install python3-torch)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set -- --batch "$batch" --threads "$threads" --seconds "$seconds"
[ -n "$data" ] && set -- "$@" --data "$data"
ours=""
for n in $(echo "$nets" | tr , ' '); do ours="$ours --net $n"; done
# shellcheck disable=SC2086
"$root/build/bench/throughput" $ours "$@" --json > "$tmp/ours.json"
/usr/bin/python3 "$root/tools/torch_throughput.py" --net "$nets" "$@" > "$tmp/torch.jsonl"
/usr/bin/python3 - "$tmp/ours.json" "$tmp/torch.jsonl" <<'PY'
import json, sys
import torch
rows = json.load(open(sys.argv[1]))
ours = {(r["net"], r["batch"], r["threads"]): r for r in rows}
if rows:   # what the speeds were measured on: no ratio means anything without it
    b = rows[0]["blas"]
    env = "OPENBLAS_CORETYPE=" + b["coretype_env"] if b["coretype_env"] else "OPENBLAS_CORETYPE unset"
    print("# %s; ours: OpenBLAS %s, %s kernels (%s), %s threading; PyTorch %s" % (
        rows[0]["cpu"], b["version"], b["kernel"], env, b["threading"], torch.__version__))
print("%-8s %5s %3s | %10s %10s %6s | %10s %10s %6s | %6s" % (
    "net", "batch", "thr", "train", "torch", "ratio", "infer", "torch", "ratio", "peak%"))
for line in open(sys.argv[2]):
    t = json.loads(line)
    o = ours.get((t["net"], t["batch"], t["threads"]))
    if not o or not o.get("ok"):
        continue
    print("%-8s %5d %3d | %10.0f %10.0f %5.1fx | %10.0f %10.0f %5.1fx | %5.1f%%" % (
        t["net"], t["batch"], t["threads"], o["train_img_s"], t["train_img_s"],
        o["train_img_s"] / t["train_img_s"], o["infer_img_s"], t["infer_img_s"],
        o["infer_img_s"] / t["infer_img_s"], 100 * o["peak_fraction"]))
PY
