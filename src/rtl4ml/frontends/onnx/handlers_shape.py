"""Flatten, Reshape, Transpose, Squeeze, Unsqueeze (layout changes only) and Concat."""

from __future__ import annotations

import math

import numpy as np
import onnx

from ...errors import ModelLoadError, UnsupportedError
from ...ir.ops import Concat
from ..layout import Layout
from .builder import Builder, Tensor, attributes, where
from .layouts import conform, layout_text


def _relayout(b: Builder, node: onnx.NodeProto, t: Tensor, layout: Layout) -> None:
    b.set(node.output[0], Tensor(t.ir, layout))


def _axes(node: onnx.NodeProto, axes, rank: int) -> list[int]:
    """Axes normalized to 0..rank-1 (0 is the batch axis, which must not be touched)."""
    out = sorted({int(x) + rank if int(x) < 0 else int(x) for x in np.asarray(axes).reshape(-1)})
    if any(not 0 <= x < rank for x in out):
        raise ModelLoadError(f"{where(node)}: axes {list(np.asarray(axes).reshape(-1))} out of range for rank {rank}")
    if 0 in out:
        raise UnsupportedError(f"{where(node)}: changes the batch axis (axis 0); not supported")
    return out


def flatten(b: Builder, node: onnx.NodeProto) -> None:
    """Flatten to (batch, features): only ``axis`` >= 1 with nothing merged into the batch."""
    t = b.runtime(node, 0)
    s = t.shape
    rank = len(s) + 1
    axis = int(attributes(node).get("axis", 1))
    axis = axis + rank if axis < 0 else axis
    if axis < 1 or math.prod(s[: axis - 1]) != 1:
        raise UnsupportedError(f"{where(node)}: Flatten axis {axis} merges per-sample axes into the batch axis")
    _relayout(b, node, t, t.layout.reshape((math.prod(s),)))


def reshape(b: Builder, node: onnx.NodeProto) -> None:
    """Reshape with a constant target whose first entry keeps the batch axis."""
    t = b.runtime(node, 0)
    s = t.shape
    target = [int(d) for d in np.asarray(b.constant(node, 1)).reshape(-1)]
    if not target:
        raise UnsupportedError(f"{where(node)}: reshape to a scalar drops the batch axis")
    if not attributes(node).get("allowzero", 0):
        full = (b.batch,) + tuple(s)
        target = [full[i] if d == 0 and i < len(full) else d for i, d in enumerate(target)]
    first, rest = target[0], target[1:]
    size = math.prod(s)
    known = math.prod(d for d in rest if d != -1)
    if first == -1:
        ok = -1 not in rest and known == size
    else:
        ok = first == b.batch and rest.count(-1) <= 1 and known > 0 and size % known == 0
        rest = [size // known if d == -1 else d for d in rest]
    if not ok or math.prod(rest) != size or min(rest, default=1) < 1:
        raise UnsupportedError(
            f"{where(node)}: reshape of per-sample shape {s} to {target} does not keep the batch axis first"
        )
    _relayout(b, node, t, t.layout.reshape(tuple(rest)))


def transpose(b: Builder, node: onnx.NodeProto) -> None:
    """Transpose that keeps the batch axis first."""
    t = b.runtime(node, 0)
    rank = len(t.shape) + 1
    perm = [int(p) for p in attributes(node).get("perm", range(rank - 1, -1, -1))]
    if sorted(perm) != list(range(rank)):
        raise ModelLoadError(f"{where(node)}: perm {perm} is not a permutation of {rank} axes")
    if perm[0] != 0:
        raise UnsupportedError(f"{where(node)}: perm {perm} moves the batch axis; it must stay first")
    _relayout(b, node, t, t.layout.transpose([p - 1 for p in perm[1:]]))


def _axes_input(b: Builder, node: onnx.NodeProto):
    return attributes(node).get("axes") if b.opset < 13 else b.constant(node, 1)


def squeeze(b: Builder, node: onnx.NodeProto) -> None:
    """Squeeze of per-sample axes of size 1 (axes attribute before opset 13, input from 13)."""
    t = b.runtime(node, 0)
    s = t.shape
    axes = _axes_input(b, node)
    if axes is None:
        drop = [i + 1 for i, d in enumerate(s) if d == 1]
    else:
        drop = _axes(node, axes, len(s) + 1)
    if any(s[i - 1] != 1 for i in drop):
        raise ModelLoadError(f"{where(node)}: cannot squeeze axes {drop} of per-sample shape {s}")
    shape = tuple(d for i, d in enumerate(s) if i + 1 not in drop)
    _relayout(b, node, t, t.layout.reshape(shape))


def unsqueeze(b: Builder, node: onnx.NodeProto) -> None:
    """Unsqueeze inserting size-1 per-sample axes (axes attribute before 13, input from 13)."""
    t = b.runtime(node, 0)
    axes = _axes_input(b, node)
    if axes is None:
        raise ModelLoadError(f"{where(node)}: Unsqueeze needs axes")
    rank = len(t.shape) + 1 + np.asarray(axes).size
    insert = _axes(node, axes, rank)
    shape = list(t.shape)
    for ax in insert:
        shape.insert(ax - 1, 1)
    _relayout(b, node, t, t.layout.reshape(tuple(shape)))


def concat(b: Builder, node: onnx.NodeProto) -> None:
    """Concat of runtime tensors stored as the same transpose of their IR tensors."""
    ts = [b.runtime(node, i) for i in range(len(node.input))]
    rank = len(ts[0].shape) + 1
    axis = int(attributes(node)["axis"])
    axis = axis + rank if axis < 0 else axis
    if not 1 <= axis < rank or any(len(t.shape) + 1 != rank for t in ts):
        raise UnsupportedError(f"{where(node)}: concatenation along axis {axis} (the batch axis or out of range)")
    if len(ts) == 1:
        _relayout(b, node, ts[0], ts[0].layout)
        return
    candidates = [p for t in ts if (p := t.layout.axis_permutation(b.shapes[t.ir])) is not None]
    for perm in dict.fromkeys(candidates + [tuple(range(rank - 1))]):
        inverse = np.argsort(perm)
        names = []
        for t in ts:
            ir_shape = tuple(t.shape[i] for i in inverse)
            names.append(conform(b, t, ir_shape, Layout.identity(ir_shape).transpose(perm), node))
        if all(n is not None for n in names):
            out = b.emit(b.hint(node), Concat(int(perm[axis - 1])), names, node)
            b.set(node.output[0], Tensor(out, Layout.identity(b.shapes[out]).transpose(perm), fresh=True))
            return
    stored = "; ".join(f"'{i}' as {layout_text(t.layout, b.shapes[t.ir])}" for i, t in zip(node.input, ts))
    raise UnsupportedError(f"{where(node)}: inputs are stored in incompatible orders ({stored})")
