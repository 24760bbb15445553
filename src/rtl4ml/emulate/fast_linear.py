"""A fused fast path for Dense/Conv: products, bias, rounding and saturation in one go.

When the inputs sit in the float64 carrier, the accumulator is exact, and the result
is rounded with TRN or RND and saturated (optionally after a ReLU), the whole
conversion folds into the matrix product: the weights and bias are pre-scaled by
``2**-shift`` (exact: a power of two) and RND's ``+1/2`` is folded into the bias, so
``floor(x @ w' + b')`` clipped to the result range gives the same integers as the
general path (accumulate, then ``from_raw``). Every partial sum stays below 2**52 in
magnitude (checked by the caller) so BLAS computes it exactly in any order.
``tests/test_emulator.py`` checks the two paths agree.
"""

from __future__ import annotations

import numpy as np

from ..fixed import FixedType, Overflow, Rounding
from ..ir import ActivationKind, NodePrecision

ENABLED = True  # tests switch this off to compare against the general path


def applies(x: np.ndarray, p: NodePrecision, activation, bits: int) -> bool:
    r = p.result
    return (
        ENABLED
        and x.dtype == np.float64
        and bits <= 52
        and p.exact_accumulator
        and p.pre_activation is None
        and r.rounding in (Rounding.TRN, Rounding.RND)
        and r.overflow in (Overflow.SAT, Overflow.SAT_SYM)
        and (activation is None or activation.kind in (ActivationKind.RELU, ActivationKind.LINEAR))
        and r.frac_bits <= p.accumulator.frac_bits
    )


def constants(w: np.ndarray, b_aligned: np.ndarray, prod_frac: int, p: NodePrecision):
    """Pre-scaled float weight and bias for :func:`run`."""
    acc: FixedType = p.accumulator
    shift = acc.frac_bits - p.result.frac_bits
    w_scaled = w.astype(np.float64) * 2.0 ** (acc.frac_bits - prod_frac - shift)
    b_scaled = b_aligned.astype(np.float64) * 2.0**-shift
    if p.result.rounding is Rounding.RND and shift > 0:
        b_scaled = b_scaled + 0.5
    return w_scaled, b_scaled


def run(x: np.ndarray, w_scaled: np.ndarray, b_scaled: np.ndarray, p: NodePrecision, relu: bool) -> np.ndarray:
    r = p.result
    lo = -r.raw_max if (r.overflow is Overflow.SAT_SYM and r.signed) else r.raw_min
    y = x @ w_scaled
    y += b_scaled
    np.floor(y, out=y)
    return np.clip(y, max(lo, 0) if relu else lo, r.raw_max, out=y)
