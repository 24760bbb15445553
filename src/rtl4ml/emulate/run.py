"""Running a graph: the float reference and the bit-exact fixed-point emulation."""

from __future__ import annotations

import numpy as np

from ..errors import FixedTypeError, GraphError
from ..ir import Graph
from ..ir import ops as O
from .carrier import store
from .fixed_ops import FIXED_KERNELS, FixedArray, reshape_like
from .float_ops import FLOAT_KERNELS


def _check_feeds(graph: Graph, feeds: dict[str, np.ndarray]) -> int:
    missing = [n for n in graph.inputs if n not in feeds]
    if missing:
        raise GraphError(f"no data given for graph input(s) {missing}")
    batch = None
    for name in graph.inputs:
        x = feeds[name]
        if tuple(x.shape[1:]) != graph.shapes[name]:
            raise GraphError(
                f"input '{name}': expected a batch of samples shaped {graph.shapes[name]}, got array of shape {x.shape}"
            )
        if batch is not None and x.shape[0] != batch:
            raise GraphError(f"inputs have different batch sizes ({batch} and {x.shape[0]})")
        batch = x.shape[0]
    return batch


def run_float(graph: Graph, feeds: dict[str, np.ndarray], keep_all: bool = False) -> dict[str, np.ndarray]:
    """The real-valued reference, in IR layout. Returns the outputs (or every tensor)."""
    _check_feeds(graph, feeds)
    values: dict[str, np.ndarray] = {}
    last_use = _last_uses(graph)
    for i, node in enumerate(graph.nodes):
        if isinstance(node.op, O.Input):
            values[node.name] = np.asarray(feeds[node.name], dtype=np.float64)
        elif isinstance(node.op, O.Reshape):
            x = values[node.inputs[0]]
            values[node.name] = x.reshape((x.shape[0],) + graph.shapes[node.name])
        else:
            kernel = FLOAT_KERNELS[type(node.op)]
            values[node.name] = kernel(node.op, *(values[n] for n in node.inputs))
        if not keep_all:
            _forget(values, graph, last_use, i)
    return values if keep_all else {n: values[n] for n in graph.outputs}


def _last_uses(graph: Graph) -> dict[str, int]:
    last = {}
    for i, node in enumerate(graph.nodes):
        for src in node.inputs:
            last[src] = i
    return last


def _forget(values, graph: Graph, last_use, i) -> None:
    """Drop tensors no later node reads (keeps peak memory low on big batches)."""
    for src in graph.nodes[i].inputs:
        if last_use.get(src) == i and src not in graph.outputs:
            values.pop(src, None)


def run_fixed(graph: Graph, feeds: dict[str, np.ndarray], keep_all: bool = False) -> dict[str, FixedArray]:
    """The bit-exact emulation, in IR layout: float inputs are quantized to each input
    node's type, then every node computes raw integers of its result type.
    Needs a graph whose nodes carry precision (run the infer_precision pass)."""
    _check_feeds(graph, feeds)
    unset = [n.name for n in graph.nodes if n.precision is None]
    if unset:
        raise GraphError(f"nodes {unset[:5]} have no precision; run the infer_precision pass first")
    values: dict[str, FixedArray] = {}
    last_use = _last_uses(graph)
    for i, node in enumerate(graph.nodes):
        result = node.precision.result
        ins = [values[n] for n in node.inputs]
        try:
            if isinstance(node.op, O.Input):
                raw = result.quantize(feeds[node.name])
            elif type(node.op) in FIXED_KERNELS:
                raw = FIXED_KERNELS[type(node.op)](node, *ins)
            else:  # Flatten, Reshape, Dropout, Identity: data movement only
                raw = reshape_like(node, ins[0], graph.shapes[node.name])
        except FixedTypeError as e:
            raise FixedTypeError(f"node '{node.name}' ({node.op.label}): {e}") from None
        values[node.name] = FixedArray(store(raw, result.width), result)
        if not keep_all:
            _forget(values, graph, last_use, i)
    return values if keep_all else {n: values[n] for n in graph.outputs}
