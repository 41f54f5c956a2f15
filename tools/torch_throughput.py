#!/usr/bin/python3
"""The same networks and measurements as bench/throughput, in PyTorch (an
optional comparison, never a dependency; Debian's python3-torch).

usage: torch_throughput.py [--net seed000,seed004,lenet,vgg,cifar] [--batch 1,16,64,256]
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


def networks():
    return {
        "seed000": lambda: nn.Sequential(
            nn.Conv2d(1, 2, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2, 4, 3), nn.Sigmoid(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(100, 10)),
        "seed004": lambda: nn.Sequential(
            nn.Conv2d(1, 4, 5), nn.Sigmoid(), nn.AvgPool2d(2),
            nn.Conv2d(4, 6, 5), nn.Sigmoid(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Linear(96, 50), nn.Sigmoid(), nn.Linear(50, 10)),
        "lenet": lambda: nn.Sequential(
            nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10)),
        "vgg": lambda: vgg(1, 3136),     # 28x28 grey
        "cifar": lambda: vgg(3, 4096),   # 32x32 colour
    }


def vgg(channels, flat):
    """vgg and cifar: two blocks of two 3x3 convolutions, then dense 256, 10."""
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(flat, 256), nn.ReLU(), nn.Linear(256, 10))

# the input each network takes (channels, height, width)
INPUTS = {"cifar": (3, 32, 32)}


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
                model = networks()[name]()
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
