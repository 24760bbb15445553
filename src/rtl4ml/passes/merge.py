"""Merging a node into the Dense/Conv that feeds it: the part fold and fuse share."""

from __future__ import annotations

from collections.abc import Callable

from ..ir import Conv, Dense, Graph, Node, Op


def merge_into_linear(
    graph: Graph, op_type: type[Op], merge: Callable[[Dense | Conv, Node], Op], allowed=lambda src: True
) -> tuple[Graph, bool]:
    """For every ``op_type`` node whose input is a Dense/Conv without a fused activation,
    used by nothing else, not a graph output and ``allowed``: replace that producer's op
    by ``merge(producer_op, node)``, record the node's name as an alias, drop the node."""
    changed = False
    for name in [n.name for n in graph.nodes if isinstance(n.op, op_type)]:
        node = graph[name]  # earlier merges may have rewired its input
        src = graph[node.inputs[0]]
        if not isinstance(src.op, (Dense, Conv)) or src.op.activation is not None:
            continue
        if graph.consumers[src.name] != (node.name,) or src.name in graph.outputs or not allowed(src):
            continue
        merged = src.with_(op=merge(src.op, node), aliases=src.aliases + (node.name,) + node.aliases)
        graph = graph.with_nodes([merged if n is src else n for n in graph.nodes]).without(node.name)
        changed = True
    return graph, changed
