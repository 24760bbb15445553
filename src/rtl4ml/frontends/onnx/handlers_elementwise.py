"""Activations, Softmax, Add, Dropout and Identity: element-wise ops keep the layout."""

from __future__ import annotations

import math

import numpy as np
import onnx

from ...errors import UnsupportedError
from ...ir.ops import Activation, ActivationKind, Add, BatchNorm, Dropout, Identity, Op, Softmax
from .builder import Builder, Tensor, attributes, where
from .handlers_dense import fold_bias
from .layouts import conform, flat_view, ir_vector, layout_text, softmax_input
from .trained import holds

FLOAT_MAX = float(np.finfo(np.float32).max)


def _elementwise(b: Builder, node: onnx.NodeProto, op: Op) -> None:
    t = b.runtime(node, 0)
    out = b.emit(b.hint(node), op, [t.ir], node)
    b.set(node.output[0], Tensor(out, t.layout, fresh=True))


def relu(b: Builder, node: onnx.NodeProto) -> None:
    """Relu."""
    _elementwise(b, node, Activation(ActivationKind.RELU))


def leaky_relu(b: Builder, node: onnx.NodeProto) -> None:
    """LeakyRelu (alpha defaults to 0.01)."""
    _elementwise(b, node, Activation(ActivationKind.LEAKY_RELU, alpha=float(attributes(node).get("alpha", 0.01))))


def tanh(b: Builder, node: onnx.NodeProto) -> None:
    """Tanh."""
    _elementwise(b, node, Activation(ActivationKind.TANH))


def sigmoid(b: Builder, node: onnx.NodeProto) -> None:
    """Sigmoid."""
    _elementwise(b, node, Activation(ActivationKind.SIGMOID))


def hard_sigmoid(b: Builder, node: onnx.NodeProto) -> None:
    """HardSigmoid: clip(alpha * x + beta, 0, 1)."""
    a = attributes(node)
    op = Activation(ActivationKind.HARD_SIGMOID, alpha=float(a.get("alpha", 0.2)), beta=float(a.get("beta", 0.5)))
    _elementwise(b, node, op)


def _bound(value, default: float) -> float:
    v = default if value is None else float(np.asarray(value, dtype=np.float64).reshape(-1)[0])
    return math.copysign(math.inf, v) if abs(v) >= FLOAT_MAX else v


def clip(b: Builder, node: onnx.NodeProto) -> None:
    """Clip: bounds are attributes before opset 11 and optional constant inputs from 11.

    Clip(0, +inf) is a ReLU and an unbounded Clip is linear; other bounds (ReLU6,
    HardTanh, ...) stay a clip.
    """
    if b.opset < 11:
        a = attributes(node)
        lo, hi = _bound(a.get("min"), -math.inf), _bound(a.get("max"), math.inf)
    else:
        lo, hi = _bound(b.constant(node, 1), -math.inf), _bound(b.constant(node, 2), math.inf)
    if not lo < hi:
        raise UnsupportedError(f"{where(node)}: Clip bounds [{lo:g}, {hi:g}] leave no range; need min < max")
    if lo == -math.inf and hi == math.inf:
        op = Activation(ActivationKind.LINEAR)
    elif lo == 0 and hi == math.inf:
        op = Activation(ActivationKind.RELU)
    else:
        op = Activation(ActivationKind.CLIP, min_value=lo, max_value=hi)
    _elementwise(b, node, op)


def softmax(b: Builder, node: onnx.NodeProto) -> None:
    """Softmax: before opset 13 over everything from ``axis`` on (default 1), from 13
    over the single ``axis`` (default -1). Must map onto the IR last axis."""
    t = b.runtime(node, 0)
    s = t.shape
    rank = len(s) + 1
    axis = int(attributes(node).get("axis", 1 if b.opset < 13 else -1))
    axis = axis + rank if axis < 0 else axis
    if not 1 <= axis < rank:
        raise UnsupportedError(f"{where(node)}: softmax axis {axis} includes the batch axis; not supported")
    a = axis - 1
    index = t.layout.index
    if b.opset < 13:
        groups = index.reshape(int(np.prod(s[:a], dtype=np.int64)), -1)
    else:
        groups = np.moveaxis(index, a, -1).reshape(-1, s[a])
    x = softmax_input(b, t, groups, node)
    out = b.emit(b.hint(node), Softmax(), [x], node)
    b.set(node.output[0], Tensor(out, t.layout, fresh=True))


def add(b: Builder, node: onnx.NodeProto) -> None:
    """Add of two runtime tensors (same shape and layout) or of a tensor and a constant:
    the constant becomes the bias of a directly preceding Gemm/MatMul/Conv, else a
    per-channel BatchNorm with scale 1."""
    va, vb = (b.values.get(i) for i in node.input)
    if isinstance(va, Tensor) and isinstance(vb, Tensor):
        _add_tensors(b, node, va, vb)
        return
    t, const = (va, vb) if isinstance(va, Tensor) else (vb, va)
    if not isinstance(t, Tensor):
        raise UnsupportedError(f"{where(node)}: needs a runtime input")
    if fold_bias(b, node, t, const):
        return
    vec = ir_vector(b, const, t)
    if vec is None and len(t.shape) == 1:
        t = flat_view(b, t, node)
        vec = ir_vector(b, const, t)
    if vec is None:
        raise UnsupportedError(
            f"{where(node)}: adds a constant of shape {np.shape(const)} to a tensor of per-sample shape {t.shape} "
            f"stored as {layout_text(t.layout, b.shapes[t.ir])}; only a constant with one value per IR channel "
            "(the last IR axis) is supported"
        )
    out = b.emit(b.hint(node), BatchNorm(np.ones_like(vec), vec), [t.ir], node)
    bias_type = b.constant_type(node, 1 if isinstance(va, Tensor) else 0)
    if bias_type is not None and holds(bias_type, vec):
        b.trained[out]["bias"] = bias_type
    b.set(node.output[0], Tensor(out, t.layout, fresh=True))


def _add_tensors(b: Builder, node: onnx.NodeProto, ta: Tensor, tb: Tensor) -> None:
    if ta.shape != tb.shape:
        raise UnsupportedError(
            f"{where(node)}: broadcasting Add of runtime tensors with shapes {ta.shape} and {tb.shape} is not supported"
        )
    sa, sb = b.shapes[ta.ir], b.shapes[tb.ir]
    pair = None
    if (y := conform(b, tb, sa, ta.layout, node)) is not None:
        pair = (ta.ir, y), ta.layout
    elif (y := conform(b, ta, sb, tb.layout, node)) is not None:
        pair = (y, tb.ir), tb.layout
    elif (y := conform(b, tb, sa, ta.layout, node, reorder=True)) is not None:
        pair = (ta.ir, y), ta.layout
    if pair is None:
        raise UnsupportedError(
            f"{where(node)}: adds '{node.input[0]}' stored as {layout_text(ta.layout, sa)} to '{node.input[1]}' stored "
            f"as {layout_text(tb.layout, sb)}; both must have the same element order"
        )
    (x, y), layout = pair
    out = b.emit(b.hint(node), Add(), [x, y], node)
    b.set(node.output[0], Tensor(out, layout, fresh=True))


def dropout(b: Builder, node: onnx.NodeProto) -> None:
    """Dropout (inference: identity). Ratio is an attribute before opset 12, an input from 12."""
    b.refuse_extra_outputs(node, 1, "dropout mask")
    if b.opset < 12:
        rate = float(attributes(node).get("ratio", 0.5))
    else:
        ratio = b.constant(node, 1)
        rate = 0.5 if ratio is None else float(np.asarray(ratio).reshape(-1)[0])
        training = b.constant(node, 2)
        if training is not None and bool(np.asarray(training).reshape(-1)[0]):
            raise UnsupportedError(f"{where(node)}: training_mode=True is not supported (inference only)")
    _elementwise(b, node, Dropout(rate))


def identity(b: Builder, node: onnx.NodeProto) -> None:
    """Identity."""
    _elementwise(b, node, Identity())
