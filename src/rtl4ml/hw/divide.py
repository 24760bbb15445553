"""An average's division by a constant count, exactly as ``FixedType.from_ratio``.

``from_ratio(raw, frac, count)`` rounds the exact quotient ``num / den`` with
``num = raw << s`` and ``den = count`` when the result has ``s > 0`` more fraction bits,
else ``num = raw`` and ``den = count << -s``; then it applies the overflow mode. In
hardware, for ``num`` in ``[lo, hi]``:

* ``pos = num + offset`` is never negative (``offset``: a multiple of ``den``);
* ``q' = (pos * mult) >> k`` is ``floor(pos / den)`` exactly, because
  ``mult = ceil(2**k / den)`` and ``2**k > (hi + offset) * den`` (the error
  ``pos * (mult * den - 2**k) / (den * 2**k)`` stays below ``1 / den``);
* ``rem = pos - q' * den`` is the remainder, in ``[0, den)``;
* the rounding mode decides from ``2 * rem`` against ``den``, the sign of ``num`` and the
  parity of the quotient whether to add one; ``q = q' - offset / den``.

The steps' depths (adder levels) are fixed here, and both the cycle model and the
emitter use them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..fixed import FixedType
from .cycles import ROUND_LEVELS, constant_product_depth


@dataclass(frozen=True)
class ConstDivision:
    den: int
    shift_left: int  # num = raw << shift_left
    offset: int  # a multiple of den that makes num + offset >= 0
    k: int
    mult: int

    @property
    def pos_depth(self) -> int:
        return 1 if self.offset else 0

    @property
    def quot_depth(self) -> int:
        return self.pos_depth + constant_product_depth(self.mult)

    @property
    def rem_depth(self) -> int:
        return max(self.quot_depth + constant_product_depth(self.den), self.pos_depth) + 1

    @property
    def up_depth(self) -> int:
        return self.rem_depth + 1

    @property
    def out_depth(self) -> int:
        """The rounded quotient (before the overflow mode)."""
        return self.up_depth + 1

    @property
    def levels(self) -> int:
        """Everything, the result type's overflow mode included."""
        return self.out_depth + ROUND_LEVELS


def const_division(lo: int, hi: int, frac_bits: int, count: int, result: FixedType) -> ConstDivision:
    """The division of raw values in ``[lo, hi]`` with ``frac_bits`` fraction bits by
    ``count``, to ``result``."""
    s = result.frac_bits - frac_bits
    shift_left, den = (s, count) if s >= 0 else (0, count << -s)
    lo, hi = lo << shift_left, hi << shift_left
    offset = -(lo // den) * den if lo < 0 else 0
    k = max((hi + offset) * den, 1).bit_length()
    return ConstDivision(den, shift_left, offset, k, -(-(1 << k) // den))
