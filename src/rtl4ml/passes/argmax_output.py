"""``argmax_output``: the network answers with the index of its largest output value
(a classifier's class) instead of the values. A final Softmax is dropped first: it never
changes which logit is largest, and its tables may make close logits tie."""

from __future__ import annotations

from ..errors import GraphError
from ..ir import ArgMax, Graph, Node, Softmax
from .base import PassContext


def argmax_output(graph: Graph, ctx: PassContext) -> tuple[Graph, bool]:
    if not ctx.config.passes.argmax_output or any(isinstance(graph[o].op, ArgMax) for o in graph.outputs):
        return graph, False
    if len(graph.outputs) != 1:
        raise GraphError(f"argmax_output needs one network output, the model has {list(graph.outputs)}")
    out = graph[graph.outputs[0]]
    name, source = out.name, out.name
    if isinstance(out.op, Softmax):
        (source,) = out.inputs
        graph = graph.with_nodes([n for n in graph.nodes if n.name != name], [source])
    else:
        name = _fresh(graph, f"{name}_argmax")
    node = Node(name, ArgMax(), (source,))
    return graph.with_nodes([*graph.nodes, node], [name]), True


def _fresh(graph: Graph, name: str) -> str:
    k, base = 1, name
    while name in graph:
        k += 1
        name = f"{base}_{k}"
    return name
