"""Configuration: typed settings per model and per layer, read from YAML or JSON."""

from .io import (
    config_from_dict, config_to_dict, load_config, parse_config_text, parse_type, save_config, with_shortcuts,
)
from .spec import Auto, AutoBits, Config, LayerConfig, PassConfig, Strategy

__all__ = [
    "Auto", "AutoBits", "Config", "LayerConfig", "PassConfig", "Strategy", "config_from_dict",
    "config_to_dict", "load_config", "parse_config_text", "parse_type", "save_config", "with_shortcuts",
]
