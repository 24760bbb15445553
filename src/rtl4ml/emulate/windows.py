"""Sliding windows over channels-last batches, shared by the float and integer kernels."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def pad_spatial(x: np.ndarray, pads, value) -> np.ndarray:
    """Pad the spatial axes of a (B, *spatial, C) batch with a constant."""
    if all(p == (0, 0) for p in pads):
        return x
    widths = [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)]
    return np.pad(x, widths, constant_values=value)


def windows(x: np.ndarray, kernel, strides, pads, pad_value=0) -> np.ndarray:
    """(B, *spatial, C) -> (B, *out_spatial, C, *kernel), a strided view where possible."""
    nd = len(kernel)
    xp = pad_spatial(x, pads, pad_value)
    axes = tuple(range(1, nd + 1))
    w = sliding_window_view(xp, tuple(kernel), axis=axes)
    index = (slice(None),) + tuple(slice(None, None, s) for s in strides)
    return w[index]


def im2col(x: np.ndarray, kernel, strides, pads) -> np.ndarray:
    """(B, *spatial, C) -> (B, *out_spatial, prod(kernel) * C), kernel-major then channel,
    matching a weight reshaped from (*kernel, C, F) to (prod(kernel) * C, F)."""
    nd = len(kernel)
    w = windows(x, kernel, strides, pads, 0)  # (B, *out, C, *k)
    order = tuple(range(nd + 1)) + tuple(range(nd + 2, 2 * nd + 2)) + (nd + 1,)
    w = w.transpose(order)  # (B, *out, *k, C)
    return w.reshape(w.shape[: nd + 1] + (-1,))


def window_counts(spatial, kernel, strides, pads) -> np.ndarray:
    """How many real (unpadded) inputs each output window covers: (*out_spatial, 1)."""
    ones = np.ones((1,) + tuple(spatial) + (1,), dtype=np.int64)
    w = windows(ones, kernel, strides, pads, 0)
    return w.sum(axis=tuple(range(-len(kernel), 0)))[0]
