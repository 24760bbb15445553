"""Vectorized, exact rounding and overflow on raw integers.

Two carriers hold raw fixed-point integers:

* ``int64`` arrays holding values of magnitude below 2**62 (or ``object`` arrays of
  Python ints when an intermediate could leave that range): the general, exact path;
* ``float64`` arrays whose values are integers of magnitude below 2**52: every operation
  used below is then exact, and numpy's float kernels (and BLAS for the products that
  produce them) are much faster than its integer ones.

The rounding decision itself is written once (:func:`_round_up`) and shared by both.
"""

from __future__ import annotations

import numpy as np

from .modes import Overflow, Rounding

FLOAT_CARRIER_LIMIT = 2**52  # |value| below this: float64 arithmetic used here is exact


def _round_up(floor, rem, half, negative, rounding: Rounding):
    """Whether to add one to ``floor``: ``rem`` is what was cut off (0 <= rem < 2*half)."""
    if rounding is Rounding.TRN:
        return np.zeros(np.shape(floor), dtype=bool)
    if rounding is Rounding.TRN_ZERO:
        return negative & (rem != 0)
    above = rem > half
    tie = rem == half
    if rounding is Rounding.RND:
        return above | tie
    if rounding is Rounding.RND_ZERO:
        return above | (tie & negative)
    if rounding is Rounding.RND_MIN_INF:
        return above
    if rounding is Rounding.RND_INF:
        return above | (tie & ~negative)
    if rounding is Rounding.RND_CONV:
        return above | (tie & ((floor % 2) != 0))
    raise AssertionError(rounding)


def round_real(y: np.ndarray, rounding: Rounding) -> np.ndarray:
    """Round arbitrary finite float64 values to integers (returned as float64), exactly."""
    if rounding is Rounding.TRN:
        return np.floor(y)
    if rounding in (Rounding.RND, Rounding.RND_CONV):
        r = np.rint(y)  # ties to even, always exact
        if rounding is Rounding.RND:  # ties up instead: y - r is exact (Sterbenz, or r == 0)
            r += (y - r) == 0.5
        return r
    floor = np.floor(y)
    # y - floor is exact except for y in (-0.5, 0), where 1 + y can round to 0.5 or 1.0;
    # the true fraction there lies strictly between 1/2 and 1, as 0.75 does.
    frac = np.where((y < 0) & (y > -0.5), 0.75, y - floor)
    return floor + _round_up(floor, frac, 0.5, y < 0, rounding)


def shift_right(v: np.ndarray, shift: int, rounding: Rounding) -> np.ndarray:
    """Divide raw integers by ``2**shift`` (shift >= 1) and round; same carrier out."""
    if v.dtype == np.float64:
        y = v * (2.0**-shift)
        if rounding is Rounding.RND:  # |y| < 2**51: y + 0.5 is exact
            y += 0.5
        elif rounding is not Rounding.TRN:
            return round_real(y, rounding)
        return np.floor(y, out=y)
    if shift > 62 and v.dtype != object:
        v = v.astype(object)
    if rounding is Rounding.RND:
        return (v + (1 << (shift - 1))) >> shift  # |v| < 2**62 on the int64 carrier
    floor = v >> shift
    if rounding is Rounding.TRN:
        return floor
    rem = v - (floor << shift) if v.dtype == object else v & ((1 << shift) - 1)
    return floor + _round_up(floor, rem, 1 << (shift - 1), v < 0, rounding)


def overflow(v: np.ndarray, width: int, signed: bool, mode: Overflow, inplace: bool = False) -> np.ndarray:
    """Bring integers into the range of a ``width``-bit (un)signed type; same carrier out.
    ``inplace`` lets the saturating modes overwrite ``v``."""
    lo = -(1 << (width - 1)) if signed else 0
    hi = (1 << (width - 1)) - 1 if signed else (1 << width) - 1
    if mode is Overflow.SAT_SYM and signed:
        lo = -hi
    if mode in (Overflow.SAT, Overflow.SAT_SYM):
        if inplace and v.dtype != object:
            return np.clip(v, lo, hi, out=v)
        return _clip(v, lo, hi)
    if mode is Overflow.SAT_ZERO:
        # hi + 1 is a power of two, so this test is exact on the float64 carrier too
        return np.where((v < lo) | (v >= hi + 1), 0, v).astype(v.dtype)
    return _wrap(v, width, signed)


def _clip(v, lo, hi):
    if v.dtype == np.float64:
        return np.clip(v, float(lo), float(hi))
    return np.minimum(np.maximum(v, lo), hi)


def _wrap(v: np.ndarray, width: int, signed: bool) -> np.ndarray:
    modulus = 1 << width
    if v.dtype == np.float64:
        m = np.fmod(v, float(modulus))  # exact, in (-modulus, modulus)
        if signed:  # moving m by one modulus toward zero is exact (Sterbenz)
            half = float(modulus >> 1)
            return np.where(m >= half, m - modulus, np.where(m < -half, m + modulus, m))
        return np.where(m < 0, m + modulus, m)  # rounds only results that exceed 2**53
    if v.dtype == object:
        m = v % modulus
        return np.where(m >= (modulus >> 1), m - modulus, m) if signed else m
    m = v.view(np.uint64) & np.uint64(modulus - 1)
    if signed:
        half = np.uint64(modulus >> 1)
        return (m ^ half).astype(np.int64) - np.int64(modulus >> 1)
    return m.astype(np.int64)


def shift_left(v: np.ndarray, shift: int, width: int, signed: bool, mode: Overflow):
    """Multiply raw integers by ``2**shift`` without leaving the carrier's exact range.

    For the saturating modes, values far outside the target are first clamped to just
    outside it (so they still overflow the same way); for WRAP the int64 product is
    taken modulo 2**64, which the later wrap to ``width`` bits does not notice.
    """
    if v.dtype == np.float64:
        return v * (2.0**shift)
    if v.dtype == object:
        return v << shift
    if mode is Overflow.WRAP:
        return (v.view(np.uint64) << np.uint64(shift)).view(np.int64)
    shift = min(shift, width)  # every nonzero value overflows either way; keeps int64 exact
    lo = -(1 << (width - 1)) if signed else 0
    hi = (1 << (width - 1)) - 1 if signed else (1 << width) - 1
    return _clip(v, (lo >> shift) - 1, (hi >> shift) + 1) << shift


def divide(num: np.ndarray, den, rounding: Rounding) -> np.ndarray:
    """Round ``num / den`` to an integer exactly (int64 or object arrays; ``den`` > 0,
    a scalar or an array broadcasting against ``num``)."""
    floor = num // den
    rem = num - floor * den
    return floor + _round_up(floor, 2 * rem, den, num < 0, rounding)
