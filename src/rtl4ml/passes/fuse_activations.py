"""Fuse an Activation into the Dense or Conv that produces its input.

The fused node applies the activation to its own accumulator before converting to
its result type, so hardware has no separate activation stage and no FIFO between
the two. Fusion needs the Activation to be the producer's only consumer.
"""

from __future__ import annotations

from dataclasses import replace

from ..ir import Activation, ActivationKind, Graph
from .base import PassContext
from .merge import merge_into_linear


def _fuse(op, act):
    return replace(op, activation=None if act.op.kind is ActivationKind.LINEAR else act.op)


def fuse_activations(graph: Graph, ctx: PassContext) -> tuple[Graph, bool]:
    if not ctx.config.passes.fuse_activations:
        return graph, False
    return merge_into_linear(graph, Activation, _fuse)
