"""The IR graph: nodes in topological order, each producing one tensor named after it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from ..errors import GraphError
from .ops import Input, Op, Shape
from .precision import NodePrecision
from .tensor import TensorType


@dataclass(frozen=True)
class Node:
    """One operation. Its output tensor has the node's name; ``inputs`` name producers.

    ``aliases`` are the names of nodes a pass merged into this one (a fused activation):
    configuration given for those names applies here.
    """

    name: str
    op: Op
    inputs: tuple[str, ...] = ()
    precision: NodePrecision | None = None
    aliases: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "aliases", tuple(self.aliases))
        if not isinstance(self.name, str) or not self.name:
            raise GraphError(f"node name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.op, Op):
            raise GraphError(f"node '{self.name}': op must be an rtl4ml op, got {type(self.op).__name__}")

    def with_(self, **changes) -> Node:
        return replace(self, **changes)


class Graph:
    """An immutable, validated dataflow graph.

    Building one checks that names are unique, that every input names an earlier node,
    that each op gets the number of inputs it takes, and infers every tensor's shape;
    any failure raises :class:`GraphError` naming the node.
    """

    def __init__(self, nodes, outputs, name: str = "model"):
        self.name = name
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self.outputs: tuple[str, ...] = tuple(outputs)
        self.shapes: dict[str, Shape] = {}
        for node in self.nodes:
            self._check(node)
        if not self.outputs:
            raise GraphError(f"graph '{name}' has no outputs")
        for out in self.outputs:
            if out not in self.shapes:
                raise GraphError(f"graph output '{out}' is not a node of the graph")
        if len(set(self.outputs)) != len(self.outputs):
            raise GraphError(f"graph '{name}' lists an output twice: {list(self.outputs)}")
        self._by_name = {n.name: n for n in self.nodes}

    def _check(self, node: Node) -> None:
        where = f"node '{node.name}' ({node.op.label})"
        if node.name in self.shapes:
            raise GraphError(f"{where}: duplicate node name")
        missing = [i for i in node.inputs if i not in self.shapes]
        if missing:
            raise GraphError(f"{where}: input(s) {missing} are not produced by an earlier node")
        arity = node.op.arity
        n = len(node.inputs)
        if (arity is None and n < 2) or (arity is not None and n != arity):
            want = "two or more" if arity is None else str(arity)
            raise GraphError(f"{where}: takes {want} input(s), got {n}")
        try:
            shape = node.op.infer_shape([self.shapes[i] for i in node.inputs])
        except ValueError as e:
            raise GraphError(f"{where}: {e}") from None
        self.shapes[node.name] = tuple(int(d) for d in shape)

    # ---- queries --------------------------------------------------------------------
    def __getitem__(self, name: str) -> Node:
        try:
            return self._by_name[name]
        except KeyError:
            raise GraphError(f"no node named '{name}' in graph '{self.name}'") from None

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes if isinstance(n.op, Input))

    @cached_property
    def consumers(self) -> dict[str, tuple[str, ...]]:
        users: dict[str, list[str]] = {n.name: [] for n in self.nodes}
        for n in self.nodes:
            for i in n.inputs:
                users[i].append(n.name)
        return {k: tuple(v) for k, v in users.items()}

    def tensor(self, name: str) -> TensorType:
        """Shape and (once inferred) fixed-point type of the tensor ``name`` produces."""
        p = self[name].precision
        return TensorType(self.shapes[name], p.result if p else None)

    def input_shapes(self, node: Node) -> list[Shape]:
        return [self.shapes[i] for i in node.inputs]

    # ---- rebuilding -----------------------------------------------------------------
    def with_nodes(self, nodes, outputs=None) -> Graph:
        return Graph(nodes, self.outputs if outputs is None else outputs, self.name)

    def without(self, name: str) -> Graph:
        """Remove a single-input node, rewiring its consumers (and outputs) to its input."""
        node = self[name]
        if len(node.inputs) != 1:
            raise GraphError(f"node '{name}': only single-input nodes can be bypassed")
        src = node.inputs[0]
        rename = lambda i: src if i == name else i  # noqa: E731
        nodes = [n.with_(inputs=tuple(map(rename, n.inputs))) for n in self.nodes if n.name != name]
        return self.with_nodes(nodes, tuple(map(rename, self.outputs)))

    def __str__(self) -> str:
        from .text import graph_table

        return graph_table(self)

    def __repr__(self) -> str:
        return f"<Graph '{self.name}': {len(self.nodes)} nodes, outputs {list(self.outputs)}>"
