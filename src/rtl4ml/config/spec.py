"""The typed configuration: model-wide defaults, per-layer overrides, pass switches.

Strings from YAML/JSON/the command line are parsed once, in :mod:`.io`, into these
dataclasses; nothing inside rtl4ml looks at a type string again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum

from ..errors import ConfigError
from ..fixed import FixedType, Overflow, Rounding


class Strategy(Enum):
    LATENCY = "latency"  # every multiplier its own, II = 1 at reuse 1
    RESOURCE = "resource"  # multipliers shared over reuse_factor cycles


class Auto(Enum):
    """``accumulator: auto``: exact, sized from the actual weights and input range."""

    EXACT = "auto"


@dataclass(frozen=True)
class AutoBits:
    """``fixed<16,auto>``: the width and modes are given, the integer bits are chosen
    from the data (weights for weight/bias types, calibration inputs for results)."""

    width: int
    signed: bool = True
    rounding: Rounding = Rounding.RND
    overflow: Overflow = Overflow.SAT

    def __str__(self) -> str:
        probe = FixedType(self.width, 0, self.signed, self.rounding, self.overflow)
        return str(probe).replace(f"<{self.width},0", f"<{self.width},auto")

    def with_int_bits(self, int_bits: int) -> FixedType:
        return FixedType(self.width, int_bits, self.signed, self.rounding, self.overflow)


TypeSpec = FixedType | AutoBits
OUTPUT_KEYS = ("result", "param", "table", "inv_table", "table_size", "table_range")
TYPE_KEYS = ("precision", "input", "weight", "bias", "result", "accumulator", "param", "table", "inv_table")


@dataclass(frozen=True)
class LayerConfig:
    """Settings of one layer (or, under ``model:``, defaults for every layer). None = unset.

    Types: ``precision`` (fallback for any type not set), ``input`` (network input),
    ``weight``, ``bias``, ``result``, ``accumulator`` (``auto`` = exact), ``param``
    (activation constants: LeakyReLU alpha, Clip bounds, HardSigmoid slope/offset),
    ``table`` (Tanh/Sigmoid table entries; Softmax exp table), ``inv_table`` (Softmax
    1/sum table). Tables: ``table_size`` entries over ``table_range`` (see docs).
    Hardware: ``reuse_factor``, ``strategy``, ``use_dsp`` (multipliers instead of
    shift-and-add constant products), ``adder_levels`` (adder levels per pipeline stage),
    ``pe``/``simd`` (a folded Dense or convolution computes ``pe`` outputs at a time,
    each from ``simd`` inputs at a time), ``bram_threshold`` (bits: line buffers and FIFOs at least this large are marked for
    block RAM, smaller ones for LUT RAM or registers), ``layer_fifo_depth`` (beats: a FIFO
    in front of each layer of a pixel stream; 0, the default, none).
    """

    precision: TypeSpec | None = None
    input: TypeSpec | None = None
    weight: TypeSpec | None = None
    bias: TypeSpec | None = None
    result: TypeSpec | None = None
    accumulator: TypeSpec | Auto | None = None
    param: TypeSpec | None = None
    table: TypeSpec | None = None
    inv_table: TypeSpec | None = None
    table_size: int | None = None
    table_range: float | None = None
    reuse_factor: int | None = None
    strategy: Strategy | None = None
    use_dsp: bool | None = None
    adder_levels: int | None = None
    bram_threshold: int | None = None
    layer_fifo_depth: int | None = None
    pe: int | None = None
    simd: int | None = None

    def __post_init__(self):
        for key in TYPE_KEYS:
            v = getattr(self, key)
            ok = (FixedType, AutoBits, Auto) if key == "accumulator" else (FixedType, AutoBits)
            if v is not None and not isinstance(v, ok):
                raise ConfigError(
                    f"{key} must be a FixedType (e.g. FixedType.parse('fixed<16,6>')), got {type(v).__name__} {v!r}"
                )
        if self.strategy is not None and not isinstance(self.strategy, Strategy):
            raise ConfigError(f"strategy must be a Strategy, got {self.strategy!r}")
        if self.reuse_factor is not None and (not isinstance(self.reuse_factor, int) or self.reuse_factor < 1):
            raise ConfigError(f"reuse_factor must be an integer >= 1, got {self.reuse_factor!r}")
        if self.adder_levels is not None and (not isinstance(self.adder_levels, int) or self.adder_levels < 1):
            raise ConfigError(f"adder_levels must be an integer >= 1, got {self.adder_levels!r}")
        for key in ("pe", "simd"):
            v = getattr(self, key)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                raise ConfigError(f"{key} must be an integer >= 1, got {v!r}")
        if self.layer_fifo_depth is not None and (not isinstance(self.layer_fifo_depth, int)
                                                  or self.layer_fifo_depth < 0):
            raise ConfigError(f"layer_fifo_depth must be a number of beats >= 0, got {self.layer_fifo_depth!r}")
        if self.bram_threshold is not None and (not isinstance(self.bram_threshold, int) or self.bram_threshold < 1):
            raise ConfigError(f"bram_threshold must be a number of bits >= 1, got {self.bram_threshold!r}")
        if self.table_size is not None and (self.table_size < 2 or self.table_size & (self.table_size - 1)):
            raise ConfigError(f"table_size must be a power of two >= 2, got {self.table_size!r}")
        if self.table_range is not None and self.table_range <= 0:
            raise ConfigError(f"table_range must be > 0, got {self.table_range!r}")

    def explicit(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def overlay(self, other: LayerConfig) -> LayerConfig:
        """This config with every key ``other`` sets taken from ``other``."""
        return LayerConfig(**{**self.explicit(), **other.explicit()})


MODEL_DEFAULTS = LayerConfig(
    precision=FixedType(16, 6),
    accumulator=Auto.EXACT,
    param=FixedType(24, 8),
    table_size=1024,
    reuse_factor=1,
    strategy=Strategy.LATENCY,
)


@dataclass(frozen=True)
class PassConfig:
    remove_identity: bool = True  # drop Dropout and Identity nodes
    fold_batchnorm: bool = True  # fold BatchNorm into the preceding Dense/Conv
    fuse_activations: bool = True  # apply activations inside the producing Dense/Conv
    argmax_output: bool = False  # the output is the index of the largest value (a final Softmax dropped)


@dataclass(frozen=True)
class Config:
    """``model`` defaults, per-layer overrides by layer name, and pass switches."""

    model: LayerConfig = field(default_factory=LayerConfig)
    layers: dict[str, LayerConfig] = field(default_factory=dict)
    passes: PassConfig = field(default_factory=PassConfig)

    @property
    def defaults(self) -> LayerConfig:
        return MODEL_DEFAULTS.overlay(self.model)

    def layer(self, name: str, aliases: tuple[str, ...] = ()) -> tuple[LayerConfig, LayerConfig]:
        """(settings of layer ``name``, model-level defaults).

        ``aliases`` name nodes merged into this one (a fused activation, a folded
        BatchNorm): they produce its output, so their output-side settings apply
        (their ``precision`` as the result type); their weight or accumulator settings
        do not reach the producer's arithmetic.
        """
        merged = self.layers.get(name, LayerConfig()).overlay(self.alias_output(aliases))
        return merged, self.defaults

    def alias_output(self, aliases: tuple[str, ...]) -> LayerConfig:
        """The output-side settings given for merged-in nodes (see :meth:`layer`)."""
        merged = LayerConfig()
        for alias in aliases:
            if alias in self.layers:
                a = self.layers[alias]
                out = {k: getattr(a, k) for k in OUTPUT_KEYS if getattr(a, k) is not None}
                if a.result is None and a.precision is not None:
                    out["result"] = a.precision
                merged = merged.overlay(LayerConfig(**out))
        return merged

    def check_layer_names(self, known) -> None:
        unknown = sorted(set(self.layers) - set(known))
        if unknown:
            raise ConfigError(
                f"config names layer(s) {unknown} that the model does not have; its layers are: {sorted(known)}"
            )
