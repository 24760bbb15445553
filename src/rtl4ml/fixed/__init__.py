"""Fixed-point types with ap_fixed semantics."""

from .modes import Overflow, Rounding
from .parse import parse_fixed
from .types import MAX_WIDTH, FixedType, requantize

__all__ = ["FixedType", "Overflow", "Rounding", "MAX_WIDTH", "parse_fixed", "requantize"]
