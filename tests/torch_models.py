"""PyTorch test modules, importable by name so that pickled copies can be loaded."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def randomized(module: nn.Module, seed: int = 0, scale: float = 0.5) -> nn.Module:
    """``module`` in eval mode with seeded random parameters and non-trivial
    BatchNorm running statistics."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 1.5 + 0.25)
    return module.eval()


class MLP(nn.Module):
    def __init__(self, n_in: int = 16, hidden: int = 32, n_out: int = 5):
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.fc2 = nn.Linear(hidden, hidden // 2)
        self.out = nn.Linear(hidden // 2, n_out)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.out(x)


class SmallCNN(nn.Module):
    """(1, 8, 8) -> 4 classes; the model the CLI test pickles."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 4)

    def forward(self, x):
        x = self.pool(F.relu(self.bn(self.conv(x))))
        return self.fc(x.view(x.size(0), -1))


class Branched(nn.Module):
    """Two conv branches joined by torch.cat and by ``+``, then a residual add."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.left = nn.Conv2d(4, 4, 3, padding="same")
        self.right = nn.Sequential(nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4), nn.LeakyReLU(0.2))
        self.mix = nn.Conv2d(8, 4, 1)
        self.head = nn.Linear(4, 3)
        self.gap = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        x = F.relu(self.stem(x))
        a, b = self.left(x), self.right(x)
        y = torch.cat([a, b], dim=1)
        y = self.mix(y) + x
        y = torch.add(y, a)
        y = self.gap(y)
        return F.softmax(self.head(torch.flatten(y, 1)), dim=-1)


class Views(nn.Module):
    """Every way of flattening a (C, H, W) tensor before a Linear, summed."""

    def __init__(self, form: str):
        super().__init__()
        self.form = form
        self.conv = nn.Conv2d(2, 3, 3, stride=2, padding=1)
        self.fc = nn.Linear(3 * 4 * 4, 4)
        self.flat = nn.Flatten()

    def forward(self, x):
        x = self.conv(x)
        if self.form == "view_size":
            x = x.view(x.size(0), -1)
        elif self.form == "view_shape":
            x = x.view(x.shape[0], -1)
        elif self.form == "view_arith":
            x = x.view(-1, x.size(1) * x.size(2) * x.size(3))
        elif self.form == "reshape":
            x = x.reshape(-1, 48)
        elif self.form == "reshape_tuple":
            x = torch.reshape(x, (x.size(0), 3, 16)).contiguous().view(x.size(0), 48)
        elif self.form == "torch_flatten":
            x = torch.flatten(x, 1)
        elif self.form == "method_flatten":
            x = x.flatten(1)
        elif self.form == "module_flatten":
            x = self.flat(x)
        return self.fc(x)


class Decoder(nn.Module):
    """Linear -> view(C, H, W) -> conv: the Linear's columns are reordered for the IR."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 3 * 4 * 4)
        self.conv = nn.Conv2d(3, 2, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.fc(x))
        x = x.view(x.size(0), 3, 4, 4)
        return self.conv(x)


class Functional(nn.Module):
    """Parameters used directly: F.linear, ``@`` and a bias added by ``+``."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(6, 8))
        self.b = nn.Parameter(torch.randn(6))
        self.w2 = nn.Parameter(torch.randn(6, 6))
        self.bias = nn.Parameter(torch.randn(6))

    def forward(self, x):
        x = F.leaky_relu(F.linear(x, self.w, self.b), 0.1)
        x = torch.tanh(x @ self.w2 + self.bias)
        return torch.sigmoid(F.relu6(x + 0.5))


class Unsupported(nn.Module):
    """A grouped convolution, an LSTM, an exponential and a matmul of two runtime tensors."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, groups=2)
        self.lstm = nn.LSTM(36, 6)

    def forward(self, x):
        s, _ = self.lstm(x.flatten(2))
        return self.conv(x), torch.exp(s), torch.matmul(x, x)


class FunctionalCNN(nn.Module):
    """Pooling and activations as functions, on a 2-D and a 1-D branch."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.conv1d = nn.Conv1d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 2 * 2, 3)
        self.fc1d = nn.Linear(4, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        x = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
        a = F.adaptive_avg_pool2d(x, 2).flatten(1)
        s = self.conv1d(x.view(x.size(0), 4, -1))
        s = F.max_pool1d(s, 2)
        s = F.avg_pool1d(s, 2)
        b = F.adaptive_max_pool1d(s, 1).view(-1, 4)
        return self.fc(a) + self.fc1d(b)


class FunctionalActivations(nn.Module):
    """Every supported activation as a function or tensor method."""

    def __init__(self):
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(8, 8) for _ in range(12))

    def forward(self, x):
        f = self.fcs
        x = F.relu(f[0](x))
        x = torch.relu(f[1](x))
        x = F.leaky_relu(f[2](x), negative_slope=0.2)
        x = torch.tanh(f[3](x))
        x = torch.sigmoid(f[4](x))
        x = F.relu6(f[5](x))
        x = F.hardtanh(f[6](x), -0.5, 0.5)
        x = F.hardsigmoid(f[7](x))
        x = f[8](x).relu()
        x = f[9](x).sigmoid().add(f[10](x).tanh())
        x = F.dropout(x, 0.3, training=self.training)
        return F.softmax(f[11](x), dim=1) + torch.softmax(x, -1) + x.softmax(1)


class TwoOutputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3)
        self.fc = nn.Linear(3 * 6, 2)

    def forward(self, x):
        y = torch.tanh(self.conv(x))
        return y, self.fc(y.flatten(1))


class SequenceConv(nn.Module):
    """A (time, features) input permuted for Conv1d; squeeze, unsqueeze and transpose."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 5, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        x = F.relu(self.conv(x.permute(0, 2, 1)))
        x = self.pool(x).squeeze(-1)
        return self.fc(x).unsqueeze(1).transpose(1, 2)


class Residual(nn.Module):
    """A ResNet basic block: in-place ReLU and ``out += identity``."""

    def __init__(self, channels: int = 4):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x
        return self.relu(out)
