"""rtl4ml: trained neural networks to bit-exact, verified FPGA hardware."""

from .api import Design, config_from_model, convert, load_model
from .config import Config, LayerConfig, load_config, save_config
from .errors import Rtl4mlError
from .estimate import estimate
from .fixed import FixedType, Overflow, Rounding
from .ir import Graph

__all__ = [
    "Config", "Design", "FixedType", "Graph", "LayerConfig", "Overflow", "Rounding", "Rtl4mlError",
    "config_from_model", "convert", "estimate", "load_config", "load_model", "save_config",
]
__version__ = "0.1.0"
