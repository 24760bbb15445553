"""ONNX op type -> handler that adds the op to the IR being built."""

from __future__ import annotations

from collections.abc import Callable

import onnx

from . import handlers_conv as conv
from . import handlers_dense as dense
from . import handlers_elementwise as ew
from . import handlers_qonnx as qonnx
from . import handlers_shape as shape
from .builder import Builder
from .qonnx_params import QONNX_DOMAINS

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

#: QONNX ops, read from the domains in :data:`.qonnx_params.QONNX_DOMAINS`.
QONNX_HANDLERS: dict[str, Handler] = {
    "Quant": qonnx.quant,
    "BipolarQuant": qonnx.bipolar_quant,
    "Trunc": qonnx.trunc,
}

#: Ops that only ever produce constants here (Shape needs a static per-sample shape).
CONSTANT_OPS = ("Constant", "Shape", "Size")


def supported_ops() -> list[str]:
    """Every default-domain ONNX op type the importer accepts, sorted."""
    return sorted(set(HANDLERS) | set(CONSTANT_OPS))


def supported_custom_ops() -> frozenset[tuple[str, str]]:
    """(domain, op type) of every custom-domain op the importer accepts (QONNX)."""
    return frozenset((d, op) for d in QONNX_DOMAINS for op in QONNX_HANDLERS)
