"""Constants: which nodes only compute constants, evaluating them, and the op scan.

A node whose inputs are all constants (initializers, Constant nodes, shapes of
tensors, or other such nodes) is evaluated here with the ONNX reference (numpy)
implementation, whatever its type: exporters write shape arithmetic such as
Shape -> Gather -> Unsqueeze -> Concat -> Reshape, and none of it reaches the IR.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from ...errors import UnsupportedError
from .builder import SHAPE_READERS, Tensor, where

DEFAULT_DOMAINS = ("", "ai.onnx")
NONDETERMINISTIC = frozenset(
    {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}
)
SHAPE_OPS = SHAPE_READERS


def _has_subgraph(node: onnx.NodeProto) -> bool:
    return any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute)


def foldable(node: onnx.NodeProto, is_constant: Callable[[str], bool]) -> bool:
    """True if ``node`` computes only constants from constant inputs."""
    if node.domain not in DEFAULT_DOMAINS or node.op_type in NONDETERMINISTIC or _has_subgraph(node):
        return False
    if node.op_type == "Constant":
        return True
    present = [i for i in node.input if i]
    return bool(present) and all(is_constant(i) for i in present)


def evaluate(node: onnx.NodeProto, values: dict, opset: int) -> dict[str, np.ndarray]:
    """Run one node on constant inputs; its named outputs as arrays."""
    if node.op_type == "Constant" and [a.name for a in node.attribute] == ["value"]:
        return {node.output[0]: numpy_helper.to_array(node.attribute[0].t)}
    feeds = {i: np.asarray(values[i]) for i in node.input if i}
    inputs = [
        helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape) for k, v in feeds.items()
    ]
    names = [o for o in node.output if o]
    graph = helper.make_graph([node], "fold", inputs, [helper.make_empty_tensor_value_info(o) for o in names])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    try:
        results = ReferenceEvaluator(model).run(None, feeds)
    except Exception as e:  # the reference implementation raises many types
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UnsupportedError(f"{where(node)}: cannot evaluate this constant computation: {reason}") from None
    return {o: np.asarray(r) for o, r in zip(names, results)}


def shape_of(node: onnx.NodeProto, t: Tensor, batch: int, attrs: dict) -> np.ndarray:
    """Shape (with ``start``/``end``) or Size of a runtime tensor, batch axis = ``batch``."""
    full = np.array((batch,) + tuple(t.shape), dtype=np.int64)
    if node.op_type == "Size":
        return np.array(int(np.prod(full)), dtype=np.int64)
    start, end = attrs.get("start", 0), attrs.get("end")
    return full[start:end]


def live_nodes(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """The nodes that graph outputs depend on, in graph order (dead branches dropped)."""
    needed = {o.name for o in graph.output}
    live = []
    for node in reversed(graph.node):
        if any(o in needed for o in node.output if o):
            live.append(node)
            needed.update(i for i in node.input if i)
    return live[::-1]


def scan_unsupported(
    graph: onnx.GraphProto,
    nodes: list[onnx.NodeProto],
    supported: Iterable[str],
    custom: Iterable[tuple[str, str]] = (),
) -> None:
    """Raise one UnsupportedError listing every op type that cannot be imported, with
    the nodes using each, and the supported op types. Constant-only nodes are fine.
    ``custom``: the (domain, op type) pairs of supported custom-domain ops."""
    supported, custom = set(supported), set(custom)
    constants = {init.name for init in graph.initializer}
    bad: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        name = node.name or next((o for o in node.output if o), node.op_type)
        if foldable(node, constants.__contains__) or (node.domain in DEFAULT_DOMAINS and node.op_type in SHAPE_OPS):
            constants.update(o for o in node.output if o)
        elif (node.domain, node.op_type) in custom:
            if all(i in constants for i in node.input if i):
                constants.update(o for o in node.output if o)
        elif node.domain not in DEFAULT_DOMAINS:
            bad[f"{node.op_type} from domain '{node.domain}'"].append(name)
        elif node.op_type not in supported:
            bad[node.op_type].append(name)
    if bad:
        parts = []
        for op, names in sorted(bad.items()):
            label = "node" if len(names) == 1 else "nodes"
            parts.append(f"{op} ({label} {', '.join(repr(n) for n in names)})")
        message = f"unsupported ONNX operation(s): {'; '.join(parts)}. Supported: {', '.join(sorted(supported))}"
        domains = sorted({d for d, _ in custom})
        if domains:
            ops = ", ".join(sorted({op for _, op in custom}))
            message += f"; from domain {' or '.join(repr(d) for d in domains)}: {ops}"
        raise UnsupportedError(message)
