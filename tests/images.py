#!/usr/bin/python3
"""Image data for test_images.sh, and OpenCV's view of it.

usage: images.py digits MNIST_DIR OUT N_TRAIN N_TEST
       images.py colour MNIST_DIR OUT N_TRAIN N_TEST
       images.py kinds OUT
       images.py compare IMAGE_DUMP FILE...
       images.py bad OUT
       images.py resize IMAGE_DUMP OUT

digits: the first N_TRAIN training and N_TEST test digits of an MNIST folder
  as class folders of PNG, PGM and JPEG (quality 100) files, OUT/{png,pgm,
  jpeg}/{train,test}/<label>/<index>.<ext>, and as IDX files in the order the
  folders are read (class, then name): OUT/idx from the digits themselves,
  OUT/idx-jpeg from what OpenCV decodes of the JPEGs.
colour: the same digits, 32x32, drawn in their class's colour on a grey
  background, as PNG folders (OUT/png), JPEG folders (OUT/jpeg) and CIFAR-10
  binary files with batches.meta.txt (OUT/cifar), the records in folder order.
kinds: 8x8 PNGs of every colour type and bit depth of 8 and less (written
  here, not by OpenCV: palettes, transparency), JPEGs written by OpenCV (grey
  and colour, baseline and progressive), PGM and PPM, into OUT.
compare: each FILE decoded by IMAGE_DUMP, as 1 and as 3 channels, against
  OpenCV's pixels (cv2.imread, IMREAD_UNCHANGED) converted by the engine's
  documented rules; prints one line per file, exit 1 on any difference.
bad: hostile files, one per folder OUT/<case>/{train,test}/..., each a data
  folder that must be refused.
resize: images of other sizes (larger, smaller, other aspect ratios) scaled
  by IMAGE_DUMP --resize to 28x28 and 32x24, against the rule computed here
  in numpy (cover the target, centre crop, area averaging) exactly, and
  against OpenCV's INTER_AREA where the factor is whole (256 to 32) within
  one level; also OUT/{train,test}/<class>/ folders of mixed sizes.
"""
import gzip
import os
import struct
import sys
import zlib

import cv2
import numpy as np

COLOURS = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
           (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212)]


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist(folder, part):
    def find(name):
        path = os.path.join(folder, name)
        return path + ".gz" if os.path.exists(path + ".gz") else path
    return (read_idx(find(part + "-images-idx3-ubyte")),
            read_idx(find(part + "-labels-idx1-ubyte")))


def write_idx(folder, part, images, labels):
    os.makedirs(folder, exist_ok=True)
    n, h, w = images.shape
    with open(os.path.join(folder, part + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, h, w) + images.astype(np.uint8).tobytes())
    with open(os.path.join(folder, part + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + bytes(int(v) for v in labels))


def write_pnm(path, img):
    magic = b"P5" if img.ndim == 2 else b"P6"
    h, w = img.shape[:2]
    with open(path, "wb") as f:
        f.write(b"%s\n%d %d\n255\n" % (magic, w, h) + img.tobytes())


def subsets(folder, n_train, n_test):
    for part, idx_part, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        images, labels = mnist(folder, idx_part)
        yield part, idx_part, images[:n], labels[:n]


def folder_order(labels):
    """The order the engine reads class folders in: by class, then by name
    (zero-padded indices sort as numbers)."""
    return sorted(range(len(labels)), key=lambda i: (str(labels[i]), i))


def digits(folder, out, n_train, n_test):
    for part, idx_part, images, labels in subsets(folder, n_train, n_test):
        order = folder_order(labels)
        jpeg_decoded = []
        for i in order:
            for kind in ("png", "pgm", "jpeg"):
                d = os.path.join(out, kind, part, str(labels[i]))
                os.makedirs(d, exist_ok=True)
            base = "%05d" % i
            cv2.imwrite(os.path.join(out, "png", part, str(labels[i]), base + ".png"), images[i])
            write_pnm(os.path.join(out, "pgm", part, str(labels[i]), base + ".pgm"), images[i])
            jpeg = os.path.join(out, "jpeg", part, str(labels[i]), base + ".jpg")
            cv2.imwrite(jpeg, images[i], [cv2.IMWRITE_JPEG_QUALITY, 100])
            jpeg_decoded.append(cv2.imread(jpeg, cv2.IMREAD_UNCHANGED))
        write_idx(os.path.join(out, "idx"), idx_part, images[order], labels[order])
        write_idx(os.path.join(out, "idx-jpeg"), idx_part, np.array(jpeg_decoded),
                  labels[order])


def colour(folder, out, n_train, n_test):
    names = ["%d-%s" % (k, c) for k, c in enumerate(
        ["red", "green", "yellow", "blue", "orange", "purple", "cyan", "magenta", "lime",
         "pink"])]
    os.makedirs(os.path.join(out, "cifar"), exist_ok=True)
    with open(os.path.join(out, "cifar", "batches.meta.txt"), "w") as f:
        f.write("\n".join(names) + "\n\n")
    for part, _, images, labels in subsets(folder, n_train, n_test):
        records = []
        for i in folder_order(labels):
            k = int(labels[i])
            digit = np.pad(images[i], 2).astype(np.float32) / 255
            rgb = np.empty((32, 32, 3), np.uint8)
            for c in range(3):   # the digit in its class colour over mid grey
                rgb[:, :, c] = np.rint(96 * (1 - digit) + COLOURS[k][c] * digit)
            for kind in ("png", "jpeg"):
                os.makedirs(os.path.join(out, kind, part, names[k]), exist_ok=True)
            base = os.path.join(out, "%s", part, names[k], "%05d" % i)
            cv2.imwrite(base % "png" + ".png", rgb[:, :, ::-1])
            cv2.imwrite(base % "jpeg" + ".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
            records.append(bytes([k]) + rgb.transpose(2, 0, 1).tobytes())
        name = "data_batch_1.bin" if part == "train" else "test_batch.bin"
        with open(os.path.join(out, "cifar", name), "wb") as f:
            f.write(b"".join(records))


def png(width, height, colour_type, depth, rows, palette=None, trns=None):
    """A PNG written by hand: rows are lists of samples per pixel, packed at
    `depth` bits."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    raw = b""
    for row in rows:
        bits = "".join(format(v, "0%db" % depth) for px in row for v in px)
        bits += "0" * (-len(bits) % 8)
        raw += b"\0" + bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth,
                                                             colour_type, 0, 0, 0))
    if palette:
        out += chunk(b"PLTE", bytes(v for rgb in palette for v in rgb))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def kinds(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(5)
    w = h = 8

    def samples(channels, top):
        return [[tuple(int(v) for v in rng.integers(0, top + 1, channels)) for _ in range(w)]
                for _ in range(h)]
    files = {}
    for depth in (1, 2, 4, 8):
        files["grey%d.png" % depth] = png(w, h, 0, depth, samples(1, 2 ** depth - 1))
    files["grey-alpha.png"] = png(w, h, 4, 8, samples(2, 255))
    files["rgb.png"] = png(w, h, 2, 8, samples(3, 255))
    files["rgb-trns.png"] = png(w, h, 2, 8, samples(3, 1), trns=struct.pack(">HHH", 1, 0, 1))
    files["rgba.png"] = png(w, h, 6, 8, samples(4, 255))
    palette = [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(16)]
    files["palette4.png"] = png(w, h, 3, 4, samples(1, 15), palette=palette)
    files["palette8-trns.png"] = png(w, h, 3, 8, samples(1, 15), palette=palette,
                                     trns=bytes(rng.integers(0, 256, 16).tolist()))
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    grey = rng.integers(0, 256, (h, w), dtype=np.uint8)
    bgr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    for q in (75, 100):
        cv2.imwrite(os.path.join(out, "grey-q%d.jpg" % q), grey, [cv2.IMWRITE_JPEG_QUALITY, q])
        cv2.imwrite(os.path.join(out, "colour-q%d.jpg" % q), bgr, [cv2.IMWRITE_JPEG_QUALITY, q])
    cv2.imwrite(os.path.join(out, "colour-progressive.jpg"), bgr,
                [cv2.IMWRITE_JPEG_QUALITY, 90, cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    write_pnm(os.path.join(out, "grey.pgm"), grey)
    write_pnm(os.path.join(out, "colour.ppm"), bgr[:, :, ::-1].copy())


def expected(img, channels):
    """OpenCV's pixels (IMREAD_UNCHANGED) by the engine's rules: alpha over
    black, BT.601 luma in OpenCV's fixed point, grey copied; planar."""
    img = img.astype(np.uint32)
    if img.ndim == 2:
        rgb, alpha = np.stack([img] * 3, axis=2), None
    elif img.shape[2] == 3:
        rgb, alpha = img[:, :, ::-1], None
    else:
        rgb, alpha = img[:, :, 2::-1], img[:, :, 3:4]
    if alpha is not None:
        rgb = (rgb * alpha + 127) // 255
    if channels == 3:
        return rgb.transpose(2, 0, 1).astype(np.uint8)
    r, g, b = rgb[:, :, 0], rgb[:, :, 1], rgb[:, :, 2]
    return ((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14).astype(np.uint8)[None]


def compare(dump, files):
    import subprocess
    failed = 0
    for path in files:
        ok = 1
        img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        h, w = img.shape[:2]
        for channels in (1, 3):
            want = expected(img, channels)
            got = subprocess.run([dump, str(channels), str(h), str(w), path],
                                 capture_output=True)
            if got.returncode:
                print("FAIL: %s" % got.stderr.decode().strip())
                ok = 0
                continue
            got = np.frombuffer(got.stdout, np.uint8).reshape(want.shape)
            diff = int(np.abs(got.astype(int) - want).max())
            if diff:
                print("FAIL: %s as %d channels: %d pixels differ from OpenCV's, by up to %d" %
                      (path, channels, int((got != want).sum()), diff))
                ok = 0
        failed |= not ok
        if ok:
            print("%s: OpenCV's pixels, as 1 and 3 channels" % os.path.basename(path))
    return failed


def bad(out):
    good = png(28, 28, 0, 8, [[(0,)] * 28] * 28)

    def case(name, train_files, test_files=None):
        for part, files in (("train", train_files), ("test", test_files or {"0/a.png": good,
                                                                             "1/a.png": good})):
            for rel, data in files.items():
                path = os.path.join(out, name, part, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if data is not None:
                    with open(path, "wb") as f:
                        f.write(data)
    ok = {"1/a.png": good}
    corrupt = bytearray(good)
    corrupt[-20] ^= 0xff   # inside IDAT: its CRC no longer matches
    case("truncated-png", {"0/a.png": good[:len(good) // 2], **ok})
    case("corrupt-png", {"0/a.png": bytes(corrupt), **ok})
    _, jpeg = cv2.imencode(".jpg", np.zeros((28, 28), np.uint8))
    case("truncated-jpeg", {"0/a.jpg": jpeg.tobytes()[:len(jpeg) - 20], **ok})
    _, png16 = cv2.imencode(".png", np.zeros((28, 28), np.uint16))
    case("16-bit-png", {"0/a.png": png16.tobytes(), **ok})
    case("1x1-png", {"0/a.png": png(1, 1, 0, 8, [[(0,)]]), **ok})
    huge = png(1, 1, 0, 8, [[(0,)]])
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)
    huge = huge[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr) & 0xffffffff) + huge[33:]
    case("100000x100000-png", {"0/a.png": huge, **ok})
    case("wrong-size", {"0/a.png": png(30, 30, 0, 8, [[(0,)] * 30] * 30), **ok})
    case("missing-test-class", {"0/a.png": good, **ok, "2/a.png": good})
    case("no-images", {"0/README.txt": b"not an image", **ok})
    case("not-an-image", {"0/a.png": b"GIF89a" + bytes(40), **ok})
    # a symlink cycle: train/0/loop -> train/0
    case("symlink-cycle", {"0/a.png": good, **ok})
    os.symlink("..", os.path.join(out, "symlink-cycle", "train", "0", "loop"))
    os.makedirs(os.path.join(out, "cifar-length"), exist_ok=True)
    for name, size in (("data_batch_1.bin", 3073 * 2 + 5), ("test_batch.bin", 3073)):
        with open(os.path.join(out, "cifar-length", name), "wb") as f:
            f.write(bytes(size))


def area_resize(img, W, H):
    """The engine's --resize rule for planar img (C, h, w), in double, before
    rounding: a value within 1e-6 of a half may round either way, as the
    order of the additions decides."""
    c, h, w = img.shape
    s = max(W / w, H / h)

    def weights(outputs, size):
        m = np.zeros((outputs, size))
        offset = (size * s - outputs) / 2
        for i in range(outputs):
            lo, hi = max(0, (i + offset) / s), min(size, (i + 1 + offset) / s)
            for j in range(int(lo), size):
                if j >= hi:
                    break
                m[i, j] = max(0, min(j + 1, hi) - max(j, lo)) / (hi - lo)
        return m
    wx, wy = weights(W, w), weights(H, h)
    return np.einsum("yi,cij,xj->cyx", wy, img.astype(np.float64), wx)


def resize(dump, out):
    import subprocess
    rng = np.random.default_rng(8)
    os.makedirs(out, exist_ok=True)
    failed = 0
    for h, w in ((256, 256), (60, 40), (40, 60), (20, 10), (28, 28), (33, 47)):
        bgr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        path = os.path.join(out, "%dx%d.png" % (h, w))
        cv2.imwrite(path, bgr)
        rgb = bgr[:, :, ::-1].transpose(2, 0, 1)
        for H, W in ((28, 28), (24, 32)):
            got = subprocess.run([dump, "3", str(H), str(W), "--resize", path],
                                 capture_output=True)
            if got.returncode:
                print("FAIL: %s" % got.stderr.decode().strip())
                failed = 1
                continue
            got = np.frombuffer(got.stdout, np.uint8).reshape(3, H, W).astype(int)
            exact = area_resize(rgb, W, H)
            lo, hi = np.floor(exact + 0.5 - 1e-6), np.floor(exact + 0.5 + 1e-6)
            bad = (got < lo) | (got > hi)
            if bad.any():
                print("FAIL: %dx%d to %dx%d: %d pixels differ from the rule, by up to %.3f" % (
                    h, w, H, W, int(bad.sum()), float(np.abs(got - exact).max())))
                failed = 1
    big = rng.integers(0, 256, (256, 256), dtype=np.uint8)
    cv2.imwrite(os.path.join(out, "big.png"), big)
    got = subprocess.run([dump, "1", "32", "32", "--resize", os.path.join(out, "big.png")],
                         capture_output=True).stdout
    cv = cv2.resize(big, (32, 32), interpolation=cv2.INTER_AREA)
    diff = int(np.abs(np.frombuffer(got, np.uint8).reshape(32, 32).astype(int) - cv).max())
    if diff > 1:
        print("FAIL: 256x256 to 32x32: up to %d levels from OpenCV's INTER_AREA" % diff)
        failed = 1
    for part, n in (("train", 40), ("test", 10)):
        for i in range(n):
            k = i % 2
            h, w = (40 + 7 * (i % 5), 30 + 11 * (i % 3))
            img = np.full((h, w, 3), 40, np.uint8)
            img[:, :, 2 * k] = 220   # class 0 blue, class 1 red (BGR)
            d = os.path.join(out, "folders", part, "c%d" % k)
            os.makedirs(d, exist_ok=True)
            cv2.imwrite(os.path.join(d, "%03d.png" % i), img)
    if not failed:
        print("resize: 6 sizes to 28x28 and 24x32 as the rule says; 256 to 32 within %d of "
              "OpenCV's INTER_AREA" % diff)
    return failed


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode in ("digits", "colour") and len(sys.argv) == 6:
        (digits if mode == "digits" else colour)(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                                                  int(sys.argv[5]))
    elif mode == "kinds" and len(sys.argv) == 3:
        kinds(sys.argv[2])
    elif mode == "compare" and len(sys.argv) > 3:
        sys.exit(compare(sys.argv[2], sys.argv[3:]))
    elif mode == "bad" and len(sys.argv) == 3:
        bad(sys.argv[2])
    elif mode == "resize" and len(sys.argv) == 4:
        sys.exit(resize(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
