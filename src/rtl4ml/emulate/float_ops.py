"""The float reference: what each op computes in real arithmetic (float64, batch first)."""

from __future__ import annotations

import math

import numpy as np

from ..ir import ops as O
from .windows import im2col, window_counts, windows


def activation(act: O.Activation, x: np.ndarray) -> np.ndarray:
    k = act.kind
    K = O.ActivationKind
    if k is K.LINEAR:
        return x
    if k is K.RELU:
        return np.maximum(x, 0.0)
    if k is K.LEAKY_RELU:
        return np.where(x >= 0, x, act.alpha * x)
    if k is K.CLIP:
        return np.clip(x, act.min_value, act.max_value)
    if k is K.TANH:
        return np.tanh(x)
    if k is K.SIGMOID:
        return 0.5 * (1.0 + np.tanh(0.5 * x))
    if k is K.HARD_SIGMOID:
        return np.clip(act.alpha * x + act.beta, 0.0, 1.0)
    raise AssertionError(k)


def _fused(op, y):
    return y if op.activation is None else activation(op.activation, y)


def dense(op: O.Dense, x):
    return _fused(op, x @ op.weight + op.bias)


def conv(op: O.Conv, x):
    cols = im2col(x, op.kernel_size, op.strides, op.pads)
    return _fused(op, cols @ op.weight.reshape(-1, op.filters) + op.bias)


def pool(op: O.Pool, x):
    axes = tuple(range(-op.ndim, 0))
    if op.kind is O.PoolKind.MAX:
        return windows(x, op.kernel_size, op.strides, op.pads, -np.inf).max(axis=axes)
    total = windows(x, op.kernel_size, op.strides, op.pads, 0.0).sum(axis=axes)
    if op.count_include_pad:
        return total / math.prod(op.kernel_size)
    return total / window_counts(x.shape[1:-1], op.kernel_size, op.strides, op.pads)


def global_pool(op: O.GlobalPool, x):
    axes = tuple(range(1, x.ndim - 1))
    return x.max(axis=axes) if op.kind is O.PoolKind.MAX else x.mean(axis=axes)


def softmax(op: O.Softmax, x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def concat(op: O.Concat, *xs):
    rank = xs[0].ndim - 1
    return np.concatenate(xs, axis=1 + op.axis % rank)


FLOAT_KERNELS = {
    O.Dense: dense,
    O.Conv: conv,
    O.Pool: pool,
    O.GlobalPool: global_pool,
    O.BatchNorm: lambda op, x: x * op.scale + op.shift,
    O.Activation: activation,
    O.Softmax: softmax,
    O.ArgMax: lambda op, x: np.argmax(x, axis=-1)[..., None].astype(np.float64),
    O.Add: lambda op, *xs: sum(xs[1:], xs[0]),
    O.Concat: concat,
    O.Flatten: lambda op, x: x.reshape(x.shape[0], -1),
    O.Reshape: None,  # needs the resolved shape: see run.py
    O.Dropout: lambda op, x: x,
    O.Identity: lambda op, x: x,
}
