"""Reading and writing configs (dicts, YAML, JSON): where config strings are parsed."""

from __future__ import annotations

import json
import re
from dataclasses import fields, replace
from pathlib import Path

import yaml

from ..errors import ConfigError, FixedTypeError
from ..fixed import FixedType, parse_fixed
from ..util.files import write_text_atomic
from .spec import TYPE_KEYS, Auto, AutoBits, Config, LayerConfig, PassConfig, Strategy

_AUTO_BITS = re.compile(r"^(?P<pre>(?:ap_)?u?fixed\s*<\s*\d+\s*,)\s*auto\s*(?P<post>(?:,[^>]*)?>)$", re.I)
LAYER_KEYS = tuple(f.name for f in fields(LayerConfig))
PASS_KEYS = tuple(f.name for f in fields(PassConfig))


def parse_type(value, where: str):
    """A type string (``fixed<16,6>``, ``fixed<16,auto>``, ``auto`` for accumulators)."""
    text = str(value).strip()
    if where.endswith(".accumulator") and text.lower() == "auto":
        return Auto.EXACT
    try:
        m = _AUTO_BITS.match(text)
        if m:
            t = parse_fixed(f"{m['pre']}0{m['post']}")
            return AutoBits(t.width, t.signed, t.rounding, t.overflow)
        return parse_fixed(text)
    except FixedTypeError as e:
        raise ConfigError(f"{where}: {e}") from None


def _layer_from_dict(d, where: str) -> LayerConfig:
    if not isinstance(d, dict):
        raise ConfigError(f"{where}: expected a mapping of settings, got {d!r}")
    unknown = sorted(set(d) - set(LAYER_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; accepted: {', '.join(LAYER_KEYS)}")
    kw = {}
    for key, value in d.items():
        at = f"{where}.{key}"
        if value is None:
            continue
        if key in TYPE_KEYS:
            kw[key] = parse_type(value, at)
        elif key == "strategy":
            try:
                kw[key] = Strategy(str(value).lower())
            except ValueError:
                raise ConfigError(f"{at}: unknown strategy {value!r}; accepted: latency, resource") from None
        elif key == "use_dsp":
            if not isinstance(value, bool):
                raise ConfigError(f"{at}: expected true or false, got {value!r}")
            kw[key] = value
        elif key in ("table_size", "reuse_factor", "adder_levels", "bram_threshold", "pe", "simd",
                     "layer_fifo_depth"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{at}: expected an integer, got {value!r}")
            kw[key] = value
        else:
            try:
                kw[key] = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{at}: expected a number, got {value!r}") from None
    try:
        return LayerConfig(**kw)
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None


def config_from_dict(d) -> Config:
    """Build a :class:`Config` from a plain dict (as read from YAML or JSON)."""
    if d is None:
        return Config()
    if not isinstance(d, dict):
        raise ConfigError(f"config: expected a mapping with model/layers/passes, got {type(d).__name__}")
    unknown = sorted(set(d) - {"model", "layers", "passes"})
    if unknown:
        raise ConfigError(f"config: unknown section(s) {unknown}; accepted: model, layers, passes")
    layers = d.get("layers") or {}
    if not isinstance(layers, dict):
        raise ConfigError("config.layers: expected a mapping from layer name to settings")
    passes = d.get("passes") or {}
    bad = sorted(set(passes) - set(PASS_KEYS)) if isinstance(passes, dict) else ["<not a mapping>"]
    if bad:
        raise ConfigError(f"config.passes: unknown key(s) {bad}; accepted: {', '.join(PASS_KEYS)}")
    for key, value in passes.items():
        if not isinstance(value, bool):
            raise ConfigError(f"config.passes.{key}: expected true or false, got {value!r}")
    return Config(
        model=_layer_from_dict(d.get("model") or {}, "config.model"),
        layers={str(k): _layer_from_dict(v or {}, f"config.layers.{k}") for k, v in layers.items()},
        passes=PassConfig(**passes),
    )


def _value_to_text(value):
    if isinstance(value, (FixedType, AutoBits)):
        return str(value)
    if isinstance(value, (Auto, Strategy)):
        return value.value
    return value


def layer_to_dict(layer: LayerConfig) -> dict:
    return {k: _value_to_text(v) for k, v in layer.explicit().items()}


def config_to_dict(config: Config) -> dict:
    return {
        "model": layer_to_dict(config.model),
        "layers": {name: layer_to_dict(layer) for name, layer in config.layers.items()},
        "passes": {f.name: getattr(config.passes, f.name) for f in fields(PassConfig)},
    }


# an unquoted type such as fixed<6,1> inside a YAML flow mapping {weight: fixed<6,1>}
# would be split at its comma: quote such types before YAML sees them
_BARE_TYPE = re.compile(r"(?<![\"'\w])((?:ap_)?u?(?:fixed|int)\s*<[^<>\n\"']*>)", re.I)


def parse_config_text(text: str, where: str = "config") -> Config:
    """Parse YAML or JSON text (JSON is YAML, so one reader serves both)."""
    try:
        data = yaml.safe_load(_BARE_TYPE.sub(r'"\1"', text))
    except yaml.YAMLError as e:
        raise ConfigError(f"{where} is not valid YAML/JSON: {str(e).splitlines()[0]}") from None
    return config_from_dict(data)


def load_config(path) -> Config:
    """Read a YAML or JSON config file."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise ConfigError(f"cannot read config file '{p}': {e.strerror or e}") from None
    try:
        return parse_config_text(text, f"config file '{p}'")
    except ConfigError as e:
        raise ConfigError(str(e) if str(e).startswith("config file") else f"{p}: {e}") from None


def save_config(config: Config, path) -> None:
    """Write a config as JSON (``.json``) or YAML (anything else)."""
    p = Path(path)
    d = config_to_dict(config)
    text = json.dumps(d, indent=2) + "\n" if p.suffix.lower() == ".json" else yaml.safe_dump(d, sort_keys=False)
    write_text_atomic(p, text)


def with_shortcuts(config: Config, precision=None, weight_precision=None, reuse=None, argmax=False) -> Config:
    """Apply the command line's ``--precision``, ``--weight-precision``, ``--reuse``, ``--argmax``."""
    model = config.model
    if precision is not None:
        model = replace(model, precision=parse_type(precision, "--precision"))
    if weight_precision is not None:
        model = replace(model, weight=parse_type(weight_precision, "--weight-precision"))
    if reuse is not None:
        model = replace(model, reuse_factor=int(reuse))
    passes = replace(config.passes, argmax_output=True) if argmax else config.passes
    return replace(config, model=model, passes=passes)
