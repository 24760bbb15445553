"""Import state for one traced module.

Every PyTorch call is imported by the ONNX frontend's handler for the equivalent ONNX
operation: the call becomes an in-memory ``onnx.NodeProto`` (named after the module
path or fx node, its weights given as constants) that the handler turns into IR nodes
through the shared :class:`~rtl4ml.frontends.onnx.builder.Builder`. Both frontends
thus share one implementation of the channels-first to channels-last layout logic
(weight-row permutation after a Flatten, Dense column reordering before a view into
a convolution, ...) and build the same IR for the same network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch
from onnx import helper
from torch import fx

from ...errors import GraphError, Rtl4mlError, UnsupportedError
from ..layout import Layout
from ..onnx.builder import Builder, Tensor, where

#: The default-domain opset whose semantics the generated nodes follow.
OPSET = 17


class _Batch:
    """The batch size: unknown when importing; ``x.size(0)`` evaluates to this."""

    def __repr__(self) -> str:
        return "x.size(0)"


BATCH = _Batch()


@dataclass(frozen=True, eq=False)
class Ref:
    """An fx value that is a runtime tensor or a constant array, by its fx name."""

    name: str
    value: Tensor | np.ndarray

    @property
    def is_tensor(self) -> bool:
        return isinstance(self.value, Tensor)


@dataclass(frozen=True)
class _Use:
    """What the Builder needs to count the readers of a tensor."""

    op_type: str
    input: tuple[str, ...]


def sanitize(name: str) -> str:
    """An IR node name from a module path or fx node name."""
    return re.sub(r"[^0-9A-Za-z_.]", "_", name) or "node"


def arg_nodes(node: fx.Node) -> list[fx.Node]:
    """Every fx node read by ``node``, once per occurrence."""
    found: list[fx.Node] = []
    fx.node.map_arg((node.args, node.kwargs), lambda a: found.append(a) or a)
    return found


def attribute(gm: fx.GraphModule, target: str):
    """The parameter, buffer or constant a ``get_attr`` node reads."""
    obj = gm
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


def as_array(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().to(torch.float64).numpy()


class Context:
    """Values of the fx nodes imported so far and the IR being built."""

    def __init__(self, gm: fx.GraphModule, nodes: list[fx.Node], outputs: list[str], labels: dict[str, str],
                 shape_readers: set[str]):
        self.gm = gm
        self.labels = labels
        self.fx_names = {n.name for n in nodes}
        self.py: dict[str, object] = {}  # shape values: ints, tuples, BATCH
        # readers of only a tensor's shape ("Shape", as in ONNX) do not count as uses of its elements
        uses = [_Use("Shape" if n.name in shape_readers else "Op", tuple(a.name for a in arg_nodes(n))) for n in nodes]
        graph = helper.make_graph([], "torch", [], [helper.make_empty_tensor_value_info(o) for o in outputs])
        self.b = Builder(graph, uses, OPSET)

    # ---- values -------------------------------------------------------------------------
    def resolve(self, arg):
        """An fx argument with its nodes replaced by :class:`Ref` (tensors, constants) or
        by their Python value (shapes and sizes)."""

        def one(node: fx.Node):
            if node.name in self.b.values:
                return Ref(node.name, self.b.values[node.name])
            return self.py[node.name]

        return fx.node.map_arg(arg, one)

    def tensor(self, node: fx.Node, ref, what: str = "input") -> Tensor:
        """``ref`` as a runtime tensor; anything else is an error naming ``node``."""
        if isinstance(ref, Ref) and ref.is_tensor:
            return ref.value
        kind = "a constant" if isinstance(ref, Ref) else f"the value {ref!r}"
        raise UnsupportedError(f"{self.where(node)}: {what} must be a runtime tensor, but it is {kind}")

    def relayout(self, node: fx.Node, ref: Ref, layout: Layout) -> None:
        """``node`` is ``ref`` seen through ``layout`` (a view: no IR node)."""
        self.b.set(node.name, Tensor(self.tensor(node, ref).ir, layout))

    # ---- naming -------------------------------------------------------------------------
    def label(self, node: fx.Node) -> str:
        return self.labels.get(node.name, node.name)

    @staticmethod
    def hint(node: fx.Node) -> str:
        """The preferred IR name: the module path, else the fx node name."""
        return sanitize(node.target if node.op == "call_module" else node.name)

    def where(self, node: fx.Node) -> str:
        return f"node '{self.hint(node)}' ({self.label(node)})"

    # ---- importing through the ONNX handlers --------------------------------------------
    def onnx(self, node: fx.Node, handler, inputs, attrs: dict | None = None, output: str | None = None,
             name: str | None = None):
        """Run ONNX ``handler`` on a node standing for ``node``; returns the output value.

        ``inputs`` are :class:`Ref`, arrays (constants) or None (absent optional input).
        """
        out = output or node.name
        names = []
        for i, x in enumerate(inputs):
            if x is None:
                names.append("")
            elif isinstance(x, Ref):
                names.append(x.name)
            else:
                const = f"{out}:{i}"
                self.b.set(const, np.asarray(x, dtype=np.float64))
                names.append(const)
        proto = helper.make_node(self.label(node), names, [out], name=name or self.hint(node), **(attrs or {}))
        for n in names:  # readers of tensors made inside one call are known only now
            if n and n not in self.fx_names and isinstance(self.b.values.get(n), Tensor):
                self.b.users[n].append(proto)
        try:
            handler(self.b, proto)
        except Rtl4mlError:
            raise
        except ValueError as e:  # an IR op refused its attributes
            raise GraphError(f"{where(proto)}: {e}") from None
        return self.b.values[out]
