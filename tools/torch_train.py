#!/usr/bin/python3
"""Train a shipped network's PyTorch twin (torch_nets.py) with cnn's recipe,
for accuracy comparisons (optional, never a dependency; Debian's
python3-torch): Glorot-uniform weights and zero biases as cnn_net_init,
plain SGD with momentum and L2 weight decay, the learning rate per epoch
by cnn's cosine schedule (lr (1 + cos(pi k / epochs)) / 2 in epoch k from
0), batches of shuffled images, random shifts of up to --shift pixels
(zeros filling in) and, with --flip, half the images mirrored.

usage: torch_train.py --net resnet28 --data DIR [--epochs 10] [--batch 64]
                      [--lr 0.05] [--momentum 0.9] [--weight-decay 5e-4]
                      [--shift 0] [--flip] [--threads 2] [--seed 1]
Prints a line per epoch: lr, train loss, test loss and accuracy, seconds."""
import argparse
import gzip
import math
import struct
import time

import torch
from torch import nn

from torch_nets import NETWORKS


def idx(path):
    with gzip.open(path) as f:
        magic = struct.unpack(">I", f.read(4))[0]
        dims = struct.unpack(">" + "I" * (magic & 0xff), f.read(4 * (magic & 0xff)))
        return torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).view(*dims)


def load(data, split):
    x = idx(f"{data}/{split}-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
    return x, idx(f"{data}/{split}-labels-idx1-ubyte.gz").long()


def augment(x, shift, flip, gen):
    """Each image moved by dx, dy in [-shift, shift], then mirrored half the time."""
    n, _, h, w = x.shape
    if shift:
        padded = nn.functional.pad(x, (shift, shift, shift, shift))
        d = torch.randint(0, 2 * shift + 1, (n, 2), generator=gen)
        x = torch.stack([padded[i, :, d[i, 0]:d[i, 0] + h, d[i, 1]:d[i, 1] + w]
                         for i in range(n)])
    if flip:
        mirror = torch.rand(n, generator=gen) < 0.5
        x = torch.where(mirror[:, None, None, None], x.flip(3), x)
    return x


def init(net):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", required=True, choices=sorted(NETWORKS))
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--shift", type=int, default=0)
    ap.add_argument("--flip", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    train_x, train_y = load(a.data, "train")
    test_x, test_y = load(a.data, "t10k")
    net = NETWORKS[a.net]()
    init(net)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=a.momentum,
                          weight_decay=a.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(a.epochs):
        lr = a.lr * (1 + math.cos(math.pi * epoch / a.epochs)) / 2
        for group in opt.param_groups:
            group["lr"] = lr
        net.train()
        t0, total = time.perf_counter(), 0.0
        order = torch.randperm(len(train_y), generator=gen)
        for first in range(0, len(order), a.batch):
            pick = order[first:first + a.batch]
            x = augment(train_x[pick], a.shift, a.flip, gen)
            loss = loss_fn(net(x), train_y[pick])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(pick)
        seconds = time.perf_counter() - t0
        net.eval()
        correct, test_loss = 0, 0.0
        with torch.no_grad():
            for first in range(0, len(test_y), 1000):
                out = net(test_x[first:first + 1000])
                test_loss += loss_fn(out, test_y[first:first + 1000]).item() * len(out)
                correct += (out.argmax(1) == test_y[first:first + 1000]).sum().item()
        print(f"epoch {epoch + 1}/{a.epochs}  lr {lr:.4g}  train loss {total / len(order):.4f}"
              f"  test loss {test_loss / len(test_y):.4f} acc {correct / len(test_y):.4f}"
              f"  {seconds:.1f}s", flush=True)


if __name__ == "__main__":
    main()
