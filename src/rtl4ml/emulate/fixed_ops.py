"""Bit-exact integer kernels, one per op: the specification hardware must reproduce.

Each kernel takes the node and its inputs as :class:`FixedArray` (raw integers plus
their type) and returns raw integers of ``node.precision.result``. Sums are exact
(in an exactly sized accumulator); the only rounding points are conversions to a
declared type, each with that type's rounding and overflow modes.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np

from ..fixed import FixedType, Overflow
from ..ir import Node
from ..ir import ops as O
from . import fast_linear
from .carrier import fit
from .fixed_activation import activate
from .tables import TableFunction, lookup
from .windows import im2col, window_counts, windows


@dataclass(frozen=True)
class FixedArray:
    raw: np.ndarray  # a batch of raw integers (float64 or int64 carrier)
    type: FixedType

    def to_float(self) -> np.ndarray:
        return self.type.to_float(self.raw)


_CONSTANTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _magnitude_bits(a: np.ndarray) -> int:
    return int(np.max(np.abs(a))).bit_length() + 1 if a.size else 1


def _sum_bits(p, x_type: FixedType, k: int, b_aligned: np.ndarray) -> int:
    """Bits that hold every partial sum of ``k`` products plus the bias exactly."""
    bias_bits = _magnitude_bits(b_aligned)
    if p.exact_accumulator:  # products alone stay within the exact range minus the bias
        return max(p.accumulator.width, bias_bits) + 1
    prod_frac = x_type.frac_bits + p.weight.frac_bits
    grow = max(p.accumulator.frac_bits - prod_frac, 0)
    return max(x_type.width + p.weight.width + math.ceil(math.log2(k + 1)) + grow, bias_bits) + 1


def _to_accumulator(p, raw, x_type: FixedType, w, b, bits: int, elementwise: bool) -> np.ndarray:
    """``raw @ w + b`` (or ``raw * w + b`` per channel) in the accumulator type, on raw
    weights and a bias already aligned to the accumulator's LSB."""
    acc = p.accumulator
    prod_frac = x_type.frac_bits + p.weight.frac_bits
    if acc.frac_bits >= prod_frac:
        xs = fit(raw, bits)
        wc = w.astype(xs.dtype)
        total = xs * wc if elementwise else xs @ wc
        if acc.frac_bits > prod_frac:
            total = total * 2 ** (acc.frac_bits - prod_frac)
    else:  # the accumulator drops product bits: round each product, as hardware does
        wide = FixedType(62, 62 - acc.frac_bits, True, acc.rounding, Overflow.WRAP)
        xs = fit(raw, x_type.width + p.weight.width + 1)
        products = xs * w if elementwise else xs[..., :, None] * w
        rounded = wide.from_raw(products, prod_frac)
        total = fit(rounded if elementwise else rounded.sum(axis=-2), bits)
    total = total + fit(b, bits)
    return total if p.exact_accumulator else acc.from_raw(total, acc.frac_bits)


def _align_bias(b: np.ndarray, bias_t: FixedType, acc: FixedType) -> np.ndarray:
    wide = FixedType(62, 62 - acc.frac_bits, True, acc.rounding, acc.overflow)
    return wide.requantize(b, bias_t)


def _constants(node: Node, x_type: FixedType, weight: np.ndarray, bias: np.ndarray):
    """Raw weights, aligned bias, carrier bits and fast-path constants, once per node."""
    p = node.precision
    per_op = _CONSTANTS.setdefault(node.op, {})
    cached = per_op.get(id(p))  # identity check below: hashing p on every call is slow
    if cached is None or cached[0] is not p or cached[1] != x_type:
        w = p.weight.quantize(weight)
        b = _align_bias(p.bias.quantize(bias), p.bias, p.accumulator)
        bits = _sum_bits(p, x_type, weight.shape[0], b)
        prod_frac = x_type.frac_bits + p.weight.frac_bits
        cached = per_op[id(p)] = (p, x_type, (w, b, bits, fast_linear.constants(w, b, prod_frac, p)))
    return cached[2]


def _linear(node: Node, x: FixedArray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Dense/Conv core on a (..., K) input: accumulate, activate, convert to the result."""
    op = node.op
    p = node.precision
    w, b, bits, fast = _constants(node, x.type, weight, bias)
    if fast_linear.applies(x.raw, p, op.activation, bits):
        relu = op.activation is not None and op.activation.kind is O.ActivationKind.RELU
        return fast_linear.run(x.raw, *fast, p, relu)
    acc = _to_accumulator(p, x.raw, x.type, w, b, bits, elementwise=False)
    if p.pre_activation is not None:  # the producer's own rounding point, kept when fused
        return activate(p.pre_activation.from_raw(acc, p.accumulator.frac_bits), p.pre_activation, op.activation, p)
    return activate(acc, p.accumulator, op.activation, p)


def dense(node: Node, x: FixedArray) -> np.ndarray:
    return _linear(node, x, node.op.weight, node.op.bias)


def conv(node: Node, x: FixedArray) -> np.ndarray:
    op: O.Conv = node.op
    cols = FixedArray(im2col(x.raw, op.kernel_size, op.strides, op.pads), x.type)
    return _linear(node, cols, op.weight.reshape(-1, op.filters), op.bias)


def batchnorm(node: Node, x: FixedArray) -> np.ndarray:
    op: O.BatchNorm = node.op
    p = node.precision
    w, b, bits, _ = _constants(node, x.type, op.scale[None, :], op.shift)
    acc = _to_accumulator(p, x.raw, x.type, w[0], b, bits, elementwise=True)
    return p.result.from_raw(acc, p.accumulator.frac_bits)


def activation(node: Node, x: FixedArray) -> np.ndarray:
    return activate(x.raw, x.type, node.op, node.precision)


def _average(node: Node, total: np.ndarray, frac: int, count) -> np.ndarray:
    result = node.precision.result
    count = np.asarray(count, dtype=np.int64)
    if count.size == 1 and int(count.flat[0]) & (int(count.flat[0]) - 1) == 0:
        return result.from_raw(total, frac + int(count.flat[0]).bit_length() - 1)
    return result.from_ratio(fit(total, 62), frac, count)


def pool(node: Node, x: FixedArray) -> np.ndarray:
    op: O.Pool = node.op
    axes = tuple(range(-op.ndim, 0))
    if op.kind is O.PoolKind.MAX:
        low = x.type.raw_min - 1
        m = windows(x.raw, op.kernel_size, op.strides, op.pads, low).max(axis=axes)
        return node.precision.result.from_raw(m, x.type.frac_bits)
    bits = x.type.width + math.ceil(math.log2(math.prod(op.kernel_size) + 1))
    total = windows(fit(x.raw, bits), op.kernel_size, op.strides, op.pads, 0).sum(axis=axes)
    count = (
        math.prod(op.kernel_size)
        if op.count_include_pad
        else window_counts(x.raw.shape[1:-1], op.kernel_size, op.strides, op.pads)
    )
    if np.ndim(count) and np.all(count == count.flat[0]):
        count = int(count.flat[0])
    return _average(node, total, x.type.frac_bits, count)


def global_pool(node: Node, x: FixedArray) -> np.ndarray:
    op: O.GlobalPool = node.op
    axes = tuple(range(1, x.raw.ndim - 1))
    if op.kind is O.PoolKind.MAX:
        return node.precision.result.from_raw(x.raw.max(axis=axes), x.type.frac_bits)
    n = math.prod(x.raw.shape[1:-1])
    total = fit(x.raw, x.type.width + math.ceil(math.log2(n + 1))).sum(axis=axes)
    return _average(node, total, x.type.frac_bits, n)


def softmax(node: Node, x: FixedArray) -> np.ndarray:
    p = node.precision
    f = x.type.frac_bits
    xs = fit(x.raw, x.type.width + 1)
    diff = xs.max(axis=-1, keepdims=True) - xs  # >= 0
    te, ti = p.table.precision, p.inv_table.precision
    e = fit(lookup(TableFunction.EXP_NEG, diff, f, p.table), te.width + ti.width + 1)
    total = e.sum(axis=-1, keepdims=True)
    inv = lookup(TableFunction.INVERSE, total, te.frac_bits, p.inv_table)
    return p.result.from_raw(e * inv.astype(e.dtype), te.frac_bits + ti.frac_bits)


def argmax(node: Node, x: FixedArray) -> np.ndarray:
    """The index of the largest raw value over the last axis, the first on ties."""
    return np.argmax(x.raw, axis=-1)[..., None].astype(np.int64)


def add(node: Node, *xs: FixedArray) -> np.ndarray:
    frac = max(x.type.frac_bits for x in xs)
    bits = max(x.type.width + frac - x.type.frac_bits for x in xs) + math.ceil(math.log2(len(xs))) + 1
    total = sum(fit(x.raw, bits) * 2 ** (frac - x.type.frac_bits) for x in xs)
    return node.precision.result.from_raw(total, frac)


def concat(node: Node, *xs: FixedArray) -> np.ndarray:
    result = node.precision.result
    parts = [fit(result.requantize(x.raw, x.type), 62) for x in xs]
    rank = xs[0].raw.ndim - 1
    return np.concatenate(parts, axis=1 + node.op.axis % rank)


def reshape_like(node: Node, x: FixedArray, shape) -> np.ndarray:
    raw = x.raw.reshape((x.raw.shape[0],) + tuple(shape))
    return node.precision.result.requantize(raw, x.type)


FIXED_KERNELS = {
    O.Dense: dense,
    O.Conv: conv,
    O.Pool: pool,
    O.GlobalPool: global_pool,
    O.BatchNorm: batchnorm,
    O.Activation: activation,
    O.Softmax: softmax,
    O.ArgMax: argmax,
    O.Add: add,
    O.Concat: concat,
}
