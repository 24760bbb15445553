"""Fuse an Activation into the Dense or Conv that produces its input.

The fused node applies the activation to its own accumulator before converting to
its result type, so hardware has no separate activation stage and no FIFO between
the two. Fusion needs the Activation to be the producer's only consumer.
"""

from __future__ import annotations

from dataclasses import replace

from ..ir import Activation, ActivationKind, Conv, Dense, Graph
from .base import PassContext


def fuse_activations(graph: Graph, ctx: PassContext) -> tuple[Graph, bool]:
    if not ctx.config.passes.fuse_activations:
        return graph, False
    changed = False
    for act in [n for n in graph.nodes if isinstance(n.op, Activation)]:
        src = graph[act.inputs[0]]
        if not isinstance(src.op, (Dense, Conv)) or src.op.activation is not None:
            continue
        if graph.consumers[src.name] != (act.name,) or src.name in graph.outputs:
            continue
        fused_act = None if act.op.kind is ActivationKind.LINEAR else act.op
        fused = src.with_(op=replace(src.op, activation=fused_act), aliases=src.aliases + (act.name,) + act.aliases)
        graph = graph.with_nodes([fused if n is src else n for n in graph.nodes]).without(act.name)
        changed = True
    return graph, changed
