"""Per-node hardware implementation records: what each engine is, its folding and its
exact cycle figures. Plain frozen data, produced by :func:`rtl4ml.hw.plan`."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Strategy
from ..fixed import FixedType
from ..ir import Activation, Table
from .adder_graph import AdderGraph
from .linear import LinearArith


@dataclass(frozen=True)
class Stream:
    """A packed vector stream: ``elements`` values of ``type``, element 0 in the LSBs.
    Engines may rely on ``raw_lo``/``raw_hi``: what the producing engine guarantees."""

    elements: int
    type: FixedType
    lo: int | None = None  # bounds on the raw values the stream carries, when tighter
    hi: int | None = None  # than its type's range (a ReLU's output is never negative)

    @property
    def raw_lo(self) -> int:
        return self.type.raw_min if self.lo is None else self.lo

    @property
    def raw_hi(self) -> int:
        return self.type.raw_max if self.hi is None else self.hi

    @property
    def bits(self) -> int:
        return self.elements * self.type.width


@dataclass(frozen=True, eq=False)
class DenseImpl:
    """A Dense (or BatchNorm, as a diagonal matrix) engine.

    ``strategy`` LATENCY: fully parallel, ``interval`` 1, ``latency`` = register stages
    of the adder network (``levels`` adder levels, ``adder_levels`` per stage); the
    constant products are shift-and-add (``graph``) or, with ``use_dsp``, multipliers.
    ``strategy`` RESOURCE: ``multipliers = n_in * n_out / reuse_factor`` multipliers fed
    from a weight ROM, ``reuse_factor`` cycles per sample: ``interval = reuse_factor``,
    ``latency = reuse_factor + 1`` (the input register, then one cycle per ROM word).
    """

    node: str
    strategy: Strategy
    reuse_factor: int
    use_dsp: bool
    adder_levels: int
    levels: int
    latency: int
    interval: int
    multipliers: int
    adders: int
    graph: AdderGraph | None
    arith: LinearArith
    input: Stream
    output: Stream

    @property
    def n_in(self) -> int:
        return self.arith.n_in

    @property
    def n_out(self) -> int:
        return self.arith.n_out


@dataclass(frozen=True, eq=False)
class PointwiseImpl:
    """An element-wise engine: an activation (or None: a plain type conversion) applied
    to each element, then the conversion to the node's result type. Tanh and Sigmoid
    read ``table`` (a ROM per engine, its entries already in the result type)."""

    node: str
    activation: Activation | None
    param: FixedType | None
    table: Table | None
    adder_levels: int
    levels: int
    latency: int
    interval: int
    input: Stream
    output: Stream


@dataclass(frozen=True, eq=False)
class WireImpl:
    """A node that only moves data and keeps its type (Flatten, Reshape, Dropout,
    Identity): no logic, no cycles."""

    node: str
    input: Stream
    output: Stream
    latency: int = 0
    interval: int = 1


Impl = DenseImpl | PointwiseImpl | WireImpl


@dataclass(frozen=True, eq=False)
class HwPlan:
    """A design's engines in stream order, and the chain's cycle figures: latency is the
    sum over engines (they hand samples on without buffers), the interval the slowest
    engine's."""

    name: str
    engines: tuple[Impl, ...]
    input: Stream
    output: Stream

    @property
    def latency(self) -> int:
        return sum(e.latency for e in self.engines)

    @property
    def interval(self) -> int:
        return max((e.interval for e in self.engines), default=1)

    def __getitem__(self, node: str) -> Impl:
        for e in self.engines:
            if e.node == node:
                return e
        raise KeyError(node)
