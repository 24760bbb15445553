"""ONNX op type -> handler that adds the op to the IR being built."""

from __future__ import annotations

from collections.abc import Callable

import onnx

from . import handlers_conv as conv
from . import handlers_dense as dense
from . import handlers_elementwise as ew
from . import handlers_shape as shape
from .builder import Builder

Handler = Callable[[Builder, onnx.NodeProto], None]

HANDLERS: dict[str, Handler] = {
    "Gemm": dense.gemm,
    "MatMul": dense.matmul,
    "BatchNormalization": dense.batch_normalization,
    "Conv": conv.conv,
    "MaxPool": conv.max_pool,
    "AveragePool": conv.average_pool,
    "GlobalAveragePool": conv.global_average_pool,
    "GlobalMaxPool": conv.global_max_pool,
    "Relu": ew.relu,
    "LeakyRelu": ew.leaky_relu,
    "Clip": ew.clip,
    "Tanh": ew.tanh,
    "Sigmoid": ew.sigmoid,
    "HardSigmoid": ew.hard_sigmoid,
    "Softmax": ew.softmax,
    "Add": ew.add,
    "Dropout": ew.dropout,
    "Identity": ew.identity,
    "Flatten": shape.flatten,
    "Reshape": shape.reshape,
    "Transpose": shape.transpose,
    "Squeeze": shape.squeeze,
    "Unsqueeze": shape.unsqueeze,
    "Concat": shape.concat,
}

#: Ops that only ever produce constants here (Shape needs a static per-sample shape).
CONSTANT_OPS = ("Constant", "Shape", "Size")


def supported_ops() -> list[str]:
    """Every ONNX op type the importer accepts, sorted."""
    return sorted(set(HANDLERS) | set(CONSTANT_OPS))
