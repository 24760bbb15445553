"""Remove Dropout and Identity nodes: at inference they pass data through."""

from __future__ import annotations

from ..ir import Dropout, Graph, Identity
from .base import PassContext


def remove_identity(graph: Graph, ctx: PassContext) -> tuple[Graph, bool]:
    if not ctx.config.passes.remove_identity:
        return graph, False
    changed = False
    for name in [n.name for n in graph.nodes if isinstance(n.op, (Dropout, Identity))]:
        node = graph[name]  # earlier removals may have rewired its input
        if node.name in graph.outputs and node.inputs[0] in graph.outputs:
            continue  # both would be outputs: keep the pass-through
        graph = graph.without(node.name)
        changed = True
    return graph, changed
