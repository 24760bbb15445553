"""An independent, slow, exact reference of the emulator's semantics (Python ints and
Fractions, one sample and one element at a time) for small test cases."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from rtl4ml.fixed import FixedType, Overflow, Rounding
from rtl4ml.ir import ActivationKind, Table


def convert(v: Fraction, t: FixedType) -> int:
    """Exact value -> raw integer of ``t``: round at the LSB, then overflow."""
    scaled = Fraction(v) * Fraction(2) ** t.frac_bits
    fl = math.floor(scaled)
    rem = scaled - fl
    half = Fraction(1, 2)
    q = t.rounding
    if q is Rounding.TRN:
        up = False
    elif q is Rounding.TRN_ZERO:
        up = scaled < 0 and rem != 0
    elif rem != half:
        up = rem > half
    else:
        up = {
            Rounding.RND: True,
            Rounding.RND_ZERO: scaled < 0,
            Rounding.RND_MIN_INF: False,
            Rounding.RND_INF: scaled > 0,
            Rounding.RND_CONV: fl % 2 == 1,
        }[q]
    n = fl + int(up)
    lo, hi = t.raw_min, t.raw_max
    if lo <= n <= hi and not (t.overflow is Overflow.SAT_SYM and t.signed and n == lo):
        return n
    if t.overflow is Overflow.WRAP:
        m = n % (1 << t.width)
        return m - (1 << t.width) if t.signed and m >= 1 << (t.width - 1) else m
    if t.overflow is Overflow.SAT_ZERO:
        return 0
    if t.overflow is Overflow.SAT_SYM and t.signed:
        return hi if n > hi else -hi
    return hi if n > hi else lo


def value(raw: int, t: FixedType) -> Fraction:
    return Fraction(int(raw), 2**t.frac_bits)


def table_read(x: Fraction, table: Table, entry) -> Fraction:
    """Entry ``floor((x - start) / step)`` clamped, with entry(i) -> real value."""
    i = math.floor((x - Fraction(table.start)) / Fraction(table.step))
    i = min(max(i, 0), table.size - 1)
    return value(convert(Fraction(float(entry(i, table))), table.precision), table.precision)


def _centre(i, t):
    return t.start + (i + 0.5) * t.step


TANH = lambda i, t: np.tanh(_centre(i, t))  # noqa: E731
SIGMOID = lambda i, t: 0.5 * (1 + np.tanh(0.5 * _centre(i, t)))  # noqa: E731
EXP = lambda i, t: np.exp(-(t.start + i * t.step))  # noqa: E731
INV = lambda i, t: 1.0 / (t.start + i * t.step)  # noqa: E731


def activation(x: Fraction, act, p) -> Fraction:
    """The exact activation output before conversion to the result type."""
    k = ActivationKind.LINEAR if act is None else act.kind
    q = lambda c: value(convert(Fraction(c), p.param), p.param)  # noqa: E731
    if k is ActivationKind.LINEAR:
        return x
    if k is ActivationKind.RELU:
        return max(x, Fraction(0))
    if k is ActivationKind.LEAKY_RELU:
        return x if x >= 0 else x * q(act.alpha)
    if k is ActivationKind.CLIP:
        lo = q(act.min_value) if np.isfinite(act.min_value) else x
        hi = q(act.max_value) if np.isfinite(act.max_value) else x
        return min(max(x, lo), hi)
    if k is ActivationKind.HARD_SIGMOID:
        return min(max(x * q(act.alpha) + q(act.beta), Fraction(0)), Fraction(1))
    return table_read(x, p.table, TANH if k is ActivationKind.TANH else SIGMOID)


def dense(x_raw, in_t, weight, bias, p, act=None) -> np.ndarray:
    """Dense with an exact accumulator: every output of every sample, one at a time."""
    w = p.weight.quantize(weight)
    b = p.bias.quantize(bias)
    out = np.zeros((x_raw.shape[0], w.shape[1]), dtype=np.int64)
    for s in range(x_raw.shape[0]):
        for j in range(w.shape[1]):
            acc = sum(value(x_raw[s, i], in_t) * value(w[i, j], p.weight) for i in range(w.shape[0]))
            acc += value(b[j], p.bias)
            out[s, j] = convert(activation(acc, act, p), p.result)
    return out


def softmax(x_raw, in_t, p) -> np.ndarray:
    out = np.zeros(x_raw.shape, dtype=np.int64)
    for s in range(x_raw.shape[0]):
        xs = [value(v, in_t) for v in x_raw[s]]
        m = max(xs)
        e = [table_read(m - v, p.table, EXP) for v in xs]
        inv = table_read(sum(e), p.inv_table, INV)
        out[s] = [convert(ei * inv, p.result) for ei in e]
    return out
