#!/usr/bin/env python3
"""Compares an exported network's outputs with `cnn predict --probs`.

usage: export_compare.py c LABEL PREDICT.txt DRIVER.txt
       export_compare.py onnx LABEL PREDICT.txt MODEL.onnx IMAGES.u8 CxHxW COUNT

c:    the lines of tests/export_driver.c ("CLASS p0 p1 ...") against those
      of cnn predict, one for one.
onnx: onnx.checker accepts the model (with shape inference), its input is
      "image" N x C x H x W and its output "probs"; OpenCV's DNN module runs
      it on the first COUNT images of IMAGES.u8 (raw bytes, scaled / 255 as
      cnn does; all of them when it holds fewer), compared with as many lines
      of cnn predict.

Every output must be within 1e-5 of the engine's, and every image get the
same class, except where the engine's two largest outputs are closer than
twice that: there float rounding (which differs between BLAS kernels) may
pick either, and the export's class must be one of those within 2e-5 of the
top. Prints the count, the near ties and the largest difference; exit 1 on
failure.
"""
import sys

TOLERANCE = 1e-5


def parse(fields):
    return int(fields[0]), [float(v) for v in fields[1:]]


def read_predict(path):
    """Lines "FILE[i]: CLASS p0 p1 ..." as (class, outputs), the class by its
    index: the first of the largest outputs, as cnn predict picks it (CLASS
    is its name, "7" or "cat")."""
    rows = []
    with open(path) as f:
        for line in f:
            probs = [float(v) for v in line.rsplit(": ", 1)[1].split()[1:]]
            rows.append((probs.index(max(probs)), probs))
    return rows


def compare(label, want, got):
    if len(got) != len(want) or not got:
        print(f"FAIL: {label}: {len(got)} outputs for {len(want)} images")
        return 1
    worst, ties = 0.0, 0
    for i, ((want_class, want_p), (got_class, got_p)) in enumerate(zip(want, got)):
        if len(got_p) != len(want_p):
            print(f"FAIL: {label}: image {i}: {len(got_p)} outputs, not {len(want_p)}")
            return 1
        diff = max(abs(a - b) for a, b in zip(want_p, got_p))
        worst = max(worst, diff)
        tied = got_class != want_class and \
            want_p[got_class] >= max(want_p) - 2 * TOLERANCE
        ties += tied
        if (got_class != want_class and not tied) or diff > TOLERANCE:
            print(f"FAIL: {label}: image {i}: class {got_class}, outputs {got_p}; "
                  f"cnn predict: class {want_class}, outputs {want_p}")
            return 1
    print(f"{label}: {len(want)} images, the same class for each but {ties} near "
          f"ties, largest difference {worst:.3g}")
    return 0


def compare_c(label, predict_path, driver_path):
    with open(driver_path) as f:
        got = [parse(line.split()) for line in f]
    return compare(label, read_predict(predict_path), got)


def compare_onnx(label, predict_path, model_path, images_path, shape, count):
    import cv2
    import numpy as np
    import onnx

    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    c, h, w = (int(v) for v in shape.split("x"))
    graph = model.graph
    dims = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    if graph.input[0].name != "image" or dims != ["N", c, h, w] or \
            graph.output[0].name != "probs" or "/ 255" not in model.doc_string:
        print(f"FAIL: {label}: input {graph.input[0].name} {dims}, output "
              f"{graph.output[0].name}, doc string {model.doc_string!r}")
        return 1
    pixels = np.fromfile(images_path, np.uint8, count * c * h * w)
    count = len(pixels) // (c * h * w)   # COUNT, or all there are when fewer
    images = pixels[:count * c * h * w].reshape(count, c, h, w).astype(np.float32) / \
        np.float32(255)
    net = cv2.dnn.readNetFromONNX(model_path)
    net.setInput(images)
    out = net.forward()
    got = [(int(np.argmax(row)), [float(v) for v in row]) for row in out]
    return compare(label, read_predict(predict_path)[:count], got)


def main(argv):
    if len(argv) == 5 and argv[1] == "c":
        return compare_c(argv[2], argv[3], argv[4])
    if len(argv) == 8 and argv[1] == "onnx":
        try:
            return compare_onnx(argv[2], argv[3], argv[4], argv[5], argv[6], int(argv[7]))
        except Exception as e:   # the checker's or OpenCV's refusal, in one line
            print(f"FAIL: {argv[2]}: {type(e).__name__}: {str(e).strip().splitlines()[-1]}")
            return 1
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
