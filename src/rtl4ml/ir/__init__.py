"""The intermediate representation: typed ops, nodes and graphs (channels-last)."""

from .graph import Graph, Node
from .ops import (
    ALL_OPS,
    Activation,
    ActivationKind,
    Add,
    ArgMax,
    BatchNorm,
    Concat,
    Conv,
    Dense,
    Dropout,
    Flatten,
    GlobalPool,
    Identity,
    Input,
    Op,
    Padding,
    Pool,
    PoolKind,
    Reshape,
    Softmax,
)
from .precision import NodePrecision, Table
from .tensor import TensorType

__all__ = [
    "ALL_OPS", "Activation", "ActivationKind", "Add", "ArgMax", "BatchNorm", "Concat", "Conv", "Dense",
    "Dropout", "Flatten", "GlobalPool", "Graph", "Identity", "Input", "Node", "NodePrecision",
    "Op", "Padding", "Pool", "PoolKind", "Reshape", "Softmax", "Table", "TensorType",
]
