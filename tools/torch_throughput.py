#!/usr/bin/python3
"""The same networks and measurements as bench/throughput, in PyTorch (an
optional comparison, never a dependency; Debian's python3-torch).

usage: torch_throughput.py [--net seed000,seed004,lenet,vgg,cifar,resnet28,resnet] [--batch 1,16,64,256]
                           [--threads 1,2] [--seconds 0.5] [--windows 5] [--data DIR]
Prints one JSON object per configuration: net, batch, threads, train_img_s,
infer_img_s (medians of the timed windows, after a warm-up)."""
import argparse
import gzip
import json
import statistics
import struct
import time

import torch
from torch import nn

from torch_nets import INPUTS, NETWORKS


def images(data_dir, batch, shape):
    """Real MNIST test digits from data_dir for 1x28x28 networks, else
    uniform noise, as bench/throughput feeds them."""
    if not data_dir or shape != (1, 28, 28):
        return torch.rand(batch, *shape), torch.randint(0, 10, (batch,))
    with gzip.open(data_dir + "/t10k-images-idx3-ubyte.gz") as f:
        _, n, h, w = struct.unpack(">IIII", f.read(16))
        pixels = f.read(batch * h * w)
    with gzip.open(data_dir + "/t10k-labels-idx1-ubyte.gz") as f:
        f.read(8)
        labels = f.read(batch)
    x = torch.tensor(list(pixels), dtype=torch.float32).view(-1, 1, h, w) / 255
    y = torch.tensor(list(labels), dtype=torch.long)
    reps = (batch + x.shape[0] - 1) // x.shape[0]
    return x.repeat(reps, 1, 1, 1)[:batch], y.repeat(reps)[:batch]


def rate(step, batch, seconds, windows):
    rates = []
    for w in range(-1, windows):
        steps, t0 = 0, time.perf_counter()
        while True:
            step()
            steps += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= (seconds / 2 if w < 0 else seconds):
                break
        if w >= 0:
            rates.append(steps * batch / elapsed)
    return statistics.median(rates)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", default="seed000,seed004,lenet,vgg")
    ap.add_argument("--batch", default="1,16,64,256")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--windows", type=int, default=5)
    ap.add_argument("--data")
    a = ap.parse_args()
    for name in a.net.split(","):
        for batch in map(int, a.batch.split(",")):
            for threads in map(int, a.threads.split(",")):
                torch.set_num_threads(threads)
                torch.manual_seed(1)
                model = NETWORKS[name]()
                opt = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
                loss_fn = nn.CrossEntropyLoss()
                x, y = images(a.data, batch, INPUTS.get(name, (1, 28, 28)))

                def train_step():
                    opt.zero_grad()
                    loss_fn(model(x), y).backward()
                    opt.step()

                def infer_step():
                    with torch.no_grad():
                        model(x)

                print(json.dumps({
                    "net": name, "batch": batch, "threads": threads,
                    "train_img_s": round(rate(train_step, batch, a.seconds, a.windows), 1),
                    "infer_img_s": round(rate(infer_step, batch, a.seconds, a.windows), 1),
                }), flush=True)


if __name__ == "__main__":
    main()
