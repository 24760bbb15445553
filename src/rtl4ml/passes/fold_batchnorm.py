"""Fold a BatchNorm into the Dense or Conv that feeds it.

``(x @ W + b) * s + t == x @ (W * s) + (b * s + t)``: the scale multiplies the
weight's output columns. Only when the BatchNorm is that node's single consumer and
the node has no fused activation yet; any other BatchNorm stays a scale-and-shift.
"""

from __future__ import annotations

from dataclasses import replace

from ..ir import BatchNorm, Conv, Dense, Graph
from .base import PassContext


def fold_batchnorm(graph: Graph, ctx: PassContext) -> tuple[Graph, bool]:
    if not ctx.config.passes.fold_batchnorm:
        return graph, False
    changed = False
    for bn in [n for n in graph.nodes if isinstance(n.op, BatchNorm)]:
        src = graph[bn.inputs[0]]
        op = src.op
        if not isinstance(op, (Dense, Conv)) or op.activation is not None:
            continue
        if graph.consumers[src.name] != (bn.name,) or src.name in graph.outputs:
            continue
        s, t = bn.op.scale, bn.op.shift
        folded = replace(op, weight=op.weight * s, bias=op.bias * s + t)
        nodes = [n.with_(op=folded, aliases=n.aliases + (bn.name,) + bn.aliases) if n is src else n for n in graph.nodes]
        graph = graph.with_nodes(nodes).without(bn.name)
        # without() rewired consumers of the BatchNorm to the folded node
        changed = True
    return graph, changed
