"""Offline data for the examples: scikit-learn's bundled digits, and a synthetic
jet-like set (16 features, 5 classes). The held-out splits are saved beside this file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def digits():
    """(x_train, y_train, x_test, y_test): 8x8 digits flattened to 64 values in [0, 1]."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, test_size=0.25, random_state=0)
    return x_train.astype(np.float32), y_train, x_test.astype(np.float32), y_test


def jets(n: int = 12000, seed: int = 0):
    """(x_train, y_train, x_test, y_test): five classes of 16 correlated, skewed features,
    loosely shaped like jet substructure observables."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.0, (5, 16))
    mixing = rng.normal(0, 0.4, (16, 16)) + np.eye(16)
    y = rng.integers(0, 5, n)
    z = centres[y] + rng.normal(0, 1.1, (n, 16))
    x = (z @ mixing) + 0.3 * np.abs(z[:, ::-1]) * np.sign(centres[y, :1])
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    split = n * 3 // 4
    return x[:split].astype(np.float32), y[:split], x[split:].astype(np.float32), y[split:]


def as_input(name: str, x: np.ndarray, framework: str) -> np.ndarray:
    """Flat samples in the layout one model expects ("torch"/"onnx": channels-first,
    "keras": channels-last)."""
    if name == "digits_cnn":
        x = x.reshape(-1, 1, 8, 8)
        return x.transpose(0, 2, 3, 1) if framework == "keras" else x
    if name == "digits_conv1d":  # 8 rows as steps, 8 pixels as channels
        x = x.reshape(-1, 8, 8)
        return x if framework == "keras" else x.transpose(0, 2, 1)
    return x


def test_split(dataset: str):
    """The saved held-out split: (x, y)."""
    return np.load(HERE / f"{dataset}_x.npy"), np.load(HERE / f"{dataset}_y.npy")


DATASET = {"jet_mlp": "jets", "branched_mlp": "jets", "digits_mlp": "digits", "digits_cnn": "digits", "digits_conv1d": "digits"}
