"""Import state: every ONNX tensor is either a constant or a view of an IR tensor.

A runtime ONNX tensor is a :class:`Tensor`: the IR tensor holding its values and the
:class:`Layout` saying where each of its (per-sample) elements lives there. Layout-only
ONNX ops (Transpose, Reshape, Flatten, ...) make new Tensors over the same IR tensor;
compute ops append IR nodes through :meth:`Builder.emit`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper

from ...errors import GraphError, UnsupportedError
from ...fixed import FixedType
from ...ir import Identity, Input, Node, Op
from ...ir.ops import Shape
from ..layout import Layout
from ..naming import unique_name

#: Consumers that read only a tensor's shape, never its element order.
SHAPE_READERS = frozenset({"Shape", "Size"})


@dataclass(frozen=True)
class Tensor:
    """A runtime ONNX tensor stored in IR tensor ``ir``.

    ``layout.shape`` is the ONNX per-sample shape (batch axis dropped). ``fresh`` marks
    the direct output of the ONNX node that built the IR node ``ir``.
    """

    ir: str
    layout: Layout
    fresh: bool = False

    @property
    def shape(self) -> Shape:
        return self.layout.shape


Value = Tensor | np.ndarray


def where(node: onnx.NodeProto) -> str:
    """How error messages name an ONNX node (and the domain of a custom op)."""
    name = node.name or next((o for o in node.output if o), node.op_type)
    if node.domain not in ("", "ai.onnx"):
        return f"{node.op_type} from domain '{node.domain}' (node '{name}')"
    return f"node '{name}' ({node.op_type})"


def attributes(node: onnx.NodeProto) -> dict:
    """The node's attributes as Python values (strings decoded)."""
    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


class Builder:
    """Collects IR nodes while the ONNX graph is walked in topological order."""

    def __init__(self, graph: onnx.GraphProto, nodes: list[onnx.NodeProto], opset: int):
        self.graph = graph
        self.opset = opset
        self.batch = 1  # the value Shape reports for the batch axis
        self.nodes: list[Node] = []
        self.position: dict[str, int] = {}
        self.shapes: dict[str, Shape] = {}
        self.ir_users: dict[str, int] = defaultdict(int)
        self.values: dict[str, Value] = {}
        self.aliases: dict[str, list[str]] = defaultdict(list)
        self.taken: set[str] = set()
        self.graph_outputs = {o.name for o in graph.output}
        # types the model was trained with (QONNX quantizers), by IR node and config key
        self.trained: dict[str, dict[str, FixedType]] = defaultdict(dict)
        # ONNX constants holding quantized values: the type they were quantized to
        self.constant_types: dict[str, FixedType] = {}
        self.users: dict[str, list[onnx.NodeProto]] = defaultdict(list)
        for node in nodes:
            for name in dict.fromkeys(node.input):
                if name:
                    self.users[name].append(node)

    # ---- the finished graph -------------------------------------------------------------
    def outputs_of(self, values) -> tuple[list[str], dict[str, Layout]]:
        """IR output names and their source layouts for ``(source name, value)`` pairs;
        an IR tensor seen twice gets an Identity node of its own."""
        names: list[str] = []
        layouts: dict[str, Layout] = {}
        for out_name, value in values:
            if not isinstance(value, Tensor):
                raise UnsupportedError(f"output '{out_name}' is not a computed tensor; only computed outputs are supported")
            ir = value.ir
            if ir in layouts:
                ir = self.emit(out_name, Identity(), [ir])
            names.append(ir)
            layouts[ir] = value.layout
        return names, layouts

    def live_nodes(self, outputs: list[str]) -> list[Node]:
        """The emitted nodes the outputs need, and every Input (drops unused helpers)."""
        live = set(outputs)
        for node in reversed(self.nodes):
            if node.name in live:
                live.update(node.inputs)
        return [n for n in self.nodes if n.name in live or isinstance(n.op, Input)]

    # ---- names ------------------------------------------------------------------------
    def unique(self, hint: str) -> str:
        """A fresh IR node name based on ``hint``."""
        return unique_name(hint, self.taken)

    @staticmethod
    def hint(node: onnx.NodeProto) -> str:
        """The preferred IR name for what ``node`` computes: its name, else its output's."""
        return node.name or next((o for o in node.output if o), "") or node.op_type

    # ---- IR nodes ---------------------------------------------------------------------
    def emit(self, hint: str, op: Op, inputs: list[str], node: onnx.NodeProto | None = None) -> str:
        """Append an IR node; returns its (unique) name. Shape errors name the ONNX node."""
        name = self.unique(hint)
        try:
            shape = op.infer_shape([self.shapes[i] for i in inputs])
        except ValueError as e:
            origin = where(node) if node is not None else f"IR node '{name}'"
            raise GraphError(f"{origin}: {e}") from None
        self.position[name] = len(self.nodes)
        self.nodes.append(Node(name, op, tuple(inputs)))
        self.shapes[name] = tuple(int(d) for d in shape)
        for i in inputs:
            self.ir_users[i] += 1
        return name

    def ir_node(self, name: str) -> Node:
        """The emitted IR node called ``name``."""
        return self.nodes[self.position[name]]

    def replace_op(self, name: str, op: Op) -> None:
        """Swap the op of an emitted node for one with the same output shape."""
        node = self.ir_node(name)
        assert op.infer_shape([self.shapes[i] for i in node.inputs]) == self.shapes[name]
        self.nodes[self.position[name]] = node.with_(op=op)

    # ---- ONNX values ------------------------------------------------------------------
    def set(self, name: str, value: Value) -> None:
        if not name:
            return
        if isinstance(value, Tensor):
            self.aliases[value.ir].append(name)
        self.values[name] = value

    def is_constant(self, name: str) -> bool:
        return isinstance(self.values.get(name), np.ndarray)

    def runtime(self, node: onnx.NodeProto, i: int = 0) -> Tensor:
        """Input ``i`` of ``node``, which must be a runtime tensor."""
        name = node.input[i] if i < len(node.input) else ""
        value = self.values.get(name) if name else None
        if not isinstance(value, Tensor):
            what = "missing" if value is None else "a constant"
            raise UnsupportedError(f"{where(node)}: input {i} ('{name}') must be a runtime tensor, but it is {what}")
        return value

    def constant(self, node: onnx.NodeProto, i: int, default=None) -> np.ndarray | None:
        """Input ``i`` of ``node`` as a constant array, or ``default`` if it is absent."""
        if i >= len(node.input) or not node.input[i]:
            return default
        value = self.values.get(node.input[i])
        if not isinstance(value, np.ndarray):
            raise UnsupportedError(
                f"{where(node)}: input {i} ('{node.input[i]}') must be a constant (initializer or "
                "constant subgraph); computed values are not supported there"
            )
        return value

    def constant_type(self, node: onnx.NodeProto, i: int) -> FixedType | None:
        """The type input ``i`` (a constant) was quantized to by the model, if any."""
        return self.constant_types.get(node.input[i]) if i < len(node.input) else None

    def onnx_uses(self, name: str) -> int:
        """How many times ``name`` is read by element-reading nodes or the graph outputs."""
        uses = sum(1 for n in self.users.get(name, ()) for i in n.input if i == name and n.op_type not in SHAPE_READERS)
        return uses + (name in self.graph_outputs)

    def used_outputs(self, node: onnx.NodeProto, first_unused: int) -> list[str]:
        """Outputs from index ``first_unused`` on that something reads."""
        return [o for o in node.output[first_unused:] if o and (self.users.get(o) or o in self.graph_outputs)]

    def refuse_extra_outputs(self, node: onnx.NodeProto, first_unused: int, what: str) -> None:
        used = self.used_outputs(node, first_unused)
        if used:
            raise UnsupportedError(
                f"{where(node)}: output(s) {used} ({what}) are used; only the main output is supported"
            )
