"""Choosing the array type that holds raw integers exactly (see fixed.rounding)."""

from __future__ import annotations

import numpy as np

from ..fixed.rounding import FLOAT_CARRIER_LIMIT
from ..fixed.types import MAX_WIDTH

FLOAT_BITS = FLOAT_CARRIER_LIMIT.bit_length() - 1  # 52


def fit(raw: np.ndarray, bits: int) -> np.ndarray:
    """``raw`` in a carrier that holds ``bits``-wide signed intermediates exactly:
    float64 up to 52 bits (fast BLAS and float kernels), int64 up to 62, and Python
    integers (object arrays: exact but slow) beyond."""
    if bits <= FLOAT_BITS:
        return raw if raw.dtype == np.float64 else raw.astype(np.float64)
    if bits <= MAX_WIDTH:
        if raw.dtype == object:
            return raw.astype(np.int64)
        return raw if raw.dtype == np.int64 else raw.astype(np.int64)
    if raw.dtype == np.float64:
        raw = raw.astype(np.int64)
    return raw.astype(object)


def store(raw: np.ndarray, width: int) -> np.ndarray:
    """The carrier a tensor of a ``width``-bit type is kept in between nodes."""
    return fit(raw, width)
