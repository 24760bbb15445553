"""QONNX quantizers as fixed-point types.

QONNX (domain ``qonnx.custom_op.general``, earlier ``finn.custom_op.general``) writes a
quantization as ``Quant(x) = (clip(round(x / scale + zeropt), qmin, qmax) - zeropt) * scale``
with ``[qmin, qmax]`` set by ``bitwidth``, ``signed`` and ``narrow``. With a power-of-two
``scale = 2**e`` and ``zeropt = 0`` that is a conversion to a fixed-point type: ``bitwidth``
bits with LSB ``2**e``, the rounding of ``rounding_mode``, saturating overflow (symmetric
when ``narrow``). Clamping before rounding, as QONNX writes it, equals rounding first:
the bounds are integers and every rounding mode keeps integers and order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx

from ...errors import UnsupportedError
from ...fixed import MAX_WIDTH, FixedType, Overflow, Rounding
from ...fixed.rounding import round_real
from .builder import Builder, attributes, where

QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general")

#: QONNX rounding_mode -> the ap_fixed rounding doing the same on the scaled value.
ROUNDING_MODES = {
    "ROUND": Rounding.RND_CONV,  # half to even
    "HALF_EVEN": Rounding.RND_CONV,
    "FLOOR": Rounding.TRN,
    "DOWN": Rounding.TRN_ZERO,  # toward zero
    "ROUND_TO_ZERO": Rounding.TRN_ZERO,
    "HALF_UP": Rounding.RND_INF,  # half away from zero
    "HALF_DOWN": Rounding.RND_ZERO,  # half toward zero
}
#: Modes without an ap_fixed counterpart, and what they do.
NO_FIXED_MODE = {"CEIL": "rounds toward +infinity", "UP": "rounds away from zero"}


@dataclass(frozen=True)
class Quantizer:
    """``bits``-bit integers times ``2**exponent`` (one exponent per element of
    ``exponents`` for per-channel scales of constants; ``exponent`` is their largest)."""

    bits: int
    exponents: np.ndarray
    signed: bool = True
    narrow: bool = False
    rounding: Rounding = Rounding.RND_CONV

    @property
    def exponent(self) -> int:
        return int(self.exponents.max())

    @property
    def bipolar(self) -> bool:
        """QONNX executes (and FINN types) a 1-bit signed Quant as a bipolar one: +-scale."""
        return self.bits == 1 and self.signed

    @property
    def qmin(self) -> int:
        if not self.signed:
            return 0
        return -(2 ** (self.bits - 1)) + int(self.narrow)

    @property
    def qmax(self) -> int:
        if not self.signed:
            return 2**self.bits - 1 - int(self.narrow)
        return 2 ** (self.bits - 1) - 1

    @property
    def clips(self) -> bool:
        """True if the range is no fixed-point type's range (narrow and unsigned)."""
        return self.narrow and not self.signed

    @property
    def value_range(self) -> tuple[float, float]:
        s = 2.0**self.exponent
        return self.qmin * s, self.qmax * s

    def fixed_type(self) -> FixedType:
        """The type of the quantized values; for per-channel scales one covering them all."""
        spread = self.exponent - int(self.exponents.min())
        if self.bipolar:
            return FixedType(2 + spread, 2 + self.exponent)  # holds -2**e and 2**e
        overflow = Overflow.SAT_SYM if self.narrow and self.signed else Overflow.SAT
        return FixedType(self.bits + spread, self.bits + self.exponent, self.signed, self.rounding, overflow)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """The quantized (dequantized-back) values of the constant ``x``, exactly."""
        scale = np.ldexp(1.0, self.exponents)
        y = np.asarray(x, dtype=np.float64) / scale
        if self.bipolar:
            return np.where(y >= 0, 1.0, -1.0) * scale
        return np.clip(round_real(y, self.rounding), self.qmin, self.qmax) * scale


def rounding_mode(node: onnx.NodeProto, default: str = "ROUND") -> Rounding:
    mode = str(attributes(node).get("rounding_mode", default)).upper()
    if mode in ROUNDING_MODES:
        return ROUNDING_MODES[mode]
    supported = ", ".join(ROUNDING_MODES)
    if mode in NO_FIXED_MODE:
        raise UnsupportedError(
            f"{where(node)}: rounding_mode {mode} {NO_FIXED_MODE[mode]}, which no fixed-point rounding mode does; "
            f"supported: {supported}"
        )
    raise UnsupportedError(f"{where(node)}: unknown rounding_mode '{mode}'; supported: {supported}")


def _constant(b: Builder, node: onnx.NodeProto, i: int, what: str) -> np.ndarray:
    if i >= len(node.input) or not node.input[i]:
        raise UnsupportedError(f"{where(node)}: the {what} (input {i}) is missing")
    if not b.is_constant(node.input[i]):
        raise UnsupportedError(
            f"{where(node)}: the {what} ('{node.input[i]}') is computed at run time; only constants are supported"
        )
    return np.asarray(b.values[node.input[i]], dtype=np.float64)


def scale_exponents(b: Builder, node: onnx.NodeProto, i: int, per_element: bool, what: str = "scale") -> np.ndarray:
    """log2 of a power-of-two scale; ``per_element``: one exponent per element (constants
    may have per-channel scales), else all elements must be equal (one per tensor)."""
    s = _constant(b, node, i, what)
    mantissa, exp = np.frexp(s)
    if s.size == 0 or not (np.isfinite(s).all() and (mantissa == 0.5).all()):
        bad = s[~(np.isfinite(s) & (mantissa == 0.5))]
        shown = f"{float(bad.flat[0]):g}" if bad.size else "empty"
        raise UnsupportedError(
            f"{where(node)}: {what} {shown} is not a power of two; only power-of-two scales map onto "
            "fixed-point types"
        )
    exp = (exp - 1).astype(np.int64)
    if per_element:
        return exp
    if exp.min() != exp.max():
        raise UnsupportedError(
            f"{where(node)}: per-channel {what}s {sorted(set(2.0 ** exp.reshape(-1)))} differ; on a computed tensor "
            "only one scale per tensor maps onto one fixed-point type"
        )
    return exp.reshape(-1)[:1]


def zero_point(b: Builder, node: onnx.NodeProto, i: int, what: str = "zero point") -> None:
    z = _constant(b, node, i, what)
    if np.any(z != 0):
        raise UnsupportedError(
            f"{where(node)}: {what} {float(z[z != 0].flat[0]):g} is not zero; only zero points of 0 are supported"
        )


def bit_width(b: Builder, node: onnx.NodeProto, i: int, what: str = "bit width") -> int:
    w = _constant(b, node, i, what)
    if w.size == 0 or np.any(w != w.reshape(-1)[0]):
        raise UnsupportedError(f"{where(node)}: the {what} must be one value, got {w.reshape(-1).tolist()}")
    bits = float(w.reshape(-1)[0])
    if bits != int(bits) or not 1 <= bits <= MAX_WIDTH:
        raise UnsupportedError(f"{where(node)}: {what} {bits:g} must be an integer from 1 to {MAX_WIDTH}")
    return int(bits)


def _flag(node: onnx.NodeProto, name: str, default: int) -> bool:
    return bool(int(attributes(node).get(name, default)))


def quant_params(b: Builder, node: onnx.NodeProto) -> Quantizer:
    """``Quant(x, scale, zeropt, bitwidth; signed=1, narrow=0, rounding_mode=ROUND)``."""
    constant_input = b.is_constant(node.input[0])
    exps = scale_exponents(b, node, 1, per_element=constant_input)
    zero_point(b, node, 2)
    bits = bit_width(b, node, 3)
    q = Quantizer(bits, exps, _flag(node, "signed", 1), _flag(node, "narrow", 0), rounding_mode(node))
    if not q.bipolar and q.qmin >= q.qmax:
        raise UnsupportedError(f"{where(node)}: a {bits}-bit narrow range holds a single value")
    return q


def bipolar_params(b: Builder, node: onnx.NodeProto) -> Quantizer:
    """``BipolarQuant(x, scale)``: ``x >= 0 ? scale : -scale``."""
    exps = scale_exponents(b, node, 1, per_element=b.is_constant(node.input[0]))
    return Quantizer(1, exps, signed=True)


def bipolar_type(exponent: int) -> FixedType:
    """The narrowest type holding both ``-2**e`` and ``2**e``."""
    return Quantizer(1, np.array([exponent])).fixed_type()


@dataclass(frozen=True)
class TruncParams:
    """Trunc: ``x`` (on the grid ``2**in_exponent``, ``in_bits`` bits) rounded to ``out``.

    Version 1 (5 inputs) divides the value by ``2**(in_bits - out_bits)`` and keeps the
    scale; version 2 (7 inputs) keeps the value and moves to ``out_scale``.
    """

    in_type: FixedType
    out: Quantizer
    divide_by: int  # version 1: the power of two the value is divided by; 0 in version 2


def trunc_params(b: Builder, node: onnx.NodeProto) -> TruncParams:
    """Trunc version 1 ``(x, scale, zeropt, in_bitwidth, out_bitwidth)`` or version 2
    ``(x, scale, zeropt, in_bitwidth, out_scale, out_zeropt, out_bitwidth)``."""
    n = len(node.input)
    if n not in (5, 7):
        raise UnsupportedError(f"{where(node)}: Trunc takes 5 (version 1) or 7 (version 2) inputs, got {n}")
    e_in = int(scale_exponents(b, node, 1, per_element=False)[0])
    zero_point(b, node, 2)
    in_bits = bit_width(b, node, 3, "input bit width")
    rounding = rounding_mode(node, default="FLOOR")
    # the input is first rounded to its own grid (half to even), a no-op on quantized data
    if n == 5:
        out_bits = bit_width(b, node, 4, "output bit width")
        shift = in_bits - out_bits
        if shift < 0:
            raise UnsupportedError(f"{where(node)}: output bit width {out_bits} exceeds the input's {in_bits}")
        # version 1 has no clamp and no sign: two more bits than out_bits hold any input
        # (signed or not) divided by 2**shift and rounded up
        out = Quantizer(out_bits + 2, np.array([e_in]), True, False, rounding)
        return TruncParams(FixedType(in_bits + 1, in_bits + 1 + e_in, True, Rounding.RND_CONV), out, shift)
    signed, narrow = _flag(node, "signed", 1), _flag(node, "narrow", 0)
    e_out = int(scale_exponents(b, node, 4, per_element=False, what="output scale")[0])
    zero_point(b, node, 5, "output zero point")
    out_bits = bit_width(b, node, 6, "output bit width")
    out = Quantizer(out_bits, np.array([e_out]), signed, narrow, rounding)
    if out.bipolar or out.qmin >= out.qmax:
        raise UnsupportedError(f"{where(node)}: a {out_bits}-bit output range this narrow is not supported")
    return TruncParams(FixedType(in_bits, in_bits + e_in, signed, Rounding.RND_CONV), out, 0)
