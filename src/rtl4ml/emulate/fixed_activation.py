"""Bit-exact activations on raw integers of any fraction width.

Used both for standalone Activation nodes (input: the previous tensor) and for
activations fused into Dense/Conv (input: the accumulator), so the two give the
same integers whenever the accumulator and the tensor hold the same values.
"""

from __future__ import annotations

import numpy as np

from ..fixed import FixedType, Overflow
from ..ir import Activation, ActivationKind, NodePrecision
from .carrier import fit
from .tables import TABLE_ACTIVATIONS, lookup


def activate(raw: np.ndarray, t: FixedType, act: Activation | None, p: NodePrecision) -> np.ndarray:
    """Apply ``act`` to raw values described by ``t`` and convert to ``p.result``."""
    result = p.result
    f = t.frac_bits
    kind = ActivationKind.LINEAR if act is None else act.kind
    if kind is ActivationKind.LINEAR:
        return result.from_raw(raw, f)
    if kind is ActivationKind.RELU:
        if result.overflow is Overflow.WRAP:
            return result.from_raw(np.maximum(raw, 0), f)
        # rounding is monotonic with round(0) = 0 and saturation keeps signs:
        # max(convert(x), 0) == convert(max(x, 0)), one pass cheaper
        y = result.from_raw(raw, f)
        return np.maximum(y, 0, out=y) if y is not raw else np.maximum(y, 0)
    if kind in TABLE_ACTIVATIONS:
        entries = lookup(TABLE_ACTIVATIONS[kind], raw, f, p.table)
        return result.requantize(entries, p.table.precision)
    param = p.param
    pf = param.frac_bits
    if kind is ActivationKind.LEAKY_RELU:
        alpha = int(param.quantize(act.alpha))
        x = fit(raw, t.width + param.width)
        return result.from_raw(np.where(x >= 0, x * 2**pf, x * alpha), f + pf)
    if kind is ActivationKind.CLIP:  # an infinite bound clips nothing on its side
        common = max(f, pf)
        lo, hi = (
            int(param.quantize(v)) << (common - pf) if np.isfinite(v) else None
            for v in (act.min_value, act.max_value)
        )
        x = fit(raw, t.width + common - f) * 2 ** (common - f)
        return result.from_raw(np.clip(x, lo, hi), common)
    if kind is ActivationKind.HARD_SIGMOID:
        slope, offset = (int(v) for v in param.quantize([act.alpha, act.beta]))
        x = fit(raw, t.width + param.width + 1)
        one = 2 ** (f + pf)
        return result.from_raw(np.clip(x * slope + offset * 2**f, 0, one), f + pf)
    raise AssertionError(kind)
