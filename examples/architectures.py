"""The example networks as PyTorch modules (the saved ``.pt`` files are their state dicts).

Each has a Keras twin built by ``make_models.py`` with the same weights, and an ONNX
export, so the three forms describe one network. ``forward`` ends in a softmax (class
probabilities); ``logits`` is what training uses.
"""

from __future__ import annotations

import torch
from torch import nn


class Classifier(nn.Module):
    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


class JetMLP(Classifier):
    """16-64-32-32-5 ReLU MLP: the standard jet-tagger shape."""

    input_shape = (16,)

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3, self.out = nn.Linear(16, 64), nn.Linear(64, 32), nn.Linear(32, 32), nn.Linear(32, 5)

    def logits(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        x = torch.relu(self.fc3(x))
        return self.out(x)


class DigitsMLP(Classifier):
    """64-32-10 ReLU MLP on 8x8 digits, flattened."""

    input_shape = (64,)

    def __init__(self):
        super().__init__()
        self.fc1, self.out = nn.Linear(64, 32), nn.Linear(32, 10)

    def logits(self, x):
        return self.out(torch.relu(self.fc1(x)))


class DigitsCNN(Classifier):
    """Conv2D(8, 3x3, same) + ReLU + MaxPool 2x2 + Conv2D(16) + ReLU + MaxPool + Dense(10)."""

    input_shape = (1, 8, 8)

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.out = nn.Linear(16 * 2 * 2, 10)

    def logits(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.out(torch.flatten(x, 1))


class DigitsConv1D(Classifier):
    """Digits as sequences: 8 rows (steps) of 8 pixels (channels); Conv1D + ReLU +
    AvgPool + Conv1D + ReLU + GlobalAvgPool + Dense(10)."""

    input_shape = (8, 8)  # channels, steps

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(8, 16, 3, padding=1)
        self.pool = nn.AvgPool1d(2)
        self.conv2 = nn.Conv1d(16, 16, 3)
        self.gap = nn.AdaptiveAvgPool1d(1)
        self.out = nn.Linear(16, 10)

    def logits(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        return self.out(torch.flatten(self.gap(x), 1))


class BranchedMLP(Classifier):
    """Jet data through two branches joined by Add, then a Concatenate."""

    input_shape = (16,)

    def __init__(self):
        super().__init__()
        self.trunk, self.left, self.right = nn.Linear(16, 32), nn.Linear(32, 16), nn.Linear(32, 16)
        self.out = nn.Linear(32, 5)

    def logits(self, x):
        h = torch.relu(self.trunk(x))
        a = torch.relu(self.left(h))
        b = torch.relu(self.right(h))
        return self.out(torch.cat([a + b, a], dim=1))


ARCHITECTURES = {
    "jet_mlp": JetMLP,
    "digits_mlp": DigitsMLP,
    "digits_cnn": DigitsCNN,
    "digits_conv1d": DigitsConv1D,
    "branched_mlp": BranchedMLP,
}
