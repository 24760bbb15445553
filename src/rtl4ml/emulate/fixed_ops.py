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

from ..fixed import FixedType
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


def _where(node: Node) -> str:
    return f"node '{node.name}' ({node.op.label})"


_CONSTANTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def quantized(op: O.Op, values: np.ndarray, t: FixedType) -> np.ndarray:
    """``t.quantize(values)`` for a constant of ``op``, computed once per op and type."""
    per_op = _CONSTANTS.setdefault(op, {})
    key = (id(values), t)
    if key not in per_op:
        per_op[key] = t.quantize(values)
    return per_op[key]


def _linear_bits(x: FixedArray, p, k: int) -> int:
    """A bound on the bits of every partial sum of a K-term dot product plus bias."""
    acc = p.accumulator
    prod_frac = x.type.frac_bits + p.weight.frac_bits
    return x.type.width + p.weight.width + math.ceil(math.log2(k + 1)) + max(acc.frac_bits - prod_frac, 0) + 1


def _accumulate(node: Node, x: FixedArray, w: np.ndarray, b: np.ndarray, bits: int) -> np.ndarray:
    """``x @ w + b`` on raw weights (K, F) and aligned raw bias, in the accumulator type."""
    p = node.precision
    acc = p.accumulator
    prod_frac = x.type.frac_bits + p.weight.frac_bits
    if acc.frac_bits >= prod_frac:
        xs = fit(x.raw, bits, _where(node))
        total = xs @ w.astype(xs.dtype)
        if acc.frac_bits > prod_frac:
            total *= 2 ** (acc.frac_bits - prod_frac)
    else:  # the accumulator drops product bits: round each product, as hardware does
        wide = FixedType(62, 62 - acc.frac_bits, True, acc.rounding, acc.overflow)
        xs = fit(x.raw, 62, _where(node))
        products = xs[..., :, None] * w
        total = fit(wide.from_raw(products, prod_frac).sum(axis=-2), bits, _where(node))
    total += fit(b, bits, _where(node))
    return total if p.exact_accumulator else acc.from_raw(total, acc.frac_bits)


def _align_bias(b: np.ndarray, bias_t: FixedType, acc: FixedType) -> np.ndarray:
    wide = FixedType(62, 62 - acc.frac_bits, True, acc.rounding, acc.overflow)
    return wide.requantize(b, bias_t)


def _linear(node: Node, x: FixedArray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Dense/Conv core on a (..., K) input: accumulate, activate, convert to the result."""
    op = node.op
    p = node.precision
    bits = _linear_bits(x, p, weight.shape[0])
    per_op = _CONSTANTS.setdefault(op, {})
    key = ("linear", p, x.type)
    if key not in per_op:
        w = p.weight.quantize(weight)
        b = _align_bias(p.bias.quantize(bias), p.bias, p.accumulator)
        prod_frac = x.type.frac_bits + p.weight.frac_bits
        per_op[key] = (w, b, fast_linear.constants(w, b, prod_frac, p))
    w, b, fast = per_op[key]
    if fast_linear.applies(x.raw, p, op.activation, bits):
        relu = op.activation is not None and op.activation.kind is O.ActivationKind.RELU
        return fast_linear.run(x.raw, *fast, p, relu)
    acc = _accumulate(node, x, w, b, bits)
    return activate(acc, p.accumulator, op.activation, p, _where(node))


def dense(node: Node, x: FixedArray) -> np.ndarray:
    return _linear(node, x, node.op.weight, node.op.bias)


def conv(node: Node, x: FixedArray) -> np.ndarray:
    op: O.Conv = node.op
    cols = FixedArray(im2col(x.raw, op.kernel_size, op.strides, op.pads), x.type)
    return _linear(node, cols, op.weight.reshape(-1, op.filters), op.bias)


def batchnorm(node: Node, x: FixedArray) -> np.ndarray:
    op: O.BatchNorm = node.op
    p = node.precision
    scale = quantized(op, op.scale, p.weight)
    shift = _align_bias(quantized(op, op.shift, p.bias), p.bias, p.accumulator)
    up = p.accumulator.frac_bits - x.type.frac_bits - p.weight.frac_bits
    xs = fit(x.raw, x.type.width + p.weight.width + up + 1, _where(node))
    acc = xs * (scale * 2**up).astype(xs.dtype) + shift.astype(xs.dtype)
    if not p.exact_accumulator:
        acc = p.accumulator.from_raw(acc, p.accumulator.frac_bits)
    return p.result.from_raw(acc, p.accumulator.frac_bits)


def activation(node: Node, x: FixedArray) -> np.ndarray:
    return activate(x.raw, x.type, node.op, node.precision, _where(node))


def _average(node: Node, total: np.ndarray, frac: int, count) -> np.ndarray:
    result = node.precision.result
    count = np.asarray(count, dtype=np.int64)
    if count.size == 1 and int(count.flat[0]) & (int(count.flat[0]) - 1) == 0:
        return result.from_raw(total, frac + int(count.flat[0]).bit_length() - 1)
    return result.from_ratio(fit(total, 62, _where(node)), frac, count)


def pool(node: Node, x: FixedArray) -> np.ndarray:
    op: O.Pool = node.op
    axes = tuple(range(-op.ndim, 0))
    if op.kind is O.PoolKind.MAX:
        low = x.type.raw_min - 1
        m = windows(x.raw, op.kernel_size, op.strides, op.pads, low).max(axis=axes)
        return node.precision.result.from_raw(m, x.type.frac_bits)
    bits = x.type.width + math.ceil(math.log2(math.prod(op.kernel_size) + 1))
    total = windows(fit(x.raw, bits, _where(node)), op.kernel_size, op.strides, op.pads, 0).sum(axis=axes)
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
    total = fit(x.raw, x.type.width + math.ceil(math.log2(n + 1)), _where(node)).sum(axis=axes)
    return _average(node, total, x.type.frac_bits, n)


def softmax(node: Node, x: FixedArray) -> np.ndarray:
    p = node.precision
    f = x.type.frac_bits
    xs = fit(x.raw, x.type.width + 1, _where(node))
    diff = xs.max(axis=-1, keepdims=True) - xs  # >= 0
    e = lookup(TableFunction.EXP_NEG, diff, f, p.table)
    fe = p.table.precision.frac_bits
    total = e.sum(axis=-1, keepdims=True)
    inv = lookup(TableFunction.INVERSE, total, fe, p.inv_table)
    return p.result.from_raw(e * inv, fe + p.inv_table.precision.frac_bits)


def add(node: Node, *xs: FixedArray) -> np.ndarray:
    frac = max(x.type.frac_bits for x in xs)
    bits = max(x.type.width + frac - x.type.frac_bits for x in xs) + math.ceil(math.log2(len(xs))) + 1
    total = sum(fit(x.raw, bits, _where(node)) * 2 ** (frac - x.type.frac_bits) for x in xs)
    return node.precision.result.from_raw(total, frac)


def concat(node: Node, *xs: FixedArray) -> np.ndarray:
    result = node.precision.result
    parts = [fit(result.requantize(x.raw, x.type), 62, _where(node)) for x in xs]
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
    O.Add: add,
    O.Concat: concat,
}
