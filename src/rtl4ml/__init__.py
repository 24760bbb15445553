"""rtl4ml: trained neural networks to bit-exact, verified FPGA hardware."""

from .errors import Rtl4mlError
from .fixed import FixedType, Overflow, Rounding

__all__ = ["FixedType", "Overflow", "Rounding", "Rtl4mlError"]
__version__ = "0.1.0"
