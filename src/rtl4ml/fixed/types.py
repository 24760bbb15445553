"""The fixed-point number type: ``value = raw_integer * 2**-(width - int_bits)``."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import FixedTypeError
from . import rounding as _r
from .modes import Overflow, Rounding

MAX_WIDTH = 62  # raw integers live in int64 with headroom for one carry


@dataclass(frozen=True)
class FixedType:
    """A fixed-point type with the semantics of ``ap_fixed<W, I, Q, O>``.

    ``width`` bits in all, ``int_bits`` of them above the binary point (the sign bit
    included when ``signed``). ``int_bits`` may be negative or exceed ``width``.
    Converting a value first rounds it to the LSB with ``rounding``, then brings the
    rounded value into range with ``overflow``, exactly as the ap_fixed headers do.
    """

    width: int
    int_bits: int
    signed: bool = True
    rounding: Rounding = Rounding.RND
    overflow: Overflow = Overflow.SAT

    def __post_init__(self) -> None:
        if not isinstance(self.width, int) or not isinstance(self.int_bits, int):
            raise FixedTypeError(
                f"fixed-point width and integer bits must be integers, got {self.width!r}, {self.int_bits!r}"
            )
        if not 1 <= self.width <= MAX_WIDTH:
            raise FixedTypeError(
                f"fixed-point width {self.width} is out of range: accepted 1 to {MAX_WIDTH} bits"
            )
        if not isinstance(self.rounding, Rounding) or not isinstance(self.overflow, Overflow):
            raise FixedTypeError("rounding and overflow must be Rounding and Overflow members")

    # ---- construction -------------------------------------------------------------
    @staticmethod
    def parse(text: str) -> FixedType:
        """Parse ``fixed<16,6>``, ``ufixed<8,0,TRN,WRAP>``, ``ap_fixed<16,6,AP_RND,AP_SAT>``,
        ``ap_ufixed<8,4>``, ``ap_int<8>``, ``ap_uint<4>``, ``int<8>``, ``uint<4>``.

        The ``ap_`` forms default to ``TRN``/``WRAP`` as in the ap_fixed headers; the
        short forms default to rtl4ml's ``RND``/``SAT``.
        """
        from .parse import parse_fixed

        return parse_fixed(text)

    def with_modes(self, rounding: Rounding | None = None, overflow: Overflow | None = None) -> FixedType:
        return replace(
            self,
            rounding=self.rounding if rounding is None else rounding,
            overflow=self.overflow if overflow is None else overflow,
        )

    # ---- properties -----------------------------------------------------------------
    @property
    def frac_bits(self) -> int:
        return self.width - self.int_bits

    @property
    def raw_min(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def raw_max(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def lsb(self) -> float:
        return 2.0**-self.frac_bits

    @property
    def min(self) -> float:
        return self.raw_min * self.lsb

    @property
    def max(self) -> float:
        return self.raw_max * self.lsb

    # ---- conversions ----------------------------------------------------------------
    def quantize(self, x) -> np.ndarray:
        """Real values (any float array) to raw integers (int64), rounded then overflowed."""
        x = np.asarray(x, dtype=np.float64)
        if not np.isfinite(x).all():
            if np.isnan(x).any():
                raise FixedTypeError(f"cannot quantize NaN to {self}")
            if self.overflow is Overflow.WRAP:
                raise FixedTypeError(f"cannot quantize an infinite value to {self} (WRAP overflow)")
            x = np.clip(x, -(2.0 ** (abs(self.int_bits) + 2)), 2.0 ** (abs(self.int_bits) + 2))
        with np.errstate(over="ignore", invalid="ignore"):  # huge x: handled below
            y = np.ldexp(x, self.frac_bits)
            if self.frac_bits < 0:
                # a tiny x can underflow to zero: only its sign matters then
                y = np.where((y == 0) & (x != 0), np.copysign(2.0**-1074, x), y)
            y = _r.round_real(y, self.rounding)
            if self.overflow is Overflow.WRAP:
                # a double too large to scale is a multiple of 2**width: it wraps to 0
                y = np.where(np.isfinite(y), np.fmod(y, 2.0**self.width), 0.0)
            else:
                y = np.clip(y, -(2.0**MAX_WIDTH), 2.0**MAX_WIDTH)
        return _r.overflow(y.astype(np.int64), self.width, self.signed, self.overflow)

    def to_float(self, raw) -> np.ndarray:
        """Raw integers to their real values (float64; exact for widths up to 53)."""
        return np.asarray(raw).astype(np.float64) * self.lsb

    def round_trip(self, x) -> np.ndarray:
        """The real values ``x`` takes after quantization to this type."""
        return self.to_float(self.quantize(x))

    def from_raw(self, raw, frac_bits: int) -> np.ndarray:
        """Convert raw integers with ``frac_bits`` fraction bits to this type.

        ``raw`` is an int64 array (|values| < 2**62), an object array of Python ints, or a
        float64 array holding integers below 2**52 in magnitude. The result is float64 for
        a float64 input when this type is at most 52 bits wide, int64 otherwise.
        """
        raw = np.asarray(raw)
        if raw.dtype == np.float64 and self.width > 52:
            raw = raw.astype(np.int64)  # exact (|raw| < 2**52); float bounds would not be
        shift = frac_bits - self.frac_bits
        if shift > 0:
            v = _r.shift_right(raw, shift, self.rounding)
        elif shift < 0:
            v = _r.shift_left(raw, -shift, self.width, self.signed, self.overflow)
        else:
            v = raw
        out = _r.overflow(v, self.width, self.signed, self.overflow, inplace=v is not raw)
        return out.astype(np.int64) if out.dtype == object else out

    def from_ratio(self, raw, frac_bits: int, divisor) -> np.ndarray:
        """Convert ``raw * 2**-frac_bits / divisor`` (divisor: positive integers, scalar or
        array) to this type, rounding the exact quotient; int64 in and out."""
        shift = self.frac_bits - frac_bits
        num = np.asarray(raw).astype(np.int64)
        den = np.asarray(divisor, dtype=np.int64)
        if shift > 0:
            if num.size and np.abs(num).max() >= 2 ** max(62 - shift, 0):
                num = num.astype(object)  # the scaled numerator leaves int64
            num = num << shift
        elif shift < 0:
            den = den << -shift
        out = _r.overflow(_r.divide(num, den, self.rounding), self.width, self.signed, self.overflow)
        return out.astype(np.int64)

    def requantize(self, raw, source: FixedType) -> np.ndarray:
        """Raw integers of type ``source`` to raw integers of this type."""
        return self.from_raw(raw, source.frac_bits)

    # ---- text -----------------------------------------------------------------------
    def __str__(self) -> str:
        name = "fixed" if self.signed else "ufixed"
        modes = ""
        if (self.rounding, self.overflow) != (Rounding.RND, Overflow.SAT):
            modes = f",{self.rounding.value},{self.overflow.value}"
        return f"{name}<{self.width},{self.int_bits}{modes}>"

    def __repr__(self) -> str:
        return f"FixedType('{self}')"

    def to_ap(self) -> str:
        """The equivalent ap_fixed C++ type name."""
        name = "ap_fixed" if self.signed else "ap_ufixed"
        return f"{name}<{self.width},{self.int_bits},AP_{self.rounding.value},AP_{self.overflow.value}>"


def requantize(raw, source: FixedType, target: FixedType) -> np.ndarray:
    """Raw integers of ``source`` to raw integers of ``target`` (target's rounding/overflow)."""
    return target.requantize(raw, source)
