"""Fold a BatchNorm into the Dense or Conv that feeds it.

``(x @ W + b) * s + t == x @ (W * s) + (b * s + t)``: the scale multiplies the
weight's output columns. Only when the BatchNorm is that node's single consumer and
the node has no fused activation yet, and only when that node's own settings fix
neither its weight, bias nor result type (folding would change those weights, or skip
that rounding point); any other BatchNorm stays a scale-and-shift.
"""

from __future__ import annotations

from dataclasses import replace

from ..ir import BatchNorm, Graph
from .base import PassContext
from .merge import merge_into_linear


def _fold(op, bn):
    s, t = bn.op.scale, bn.op.shift
    return replace(op, weight=op.weight * s, bias=op.bias * s + t)


def fold_batchnorm(graph: Graph, ctx: PassContext) -> tuple[Graph, bool]:
    if not ctx.config.passes.fold_batchnorm:
        return graph, False

    def unpinned(src) -> bool:
        own = ctx.config.layers.get(src.name)
        return own is None or all(getattr(own, k) is None for k in ("weight", "bias", "result", "precision"))

    return merge_into_linear(graph, BatchNorm, _fold, unpinned)
