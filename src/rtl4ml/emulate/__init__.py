"""Emulation: the float reference and the bit-exact fixed-point integer path."""

from .fixed_ops import FixedArray
from .run import run_fixed, run_float

__all__ = ["FixedArray", "run_fixed", "run_float"]
