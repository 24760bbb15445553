"""Per-node hardware implementation records: what each engine is, its folding and its
exact cycle figures. Plain frozen data, produced by :func:`rtl4ml.hw.plan`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..config import Strategy
from ..fixed import FixedType
from ..ir import Activation, PoolKind, Table
from .adder_graph import AdderGraph
from .cycles import SoftmaxDepths
from .divide import ConstDivision
from .linear import LinearArith


@dataclass(frozen=True)
class Stream:
    """A packed vector stream: ``elements`` values of ``type``, element 0 in the LSBs.
    Engines may rely on ``raw_lo``/``raw_hi``: what the producing engine guarantees."""

    elements: int  # per beat (transfer)
    type: FixedType
    lo: int | None = None  # bounds on the raw values the stream carries, when tighter
    hi: int | None = None  # than its type's range (a ReLU's output is never negative)
    beats: int = 1  # transfers per sample: a pixel stream has one per pixel

    @property
    def raw_lo(self) -> int:
        return self.type.raw_min if self.lo is None else self.lo

    @property
    def raw_hi(self) -> int:
        return self.type.raw_max if self.hi is None else self.hi

    @property
    def bits(self) -> int:
        """Width of one beat."""
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
    With ``pe``/``simd`` set, ``pe`` outputs are computed at a time from ``simd`` inputs
    at a time: ``reuse_factor = (n_in / simd) * (n_out / pe)`` (:mod:`rtl4ml.hw.fold`).
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
    pe: int = 0  # folded by PE x SIMD (0: by the reuse factor's schedule, hw.fold)
    simd: int = 0

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


class JoinKind(Enum):
    ADD = "add"
    CONCAT = "concat"


@dataclass(frozen=True, eq=False)
class JoinImpl:
    """Add or Concat of several streams: one pipelined engine with an input port per
    stream, taking a sample when every input has one. Add sums the elements exactly at
    the finest input LSB; Concat places input elements at ``order[k] = (input, element)``
    of output element ``k``; both then convert to the result type."""

    node: str
    kind: JoinKind
    order: tuple[tuple[int, int], ...]  # Concat: output element -> (input, element)
    adder_levels: int
    levels: int
    latency: int
    interval: int
    inputs: tuple[Stream, ...]
    output: Stream


@dataclass(frozen=True, eq=False)
class SoftmaxImpl:
    """Softmax over groups of ``group`` consecutive elements (the last axis), fully
    parallel, interval 1, the emulator's table algorithm (docs/numerics.md): a max tree,
    the differences, the exp ROMs, a sum tree, the 1/sum ROM, products, conversion.
    ``depths`` places its register stages (:func:`rtl4ml.hw.cycles.softmax_depths`)."""

    node: str
    group: int
    exp_table: Table
    inv_table: Table
    depths: SoftmaxDepths
    adder_levels: int
    latency: int
    interval: int
    input: Stream
    output: Stream


@dataclass(frozen=True, eq=False)
class ArgMaxImpl:
    """The index of the largest element of each group of ``group`` consecutive elements
    (the first one on ties), as an unsigned integer; a compare-select tree."""

    node: str
    group: int
    adder_levels: int
    levels: int
    latency: int
    interval: int
    input: Stream
    output: Stream


@dataclass(frozen=True)
class Frame:
    """The pixel grid of a stream: ``rows`` x ``cols`` beats, row by row (1-D: one row)."""

    rows: int
    cols: int

    @property
    def beats(self) -> int:
        return self.rows * self.cols


@dataclass(frozen=True, eq=False)
class PadImpl:
    """Inserts ``value`` (raw, in the stream's type) around each frame: ``pads`` =
    ((top, bottom), (left, right)). One beat per cycle; the input waits while a padding
    beat goes out. ``latency``/``interval``: the part alone (:mod:`rtl4ml.hw.timing`)."""

    node: str
    frame: Frame  # of the input
    pads: tuple[tuple[int, int], tuple[int, int]]
    value: int
    latency: int
    interval: int
    input: Stream
    output: Stream

    @property
    def out_frame(self) -> Frame:
        (t, b), (left, r) = self.pads
        return Frame(self.frame.rows + t + b, self.frame.cols + left + r)


@dataclass(frozen=True, eq=False)
class WindowImpl:
    """Sliding windows of ``kernel`` over a frame with ``strides`` (no padding: a
    :class:`PadImpl` adds it): line buffers of the last rows and a window of registers.
    Each input beat that completes a window sends it out as one beat of
    ``kernel_h * kernel_w * channels`` elements, kernel-major then channel (im2col order).
    ``block_ram``: per line buffer, whether it is marked for block RAM."""

    node: str
    frame: Frame  # of the input
    kernel: tuple[int, int]
    strides: tuple[int, int]
    channels: int
    block_ram: tuple[bool, ...]
    latency: int
    interval: int
    input: Stream
    output: Stream

    @property
    def out_frame(self) -> Frame:
        (kh, kw), (sh, sw) = self.kernel, self.strides
        return Frame((self.frame.rows - kh) // sh + 1, (self.frame.cols - kw) // sw + 1)

    @property
    def delays(self) -> int:
        """Beats between the last tap of one window row and the first of the next."""
        return self.frame.cols - self.kernel[1]

    def emits_row(self, row: int) -> bool:
        """Whether input row ``row`` ends windows (the kernel fits, the stride matches)."""
        k, s = self.kernel[0], self.strides[0]
        return row >= k - 1 and (row - k + 1) % s == 0 and (row - k + 1) // s < self.out_frame.rows

    def emits_col(self, col: int) -> bool:
        k, s = self.kernel[1], self.strides[1]
        return col >= k - 1 and (col - k + 1) % s == 0 and (col - k + 1) // s < self.out_frame.cols

    def emits(self, row: int, col: int) -> bool:
        """Whether the input beat at (row, col) completes a window."""
        return self.emits_row(row) and self.emits_col(col)


@dataclass(frozen=True, eq=False)
class PoolImpl:
    """Max or average of each channel over a window beat (``size`` pixels of ``channels``
    elements, kernel-major): a compare-select or exact sum tree, then the conversion to
    the result type (an average divides by ``2**shift``, or by ``division``'s constant).
    Pipelined, interval 1 beat."""

    node: str
    kind: PoolKind
    size: int
    channels: int
    shift: int
    division: ConstDivision | None  # an average over a count that is not a power of two
    adder_levels: int
    levels: int
    latency: int
    interval: int
    input: Stream
    output: Stream


@dataclass(frozen=True, eq=False)
class CollectImpl:
    """Gathers the ``input.beats`` beats of a sample into one beat (Flatten of a pixel
    stream), or, with ``kind`` set, reduces them per channel (global max or average
    pooling; an average divides by ``2**shift`` or by ``division``'s constant)."""

    node: str
    kind: PoolKind | None
    shift: int
    division: ConstDivision | None
    latency: int
    interval: int
    input: Stream
    output: Stream


@dataclass(frozen=True, eq=False)
class ChainImpl:
    """One layer built from several parts in a row, e.g. a convolution: padding,
    sliding window, then a Dense on each window. ``latency``/``interval``: the chain alone."""

    node: str
    parts: tuple
    latency: int
    interval: int
    input: Stream
    output: Stream


@dataclass(frozen=True)
class Fifo:
    """A FIFO on the edge ``source -> (node, port)``: it holds the samples of the shorter
    path while the longer one catches up, so a join keeps an interval of 1. A sample
    written in one cycle can be read in the next (latency 1)."""

    source: str
    node: str
    port: int
    depth: int
    stream: Stream
    latency: int = 1
    block_ram: bool = False  # its memory is marked for block RAM (bram_threshold)


def arrival_times(engines, sources: dict[str, tuple[str, ...]], input_node: str) -> dict[str, int]:
    """Per node, cycles from a sample's input transfer to its output leaving the node:
    engines (in topological order) start when their slowest input has the sample."""
    at = {input_node: 0}
    for e in engines:
        at[e.node] = max(at[s] for s in sources[e.node]) + e.latency
    return at


Impl = DenseImpl | PointwiseImpl | WireImpl | JoinImpl | SoftmaxImpl | ArgMaxImpl | CollectImpl | ChainImpl


@dataclass(frozen=True)
class Timing:
    """Whole-design cycle figures of a pixel-streamed design, from the cycle-level model of
    its handshakes (:mod:`rtl4ml.hw.timing`): ``latency`` from a sample's first input beat
    to its last output beat, ``interval`` between the first beats of consecutive samples."""

    latency: int
    interval: int


@dataclass(frozen=True, eq=False)
class HwPlan:
    """A design's engines in topological order and how they connect.

    ``sources[node]`` names the nodes feeding each input port of an engine (the network
    input is ``input_node``). A stream read by several engines is forked (every reader
    takes each sample once); an input port whose path is shorter than the engine's
    longest input path gets a :class:`Fifo`. The design's latency is the longest path's
    (a sample reaches each engine when its slowest input has it), the interval the slowest
    engine's. A pixel-streamed design (``input.beats > 1``) has its figures in ``timing``.
    """

    name: str
    engines: tuple[Impl, ...]
    input: Stream
    output: Stream
    input_node: str
    output_node: str
    sources: dict[str, tuple[str, ...]]
    fifos: tuple[Fifo, ...] = ()
    timing: Timing | None = None

    @property
    def arrival(self) -> dict[str, int]:
        """Cycles from a sample's input transfer to its output leaving each node."""
        return arrival_times(self.engines, self.sources, self.input_node)

    @property
    def latency(self) -> int:
        return self.timing.latency if self.timing else self.arrival[self.output_node]

    @property
    def interval(self) -> int:
        return self.timing.interval if self.timing else max((e.interval for e in self.engines), default=1)

    def __getitem__(self, node: str) -> Impl:
        for e in self.engines:
            if e.node == node:
                return e
        raise KeyError(node)

    def consumers(self, node: str) -> list[tuple[str, int]]:
        """The (engine, port) pairs reading ``node``'s stream."""
        return [(e.node, k) for e in self.engines for k, s in enumerate(self.sources[e.node]) if s == node]
