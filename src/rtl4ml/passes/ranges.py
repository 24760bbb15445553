"""Value ranges: integer bits for ``auto`` types and exact accumulator widths."""

from __future__ import annotations

import math

import numpy as np

from ..errors import GraphError
from ..fixed import FixedType, Overflow, Rounding
from ..fixed.types import MAX_WIDTH


def int_bits_for(lo: float, hi: float, signed: bool) -> int:
    """The fewest integer bits (sign included) whose range reaches ``lo`` and ``hi``."""
    biggest = max(abs(float(lo)), abs(float(hi)))
    if biggest == 0 or not math.isfinite(biggest):
        return 1
    return math.floor(math.log2(biggest)) + (2 if signed else 1)


def signed_bits(lo: int, hi: int) -> int:
    """Width of the smallest two's complement integer holding every value in [lo, hi]."""
    return max(int(hi).bit_length(), (-int(lo) - 1).bit_length() if lo < 0 else 0) + 1


def linear_bounds(w_raw: np.ndarray, b_raw: np.ndarray, x_lo: int, x_hi: int, w_shift: int, b_shift: int):
    """Exact (min, max) over output columns of ``x @ w * 2**w_shift + b * 2**b_shift`` for
    every x with raw entries in [x_lo, x_hi]. ``w_raw`` is (inputs, outputs)."""
    w = w_raw.astype(object)
    hi_terms = np.maximum(w * x_hi, w * x_lo).sum(axis=0) * (1 << w_shift)
    lo_terms = np.minimum(w * x_hi, w * x_lo).sum(axis=0) * (1 << w_shift)
    b = b_raw.astype(object) * (1 << b_shift)
    return int(np.min(lo_terms + b)), int(np.max(hi_terms + b))


def exact_type(lo: int, hi: int, frac_bits: int, where: str) -> FixedType:
    """A type that holds every raw value in [lo, hi] at ``frac_bits`` without overflow."""
    width = signed_bits(lo, hi)
    if width > MAX_WIDTH:
        raise GraphError(
            f"{where}: an exact accumulator needs {width} bits, more than the {MAX_WIDTH} the emulator holds; "
            "narrow the input or weight types, or set an explicit accumulator type"
        )
    return FixedType(width, width - frac_bits, True, Rounding.TRN, Overflow.WRAP)
