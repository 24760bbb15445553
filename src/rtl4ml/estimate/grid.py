"""The configurations an estimate spans: the cross product of the grid's lists on top of
a base config. Hardware keys change the design; ``device`` and ``clock_mhz`` only how
its figures are read, so each design is planned once for all of them."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import product

from ..config import Config, config_from_dict
from ..devices import Device, device
from ..errors import ConfigError

#: model-wide config keys a grid may vary (the config file's spelling)
HW_KEYS = ("precision", "reuse_factor", "strategy", "use_dsp")
READ_KEYS = ("device", "clock_mhz")
GRID_KEYS = HW_KEYS + READ_KEYS


@dataclass(frozen=True)
class HwPoint:
    """One hardware configuration: the grid's values (as given) and the config they make."""

    values: tuple[tuple[str, object], ...]
    config: Config


@dataclass(frozen=True)
class ReadPoint:
    device: Device | None
    clock_mhz: float | None


def _plain(value):
    """A numpy scalar as the Python value it holds."""
    return value.item() if hasattr(value, "item") and getattr(value, "ndim", None) == 0 else value


def _as_list(key: str, value) -> list:
    """A value, or any iterable of values (a list, a range, an array; not a string)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return [_plain(value)]
    values = [_plain(v) for v in value]
    if not values:
        raise ConfigError(f"estimate: {key} is an empty list")
    return values


def _label(key: str, value):
    return str(value) if key == "precision" else value


def hw_points(base: Config, grid: dict) -> list[HwPoint]:
    """Every combination of the hardware keys in ``grid``, each overlaid on ``base``'s
    model-wide settings (layer settings in ``base`` still win for their layers)."""
    keys = [k for k in HW_KEYS if k in grid]
    points = []
    for combo in product(*(_as_list(k, grid[k]) for k in keys)):
        model = {k: (str(v) if k == "precision" else v) for k, v in zip(keys, combo)}
        try:
            overlay = config_from_dict({"model": model}).model
        except ConfigError as e:
            raise ConfigError(f"estimate grid: {e}") from None
        cfg = replace(base, model=base.model.overlay(overlay))
        points.append(HwPoint(tuple((k, _label(k, v)) for k, v in zip(keys, combo)), cfg))
    return points


def read_points(grid: dict) -> list[ReadPoint]:
    devices = [None] if grid.get("device") is None else [device(d) for d in _as_list("device", grid["device"])]
    clocks = [None] if grid.get("clock_mhz") is None else _as_list("clock_mhz", grid["clock_mhz"])
    for c in clocks:
        if c is not None and (isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c) or c <= 0):
            raise ConfigError(f"estimate: clock_mhz must be a positive number, got {c!r}")
    return [ReadPoint(d, None if c is None else float(c)) for d, c in product(devices, clocks)]


def check_keys(grid: dict) -> None:
    unknown = sorted(set(grid) - set(GRID_KEYS))
    if unknown:
        raise ConfigError(f"estimate: unknown grid key(s) {unknown}; accepted: {', '.join(GRID_KEYS)}")
