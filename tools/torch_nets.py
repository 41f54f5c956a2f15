"""PyTorch twins of the shipped networks, layer for layer (an optional
comparison, never a dependency; Debian's python3-torch). Used by
torch_throughput.py and torch_train.py."""
from torch import nn


def vgg(channels, flat):
    """vgg and cifar: two blocks of two 3x3 convolutions, then dense 256, 10."""
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(flat, 256), nn.ReLU(), nn.Linear(256, 10))


class Block(nn.Module):
    """conv-bn-relu-conv-bn, plus the input (projected by a strided 1x1
    conv and bn where the shape changes), then ReLU. The convolutions keep
    their biases, as the engine's do."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.branch = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout))
        self.shortcut = nn.Identity() if stride == 1 and cin == cout else \
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride), nn.BatchNorm2d(cout))

    def forward(self, x):
        return nn.functional.relu(self.branch(x) + self.shortcut(x))


def resnet(channels, widths, blocks, pool=False):
    """A 3x3 stem (with pool, then 2x2 max pooling), stages of basic blocks
    (the first of each later stage halving the size), global average
    pooling, dense 10."""
    layers = [nn.Conv2d(channels, widths[0], 3, 1, 1), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    cin = widths[0]
    for stage, (width, count) in enumerate(zip(widths, blocks)):
        for b in range(count):
            layers.append(Block(cin, width, 2 if stage > 0 and b == 0 else 1))
            cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 10)]
    return nn.Sequential(*layers)


NETWORKS = {
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
    "resnet28": lambda: resnet(1, (32, 64, 128), (1, 1, 1), pool=True),
    "resnet": lambda: resnet(3, (16, 32, 64), (3, 3, 3)),
}

# the input each network takes (channels, height, width); 1x28x28 otherwise
INPUTS = {"cifar": (3, 32, 32), "resnet": (3, 32, 32)}
