"""Pixel streams: convolutions and pooling as chains of parts (padding, sliding window,
a Dense or a pooling tree on each window), Flatten and global pooling as collectors,
and the FIFOs of branches sized with the cycle model (:mod:`rtl4ml.hw.timing`)."""

from __future__ import annotations

import math
from dataclasses import replace

from ..errors import UnsupportedError
from ..ir import Node
from ..ir import ops as O
from .adder_graph import tree_depth
from .cycles import ROUND_LEVELS, stages
from .divide import const_division
from .records import ChainImpl, CollectImpl, Fifo, Frame, PadImpl, PoolImpl, Stream, WindowImpl
from .timing import alone, run

SPATIAL_OPS = (O.Conv, O.Pool, O.GlobalPool)
DEFAULT_BRAM_THRESHOLD = 8192  # bits: memories at least this large are marked for block RAM


def is_streamed(nodes: list[Node]) -> bool:
    """Whether the design streams pixels: it has a convolution or pooling layer."""
    return any(isinstance(n.op, SPATIAL_OPS) for n in nodes)


def input_stream(shape: tuple[int, ...], result, streamed: bool) -> Stream:
    """The network input: one beat per pixel when ``streamed`` (channels-last, rank >= 2),
    else one beat per sample."""
    if streamed and len(shape) >= 2:
        return Stream(shape[-1], result, beats=math.prod(shape[:-1]))
    return Stream(math.prod(shape), result)


def _figures(part):
    latency, interval = alone(part)
    return replace(part, latency=latency, interval=interval)


def _geometry(op, shape: tuple[int, ...]):
    """(frame, pads, kernel, strides) of a 1-D or 2-D window op, as 2-D (1-D: one row)."""
    if op.ndim == 1:
        return (Frame(1, shape[0]), ((0, 0), op.pads[0]), (1, op.kernel_size[0]), (1, op.strides[0]))
    return Frame(shape[0], shape[1]), tuple(op.pads), tuple(op.kernel_size), tuple(op.strides)


def window_parts(node: Node, x: Stream, shape: tuple[int, ...], pad_value: int, threshold: int) -> list:
    """Padding (when the op pads) and the sliding window (unless the kernel and strides
    are 1) in front of a convolution's or pooling's per-window core."""
    frame, pads, kernel, strides = _geometry(node.op, shape)
    channels = shape[-1]
    parts = []
    if any(pads[0]) or any(pads[1]):
        lo, hi = min(x.raw_lo, pad_value), max(x.raw_hi, pad_value)
        pad = PadImpl(node.name, frame, pads, pad_value, 0, 0, x, x)
        out = Stream(channels, x.type, lo, hi, beats=pad.out_frame.beats)
        parts.append(_figures(replace(pad, output=out)))
        x, frame = out, pad.out_frame
    if kernel != (1, 1) or strides != (1, 1):
        bits = max(frame.cols - kernel[1] - 1, 0) * channels * x.type.width
        block = tuple(bits >= threshold for _ in range(kernel[0] - 1))
        win = WindowImpl(node.name, frame, kernel, strides, channels, block, 0, 0, x, x)
        out = Stream(kernel[0] * kernel[1] * channels, x.type, x.lo, x.hi, beats=win.out_frame.beats)
        parts.append(_figures(replace(win, output=out)))
    return parts


def chain(node: Node, parts: list):
    """The layer as one engine: a lone part as itself, several as a :class:`ChainImpl`."""
    if len(parts) == 1:
        return parts[0]
    c = ChainImpl(node.name, tuple(parts), 0, 0, parts[0].input, parts[-1].output)
    return _figures(c)


def pool_core(node: Node, x: Stream, channels: int, levels_per_stage: int) -> PoolImpl:
    op: O.Pool = node.op
    size = math.prod(op.kernel_size)
    if op.kind is O.PoolKind.AVG and any(p != (0, 0) for p in op.pads) and not op.count_include_pad:
        raise UnsupportedError(
            f"layer '{node.name}' ({op.label}): an average over padded windows that leaves the padding out "
            "divides by a different count at the border; the Verilog backend does not implement it"
        )
    shift, division = 0, None
    if op.kind is O.PoolKind.AVG:
        shift, division = _average_at(node, x.type, size * x.raw_lo, size * x.raw_hi, size)
    levels = tree_depth([0] * size) + (division.levels if division else ROUND_LEVELS)
    out = Stream(channels, node.precision.result, beats=x.beats)
    return PoolImpl(node.name, op.kind, size, channels, shift, division, levels_per_stage, levels,
                    stages(levels, levels_per_stage), 1, x, out)


def _average_at(node: Node, x_type, lo: int, hi: int, count: int):
    """(shift, division) of an average over ``count`` values of ``x_type`` whose sum lies
    in [lo, hi]: a power of two is a rounding shift, other counts a division by a constant
    (:mod:`rtl4ml.hw.divide`)."""
    if count & (count - 1) == 0:
        return count.bit_length() - 1, None
    return 0, const_division(lo, hi, x_type.frac_bits, count, node.precision.result)


def pad_value(node: Node, x: Stream) -> int:
    """Padding that changes nothing: zero for sums, the type's minimum for a maximum."""
    if isinstance(node.op, O.Pool) and node.op.kind is O.PoolKind.MAX:
        return x.type.raw_min
    return 0


def collector(node: Node, x: Stream) -> CollectImpl:
    """Flatten of a pixel stream (one beat out per sample), or global pooling."""
    kind, shift, division = None, 0, None
    if isinstance(node.op, O.GlobalPool):
        kind = node.op.kind
        if kind is O.PoolKind.AVG:  # the running sums' range, as the collector holds them
            lo, hi = min(x.raw_lo, x.raw_lo * x.beats), max(x.raw_hi, x.raw_hi * x.beats)
            shift, division = _average_at(node, x.type, lo, hi, x.beats)
        out = Stream(x.elements, node.precision.result)
    else:
        out = Stream(x.elements * x.beats, x.type, x.lo, x.hi)
    return _figures(CollectImpl(node.name, kind, shift, division, 0, 0, x, out))


def _ancestors(engines, sources, node: str) -> list:
    need, stack = set(), [node]
    while stack:
        n = stack.pop()
        if n not in need:
            need.add(n)
            stack += list(sources.get(n, ()))
    return [e for e in engines if e.node in need]


def stream_fifos(engines, sources, input_node: str, streams: dict[str, Stream],
                 layer_fifos: dict[tuple[str, int], int] | None = None) -> tuple:
    """FIFOs of a pixel-streamed design: ``layer_fifos`` (depth per (engine, port), in front
    of layers), and those of joins, sized with the cycle model. For each join, in order,
    the part of the design that feeds it is modelled with its output always ready and an
    unbounded FIFO on every input: an input whose FIFO never holds more than the beat
    passing through needs none (or keeps its layer FIFO); the others get the most beats
    theirs held, plus one. That is the skew between the paths; a stalled join then stalls
    the fork in front."""
    fifos: dict[tuple[str, int], int] = dict(layer_fifos or {})
    for e in engines:
        srcs = sources[e.node]
        if len(srcs) < 2:
            continue
        ports = {(e.node, k): None for k in range(len(srcs))}
        part = _ancestors(engines, sources, e.node)
        trace = run(part, sources, input_node, e.node, streams[input_node].beats, e.output.beats, {**fifos, **ports})
        fifos.update({p: max(trace.peaks[p] + 1, fifos.get(p, 0)) for p in ports if trace.peaks[p] > 1})
    return tuple(Fifo(sources[node][k], node, k, depth, streams[sources[node][k]]) for (node, k), depth in fifos.items())
