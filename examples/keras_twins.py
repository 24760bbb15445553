"""Keras 3 versions of the example networks carrying a PyTorch module's weights.

Kernels are transposed from PyTorch's (out, in, *k) to Keras's (*k, in, out); the
Dense after a Flatten gets its rows reordered from channel-major to channel-last order.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers


def _dense(w):
    return [w.weight.detach().numpy().T, w.bias.detach().numpy()]


def _conv(c):
    w = c.weight.detach().numpy()
    return [w.transpose(*range(2, w.ndim), 1, 0), c.bias.detach().numpy()]


def _dense_after_flatten(lin, channels: int, spatial: tuple[int, ...]):
    w = lin.weight.detach().numpy().reshape(lin.out_features, channels, *spatial)
    w = np.moveaxis(w, 1, -1).reshape(lin.out_features, -1)
    return [w.T, lin.bias.detach().numpy()]


def keras_twin(name: str, m) -> keras.Model:
    if name == "jet_mlp":
        x = inp = keras.Input((16,), name="x")
        for i, lin in enumerate((m.fc1, m.fc2, m.fc3)):
            x = layers.Dense(lin.out_features, activation="relu", name=f"fc{i + 1}")(x)
        out = layers.Dense(5, activation="softmax", name="out")(x)
        weights = {f"fc{i + 1}": _dense(lin) for i, lin in enumerate((m.fc1, m.fc2, m.fc3))} | {"out": _dense(m.out)}
    elif name == "digits_mlp":
        inp = keras.Input((64,), name="x")
        out = layers.Dense(10, activation="softmax", name="out")(layers.Dense(32, activation="relu", name="fc1")(inp))
        weights = {"fc1": _dense(m.fc1), "out": _dense(m.out)}
    elif name == "digits_cnn":
        inp = keras.Input((8, 8, 1), name="x")
        x = layers.MaxPooling2D(2, name="pool1")(layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(inp))
        x = layers.MaxPooling2D(2, name="pool2")(layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2")(x))
        out = layers.Dense(10, activation="softmax", name="out")(layers.Flatten(name="flatten")(x))
        weights = {"conv1": _conv(m.conv1), "conv2": _conv(m.conv2), "out": _dense_after_flatten(m.out, 16, (2, 2))}
    elif name == "digits_conv1d":
        inp = keras.Input((8, 8), name="x")
        x = layers.AveragePooling1D(2, name="pool")(layers.Conv1D(16, 3, padding="same", activation="relu", name="conv1")(inp))
        x = layers.Conv1D(16, 3, activation="relu", name="conv2")(x)
        out = layers.Dense(10, activation="softmax", name="out")(layers.GlobalAveragePooling1D(name="gap")(x))
        weights = {"conv1": _conv(m.conv1), "conv2": _conv(m.conv2), "out": _dense(m.out)}
    elif name == "branched_mlp":
        inp = keras.Input((16,), name="x")
        h = layers.Dense(32, activation="relu", name="trunk")(inp)
        a = layers.Dense(16, activation="relu", name="left")(h)
        b = layers.Dense(16, activation="relu", name="right")(h)
        s = layers.Add(name="add")([a, b])
        out = layers.Dense(5, activation="softmax", name="out")(layers.Concatenate(name="concat")([s, a]))
        weights = {"trunk": _dense(m.trunk), "left": _dense(m.left), "right": _dense(m.right), "out": _dense(m.out)}
    else:
        raise KeyError(name)
    model = keras.Model(inp, out, name=name)
    for layer_name, w in weights.items():
        model.get_layer(layer_name).set_weights(w)
    return model
