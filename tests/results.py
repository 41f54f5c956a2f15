#!/usr/bin/python3
"""Data for test_results.sh, the same bytes on every machine.

usage: results.py OUT

Writes OUT/grey (IDX files: 320 training and 64 test images, 28x28) and
OUT/colour (CIFAR-10 files: data_batch_1.bin with 320 records, test_batch.bin
with 64, 32x32x3). Class k of 10 is a bright bar at one of ten positions and
angles on noise, the pixels drawn from a fixed linear congruential generator:
no data set is needed, and the results depend on nothing but this file.
"""
import os
import struct
import sys


class Lcg:
    """Knuth's MMIX constants; the top byte of each state."""
    def __init__(self, seed):
        self.s = seed

    def byte(self):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return self.s >> 56


def image(rng, label, side, channels):
    """A bar for the label (its angle and offset) over noise, plane by plane."""
    out = bytearray()
    for c in range(channels):
        for y in range(side):
            for x in range(side):
                d = (x * (label % 5 + 1) + y * (label // 5 + 1) + 3 * label) % side
                bar = 200 if d < side // 5 else 0
                out.append(min(255, bar // (c + 1) + rng.byte() // 4))
    return bytes(out)


def images_and_labels(seed, n, side, channels):
    rng = Lcg(seed)
    labels = [(i * 7 + i // 10) % 10 for i in range(n)]
    return [image(rng, k, side, channels) for k in labels], labels


def write_idx(out, part, n, seed):
    images, labels = images_and_labels(seed, n, 28, 1)
    with open(os.path.join(out, part + '-images-idx3-ubyte'), 'wb') as f:
        f.write(struct.pack('>IIII', 0x803, n, 28, 28) + b''.join(images))
    with open(os.path.join(out, part + '-labels-idx1-ubyte'), 'wb') as f:
        f.write(struct.pack('>II', 0x801, n) + bytes(labels))


def write_cifar(path, n, seed):
    images, labels = images_and_labels(seed, n, 32, 3)
    with open(path, 'wb') as f:
        f.write(b''.join(bytes([k]) + img for k, img in zip(labels, images)))


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, 'grey'))
    os.makedirs(os.path.join(out, 'colour'))
    write_idx(os.path.join(out, 'grey'), 'train', 320, 1)
    write_idx(os.path.join(out, 'grey'), 't10k', 64, 2)
    write_cifar(os.path.join(out, 'colour', 'data_batch_1.bin'), 320, 3)
    write_cifar(os.path.join(out, 'colour', 'test_batch.bin'), 64, 4)


main()
