"""The integer arithmetic of a Dense (or BatchNorm) node, as the emulator defines it.

Everything a hardware implementation needs to reproduce ``emulate.fixed_ops`` exactly:
raw integer weights, the bias aligned to the accumulator's LSB, and where rounding
happens (docs/numerics.md, "Where rounding happens").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fixed import FixedType, Rounding
from ..ir import Activation, ActivationKind, Node, NodePrecision
from ..ir import ops as O


@dataclass(frozen=True, eq=False)
class LinearArith:
    """``acc_j = Σ_i x_i w_ij (+ per-product rounding) + b_j`` in the accumulator type.

    ``weight``: raw integers (n_in, n_out) of ``precision.weight``; ``bias``: raw
    integers at the accumulator's LSB. When ``product_shift >= 0`` the products are
    exact and the sum is shifted left by it; when negative, each product is rounded to
    the accumulator LSB (its rounding mode) before the sum. Unless ``exact``, the
    accumulator's overflow mode is applied to the total. Then ``pre_activation`` (if
    any) converts it, and ``activation`` plus the conversion to ``precision.result``.
    """

    weight: np.ndarray
    bias: tuple[int, ...]
    x_type: FixedType
    precision: NodePrecision
    activation: Activation | None
    elementwise: bool  # BatchNorm: weight is diagonal
    x_lo: int  # raw input values lie in [x_lo, x_hi] (within x_type's range)
    x_hi: int

    @property
    def acc(self) -> FixedType:
        return self.precision.accumulator

    @property
    def exact(self) -> bool:
        return self.precision.exact_accumulator

    @property
    def prod_frac(self) -> int:
        return self.x_type.frac_bits + self.precision.weight.frac_bits

    @property
    def product_shift(self) -> int:
        return self.acc.frac_bits - self.prod_frac

    @property
    def n_in(self) -> int:
        return self.weight.shape[0]

    @property
    def n_out(self) -> int:
        return self.weight.shape[1]


def folded_rounding(arith: LinearArith) -> tuple[tuple[int, ...], FixedType]:
    """Bias to add and type to convert the sum to, with RND's half-LSB folded into the
    bias when that is exact: ``RND(acc) == TRN(acc + half)``, so the sum's bias adder
    also does the rounding (fully parallel engines; the ReLU commutes with it). Other
    cases: the aligned bias and the result type unchanged."""
    p = arith.precision
    shift = arith.acc.frac_bits - p.result.frac_bits
    kind = None if arith.activation is None else arith.activation.kind
    if (arith.exact and p.pre_activation is None and kind in (None, ActivationKind.LINEAR, ActivationKind.RELU)
            and p.result.rounding is Rounding.RND and shift > 0):
        half = 1 << (shift - 1)
        return tuple(b + half for b in arith.bias), p.result.with_modes(rounding=Rounding.TRN)
    return arith.bias, p.result


def align_bias(bias_raw: np.ndarray, bias_t: FixedType, acc: FixedType) -> np.ndarray:
    """The bias at the accumulator's LSB, rounded with its rounding mode (as the emulator)."""
    wide = FixedType(62, 62 - acc.frac_bits, True, acc.rounding, acc.overflow)
    return wide.requantize(bias_raw, bias_t)


def linear_arith(node: Node, x_type: FixedType, x_range: tuple[int, int] | None = None) -> LinearArith:
    op = node.op
    p = node.precision
    if isinstance(op, O.BatchNorm):
        w = np.diag(p.weight.quantize(op.scale).astype(np.int64).reshape(-1))
        b = op.shift
        act, elementwise = None, True
    else:
        w = p.weight.quantize(op.weight).astype(np.int64).reshape(-1, op.weight.shape[-1])  # Conv: im2col rows
        b = op.bias
        act, elementwise = op.activation, False
    bias = align_bias(p.bias.quantize(b), p.bias, p.accumulator)
    x_lo, x_hi = x_range or (x_type.raw_min, x_type.raw_max)
    return LinearArith(w, tuple(int(v) for v in np.asarray(bias).reshape(-1)), x_type, p, act, elementwise, x_lo, x_hi)
