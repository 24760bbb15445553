"""Gemm, MatMul and BatchNormalization, and folding a constant Add into a bias."""

from __future__ import annotations

import numpy as np
import onnx

from ...errors import ModelLoadError, UnsupportedError
from ...ir.ops import BatchNorm, Conv, Dense
from ..layout import Layout
from .builder import Builder, Tensor, attributes, where
from .layouts import channels_first, conform, flat_rows, flat_view, ir_vector, layout_text
from .trained import constant_type, record_folded_bias, record_linear


def _dense(b: Builder, node: onnx.NodeProto, t: Tensor, weight: np.ndarray, bias: np.ndarray) -> None:
    """Emit ``t @ weight + bias`` over the last source axis of ``t``."""
    s = t.shape
    if len(s) == 1:
        x, rows = flat_rows(b, t, node)
        w = np.empty(weight.shape, dtype=np.float64)
        w[rows] = weight
        out = b.emit(b.hint(node), Dense(w, bias), [x], node)
        b.set(node.output[0], Tensor(out, Layout.identity((weight.shape[1],)), fresh=True))
        return
    ir_shape = b.shapes[t.ir]
    perm = t.layout.axis_permutation(ir_shape)
    x = t.ir
    if perm is None or perm[-1] != len(s) - 1:
        perm = tuple(range(len(s)))
        x = conform(b, t, s, Layout.identity(s), node)
        if x is None:
            raise UnsupportedError(
                f"{where(node)}: multiplies over the last axis of '{node.input[0]}' (shape {s}), but that axis is "
                f"not the last axis of its {layout_text(t.layout, ir_shape)}"
            )
    out = b.emit(b.hint(node), Dense(weight, bias), [x], node)
    b.set(node.output[0], Tensor(out, Layout.identity(b.shapes[out]).transpose(perm), fresh=True))


def _runtime_first(b: Builder, node: onnx.NodeProto) -> Tensor:
    if len(node.input) > 1 and b.is_constant(node.input[0]) and not b.is_constant(node.input[1]):
        raise UnsupportedError(
            f"{where(node)}: the runtime tensor must be the first operand (constant @ tensor is not supported)"
        )
    return b.runtime(node, 0)


def gemm(b: Builder, node: onnx.NodeProto) -> None:
    """Gemm: ``alpha * A' @ B' + beta * C`` with A the runtime input, B and C constants."""
    a = attributes(node)
    t = _runtime_first(b, node)
    if a.get("transA", 0):
        raise UnsupportedError(f"{where(node)}: transA=1 puts the batch axis second; only transA=0 is supported")
    if len(t.shape) != 1:
        raise ModelLoadError(f"{where(node)}: Gemm input A must be 2-D, got per-sample shape {t.shape}")
    w = b.constant(node, 1).astype(np.float64)
    if w.ndim != 2:
        raise ModelLoadError(f"{where(node)}: Gemm input B must be 2-D, got shape {w.shape}")
    w = (w.T if a.get("transB", 0) else w) * float(a.get("alpha", 1.0))
    w_type = constant_type(b, node, 1, w, "weight")
    if w.shape[0] != t.shape[0]:
        raise ModelLoadError(f"{where(node)}: input has {t.shape[0]} features but B expects {w.shape[0]}")
    units = w.shape[1]
    c = b.constant(node, 2)
    bias = np.zeros(units)
    if c is not None:
        c = np.asarray(c, dtype=np.float64)
        if c.ndim == 2:
            if c.shape[0] != 1:
                raise UnsupportedError(f"{where(node)}: bias C of shape {c.shape} varies over the batch")
            c = c[0]
        try:
            bias = np.broadcast_to(c, (units,)) * float(a.get("beta", 1.0))
        except ValueError:
            raise ModelLoadError(f"{where(node)}: bias C of shape {c.shape} does not fit {units} units") from None
    b_type = constant_type(b, node, 2, bias, "bias") if c is not None else None
    _dense(b, node, t, w, bias)
    record_linear(b, node, w_type, b_type)


def matmul(b: Builder, node: onnx.NodeProto) -> None:
    """MatMul of a runtime tensor by a constant 2-D matrix: a Dense with zero bias."""
    t = _runtime_first(b, node)
    w = b.constant(node, 1).astype(np.float64)
    if w.ndim != 2:
        raise UnsupportedError(f"{where(node)}: only a 2-D constant right operand is supported, got shape {w.shape}")
    if not t.shape or t.shape[-1] != w.shape[0]:
        raise ModelLoadError(f"{where(node)}: cannot multiply per-sample shape {t.shape} by {w.shape}")
    _dense(b, node, t, w, np.zeros(w.shape[1]))
    record_linear(b, node, constant_type(b, node, 1, w, "weight"), None)


def fold_bias(b: Builder, node: onnx.NodeProto, t: Tensor, const: np.ndarray) -> bool:
    """Add ``const`` to the bias of the Dense/Conv that directly produced ``t``, if that
    op's output is read only by this Add and the constant is one value per channel."""
    if not t.fresh or t.ir not in b.position:
        return False
    op = b.ir_node(t.ir).op
    if not isinstance(op, (Dense, Conv)) or b.ir_users.get(t.ir, 0) or len(b.aliases[t.ir]) != 1:
        return False
    name = b.aliases[t.ir][0]
    if name in b.graph_outputs or b.onnx_uses(name) != 1:
        return False
    vec = ir_vector(b, const, t)
    if vec is None:
        return False
    if isinstance(op, Dense):
        b.replace_op(t.ir, Dense(op.weight, op.bias + vec, op.activation))
    else:
        b.replace_op(t.ir, Conv(op.weight, op.bias + vec, op.strides, op.pads, op.activation))
    i = 1 if node.input[0] == name else 0
    record_folded_bias(b, t.ir, b.constant_type(node, i), op.bias + vec)
    b.set(node.output[0], Tensor(t.ir, t.layout, fresh=True))
    return True


def batch_normalization(b: Builder, node: onnx.NodeProto) -> None:
    """Inference BatchNormalization over channel axis 1, folded into scale and shift."""
    a = attributes(node)
    if a.get("training_mode", 0):
        raise UnsupportedError(f"{where(node)}: training_mode=1 is not supported (inference only)")
    b.refuse_extra_outputs(node, 1, "training statistics")
    t = b.runtime(node, 0)
    s = t.shape
    if not s:
        raise ModelLoadError(f"{where(node)}: input needs a channel axis")
    params = [np.asarray(b.constant(node, i), dtype=np.float64) for i in range(1, 5)]
    per_element = b.opset < 9 and not a.get("spatial", 1)
    full = []
    for p in params:
        if p.size == s[0]:
            full.append(p.reshape((s[0],) + (1,) * (len(s) - 1)))
        elif per_element and p.size == int(np.prod(s)):
            full.append(p.reshape(s))
        else:
            raise ModelLoadError(f"{where(node)}: parameter of shape {p.shape} does not fit input shape {s}")
    vectors = [ir_vector(b, p, t) for p in full]
    if any(v is None for v in vectors):
        if len(s) == 1 or per_element:  # one value per element: a 1-D IR tensor has them all
            t = flat_view(b, t, node)
        else:
            ir = channels_first(b, t, node)
            t = Tensor(ir, Layout.channels_first(b.shapes[ir]))
        vectors = [ir_vector(b, p, t) for p in full]
        if any(v is None for v in vectors):
            raise UnsupportedError(f"{where(node)}: statistics do not map onto the IR channels of its input")
    op = BatchNorm.from_statistics(*vectors, float(a.get("epsilon", 1e-5)))
    out = b.emit(b.hint(node), op, [t.ir], node)
    b.set(node.output[0], Tensor(out, t.layout, fresh=True))
