"""QONNX Quant, BipolarQuant and Trunc: conversions to the types a model was trained with.

On a constant (a weight or bias) the quantizer is applied here and the constant
remembers its type; on a computed tensor it becomes a conversion (see :mod:`.trained`).
"""

from __future__ import annotations

import numpy as np
import onnx

from ...errors import UnsupportedError
from ...fixed import FixedType, Overflow, Rounding
from ...ir.ops import BatchNorm
from .builder import Builder, Tensor, where
from .qonnx_params import Quantizer, bipolar_params, bipolar_type, quant_params, trunc_params
from .trained import convert


def _fold(b: Builder, node: onnx.NodeProto, q: Quantizer) -> None:
    x = np.asarray(b.values[node.input[0]])
    values = q.apply(x)
    if x.dtype.kind == "f" and np.array_equal(values.astype(x.dtype), values):
        values = values.astype(x.dtype)  # keep the model's float type where it is exact
    b.set(node.output[0], values)
    b.constant_types[node.output[0]] = q.fixed_type()


def _scaled_batchnorm(
    b: Builder, node: onnx.NodeProto, t: Tensor, scale: float, shift: float, weight: FixedType, bias: FixedType,
    result: FixedType,
) -> Tensor:
    """``t * scale + shift`` (exact: ``weight`` and ``bias`` hold the constants), then ``result``."""
    channels = b.shapes[t.ir][-1]
    op = BatchNorm(np.full(channels, scale), np.full(channels, shift))
    out = b.emit(b.hint(node), op, [t.ir], node)
    b.trained[out].update(weight=weight, bias=bias, result=result)
    return Tensor(out, t.layout, fresh=True)


def _bipolar(b: Builder, node: onnx.NodeProto, t: Tensor, e: int) -> Tensor:
    """``x >= 0 ? 2**e : -2**e`` as ``2 * s + 2**e`` where ``s`` is ``x`` floored and
    saturated to one signed bit of weight ``2**e`` (so ``s`` is ``-2**e`` or 0)."""
    sign = convert(b, node, t, FixedType(1, 1 + e, True, Rounding.TRN, Overflow.SAT), hint=f"{b.hint(node)}/sign")
    two, lsb = FixedType(2, 2, signed=False), FixedType(1, 1 + e, signed=False)
    return _scaled_batchnorm(b, node, sign, 2.0, 2.0**e, two, lsb, bipolar_type(e))


def quant(b: Builder, node: onnx.NodeProto) -> None:
    """Quant(x, scale, zeropt, bitwidth): a conversion to a fixed-point type."""
    q = quant_params(b, node)
    if b.is_constant(node.input[0]):
        _fold(b, node, q)
        return
    t = b.runtime(node, 0)
    if q.bipolar:
        b.set(node.output[0], _bipolar(b, node, t, q.exponent))
        return
    b.set(node.output[0], convert(b, node, t, q.fixed_type(), clip=q.value_range if q.clips else None))


def bipolar_quant(b: Builder, node: onnx.NodeProto) -> None:
    """BipolarQuant(x, scale): ``x >= 0 ? scale : -scale``."""
    q = bipolar_params(b, node)
    if b.is_constant(node.input[0]):
        _fold(b, node, q)
        return
    b.set(node.output[0], _bipolar(b, node, b.runtime(node, 0), q.exponent))


def trunc(b: Builder, node: onnx.NodeProto) -> None:
    """Trunc: round to the input grid (half to even), then drop low bits with
    ``rounding_mode`` (version 2: to ``out_scale``; version 1: dividing the value)."""
    p = trunc_params(b, node)
    if b.is_constant(node.input[0]):
        raise UnsupportedError(f"{where(node)}: Trunc of a constant is not supported")
    x = convert(b, node, b.runtime(node, 0), p.in_type, hint=f"{b.hint(node)}/round")
    if not p.divide_by:
        out = p.out
        b.set(node.output[0], convert(b, node, x, out.fixed_type(), clip=out.value_range if out.clips else None))
        return
    weight = FixedType(1, 1 - p.divide_by, signed=False)  # holds 2**-divide_by
    zero = FixedType(1, 1, signed=False)
    b.set(node.output[0], _scaled_batchnorm(b, node, x, 2.0**-p.divide_by, 0.0, weight, zero, p.out.fixed_type()))
