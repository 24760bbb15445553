"""Mapping a converted design onto hardware engines: :func:`plan`."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..config import Strategy
from ..errors import ConfigError, UnsupportedError
from ..fixed import Overflow
from ..ir import ActivationKind, Node
from ..ir import ops as O
from ..util.recent import Recent
from .adder_graph import STAND_IN, AdderGraph, build_adder_graph, tree_depth
from .cycles import (
    DEFAULT_ADDER_LEVELS,
    ROUND_LEVELS,
    activation_levels,
    argmax_levels,
    constant_product_depth,
    multiply_depth,
    softmax_depths,
    stages,
)
from .linear import LinearArith, folded_rounding, linear_arith
from .records import (
    ArgMaxImpl,
    ChainImpl,
    CollectImpl,
    DenseImpl,
    Fifo,
    HwPlan,
    Impl,
    JoinImpl,
    JoinKind,
    PointwiseImpl,
    SoftmaxImpl,
    Stream,
    Timing,
    WireImpl,
    arrival_times,
)
from .spatial import (
    DEFAULT_BRAM_THRESHOLD,
    chain,
    collector,
    input_stream,
    is_streamed,
    pad_value,
    pool_core,
    stream_fifos,
    window_parts,
)
from .timing import run as run_timing

POINTWISE_ACTIVATIONS = (
    ActivationKind.LINEAR, ActivationKind.RELU, ActivationKind.LEAKY_RELU, ActivationKind.CLIP,
    ActivationKind.HARD_SIGMOID, ActivationKind.TANH, ActivationKind.SIGMOID,
)
MOVES_DATA = (O.Flatten, O.Reshape, O.Dropout, O.Identity)
WHOLE_VECTOR = (O.Dense, O.BatchNorm, O.Softmax, O.ArgMax)  # need every element of a sample at once


def _setting(design, node: Node, key: str, override, default):
    """A hardware setting: the layer's config, the model's, ``override``, ``default``."""
    layer, _ = design.config.layer(node.name, node.aliases)
    for v in (getattr(layer, key, None), getattr(design.config.model, key, None), override):
        if v is not None:
            return v
    return default


def _levels_per_stage(design, node: Node, override) -> int:
    levels = _setting(design, node, "adder_levels", override, DEFAULT_ADDER_LEVELS)
    if not isinstance(levels, int) or levels < 1:
        raise ConfigError(f"layer '{node.name}': adder_levels must be an integer >= 1, got {levels!r}")
    return levels


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _pe_simd(design, node: Node, n_in: int, n_out: int) -> tuple[int, int]:
    """PE and SIMD of a layer (both 0 when neither is set; one set: the other is 1)."""
    layer, _ = design.config.layer(node.name, node.aliases)
    pe, simd = layer.pe, layer.simd
    if pe is None and simd is None:
        return 0, 0
    pe, simd = pe or 1, simd or 1
    where = f"layer '{node.name}' ({node.op.label})"
    if n_out % pe:
        raise ConfigError(f"{where}: pe {pe} does not divide its {n_out} outputs; valid: "
                          f"{', '.join(map(str, _divisors(n_out)))}")
    if n_in % simd:
        raise ConfigError(f"{where}: simd {simd} does not divide its {n_in} inputs per output; valid: "
                          f"{', '.join(map(str, _divisors(n_in)))}")
    return pe, simd


def _no_lanes(design, node: Node) -> None:
    """``pe``/``simd`` fold multiplications; say so where a layer has none to fold."""
    layer, _ = design.config.layer(node.name, node.aliases)
    if layer.pe is not None or layer.simd is not None:
        raise ConfigError(f"layer '{node.name}' ({node.op.label}): pe/simd fold a Dense or a convolution; "
                          f"this layer has no multiplications to fold")


def _folding(design, node: Node, n_mult: int, pe_simd: tuple[int, int] = (0, 0)) -> tuple[Strategy, int]:
    layer, _ = design.config.layer(node.name, node.aliases)
    reuse = layer.reuse_factor or design.config.model.reuse_factor or 1
    strategy = layer.strategy or design.config.model.strategy
    where = f"layer '{node.name}' ({node.op.label})"
    pe, simd = pe_simd
    if pe:
        folded = n_mult // (pe * simd)
        if layer.reuse_factor is not None and layer.reuse_factor != folded:
            raise ConfigError(f"{where}: pe {pe} x simd {simd} means reuse factor {folded}, "
                              f"but reuse_factor {layer.reuse_factor} is given; set one or the other")
        if layer.strategy is Strategy.LATENCY:
            raise ConfigError(f"{where}: pe/simd fold the layer; strategy 'latency' does not")
        return Strategy.RESOURCE, folded
    if strategy is None:
        strategy = Strategy.RESOURCE if reuse > 1 else Strategy.LATENCY
    if strategy is Strategy.LATENCY and reuse != 1:
        raise ConfigError(
            f"{where}: strategy 'latency' is fully parallel and takes reuse_factor 1, got {reuse}; "
            f"use strategy 'resource' to fold it over {reuse} cycles, or reuse_factor 1"
        )
    if n_mult % reuse:
        valid = ", ".join(map(str, _divisors(n_mult)))
        raise ConfigError(
            f"{where}: reuse_factor {reuse} does not divide its {n_mult} multiplications; valid reuse factors: {valid}"
        )
    return strategy, reuse


GRAPHS_KEPT = 64
#: adder graphs of the matrices planned last, by (integers, shape, input range, optimizer)
_graphs: Recent[tuple, AdderGraph] = Recent(GRAPHS_KEPT)


def adder_graph_for(arith: LinearArith, optimizer: str = "auto") -> AdderGraph:
    w = np.ascontiguousarray(arith.weight, dtype=np.int64)
    key = (w.tobytes(), w.shape, arith.x_lo, arith.x_hi, optimizer)
    graph = _graphs.get(key)
    if graph is None:
        graph = build_adder_graph(w, arith.x_lo, arith.x_hi, optimizer)
        if graph.source != STAND_IN:  # a stand-in is asked for again once its matrix is solved
            _graphs.put(key, graph)
    return graph


def forget_graphs() -> None:
    """Forget the adder graphs kept by :func:`adder_graph_for`."""
    _graphs.clear()


def post_sum_levels(arith: LinearArith) -> int:
    """Levels after the accumulator sum: its overflow (when not exact), the fused
    producer's own conversion, then the activation and the result conversion."""
    p = arith.precision
    levels = activation_levels(arith.activation)
    if not arith.exact and p.accumulator.overflow is not Overflow.WRAP:
        levels += ROUND_LEVELS
    if p.pre_activation is not None:
        levels += ROUND_LEVELS
    return levels


def dense_levels(arith: LinearArith, graph: AdderGraph | None, use_dsp: bool, adder_levels: int) -> int:
    """Adder levels from the input to the deepest output of a fully parallel Dense."""
    deepest = 0
    biases, _ = folded_rounding(arith)
    for j in range(arith.n_out):
        rows = [i for i in range(arith.n_in) if arith.weight[i, j]]
        bias = [0] if biases[j] else []
        if not rows:
            continue  # a constant output
        if arith.product_shift >= 0 and not use_dsp:
            ref = graph.outputs[j]
            d = graph.depths[ref.idx] + (1 if (biases[j] or ref.neg) else 0)
        else:
            if use_dsp:
                per = [multiply_depth(adder_levels)] * len(rows)
            else:
                per = [constant_product_depth(int(arith.weight[i, j])) for i in rows]
            if arith.product_shift < 0:
                per = [d + ROUND_LEVELS for d in per]
            d = tree_depth(per + bias)
        deepest = max(deepest, d + post_sum_levels(arith))
    return deepest


def _dense(design, node: Node, x: Stream, use_dsp, adder_levels, optimizer) -> DenseImpl:
    arith = linear_arith(node, x.type, (x.raw_lo, x.raw_hi))
    out = _output_stream(arith.n_out, node.precision.result, arith.activation)
    pe_simd = (0, 0)
    if isinstance(node.op, O.BatchNorm):
        _no_lanes(design, node)
        strategy, reuse = Strategy.LATENCY, 1  # element-wise: always fully parallel
    else:
        pe_simd = _pe_simd(design, node, arith.n_in, arith.n_out)
        strategy, reuse = _folding(design, node, arith.n_in * arith.n_out, pe_simd)
    dsp = bool(_setting(design, node, "use_dsp", use_dsp, False))
    levels_per_stage = _levels_per_stage(design, node, adder_levels)
    if strategy is Strategy.RESOURCE:
        mult = arith.n_in * arith.n_out // reuse
        return DenseImpl(node.name, strategy, reuse, True, levels_per_stage, 0, reuse + 1, reuse, mult, 0, None,
                         arith, x, out, *pe_simd)
    graph = None
    if arith.product_shift >= 0 and not dsp:
        graph = adder_graph_for(arith, optimizer)
    levels = dense_levels(arith, graph, dsp, levels_per_stage)
    mult = int(np.count_nonzero(arith.weight)) if dsp else 0
    return DenseImpl(node.name, strategy, 1, dsp, levels_per_stage, levels, stages(levels, levels_per_stage), 1,
                     mult, graph.adders if graph else 0, graph, arith, x, out)


def _pointwise(design, node: Node, x: Stream, adder_levels) -> PointwiseImpl:
    act = node.op if isinstance(node.op, O.Activation) else None
    if act is not None and act.kind not in POINTWISE_ACTIVATIONS:
        raise UnsupportedError(
            f"layer '{node.name}': the Verilog backend does not implement {act.kind.value} yet; "
            f"supported activations: {', '.join(k.value for k in POINTWISE_ACTIVATIONS)}"
        )
    levels_per_stage = _levels_per_stage(design, node, adder_levels)
    levels = activation_levels(act)
    out = _output_stream(x.elements, node.precision.result, act)
    return PointwiseImpl(node.name, act, node.precision.param, node.precision.table, levels_per_stage, levels,
                         stages(levels, levels_per_stage), 1, x, out)


def _output_stream(elements: int, result, act) -> Stream:
    """A ReLU converted to a saturating type never gives a negative value: the next
    engine's arithmetic may then be a bit narrower."""
    if act is not None and act.kind is ActivationKind.RELU and result.overflow is not Overflow.WRAP:
        return Stream(elements, result, 0, result.raw_max)
    return Stream(elements, result)


def concat_order(shapes: list[tuple[int, ...]], axis: int) -> tuple[tuple[int, int], ...]:
    """For each flat (channels-last) element of the concatenation along ``axis`` of
    tensors of ``shapes``: (input, flat element of that input)."""
    tags = [np.stack(np.broadcast_arrays(k, np.arange(math.prod(sh)).reshape(sh)), axis=-1)
            for k, sh in enumerate(shapes)]
    joined = np.concatenate(tags, axis=axis % len(shapes[0]))
    return tuple((int(k), int(i)) for k, i in joined.reshape(-1, 2))


def _join(design, node: Node, xs: list[Stream], adder_levels) -> JoinImpl:
    graph = design.graph
    levels_per_stage = _levels_per_stage(design, node, adder_levels)
    out = Stream(sum(x.elements for x in xs) if isinstance(node.op, O.Concat) else xs[0].elements,
                 node.precision.result)
    if isinstance(node.op, O.Add):
        kind, order, levels = JoinKind.ADD, (), tree_depth([0] * len(xs)) + ROUND_LEVELS
    else:
        kind, levels = JoinKind.CONCAT, ROUND_LEVELS
        shapes = [graph.shapes[s] for s in node.inputs]
        if xs[0].beats > 1:  # per pixel: only the channels are joined
            if len(shapes[0]) == 1:
                raise UnsupportedError(
                    f"layer '{node.name}' (Concat): the Verilog backend does not concatenate flattened pixel "
                    "streams; concatenate the channels before the Flatten"
                )
            if node.op.axis % len(shapes[0]) != len(shapes[0]) - 1:
                raise UnsupportedError(
                    f"layer '{node.name}' (Concat): a pixel stream is concatenated along its channels only, "
                    f"not along axis {node.op.axis}"
                )
            shapes = [sh[-1:] for sh in shapes]
        order = concat_order(shapes, -1 if xs[0].beats > 1 else node.op.axis)
    return JoinImpl(node.name, kind, order, levels_per_stage, levels, stages(levels, levels_per_stage), 1,
                    tuple(xs), out)


def _softmax(design, node: Node, x: Stream, adder_levels) -> SoftmaxImpl:
    levels_per_stage = _levels_per_stage(design, node, adder_levels)
    group = design.graph.shapes[node.name][-1]
    depths = softmax_depths(group, levels_per_stage)
    p = node.precision
    return SoftmaxImpl(node.name, group, p.table, p.inv_table, depths, levels_per_stage,
                       stages(depths.out, levels_per_stage), 1, x, Stream(x.elements, p.result))


def _argmax(design, node: Node, x: Stream, adder_levels) -> ArgMaxImpl:
    levels_per_stage = _levels_per_stage(design, node, adder_levels)
    group = design.graph.shapes[node.inputs[0]][-1]
    levels = argmax_levels(group)
    out = Stream(x.elements // group, node.precision.result)
    return ArgMaxImpl(node.name, group, levels_per_stage, levels, stages(levels, levels_per_stage), 1, x, out)


def _live(graph) -> list[Node]:
    """The nodes the output depends on, in the graph's (topological) order."""
    if len(graph.inputs) != 1:
        raise UnsupportedError(f"the Verilog backend takes one network input, got {list(graph.inputs)}")
    if len(graph.outputs) != 1:
        raise UnsupportedError(f"the Verilog backend takes one network output, got {list(graph.outputs)}")
    need, stack = set(), [graph.outputs[0]]
    while stack:
        name = stack.pop()
        if name not in need:
            need.add(name)
            stack += list(graph[name].inputs)
    if graph.inputs[0] not in need:
        raise UnsupportedError(f"the network output '{graph.outputs[0]}' does not depend on its input")
    return [n for n in graph.nodes if n.name in need]


def _fifos(engines: list[Impl], sources: dict[str, tuple[str, ...]], input_node: str,
           streams: dict[str, Stream]) -> tuple[Fifo, ...]:
    """A FIFO on every input port whose path is shorter than its engine's longest one:
    ``depth = shortfall + 1`` holds every sample in flight at an interval of 1."""
    at = arrival_times(engines, sources, input_node)
    fifos = []
    for e in engines:
        srcs = sources[e.node]
        latest = max(at[s] for s in srcs)
        fifos += [Fifo(s, e.node, k, latest - at[s] + 1, streams[s]) for k, s in enumerate(srcs) if at[s] < latest]
    return tuple(fifos)


def plan(design, *, use_dsp: bool | None = None, adder_levels: int | None = None, optimizer: str = "auto") -> HwPlan:
    """The hardware implementation of every node of ``design`` (a converted
    :class:`rtl4ml.api.Design`), in topological order, with exact cycle figures.

    Folding comes from the config (``strategy``, ``reuse_factor`` per layer or for the
    model; a reuse factor above 1 without a strategy means ``resource``). ``use_dsp``
    (multipliers instead of shift-and-add constant products) and ``adder_levels`` (adder
    levels per register stage, default 2) are read from the layer's or the model's
    config when it has them, else from these arguments. ``optimizer`` picks the adder
    graph builder: "auto", "csd" or "da4ml". Raises ConfigError for invalid folding and
    UnsupportedError for layers the Verilog backend does not implement.
    """
    graph = design.graph
    nodes = _live(graph)
    first = graph[graph.inputs[0]]
    if not isinstance(first.op, O.Input):
        raise UnsupportedError(f"the network input '{first.name}' is not an Input node")
    streamed = is_streamed(nodes)
    streams = {first.name: input_stream(graph.shapes[first.name], first.precision.result, streamed)}
    engines: list[Impl] = []
    for node in nodes:
        if node is first:
            continue
        op = node.op
        xs = [streams[s] for s in node.inputs]
        if len({x.beats for x in xs}) > 1:
            raise UnsupportedError(f"layer '{node.name}' ({op.label}) joins streams of different lengths: "
                                   f"{[graph.shapes[s] for s in node.inputs]}")
        if isinstance(op, (O.Add, O.Concat)):
            impl = _join(design, node, xs, adder_levels)
        elif len(xs) != 1:
            raise UnsupportedError(f"layer '{node.name}' ({op.label}) reads {len(xs)} inputs; expected one")
        elif isinstance(op, (O.Conv, O.Pool)):
            impl = _windowed(design, node, xs[0], use_dsp, adder_levels, optimizer)
        elif isinstance(op, O.GlobalPool):
            impl = collector(node, xs[0])
        elif (isinstance(op, (O.Reshape, O.Flatten)) and xs[0].beats > 1 and len(graph.shapes[node.name]) != 1
              and graph.shapes[node.name] != graph.shapes[node.inputs[0]]):
            raise UnsupportedError(f"layer '{node.name}' ({op.label}): a pixel stream is reshaped only by flattening it")
        elif isinstance(op, WHOLE_VECTOR) and _flat_stream(graph, node, xs[0]):
            impl = _gathered(design, node, xs[0], use_dsp, adder_levels, optimizer)
        elif isinstance(op, (O.Dense, O.BatchNorm)):
            impl = _dense(design, node, xs[0], use_dsp, adder_levels, optimizer)
        elif isinstance(op, O.Activation):
            impl = _pointwise(design, node, xs[0], adder_levels)
        elif isinstance(op, O.Softmax):
            impl = _softmax(design, node, xs[0], adder_levels)
        elif isinstance(op, O.ArgMax):
            impl = _argmax(design, node, xs[0], adder_levels)
        elif isinstance(op, MOVES_DATA):
            if node.precision.result == xs[0].type:
                impl = WireImpl(node.name, xs[0], xs[0])
            else:
                impl = _pointwise(design, node, xs[0], adder_levels)
        else:
            raise UnsupportedError(
                f"layer '{node.name}' ({op.label}): the Verilog backend does not implement it yet; "
                "supported: Dense, BatchNorm, Activation (relu, leaky_relu, clip, hard_sigmoid, tanh, sigmoid, linear), "
                "Softmax, ArgMax, Add, Concat, Flatten, Reshape, Dropout, Identity, Conv1D/2D, "
                "MaxPool/AvgPool 1D/2D, global pooling"
            )
        if impl.output.beats != xs[0].beats and not isinstance(op, (O.Conv, O.Pool, O.GlobalPool)) \
                and not isinstance(impl, (CollectImpl, ChainImpl)):
            impl = replace(impl, output=replace(impl.output, beats=xs[0].beats))  # per beat
        engines.append(impl)
        streams[node.name] = impl.output
    sources = {n.name: tuple(n.inputs) for n in nodes if n is not first}
    out = graph.outputs[0]
    fifos = stream_fifos(engines, sources, first.name, streams, _layer_fifos(design, engines, sources)) \
        if streamed else _fifos(engines, sources, first.name, streams)
    fifos = tuple(replace(f, block_ram=f.depth * f.stream.bits >= _bram_threshold(design, graph[f.node]))
                  for f in fifos)
    if not streamed:
        return HwPlan(graph.name, tuple(engines), streams[first.name], streams[out], first.name, out, sources, fifos)
    trace = run_timing(engines, sources, first.name, out, streams[first.name].beats, streams[out].beats,
                       {(f.node, f.port): f.depth for f in fifos})
    return HwPlan(graph.name, tuple(engines), streams[first.name], streams[out], first.name, out, sources,
                  fifos, Timing(trace.latency, trace.interval))


def _layer_fifos(design, engines, sources) -> dict[tuple[str, int], int]:
    """A FIFO of ``layer_fifo_depth`` beats in front of every input of every layer of a
    pixel stream (per layer or model config; 0: none). Its ready does not depend on its
    reader, so it cuts the combinational ready path from the output back to the input."""
    fifos = {}
    for e in engines:
        if isinstance(e, WireImpl):
            continue
        depth = _setting(design, design.graph[e.node], "layer_fifo_depth", None, 0)
        for k in range(len(sources[e.node])):
            if depth:
                fifos[(e.node, k)] = depth
    return fifos


def _bram_threshold(design, node: Node) -> int:
    return _setting(design, node, "bram_threshold", None, DEFAULT_BRAM_THRESHOLD)


def _windowed(design, node: Node, x: Stream, use_dsp, adder_levels, optimizer):
    """A convolution or a pooling layer on a pixel stream: padding, window, then a Dense
    (the convolution's weights as an im2col matrix) or a pooling tree per window."""
    shape = design.graph.shapes[node.inputs[0]]
    if x.beats == 1 and len(shape) > 1 and math.prod(shape[:-1]) > 1:
        raise UnsupportedError(f"layer '{node.name}' ({node.op.label}) reads a stream of whole samples, not pixels")
    parts = window_parts(node, x, shape, pad_value(node, x), _bram_threshold(design, node))
    w = parts[-1].output if parts else x
    if isinstance(node.op, O.Conv):
        core = _dense(design, node, w, use_dsp, adder_levels, optimizer)
    else:
        _no_lanes(design, node)
        core = pool_core(node, w, shape[-1], _levels_per_stage(design, node, adder_levels))
    out_beats = math.prod(design.graph.shapes[node.name][:-1])
    core = replace(core, output=replace(core.output, beats=out_beats))
    return chain(node, parts + [core])


def _flat_stream(graph, node: Node, x: Stream) -> bool:
    """Whether ``node`` reads a flattened pixel stream: a vector that still arrives in beats."""
    return x.beats > 1 and len(graph.shapes[node.inputs[0]]) == 1


def _gathered(design, node: Node, x: Stream, use_dsp, adder_levels, optimizer):
    """A layer that needs the whole vector of a flattened pixel stream (Flatten itself is
    no hardware): its engine first gathers the beats, then computes on all of them."""
    gather = collector(node, x)
    op, y = node.op, gather.output
    if isinstance(op, (O.Dense, O.BatchNorm)):
        core = _dense(design, node, y, use_dsp, adder_levels, optimizer)
    elif isinstance(op, O.Softmax):
        core = _softmax(design, node, y, adder_levels)
    else:
        core = _argmax(design, node, y, adder_levels)
    return chain(node, [gather, core])
