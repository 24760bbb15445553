"""Per-node number formats, filled in by the precision-inference pass."""

from __future__ import annotations

from dataclasses import dataclass

from ..fixed import FixedType


@dataclass(frozen=True)
class Table:
    """A lookup table for a nonlinear function (its exact semantics: docs/numerics.md).

    ``size`` entries (a power of two) cover inputs in ``[start, start + span)``; input
    ``x`` reads entry ``floor((x - start) * size / span)`` clamped to ``[0, size-1]``.
    ``span`` is a power of two so that the index is a bit slice in hardware.
    """

    size: int
    start: float
    span: float
    precision: FixedType

    def __post_init__(self):
        if self.size < 2 or self.size & (self.size - 1):
            raise ValueError(f"table size {self.size} must be a power of two >= 2")
        exp = float(self.span).hex()
        if self.span <= 0 or not exp.startswith("0x1.0000000000000p"):
            raise ValueError(f"table span {self.span} must be a positive power of two")
        if (self.start / self.step) % 1:
            raise ValueError(f"table start {self.start} must be a multiple of the step {self.step}")

    @property
    def step(self) -> float:
        return self.span / self.size


@dataclass(frozen=True)
class NodePrecision:
    """The types one node computes with. Fields an op does not use stay None.

    ``accumulator`` is the resolved type of the Dense/Conv/BatchNorm sum; when
    ``exact_accumulator`` it is wide enough for every input in range, so it never
    overflows (the default); otherwise the user fixed it and its modes apply.
    ``pre_activation``: a Dense/Conv with a fused activation whose own result type was
    set converts the accumulator to it before the activation, as the unfused pair would.
    """

    result: FixedType
    weight: FixedType | None = None
    bias: FixedType | None = None
    accumulator: FixedType | None = None
    param: FixedType | None = None
    table: Table | None = None
    inv_table: Table | None = None
    exact_accumulator: bool = False
    pre_activation: FixedType | None = None
